#pragma once

#include <string>

namespace gcspike::cli {

inline constexpr const char* kVersion = "0.1.0";

// The --help text: usage, real examples, then every flag with its default.
std::string HelpText();

}  // namespace gcspike::cli
