// PerfProfileAssembler (formats/perf_profile_assembler.h) with hand-made decoded samples: the
// stack of a sample (callchain context markers, the IP when there is no callchain), its values
// and labels, the spool's one sample per distinct stack with values summed (and an error when a
// sum overflows), the sample types named from EVENT_DESC or perf's defaults, and the callers
// frameless leaves hide put back into -g stacks.
#include "formats/perf_profile_assembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/sample_spool.h"
#include "formats/perf_event_abi.h"
#include "symbolizer/elf_image.h"
#include "tests/unit/perf_data_builder.h"
#include "tests/unit/symbolizer/frameless/calls_binary.h"

namespace gcspike {
namespace {

// The layers under the assembler, with no binaries and no kernel symbols.
struct Layers {
  explicit Layers(bool spool)
      : symbolizer(options, space, header, [this](const std::string& m) { warnings.push_back(m); }),
        assembler(profile, builder, space, symbolizer, spool) {
    options.kallsyms.clear();
    attrs.resize(1);
    attrs[0].type = perf::attr_type::kSoftware;
    attrs[0].config = perf::sw::kCpuClock;
  }
  ReadOptions options;
  Profile profile;
  ProfileBuilder builder{profile};
  PerfAddressSpace space;
  PerfHeaderInfo header;
  std::vector<std::string> warnings;
  PerfSymbolizer symbolizer;
  PerfProfileAssembler assembler;
  std::vector<PerfAttr> attrs;
  std::vector<std::vector<uint8_t>> chains;  // the bytes the samples' callchains point into

  Status Add(uint32_t tid, uint64_t period, std::vector<uint64_t> chain, size_t attr = 0,
             uint16_t misc = perf::misc::kUser, uint64_t ip = 0) {
    PerfSample s;
    s.has_ip = s.has_tid = s.has_time = true;
    s.ip = ip;
    s.pid = 7;
    s.tid = tid;
    s.time = 1000 + 10 * chains.size();
    s.period = period;
    testing::PerfBytes b;
    for (uint64_t a : chain) b.u64(a);
    chains.push_back(b.v);
    s.has_callchain = !chain.empty();
    s.callchain = ByteCursor(chains.back());
    s.callchain_size = chain.size();
    return assembler.AddSample(attrs, attr, misc, s, 4096,
                               PerfProfileAssembler::RawStackHash(misc, s));
  }
  Status Finish() {
    NamePerfEvents(attrs, {}, header);
    GCSPIKE_RETURN_IF_ERROR(assembler.Finish(attrs, header, nullptr));
    return assembler.Close();
  }
  std::vector<uint64_t> Addresses(const Sample& s) const {
    std::vector<uint64_t> out;
    for (uint64_t id : s.location_ids) out.push_back(profile.location(id).address);
    return out;
  }
};

TEST(PerfProfileAssembler, StacksValuesAndLabels) {
  Layers l(false);
  l.header.event_desc_names = {"probe:main"};
  testing::PerfDataBuilder b;
  b.Comm(7, 7, "main").Comm(7, 8, "worker");
  ByteCursor records(b.data());
  for (int i = 0; i < 2; ++i) {
    ByteCursor comm = *records.sub(32);  // header, pid, tid, comm[16]
    ASSERT_TRUE(comm.skip(8).ok());
    ASSERT_TRUE(l.space.AddComm(comm).ok());
  }
  using perf::context::kKernel;
  using perf::context::kUser;
  ASSERT_TRUE(
      l.Add(8, 500, {kKernel, 0xffffffff81000010, kUser, 0x1000, 0x2000}, 0, perf::misc::kKernel)
          .ok());
  ASSERT_TRUE(l.Add(9, 700, {}, 0, perf::misc::kUser, 0x3000).ok());  // no callchain: the IP
  ASSERT_TRUE(l.Finish().ok());
  Profile& p = l.profile;
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(l.Addresses(p.samples[0]), (std::vector<uint64_t>{0xffffffff81000010, 0x1000, 0x2000}));
  EXPECT_EQ(l.Addresses(p.samples[1]), (std::vector<uint64_t>{0x3000}));
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{1, 500}));
  EXPECT_EQ(p.NumLabel(p.samples[0], "tid"), 8);
  EXPECT_EQ(p.StrLabel(p.samples[0], "comm"), "worker");
  EXPECT_EQ(p.StrLabel(p.samples[1], "comm"), "main");  // tid 9: its process's name
  EXPECT_EQ(p.NumLabel(p.samples[1], "timestamp_ns"), 1010);
  EXPECT_EQ(p.duration_nanos, 10);
  ASSERT_EQ(p.sample_types.size(), 2u);
  EXPECT_EQ(p.str(p.sample_types[0].type), "probe:main_samples");
  EXPECT_EQ(p.str(p.sample_types[1].unit), "nanoseconds");
  // The kernel frame has no symbols: "[kernel]".
  const Location& k = p.location(p.samples[0].location_ids[0]);
  ASSERT_EQ(k.lines.size(), 1u);
  EXPECT_EQ(p.str(p.function(k.lines[0].function_id).name), "[kernel]");
}

// pprof takes the first mapping for the program's binary: the user file in the most samples
// comes first whatever frame was seen first (here the kernel's, then libc's), with and without
// the spool; the kernel and [vdso] never do.
TEST(PerfProfileAssembler, TheMainMappingIsTheFileInTheMostSamples) {
  using perf::context::kKernel;
  using perf::context::kUser;
  auto map = [](Layers& l) {
    testing::PerfDataBuilder b;
    b.Mmap(7, 0x7f0000000000, 0x1000, "/usr/lib/libc.so.6")
        .Mmap(7, 0x7f0000100000, 0x1000, "[vdso]")
        .Mmap(7, 0x400000, 0x100000, "/opt/app/server");
    ByteCursor records(b.data());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(records.skip(6).ok());  // type, misc
      const uint16_t size = *records.u16le();
      ByteCursor body = *records.sub(size - 8);
      ASSERT_TRUE(l.space.AddMmap(perf::record::kMmap, perf::misc::kUser, body).ok());
    }
  };
  for (bool spool : {false, true}) {
    Layers l(spool);
    map(l);
    ASSERT_TRUE(
        l.Add(7, 1, {kKernel, 0xffffffff81000010, kUser, 0x7f0000000100}, 0, perf::misc::kKernel)
            .ok());
    ASSERT_TRUE(l.Add(7, 1, {kUser, 0x7f0000100010, 0x7f0000000200, 0x401000}).ok());
    for (uint64_t leaf : {0x402000, 0x403000, 0x404000}) {
      ASSERT_TRUE(l.Add(7, 1, {kUser, leaf, 0x401000, 0x401800}).ok());
    }
    ASSERT_TRUE(l.Finish().ok());
    const Profile& p = l.profile;
    ASSERT_GE(p.mappings.size(), 3u);
    EXPECT_EQ(p.str(p.mappings[0].filename), "/opt/app/server") << spool;
    EXPECT_EQ(p.mappings[0].id, 1u);
    for (const Sample& s : p.samples) {  // every location keeps its own mapping
      for (uint64_t id : s.location_ids) {
        const Location& loc = p.location(id);
        const std::string file =
            loc.mapping_id == 0 ? "" : std::string(p.str(p.mapping(loc.mapping_id).filename));
        const bool app = loc.address >= 0x400000 && loc.address < 0x500000;
        EXPECT_EQ(file == "/opt/app/server", app) << std::hex << loc.address;
      }
    }
  }
  // No user file in any stack ([vdso] is none): the mappings stay in the order they were met.
  Layers l(false);
  map(l);
  ASSERT_TRUE(l.Add(7, 1, {kUser, 0x7f0000100010, 0x7f0000100020}).ok());
  ASSERT_TRUE(l.Finish().ok());
  ASSERT_EQ(l.profile.mappings.size(), 1u);
  EXPECT_EQ(l.profile.str(l.profile.mappings[0].filename), "[vdso]");
}

TEST(PerfProfileAssembler, SpoolKeepsOneSamplePerStack) {
  Layers l(true);
  l.attrs.resize(2);  // a second event (hardware cycles)
  const std::vector<uint64_t> a = {perf::context::kUser, 0x1000, 0x2000};
  const std::vector<uint64_t> b = {perf::context::kUser, 0x1000};
  ASSERT_TRUE(l.Add(8, 5, a).ok());
  ASSERT_TRUE(l.Add(8, 7, b, 1).ok());
  ASSERT_TRUE(l.Add(9, 11, a).ok());
  ASSERT_TRUE(l.Add(9, 13, a, 1).ok());
  EXPECT_TRUE(l.assembler.has_samples());
  ASSERT_TRUE(l.Finish().ok());
  Profile& p = l.profile;
  ASSERT_NE(p.spool, nullptr);
  EXPECT_EQ(p.SampleRecordCount(), 4u);
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[0].values, (std::vector<int64_t>{2, 16, 1, 13}));
  EXPECT_EQ(p.samples[1].values, (std::vector<int64_t>{0, 0, 1, 7}));
  EXPECT_EQ(p.str(p.sample_types[2].type), "cycles_samples");
  EXPECT_EQ(p.str(p.sample_types[3].unit), "events");
}

// Several events: viewers show the first that samples CPU time, whatever the order; one event
// leaves pprof's rule (the last type) alone.
TEST(PerfProfileAssembler, TheDefaultTypeIsTheFirstCpuTimeEventsPeriod) {
  auto default_type = [](std::vector<std::pair<uint32_t, uint64_t>> events) {
    Layers l(false);
    l.attrs.resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      l.attrs[i].type = events[i].first;
      l.attrs[i].config = events[i].second;
    }
    EXPECT_TRUE(l.Add(8, 5, {perf::context::kUser, 0x1000}).ok());
    EXPECT_TRUE(l.Finish().ok());
    const Profile& p = l.profile;
    EXPECT_EQ(p.period_type.type, p.sample_types[p.DefaultValueIndex()].type);
    return p.str(p.sample_types[p.DefaultValueIndex()].type);
  };
  constexpr uint32_t kSw = perf::attr_type::kSoftware, kTp = perf::attr_type::kTracepoint;
  const uint64_t kFaults = 2;  // PERF_COUNT_SW_PAGE_FAULTS
  EXPECT_EQ(default_type({{kSw, perf::sw::kCpuClock}, {kTp, 316}}), "cpu-clock_period");
  EXPECT_EQ(default_type({{kTp, 316}, {kSw, kFaults}, {kSw, perf::sw::kTaskClock}}),
            "task-clock_period");
  EXPECT_EQ(default_type({{kSw, kFaults}, {perf::attr_type::kHardware, perf::hw::kCpuCycles}}),
            "cycles_period");
  EXPECT_EQ(default_type({{kSw, kFaults}, {kTp, 316}}), "page-faults_period");
  Layers one(false);
  ASSERT_TRUE(one.Add(8, 5, {perf::context::kUser, 0x1000}).ok());
  ASSERT_TRUE(one.Finish().ok());
  EXPECT_EQ(one.profile.default_sample_type, 0u);  // unchanged bytes for one event
}

TEST(PerfProfileAssembler, PeriodsOverflowingAStackAreAnError) {
  Layers l(true);
  const std::vector<uint64_t> a = {perf::context::kUser, 0x1000};
  ASSERT_TRUE(l.Add(8, uint64_t{INT64_MAX}, a).ok());
  Status st = l.Add(8, 1, a);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().offset, 4096u);
  EXPECT_NE(st.error().message.find("add up past 2^63 - 1"), std::string::npos);
  Layers m(false);
  st = m.Add(8, uint64_t{1} << 63, a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("beyond the largest value"), std::string::npos);
}

// The caller a frameless first user frame hides in a -g stack is inserted by Finish
// (docs/formats/perf-data.md#callchains), with and without the spool: samples of
// tests/unit/symbolizer/frameless/calls.s (linked by gcc here, mapped where it was linked) whose
// callchains skip `middle`, in user and kernel mode, next to stacks that must stay as they are.
// The expected stacks are the .s's labels as nm lists them.
class PerfFramelessCallers : public ::testing::TestWithParam<bool> {};

TEST_P(PerfFramelessCallers, TheSkippedCallerIsInsertedOncePerStack) {
  const testing::ScratchDir dir;
  const testing::CallsBinary calls = testing::BuildCallsBinary(dir.path());
  ASSERT_FALSE(calls.path.empty()) << "gcc or nm failed";
  auto image = ElfImage::Open(calls.path);
  ASSERT_TRUE(image.ok());
  const uint64_t base = *(*image)->FileOffsetToVaddr(0);  // not a PIE: mapped as linked
  const auto& sym = calls.symbols;
  Layers l(GetParam());
  testing::PerfDataBuilder b;
  b.Mmap(7, base, (*image)->file().size(), calls.path);
  ByteCursor records(b.data());
  ASSERT_TRUE(records.skip(6).ok());
  const uint16_t size = *records.u16le();
  ASSERT_TRUE(l.space.AddMmap(perf::record::kMmap, perf::misc::kUser, *records.sub(size - 8)).ok());

  using perf::context::kKernel;
  using perf::context::kUser;
  const uint64_t k = 0xffffffff81000010;
  const uint64_t after = sym.at("after_direct_call");
  struct Case {
    std::vector<uint64_t> chain;
    uint16_t misc;
    std::vector<uint64_t> want;  // addresses, leaf first
  };
  const uint64_t leaf = sym.at("leaf_body"), middle = sym.at("middle");
  const std::vector<Case> cases = {
      {{kUser, leaf, after, after}, perf::misc::kUser, {leaf, middle, after, after}},
      {{kUser, leaf, after}, perf::misc::kUser, {leaf, middle, after}},
      {{kKernel, k, kUser, leaf, after}, perf::misc::kKernel, {k, leaf, middle, after}},
      {{kUser, sym.at("framed_leaf_body"), after},
       perf::misc::kUser,
       {sym.at("framed_leaf_body"), after}},
      {{kUser, leaf, sym.at("after_indirect_call")},
       perf::misc::kUser,
       {leaf, sym.at("after_indirect_call")}},
      {{kUser, leaf}, perf::misc::kUser, {leaf}},
  };
  for (int round = 0; round < 2; ++round) {  // every stack twice
    for (const Case& c : cases) ASSERT_TRUE(l.Add(7, 1, c.chain, 0, c.misc).ok());
  }
  ASSERT_TRUE(l.Finish().ok());
  l.assembler.WarnUnwinding([&](const std::string& m) { l.warnings.push_back(m); });
  const Profile& p = l.profile;
  ASSERT_EQ(p.samples.size(), GetParam() ? cases.size() : 2 * cases.size());
  for (size_t i = 0; i < p.samples.size(); ++i) {
    std::vector<uint64_t> got;
    for (uint64_t id : p.samples[i].location_ids) got.push_back(p.location(id).address);
    EXPECT_EQ(got, cases[i % cases.size()].want) << i;
  }
  const Location& inserted = p.location(p.samples[0].location_ids[1]);
  ASSERT_EQ(inserted.lines.size(), 1u);
  EXPECT_EQ(p.str(p.function(inserted.lines[0].function_id).name), "middle");
  // Three cases recovered, each sampled twice: the same count with one sample per stack.
  const std::string want =
      "6 samples: a frameless function's caller recovered from the call "
      "instruction (6 by CFI, 0 by .gopclntab)";
  EXPECT_NE(std::find(l.warnings.begin(), l.warnings.end(), want), l.warnings.end())
      << ::testing::PrintToString(l.warnings);
}

INSTANTIATE_TEST_SUITE_P(SpoolAndInMemory, PerfFramelessCallers, ::testing::Bool());

}  // namespace
}  // namespace gcspike
