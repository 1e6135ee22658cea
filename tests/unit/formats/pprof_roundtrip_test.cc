// The hand-written pprof reader and writer checked against an independent codec: the classes
// protoc generates from formats/profile.proto. A profile is compared by its meaning (strings
// and ids resolved), since ids and the string table's order are free to change.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "formats/gzip_codec.h"
#include "formats/pprof_reader.h"
#include "formats/pprof_writer.h"
#include "profile.pb.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using wire::ProfileMsg;

std::string Canonical(const ProfileMsg& p) {
  auto s = [&](int64_t i) -> std::string {
    if (i < 0 || i >= p.string_table_size()) return "<bad string " + std::to_string(i) + ">";
    return "'" + p.string_table(static_cast<int>(i)) + "'";
  };
  std::ostringstream o;
  for (const auto& vt : p.sample_type())
    o << "type " << s(vt.type()) << "/" << s(vt.unit()) << "\n";
  o << "period " << s(p.period_type().type()) << "/" << s(p.period_type().unit()) << " "
    << p.period() << "\n";
  o << "time " << p.time_nanos() << " " << p.duration_nanos() << "\n";
  o << "drop " << s(p.drop_frames()) << " keep " << s(p.keep_frames()) << "\n";
  for (int64_t c : p.comment()) o << "comment " << s(c) << "\n";
  o << "default " << s(p.default_sample_type()) << " doc " << s(p.doc_url()) << "\n";
  auto mapping = [&](uint64_t id) -> std::string {
    if (id == 0) return "-";
    for (const auto& m : p.mapping()) {
      if (m.id() != id) continue;
      std::ostringstream mo;
      mo << std::hex << m.memory_start() << "-" << m.memory_limit() << "@" << m.file_offset()
         << std::dec << " " << s(m.filename()) << " " << s(m.build_id()) << " " << m.has_functions()
         << m.has_filenames() << m.has_line_numbers() << m.has_inline_frames();
      return mo.str();
    }
    return "<missing mapping>";
  };
  auto function = [&](uint64_t id) -> std::string {
    for (const auto& f : p.function()) {
      if (f.id() == id) {
        return s(f.name()) + "|" + s(f.system_name()) + "|" + s(f.filename()) + ":" +
               std::to_string(f.start_line());
      }
    }
    return "<missing function>";
  };
  auto location = [&](uint64_t id) -> std::string {
    for (const auto& l : p.location()) {
      if (l.id() != id) continue;
      std::ostringstream lo;
      lo << "[" << mapping(l.mapping_id()) << " 0x" << std::hex << l.address() << std::dec
         << (l.is_folded() ? " folded" : "");
      for (const auto& ln : l.line()) {
        lo << " " << function(ln.function_id()) << ":" << ln.line() << ":" << ln.column();
      }
      return lo.str() + "]";
    }
    return "<missing location>";
  };
  for (const auto& sm : p.sample()) {
    o << "sample";
    for (int64_t v : sm.value()) o << " " << v;
    for (const auto& l : sm.label()) {
      o << " {" << s(l.key()) << "=" << s(l.str()) << "," << l.num() << " " << s(l.num_unit())
        << "}";
    }
    for (uint64_t id : sm.location_id()) o << "\n  " << location(id);
    o << "\n";
  }
  for (const auto& m : p.mapping()) o << "mapping " << mapping(m.id()) << "\n";
  for (const auto& f : p.function()) o << "function " << function(f.id()) << "\n";
  return o.str();
}

ProfileMsg ParseWithProtobuf(const std::vector<uint8_t>& maybe_gzipped) {
  std::vector<uint8_t> raw = maybe_gzipped;
  if (LooksGzipped(raw)) raw = *Gunzip(raw, 1ull << 32);
  ProfileMsg msg;
  EXPECT_TRUE(msg.ParseFromArray(raw.data(), static_cast<int>(raw.size())));
  return msg;
}

std::vector<uint8_t> Serialize(const ProfileMsg& msg) {
  std::string s;
  msg.SerializeToString(&s);
  return std::vector<uint8_t>(s.begin(), s.end());
}

// A profile that sets every field of the format, built with the generated classes. Ids are
// deliberately sparse and the string table has a duplicate.
ProfileMsg KitchenSink() {
  ProfileMsg p;
  for (const char* s : {"",
                        "samples",
                        "count",
                        "cpu",
                        "nanoseconds",
                        "main.main",
                        "main.go",
                        "runtime.mapassign_faststr",
                        "map.go",
                        "/bin/app",
                        "abc123",
                        "runtime\\..*",
                        "runtime\\.mapassign.*",
                        "a comment",
                        "second comment",
                        "https://example.invalid/doc",
                        "bytes",
                        "worker",
                        "7",
                        "count",
                        "_ZN4main4mainEv"}) {
    p.add_string_table(s);
  }
  auto* st = p.add_sample_type();
  st->set_type(1);
  st->set_unit(2);
  st = p.add_sample_type();
  st->set_type(3);
  st->set_unit(4);
  p.mutable_period_type()->set_type(3);
  p.mutable_period_type()->set_unit(4);
  p.set_period(10000000);
  p.set_time_nanos(1700000000123456789);
  p.set_duration_nanos(2000000000);
  p.set_drop_frames(11);
  p.set_keep_frames(12);
  p.add_comment(13);
  p.add_comment(14);
  p.set_default_sample_type(3);
  p.set_doc_url(15);
  auto* m = p.add_mapping();
  m->set_id(7);
  m->set_memory_start(0x400000);
  m->set_memory_limit(0x800000);
  m->set_file_offset(0x1000);
  m->set_filename(9);
  m->set_build_id(10);
  m->set_has_functions(true);
  m->set_has_filenames(true);
  m->set_has_line_numbers(true);
  m->set_has_inline_frames(true);
  auto* f = p.add_function();
  f->set_id(100);
  f->set_name(5);
  f->set_system_name(20);
  f->set_filename(6);
  f->set_start_line(10);
  f = p.add_function();
  f->set_id(200);
  f->set_name(7);
  f->set_system_name(7);
  f->set_filename(8);
  f->set_start_line(300);
  auto* l = p.add_location();
  l->set_id(0xdead);
  l->set_mapping_id(7);
  l->set_address(0x401234);
  auto* ln = l->add_line();
  ln->set_function_id(200);
  ln->set_line(321);
  ln->set_column(5);
  ln = l->add_line();
  ln->set_function_id(100);
  ln->set_line(12);
  l = p.add_location();
  l->set_id(3);
  l->set_mapping_id(7);
  l->set_address(0x401000);
  l->set_is_folded(true);
  ln = l->add_line();
  ln->set_function_id(100);
  ln->set_line(11);
  auto* sm = p.add_sample();
  sm->add_location_id(0xdead);
  sm->add_location_id(3);
  sm->add_value(3);
  sm->add_value(30000000);
  auto* lb = sm->add_label();
  lb->set_key(17);
  lb->set_str(18);
  lb = sm->add_label();
  lb->set_key(16);
  lb->set_num(4096);
  lb->set_num_unit(16);
  sm = p.add_sample();
  sm->add_location_id(3);
  sm->add_value(1);
  sm->add_value(10000000);
  return p;
}

TEST(PprofRoundTripTest, EveryFieldSurvives) {
  const ProfileMsg in = KitchenSink();
  auto model = ReadPprofMessage(Serialize(in));
  ASSERT_OK(model);
  auto out = EncodePprof(*model, {});
  ASSERT_OK(out);
  ASSERT_TRUE(LooksGzipped(*out));
  const ProfileMsg back = ParseWithProtobuf(*out);
  EXPECT_EQ(Canonical(in), Canonical(back));
  // The string table is deduplicated: "count" appeared twice.
  EXPECT_EQ(back.string_table_size(), in.string_table_size() - 1);
  EXPECT_EQ(back.string_table(0), "");
}

TEST(PprofRoundTripTest, UnpackedRepeatedFieldsAreAccepted) {
  // Build the sample by hand with unpacked location ids and values (field 1 and 2 as varints).
  ProfileMsg base = KitchenSink();
  base.clear_sample();
  std::vector<uint8_t> bytes = Serialize(base);
  const std::vector<uint8_t> sample = {0x08, 0x03, 0x10, 0x02, 0x10, 0x05};  // loc 3; values 2, 5
  bytes.push_back(0x12);
  bytes.push_back(static_cast<uint8_t>(sample.size()));
  bytes.insert(bytes.end(), sample.begin(), sample.end());
  auto model = ReadPprofMessage(bytes);
  ASSERT_OK(model);
  ASSERT_EQ(model->samples.size(), 1u);
  EXPECT_EQ(model->samples[0].values, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(model->samples[0].location_ids.size(), 1u);
}

TEST(PprofRoundTripTest, OutputIsDeterministicAndIdempotent) {
  auto model = ReadPprofMessage(Serialize(KitchenSink()));
  ASSERT_OK(model);
  auto a = EncodePprof(*model, {});
  auto b = EncodePprof(*model, {});
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(*a, *b);
  auto again = ReadPprofMessage(*Gunzip(*a, 1 << 30));
  ASSERT_OK(again);
  auto c = EncodePprof(*again, {});
  ASSERT_OK(c);
  EXPECT_EQ(*a, *c);
}

TEST(PprofRoundTripTest, NegativeValuesSurvive) {
  // A delta profile (go tool pprof -diff_base) has negative values; they are kept exactly,
  // INT64_MIN included.
  ProfileMsg in = KitchenSink();
  in.mutable_sample(0)->set_value(1, -5);
  in.mutable_sample(0)->set_value(0, INT64_MIN);
  auto model = ReadPprofMessage(Serialize(in));
  ASSERT_OK(model);
  auto out = EncodePprof(*model, {});
  ASSERT_OK(out);
  auto back = ReadPprofMessage(*Gunzip(*out, 1 << 30));
  ASSERT_OK(back);
  EXPECT_EQ(back->samples[0].values[1], -5);
  EXPECT_EQ(back->samples[0].values[0], INT64_MIN);
}

TEST(PprofRoundTripTest, RealFixturesSurvive) {
  const auto files = testing::FixtureFiles("pprof", ".pb.gz");
  ASSERT_FALSE(files.empty()) << "fixtures/pprof is empty: run scripts/make-fixtures";
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    const auto bytes = testing::ReadFileBytes(path);
    const ProfileMsg in = ParseWithProtobuf(bytes);
    auto model = ReadPprofMessage(*Gunzip(bytes, 1ull << 32));
    ASSERT_OK(model);
    auto out = EncodePprof(*model, {});
    ASSERT_OK(out);
    EXPECT_EQ(Canonical(in), Canonical(ParseWithProtobuf(*out)));
  }
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

// Samples that repeat a stack and labels: read with spooling, the model has one Sample per
// distinct (stack, labels) with the values summed and the samples themselves in a spool; the
// pprof written from it is byte for byte the one written from the plain read, and means what
// the input means (checked with the protobuf classes).
TEST(PprofRoundTripTest, RepeatedSamplesAreSpooledLosslessly) {
  ProfileMsg in = KitchenSink();
  const auto first = in.sample(0), second = in.sample(1);
  for (int i = 0; i < 5; ++i) {
    auto* a = in.add_sample();
    *a = first;
    a->set_value(0, 10 + i);
    *in.add_sample() = second;
  }
  auto* other_labels = in.add_sample();  // the first stack with other labels: distinct
  *other_labels = first;
  other_labels->mutable_label(0)->set_str(19);
  const std::vector<uint8_t> bytes = Serialize(in);
  auto plain = ReadPprofMessage(bytes);
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  PprofReadOptions options;
  options.spool_samples = true;
  auto spooled = ReadPprofMessage(bytes, 0, options);
  ASSERT_TRUE(spooled.ok()) << spooled.error().ToString();
  ASSERT_NE(spooled->spool, nullptr);
  EXPECT_EQ(plain->samples.size(), 13u);
  EXPECT_EQ(spooled->samples.size(), 3u);
  EXPECT_EQ(spooled->SampleRecordCount(), 13u);
  EXPECT_EQ(spooled->RecordsOf(0), 6u);
  EXPECT_EQ(spooled->samples[0].values[0], 3 + 10 + 11 + 12 + 13 + 14);
  auto a = EncodePprof(*plain, {});
  auto b = EncodePprof(*spooled, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b) << "spooled and plain pprof differ";
  EXPECT_EQ(Canonical(in), Canonical(ParseWithProtobuf(*b)));
  // Materialized, the spooled profile is the plain one, sample for sample.
  Profile materialized = std::move(*spooled);
  ASSERT_TRUE(MaterializeSpool(materialized, UINT64_MAX).ok());
  ASSERT_EQ(materialized.samples.size(), plain->samples.size());
  for (size_t i = 0; i < plain->samples.size(); ++i) {
    EXPECT_EQ(materialized.samples[i].location_ids, plain->samples[i].location_ids);
    EXPECT_EQ(materialized.samples[i].values, plain->samples[i].values);
    EXPECT_EQ(materialized.samples[i].labels.size(), plain->samples[i].labels.size());
  }
  // Without repeats there is no spool: the model is the plain one.
  auto kitchen = ReadPprofMessage(Serialize(KitchenSink()), 0, options);
  ASSERT_TRUE(kitchen.ok());
  EXPECT_EQ(kitchen->spool, nullptr);
  EXPECT_EQ(kitchen->samples.size(), 2u);
}

// The model's own memory is bounded: past the budget the read fails naming the offset.
TEST(PprofRoundTripTest, ModelPastTheBudgetIsRefused) {
  ProfileMsg in = KitchenSink();
  for (int i = 0; i < 1000; ++i) in.add_sample()->add_location_id(static_cast<uint64_t>(3));
  for (auto& s : *in.mutable_sample()) {
    while (s.value_size() < 2) s.add_value(1);
  }
  const std::vector<uint8_t> bytes = Serialize(in);
  PprofReadOptions options;
  options.max_model_bytes = 64 << 10;
  auto refused = ReadPprofMessage(bytes, 0, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("memory budget of 65536 bytes"), std::string::npos)
      << refused.error().ToString();
  EXPECT_TRUE(refused.error().offset.has_value());
  // Spooled, the 1000 repeats are one sample: the same budget is enough.
  options.spool_samples = true;
  auto spooled = ReadPprofMessage(bytes, 0, options);
  ASSERT_TRUE(spooled.ok()) << spooled.error().ToString();
  EXPECT_EQ(spooled->SampleRecordCount(), 1002u);
}

}  // namespace
}  // namespace gcspike
