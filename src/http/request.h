// RequestHead: what a RequestHandler sees of a request. Views into the connection's buffers,
// valid only during the RequestHandler::handle() call; copy (into the Arena) what must outlive it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace claimgate::http {

struct HeaderView {
  std::string_view name, value;
};

struct RequestHead {
  std::string_view method;       // as sent ("GET")
  std::string_view target;       // request-target as sent: path?query (origin-form) usually
  std::string_view host;         // the Host field value, empty if absent
  bool tls = false;              // arrived on a TLS listener (scheme https)
  std::string_view remote_addr;  // the client's IP address as text ("127.0.0.1", "::1")
  std::uint16_t listener_port = 0;  // the local port of the listener that accepted it
  std::span<const HeaderView> headers;  // all request header fields, in order, names as sent
  bool may_wait = true;  // the handler may answer Decision::Wait (false once it has waited)

  std::string_view path() const { return target.substr(0, target.find('?')); }
  std::string_view query() const {  // without the '?', empty if none
    auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  }
  // The value of the first field named `name` (case-insensitive), empty if absent.
  std::string_view header(std::string_view name) const;
};

}  // namespace claimgate::http
