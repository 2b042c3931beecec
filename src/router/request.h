// The parts of a request head that routing looks at: views into the connection's buffer, so a
// match allocates nothing (except when a matched header is repeated and must be joined).
#pragma once

#include <span>
#include <string_view>

namespace claimgate::router {

struct HeaderView {
  std::string_view name;   // any case
  std::string_view value;
};

struct RequestHead {
  std::string_view method;  // "GET", case-sensitive
  std::string_view path;    // the request target up to (not including) '?'
  std::string_view query;   // after '?', without it; empty when none
  std::string_view host;    // Host / :authority as received (a `:port` suffix is ignored)
  std::span<const HeaderView> headers;
};

}  // namespace claimgate::router
