#include "http/request.h"

#include "http/headers.h"

namespace claimgate::http {

std::string_view RequestHead::header(std::string_view name) const {
  for (const HeaderView& h : headers) {
    if (asciiIequals(h.name, name)) return h.value;
  }
  return {};
}

}  // namespace claimgate::http
