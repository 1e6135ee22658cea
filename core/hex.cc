#include "core/hex.h"

namespace gcspike {

namespace {
constexpr char kDigits[] = "0123456789abcdef";
}  // namespace

std::string HexBytes(std::span<const uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

std::string Hex(uint64_t value) { return Hex(value, 1); }

std::string Hex(uint64_t value, int digits) {
  std::string s;
  do {
    s.insert(s.begin(), kDigits[value & 15]);
    value >>= 4;
  } while (value != 0 || static_cast<int>(s.size()) < digits);
  return "0x" + s;
}

}  // namespace gcspike
