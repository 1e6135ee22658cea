// Bad pprof input must give an error naming the byte offset, never a crash or a result.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/profile_reader.h"
#include "profile.pb.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

Result<Profile> Read(std::vector<uint8_t> bytes) {
  auto in = InputSource::FromBytes("bad.pb", std::move(bytes), "");
  return ReadProfile(*in, {});
}

std::vector<uint8_t> Serialize(const wire::ProfileMsg& msg) {
  std::string s;
  msg.SerializeToString(&s);
  return std::vector<uint8_t>(s.begin(), s.end());
}

wire::ProfileMsg Minimal() {
  wire::ProfileMsg p;
  for (const char* s : {"", "samples", "count", "main.f"}) p.add_string_table(s);
  auto* st = p.add_sample_type();
  st->set_type(1);
  st->set_unit(2);
  auto* f = p.add_function();
  f->set_id(1);
  f->set_name(3);
  auto* l = p.add_location();
  l->set_id(1);
  l->add_line()->set_function_id(1);
  auto* s = p.add_sample();
  s->add_location_id(1);
  s->add_value(1);
  return p;
}

// Where a field sits in serialized bytes, found by a walk of the wire format written here
// independently of the reader: `path` is (field number, occurrence) from the top-level message
// down through length-delimited submessages. Returns the offset of the field's tag.
struct FieldStep {
  uint32_t field;
  int occurrence;
};
uint64_t ReadVarint(const std::vector<uint8_t>& b, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; at < b.size(); shift += 7) {
    const uint8_t x = b[at++];
    v |= static_cast<uint64_t>(x & 0x7f) << shift;
    if (x < 0x80) break;
  }
  return v;
}
size_t FieldOffset(const std::vector<uint8_t>& b, std::vector<FieldStep> path) {
  size_t at = 0, end = b.size();
  for (size_t depth = 0; depth < path.size(); ++depth) {
    int seen = 0;
    while (true) {
      EXPECT_LT(at, end) << "field " << path[depth].field << " not found";
      if (at >= end) return 0;
      const size_t tag_at = at;
      const uint64_t tag = ReadVarint(b, at);
      const uint64_t len = (tag & 7) == 2 ? ReadVarint(b, at) : 0;
      if ((tag & 7) == 0) ReadVarint(b, at);
      if ((tag >> 3) == path[depth].field && seen++ == path[depth].occurrence) {
        if (depth + 1 == path.size()) return tag_at;
        end = at + len;  // descend into the submessage
        break;
      }
      at += len;
    }
  }
  return 0;
}
// The offset of the length varint of the field whose tag is at `tag_at` (tags here are 1 byte).
size_t LengthOffset(size_t tag_at) { return tag_at + 1; }

void ExpectErrorAt(const Result<Profile>& r, uint64_t offset, const std::string& fragment) {
  ASSERT_ERROR_AT(r, offset, fragment);
  EXPECT_EQ(r.error().file, "bad.pb");
}

TEST(PprofMalformedTest, MinimalIsValid) { ASSERT_OK(Read(Serialize(Minimal()))); }

TEST(PprofMalformedTest, EmptyInput) { ExpectErrorAt(Read({}), 0, "empty input"); }

TEST(PprofMalformedTest, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> b(1 + rng() % 200);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    auto r = Read(b);
    if (!r.ok()) {
      EXPECT_TRUE(r.error().offset.has_value()) << r.error().ToString();
    }
  }
}

TEST(PprofMalformedTest, UnrecognizedFormat) {
  ExpectErrorAt(Read({0xff, 0xfe, 0x00, 0x01}), 0, "unrecognized input");
}

TEST(PprofMalformedTest, TruncatedGzip) {
  auto gz = *Gzip(Serialize(Minimal()), 6);
  gz.resize(gz.size() / 2);
  ExpectErrorAt(Read(gz), gz.size(), "truncated gzip");  // the data ends before the stream
}

TEST(PprofMalformedTest, CorruptGzip) {
  auto gz = *Gzip(Serialize(Minimal()), 6);
  for (size_t i = 10; i < gz.size() - 8; ++i) gz[i] ^= 0x5a;
  auto r = Read(gz);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().offset.has_value());
}

TEST(PprofMalformedTest, TruncatedMessage) {
  auto b = Serialize(Minimal());
  // The last top-level field (the string table's "main.f") loses its end: its length is wrong.
  const size_t last = FieldOffset(b, {{6, 3}});
  b.resize(b.size() - 3);
  ExpectErrorAt(Read(b), LengthOffset(last), "claims");
}

TEST(PprofMalformedTest, TruncatedMessageInsideGzipNamesDecompressedOffset) {
  auto b = Serialize(Minimal());
  const size_t last = FieldOffset(b, {{6, 3}});
  b.resize(b.size() - 3);
  auto r = Read(*Gzip(b, 6));
  ExpectErrorAt(r, LengthOffset(last), "claims");
  EXPECT_EQ(r.error().where, "decompressed data");
}

TEST(PprofMalformedTest, BadStringIndex) {
  auto p = Minimal();
  p.mutable_function(0)->set_name(99);
  const auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{5, 0}, {2, 0}}), "names string 99");
}

TEST(PprofMalformedTest, MissingLocation) {
  auto p = Minimal();
  p.mutable_sample(0)->set_location_id(0, 42);
  const auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{2, 0}, {1, 0}}), "location 42, which does not exist");
}

TEST(PprofMalformedTest, MissingFunctionAndMapping) {
  auto p = Minimal();
  p.mutable_location(0)->mutable_line(0)->set_function_id(5);
  auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{4, 0}, {4, 0}, {1, 0}}),
                "function 5, which does not exist");
  p = Minimal();
  p.mutable_location(0)->set_mapping_id(5);
  b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{4, 0}, {2, 0}}), "mapping 5, which does not exist");
}

TEST(PprofMalformedTest, ZeroIds) {
  auto p = Minimal();
  p.mutable_function(0)->set_id(0);
  auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{5, 0}}), "function has id 0");
  p = Minimal();
  p.mutable_location(0)->set_id(0);
  b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{4, 0}}), "location has id 0");
  p = Minimal();
  p.mutable_sample(0)->set_location_id(0, 0);
  b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{2, 0}, {1, 0}}), "location 0");
}

TEST(PprofMalformedTest, DuplicateIds) {
  auto p = Minimal();
  *p.add_function() = p.function(0);
  const auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{5, 1}}), "duplicate function id 1");
}

TEST(PprofMalformedTest, HugeLength) {
  // Field 6 (string_table), wire type 2, length 2^62.
  std::vector<uint8_t> b = {0x32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};
  ExpectErrorAt(Read(b), 1, "claims");  // the length after the one-byte tag
}

TEST(PprofMalformedTest, ValueCountMismatch) {
  auto p = Minimal();
  p.mutable_sample(0)->add_value(7);
  const auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{2, 0}}), "2 values but the profile has 1 sample types");
}

TEST(PprofMalformedTest, FirstStringMustBeEmpty) {
  auto p = Minimal();
  p.set_string_table(0, "x");
  const auto b = Serialize(p);
  ExpectErrorAt(Read(b), FieldOffset(b, {{6, 0}}), "string_table[0]");
}

TEST(PprofMalformedTest, WrongWireType) {
  // sample_type (field 1) as a varint.
  ExpectErrorAt(Read({0x32, 0x00, 0x08, 0x01}), 2, "wire type");  // after the empty string
}

TEST(PprofMalformedTest, HugeCountsDoNotAllocate) {
  // A packed run claiming many values but holding few bytes.
  std::vector<uint8_t> sample = {0x12, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10};
  std::vector<uint8_t> b = {0x12, static_cast<uint8_t>(sample.size())};
  b.insert(b.end(), sample.begin(), sample.end());
  ExpectErrorAt(Read(b), 0, "sample has 1 values");  // the sample, at the start
}

}  // namespace
}  // namespace gcspike
