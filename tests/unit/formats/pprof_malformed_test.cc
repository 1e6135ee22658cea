// Bad pprof input must give an error naming the byte offset, never a crash or a result.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/gzip_codec.h"
#include "formats/profile_reader.h"
#include "profile.pb.h"

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

void ExpectError(const Result<Profile>& r, const std::string& fragment) {
  ASSERT_FALSE(r.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_EQ(r.error().file, "bad.pb");
  EXPECT_TRUE(r.error().offset.has_value()) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find(fragment), std::string::npos) << r.error().ToString();
}

TEST(PprofMalformedTest, MinimalIsValid) { ASSERT_TRUE(Read(Serialize(Minimal())).ok()); }

TEST(PprofMalformedTest, EmptyInput) { ExpectError(Read({}), "empty input"); }

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
  ExpectError(Read({0xff, 0xfe, 0x00, 0x01}), "unrecognized input");
}

TEST(PprofMalformedTest, TruncatedGzip) {
  auto gz = *Gzip(Serialize(Minimal()), 6);
  gz.resize(gz.size() / 2);
  ExpectError(Read(gz), "truncated gzip");
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
  b.resize(b.size() - 3);
  ExpectError(Read(b), "byte");
}

TEST(PprofMalformedTest, TruncatedMessageInsideGzipNamesDecompressedOffset) {
  auto b = Serialize(Minimal());
  b.resize(b.size() - 3);
  auto r = Read(*Gzip(b, 6));
  ExpectError(r, "of decompressed data");
}

TEST(PprofMalformedTest, BadStringIndex) {
  auto p = Minimal();
  p.mutable_function(0)->set_name(99);
  ExpectError(Read(Serialize(p)), "names string 99");
}

TEST(PprofMalformedTest, MissingLocation) {
  auto p = Minimal();
  p.mutable_sample(0)->set_location_id(0, 42);
  ExpectError(Read(Serialize(p)), "location 42, which does not exist");
}

TEST(PprofMalformedTest, MissingFunctionAndMapping) {
  auto p = Minimal();
  p.mutable_location(0)->mutable_line(0)->set_function_id(5);
  ExpectError(Read(Serialize(p)), "function 5, which does not exist");
  p = Minimal();
  p.mutable_location(0)->set_mapping_id(5);
  ExpectError(Read(Serialize(p)), "mapping 5, which does not exist");
}

TEST(PprofMalformedTest, ZeroIds) {
  auto p = Minimal();
  p.mutable_function(0)->set_id(0);
  ExpectError(Read(Serialize(p)), "function has id 0");
  p = Minimal();
  p.mutable_location(0)->set_id(0);
  ExpectError(Read(Serialize(p)), "location has id 0");
  p = Minimal();
  p.mutable_sample(0)->set_location_id(0, 0);
  ExpectError(Read(Serialize(p)), "location 0");
}

TEST(PprofMalformedTest, DuplicateIds) {
  auto p = Minimal();
  *p.add_function() = p.function(0);
  ExpectError(Read(Serialize(p)), "duplicate function id 1");
}

TEST(PprofMalformedTest, HugeLength) {
  // Field 6 (string_table), wire type 2, length 2^62.
  std::vector<uint8_t> b = {0x32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};
  ExpectError(Read(b), "claims");
}

TEST(PprofMalformedTest, ValueCountMismatch) {
  auto p = Minimal();
  p.mutable_sample(0)->add_value(7);
  ExpectError(Read(Serialize(p)), "2 values but the profile has 1 sample types");
}

TEST(PprofMalformedTest, FirstStringMustBeEmpty) {
  auto p = Minimal();
  p.set_string_table(0, "x");
  ExpectError(Read(Serialize(p)), "string_table[0]");
}

TEST(PprofMalformedTest, WrongWireType) {
  // sample_type (field 1) as a varint.
  ExpectError(Read({0x32, 0x00, 0x08, 0x01}), "wire type");
}

TEST(PprofMalformedTest, HugeCountsDoNotAllocate) {
  // A packed run claiming many values but holding few bytes.
  std::vector<uint8_t> sample = {0x12, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10};
  std::vector<uint8_t> b = {0x12, static_cast<uint8_t>(sample.size())};
  b.insert(b.end(), sample.begin(), sample.end());
  ExpectError(Read(b), "byte");
}

}  // namespace
}  // namespace gcspike
