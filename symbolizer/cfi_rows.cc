#include "symbolizer/cfi_rows.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gcspike {
namespace {

// Reads bytes in order through the words that hold them, as libunwind's readers do.
class CfiReader {
 public:
  CfiReader(CfiMemory& mem, uint64_t address) : mem_(mem), address_(address) {}
  uint64_t address() const { return address_; }
  void Skip(uint64_t n) { address_ += n; }

  bool U8(uint8_t* v) {
    const uint64_t aligned = address_ & ~uint64_t{7};
    if (!have_word_ || aligned != word_address_) {
      if (!mem_.ReadWord(aligned, &word_)) return false;
      word_address_ = aligned;
      have_word_ = true;
    }
    *v = static_cast<uint8_t>(word_ >> (8 * (address_ - aligned)));
    ++address_;
    return true;
  }
  // `bytes` little-endian bytes, zero-extended.
  bool Unsigned(int bytes, uint64_t* v) {
    *v = 0;
    for (int i = 0; i < bytes; ++i) {
      uint8_t b = 0;
      if (!U8(&b)) return false;
      *v |= uint64_t{b} << (8 * i);
    }
    return true;
  }
  bool Signed(int bytes, uint64_t* v) {
    if (!Unsigned(bytes, v)) return false;
    const int bits = 8 * bytes;
    if (bits < 64 && ((*v >> (bits - 1)) & 1) != 0) *v |= ~uint64_t{0} << bits;
    return true;
  }
  // LEB128 (docs/formats/elf-dwarf.md#cfa-instructions): kFailed when a byte cannot be read,
  // kUnsupported past 64 bits (where libunwind's shifts are undefined).
  CfiStatus Leb(bool is_signed, uint64_t* v) {
    *v = 0;
    int shift = 0;
    uint8_t b = 0;
    do {
      if (shift > 63) return CfiStatus::kUnsupported;
      if (!U8(&b)) return CfiStatus::kFailed;
      *v |= uint64_t{b & 0x7fu} << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (is_signed && shift < 64 && (b & 0x40) != 0) *v |= ~uint64_t{0} << shift;
    return CfiStatus::kOk;
  }

 private:
  CfiMemory& mem_;
  uint64_t address_;
  uint64_t word_ = 0;
  uint64_t word_address_ = 0;
  bool have_word_ = false;
};

#define CFI_TRY(expr)                                                 \
  do {                                                                \
    if (const CfiStatus s_ = (expr); s_ != CfiStatus::kOk) return s_; \
  } while (0)

CfiStatus Read(bool ok) { return ok ? CfiStatus::kOk : CfiStatus::kFailed; }

constexpr uint8_t kPeOmit = 0xff;
constexpr uint8_t kPeUdata8 = 0x04;

// A DW_EH_PE_* pointer (docs/formats/elf-dwarf.md#eh-frame) as libunwind reads it: value 0 is
// absolute; the pc-relative base is the field's own address; indirect reads the word pointed
// at. Encodings libunwind reads differently from the format (sleb128, aligned) or resolves with
// state this code does not have (data-, text-, function-relative) are unsupported.
CfiStatus ReadEncoded(CfiReader& r, CfiMemory& mem, uint8_t enc, uint64_t* out) {
  *out = 0;
  if (enc == kPeOmit) return CfiStatus::kOk;
  const uint64_t field = r.address();
  uint64_t v = 0;
  switch (enc & 0x0f) {
    case 0x00:
    case 0x04:
      CFI_TRY(Read(r.Unsigned(8, &v)));
      break;
    case 0x01:
      CFI_TRY(r.Leb(false, &v));
      break;
    case 0x02:
      CFI_TRY(Read(r.Unsigned(2, &v)));
      break;
    case 0x03:
      CFI_TRY(Read(r.Unsigned(4, &v)));
      break;
    case 0x0a:
      CFI_TRY(Read(r.Signed(2, &v)));
      break;
    case 0x0b:
      CFI_TRY(Read(r.Signed(4, &v)));
      break;
    case 0x0c:
      CFI_TRY(Read(r.Signed(8, &v)));
      break;
    default:
      return CfiStatus::kUnsupported;
  }
  if (v == 0) return CfiStatus::kOk;
  switch (enc & 0x70) {
    case 0x00:
      break;
    case 0x10:
      v += field;
      break;
    default:
      return CfiStatus::kUnsupported;
  }
  if ((enc & 0x80) != 0) {
    CfiReader indirect(mem, v);
    CFI_TRY(Read(indirect.Unsigned(8, &v)));
  }
  *out = v;
  return CfiStatus::kOk;
}

struct CieFacts {
  uint8_t fde_encoding = kPeUdata8;  // absolute 8-byte addresses without an 'R'
  uint8_t lsda_encoding = kPeOmit;
  bool sized_augmentation = false;
};

// The augmentation string's letters after 'z' and their data (docs/formats/elf-dwarf.md#eh-frame).
CfiStatus ParseAugmentation(CfiReader& r, CfiMemory& mem, const std::string& aug, CieFacts* cie) {
  if (aug.empty()) return CfiStatus::kOk;
  // libunwind keeps 4 letters and stops at one it does not know: only strings it reads whole.
  if (aug[0] != 'z' || aug.size() > 4) return CfiStatus::kUnsupported;
  cie->sized_augmentation = true;
  uint64_t size = 0;
  CFI_TRY(r.Leb(false, &size));
  for (size_t i = 1; i < aug.size(); ++i) {
    uint8_t enc = 0;
    uint64_t ignored = 0;
    switch (aug[i]) {
      case 'L':
        CFI_TRY(Read(r.U8(&cie->lsda_encoding)));
        break;
      case 'R':
        CFI_TRY(Read(r.U8(&cie->fde_encoding)));
        break;
      case 'P':
        CFI_TRY(Read(r.U8(&enc)));
        CFI_TRY(ReadEncoded(r, mem, enc, &ignored));
        break;
      default:  // 'S' (signal frames change how callers are looked up) and unknown letters
        return CfiStatus::kUnsupported;
    }
  }
  return CfiStatus::kOk;
}

CfiStatus ParseCie(CfiMemory& mem, uint64_t address, CfiFde* fde, CieFacts* cie) {
  CfiReader r(mem, address);
  uint64_t length = 0, id = 0;
  CFI_TRY(Read(r.Unsigned(4, &length)));
  if (length == 0xffffffffu) return CfiStatus::kUnsupported;  // 64-bit format
  fde->cie_end = r.address() + length;
  CFI_TRY(Read(r.Unsigned(4, &id)));
  if (id != 0) return CfiStatus::kFailed;
  uint8_t version = 0;
  CFI_TRY(Read(r.U8(&version)));
  if (version != 1 && version != 3) {
    return version == 4 ? CfiStatus::kUnsupported : CfiStatus::kFailed;
  }
  std::string aug;
  for (uint8_t ch = 1; ch != 0;) {
    CFI_TRY(Read(r.U8(&ch)));
    if (ch != 0) aug.push_back(static_cast<char>(ch));
    if (aug.size() > 4) return CfiStatus::kUnsupported;
  }
  CFI_TRY(r.Leb(false, &fde->code_align));
  CFI_TRY(r.Leb(true, &fde->data_align));
  uint64_t ra = 0;
  if (version == 1) {
    CFI_TRY(Read(r.Unsigned(1, &ra)));
  } else {
    CFI_TRY(r.Leb(false, &ra));
  }
  if (ra != 16) return CfiStatus::kUnsupported;  // x86-64's return address column is rip
  CFI_TRY(ParseAugmentation(r, mem, aug, cie));
  fde->cie_instructions = r.address();
  return CfiStatus::kOk;
}

}  // namespace

CfiStatus SearchCfiTable(CfiMemory& mem, uint64_t table, uint64_t entries, int32_t rel_ip,
                         int32_t* fde_offset) {
  uint64_t lo = 0, hi = entries;
  while (lo < hi) {
    const uint64_t mid = (lo + hi) / 2;
    uint64_t start = 0;
    CfiReader r(mem, table + mid * 8);
    CFI_TRY(Read(r.Signed(4, &start)));
    if (rel_ip < static_cast<int32_t>(start)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (hi == 0) return CfiStatus::kFailed;
  // libunwind reads the entry again, and the next entry's start (unused here): a failure to
  // read either fails the search.
  CfiReader r(mem, table + (hi - 1) * 8);
  uint64_t start = 0, offset = 0;
  CFI_TRY(Read(r.Signed(4, &start)));
  CFI_TRY(Read(r.Signed(4, &offset)));
  if (hi < entries) {
    uint64_t next = 0;
    CFI_TRY(Read(r.Signed(4, &next)));
  }
  *fde_offset = static_cast<int32_t>(offset);
  return CfiStatus::kOk;
}

CfiStatus ReadCfiFde(CfiMemory& mem, uint64_t address, CfiFde* fde) {
  CfiReader r(mem, address);
  uint64_t length = 0, cie_pointer = 0;
  CFI_TRY(Read(r.Unsigned(4, &length)));
  if (length == 0xffffffffu) return CfiStatus::kUnsupported;  // 64-bit format
  if (length == 0) return CfiStatus::kFailed;                 // a terminator
  fde->fde_end = r.address() + length;
  const uint64_t pointer_field = r.address();
  CFI_TRY(Read(r.Signed(4, &cie_pointer)));
  if (cie_pointer == 0) return CfiStatus::kFailed;  // a CIE: covers nothing
  CieFacts cie;
  CFI_TRY(ParseCie(mem, pointer_field - cie_pointer, fde, &cie));
  uint64_t range = 0;
  CFI_TRY(ReadEncoded(r, mem, cie.fde_encoding, &fde->start_ip));
  CFI_TRY(ReadEncoded(r, mem, cie.fde_encoding & 0x0f, &range));
  fde->end_ip = fde->start_ip + range;
  uint64_t aug_end = 0, lsda = 0;
  if (cie.sized_augmentation) {
    uint64_t size = 0;
    CFI_TRY(r.Leb(false, &size));
    aug_end = r.address() + size;
  }
  CFI_TRY(ReadEncoded(r, mem, cie.lsda_encoding, &lsda));
  fde->fde_instructions = cie.sized_augmentation ? aug_end : r.address();
  return CfiStatus::kOk;
}

namespace {

// libunwind's register state: 17 registers (rax .. r15, rip), then the CFA's register and offset.
enum class Where : uint8_t { kSame, kUndefined, kCfaRel, kRegister, kExpression };
constexpr int kRegs = 17;
constexpr int kCfaReg = 17;
constexpr int kCfaOff = 18;
struct RegState {
  std::array<Where, kRegs + 2> where{};
  std::array<uint64_t, kRegs + 2> val{};
};

struct Program {
  CfiMemory& mem;
  const CfiFde& fde;
  RegState* state;
  const RegState* initial;  // nullptr while running the CIE's instructions
  std::vector<RegState> remembered;
  int budget = kMaxCfaInstructions;
};

void Set(RegState* s, int reg, Where w, uint64_t v) {
  s->where[reg] = w;
  s->val[reg] = v;
}

// A register operand (ULEB128) as libunwind reads it: one it does not keep is an error.
CfiStatus Regnum(CfiReader& r, uint64_t* reg) {
  CFI_TRY(r.Leb(false, reg));
  return *reg < kRegs ? CfiStatus::kOk : CfiStatus::kUnsupported;
}

CfiStatus Restore(Program& p, uint64_t reg) {
  if (reg >= kRegs || p.initial == nullptr) return CfiStatus::kUnsupported;
  Set(p.state, static_cast<int>(reg), p.initial->where[reg], p.initial->val[reg]);
  return CfiStatus::kOk;
}

// The opcodes with register operands and offsets (docs/formats/elf-dwarf.md#cfa-instructions).
CfiStatus RunRegisterOp(Program& p, CfiReader& r, uint8_t op) {
  RegState* s = p.state;
  const uint64_t da = p.fde.data_align;
  uint64_t reg = 0, v = 0;
  switch (op) {
    case 0x05:  // DW_CFA_offset_extended
    case 0x2f:  // DW_CFA_GNU_negative_offset_extended
      CFI_TRY(Regnum(r, &reg));
      CFI_TRY(r.Leb(false, &v));
      Set(s, static_cast<int>(reg), Where::kCfaRel, op == 0x05 ? v * da : 0 - v * da);
      return CfiStatus::kOk;
    case 0x11:  // DW_CFA_offset_extended_sf
      CFI_TRY(Regnum(r, &reg));
      CFI_TRY(r.Leb(true, &v));
      Set(s, static_cast<int>(reg), Where::kCfaRel, v * da);
      return CfiStatus::kOk;
    case 0x06:  // DW_CFA_restore_extended
      CFI_TRY(r.Leb(false, &reg));
      return Restore(p, reg);
    case 0x07:  // DW_CFA_undefined
    case 0x08:  // DW_CFA_same_value
      CFI_TRY(Regnum(r, &reg));
      Set(s, static_cast<int>(reg), op == 0x07 ? Where::kUndefined : Where::kSame, 0);
      return CfiStatus::kOk;
    case 0x09:  // DW_CFA_register
      CFI_TRY(Regnum(r, &reg));
      CFI_TRY(r.Leb(false, &v));
      Set(s, static_cast<int>(reg), Where::kRegister, v);
      return CfiStatus::kOk;
    case 0x0c:  // DW_CFA_def_cfa
    case 0x12:  // DW_CFA_def_cfa_sf
      CFI_TRY(Regnum(r, &reg));
      CFI_TRY(r.Leb(op == 0x12, &v));
      Set(s, kCfaReg, Where::kRegister, reg);
      s->val[kCfaOff] = op == 0x12 ? v * da : v;
      return CfiStatus::kOk;
    case 0x0d:  // DW_CFA_def_cfa_register
      CFI_TRY(Regnum(r, &reg));
      Set(s, kCfaReg, Where::kRegister, reg);
      return CfiStatus::kOk;
    case 0x0e:  // DW_CFA_def_cfa_offset
    case 0x13:  // DW_CFA_def_cfa_offset_sf
      CFI_TRY(r.Leb(op == 0x13, &v));
      s->val[kCfaOff] = op == 0x13 ? v * da : v;
      return CfiStatus::kOk;
    case 0x0f:  // DW_CFA_def_cfa_expression
    case 0x10:  // DW_CFA_expression
    case 0x16:  // DW_CFA_val_expression
      if (op != 0x0f) CFI_TRY(Regnum(r, &reg));
      s->where[op == 0x0f ? kCfaReg : static_cast<int>(reg)] = Where::kExpression;
      CFI_TRY(r.Leb(false, &v));
      r.Skip(v);
      return CfiStatus::kOk;
    default:  // set_loc, val_offset(_sf), vendor and unknown opcodes
      return CfiStatus::kUnsupported;
  }
}

// One instruction at the reader; *pc advances with the advance_loc family.
CfiStatus RunOne(Program& p, CfiReader& r, uint64_t* pc) {
  uint8_t op = 0;
  CFI_TRY(Read(r.U8(&op)));
  const uint8_t operand = op & 0x3f;
  uint64_t v = 0;
  switch (op & 0xc0) {
    case 0x40:  // DW_CFA_advance_loc
      *pc += operand * p.fde.code_align;
      return CfiStatus::kOk;
    case 0x80:  // DW_CFA_offset
      if (operand >= kRegs) return CfiStatus::kUnsupported;
      CFI_TRY(r.Leb(false, &v));
      Set(p.state, operand, Where::kCfaRel, v * p.fde.data_align);
      return CfiStatus::kOk;
    case 0xc0:  // DW_CFA_restore
      return Restore(p, operand);
  }
  switch (op) {
    case 0x00:  // DW_CFA_nop
      return CfiStatus::kOk;
    case 0x02:  // DW_CFA_advance_loc1, 2, 4
    case 0x03:
    case 0x04:
      CFI_TRY(Read(r.Unsigned(op == 0x02 ? 1 : op == 0x03 ? 2 : 4, &v)));
      *pc += v * p.fde.code_align;
      return CfiStatus::kOk;
    case 0x0a:  // DW_CFA_remember_state
      if (p.remembered.size() >= kMaxRememberedStates) return CfiStatus::kUnsupported;
      p.remembered.push_back(*p.state);
      return CfiStatus::kOk;
    case 0x0b:  // DW_CFA_restore_state
      if (p.remembered.empty()) return CfiStatus::kUnsupported;
      *p.state = p.remembered.back();
      p.remembered.pop_back();
      return CfiStatus::kOk;
    case 0x2e:  // DW_CFA_GNU_args_size
      return r.Leb(false, &v);
    default:
      return RunRegisterOp(p, r, op);
  }
}

// Instructions in [begin, end) while the location is <= `until` (libunwind's loop).
CfiStatus RunProgram(Program& p, uint64_t begin, uint64_t end, uint64_t pc, uint64_t until) {
  CfiReader r(p.mem, begin);
  while (pc <= until && r.address() < end) {
    if (--p.budget < 0) return CfiStatus::kUnsupported;
    if (const CfiStatus s = RunOne(p, r, &pc); s != CfiStatus::kOk) {
      return CfiStatus::kUnsupported;  // libunwind fails the step: let it do so itself
    }
  }
  return CfiStatus::kOk;
}

CfiStatus RowFromState(const RegState& s, CfiRow* row) {
  if (s.where[kCfaReg] != Where::kRegister || (s.val[kCfaReg] != 6 && s.val[kCfaReg] != 7)) {
    return CfiStatus::kUnsupported;
  }
  for (int i = 0; i < kRegs; ++i) {
    // libunwind evaluates every expression rule (which may fail) and copies register rules.
    if (s.where[i] == Where::kExpression) return CfiStatus::kUnsupported;
    if (s.where[i] == Where::kRegister && (i == 6 || i == 16 || s.val[i] >= kRegs)) {
      return CfiStatus::kUnsupported;
    }
  }
  row->cfa_register = static_cast<uint8_t>(s.val[kCfaReg]);
  row->cfa_offset = s.val[kCfaOff];
  auto rule = [](Where w) {
    return w == Where::kSame        ? CfiRow::Rule::kSame
           : w == Where::kUndefined ? CfiRow::Rule::kUndefined
                                    : CfiRow::Rule::kAtCfa;
  };
  if (s.where[16] == Where::kSame) return CfiStatus::kUnsupported;
  row->return_address = rule(s.where[16]);
  row->return_address_offset = s.val[16];
  row->rbp = rule(s.where[6]);
  row->rbp_offset = s.val[6];
  return CfiStatus::kOk;
}

}  // namespace

CfiStatus EvaluateCfiRow(CfiMemory& mem, const CfiFde& fde, uint64_t pc, CfiRow* row) {
  RegState state;
  state.where.fill(Where::kSame);
  Program p{mem, fde, &state, nullptr, {}};
  CFI_TRY(RunProgram(p, fde.cie_instructions, fde.cie_end, 0, ~uint64_t{0}));
  const RegState initial = state;
  p.initial = &initial;
  p.remembered.clear();
  CFI_TRY(RunProgram(p, fde.fde_instructions, fde.fde_end, fde.start_ip, pc));
  return RowFromState(state, row);
}

CfiRowCache::CfiRowCache(int capacity_log2)
    : slots_(size_t{1} << capacity_log2), shift_(64 - capacity_log2) {}

size_t CfiRowCache::Home(const void* image, uint64_t vaddr) const {
  const uint64_t key = vaddr ^ (reinterpret_cast<uintptr_t>(image) * 0x9e3779b97f4a7c15ULL);
  return static_cast<size_t>((key * 0xff51afd7ed558ccdULL) >> shift_);
}

const CfiRowEntry* CfiRowCache::Find(const void* image, uint64_t vaddr) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(image, vaddr);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.image == nullptr) return nullptr;
    if (s.image == image && s.vaddr == vaddr) return &s.entry;
  }
}

void CfiRowCache::Insert(const void* image, uint64_t vaddr, const CfiRowEntry& entry) {
  if (image == nullptr) return;
  if ((size_ + 1) * 4 > slots_.size() * 3) Clear();
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(image, vaddr);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.image == nullptr || (s.image == image && s.vaddr == vaddr)) {
      if (s.image == nullptr) ++size_;
      s = {image, vaddr, entry};
      return;
    }
  }
}

void CfiRowCache::Clear() {
  for (Slot& s : slots_) s.image = nullptr;
  size_ = 0;
}

}  // namespace gcspike
