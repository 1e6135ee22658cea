// Inputs no reader takes are named for what they look like (legacy profile formats with how to
// convert them, text, perf.data version 1), never reported as a protobuf wire-type error a few
// bytes in; raw protobuf is taken for a profile only when its first fields fit profile.proto.
#include "formats/input_sniff.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/pprof_reader.h"
#include "formats/profile_reader.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using namespace std::string_view_literals;

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// The error line ReadProfile gives for these bytes (without "gcspike: ").
std::string ErrorFor(std::vector<uint8_t> bytes) {
  auto in = InputSource::FromBytes("in.prof", std::move(bytes), "");
  auto r = ReadProfile(*in, {});
  return r.ok() ? "(read as a profile)" : r.error().ToString();
}

constexpr std::string_view kConvert = "; convert it with go tool pprof -proto";

TEST(InputSniffTest, LegacyTextProfiles) {
  EXPECT_EQ(ErrorFor(Bytes("heap profile: 3: 1024 [5: 2048] @ heap/1048576\n"
                           "1: 512 [1: 512] @ 0x1\n"sv)),
            "in.prof: byte 0: unsupported: legacy text heap profile (\"heap profile: 3: 1024 "
            "[5: 2048] @ heap/1048576\")" +
                std::string(kConvert));
  EXPECT_EQ(ErrorFor(Bytes("--- contention:\ncycles/second=2000000000\n"sv)),
            "in.prof: byte 0: unsupported: legacy text contention profile (\"--- contention:\")" +
                std::string(kConvert));
  EXPECT_EQ(ErrorFor(Bytes("--- mutex:\ncycles/second=2000000000\nsampling period=1\n"sv)),
            "in.prof: byte 0: unsupported: legacy text mutex profile (\"--- mutex:\")" +
                std::string(kConvert));
  EXPECT_EQ(ErrorFor(Bytes("--- threadcreate:\n1 @ 0x1 0x2\n"sv)),
            "in.prof: byte 0: unsupported: legacy text threadcreate profile (\"--- "
            "threadcreate:\")" +
                std::string(kConvert));
}

std::vector<uint8_t> LegacyCpuHeader(size_t word, bool big_endian) {
  // Header words 0, 3, 0, period (10000 us), 0, then one sample (count 1, depth 1, pc).
  const uint64_t words[] = {0, 3, 0, 10000, 0, 1, 1, 0x401000};
  std::vector<uint8_t> out;
  for (uint64_t w : words) {
    for (size_t k = 0; k < word; ++k) {
      const size_t shift = 8 * (big_endian ? word - 1 - k : k);
      out.push_back(static_cast<uint8_t>(w >> shift));
    }
  }
  return out;
}

TEST(InputSniffTest, LegacyBinaryCpuProfileInEveryWordSizeAndByteOrder) {
  const std::string want =
      "in.prof: byte 0: unsupported: legacy binary CPU profile (gperftools, "
      "or Go before 1.9)" +
      std::string(kConvert);
  for (size_t word : {8, 4}) {
    for (bool big : {false, true}) {
      EXPECT_EQ(ErrorFor(LegacyCpuHeader(word, big)), want) << word << " " << big;
    }
  }
  // Zeros alone are not that header.
  EXPECT_EQ(ErrorFor(std::vector<uint8_t>(64, 0)).find("legacy"), std::string::npos);
}

TEST(InputSniffTest, PerfDataVersionOne) {
  std::vector<uint8_t> v1 = Bytes("PERFFILE"sv);
  v1.resize(104, 0);
  EXPECT_EQ(ErrorFor(v1),
            "in.prof: byte 0: unsupported: perf.data version 1 (magic \"PERFFILE\"); gcspike "
            "reads version 2 (\"PERFILE2\"): record it again "
            "with a current perf");
}

TEST(InputSniffTest, TextAndGzippedText) {
  EXPECT_EQ(ErrorFor(Bytes("flat  flat%   sum%        cum   cum%\n  10ms 50% main.f\n"sv)),
            "in.prof: byte 0: unrecognized input: looks like text (\"flat  flat%   sum%        "
            "cum   cum%\"), not a profile: pprof (profile.proto, gzipped or raw), a Go execution "
            "trace or perf.data");
  // A long first line is shortened on a character boundary (the ö's two bytes straddle 60).
  const std::string long_line = std::string(59, 'a') + "\xc3\xb6" + std::string(20, 'b') + "\n";
  const std::string shortened = "looks like text (\"" + std::string(59, 'a') + "...\")";
  EXPECT_NE(ErrorFor(Bytes(long_line)).find(shortened), std::string::npos)
      << ErrorFor(Bytes(long_line));
  auto gz = Gzip(Bytes("not a profile at all\n"sv), 6);
  ASSERT_OK(gz);
  EXPECT_EQ(ErrorFor(*gz),
            "in.prof: byte 0 of decompressed data: unrecognized input: looks like text (\"not a "
            "profile at all\"), not a profile: pprof (profile.proto, gzipped or raw), a Go "
            "execution trace or perf.data");
  // The words used to pass for fields 13 ('h') and friends, and failed at byte 2.
  EXPECT_NE(ErrorFor(Bytes("hello"sv)).find("looks like text"), std::string::npos);
}

TEST(InputSniffTest, RawProtobufMustStartWithPlausibleProfileFields) {
  // sample_type {type: 1, unit: 2}, then string_table "" (fields 1 and 6, both length-delimited).
  EXPECT_FALSE(CheckPprofPrefix(Bytes("\x0a\x04\x08\x01\x10\x02\x32\x00"sv)).has_value());
  EXPECT_TRUE(LooksLikePprof(Bytes("\x0a\x04\x08\x01\x10\x02\x32\x00"sv)));
  // time_nanos (9, varint), comment packed (13, length-delimited) and default_sample_type (14).
  EXPECT_TRUE(LooksLikePprof(Bytes("\x48\x96\x01\x6a\x01\x05\x70\x01"sv)));
  // A length running past the prefix ends the check (the reader judges the rest).
  EXPECT_TRUE(LooksLikePprof(Bytes("\x32\x80\x80\x80\x80\x80\x80\x80\x80\x40"sv)));
  // Field 15 and above, field 0, and wrong wire types are not a profile.
  EXPECT_FALSE(LooksLikePprof(Bytes("\x78\x01"sv)));      // field 15
  EXPECT_FALSE(LooksLikePprof(Bytes("\x08\x01"sv)));      // field 1 as a varint
  EXPECT_FALSE(LooksLikePprof(Bytes("\x4a\x01\x00"sv)));  // field 9 length-delimited
  auto bad = CheckPprofPrefix(Bytes("\x32\x00\x0d\x00\x00\x00\x00"sv));
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->offset, 2u);
  EXPECT_EQ(bad->message, "profile.proto field 1 has wire type 2, not 5");
  // Through ReadProfile: the offset of the first implausible field.
  EXPECT_EQ(ErrorFor(Bytes("\x32\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"sv)),
            "in.prof: byte 2: unrecognized input: starts like pprof (profile.proto) but byte "
            "0xff is not the tag of a profile.proto field (1..14)");
  EXPECT_EQ(ErrorFor({0xff, 0xfe, 0x00, 0x01}),
            "in.prof: byte 0: unrecognized input: not gzip, pprof (profile.proto), a Go "
            "execution trace (\"go 1.N trace\") or perf.data (\"PERFILE2\")");
}

}  // namespace
}  // namespace gcspike
