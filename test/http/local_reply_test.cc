// LocalReply bytes on the wire: status line, content-type, exact content-length, body (DESIGN §3).
#include "http/local_reply.h"

#include <gtest/gtest.h>

#include <string>

#include "http/headers.h"

namespace claimgate::http {
namespace {

struct Case {
  const char* name;
  LocalReply reply;
  int status;
  std::string body;
};

class LocalReplyTable : public ::testing::TestWithParam<Case> {};

TEST_P(LocalReplyTable, ExactBytes) {
  const Case& c = GetParam();
  std::string out;
  appendLocalReply(out, c.reply, ReplyFraming{});
  std::string expected = "HTTP/1.1 " + std::to_string(c.status) + " " +
                         std::string(reasonPhrase(c.status)) + "\r\n" +
                         "content-length: " + std::to_string(c.body.size()) + "\r\n" +
                         "content-type: text/plain\r\n\r\n" + c.body;
  EXPECT_EQ(out, expected);
}

INSTANTIATE_TEST_SUITE_P(
    EnvoyTexts, LocalReplyTable,
    ::testing::Values(
        Case{"NoRoute", LocalReply::noRoute(), 404, ""},
        Case{"ConnectFailure", LocalReply::upstreamConnectFailure(), 503,
             "upstream connect error or disconnect/reset before headers. reset reason: connection failure"},
        Case{"Reset", LocalReply::upstreamReset(), 503,
             "upstream connect error or disconnect/reset before headers. reset reason: connection termination"},
        Case{"Timeout", LocalReply::upstreamTimeout(), 504, "upstream request timeout"},
        Case{"NoHealthy", LocalReply::noHealthyUpstream(), 503, "no healthy upstream"},
        Case{"BadRequest", LocalReply::protocolError(400), 400, "Bad Request"},
        Case{"HeadTooLarge", LocalReply::protocolError(431), 431, "Request Header Fields Too Large"},
        Case{"NotImplemented", LocalReply::protocolError(501), 501, "Not Implemented"},
        Case{"Rbac", LocalReply::text(403, "RBAC: access denied"), 403, "RBAC: access denied"},
        Case{"Missing", LocalReply::text(401, "Jwt is missing"), 401, "Jwt is missing"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(LocalReply, ExtraHeadersDateServerAndClose) {
  std::string out;
  LocalReply r = LocalReply::text(401, "Jwt is missing")
                     .withHeader("www-authenticate", R"(Bearer realm="http://h/p?q=1")");
  ReplyFraming f;
  f.close = true;
  f.date = "Sat, 28 Nov 2026 14:27:20 GMT";
  f.server = "claimgate";
  appendLocalReply(out, r, f);
  EXPECT_EQ(out,
            "HTTP/1.1 401 Unauthorized\r\n"
            "content-length: 14\r\n"
            "content-type: text/plain\r\n"
            "www-authenticate: Bearer realm=\"http://h/p?q=1\"\r\n"
            "date: Sat, 28 Nov 2026 14:27:20 GMT\r\n"
            "server: claimgate\r\n"
            "connection: close\r\n"
            "\r\n"
            "Jwt is missing");
}

TEST(LocalReply, HeadRequestKeepsLengthButNoBody) {
  std::string out;
  ReplyFraming f;
  f.head_request = true;
  appendLocalReply(out, LocalReply::text(403, "RBAC: access denied"), f);
  EXPECT_EQ(out,
            "HTTP/1.1 403 Forbidden\r\ncontent-length: 19\r\ncontent-type: text/plain\r\n\r\n");
}

TEST(LocalReply, Http10KeepAlive) {
  std::string out;
  ReplyFraming f;
  f.http10 = true;
  f.keep_alive_10 = true;
  appendLocalReply(out, LocalReply::noRoute(), f);
  EXPECT_EQ(out,
            "HTTP/1.0 404 Not Found\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n"
            "connection: keep-alive\r\n\r\n");
}

TEST(LocalReply, HeaderCapacityIsBounded) {
  LocalReply r = LocalReply::text(401, "x");
  for (int i = 0; i < 10; ++i) r.withHeader("a", "b");
  EXPECT_EQ(r.header_count, LocalReply::kMaxHeaders);
}

TEST(LocalReply, AppendsToExistingBuffer) {
  std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
  appendLocalReply(out, LocalReply::noRoute(), ReplyFraming{});
  EXPECT_EQ(out.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n", 0), 0u);
}

}  // namespace
}  // namespace claimgate::http
