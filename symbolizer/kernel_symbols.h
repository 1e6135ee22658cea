// Kernel symbols for kernel frames of perf.data samples, from a kallsyms-format text
// (/proc/kallsyms: "ADDR TYPE NAME [module]" lines).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gcspike {

class KernelSymbols {
 public:
  // Reads the file once. nullopt when it is unreadable or all addresses are hidden
  // (kptr_restrict). With `wanted`, only the symbols those addresses fall in are kept (Lookup
  // of a wanted address gives what it gives with the whole table; other addresses may get a
  // wrong name).
  static std::optional<KernelSymbols> Load(
      const std::string& path, std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  static KernelSymbols Parse(std::string_view text,
                             std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  // The symbol at or below addr, empty when addr lies below the first one.
  std::string_view Lookup(uint64_t addr) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<std::pair<uint64_t, std::string>> symbols_;  // sorted by address
};

}  // namespace gcspike
