// JwksClient: the real jwt::JwksFetcher and jwt::Clock — HTTP/1.1 GETs (plain or TLS) of remote
// JWKS documents and the refresh timers, all on one io_context thread per process (remote JWKS
// traffic is a few requests per minute: it has no business on the request workers).
// Behaviour: docs/remote-jwks.md. Asio-free header.
//
//   net::JwksClient client;                                   // starts its thread
//   auto fetcher = client.makeFetcher(request);               // config time
//   auto keys = jwt::RemoteJwks::create(opts, std::move(fetcher), client.clock());
#pragma once

#include <memory>

#include "jwt/remote_jwks.h"

namespace claimgate::net {

class JwksClient {
 public:
  JwksClient();   // starts the thread
  ~JwksClient();  // stops it; fetches started afterwards fail at once ("JWKS client stopped")
  JwksClient(const JwksClient&) = delete;
  JwksClient& operator=(const JwksClient&) = delete;

  // A fetcher for one JWKS endpoint. Each fetch: resolve and connect to request.endpoints in
  // order (the first that connects is used), TLS when request.tls (SNI and certificate name =
  // request.sni; trust = request.ca_file or OpenSSL's default paths, which honour SSL_CERT_FILE
  // / SSL_CERT_DIR; no verification only with insecure_skip_verify), then
  // `GET <parsed.target>` with `Host: <parsed.authority>`, `Connection: close`. Success needs
  // status 200 (redirects are not followed) and a body of at most max_body_bytes, all within
  // request.timeout. A CA file that cannot be loaded makes every fetch fail with that reason.
  std::unique_ptr<jwt::JwksFetcher> makeFetcher(jwt::JwksRequest request);

  // steady_clock / system_clock time; timers run on the client thread.
  std::shared_ptr<jwt::Clock> clock();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace claimgate::net
