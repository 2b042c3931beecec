// Request matchers, table-driven: one row per (matcher, request) with the expected answer.
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
