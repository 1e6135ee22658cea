// JSON string literals (RFC 8259 section 7) for the JSON writers. Profile strings come from
// untrusted input and may hold any bytes, while JSON text must be UTF-8: ill-formed UTF-8
// (overlong forms, surrogates, code points above U+10FFFF, truncated sequences) is replaced by
// U+FFFD, one per offending byte, and control characters are escaped.
#pragma once

#include <string>
#include <string_view>

namespace gcspike {

// Appends "text" (with the quotes) to out.
void AppendJsonString(std::string& out, std::string_view text);
// "text" (with the quotes) as a string of its own.
std::string JsonString(std::string_view text);

}  // namespace gcspike
