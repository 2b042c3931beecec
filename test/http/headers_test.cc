// Hop-by-hop rules (RFC 9110 §7.6.1), Connection options and small header helpers.
#include "http/headers.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "http/request.h"

namespace claimgate::http {
namespace {

TEST(Headers, HopByHopFieldsInAnyCase) {
  for (const char* name : {"Connection", "keep-alive", "Proxy-Connection", "TE", "Trailer",
                           "transfer-encoding", "UPGRADE"}) {
    EXPECT_TRUE(isHopByHop(name)) << name;
  }
  for (const char* name : {"content-length", "host", "x-auth", "authorization", "tes", "t",
                           "trailers", "connection2", "content-type", "x-forwarded-for"}) {
    EXPECT_FALSE(isHopByHop(name)) << name;
  }
}

TEST(Headers, ConnectionOptionsNameFields) {
  ConnectionOptions o;
  o.add(" X-Secret ,close,, keep-alive\t");
  o.add("x-other");
  EXPECT_TRUE(o.names("x-secret"));
  EXPECT_TRUE(o.names("X-OTHER"));
  EXPECT_TRUE(o.names("Keep-Alive"));
  EXPECT_FALSE(o.names("x-secret2"));
  EXPECT_TRUE(o.hasClose());
  ConnectionOptions empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.hasClose());
}

TEST(Headers, ShouldDropField) {
  ConnectionOptions o;
  o.add("x-hop");
  std::array<std::string_view, 2> remove{"X-Jwt-Payload", "x-org"};
  EXPECT_TRUE(shouldDropField("te", o, remove));
  EXPECT_TRUE(shouldDropField("X-Hop", o, remove));
  EXPECT_TRUE(shouldDropField("x-jwt-payload", o, remove));
  EXPECT_TRUE(shouldDropField("X-ORG", o, remove));
  EXPECT_FALSE(shouldDropField("x-org2", o, remove));
  EXPECT_FALSE(shouldDropField("accept", o, remove));
}

TEST(Headers, ReasonPhrases) {
  EXPECT_EQ(reasonPhrase(401), "Unauthorized");
  EXPECT_EQ(reasonPhrase(403), "Forbidden");
  EXPECT_EQ(reasonPhrase(404), "Not Found");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(reasonPhrase(504), "Gateway Timeout");
  EXPECT_EQ(reasonPhrase(299), "Unknown");
}

TEST(Headers, TrimOws) {
  EXPECT_EQ(trimOws(" \t a b \t"), "a b");
  EXPECT_EQ(trimOws("   "), "");
}

TEST(RequestHead, PathQueryAndHeaderLookup) {
  std::array<HeaderView, 3> fields{{{"Host", "h"}, {"X-Auth", "Bearer 1"}, {"x-auth", "Bearer 2"}}};
  RequestHead r;
  r.target = "/get?x=1&y=2";
  r.headers = fields;
  EXPECT_EQ(r.path(), "/get");
  EXPECT_EQ(r.query(), "x=1&y=2");
  EXPECT_EQ(r.header("x-AUTH"), "Bearer 1");
  EXPECT_EQ(r.header("missing"), "");
  r.target = "/plain";
  EXPECT_EQ(r.path(), "/plain");
  EXPECT_EQ(r.query(), "");
}

}  // namespace
}  // namespace claimgate::http
