// Extractor: Envoy jwt_authn extractor.cc rules (envoy-jwt-semantics.md §3), one row per rule.
#include "jwt/extractor.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace claimgate::jwt {
namespace {

struct Found {
  std::string location;  // "h:<name>|<prefix>", "q:<name>", "c:<name>"
  std::string token;
  bool operator==(const Found&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << "{" << f.location << ", \"" << f.token << "\"}";
}

struct Case {
  const char* name;
  TokenLocations locations;
  std::vector<HeaderView> headers;
  const char* target;
  std::vector<Found> want;
};

TokenLocations hdr(std::string name, std::string prefix) {
  return TokenLocations{{HeaderLocation{std::move(name), std::move(prefix)}}, {}, {}};
}
TokenLocations query(std::string name) { return TokenLocations{{}, {std::move(name)}, {}}; }
TokenLocations cookie(std::string name) { return TokenLocations{{}, {}, {std::move(name)}}; }

std::string describe(const Location& l) {
  switch (l.kind) {
    case LocationKind::kHeader: return "h:" + l.name + "|" + l.prefix;
    case LocationKind::kQuery: return "q:" + l.name;
    case LocationKind::kCookie: return "c:" + l.name;
  }
  return "?";
}

std::vector<Found> extractAll(const Extractor& ex, const std::vector<HeaderView>& headers,
                              std::string_view target) {
  TokenList tokens;
  ex.extract(RequestView{headers, target}, tokens);
  std::vector<Found> out;
  for (const auto& t : tokens) {
    out.push_back(Found{describe(ex.locations()[t.location()]), std::string(t.value())});
  }
  return out;
}

const char* const kDefH = "h:authorization|Bearer ";

const Case kCases[] = {
    // Defaults: Authorization "Bearer " and ?access_token, only when nothing is configured.
    {"default_header", {}, {{"Authorization", "Bearer a.b.c"}}, "/", {{kDefH, "a.b.c"}}},
    {"default_query", {}, {}, "/p?access_token=a.b.c", {{"q:access_token", "a.b.c"}}},
    {"default_both_header_first", {}, {{"authorization", "Bearer h.h.h"}}, "/?access_token=q.q.q",
     {{kDefH, "h.h.h"}, {"q:access_token", "q.q.q"}}},
    {"configured_header_disables_defaults", hdr("X-Auth", "Bearer "), {{"Authorization", "Bearer a.b.c"}},
     "/?access_token=x", {}},
    {"configured_cookie_disables_defaults", cookie("session"), {{"Authorization", "Bearer a.b.c"}}, "/", {}},
    // Header name case-insensitive; prefix case-sensitive, anywhere in the value.
    {"header_name_case", hdr("X-Auth", "Bearer "), {{"x-AUTH", "Bearer t.t.t"}}, "/", {{"h:x-auth|Bearer ", "t.t.t"}}},
    {"prefix_case_sensitive", {}, {{"Authorization", "bearer a.b.c"}}, "/", {}},
    {"value_without_prefix_absent", {}, {{"Authorization", "Basic Zm9v"}}, "/", {}},
    {"prefix_anywhere", {}, {{"Authorization", "xx Bearer a.b.c"}}, "/", {{kDefH, "a.b.c"}}},
    {"leading_junk_skipped", hdr("X", "Bearer"), {{"X", "Bearer  \t\"a.b.c\""}}, "/", {{"h:x|Bearer", "a.b.c\""}}},
    {"trailing_junk_kept", {}, {{"Authorization", "Bearer a.b.c junk"}}, "/", {{kDefH, "a.b.c junk"}}},
    {"no_token_char_whole_value", {}, {{"Authorization", "Bearer "}}, "/", {{kDefH, "Bearer "}}},
    {"no_token_char_after_junk", hdr("X", "T:"), {{"X", "T: !!"}}, "/", {{"h:x|T:", "T: !!"}}},
    {"empty_prefix_whole_value", hdr("jwt", ""), {{"jwt", " a.b.c "}}, "/", {{"h:jwt|", " a.b.c "}}},
    {"empty_prefix_empty_value", hdr("jwt", ""), {{"jwt", ""}}, "/", {{"h:jwt|", ""}}},
    {"repeated_header_every_value", hdr("jwt", ""), {{"jwt", "one"}, {"other", "x"}, {"JWT", "two"}}, "/",
     {{"h:jwt|", "one"}, {"h:jwt|", "two"}}},
    {"repeated_header_skips_unprefixed", {}, {{"Authorization", "Basic x"}, {"Authorization", "Bearer b.b.b"}}, "/",
     {{kDefH, "b.b.b"}}},
    // Query: first occurrence, percent-decoded; '+' kept.
    {"query_first_occurrence", query("t"), {}, "/x?t=first&t=second", {{"q:t", "first"}}},
    {"query_decoded", query("t"), {}, "/x?a=1&t=a%2Eb%2ec", {{"q:t", "a.b.c"}}},
    {"query_plus_kept", query("t"), {}, "/x?t=a+b", {{"q:t", "a+b"}}},
    {"query_bad_escape_kept", query("t"), {}, "/x?t=a%zz%4", {{"q:t", "a%zz%4"}}},
    {"query_encoded_name", query("auth_token"), {}, "/x?auth%5Ftoken=v", {{"q:auth_token", "v"}}},
    {"query_empty_value", query("t"), {}, "/x?t=", {{"q:t", ""}}},
    {"query_name_only", query("t"), {}, "/x?t", {{"q:t", ""}}},
    {"query_name_exact", query("t"), {}, "/x?tt=1&at=2", {}},
    {"query_none", query("t"), {}, "/x", {}},
    {"query_not_in_path", query("t"), {}, "/t=1", {}},
    {"query_fragment_cut", query("t"), {}, "/x?t=v#frag", {{"q:t", "v"}}},
    {"query_empty_pairs", query("t"), {}, "/x?&&t=v&", {{"q:t", "v"}}},
    // Cookies: split on ';', first occurrence, quotes stripped, every Cookie field.
    {"cookie_basic", cookie("session"), {{"Cookie", "a=1; session=s.s.s; b=2"}}, "/", {{"c:session", "s.s.s"}}},
    {"cookie_first_occurrence", cookie("s"), {{"Cookie", "s=1; s=2"}, {"cookie", "s=3"}}, "/", {{"c:s", "1"}}},
    {"cookie_second_field", cookie("s"), {{"Cookie", "a=1"}, {"cookie", "s=3"}}, "/", {{"c:s", "3"}}},
    {"cookie_quotes_stripped", cookie("s"), {{"Cookie", "s=\"q.q.q\""}}, "/", {{"c:s", "q.q.q"}}},
    {"cookie_lone_quote_kept", cookie("s"), {{"Cookie", "s=\""}}, "/", {{"c:s", "\""}}},
    {"cookie_name_case_sensitive", cookie("s"), {{"Cookie", "S=1"}}, "/", {}},
    {"cookie_no_equals", cookie("s"), {{"Cookie", "s; t=1"}}, "/", {}},
    // Several locations: headers, then query parameters, then cookies, in configuration order.
    {"all_kinds_in_order", TokenLocations{{HeaderLocation{"A", ""}, HeaderLocation{"B", ""}}, {"q1", "q2"}, {"c"}},
     {{"Cookie", "c=cv"}, {"b", "bv"}, {"a", "av"}}, "/?q2=2&q1=1",
     {{"h:a|", "av"}, {"h:b|", "bv"}, {"q:q1", "1"}, {"q:q2", "2"}, {"c:c", "cv"}}},
    {"same_header_two_prefixes", TokenLocations{{HeaderLocation{"X", "A "}, HeaderLocation{"X", "B "}}, {}, {}},
     {{"X", "A a.a.a"}, {"X", "B b.b.b"}}, "/", {{"h:x|A ", "a.a.a"}, {"h:x|B ", "b.b.b"}}},
};

class ExtractorTable : public ::testing::TestWithParam<Case> {};

TEST_P(ExtractorTable, Finds) {
  const Case& c = GetParam();
  Extractor ex({c.locations});
  EXPECT_EQ(extractAll(ex, c.headers, c.target), c.want);
}

INSTANTIATE_TEST_SUITE_P(Rules, ExtractorTable, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Extractor, SharedLocationsRecordEveryProvider) {
  Extractor ex({hdr("X-Auth", "Bearer "), TokenLocations{{HeaderLocation{"x-auth", "Bearer "}}, {"t"}, {}}, {}});
  ASSERT_EQ(ex.locations().size(), 4u);
  EXPECT_EQ(describe(ex.locations()[0]), "h:x-auth|Bearer ");
  EXPECT_EQ(ex.locations()[0].providers, 0b011u);  // providers 0 and 1
  EXPECT_EQ(describe(ex.locations()[1]), "h:authorization|Bearer ");
  EXPECT_EQ(ex.locations()[1].providers, 0b100u);  // provider 2's defaults
  EXPECT_EQ(describe(ex.locations()[2]), "q:t");
  EXPECT_EQ(ex.locations()[2].providers, 0b010u);
  EXPECT_EQ(describe(ex.locations()[3]), "q:access_token");
  EXPECT_EQ(ex.locations()[3].providers, 0b100u);
}

TEST(Extractor, RefusesBadConfig) {
  EXPECT_THROW(Extractor({hdr("", "x")}), std::invalid_argument);
  EXPECT_THROW(Extractor({query("")}), std::invalid_argument);
  EXPECT_THROW(Extractor({cookie("")}), std::invalid_argument);
  EXPECT_THROW(Extractor(std::vector<TokenLocations>(kMaxProviders + 1)), std::invalid_argument);
  EXPECT_NO_THROW(Extractor(std::vector<TokenLocations>(kMaxProviders)));
}

struct RemoveCase {
  const char* target;
  std::vector<std::string_view> names;
  const char* want;
};

TEST(RemoveQueryParams, KeepsTheRestByteForByte) {
  const RemoveCase cases[] = {
      {"/p?access_token=x", {"access_token"}, "/p"},
      {"/p?a=1&access_token=x&b=%20", {"access_token"}, "/p?a=1&b=%20"},
      {"/p?access_token=x&access_token=y&a", {"access_token"}, "/p?a"},
      {"/p?access%5Ftoken=x&a=1", {"access_token"}, "/p?a=1"},
      {"/p?t=1&u=2&v=3", {"t", "v"}, "/p?u=2"},
      {"/p?tt=1", {"t"}, "/p?tt=1"},
      {"/p", {"t"}, "/p"},
      {"/p?t=1", {}, "/p?t=1"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(removeQueryParams(c.target, c.names), c.want) << c.target;
  }
}

TEST(PercentDecode, Rules) {
  EXPECT_EQ(percentDecode("a%41%4a%4A"), "aAJJ");
  EXPECT_EQ(percentDecode("%"), "%");
  EXPECT_EQ(percentDecode("%4"), "%4");
  EXPECT_EQ(percentDecode("%G1"), "%G1");
  EXPECT_EQ(percentDecode("%00x"), std::string("\0x", 2));
}

}  // namespace
}  // namespace claimgate::jwt
