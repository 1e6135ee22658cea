// RecoverFramelessCaller (symbolizer/frameless_caller.h) on
// tests/unit/symbolizer/frameless/calls.s, assembled and linked by gcc here (never run): which
// function a frame-pointer callchain skipped, for a sample in a frameless leaf below a direct call,
// and nothing where the leaf has a frame, where the call is indirect or lands inside a function, or
// where the leaf has no CFI. The expected addresses are the .s's labels as nm lists them.
#include "symbolizer/frameless_caller.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "tests/unit/symbolizer/frameless/calls_binary.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

class FramelessCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::CallsBinary calls = testing::BuildCallsBinary(dir_.path());
    ASSERT_FALSE(calls.path.empty()) << "gcc or nm failed";
    auto image = ElfImage::Open(calls.path);
    ASSERT_TRUE(image.ok()) << image.error().ToString();
    image_ = *image;
    sym_ = calls.symbols;
    ASSERT_NE(sym_["after_direct_call"], 0u);
    // Not a PIE: the file is mapped where it was linked, its first byte at the first segment.
    const std::optional<uint64_t> base = image_->FileOffsetToVaddr(0);
    ASSERT_TRUE(base.has_value());
    base_ = *base;
  }

  std::optional<RecoveredCaller> Recover(const std::string& leaf, const std::string& ret) {
    const ImageLookup lookup = [&](uint64_t addr, MappedImage* out) {
      if (addr < base_ || addr - base_ >= image_->file().size()) return false;
      *out = {image_.get(), base_, image_->file().size(), 0};
      return true;
    };
    return RecoverFramelessCaller(unwinder_, lookup, sym_.at(leaf), sym_.at(ret));
  }

  testing::ScratchDir dir_;
  std::shared_ptr<ElfImage> image_;
  std::map<std::string, uint64_t> sym_;
  uint64_t base_ = 0;
  DwarfUnwinder unwinder_;
};

TEST_F(FramelessCallerTest, FramelessLeafBelowADirectCallGetsTheCallTarget) {
  // Sampled in leaf (called by middle, called by outer): rbp is middle's, so the callchain's
  // first return address is outer's, after `call middle`.
  for (const char* pc : {"leaf", "leaf_body", "framed_leaf_ret", "framed_leaf_mov"}) {
    const std::optional<RecoveredCaller> got = Recover(pc, "after_direct_call");
    ASSERT_TRUE(got.has_value()) << pc;
    EXPECT_EQ(got->entry, sym_.at("middle")) << pc;
    EXPECT_EQ(got->evidence, FramelessEvidence::kCfi) << pc;
  }
}

TEST_F(FramelessCallerTest, NothingWhereTheLeafHasAFrameOrTheCallNamesNoFunction) {
  // A frame set up (CFA from rbp); only other registers pushed (rsp+16, no mov to rbp next);
  // no CFI and no .gopclntab.
  for (const char* pc : {"framed_leaf_body", "pushing_leaf_body", "bare_leaf"}) {
    EXPECT_FALSE(Recover(pc, "after_direct_call").has_value()) << pc;
  }
  // `call *%rax` names no target; `call middle+1` lands inside a function.
  EXPECT_FALSE(Recover("leaf", "after_indirect_call").has_value());
  EXPECT_FALSE(Recover("leaf", "after_call_into_body").has_value());
}

TEST_F(FramelessCallerTest, CallTargetsAndFunctionEntriesFromTheBytes) {
  const uint64_t after = sym_.at("after_direct_call");
  EXPECT_EQ(DirectCallTarget(*image_, after), sym_.at("middle"));
  EXPECT_EQ(DirectCallTarget(*image_, sym_.at("after_call_into_body")), sym_.at("middle") + 1);
  EXPECT_FALSE(DirectCallTarget(*image_, sym_.at("after_indirect_call")).has_value());
  EXPECT_FALSE(DirectCallTarget(*image_, 3).has_value());
  EXPECT_FALSE(DirectCallTarget(*image_, UINT64_MAX).has_value());
  EXPECT_TRUE(IsFunctionEntry(*image_, sym_.at("middle")));
  EXPECT_FALSE(IsFunctionEntry(*image_, sym_.at("middle") + 1));
  EXPECT_FALSE(GoLeavesCallerFrame(*image_, sym_.at("leaf")).has_value());  // not Go
}

}  // namespace
}  // namespace gcspike
