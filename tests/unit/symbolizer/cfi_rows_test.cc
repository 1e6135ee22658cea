// CFI rows (symbolizer/cfi_rows.h) over hand-built .eh_frame bytes: a gcc-style prologue and
// epilogue row by row, remember/restore_state, the search table, what is unsupported (handed
// to libunwind) or failed (no FDE), truncated and hostile input, and the row cache.
#include "symbolizer/cfi_rows.h"

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::PutU32;

constexpr uint64_t kBase = 0x400000;  // where the test bytes are "loaded"

class VectorMemory : public CfiMemory {
 public:
  explicit VectorMemory(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  bool ReadWord(uint64_t a, uint64_t* out) override {
    ++reads;
    if (a < kBase || a - kBase > bytes_.size() || bytes_.size() - (a - kBase) < 8) return false;
    std::memcpy(out, bytes_.data() + (a - kBase), 8);
    return true;
  }
  int reads = 0;

 private:
  const std::vector<uint8_t>& bytes_;
};

void Put(std::vector<uint8_t>& b, std::initializer_list<uint8_t> bytes) {
  b.insert(b.end(), bytes);
}

// CIE at offset 0: version 1, augmentation `aug`, code_align 1, data_align -8, RA column 16,
// then `init` (the initial instructions). Returns its bytes.
std::vector<uint8_t> Cie(const char* aug, std::initializer_list<uint8_t> aug_data,
                         std::initializer_list<uint8_t> init, uint8_t version = 1) {
  std::vector<uint8_t> body;
  PutU32(body, 0);  // CIE id
  body.push_back(version);
  for (const char* c = aug; *c != 0; ++c) body.push_back(static_cast<uint8_t>(*c));
  body.push_back(0);
  Put(body, {1, 0x78, 16});  // code_align 1, data_align -8 (SLEB128), RA 16
  if (aug[0] == 'z') body.push_back(static_cast<uint8_t>(aug_data.size()));
  Put(body, aug_data);
  Put(body, init);
  while ((body.size() + 4) % 8 != 0) body.push_back(0);  // DW_CFA_nop padding
  std::vector<uint8_t> out;
  PutU32(out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Appends an FDE for [start, start + range) with pc-relative sdata4 addresses ("zR" 0x1b).
uint64_t AddFde(std::vector<uint8_t>& s, uint64_t start, uint32_t range,
                std::initializer_list<uint8_t> program) {
  const uint64_t at = s.size();
  std::vector<uint8_t> body;
  PutU32(body, static_cast<uint32_t>(at + 4));  // CIE pointer: back to offset 0
  const uint64_t field = kBase + at + 8;
  PutU32(body, static_cast<uint32_t>(start - field));
  PutU32(body, range);
  body.push_back(0);  // augmentation data length
  Put(body, program);
  PutU32(s, static_cast<uint32_t>(body.size()));
  s.insert(s.end(), body.begin(), body.end());
  return kBase + at;
}

constexpr uint64_t kFn = 0x401000;
// push rbp; mov rbp, rsp; ...; leave; ret, as gcc -fno-omit-frame-pointer describes it, then
// remember_state around an early return.
std::vector<uint8_t> PrologueFrame(uint64_t* fde) {
  auto s = Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1});  // def_cfa rsp+8; offset r16 at cfa-8
  *fde = AddFde(s, kFn, 0x40,
                {0x41, 0x0e, 16, 0x86, 2,  // +1: def_cfa_offset 16; offset rbp at cfa-16
                 0x43, 0x0d, 6,            // +4: def_cfa_register rbp
                 0x4c, 0x0a,               // +16: remember_state
                 0x0c, 7, 8,               //      def_cfa rsp+8 (after leave)
                 0x41, 0x0b});             // +17: restore_state
  s.resize(s.size() + 8, 0);
  return s;
}

CfiRow RowAt(std::vector<uint8_t>& s, uint64_t fde_at, uint64_t pc) {
  VectorMemory mem(s);
  CfiFde fde;
  EXPECT_EQ(ReadCfiFde(mem, fde_at, &fde), CfiStatus::kOk);
  CfiRow row;
  EXPECT_EQ(EvaluateCfiRow(mem, fde, pc, &row), CfiStatus::kOk);
  return row;
}

TEST(CfiRows, PrologueAndEpilogueRows) {
  uint64_t fde_at = 0;
  auto s = PrologueFrame(&fde_at);
  VectorMemory mem(s);
  CfiFde fde;
  ASSERT_EQ(ReadCfiFde(mem, fde_at, &fde), CfiStatus::kOk);
  EXPECT_EQ(fde.start_ip, kFn);
  EXPECT_EQ(fde.end_ip, kFn + 0x40);
  EXPECT_EQ(fde.code_align, 1u);
  EXPECT_EQ(fde.data_align, static_cast<uint64_t>(-8));

  CfiRow r = RowAt(s, fde_at, kFn);  // entry: CFA = rsp + 8, RA at CFA - 8, rbp untouched
  EXPECT_EQ(r.cfa_register, 7);
  EXPECT_EQ(r.cfa_offset, 8u);
  EXPECT_EQ(r.return_address, CfiRow::Rule::kAtCfa);
  EXPECT_EQ(r.return_address_offset, static_cast<uint64_t>(-8));
  EXPECT_EQ(r.rbp, CfiRow::Rule::kSame);

  r = RowAt(s, fde_at, kFn + 1);  // after push rbp
  EXPECT_EQ(r.cfa_register, 7);
  EXPECT_EQ(r.cfa_offset, 16u);
  EXPECT_EQ(r.rbp, CfiRow::Rule::kAtCfa);
  EXPECT_EQ(r.rbp_offset, static_cast<uint64_t>(-16));

  for (uint64_t pc : {kFn + 4, kFn + 15, kFn + 17, kFn + 0x3f}) {  // body, restored state
    r = RowAt(s, fde_at, pc);
    EXPECT_EQ(r.cfa_register, 6) << pc;
    EXPECT_EQ(r.cfa_offset, 16u) << pc;
    EXPECT_EQ(r.rbp, CfiRow::Rule::kAtCfa) << pc;
  }
  r = RowAt(s, fde_at, kFn + 16);  // after leave, before ret
  EXPECT_EQ(r.cfa_register, 7);
  EXPECT_EQ(r.cfa_offset, 8u);
}

TEST(CfiRows, SearchTableFindsTheLastStartAtOrBelow) {
  std::vector<uint8_t> t;
  for (int32_t start : {0x10, 0x20, 0x40}) {
    PutU32(t, static_cast<uint32_t>(start));
    PutU32(t, static_cast<uint32_t>(start * 100));
  }
  VectorMemory mem(t);
  int32_t off = 0;
  EXPECT_EQ(SearchCfiTable(mem, kBase, 3, 0x0f, &off), CfiStatus::kFailed);
  for (auto [ip, want] : {std::pair{0x10, 0x640}, {0x1f, 0x640}, {0x20, 0xc80}, {0x7fff, 0x1900}}) {
    ASSERT_EQ(SearchCfiTable(mem, kBase, 3, ip, &off), CfiStatus::kOk) << ip;
    EXPECT_EQ(off, want) << ip;
  }
  // A table said to be longer than the bytes: the reads past the end fail the search.
  EXPECT_EQ(SearchCfiTable(mem, kBase, 1000, 0x7fff, &off), CfiStatus::kFailed);
}

TEST(CfiRows, UnsupportedRulesGoToLibunwind) {
  // Each program ends in a row (or a CIE) this code does not reproduce.
  const std::initializer_list<uint8_t> programs[] = {
      {0x0f, 2, 0x77, 0x08},  // DW_CFA_def_cfa_expression (breg7 +8)
      {0x10, 6, 2, 0x76, 0},  // DW_CFA_expression for rbp
      {0x14, 6, 2},           // DW_CFA_val_offset (libunwind skips its operands)
      {0x0d, 3},              // CFA from rbx
      {0x09, 6, 3},           // rbp in rbx
      {0x01, 0, 0, 0, 0},     // DW_CFA_set_loc
      {0x80 | 17, 1},         // offset for a register libunwind does not keep
      {0x0b},                 // restore_state without remember_state
  };
  for (const auto& program : programs) {
    auto s = Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1});
    const uint64_t at = AddFde(s, kFn, 0x40, program);
    s.resize(s.size() + 8, 0);  // a terminator: the last word is whole
    VectorMemory mem(s);
    CfiFde fde;
    ASSERT_EQ(ReadCfiFde(mem, at, &fde), CfiStatus::kOk);
    CfiRow row;
    EXPECT_EQ(EvaluateCfiRow(mem, fde, kFn + 8, &row), CfiStatus::kUnsupported)
        << static_cast<int>(*program.begin());
  }
  // Rows beyond the pc are not read: an unsupported rule later in the FDE does not matter.
  auto s = Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1});
  const uint64_t at = AddFde(s, kFn, 0x40, {0x48, 0x0f, 2, 0x77, 0x08});
  s.resize(s.size() + 8, 0);
  CfiRow row = RowAt(s, at, kFn + 7);
  EXPECT_EQ(row.cfa_offset, 8u);
  // CIEs: a signal frame ('S'), version 4, an unknown augmentation letter.
  for (auto cie :
       {Cie("zRS", {0x1b}, {0x0c, 7, 8, 0x90, 1}), Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1}, 4),
        Cie("zRX", {0x1b}, {0x0c, 7, 8, 0x90, 1})}) {
    const uint64_t fde_at = AddFde(cie, kFn, 0x40, {});
    cie.resize(cie.size() + 8, 0);
    VectorMemory mem(cie);
    CfiFde fde;
    EXPECT_EQ(ReadCfiFde(mem, fde_at, &fde), CfiStatus::kUnsupported);
  }
}

TEST(CfiRows, TruncatedAndHostileInput) {
  uint64_t fde_at = 0;
  const auto whole = PrologueFrame(&fde_at);
  // Every truncation either parses (the cut is in padding) or fails; none reads out of bounds.
  for (size_t n = 0; n < whole.size(); ++n) {
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(n));
    VectorMemory mem(cut);
    CfiFde fde;
    CfiRow row;
    if (ReadCfiFde(mem, fde_at, &fde) == CfiStatus::kOk) {
      (void)EvaluateCfiRow(mem, fde, kFn + 0x20, &row);
    }
  }
  // A zero length is a terminator, a CIE pointer of 0 names no CIE: no FDE there.
  std::vector<uint8_t> zero(16, 0);
  VectorMemory zmem(zero);
  CfiFde fde;
  EXPECT_EQ(ReadCfiFde(zmem, kBase, &fde), CfiStatus::kFailed);
  // Endless programs are cut: 2 * kMaxCfaInstructions nops, and remember_state without end.
  auto s = Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1});
  std::vector<uint8_t> nops(2 * kMaxCfaInstructions, 0);
  const uint64_t at = AddFde(s, kFn, 0x40, {});
  s.insert(s.end(), nops.begin(), nops.end());
  PutU32(s, 0);
  uint32_t len = 0;
  std::memcpy(&len, s.data() + (at - kBase), 4);
  len += static_cast<uint32_t>(nops.size());
  std::memcpy(s.data() + (at - kBase), &len, 4);
  VectorMemory mem(s);
  ASSERT_EQ(ReadCfiFde(mem, at, &fde), CfiStatus::kOk);
  CfiRow row;
  EXPECT_EQ(EvaluateCfiRow(mem, fde, kFn + 8, &row), CfiStatus::kUnsupported);
  auto r = Cie("zR", {0x1b}, {0x0c, 7, 8, 0x90, 1});
  std::vector<uint8_t> remembers(kMaxRememberedStates + 1, 0x0a);
  const uint64_t rat = AddFde(r, kFn, 0x40, {});
  r.insert(r.end(), remembers.begin(), remembers.end());
  std::memcpy(&len, r.data() + (rat - kBase), 4);
  len += static_cast<uint32_t>(remembers.size());
  std::memcpy(r.data() + (rat - kBase), &len, 4);
  r.resize(r.size() + 8, 0);
  VectorMemory rmem(r);
  ASSERT_EQ(ReadCfiFde(rmem, rat, &fde), CfiStatus::kOk);
  EXPECT_EQ(EvaluateCfiRow(rmem, fde, kFn + 8, &row), CfiStatus::kUnsupported);
}

TEST(CfiRowCache, FindsWhatWasInsertedAndStaysBounded) {
  CfiRowCache cache(4);  // 16 slots, emptied when 12 are used
  int image_a = 0, image_b = 0;
  CfiRowEntry e;
  e.status = CfiStatus::kOk;
  e.row.cfa_offset = 24;
  cache.Insert(&image_a, 0x1000, e);
  e.row.cfa_offset = 32;
  cache.Insert(&image_b, 0x1000, e);
  ASSERT_NE(cache.Find(&image_a, 0x1000), nullptr);
  EXPECT_EQ(cache.Find(&image_a, 0x1000)->row.cfa_offset, 24u);
  EXPECT_EQ(cache.Find(&image_b, 0x1000)->row.cfa_offset, 32u);
  EXPECT_EQ(cache.Find(&image_a, 0x1001), nullptr);
  for (uint64_t v = 0; v < 100; ++v) {
    cache.Insert(&image_a, 0x2000 + v, e);
    EXPECT_LE(cache.size(), 12u);
    EXPECT_NE(cache.Find(&image_a, 0x2000 + v), nullptr);
  }
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find(&image_a, 0x2000 + 99), nullptr);
}

}  // namespace
}  // namespace gcspike
