#include "http/headers.h"

namespace claimgate::http {

bool isHopByHop(std::string_view name) {
  // Dispatch on length first: this runs once per forwarded field.
  switch (name.size()) {
    case 2: return asciiIequals(name, "te");
    case 7: return asciiIequals(name, "trailer") || asciiIequals(name, "upgrade");
    case 10: return asciiIequals(name, "connection") || asciiIequals(name, "keep-alive");
    case 16: return asciiIequals(name, "proxy-connection");
    case 17: return asciiIequals(name, "transfer-encoding");
    default: return false;
  }
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void ConnectionOptions::add(std::string_view value) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view token = trimOws(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    if (token.empty()) continue;
    if (asciiIequals(token, "close")) close_ = true;
    if (count_ < kMax) tokens_[count_++] = token;
  }
}

bool ConnectionOptions::names(std::string_view field) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (asciiIequals(tokens_[i], field)) return true;
  }
  return false;
}

bool shouldDropField(std::string_view name, const ConnectionOptions& connection,
                     std::span<const std::string_view> remove) {
  if (isHopByHop(name) || connection.names(name)) return true;
  for (std::string_view r : remove) {
    if (asciiIequals(r, name)) return true;
  }
  return false;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

}  // namespace claimgate::http
