// Base64url (RFC 4648 §5) without padding, strict as RFC 7515 §2 asks: no '=', no whitespace,
// no characters outside the alphabet, and no non-zero trailing bits.
#pragma once

#include <string>
#include <string_view>

namespace claimgate {

// Decodes strict unpadded base64url into `out` (cleared first). False on any invalid input.
bool base64UrlDecode(std::string_view in, std::string& out);

// Encodes without padding.
std::string base64UrlEncode(std::string_view in);

// Standard base64 with padding (RFC 4648 §4), used for Kubernetes Secret `data`.
bool base64Decode(std::string_view in, std::string& out);
std::string base64Encode(std::string_view in);

}  // namespace claimgate
