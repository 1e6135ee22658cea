// Kernel symbols for kernel frames of perf.data samples, from a kallsyms-format text
// (/proc/kallsyms: "ADDR TYPE NAME [module]" lines).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace gcspike {

// The text symbols of a kallsyms text in file order, their names packed in one string: about
// 4 MB for the 120k symbols of a distribution kernel, where the text itself is 5-6 MB.
struct KallsymsEntries {
  std::vector<uint64_t> addresses;
  std::vector<uint32_t> name_ends;  // entry i's name is names[name_ends[i-1], name_ends[i])
  std::string names;
  void Add(uint64_t address, std::string_view name);
  std::string_view name(size_t i) const {
    const size_t begin = i == 0 ? 0 : name_ends[i - 1];
    return std::string_view(names).substr(begin, name_ends[i] - begin);
  }
};

class KernelSymbols {
 public:
  // Reads the file once, as a stream. nullopt when it is unreadable or all addresses are hidden
  // (kptr_restrict). With `wanted`, only the symbols those addresses fall in are kept (Lookup
  // of a wanted address gives what it gives with the whole table; other addresses may get a
  // wrong name).
  static std::optional<KernelSymbols> Load(
      const std::string& path, std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  static KernelSymbols Parse(std::string_view text,
                             std::optional<std::span<const uint64_t>> wanted = std::nullopt);
  // The table from entries read before; nullopt when there are none (as Load).
  static std::optional<KernelSymbols> Select(const KallsymsEntries& entries,
                                             std::optional<std::span<const uint64_t>> wanted);
  // The symbol at or below addr, empty when addr lies below the first one.
  std::string_view Lookup(uint64_t addr) const;
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<std::pair<uint64_t, std::string>> symbols_;  // sorted by address
};

// The text symbols of the kallsyms file at `path`; nullopt when it cannot be read.
std::optional<KallsymsEntries> ReadKallsyms(const std::string& path);

// Reads a kallsyms file on a thread of its own, started by the constructor: /proc/kallsyms is
// produced by the kernel anew on every read, which takes tens of milliseconds that can overlap
// the reading of a recording instead of following it.
class KernelSymbolsLoader {
 public:
  explicit KernelSymbolsLoader(std::string path);
  ~KernelSymbolsLoader();
  KernelSymbolsLoader(const KernelSymbolsLoader&) = delete;
  KernelSymbolsLoader& operator=(const KernelSymbolsLoader&) = delete;
  const std::string& path() const { return path_; }
  // Waits for the thread; then as KernelSymbols::Load(path, wanted).
  std::optional<KernelSymbols> Take(std::optional<std::span<const uint64_t>> wanted);

 private:
  std::string path_;
  std::optional<KallsymsEntries> entries_;
  std::thread thread_;
};

}  // namespace gcspike
