#include "http/local_reply.h"

#include <charconv>

#include "http/headers.h"

namespace claimgate::http {
namespace {

void appendInt(std::string& out, std::size_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

}  // namespace

LocalReply LocalReply::protocolError(int status) { return text(status, reasonPhrase(status)); }

void appendLocalReply(std::string& out, const LocalReply& reply, const ReplyFraming& framing) {
  out += framing.http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  appendInt(out, static_cast<std::size_t>(reply.status));
  out += ' ';
  out.append(reasonPhrase(reply.status));
  out += "\r\n";
  out += "content-length: ";
  appendInt(out, reply.body.size());
  out += "\r\n";
  out += "content-type: text/plain\r\n";
  for (std::size_t i = 0; i < reply.header_count; ++i) {
    appendField(out, reply.headers[i].name, reply.headers[i].value);
  }
  if (!framing.date.empty()) appendField(out, "date", framing.date);
  if (!framing.server.empty()) appendField(out, "server", framing.server);
  if (framing.close) {
    out += "connection: close\r\n";
  } else if (framing.http10 && framing.keep_alive_10) {
    out += "connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!framing.head_request) out.append(reply.body);
}

}  // namespace claimgate::http
