// A running net::Server on 127.0.0.1:0 with one plain listener (and optionally a TLS one)
// forwarding to an in-test Upstream, for the tests of test/net/.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "net/server.h"
#include "support.h"

namespace claimgate::nettest {

// The server's info lines ("listening ...") would drown the test output.
inline const bool kQuietLogs = (spdlog::set_level(spdlog::level::warn), true);

inline net::ServerConfig testConfig(unsigned threads = 2) {
  net::ServerConfig c;
  net::ListenerConfig l;
  l.bind_address = "127.0.0.1";
  c.listeners.push_back(l);
  c.threads = threads;
  c.admin_address = "127.0.0.1";
  c.admin_port = 0;
  c.limits.header_timeout = 2s;
  c.limits.idle_timeout = 5s;
  c.limits.drain_timeout = 2s;
  return c;
}

// Forwards everything to `target`, applying `edit` to the plan (may be empty).
inline std::shared_ptr<const http::RequestHandler> forwardTo(
    const http::UpstreamTarget* target,
    std::function<void(const http::RequestHead&, http::ForwardPlan&, http::Arena&)> edit = {}) {
  return handler([target, edit](const http::RequestHead& r, http::WorkerContext&, http::Arena& a) {
    http::ForwardPlan p;
    p.upstream = target;
    if (edit) edit(r, p, a);
    return http::Decision::forward(p, {.route = "r1", .decision = "allow"});
  });
}

inline http::UpstreamTarget plainTarget(std::uint16_t port) {
  http::UpstreamTarget t;
  t.host = "127.0.0.1";
  t.port = port;
  t.finalize();
  return t;
}

}  // namespace claimgate::nettest
