#include "symbolizer/elf_cfi.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/byte_cursor.h"

namespace gcspike {

std::string_view CfiSourceName(CfiSource source) {
  switch (source) {
    case CfiSource::kEhFrameHdr:
      return ".eh_frame_hdr";
    case CfiSource::kEhFrame:
      return ".eh_frame";
    case CfiSource::kDebugFrame:
      return ".debug_frame";
    case CfiSource::kSeparateDebugFile:
      return "separate debug file";
  }
  return "?";
}

std::vector<DebugFrameFde> IndexDebugFrame(std::span<const uint8_t> section) {
  std::vector<DebugFrameFde> fdes;
  std::vector<uint64_t> cies;  // offsets, ascending
  ByteCursor c(section);
  while (c.remaining() >= 4) {
    const uint64_t entry_offset = c.pos();
    const uint64_t length = *c.u32le();
    // 64-bit DWARF or reserved (docs/formats/elf-dwarf.md#debug-frame)
    if (length >= 0xfffffff0u) break;
    ByteCursor body;
    if (!c.try_sub(length, body)) break;
    if (entry_offset > UINT32_MAX - 8) break;
    auto id = body.u32le();
    if (!id.ok()) continue;
    if (*id == 0xffffffffu) {  // CIE_id
      cies.push_back(entry_offset);
      continue;
    }
    // An FDE: CIE_pointer (a section offset), initial_location, address_range.
    if (!std::binary_search(cies.begin(), cies.end(), uint64_t{*id})) continue;
    auto location = body.u64le();
    auto range = body.u64le();
    if (!location.ok() || !range.ok() || *range == 0) continue;
    fdes.push_back({*location, *range, static_cast<uint32_t>(entry_offset), *id});
  }
  std::sort(fdes.begin(), fdes.end(), [](const DebugFrameFde& a, const DebugFrameFde& b) {
    return a.initial_location < b.initial_location;
  });
  return fdes;
}

namespace {

// DW_EH_PE_* pointer encodings (docs/formats/elf-dwarf.md#eh-frame).
constexpr uint8_t kPeOmit = 0xff;
constexpr uint8_t kPeAbsptr = 0x00;
constexpr uint8_t kPePcrel = 0x10;

// A LEB128 number; `is_signed` sign-extends from its last byte's bit 6.
bool ReadLeb(ByteCursor& c, bool is_signed, uint64_t* out) {
  uint64_t v = 0;
  int shift = 0;
  uint8_t b = 0;
  do {
    if (!c.try_u8(b) || shift > 63) return false;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    shift += 7;
  } while ((b & 0x80) != 0);
  if (is_signed && shift < 64 && (b & 0x40) != 0) v |= ~uint64_t{0} << shift;
  *out = v;
  return true;
}

// A pointer in encoding `enc` at the cursor, whose first byte is at link-time `field_vaddr`:
// only the value formats and the absolute and pc-relative applications (what compilers emit
// for FDE addresses); false for anything else.
bool ReadEncoded(ByteCursor& c, uint8_t enc, uint64_t field_vaddr, uint64_t* out) {
  uint64_t v = 0;
  switch (enc & 0x0f) {
    case 0x00:  // absptr: 8 bytes on the 64-bit targets we unwind
    case 0x04:
    case 0x0c: {
      auto x = c.u64le();
      if (!x.ok()) return false;
      v = *x;
      break;
    }
    case 0x01:
    case 0x09:
      if (!ReadLeb(c, (enc & 0x0f) == 0x09, &v)) return false;
      break;
    case 0x02:
    case 0x0a: {
      auto x = c.u16le();
      if (!x.ok()) return false;
      v = (enc & 0x0f) == 0x0a ? static_cast<uint64_t>(int64_t{static_cast<int16_t>(*x)}) : *x;
      break;
    }
    case 0x03:
    case 0x0b: {
      auto x = c.u32le();
      if (!x.ok()) return false;
      v = (enc & 0x0f) == 0x0b ? static_cast<uint64_t>(int64_t{static_cast<int32_t>(*x)}) : *x;
      break;
    }
    default:
      return false;
  }
  switch (enc & 0x70) {
    case kPeAbsptr:
      break;
    case kPePcrel:
      v += field_vaddr;
      break;
    default:
      return false;  // textrel, datarel, funcrel, aligned: need more than the section
  }
  if ((enc & 0x80) != 0) return false;  // indirect: the pointer is in memory elsewhere
  *out = v;
  return true;
}

// The FDE pointer encoding a CIE declares ('R' in a "z" augmentation; absptr without one);
// -1 when the CIE cannot be read. `body` starts after the CIE id.
int CiePointerEncoding(ByteCursor body, uint64_t body_vaddr) {
  uint8_t version = 0;
  if (!body.try_u8(version) || (version != 1 && version != 3)) return -1;
  std::string aug;
  for (uint8_t ch = 0; body.try_u8(ch) && ch != 0;) aug.push_back(static_cast<char>(ch));
  if (aug.rfind("eh", 0) == 0 && !body.skip(8).ok()) return -1;  // old gcc's eh_ptr
  uint64_t code_align = 0, data_align = 0, ra = 0;
  uint8_t ra8 = 0;
  if (!ReadLeb(body, false, &code_align) || !ReadLeb(body, true, &data_align)) return -1;
  if (version == 1 ? !body.try_u8(ra8) : !ReadLeb(body, false, &ra)) return -1;
  if (aug.empty() || aug[0] != 'z') return aug.empty() ? kPeAbsptr : -1;
  uint64_t aug_len = 0;
  ByteCursor data;
  if (!ReadLeb(body, false, &aug_len) || !body.try_sub(aug_len, data)) return -1;
  for (size_t i = 1; i < aug.size(); ++i) {
    uint8_t enc = 0;
    switch (aug[i]) {
      case 'R':
        return data.try_u8(enc) ? enc : -1;
      case 'L':
        if (!data.try_u8(enc)) return -1;
        break;
      case 'P': {
        uint64_t ignored = 0;
        const uint64_t at = body_vaddr;  // application does not matter for skipping
        if (!data.try_u8(enc) || !ReadEncoded(data, enc & 0x0f, at, &ignored)) return -1;
        break;
      }
      case 'S':
      case 'B':
      case 'G':
        break;
      default:
        return -1;  // an augmentation we cannot skip before 'R'
    }
  }
  return kPeAbsptr;
}

}  // namespace

std::vector<EhFrameFde> IndexEhFrame(std::span<const uint8_t> section, uint64_t section_vaddr) {
  std::vector<EhFrameFde> fdes;
  std::unordered_map<uint64_t, int> encoding_of_cie;  // by section offset
  ByteCursor c(section);
  while (c.remaining() >= 4) {
    const uint64_t entry_offset = c.pos();
    uint64_t length = *c.u32le();
    if (length == 0) break;  // the terminator
    const bool is64 = length == 0xffffffffu;
    if (is64) {
      auto l = c.u64le();
      if (!l.ok()) break;
      length = *l;
    }
    ByteCursor body;
    if (!c.try_sub(length, body)) break;
    const uint64_t id_offset = body.offset();
    uint64_t id = 0;
    if (is64) {
      auto x = body.u64le();
      if (!x.ok()) continue;
      id = *x;
    } else {
      auto x = body.u32le();
      if (!x.ok()) continue;
      id = *x;
    }
    if (id == 0) continue;  // a CIE: parsed when an FDE names it
    // The CIE pointer counts back from its own field.
    if (id > id_offset) continue;
    const uint64_t cie_offset = id_offset - id;
    auto known = encoding_of_cie.find(cie_offset);
    if (known == encoding_of_cie.end()) {
      int enc = -1;
      ByteCursor cie(section.subspan(cie_offset));
      auto cie_len = cie.u32le();
      ByteCursor cie_body;
      if (cie_len.ok() && *cie_len != 0 && *cie_len < 0xfffffff0u &&
          cie.try_sub(*cie_len, cie_body)) {
        auto cie_id = cie_body.u32le();
        if (cie_id.ok() && *cie_id == 0) {
          enc = CiePointerEncoding(cie_body, section_vaddr + cie_offset + 8);
        }
      }
      known = encoding_of_cie.emplace(cie_offset, enc).first;
    }
    if (known->second < 0 || known->second == kPeOmit) continue;
    const auto enc = static_cast<uint8_t>(known->second);
    uint64_t begin = 0, range = 0;
    const uint64_t field_vaddr = section_vaddr + body.offset();
    if (!ReadEncoded(body, enc, field_vaddr, &begin) || !ReadEncoded(body, enc & 0x0f, 0, &range) ||
        range == 0) {
      continue;
    }
    fdes.push_back({begin, range, section_vaddr + entry_offset});
  }
  std::sort(fdes.begin(), fdes.end(), [](const EhFrameFde& a, const EhFrameFde& b) {
    return a.initial_location < b.initial_location;
  });
  return fdes;
}

std::vector<uint8_t> EhFrameSearchTable(std::span<const EhFrameFde> fdes, uint64_t ip_base,
                                        uint64_t segbase, uint64_t* ip_end) {
  std::vector<uint8_t> table;
  table.reserve(fdes.size() * 8);
  *ip_end = ip_base;
  for (const EhFrameFde& fde : fdes) {
    const uint64_t start = fde.initial_location - ip_base;
    const uint64_t at = fde.fde_vaddr - segbase;
    // Sorted: once a start is out of reach, so are the rest.
    if (fde.initial_location < ip_base || start > static_cast<uint64_t>(INT32_MAX)) break;
    const auto at32 = static_cast<int64_t>(at);
    if (at32 < INT32_MIN || at32 > INT32_MAX) continue;
    const auto start32 = static_cast<int32_t>(start);
    const auto fde32 = static_cast<int32_t>(at32);
    table.resize(table.size() + 8);
    std::memcpy(table.data() + table.size() - 8, &start32, 4);
    std::memcpy(table.data() + table.size() - 4, &fde32, 4);
    *ip_end = std::max(*ip_end, fde.initial_location + fde.address_range);
  }
  return table;
}

}  // namespace gcspike
