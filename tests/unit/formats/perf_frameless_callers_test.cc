// PerfProfileAssembler::Finish inserts the caller a frameless first user frame hides
// (docs/formats/perf-data.md#callchains) into -g stacks, with and without the spool: samples of
// tests/unit/symbolizer/frameless/calls.s (linked by gcc here, mapped where it was linked) whose
// callchains skip `middle`, in user and kernel mode, next to stacks that must stay as they are.
// The expected stacks are the .s's labels as nm lists them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "formats/perf_event_abi.h"
#include "formats/perf_profile_assembler.h"
#include "symbolizer/elf_image.h"
#include "tests/unit/perf_data_builder.h"
#include "tests/unit/symbolizer/frameless/calls_binary.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

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
  std::vector<std::vector<uint8_t>> chains;
};

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
    for (const Case& c : cases) {
      PerfSample s;
      s.has_ip = s.has_tid = true;
      s.pid = s.tid = 7;
      s.period = 1;
      testing::PerfBytes bytes;
      for (uint64_t a : c.chain) bytes.u64(a);
      l.chains.push_back(bytes.v);
      s.has_callchain = true;
      s.callchain = ByteCursor(l.chains.back());
      s.callchain_size = c.chain.size();
      ASSERT_TRUE(
          l.assembler
              .AddSample(l.attrs, 0, c.misc, s, 0, PerfProfileAssembler::RawStackHash(c.misc, s))
              .ok());
    }
  }
  NamePerfEvents(l.attrs, {}, l.header);
  ASSERT_TRUE(l.assembler.Finish(l.attrs, l.header, nullptr).ok());
  l.assembler.WarnUnwinding([&](const std::string& m) { l.warnings.push_back(m); });
  ASSERT_TRUE(l.assembler.Close().ok());
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
