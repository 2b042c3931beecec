// `claimgate serve`: load + compile the config, then run the data plane until SIGTERM/SIGINT.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/duration_option.h"
#include "cli/load.h"
#include "net/jwks_client.h"
#include "net/server.h"
#include "snapshot/gateway_handler.h"
#include "snapshot/remote_key_source.h"

namespace claimgate::cli {
namespace {

struct ServeOptions {
  std::vector<std::string> paths;
  int admin_port = 9901;
  std::string admin_address = "127.0.0.1";
  std::string bind_address = "0.0.0.0";
  unsigned threads = 0;
  std::string upstream_timeout = "15s";
  std::string request_head_timeout = "10s";
  std::string access_log = "-";
  std::string log_level = "info";
  std::string jwks_stale_window = "24h";
  std::size_t token_cache = 1024;
};

net::ServerConfig serverConfig(const snapshot::Snapshot& snap, const ServeOptions& o) {
  net::ServerConfig sc;
  for (const auto& l : snap.listeners()) {
    if (!l.disabled_reason.empty()) {
      spdlog::warn("listener {} port {} not opened: {}", l.gateway, l.port, l.disabled_reason);
      continue;
    }
    net::ListenerConfig lc;
    lc.bind_address = o.bind_address;
    lc.port = l.port;
    lc.https_redirect = l.https_redirect;
    if (l.tls) {
      net::TlsSettings tls;
      tls.cert_chain_pem = l.cert_chain_pem;
      tls.private_key_pem = l.private_key_pem;
      tls.cert_chain_file = l.cert_chain_file;
      tls.private_key_file = l.private_key_file;
      if (l.tls13_min) tls.min_version = net::TlsVersion::kTls1_3;
      if (l.tls12_max) tls.max_version = net::TlsVersion::kTls1_2;
      tls.cipher_suites = l.cipher_suites;
      lc.tls = std::move(tls);
    }
    sc.listeners.push_back(std::move(lc));
  }
  sc.threads = o.threads;
  sc.admin_address = o.admin_address;
  if (o.admin_port < 0) {
    sc.admin_port.reset();
  } else {
    sc.admin_port = static_cast<std::uint16_t>(o.admin_port);
  }
  sc.limits.header_timeout = parseDurationOption(o.request_head_timeout, "--request-head-timeout");
  sc.access_log = o.access_log;
  return sc;
}

// Remote JWKS counters and gauges per key set URL (docs/remote-jwks.md), Prometheus text.
std::string renderRemoteJwksMetrics() {
  const auto infos = snapshot::remoteJwksStats();
  if (infos.empty()) return {};
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& i : infos) {
      std::string url;
      for (char c : i.url) {
        if (c == '\\' || c == '"') url += '\\';
        url += c;
      }
      out += fmt::format("{}{{url=\"{}\"}} {}\n", name, url, value(i.stats));
    }
  };
  using S = jwt::RemoteJwksStats;
  family("claimgate_jwks_fetches_ok_total", "counter", "Successful remote JWKS fetches.",
         [](const S& s) { return s.fetches_ok; });
  family("claimgate_jwks_fetches_failed_total", "counter", "Failed remote JWKS fetches.",
         [](const S& s) { return s.fetches_failed; });
  family("claimgate_jwks_unknown_kid_refetches_total", "counter",
         "Refetches triggered by a token with an unknown kid.",
         [](const S& s) { return s.unknown_kid_refetches; });
  family("claimgate_jwks_last_success_timestamp_seconds", "gauge",
         "Unix time of the last successful fetch (0: never).",
         [](const S& s) { return s.last_success_unix; });
  family("claimgate_jwks_keys", "gauge", "Keys in the key set being served.",
         [](const S& s) { return s.keys; });
  family("claimgate_jwks_stale", "gauge",
         "1 while a key set past its cacheDuration is served because refreshes fail.",
         [](const S& s) { return s.stale_active ? 1 : 0; });
  return out;
}

}  // namespace

void addServeCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Run the gateway on the config");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--config,-c", o->paths, "YAML file or folder (repeatable)")->required();
  cmd->add_option("--admin-port", o->admin_port, "admin listener port (-1: none)")->capture_default_str();
  cmd->add_option("--admin-address", o->admin_address, "admin listener address")->capture_default_str();
  cmd->add_option("--bind-address", o->bind_address, "address the gateway listeners bind")->capture_default_str();
  cmd->add_option("--threads", o->threads, "worker threads (0: one per core)")->capture_default_str();
  cmd->add_option("--upstream-timeout", o->upstream_timeout,
                  "time allowed for the upstream's response head (Envoy's route timeout)")->capture_default_str();
  cmd->add_option("--request-head-timeout", o->request_head_timeout,
                  "time a client has to send a complete request head")->capture_default_str();
  cmd->add_option("--access-log", o->access_log, "access log: - (stdout), a file, or empty for none")->capture_default_str();
  cmd->add_option("--log-level", o->log_level, "trace|debug|info|warn|error")->capture_default_str();
  cmd->add_option("--jwks-stale-window", o->jwks_stale_window,
                  "how long past its cacheDuration a remote key set keeps serving while refreshes "
                  "fail")->capture_default_str();
  cmd->add_option("--token-cache", o->token_cache,
                  "verified tokens cached per worker thread (0: no cache; failed signatures: "
                  "a quarter as many)")->capture_default_str()->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
  cmd->callback([o] {
    spdlog::set_level(spdlog::level::from_str(o->log_level));
    // Remote JWKS: one fetch client (own thread) per process, installed before any snapshot.
    net::JwksClient jwks_client;
    snapshot::RemoteJwksRuntimeOptions jwks_options;
    jwks_options.stale_window = parseDurationOption(o->jwks_stale_window, "--jwks-stale-window");
    snapshot::installRemoteJwksRuntime(
        [&jwks_client](const jwt::JwksRequest& r) { return jwks_client.makeFetcher(r); },
        jwks_client.clock(), jwks_options);
    config::Diagnostics diags;
    auto snap = loadSnapshot(o->paths, diags);
    if (!snap) throw CLI::RuntimeError(1);
    // enableAsyncFetch providers fetch before the listeners open (bounded wait).
    snapshot::startRemoteJwks();
    if (!snapshot::waitRemoteJwks(std::chrono::seconds(10))) {
      spdlog::warn("some remote JWKS could not be fetched yet; their routes answer 401 until they are");
    }
    snapshot::HandlerOptions ho;
    ho.upstream_timeout = parseDurationOption(o->upstream_timeout, "--upstream-timeout");
    ho.token_cache.capacity = o->token_cache;
    ho.token_cache.negative_capacity = o->token_cache / 4;
    auto handler = std::make_shared<snapshot::GatewayHandler>(snap, ho);
    net::ServerConfig sc = serverConfig(*snap, *o);
    sc.config_dump = [snap] { return snap->configDumpJson(); };
    sc.extra_metrics = renderRemoteJwksMetrics;
    try {
      net::Server server(std::move(sc), handler);
      server.start();
      spdlog::info("claimgate serving {} listener(s), {} route table listener(s), {} JWTPolicy(s)",
                   snap->listeners().size(), snap->routes().listeners.size(), snap->policies().size());
      server.runUntilSignal();
    } catch (const std::exception& e) {
      spdlog::error("cannot serve: {}", e.what());
      throw CLI::RuntimeError(1);
    }
    spdlog::info("claimgate stopped");
    snapshot::installRemoteJwksRuntime(nullptr, nullptr);
  });
}

}  // namespace claimgate::cli
