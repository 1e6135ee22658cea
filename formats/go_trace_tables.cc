#include "formats/go_trace_tables.h"

namespace gcspike {

namespace {
// The GC's own functions (runtime.gcStart, runtime.gcMarkDone, ...).
constexpr std::string_view kGcFunctionPrefix = "runtime.gc";
}  // namespace

Status GoTraceTables::AddString(uint64_t id, std::string_view s, uint64_t offset) {
  if (id == 0) return MakeErrorAt(offset, "string id 0 is reserved for the empty string");
  string_bytes_ += s.size();
  if (!strings_.try_emplace(id, s).second) {
    return MakeErrorAt(offset, "duplicate string id " + std::to_string(id));
  }
  return {};
}

const std::string* GoTraceTables::FindString(uint64_t id) const {
  auto it = strings_.find(id);
  return it == strings_.end() ? nullptr : &it->second;
}

void GoTraceTables::AddFrame(uint64_t pc, const GoTraceFrame& frame) {
  stack_pcs_.push_back(pc);
  pcs_.try_emplace(pc, frame);
}

bool GoTraceTables::AddStack(uint64_t id, size_t begin, bool replace) {
  const Stack s{begin, stack_pcs_.size() - begin};
  if (replace) {
    stacks_[id] = s;
    return true;
  }
  return stacks_.try_emplace(id, s).second;
}

Result<std::vector<uint64_t>> GoTraceTables::Locations(uint64_t id, GoTraceProfileBuilder& b) {
  std::vector<uint64_t> out;
  auto it = stacks_.find(id);
  if (it == stacks_.end()) return out;
  out.reserve(it->second.size);
  for (size_t i = 0; i < it->second.size; ++i) {
    const uint64_t pc = stack_pcs_[it->second.begin + i];
    auto [loc, inserted] = pc_locations_.try_emplace(pc, 0);
    if (inserted) {
      const GoTraceFrame& f = pcs_.at(pc);
      const std::string* fn = FindString(f.func);
      const std::string* file = FindString(f.file);
      if ((f.func != 0 && fn == nullptr) || (f.file != 0 && file == nullptr)) {
        return MakeErrorAt(f.offset, "stack frame names string id " +
                                         std::to_string(fn == nullptr ? f.func : f.file) +
                                         ", which is not in " + owner_ + " string table");
      }
      loc->second =
          b.InternFrame(pc, f.func == 0 ? std::string_view() : *fn,
                        f.file == 0 ? std::string_view() : *file, static_cast<int64_t>(f.line));
    }
    out.push_back(loc->second);
  }
  return out;
}

bool GoTraceTables::InGcFunction(uint64_t id) const {
  auto it = stacks_.find(id);
  for (size_t i = 0; it != stacks_.end() && i < it->second.size; ++i) {
    auto frame = pcs_.find(stack_pcs_[it->second.begin + i]);
    if (frame == pcs_.end()) continue;
    const std::string* name = FindString(frame->second.func);
    if (name != nullptr && name->starts_with(kGcFunctionPrefix)) return true;
  }
  return false;
}

}  // namespace gcspike
