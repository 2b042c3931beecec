#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace claimgate::net::detail {
namespace {

namespace ssl = boost::asio::ssl;

[[noreturn]] void fail(const std::string& what, const boost::system::error_code& ec = {}) {
  std::string msg = "TLS listener: " + what;
  if (ec) msg += ": " + ec.message();
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += " (";
    msg += buf;
    msg += ')';
  }
  ERR_clear_error();
  throw std::runtime_error(msg);
}

int protoVersion(TlsVersion v) { return v == TlsVersion::kTls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

}  // namespace

std::shared_ptr<ssl::context> makeServerTlsContext(const TlsSettings& s) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::single_dh_use);
  if (s.min_version > s.max_version) fail("minimum protocol version above the maximum");
  if (!SSL_CTX_set_min_proto_version(native, protoVersion(s.min_version)) ||
      !SSL_CTX_set_max_proto_version(native, protoVersion(s.max_version))) {
    fail("cannot set the protocol versions");
  }
  // Servers pick the suite (RFC 8446 leaves it to us); prefer our order.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!s.cipher_suites.empty()) {
    std::string tls12, tls13;
    for (const std::string& c : s.cipher_suites) {
      std::string& list = c.rfind("TLS_", 0) == 0 ? tls13 : tls12;
      if (!list.empty()) list += ':';
      list += c;
    }
    if (!tls12.empty() && !SSL_CTX_set_cipher_list(native, tls12.c_str())) {
      fail("unknown TLS 1.2 cipher suites '" + tls12 + "'");
    }
    if (!tls13.empty() && !SSL_CTX_set_ciphersuites(native, tls13.c_str())) {
      fail("unknown TLS 1.3 cipher suites '" + tls13 + "'");
    }
  }
  boost::system::error_code ec;
  if (!s.cert_chain_pem.empty()) {
    ctx->use_certificate_chain(boost::asio::buffer(s.cert_chain_pem), ec);
  } else if (!s.cert_chain_file.empty()) {
    ctx->use_certificate_chain_file(s.cert_chain_file, ec);
  } else {
    fail("no certificate");
  }
  if (ec) fail("cannot load the certificate chain", ec);
  if (!s.private_key_pem.empty()) {
    ctx->use_private_key(boost::asio::buffer(s.private_key_pem), ssl::context::pem, ec);
  } else if (!s.private_key_file.empty()) {
    ctx->use_private_key_file(s.private_key_file, ssl::context::pem, ec);
  } else {
    fail("no private key");
  }
  if (ec) fail("cannot load the private key", ec);
  if (!SSL_CTX_check_private_key(native)) fail("the private key does not match the certificate");
  // HTTP/1.1 only: answer ALPN with http/1.1 so clients offering h2 fall back cleanly.
  SSL_CTX_set_alpn_select_cb(
      native,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
         unsigned int inlen, void*) -> int {
        static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        unsigned char* selected = nullptr;
        if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) !=
            OPENSSL_NPN_NEGOTIATED) {
          return SSL_TLSEXT_ERR_NOACK;
        }
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
      },
      nullptr);
  return ctx;
}

}  // namespace claimgate::net::detail
