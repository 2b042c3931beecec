#include "config/diagnostics.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace claimgate::config {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kDebug:
      return "debug";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string Diagnostic::format() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (document > 0) out += fmt::format(":{}", document);
  }
  if (!resource.empty()) {
    if (!out.empty()) out += ' ';
    out += resource;
  }
  if (!out.empty()) out += ": ";
  if (!field.empty()) {
    out += field;
    out += ": ";
  }
  out += message;
  if (line > 0) out += fmt::format(" (line {})", line);
  return out;
}

void Diagnostics::add(Diagnostic d) { items_.push_back(std::move(d)); }

void Diagnostics::error(std::string file, int document, std::string resource, std::string field,
                        std::string message, int line) {
  add(Diagnostic{Severity::kError, std::move(file), document, line, std::move(resource),
                 std::move(field), std::move(message)});
}

void Diagnostics::warning(std::string file, int document, std::string resource, std::string field,
                          std::string message, int line) {
  add(Diagnostic{Severity::kWarning, std::move(file), document, line, std::move(resource),
                 std::move(field), std::move(message)});
}

std::size_t Diagnostics::count(Severity s) const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [s](const Diagnostic& d) { return d.severity == s; }));
}

std::string Diagnostics::formatAll(Severity min) const {
  std::string out;
  for (const auto& d : items_) {
    if (d.severity < min) continue;
    out += severityName(d.severity);
    out += ": ";
    out += d.format();
    out += '\n';
  }
  return out;
}

}  // namespace claimgate::config
