// Internal to net/: writes a parsed (and rewritten) HTTP/1.x message head into one contiguous
// string, byte for byte what Beast's serializer writes for it: start line, the fields in their
// order, an empty line. The proxy sends a head with its body bytes in one gather write; Beast's
// serializer walks a buffers_cat of every field per write, which the profile showed at ~3%
// of the plain proxy's CPU (docs/server.md, "The forwarding fast path").
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

namespace claimgate::net::detail {

namespace head_writer_detail {

inline void appendVersion(std::string& out, unsigned version) {
  char v[8] = {'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version / 10 % 10), '.',
               static_cast<char>('0' + version % 10)};
  out.append(v, sizeof v);
}

template <class Fields>
void appendFields(std::string& out, const Fields& fields) {
  for (const auto& f : fields) {
    auto name = f.name_string();
    auto value = f.value();
    out.append(name.data(), name.size());
    out.append(": ", 2);
    out.append(value.data(), value.size());
    out.append("\r\n", 2);
  }
  out.append("\r\n", 2);
}

}  // namespace head_writer_detail

// "METHOD target HTTP/x.y\r\n" + fields + "\r\n", appended to `out`.
template <class Fields>
void appendRequestHead(std::string& out, const boost::beast::http::header<true, Fields>& h) {
  auto method = h.method_string();
  auto target = h.target();
  out.append(method.data(), method.size());
  out.push_back(' ');
  out.append(target.data(), target.size());
  out.push_back(' ');
  head_writer_detail::appendVersion(out, h.version());
  out.append("\r\n", 2);
  head_writer_detail::appendFields(out, h);
}

// "HTTP/x.y NNN reason\r\n" + fields + "\r\n", appended to `out`. An empty reason is replaced
// by the standard phrase, as Beast does.
template <class Fields>
void appendResponseHead(std::string& out, const boost::beast::http::header<false, Fields>& h) {
  head_writer_detail::appendVersion(out, h.version());
  char code[4] = {' ', 0, 0, 0};
  unsigned status = h.result_int();
  code[1] = static_cast<char>('0' + status / 100 % 10);
  code[2] = static_cast<char>('0' + status / 10 % 10);
  code[3] = static_cast<char>('0' + status % 10);
  out.append(code, sizeof code);
  out.push_back(' ');
  auto reason = h.reason();
  if (reason.empty()) reason = boost::beast::http::obsolete_reason(h.result());
  out.append(reason.data(), reason.size());
  out.append("\r\n", 2);
  head_writer_detail::appendFields(out, h);
}

}  // namespace claimgate::net::detail
