// Request matchers, table-driven: one row per (matcher, request) with the expected answer.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/loader.h"
#include "router/matchers.h"

namespace claimgate::router {
namespace {

struct Req {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Compiles the matchers of `matchers_yaml` (a YAML list) through the real loader.
MatcherSet compile(const std::string& matchers_yaml, std::uint32_t port = 8080) {
  config::Diagnostics d;
  auto set = config::loadConfigFromString(
      "apiVersion: networking.gloo.solo.io/v2\nkind: RouteTable\nmetadata: {name: t}\nspec:\n"
      "  http:\n  - directResponse: {status: 200}\n    matchers: " +
          matchers_yaml + "\n",
      "m.yaml", d);
  EXPECT_FALSE(d.hasErrors()) << d.formatAll();
  std::vector<MatcherError> errors;
  auto m = compileMatchers(set.route_tables.at(0).http.at(0).matchers, port, errors);
  EXPECT_TRUE(errors.empty());
  return m;
}

bool matches(const MatcherSet& m, const Req& r) {
  std::vector<HeaderView> hv;
  for (const auto& [n, v] : r.headers) hv.push_back({n, v});
  RequestHead head{r.method, r.path, r.query, "example.com", hv};
  return m.match(head).has_value();
}

struct Case {
  const char* matchers;
  Req req;
  bool want;
};

TEST(Matchers, Table) {
  const std::vector<Case> cases = {
      // No matchers = everything.
      {"[]", {"POST", "/anything"}, true},
      // uri exact / prefix / regex, ignoreCase.
      {"[{uri: {exact: /get}}]", {"GET", "/get"}, true},
      {"[{uri: {exact: /get}}]", {"GET", "/get/"}, false},
      {"[{uri: {exact: /get}}]", {"GET", "/GET"}, false},
      {"[{uri: {exact: /get, ignoreCase: true}}]", {"GET", "/GET"}, true},
      {"[{uri: {prefix: /get}}]", {"GET", "/getx"}, true},  // a plain string prefix
      {"[{uri: {prefix: /get}}]", {"GET", "/ge"}, false},
      {"[{uri: {prefix: /myapp, ignoreCase: true}}]", {"GET", "/MyApp/x"}, true},
      {"[{uri: {prefix: api/v1}}]", {"GET", "/api/v1/x"}, false},  // no leading '/': never
      {"[{uri: {regex: '/items/[0-9]+'}}]", {"GET", "/items/42"}, true},
      {"[{uri: {regex: '/items/[0-9]+'}}]", {"GET", "/items/42/x"}, false},  // full match
      {"[{uri: {regex: '/items/[0-9]+'}}]", {"GET", "/x/items/42"}, false},
      // The query string is not part of the path.
      {"[{uri: {exact: /get}}]", {"GET", "/get", "a=1"}, true},
      // method, case-sensitive.
      {"[{method: POST}]", {"POST", "/"}, true},
      {"[{method: POST}]", {"GET", "/"}, false},
      // headers: exact, regex, presence, invertMatch; names case-insensitive.
      {"[{headers: [{name: X-Env, value: prod}]}]", {"GET", "/", "", {{"x-env", "prod"}}}, true},
      {"[{headers: [{name: X-Env, value: prod}]}]", {"GET", "/", "", {{"x-env", "Prod"}}}, false},
      {"[{headers: [{name: X-Env, value: prod}]}]", {"GET", "/", "", {}}, false},
      {"[{headers: [{name: x-env, value: 'p.*', regex: true}]}]", {"GET", "/", "", {{"X-ENV", "prod"}}}, true},
      {"[{headers: [{name: x-env, value: 'p.*', regex: true}]}]", {"GET", "/", "", {{"X-ENV", "dev"}}}, false},
      {"[{headers: [{name: x-env}]}]", {"GET", "/", "", {{"x-env", ""}}}, true},
      {"[{headers: [{name: x-env}]}]", {"GET", "/", "", {}}, false},
      {"[{headers: [{name: x-env, invertMatch: true}]}]", {"GET", "/", "", {}}, true},
      {"[{headers: [{name: x-env, invertMatch: true}]}]", {"GET", "/", "", {{"x-env", "a"}}}, false},
      {"[{headers: [{name: x-env, value: prod, invertMatch: true}]}]", {"GET", "/", "", {{"x-env", "dev"}}}, true},
      {"[{headers: [{name: x-env, value: prod, invertMatch: true}]}]", {"GET", "/", "", {{"x-env", "prod"}}}, false},
      // A repeated header is matched as its values joined with ',' (Envoy).
      {"[{headers: [{name: x-a, value: '1,2'}]}]", {"GET", "/", "", {{"x-a", "1"}, {"X-A", "2"}}}, true},
      {"[{headers: [{name: x-a, value: '1'}]}]", {"GET", "/", "", {{"x-a", "1"}, {"x-a", "2"}}}, false},
      // query parameters: exact, regex, presence; first occurrence; not decoded.
      {"[{queryParameters: [{name: version, value: stage}]}]", {"GET", "/", "version=stage"}, true},
      {"[{queryParameters: [{name: version, value: stage}]}]", {"GET", "/", "a=1&version=prod"}, false},
      {"[{queryParameters: [{name: version, value: stage}]}]", {"GET", "/", "version=prod&version=stage"}, false},
      {"[{queryParameters: [{name: v, value: 's.*', regex: true}]}]", {"GET", "/", "v=stage"}, true},
      {"[{queryParameters: [{name: v}]}]", {"GET", "/", "v"}, true},
      {"[{queryParameters: [{name: v}]}]", {"GET", "/", "vv=1"}, false},
      {"[{queryParameters: [{name: v, value: 'a b'}]}]", {"GET", "/", "v=a%20b"}, false},
      // AND inside one matcher, OR across matchers.
      {"[{uri: {prefix: /a}, method: POST}]", {"GET", "/a"}, false},
      {"[{uri: {prefix: /a}, method: POST}]", {"POST", "/a"}, true},
      {"[{uri: {exact: /get}}, {uri: {prefix: /anything}}]", {"GET", "/anything/x"}, true},
      {"[{uri: {exact: /get}}, {uri: {prefix: /anything}}]", {"GET", "/status"}, false},
      // port: a matcher for another listener never matches.
      {"[{port: 8080}]", {"GET", "/"}, true},
      {"[{port: 9090}]", {"GET", "/"}, false},
  };
  for (const auto& c : cases) {
    auto m = compile(c.matchers);
    EXPECT_EQ(matches(m, c.req), c.want)
        << c.matchers << " on " << c.req.method << " " << c.req.path << "?" << c.req.query;
  }
}

PathFilter filterOf(const std::string& matchers_yaml, std::uint32_t port = 8080) {
  return PathFilter::forChain({std::make_shared<const MatcherSet>(compile(matchers_yaml, port))});
}

TEST(PathFilter, Table) {
  struct Row {
    const char* matchers;
    std::vector<std::string> prefixes;  // empty: any path
    bool never = false;
  };
  const std::vector<Row> rows = {
      {"[]", {}},
      {"[{uri: {exact: /get}}]", {"/get"}},
      {"[{uri: {prefix: /api/v1}}]", {"/api/v1"}},
      {"[{uri: {prefix: /api, ignoreCase: true}}]", {}},  // case-insensitive: no literal
      {"[{uri: {suffix: .png}}]", {}},
      {"[{uri: {regex: '/items/[0-9]+'}}]", {"/items/"}},
      {"[{uri: {regex: '/v[12]/users'}}]", {"/v"}},
      {"[{uri: {regex: '.*/health'}}]", {}},
      {"[{uri: {regex: '(?i)/admin'}}]", {}},  // "/ADMIN" .. "/admin": only "/" in common
      {"[{method: POST}]", {}},                // no uri: implicit prefix "/"
      {"[{uri: {exact: /a}}, {uri: {prefix: /b}}]", {"/a", "/b"}},
      {"[{uri: {exact: /a}}, {headers: [{name: x}]}]", {}},  // one alternative has no uri
      {"[{uri: {prefix: /a}, port: 9090}, {uri: {prefix: /b}}]", {"/b"}},  // other port skipped
      {"[{uri: {prefix: /a}, port: 9090}]", {}, true},
  };
  for (const auto& r : rows) {
    PathFilter f = filterOf(r.matchers);
    EXPECT_EQ(f.never(), r.never) << r.matchers;
    std::vector<std::string> got = f.prefixes();
    if (r.matchers == std::string("[{uri: {regex: '(?i)/admin'}}]")) {
      EXPECT_TRUE(got.empty() || got == std::vector<std::string>{"/"}) << r.matchers;
      continue;
    }
    EXPECT_EQ(got, r.prefixes) << r.matchers;
  }
}

TEST(PathFilter, ChainTakesTheMostSelectiveLevel) {
  auto outer = std::make_shared<const MatcherSet>(compile("[{uri: {prefix: /api}}]"));
  auto inner = std::make_shared<const MatcherSet>(compile("[{uri: {prefix: /api/v1/users}}]"));
  auto any = std::make_shared<const MatcherSet>(compile("[]"));
  PathFilter f = PathFilter::forChain({outer, any, inner});
  EXPECT_EQ(f.prefixes(), std::vector<std::string>{"/api/v1/users"});
  EXPECT_TRUE(f.mayMatch("/api/v1/users/7"));
  EXPECT_FALSE(f.mayMatch("/api/v1/orders"));
  auto other_port = std::make_shared<const MatcherSet>(compile("[{port: 1}]"));
  EXPECT_FALSE(PathFilter::forChain({outer, other_port}).mayMatch("/api"));
}

// The filter is only a shortcut: whenever the matchers match a path, the filter must let it
// through. Checked over matchers × generated paths.
TEST(PathFilter, NeverRejectsAPathTheMatchersAccept) {
  const std::vector<std::string> matchers = {
      "[]", "[{uri: {exact: /get}}]", "[{uri: {prefix: /get}}]", "[{uri: {prefix: /a/b}}]",
      "[{uri: {prefix: /A, ignoreCase: true}}]", "[{uri: {exact: /a/B, ignoreCase: true}}]",
      "[{uri: {suffix: /b}}]", "[{uri: {regex: '/items/[0-9]+'}}]", "[{uri: {regex: '/a.*'}}]",
      "[{uri: {regex: '/(a|b)/c'}}]", "[{uri: {regex: '(/a)?/b'}}]", "[{uri: {regex: '[/]a+'}}]",
      "[{uri: {regex: '(?i)/a/b'}}]", "[{uri: {regex: '/a|/b/.*'}}]", "[{uri: {regex: '.*'}}]",
      "[{uri: {exact: /a}}, {uri: {regex: '/b[0-9]'}}]", "[{uri: {prefix: /a}, method: POST}]",
  };
  std::vector<std::string> paths = {"", "/"};
  const std::vector<std::string> parts = {"/", "a", "A", "b", "B", "/a", "/b", "/get", "/items",
                                          "/1", "42", "c", "/c", "x"};
  for (const auto& p1 : parts)
    for (const auto& p2 : parts)
      for (const auto& p3 : parts) paths.push_back(p1 + p2 + p3);
  std::size_t accepted = 0, skipped = 0;
  for (const auto& yaml : matchers) {
    MatcherSet m = compile(yaml);
    PathFilter f = filterOf(yaml);
    for (const auto& path : paths) {
      for (const char* method : {"GET", "POST"}) {
        Req r{method, path};
        const bool match = matches(m, r);
        accepted += match;
        skipped += !f.mayMatch(path);
        if (match) {
          EXPECT_TRUE(f.mayMatch(path)) << yaml << " accepts " << path << " but the filter does not";
        }
      }
    }
  }
  EXPECT_GT(accepted, 100u);  // the generated paths exercise the matchers
  EXPECT_GT(skipped, 1000u);  // and the filter does skip most non-matching work
}

TEST(Matchers, BadRegexIsAnError) {
  config::Diagnostics d;
  auto set = config::loadConfigFromString(
      "apiVersion: networking.gloo.solo.io/v2\nkind: RouteTable\nmetadata: {name: t}\nspec:\n"
      "  http:\n  - directResponse: {status: 200}\n    matchers: [{uri: {regex: '(unclosed'}}, "
      "{headers: [{name: a, value: '[', regex: true}]}]\n",
      "m.yaml", d);
  std::vector<MatcherError> errors;
  compileMatchers(set.route_tables.at(0).http.at(0).matchers, 80, errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].field, "matchers[0].uri.regex");
  EXPECT_EQ(errors[1].field, "matchers[1].headers[0].value");
}

TEST(Matchers, FindQueryParameter) {
  EXPECT_EQ(findQueryParameter("a=1&b=2", "b"), "2");
  EXPECT_EQ(findQueryParameter("a=1&b=2&b=3", "b"), "2");
  EXPECT_EQ(findQueryParameter("a&b=", "a"), "");
  EXPECT_EQ(findQueryParameter("a&b=", "b"), "");
  EXPECT_FALSE(findQueryParameter("", "a"));
  EXPECT_FALSE(findQueryParameter("ab=1", "a"));
}

}  // namespace
}  // namespace claimgate::router
