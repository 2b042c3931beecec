// LocalReply: the ONE builder of every response claimgate writes itself (401/403/404/400/431/5xx,
// DESIGN §3). Always `content-type: text/plain` and an exact `content-length`, byte-compatible
// with Envoy's local replies; the fixed texts below are Envoy's.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.h"

namespace claimgate::http {

// Envoy's bodies for upstream failures (router filter, "upstream connect error or
// disconnect/reset before headers. reset reason: <reason>"), no route (empty) and no endpoints.
inline constexpr std::string_view kUpstreamConnectFailureBody =
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
inline constexpr std::string_view kUpstreamResetBody =
    "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
inline constexpr std::string_view kUpstreamTimeoutBody = "upstream request timeout";
inline constexpr std::string_view kNoHealthyUpstreamBody = "no healthy upstream";

struct LocalReply {
  static constexpr std::size_t kMaxHeaders = 4;

  int status = 500;
  std::string_view body;  // usually a fixed text; otherwise arena- or snapshot-owned
  std::array<HeaderView, kMaxHeaders> headers{};  // extra fields, e.g. www-authenticate, location
  std::uint8_t header_count = 0;

  // Adds an extra field (beyond kMaxHeaders it is ignored: local replies carry at most a few).
  LocalReply& withHeader(std::string_view name, std::string_view value) {
    if (header_count < kMaxHeaders) headers[header_count++] = HeaderView{name, value};
    return *this;
  }

  static LocalReply text(int status, std::string_view body) { return LocalReply{status, body}; }
  // 404, empty body (no route matched; Envoy's NR).
  static LocalReply noRoute() { return text(404, {}); }
  // Protocol errors: the reason phrase as body, as Envoy's HTTP/1 codec does ("Bad Request").
  static LocalReply protocolError(int status);
  static LocalReply upstreamConnectFailure() { return text(503, kUpstreamConnectFailureBody); }
  static LocalReply upstreamReset() { return text(503, kUpstreamResetBody); }
  static LocalReply upstreamTimeout() { return text(504, kUpstreamTimeoutBody); }
  static LocalReply noHealthyUpstream() { return text(503, kNoHealthyUpstreamBody); }
};

// How the server frames a local reply on the wire.
struct ReplyFraming {
  bool head_request = false;   // HEAD: send the headers (with the body's length) but no body
  bool close = false;          // add `connection: close` (the server closes after writing)
  bool http10 = false;         // answer an HTTP/1.0 client as HTTP/1.0
  bool keep_alive_10 = false;  // HTTP/1.0 client asked for keep-alive and we keep it
  std::string_view date;       // IMF-fixdate for a `date` field; omitted when empty
  std::string_view server;     // `server` field value; omitted when empty
};

// Appends the complete response (status line, fields, blank line, body) to `out`.
void appendLocalReply(std::string& out, const LocalReply& reply, const ReplyFraming& framing);

}  // namespace claimgate::http
