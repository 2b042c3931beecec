#include "common/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace claimgate {
namespace {

struct Case {
  std::string in;
  bool ok;
  std::string out;
};

TEST(Base64Url, DecodeTable) {
  const Case cases[] = {
      {"", true, ""},
      {"Zg", true, "f"},
      {"Zm8", true, "fo"},
      {"Zm9v", true, "foo"},
      {"Zm9vYg", true, "foob"},
      {"-_8", true, "\xfb\xff"},
      {"Zm9vYg==", false, ""},   // padding is not base64url (RFC 7515 §2)
      {"Zm9v=", false, ""},
      {"Z", false, ""},          // 4n+1 characters cannot encode bytes
      {"Zm9vY", false, ""},
      {"Zm9 v", false, ""},      // whitespace
      {"Zm9v\n", false, ""},
      {"+/8", false, ""},        // standard alphabet
      {"Zh", false, ""},         // non-zero trailing bits ("Zg" is canonical)
      {"Zm9", false, ""},        // "Zm8" is canonical
      {"Zm?v", false, ""},
      {std::string("Zm\0v", 4), false, ""},
      {"\xc3\xa9Zm", false, ""},
  };
  for (const auto& c : cases) {
    std::string out = "garbage";
    EXPECT_EQ(base64UrlDecode(c.in, out), c.ok) << "input: " << c.in;
    if (c.ok) {
      EXPECT_EQ(out, c.out) << "input: " << c.in;
    }
  }
}

TEST(Base64Url, RoundTripAllLengthsAndBytes) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    data.push_back(static_cast<char>((i * 131 + 7) & 0xff));
    const std::string enc = base64UrlEncode(data);
    EXPECT_EQ(enc.find_first_of("=+/"), std::string::npos);
    std::string dec;
    ASSERT_TRUE(base64UrlDecode(enc, dec)) << i;
    EXPECT_EQ(dec, data);
  }
}

TEST(Base64Std, DecodeTable) {
  const Case cases[] = {
      {"", true, ""},
      {"Zg==", true, "f"},
      {"Zm8=", true, "fo"},
      {"Zm9v", true, "foo"},
      {"+/8=", true, "\xfb\xff"},
      {"Zg", false, ""},        // padding is required (Kubernetes Secret data is padded)
      {"Zg=", false, ""},
      {"Z===", false, ""},
      {"Zg==Zg==", false, ""},  // padding only at the end
      {"Zh==", false, ""},      // non-zero trailing bits
      {"-_8=", false, ""},      // url alphabet
      {"Zm9v\n", false, ""},
  };
  for (const auto& c : cases) {
    std::string out;
    EXPECT_EQ(base64Decode(c.in, out), c.ok) << "input: " << c.in;
    if (c.ok) {
      EXPECT_EQ(out, c.out) << "input: " << c.in;
    }
  }
}

TEST(Base64Std, RoundTrip) {
  std::string data;
  for (int i = 0; i < 100; ++i) {
    data.push_back(static_cast<char>(255 - i));
    std::string dec;
    ASSERT_TRUE(base64Decode(base64Encode(data), dec));
    EXPECT_EQ(dec, data);
  }
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
}

}  // namespace
}  // namespace claimgate
