// The string and stack tables of a Go execution trace, shared by both readers: the old format
// has one set for the whole trace (docs/formats/go-trace.md#old-format-stacks-and-strings), the
// generation format one per generation (#generation-format-batch-kinds). String ids map to text,
// stack ids to their PCs leaf first, and each PC to the first frame seen for it (function and
// file string ids, line), as x/exp keeps; frames become the profile's Locations on first use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "formats/go_trace_profile_builder.h"

namespace gcspike {

// One frame of a stack table entry; `offset` is where it was read (errors about it name it).
struct GoTraceFrame {
  uint64_t func = 0;  // string id
  uint64_t file = 0;  // string id
  uint64_t line = 0;
  uint64_t offset = 0;
};

class GoTraceTables {
 public:
  // An unordered_map entry's node, bucket and allocation, roughly (memory accounting).
  static constexpr uint64_t kMapEntryBytes = 64;

  // `owner` names the tables in errors: "the trace's" or "the generation's" string table.
  explicit GoTraceTables(const char* owner) : owner_(owner) {}

  // Defines string `id`, read at `offset`: id 0 is the implicit empty string, an id is defined
  // once.
  Status AddString(uint64_t id, std::string_view s, uint64_t offset);
  // The text of string `id`, or nullptr when the table does not have it.
  const std::string* FindString(uint64_t id) const;

  // A stack is its frames, added leaf first from position StackBegin(), then named by AddStack.
  size_t StackBegin() const { return stack_pcs_.size(); }
  void AddFrame(uint64_t pc, const GoTraceFrame& frame);
  // Names the frames added since `begin` stack `id`; false (and no change) when `id` is taken,
  // unless `replace`.
  bool AddStack(uint64_t id, size_t begin, bool replace);
  bool HasStack(uint64_t id) const { return stacks_.count(id) != 0; }

  // The Location ids of stack `id` (0 or one the table has), leaf first; a PC's frame is
  // interned in `b` the first time it is used. An error names a frame whose function or file
  // string is not in the table, at the frame's offset.
  Result<std::vector<uint64_t>> Locations(uint64_t id, GoTraceProfileBuilder& b);
  // Whether stack `id` holds a function of the GC (runtime.gc*): a goroutine blocked there
  // waits on a GC semaphore, not on the program (docs/formats/go-trace.md#blocking-events).
  bool InGcFunction(uint64_t id) const;

  // Sizes for memory accounting.
  size_t string_count() const { return strings_.size(); }
  uint64_t string_bytes() const { return string_bytes_; }
  size_t stack_count() const { return stacks_.size(); }
  size_t frame_count() const { return stack_pcs_.size(); }
  size_t frame_capacity() const { return stack_pcs_.capacity(); }
  size_t pc_count() const { return pcs_.size(); }

 private:
  struct Stack {
    size_t begin = 0;
    size_t size = 0;
  };
  const char* owner_;
  std::unordered_map<uint64_t, std::string> strings_;
  uint64_t string_bytes_ = 0;
  std::unordered_map<uint64_t, Stack> stacks_;
  std::vector<uint64_t> stack_pcs_;
  std::unordered_map<uint64_t, GoTraceFrame> pcs_;
  std::unordered_map<uint64_t, uint64_t> pc_locations_;
};

}  // namespace gcspike
