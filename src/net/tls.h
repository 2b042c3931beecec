// Internal to net/: server-side TLS contexts from TlsSettings (config time; throws on error).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "net/server.h"

namespace claimgate::net::detail {

// TLS 1.2+ server context with the certificate chain, key, protocol range and ciphers of `s`.
// Throws std::runtime_error naming what failed (bad PEM, key mismatch, unknown cipher).
std::shared_ptr<boost::asio::ssl::context> makeServerTlsContext(const TlsSettings& s);

}  // namespace claimgate::net::detail
