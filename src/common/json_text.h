// Writing JSON text by hand where a document is small and fixed-shape (access log lines,
// /config_dump): string escaping per RFC 8259 §7.
#pragma once

#include <string>
#include <string_view>

namespace claimgate {

// Appends `s` as a quoted JSON string. Control characters (and DEL) become \uXXXX escapes; bytes
// >= 0x80 pass through (request paths are usually UTF-8 and log shippers cope with the rest).
void appendJsonString(std::string& out, std::string_view s);

}  // namespace claimgate
