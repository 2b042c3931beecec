// The hand-written head writer against Beast's own serializer: the same bytes for requests and
// responses, with known and unknown methods, fields and reasons, and HTTP/1.0.
#include "net/head_writer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace claimgate::net::detail {
namespace {

namespace bh = boost::beast::http;

template <bool isRequest>
std::string beastHead(const bh::header<isRequest>& h) {
  std::ostringstream os;
  os << h;
  return os.str();
}

template <bool isRequest>
bh::header<isRequest> parseHead(std::string_view text) {
  bh::parser<isRequest, bh::empty_body> p;
  p.eager(false);
  boost::beast::error_code ec;
  p.put(boost::asio::buffer(text.data(), text.size()), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(p.is_header_done());
  return p.release().base();
}

TEST(HeadWriter, RequestsMatchBeast) {
  const char* cases[] = {
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /x?y=1&z HTTP/1.1\r\nHost: a.example:8080\r\nContent-Length: 3\r\nX-Custom: v v\r\n"
      "x-lower: \r\nAuthorization: Bearer abc.def.ghi\r\n\r\n",
      "PURGE /cache HTTP/1.0\r\nhost: b\r\n\r\n",  // a method Beast does not know
      "OPTIONS * HTTP/1.1\r\nHost: c\r\nX-A: 1\r\nX-A: 2\r\n\r\n",
  };
  for (const char* text : cases) {
    auto h = parseHead<true>(text);
    std::string out;
    appendRequestHead(out, h);
    EXPECT_EQ(out, beastHead(h)) << text;
    EXPECT_EQ(out, text);  // nothing reordered or re-cased
  }
}

TEST(HeadWriter, RewrittenRequestMatchesBeast) {
  auto h = parseHead<true>("GET /old HTTP/1.0\r\nHost: a\r\nConnection: close\r\n\r\n");
  h.erase(bh::field::connection);
  h.target("/new");
  h.set(bh::field::host, "upstream.internal");
  h.insert("x-forwarded-for", "127.0.0.1");
  h.version(11);
  std::string out;
  appendRequestHead(out, h);
  EXPECT_EQ(out, beastHead(h));
  EXPECT_EQ(out, "GET /new HTTP/1.1\r\nHost: upstream.internal\r\nx-forwarded-for: 127.0.0.1\r\n\r\n");
}

TEST(HeadWriter, ResponsesMatchBeast) {
  const char* cases[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: nginx\r\n\r\n",
      "HTTP/1.1 404 Not Here At All\r\nContent-Length: 0\r\n\r\n",  // the upstream's own reason
      "HTTP/1.0 204 No Content\r\n\r\n",
      "HTTP/1.1 599 Whatever\r\nX: y\r\n\r\n",
  };
  for (const char* text : cases) {
    auto h = parseHead<false>(text);
    std::string out;
    appendResponseHead(out, h);
    EXPECT_EQ(out, beastHead(h)) << text;
    EXPECT_EQ(out, text);
  }
}

TEST(HeadWriter, EmptyReasonGetsTheStandardPhrase) {
  auto h = parseHead<false>("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n");
  h.version(10);
  std::string out;
  appendResponseHead(out, h);
  EXPECT_EQ(out, beastHead(h));
  EXPECT_EQ(out, "HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
}

TEST(HeadWriter, AppendsToWhatIsThere) {
  auto h = parseHead<false>("HTTP/1.1 200 OK\r\n\r\n");
  std::string out = "prefix|";
  appendResponseHead(out, h);
  EXPECT_EQ(out, "prefix|HTTP/1.1 200 OK\r\n\r\n");
}

}  // namespace
}  // namespace claimgate::net::detail
