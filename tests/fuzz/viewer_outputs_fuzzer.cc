// Fuzzes what happens after reading: the filters, pseudo frames and the text writers (folded,
// speedscope) on whatever profile the input decodes to. Names come straight from the input, so
// this is where hostile strings meet the escaping. Checked on every run:
//  - the folded output follows its grammar (formats/folded_writer.h) and its counts add up to
//    the default sample type's total;
//  - the speedscope output is valid UTF-8 without raw control characters;
//  - filtering leaves a profile that passes Profile::Validate (dense ids after pruning).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "formats/folded_writer.h"
#include "formats/speedscope_writer.h"
#include "plugin/filter/pseudo_frames.h"
#include "plugin/filter/sample_filter.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckFolded(const std::string& text, int64_t want_total) {
  int64_t total = 0;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    Check(nl != std::string::npos);
    const std::string line = text.substr(start, nl - start);
    const size_t sp = line.rfind(' ');
    Check(sp != std::string::npos && sp > 0 && sp + 1 < line.size());
    Check(line[sp + 1] >= '1' && line[sp + 1] <= '9');
    int64_t count = 0;
    for (size_t i = sp + 1; i < line.size(); ++i) {
      Check(line[i] >= '0' && line[i] <= '9');
      Check(!__builtin_mul_overflow(count, 10, &count));
      Check(!__builtin_add_overflow(count, line[i] - '0', &count));
    }
    // frames: non-empty, no CR or NUL (LF is the terminator).
    const std::string stack = line.substr(0, sp);
    Check(stack.front() != ';' && stack.back() != ';' && stack.find(";;") == std::string::npos);
    Check(stack.find('\r') == std::string::npos && stack.find('\0') == std::string::npos);
    Check(!__builtin_add_overflow(total, count, &total));
    start = nl + 1;
  }
  Check(total == want_total);
}

void CheckUtf8Json(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      Check(c >= 0x20 || c == '\n');
      ++i;
      continue;
    }
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    Check(n != 0 && c <= 0xF4 && i + n <= text.size());
    for (size_t k = 1; k < n; ++k) Check((static_cast<uint8_t>(text[i + k]) & 0xC0) == 0x80);
    i += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  auto p = fuzz::ReadFuzzInput(data, size);
  if (!p.ok()) return 0;

  // One input byte picks the filters, so the fuzzer explores them too.
  const uint8_t pick = size > 0 ? data[size - 1] : 0;
  SampleFilterSpec spec;
  if (pick & 1) spec.keep.push_back(*ParseLabelCondition("gcspike~grow"));
  if (pick & 2) spec.drop.push_back(*ParseLabelCondition("tid>=100"));
  if (pick & 4) spec.focus = "^runtime\\.";
  if (pick & 8) spec.from = *ParseTimeBound("+1ms");
  auto filtered = FilterSamples(*p, spec, nullptr);
  if (filtered.ok()) Check(p->Validate().ok());

  const auto placement = (pick & 16) ? PseudoFramePlacement::kLeaf : PseudoFramePlacement::kRoot;
  AddPseudoFrames(*p, placement, {"gcspike", "goroutine", "worker"});
  Check(p->Validate().ok());

  int64_t total = 0;
  bool negative = false;
  const size_t index = p->DefaultValueIndex();
  for (const Sample& s : p->samples) {
    if (s.values.empty()) continue;
    if (s.values[index] < 0) negative = true;
    if (__builtin_add_overflow(total, s.values[index], &total)) return 0;
  }
  auto folded = EncodeFolded(*p, {});
  Check(folded.ok() != negative);
  if (folded.ok()) CheckFolded(*folded, total);
  SpeedscopeWriteOptions w;
  w.name = "fuzz";
  auto json = EncodeSpeedscope(*p, w);
  if (json.ok()) CheckUtf8Json(*json);
  return 0;
}
