// Header helpers of the data plane, free of Asio/Beast: the hop-by-hop
// rules of RFC 9110 §7.6.1, and reason phrases.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "common/ascii.h"  // asciiIequals: field names compare without case

namespace claimgate::http {

// True for the fields a proxy never forwards whatever Connection says (RFC 9110 §7.6.1 and
// RFC 9112 §6.1/§7): Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
// Upgrade. Transfer-Encoding is re-framed by the proxy (chunked again when the length is unknown).
bool isHopByHop(std::string_view name);

// The field names listed in Connection header values ("close" and "keep-alive" are listed too;
// they name no field but are harmless to drop). At most kMax are kept: a client naming more is
// still answered; the rest of its names are dropped as if no Connection option named them, which
// only matters for the exotic fields they might name.
class ConnectionOptions {
 public:
  static constexpr std::size_t kMax = 16;
  // Adds the comma-separated tokens of one Connection field value (optional whitespace trimmed).
  void add(std::string_view connection_value);
  bool names(std::string_view field) const;
  bool hasClose() const { return close_; }
  bool empty() const { return count_ == 0; }
  void clear() { count_ = 0; close_ = false; }

 private:
  std::array<std::string_view, kMax> tokens_{};
  std::size_t count_ = 0;
  bool close_ = false;
};

// Whether a field must be dropped when forwarding: hop-by-hop, named by Connection, or listed
// in `remove` (case-insensitive, all occurrences).
bool shouldDropField(std::string_view name, const ConnectionOptions& connection,
                     std::span<const std::string_view> remove);

// The reason phrase of a status code ("Unauthorized"); "Unknown" for codes we do not name.
std::string_view reasonPhrase(int status);

// s without leading and trailing optional whitespace (SP / HTAB, RFC 9110 §5.6.3).
std::string_view trimOws(std::string_view s);

}  // namespace claimgate::http
