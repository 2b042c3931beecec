// Every seed of the token and jwks fuzz corpora is a valid input: tokens parse (kOk) and key
// files load. The seeds were written once by a throw-away program using jwt/signer.h
// (generatePrivateKey, signToken, publicJwkJson, publicKeyPem and OpenSSL's "type-specific"
// PEM encoder for the PKCS#1 file); the keys are random test keys, never used elsewhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "jwt/jwks.h"
#include "jwt/jwt.h"

namespace claimgate::jwt {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> seeds(const char* name) {
  std::vector<fs::path> out;
  const fs::path dir = fs::path(CLAIMGATE_SOURCE_DIR) / "test" / "fuzz" / "corpus" / name;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  return out;
}

TEST(JwtCorpus, EveryTokenSeedParses) {
  const auto files = seeds("token");
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) {
    Jwt jwt;
    const JwtStatus s = jwt.parse(readFile(f));
    EXPECT_EQ(s, JwtStatus::kOk) << f << ": " << statusText(s);
  }
}

TEST(JwtCorpus, EveryJwksSeedLoads) {
  const auto files = seeds("jwks");
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) {
    JwtStatus s;
    std::string detail;
    const auto jwks = Jwks::fromAny(readFile(f), &s, &detail);
    EXPECT_TRUE(jwks != nullptr) << f << ": " << statusText(s) << " " << detail;
    if (jwks) {
      EXPECT_FALSE(jwks->keys().empty()) << f;
    }
  }
}

}  // namespace
}  // namespace claimgate::jwt
