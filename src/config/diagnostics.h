// Diagnostics: what the config loader and the route compiler found wrong (or worth saying) about
// the user's YAML. Each names the file, the 1-based document index in that file, the resource as
// `Kind/namespace/name` and the field path (`spec.config.claims[1].values`), so a user can find
// the line without reading our code. Loading collects all of them; nothing stops at the first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace claimgate::config {

enum class Severity {
  kDebug,    // skipped documents (unknown kinds): logged at debug level only
  kWarning,  // accepted; a Gloo feature ignored in a way that cannot let a request through
  kError,    // the whole config set is refused
};

std::string_view severityName(Severity s);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;      // as given on the command line (or the display name of an in-memory text)
  int document = 0;      // 1-based index of the YAML document in `file`; 0 = not tied to one
  int line = 0;          // 1-based line of the offending node; 0 = unknown
  std::string resource;  // `Kind/namespace/name`, empty when the document has no usable kind
  std::string field;     // `spec.listeners[0].port.number`, empty for the whole resource
  std::string message;

  // `file:doc Kind/ns/name: field: message (line N)`; the parts that are unknown are left out.
  std::string format() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d);
  void error(std::string file, int document, std::string resource, std::string field,
             std::string message, int line = 0);
  void warning(std::string file, int document, std::string resource, std::string field,
               std::string message, int line = 0);

  const std::vector<Diagnostic>& all() const { return items_; }
  std::size_t count(Severity s) const;
  std::size_t errorCount() const { return count(Severity::kError); }
  std::size_t warningCount() const { return count(Severity::kWarning); }
  bool hasErrors() const { return errorCount() != 0; }

  // One formatted line per diagnostic at or above `min`, prefixed with `error: ` / `warning: `.
  std::string formatAll(Severity min = Severity::kWarning) const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace claimgate::config
