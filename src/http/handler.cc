#include "http/handler.h"

namespace claimgate::http {

void UpstreamTarget::finalize() {
  key.clear();
  key += tls ? "https://" : "http://";
  key += host;
  key += ':';
  key += std::to_string(port);
  if (tls) {
    key += "|sni=";
    key += sni;
    key += "|ca=";
    key += ca_file;
    key += insecure_skip_verify ? "|insecure" : "|verify";
  }
}

}  // namespace claimgate::http
