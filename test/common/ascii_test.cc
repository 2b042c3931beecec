// ASCII case folding: only A-Z fold, without locale.
#include "common/ascii.h"

#include <gtest/gtest.h>

namespace claimgate {
namespace {

TEST(Ascii, IEquals) {
  EXPECT_TRUE(asciiIequals("Content-Length", "content-length"));
  EXPECT_TRUE(asciiIequals("", ""));
  EXPECT_FALSE(asciiIequals("content-length", "content-lengt"));
  EXPECT_FALSE(asciiIequals("a", "b"));
  // Only ASCII letters fold: '[' (0x5B) is not '{' (0x7B).
  EXPECT_FALSE(asciiIequals("[", "{"));
}

TEST(Ascii, LowerFoldsOnlyAToZ) {
  EXPECT_EQ(asciiLowerCopy("Api.Example.COM:8080"), "api.example.com:8080");
  EXPECT_EQ(asciiLower('@'), '@');  // 0x40, just before 'A'
  EXPECT_EQ(asciiLower('['), '[');  // 0x5B, just after 'Z'
  EXPECT_EQ(asciiLower('\xC9'), '\xC9');  // Latin-1 'É': not folded, whatever the locale
}

}  // namespace
}  // namespace claimgate
