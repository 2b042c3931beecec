// Table-driven base64 codecs. Both decoders are strict (RFC 4648 §3.5 "canonical encoding"):
// they reject characters outside the alphabet, whitespace, impossible lengths (4n+1) and
// non-zero trailing bits, so one byte string has exactly one accepted encoding. A JWS signature
// or claim set therefore cannot be re-encoded into a second valid token (RFC 7515 §2, §5.2).
#include "common/base64url.h"

#include <array>
#include <cstdint>

namespace claimgate {
namespace {

constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStdAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> makeTable(const char* alphabet) {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(alphabet[i])] = i;
  return table;
}

constexpr std::array<uint8_t, 256> kUrlTable = makeTable(kUrlAlphabet);
constexpr std::array<uint8_t, 256> kStdTable = makeTable(kStdAlphabet);

// Decodes unpadded input of any length but 4n+1; rejects non-zero bits in the last character
// that do not make a whole byte.
bool decodeUnpadded(std::string_view in, const std::array<uint8_t, 256>& table, std::string& out) {
  out.clear();
  const size_t rem = in.size() % 4;
  if (rem == 1) return false;
  out.resize(in.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1));
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  char* o = out.data();
  size_t i = 0;
  for (; i + 4 <= in.size(); i += 4) {
    const uint32_t a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]], d = table[p[i + 3]];
    if ((a | b | c | d) == kInvalid || ((a | b | c | d) & 0xc0) != 0) return false;
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  if (rem == 2) {
    const uint32_t a = table[p[i]], b = table[p[i + 1]];
    if (a == kInvalid || b == kInvalid || (b & 0x0f) != 0) return false;
    *o++ = static_cast<char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const uint32_t a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]];
    if (a == kInvalid || b == kInvalid || c == kInvalid || (c & 0x03) != 0) return false;
    *o++ = static_cast<char>((a << 2) | (b >> 4));
    *o++ = static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
  }
  return true;
}

std::string encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  const size_t rem = in.size() - i;
  if (rem == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rem == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out.push_back(alphabet[v >> 18]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
  return out;
}

}  // namespace

bool base64UrlDecode(std::string_view in, std::string& out) {
  return decodeUnpadded(in, kUrlTable, out);
}

std::string base64UrlEncode(std::string_view in) { return encode(in, kUrlAlphabet, false); }

bool base64Decode(std::string_view in, std::string& out) {
  // Padded form only: the length is a multiple of 4 and '=' appears only as the last one or two
  // characters (Kubernetes writes Secret data this way; encoding/base64.StdEncoding).
  out.clear();
  if (in.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') {
    pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  }
  return decodeUnpadded(in.substr(0, in.size() - pad), kStdTable, out);
}

std::string base64Encode(std::string_view in) { return encode(in, kStdAlphabet, true); }

}  // namespace claimgate
