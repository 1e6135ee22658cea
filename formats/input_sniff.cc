#include "formats/input_sniff.h"

#include <cstring>
#include <string_view>
#include <utility>

namespace gcspike {
namespace {

std::string_view AsText(std::span<const uint8_t> p) {
  return {reinterpret_cast<const char*>(p.data()), p.size()};
}

bool StartsWith(std::span<const uint8_t> p, std::string_view s) {
  return AsText(p).substr(0, s.size()) == s;
}

// Word i of p, in words of `width` bytes (8 or 4) of either byte order.
uint64_t Word(std::span<const uint8_t> p, size_t width, size_t i, bool big_endian) {
  uint64_t v = 0;
  for (size_t k = 0; k < width; ++k) {
    const uint8_t b = p[i * width + (big_endian ? k : width - 1 - k)];
    v = (v << 8) | b;
  }
  return v;
}

// The legacy binary CPU profile (gperftools' format, written by Go before 1.9): a header of
// words 0, 3 (header words), 0 (version), sampling period, 0, in the machine's 64- or 32-bit
// words of either byte order.
bool IsLegacyCpuProfile(std::span<const uint8_t> p) {
  for (bool big : {false, true}) {
    for (size_t width : {8, 4}) {
      auto w = [&](size_t i) { return Word(p, width, i, big); };
      if (p.size() >= 5 * width && w(0) == 0 && w(1) == 3 && w(2) == 0 && w(3) != 0 && w(4) == 0) {
        return true;
      }
    }
  }
  return false;
}

// Valid UTF-8 without control characters other than tab, newline and carriage return. A
// sequence cut off by the end of the prefix is fine.
bool IsText(std::span<const uint8_t> p) {
  if (p.empty()) return false;
  for (size_t i = 0; i < p.size();) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t n = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= p.size()) return true;
      if ((p[i + k] & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

// The first line of a text, shortened, for a message.
std::string FirstLine(std::span<const uint8_t> p) {
  std::string_view text = AsText(p);
  text = text.substr(0, text.find_first_of("\r\n"));
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return std::string(text);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xc0) == 0x80) --cut;  // whole characters
  return std::string(text.substr(0, cut)) + "...";
}

constexpr std::string_view kConvert = "; convert it with go tool pprof -proto";

}  // namespace

std::optional<std::string> DescribeUnreadable(std::span<const uint8_t> prefix) {
  struct Legacy {
    std::string_view start;
    std::string_view what;
  };
  static constexpr Legacy kLegacyText[] = {
      {"heap profile:", "text heap"},
      {"--- contention", "text contention"},
      {"--- mutex", "text mutex"},
      {"--- threadcreate", "text threadcreate"},
      {"--- heapz", "text heap"},
      {"--- threadz", "text threadcreate"},
      {"goroutine profile:", "text goroutine"},
      {"threadcreate profile:", "text threadcreate"},
  };
  for (const Legacy& l : kLegacyText) {
    if (StartsWith(prefix, l.start)) {
      return "unsupported: legacy " + std::string(l.what) + " profile (\"" + FirstLine(prefix) +
             "\")" + std::string(kConvert);
    }
  }
  if (IsLegacyCpuProfile(prefix)) {
    return "unsupported: legacy binary CPU profile (gperftools, or Go before 1.9)" +
           std::string(kConvert);
  }
  if (StartsWith(prefix, "PERFFILE") || StartsWith(prefix, "ELIFREP")) {
    return std::string(
        "unsupported: perf.data version 1 (magic \"PERFFILE\"); gcspike reads version 2 "
        "(\"PERFILE2\"): record it again with a current perf");
  }
  if (IsText(prefix)) {
    return "unrecognized input: looks like text (\"" + FirstLine(prefix) +
           "\"), not a profile: pprof (profile.proto, gzipped or raw), a Go execution trace or "
           "perf.data";
  }
  return std::nullopt;
}

std::optional<ImplausibleField> CheckPprofPrefix(std::span<const uint8_t> prefix) {
  size_t i = 0;
  while (i < prefix.size()) {
    const uint64_t at = i;
    const uint8_t tag = prefix[i++];
    const uint32_t field = (tag & 0x80) != 0 ? 16 : tag >> 3;  // fields 1..14 fit one byte
    const uint32_t wire = tag & 7;
    bool ok = false;
    if ((field >= 1 && field <= 6) || field == 11) {
      ok = wire == 2;
    } else if (field == 13) {
      ok = wire == 0 || wire == 2;  // comment: repeated int64, packed or not
    } else if (field >= 7 && field <= 14) {
      ok = wire == 0;
    }
    if (!ok) {
      std::string what;
      if (field >= 1 && field <= 14) {
        const char* want = field == 13 ? "0 or 2" : (field <= 6 || field == 11) ? "2" : "0";
        what = "profile.proto field " + std::to_string(field) + " has wire type " + want +
               ", not " + std::to_string(wire);
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        what = std::string("byte 0x") + kHex[tag >> 4] + kHex[tag & 15] +
               " is not the tag of a profile.proto field (1..14)";
      }
      return ImplausibleField{at, std::move(what)};
    }
    // The value: a varint (its length or the number), then for wire type 2 the bytes.
    uint64_t value = 0;
    int shift = 0;
    bool complete = false;
    while (i < prefix.size() && shift < 64) {
      const uint8_t b = prefix[i++];
      value |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
      if ((b & 0x80) == 0) {
        complete = true;
        break;
      }
    }
    if (!complete) return std::nullopt;  // runs past the prefix (or is the reader's to judge)
    if (wire == 2) {
      if (value >= prefix.size() - i) return std::nullopt;
      i += value;
    }
  }
  return std::nullopt;
}

}  // namespace gcspike
