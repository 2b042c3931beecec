// Runs every Wycheproof vector in CLAIMGATE_SHARED_DIR/conformance/wycheproof (read at test
// time, never copied) through the verification code the gateway uses: verifySignature for the
// primitive files, Jwks + Jwt::parse + verifyJwtSignature for json_web_*. The JWS rules of that
// folder's README turn Wycheproof's "valid" into a required answer where JWS is stricter:
//   * acceptable (MissingNull) -> must not be a failure; we expect reject and warn on accept;
//   * rsa_pss_misc: each signature verified as PS256, PS384 and PS512; only tcId 76 / 113 / 150
//     may verify (as PS256 / PS384 / PS512);
//   * HMAC groups with tagSize < digest size: every test must be rejected (full-length MACs);
//   * HMAC keys shorter than the digest: our key policy refuses them (allowed: "policy skip"),
//     but a wrong tag must never be accepted;
//   * json_web_signature quirks: 346/347/350/351 either outcome; 367/370 either; 372/373 reject.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>

#include "common/base64url.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/verify.h"

namespace claimgate::jwt {
namespace {

namespace fs = std::filesystem;
using simdjson::dom::element;

const fs::path kDir = fs::path(CLAIMGATE_SHARED_DIR) / "conformance" / "wycheproof";

std::string hex(std::string_view h) {
  std::string out;
  out.reserve(h.size() / 2);
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(nib(h[i]) * 16 + nib(h[i + 1])));
  }
  return out;
}

// "" when the member is absent or not a string (field sets differ per file family).
std::string str(simdjson::simdjson_result<element> e) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

std::string toJson(element e) { return simdjson::minify(e); }

// Counts per file.
struct Counts {
  int vectors = 0;
  int valid_accepted = 0;
  int invalid_rejected = 0;
  int acceptable_accepted = 0;
  int acceptable_rejected = 0;
  int either = 0;         // README quirks where both outcomes are allowed
  int policy_skips = 0;   // valid, but our documented key policy refuses the key
  int failures = 0;
};

struct Report {
  std::string file;
  Counts c;
  std::vector<std::string> failures;
  std::vector<std::string> warnings;

  // expected: "valid" / "invalid" / "acceptable" / "either" / "policy-valid" (valid, but a key
  // our policy refuses may be rejected).
  void record(int tc_id, std::string_view comment, element flags, std::string_view expected,
              bool accepted) {
    ++c.vectors;
    std::string where = file + " tcId " + std::to_string(tc_id) + " (" + std::string(comment) +
                        ", flags " + (flags.is_array() ? toJson(flags) : std::string("[]")) + ")";
    if (expected == "valid") {
      if (accepted) {
        ++c.valid_accepted;
      } else {
        ++c.failures;
        failures.push_back(where + ": expected valid, got rejected");
      }
    } else if (expected == "invalid") {
      if (!accepted) {
        ++c.invalid_rejected;
      } else {
        ++c.failures;
        failures.push_back(where + ": expected invalid, got ACCEPTED");
      }
    } else if (expected == "acceptable") {
      if (accepted) {
        ++c.acceptable_accepted;
        warnings.push_back(where + ": acceptable vector accepted (README: JWS should reject)");
      } else {
        ++c.acceptable_rejected;
      }
    } else if (expected == "policy-valid") {
      if (accepted) {
        ++c.valid_accepted;
      } else {
        ++c.policy_skips;
      }
    } else {
      ++c.either;
    }
  }
};

std::optional<Alg> algForHash(std::string_view sha, Alg a256, Alg a384, Alg a512) {
  if (sha == "SHA-256") return a256;
  if (sha == "SHA-384") return a384;
  if (sha == "SHA-512") return a512;
  return std::nullopt;
}

std::shared_ptr<const Jwks> loadKey(element group, const char* jwk_field) {
  JwtStatus status;
  element jwk;
  if (jwk_field != nullptr && group[jwk_field].get(jwk) == simdjson::SUCCESS) {
    return Jwks::fromJwkJson(toJson(jwk), &status);
  }
  std::string_view pem;
  if (group["publicKeyPem"].get(pem) == simdjson::SUCCESS) return Jwks::fromPem(pem, &status);
  return nullptr;
}

bool allInvalid(element group) {
  for (element t : group["tests"]) {
    if (str(t["result"]) != "invalid") return false;
  }
  return true;
}

// Primitive signature files: (alg, key, msg, sig).
void runSignatureGroup(Report& r, element group, Alg alg, const char* jwk_field,
                       bool pss_misc = false) {
  const auto jwks = loadKey(group, jwk_field);
  if (!jwks) {
    // A refused key is fine only when every test of the group is invalid anyway.
    const bool ok = allInvalid(group);
    for (element t : group["tests"]) {
      r.record(static_cast<int>(int64_t(t["tcId"])), str(t["comment"]), t["flags"],
               ok ? "invalid" : "valid", false);
    }
    return;
  }
  const Jwk& key = jwks->keys().at(0);
  for (element t : group["tests"]) {
    const int tc = static_cast<int>(int64_t(t["tcId"]));
    const std::string msg = hex(str(t["msg"]));
    const std::string sig = hex(str(t["sig"]));
    if (pss_misc) {
      // One key, every signature tried as PS256, PS384 and PS512 (README).
      for (Alg a : {Alg::kPS256, Alg::kPS384, Alg::kPS512}) {
        const bool may = (a == Alg::kPS256 && tc == 76) || (a == Alg::kPS384 && tc == 113) ||
                         (a == Alg::kPS512 && tc == 150);
        r.record(tc, std::string(str(t["comment"])) + " as " + std::string(algName(a)),
                 t["flags"], may ? "valid" : "invalid", verifySignature(a, key, msg, sig));
      }
      continue;
    }
    r.record(tc, str(t["comment"]), t["flags"], str(t["result"]),
             verifySignature(alg, key, msg, sig));
  }
}

void runMacGroup(Report& r, element group, Alg alg, size_t digest_bits) {
  const bool truncated = static_cast<size_t>(int64_t(group["tagSize"])) < digest_bits;
  const bool short_key = static_cast<size_t>(int64_t(group["keySize"])) < digest_bits;
  for (element t : group["tests"]) {
    Jwk key;
    key.kty = KeyType::kOct;
    key.secret = hex(str(t["key"]));
    const bool accepted = verifySignature(alg, key, hex(str(t["msg"])), hex(str(t["tag"])));
    std::string expected = str(t["result"]);
    if (truncated) expected = "invalid";                            // JWS MACs are full length
    if (short_key && expected == "valid") expected = "policy-valid";  // RFC 7518 §3.2 refusal
    r.record(static_cast<int>(int64_t(t["tcId"])), str(t["comment"]), t["flags"], expected,
             accepted);
  }
}

bool verifyCompact(const std::string& token, const Jwks* jwks) {
  if (jwks == nullptr) return false;
  Jwt jwt;
  if (jwt.parse(token, ParseMode::kJws) != JwtStatus::kOk) return false;
  return verifyJwtSignature(jwt, *jwks) == JwtStatus::kOk;
}

// The gateway's full JWT path must never accept what the JWS layer rejects.
bool verifyAsJwt(const std::string& token, const Jwks* jwks) {
  if (jwks == nullptr) return false;
  Jwt jwt;
  if (jwt.parse(token) != JwtStatus::kOk) return false;
  return verifyJwtSignature(jwt, *jwks) == JwtStatus::kOk;
}

void runJwsFile(Report& r, element root) {
  for (element group : root["testGroups"]) {
    element key;
    if (group["public"].get(key) != simdjson::SUCCESS) key = group["private"];
    JwtStatus status;
    const auto jwks = Jwks::fromJwkJson(toJson(key), &status);
    for (element t : group["tests"]) {
      const int tc = static_cast<int>(int64_t(t["tcId"]));
      const std::string token = str(t["jws"]);
      const bool accepted = verifyCompact(token, jwks.get());
      const bool jwt_accepted = verifyAsJwt(token, jwks.get());
      std::string expected = str(t["result"]);
      if (tc == 346 || tc == 350 || tc == 347 || tc == 351 || tc == 367 || tc == 370) {
        expected = "either";  // README: upstream data quirks
      } else if (tc == 372 || tc == 373) {
        expected = "invalid";  // README: '?' inside a segment must be rejected
      }
      if (jwt_accepted && !accepted) {
        r.failures.push_back(r.file + " tcId " + std::to_string(tc) +
                             ": the JWT path accepted what the JWS path rejected");
        ++r.c.failures;
      }
      if (expected == "invalid" && jwt_accepted) {
        r.failures.push_back(r.file + " tcId " + std::to_string(tc) + ": JWT path ACCEPTED");
        ++r.c.failures;
      }
      r.record(tc, str(t["comment"]), t["flags"], expected, accepted);
    }
  }
}

void runJwkFile(Report& r, element root) {
  for (element group : root["testGroups"]) {
    element keys;
    if (group["public"].get(keys) != simdjson::SUCCESS) keys = group["private"];
    JwtStatus status;
    const auto jwks = Jwks::fromJwksJson(toJson(keys), &status);
    for (element t : group["tests"]) {
      const std::string token = str(t["jws"]);
      const bool accepted = verifyCompact(token, jwks.get());
      if (str(t["result"]) == "invalid" && verifyAsJwt(token, jwks.get())) {
        r.failures.push_back(r.file + ": JWT path ACCEPTED an invalid vector");
        ++r.c.failures;
      }
      r.record(static_cast<int>(int64_t(t["tcId"])), str(t["comment"]), t["flags"],
               str(t["result"]), accepted);
    }
  }
}

void runFile(Report& r, element root) {
  const std::string algorithm = str(root["algorithm"]);
  const std::string schema = str(root["schema"]);
  if (schema.find("json_web_signature") != std::string::npos) return runJwsFile(r, root);
  if (schema.find("json_web_key") != std::string::npos) return runJwkFile(r, root);
  const bool pss_misc = r.file == "rsa_pss_misc_test.json";
  for (element group : root["testGroups"]) {
    const std::string type = str(group["type"]);
    const std::string sha = str(group["sha"]);
    if (type == "EcdsaP1363Verify") {
      const std::string curve = str(group["publicKey"]["curve"]);
      std::optional<Alg> alg;
      if (curve == "secp256r1" && sha == "SHA-256") alg = Alg::kES256;
      if (curve == "secp384r1" && sha == "SHA-384") alg = Alg::kES384;
      if (curve == "secp521r1" && sha == "SHA-512") alg = Alg::kES512;
      if (curve == "secp256k1" && sha == "SHA-256") alg = Alg::kES256K;
      ASSERT_TRUE(alg) << r.file << ": curve/hash without a JWS alg: " << curve << " " << sha;
      runSignatureGroup(r, group, *alg, "publicKeyJwk");
    } else if (type == "RsassaPkcs1Verify") {
      const auto alg = algForHash(sha, Alg::kRS256, Alg::kRS384, Alg::kRS512);
      ASSERT_TRUE(alg) << r.file;
      runSignatureGroup(r, group, *alg, "keyJwk");
    } else if (type == "RsassaPssVerify") {
      // rsa_pss_misc groups use many hash/salt combinations: each signature is tried as every
      // PS alg instead (runSignatureGroup), so the group's own sha does not pick one.
      const auto alg = pss_misc ? std::optional<Alg>(Alg::kPS256)
                                : algForHash(sha, Alg::kPS256, Alg::kPS384, Alg::kPS512);
      ASSERT_TRUE(alg) << r.file;
      if (!pss_misc) {
        // README: the six PSS files are JWS-compatible (mgfSha == sha, sLen == hash length).
        ASSERT_EQ(str(group["mgfSha"]), sha) << r.file;
        ASSERT_EQ(static_cast<size_t>(int64_t(group["sLen"])), hashSizeFor(*alg)) << r.file;
      }
      runSignatureGroup(r, group, *alg, pss_misc ? nullptr : "publicKeyJwk", pss_misc);
    } else if (type == "EddsaVerify") {
      runSignatureGroup(r, group, Alg::kEdDSA, "publicKeyJwk");
    } else if (type == "MacTest") {
      if (algorithm == "HMACSHA256") runMacGroup(r, group, Alg::kHS256, 256);
      else if (algorithm == "HMACSHA384") runMacGroup(r, group, Alg::kHS384, 384);
      else if (algorithm == "HMACSHA512") runMacGroup(r, group, Alg::kHS512, 512);
      else FAIL() << r.file << ": unknown MAC " << algorithm;
    } else {
      FAIL() << r.file << ": unknown group type " << type;
    }
  }
}

TEST(Wycheproof, EveryVectorAgrees) {
  ASSERT_TRUE(fs::is_directory(kDir)) << "missing " << kDir;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kDir)) {  // not recursive: skips schemas/
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no *.json in " << kDir;

  Counts total;
  int total_failures = 0;
  int total_declared = 0;
  std::printf("%-44s %7s %7s %7s %5s %5s %5s %5s\n", "file", "vectors", "valid+", "invalid-",
              "acc+", "acc-", "either", "skip");
  for (const auto& path : files) {
    simdjson::padded_string text;
    ASSERT_EQ(simdjson::padded_string::load(path.string()).get(text), simdjson::SUCCESS) << path;
    simdjson::dom::parser parser;
    element root;
    ASSERT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << path;
    Report r;
    r.file = path.filename().string();
    runFile(r, root);
    const int declared = static_cast<int>(int64_t(root["numberOfTests"]));
    total_declared += declared;
    const int expected_vectors = r.file == "rsa_pss_misc_test.json" ? declared * 3 : declared;
    EXPECT_GT(r.c.vectors, 0) << r.file << " has no vectors";
    EXPECT_EQ(r.c.vectors, expected_vectors) << r.file << ": not every test was run";
    std::printf("%-44s %7d %7d %7d %5d %5d %5d %5d\n", r.file.c_str(), r.c.vectors,
                r.c.valid_accepted, r.c.invalid_rejected, r.c.acceptable_accepted,
                r.c.acceptable_rejected, r.c.either, r.c.policy_skips);
    for (const auto& w : r.warnings) std::printf("  WARNING %s\n", w.c_str());
    for (const auto& f : r.failures) ADD_FAILURE() << f;
    total.vectors += r.c.vectors;
    total.valid_accepted += r.c.valid_accepted;
    total.invalid_rejected += r.c.invalid_rejected;
    total.acceptable_accepted += r.c.acceptable_accepted;
    total.acceptable_rejected += r.c.acceptable_rejected;
    total.either += r.c.either;
    total.policy_skips += r.c.policy_skips;
    total_failures += r.c.failures;
  }
  std::printf("%-44s %7d %7d %7d %5d %5d %5d %5d\n", "TOTAL", total.vectors, total.valid_accepted,
              total.invalid_rejected, total.acceptable_accepted, total.acceptable_rejected,
              total.either, total.policy_skips);
  std::printf("files: %zu, vectors: %d, checks: %d (rsa_pss_misc runs each vector as PS256, "
              "PS384 and PS512), disagreements: %d\n",
              files.size(), total_declared, total.vectors, total_failures);
  EXPECT_EQ(total_failures, 0);
}

}  // namespace
}  // namespace claimgate::jwt
