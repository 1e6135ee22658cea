// Hexadecimal text: bytes as lower-case digit pairs (build ids), numbers as 0x-prefixed values
// (addresses and magic numbers in error messages).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace gcspike {

// Two lower-case digits per byte, no prefix: "1f8b".
std::string HexBytes(std::span<const uint8_t> bytes);

// "0x" and the value's lower-case digits, no padding: "0x1f".
std::string Hex(uint64_t value);

// The same with at least `digits` digits: Hex(5, 2) is "0x05" (a byte of a format).
std::string Hex(uint64_t value, int digits);

}  // namespace gcspike
