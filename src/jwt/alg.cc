#include "jwt/alg.h"

#include <array>

namespace claimgate::jwt {
namespace {

struct AlgEntry {
  std::string_view name;
  Alg alg;
};

// Order follows the enum, so algName can index it.
constexpr std::array<AlgEntry, 14> kAlgs = {{
    {"RS256", Alg::kRS256}, {"RS384", Alg::kRS384}, {"RS512", Alg::kRS512},
    {"PS256", Alg::kPS256}, {"PS384", Alg::kPS384}, {"PS512", Alg::kPS512},
    {"ES256", Alg::kES256}, {"ES384", Alg::kES384}, {"ES512", Alg::kES512},
    {"ES256K", Alg::kES256K}, {"EdDSA", Alg::kEdDSA},
    {"HS256", Alg::kHS256}, {"HS384", Alg::kHS384}, {"HS512", Alg::kHS512},
}};

}  // namespace

std::optional<Alg> algFromName(std::string_view name) {
  // Case-sensitive (RFC 7515 §4.1.1: "alg" values are case-sensitive); "none", "NONE" and
  // every name outside JWA/RFC 8037/RFC 8812 signatures fall through to nullopt.
  for (const auto& e : kAlgs) {
    if (e.name == name) return e.alg;
  }
  return std::nullopt;
}

std::string_view algName(Alg alg) { return kAlgs[static_cast<size_t>(alg)].name; }

KeyType keyTypeFor(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kRS384:
    case Alg::kRS512:
    case Alg::kPS256:
    case Alg::kPS384:
    case Alg::kPS512:
      return KeyType::kRsa;
    case Alg::kES256:
    case Alg::kES384:
    case Alg::kES512:
    case Alg::kES256K:
      return KeyType::kEc;
    case Alg::kEdDSA:
      return KeyType::kOkp;
    case Alg::kHS256:
    case Alg::kHS384:
    case Alg::kHS512:
      return KeyType::kOct;
  }
  return KeyType::kRsa;
}

size_t hashSizeFor(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
    case Alg::kPS256:
    case Alg::kES256:
    case Alg::kES256K:
    case Alg::kHS256:
      return 32;
    case Alg::kRS384:
    case Alg::kPS384:
    case Alg::kES384:
    case Alg::kHS384:
      return 48;
    case Alg::kRS512:
    case Alg::kPS512:
    case Alg::kES512:
    case Alg::kHS512:
      return 64;
    case Alg::kEdDSA:
      return 0;
  }
  return 0;
}

namespace {
// NIDs as in <openssl/obj_mac.h>, kept numeric so alg.h stays OpenSSL-free:
// NID_X9_62_prime256v1 = 415, NID_secp384r1 = 715, NID_secp521r1 = 716, NID_secp256k1 = 714.
constexpr std::array<EcCurve, 4> kEcCurves = {{
    {"P-256", "prime256v1", 415, 32, Alg::kES256},
    {"P-384", "secp384r1", 715, 48, Alg::kES384},
    {"P-521", "secp521r1", 716, 66, Alg::kES512},
    {"secp256k1", "secp256k1", 714, 32, Alg::kES256K},
}};
}  // namespace

std::span<const EcCurve> ecCurves() { return kEcCurves; }

const EcCurve* ecCurveByNid(int nid) {
  for (const auto& c : kEcCurves) {
    if (c.nid == nid) return &c;
  }
  return nullptr;
}

std::optional<int> ecCurveNidFor(Alg alg) {
  for (const auto& c : kEcCurves) {
    if (c.alg == alg) return c.nid;
  }
  return std::nullopt;
}

}  // namespace claimgate::jwt
