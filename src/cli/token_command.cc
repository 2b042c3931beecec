// `claimgate token sign|inspect|verify`: mint, decode and check tokens. verify runs the very
// Jwt::parse + verifyJwt the gateway runs, so its output is the 401/403 body a request would get.
// Usage and choices: docs/token-cli.md.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <simdjson.h>

#include "cli/commands.h"
#include "common/base64url.h"
#include "common/status.h"
#include "jwt/alg.h"
#include "jwt/jwks.h"
#include "jwt/jwt.h"
#include "jwt/signer.h"
#include "jwt/verify.h"

namespace claimgate::cli {
namespace {

// Exit codes: 0 OK, 1 the token does not verify, 2 usage or input error.
constexpr int kExitVerifyFailed = 1;
constexpr int kExitError = 2;

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "claimgate token: " << message << "\n";
  throw CLI::RuntimeError(kExitError);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "TOKEN", or "-" for standard input (trailing whitespace trimmed either way).
std::string tokenArg(const std::string& arg) {
  std::string t = arg;
  if (t == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    t = ss.str();
  }
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

uint64_t nowSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// "90", "90s", "10m", "1h30m", "2d": seconds. Throws on anything else.
uint64_t parseDuration(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty duration");
  uint64_t total = 0;
  size_t i = 0;
  bool any_unit = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i) throw std::invalid_argument("bad duration \"" + text + "\"");
    uint64_t n = std::stoull(text.substr(i, j - i));
    if (j == text.size()) {
      if (any_unit) throw std::invalid_argument("bad duration \"" + text + "\" (unit missing)");
      return n;  // bare seconds
    }
    uint64_t unit = 0;
    switch (text[j]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: throw std::invalid_argument("bad duration unit in \"" + text + "\" (s, m, h, d)");
    }
    total += n * unit;
    any_unit = true;
    i = j + 1;
  }
  return total;
}

std::string isoUtc(uint64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "out of range";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A JSON string literal for `s` (RFC 8259 §7 escapes).
std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += b;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

void prettyPrint(simdjson::dom::element e, std::ostream& out, int indent) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      if (obj.size() == 0) {
        out << "{}";
        return;
      }
      out << "{\n";
      bool first = true;
      for (auto field : obj) {
        if (!first) out << ",\n";
        first = false;
        out << pad << "  " << jsonString(field.key) << ": ";
        prettyPrint(field.value, out, indent + 1);
      }
      out << "\n" << pad << "}";
      return;
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      if (arr.size() == 0) {
        out << "[]";
        return;
      }
      out << "[\n";
      bool first = true;
      for (simdjson::dom::element v : arr) {
        if (!first) out << ",\n";
        first = false;
        out << pad << "  ";
        prettyPrint(v, out, indent + 1);
      }
      out << "\n" << pad << "]";
      return;
    }
    default:
      out << simdjson::minify(e);
  }
}

// ---- sign ---------------------------------------------------------------------------------------

struct SignOptions {
  std::string key_path, alg, kid, claims;
  std::string exp_in, nbf_in;
  bool iat = false;
};

// The claims object with iat/nbf/exp set (replacing members of the same name), compact.
std::string buildClaims(const SignOptions& o) {
  std::string text = o.claims;
  if (!text.empty() && text[0] == '@') text = readFile(text.substr(1));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS ||
      root.type() != simdjson::dom::element_type::OBJECT) {
    fail("--claims must be a JSON object (or @file holding one)");
  }
  const uint64_t now = nowSeconds();
  std::vector<std::pair<std::string, uint64_t>> set;
  try {
    if (o.iat) set.emplace_back("iat", now);
    if (!o.nbf_in.empty()) set.emplace_back("nbf", now + parseDuration(o.nbf_in));
    if (!o.exp_in.empty()) set.emplace_back("exp", now + parseDuration(o.exp_in));
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (set.empty()) return simdjson::minify(root);
  std::string out = "{";
  bool first = true;
  simdjson::dom::object obj = root.get_object().value_unsafe();
  for (auto field : obj) {
    bool replaced = false;
    for (const auto& s : set) replaced = replaced || field.key == s.first;
    if (replaced) continue;
    if (!first) out += ',';
    first = false;
    out += jsonString(field.key) + ":" + simdjson::minify(field.value);
  }
  for (const auto& s : set) {
    if (!first) out += ',';
    first = false;
    out += "\"" + s.first + "\":" + std::to_string(s.second);
  }
  out += "}";
  return out;
}

void runSign(const SignOptions& o) {
  jwt::PrivateKey key;
  try {
    key = jwt::loadPrivateKey(readFile(o.key_path));
  } catch (const CLI::RuntimeError&) {
    throw;
  } catch (const std::exception& e) {
    fail(o.key_path + ": " + e.what());
  }
  jwt::Alg alg = key.defaultAlg();
  if (!o.alg.empty()) {
    auto a = jwt::algFromName(o.alg);
    if (!a) fail("unknown --alg \"" + o.alg + "\" (RS/PS/ES 256/384/512, ES256K, EdDSA, HS256/384/512)");
    alg = *a;
  }
  // RFC 7518 §3.2: an HMAC key at least as long as the hash. The gateway's key loader refuses
  // shorter ones, so a token signed with one could never verify there.
  if (key.kty == jwt::KeyType::kOct) {
    const size_t need = alg == jwt::Alg::kHS512 ? 64 : alg == jwt::Alg::kHS384 ? 48 : 32;
    if (key.secret.size() < need) {
      fail("the " + std::string(jwt::algName(alg)) + " key has " + std::to_string(key.secret.size()) +
           " bytes; RFC 7518 §3.2 needs at least " + std::to_string(need));
    }
  }
  std::optional<std::string_view> kid;
  if (!o.kid.empty()) {
    kid = o.kid;
  } else if (key.kid) {
    kid = *key.kid;
  }
  const std::string claims = buildClaims(o);
  try {
    std::cout << jwt::signToken(alg, key, kid, claims) << "\n";
  } catch (const std::exception& e) {
    fail(std::string("cannot sign: ") + e.what());
  }
}

// ---- inspect ------------------------------------------------------------------------------------

void runInspect(const std::string& token_arg) {
  const std::string token = tokenArg(token_arg);
  const size_t d1 = token.find('.');
  const size_t d2 = d1 == std::string::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string::npos) fail("not a compact JWS: expected header.payload.signature");
  std::string header, payload, sig;
  if (!base64UrlDecode(std::string_view(token).substr(0, d1), header)) {
    fail("header is not valid base64url");
  }
  if (!base64UrlDecode(std::string_view(token).substr(d1 + 1, d2 - d1 - 1), payload)) {
    fail("payload is not valid base64url");
  }
  const bool sig_ok = base64UrlDecode(std::string_view(token).substr(d2 + 1), sig);

  simdjson::dom::parser hp, pp;
  simdjson::dom::element h, p;
  std::ostream& out = std::cout;
  if (hp.parse(header).get(h) != simdjson::SUCCESS) fail("header is not JSON");
  out << "Header:\n";
  prettyPrint(h, out, 0);
  out << "\nPayload:\n";
  if (pp.parse(payload).get(p) == simdjson::SUCCESS) {
    prettyPrint(p, out, 0);
    out << "\n";
    if (p.type() == simdjson::dom::element_type::OBJECT) {
      simdjson::dom::object obj = p.get_object().value_unsafe();
      for (const char* name : {"iat", "nbf", "exp"}) {
        auto v = obj.at_key(name);
        uint64_t n = 0;
        if (!v.error() && v.value_unsafe().get_uint64().get(n) == simdjson::SUCCESS) {
          out << name << ": " << n << " (" << isoUtc(n) << ")\n";
        } else if (!v.error()) {
          double dv = 0;
          if (v.value_unsafe().get_double().get(dv) == simdjson::SUCCESS && dv >= 0 && dv < 1e15) {
            out << name << ": " << simdjson::minify(v.value_unsafe()) << " ("
                << isoUtc(static_cast<uint64_t>(dv)) << ")\n";
          }
        }
      }
    }
  } else {
    out << "(not JSON: " << payload.size() << " bytes)\n";
  }
  out << "Signature: ";
  if (sig_ok) {
    out << sig.size() << " bytes\n";
  } else {
    out << "not valid base64url\n";
  }
  jwt::Jwt parsed;
  const JwtStatus st = parsed.parse(token);
  out << "Parse: " << (st == JwtStatus::kOk ? "OK" : std::string(statusText(st))) << "\n";
  out << "NOT VERIFIED: inspect checks no signature, issuer or time; use `claimgate token verify`.\n";
}

// ---- verify -------------------------------------------------------------------------------------

struct VerifyOptions {
  std::string key_path, issuer, token;
  std::vector<std::string> audiences;
  uint32_t skew = 60;
  std::optional<uint64_t> now;
};

std::shared_ptr<const jwt::Jwks> loadVerifyKeys(const std::string& path) {
  const std::string text = readFile(path);
  JwtStatus st = JwtStatus::kOk;
  std::string detail;
  auto jwks = jwt::Jwks::fromAny(text, &st, &detail);
  if (jwks) return jwks;
  // A private key (PEM or JWK) verifies too: use its public half.
  try {
    jwt::PrivateKey key = jwt::loadPrivateKey(text);
    JwtStatus st2 = JwtStatus::kOk;
    auto from_private = jwt::Jwks::fromAny(jwt::publicJwkJson(key, key.kid, key.alg), &st2);
    if (from_private) return from_private;
  } catch (const std::exception&) {
  }
  fail(path + ": no usable key: " + std::string(statusText(st)) + (detail.empty() ? "" : " (" + detail + ")"));
}

void runVerify(const VerifyOptions& o) {
  auto jwks = loadVerifyKeys(o.key_path);
  jwt::ProviderChecks checks;
  checks.issuer = o.issuer;
  checks.audiences = o.audiences;
  checks.clock_skew_seconds = o.skew;
  jwt::Jwt token;
  JwtStatus st = token.parse(tokenArg(o.token));
  if (st == JwtStatus::kOk) st = jwt::verifyJwt(token, checks, *jwks, o.now ? *o.now : nowSeconds());
  if (st == JwtStatus::kOk) {
    std::cout << "OK\n";
    return;
  }
  std::cout << statusText(st) << "\n";
  throw CLI::RuntimeError(kExitVerifyFailed);
}

}  // namespace

void addTokenCommands(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "Mint, decode and check JWTs");
  token->require_subcommand(1);

  auto sign_opts = std::make_shared<SignOptions>();
  CLI::App* sign = token->add_subcommand("sign", "Sign claims into a compact JWT (printed alone on stdout)");
  sign->add_option("--key", sign_opts->key_path, "Private key: PEM (PKCS#8, PKCS#1, SEC1) or private JWK")
      ->required();
  sign->add_option("--alg", sign_opts->alg, "JWS alg (default from the key: RSA RS256, P-256 ES256, "
                                            "P-384 ES384, P-521 ES512, secp256k1 ES256K, Ed25519/Ed448 "
                                            "EdDSA, oct HS256)");
  sign->add_option("--kid", sign_opts->kid, "kid header (default: the JWK's kid, if any)");
  sign->add_option("--claims", sign_opts->claims, "Payload JSON object, or @file")->required();
  sign->add_flag("--iat", sign_opts->iat, "Set iat to now");
  sign->add_option("--exp-in", sign_opts->exp_in, "Set exp to now + DURATION (90, 90s, 10m, 1h30m, 2d)");
  sign->add_option("--nbf-in", sign_opts->nbf_in, "Set nbf to now + DURATION");
  sign->callback([sign_opts] { runSign(*sign_opts); });

  auto inspect_token = std::make_shared<std::string>();
  CLI::App* inspect = token->add_subcommand("inspect", "Decode a token without verifying it");
  inspect->add_option("TOKEN", *inspect_token, "The token, or - for stdin")->required();
  inspect->callback([inspect_token] { runInspect(*inspect_token); });

  auto verify_opts = std::make_shared<VerifyOptions>();
  CLI::App* verify = token->add_subcommand(
      "verify", "Verify a token as the gateway does: prints OK (exit 0) or the status text (exit 1)");
  verify->add_option("--key", verify_opts->key_path, "Public key: PEM, JWKS or JWK file (a private key works too)")
      ->required();
  verify->add_option("--issuer", verify_opts->issuer, "Required iss (exact match)");
  verify->add_option("--audience", verify_opts->audiences, "Allowed audience (repeatable; any of)");
  verify->add_option("--skew", verify_opts->skew, "Clock skew in seconds for exp/nbf")->capture_default_str();
  auto now_value = std::make_shared<uint64_t>(0);
  CLI::Option* now_opt = verify->add_option("--now", *now_value, "Current time, seconds since the epoch (tests)");
  verify->add_option("TOKEN", verify_opts->token, "The token, or - for stdin")->required();
  verify->callback([verify_opts, now_value, now_opt] {
    if (now_opt->count() > 0) verify_opts->now = *now_value;
    runVerify(*verify_opts);
  });
}

}  // namespace claimgate::cli
