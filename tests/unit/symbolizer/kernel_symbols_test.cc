// KernelSymbols::Load reads its file once: from a FIFO, which can be read only once, it gives
// what Parse gives for the text written into it, with and without wanted addresses; hidden
// addresses and a missing file give nothing.
#include "symbolizer/kernel_symbols.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace gcspike {
namespace {

// Loads `text` through a FIFO written once by another thread.
std::optional<KernelSymbols> LoadThroughFifo(const std::string& text,
                                             std::optional<std::span<const uint64_t>> wanted) {
  char tmpl[] = "/tmp/gcspike-kallsyms-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string fifo = dir + "/kallsyms";
  EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    if (fd < 0) return;
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  });
  auto k = KernelSymbols::Load(fifo, wanted);
  writer.join();
  ::unlink(fifo.c_str());
  ::rmdir(dir.c_str());
  return k;
}

TEST(KernelSymbols, LoadReadsTheFileOnce) {
  const std::string text =
      "ffffffff81000000 T _text\n"
      "ffffffff81000100 t do_thing\n"
      "ffffffff81000200 D data\n"
      "ffffffffc0000000 t mod_fn\t[some_module]\n";
  const std::vector<uint64_t> wanted = {0xffffffff81000150, 0xffffffffc0000001};
  for (bool with_wanted : {false, true}) {
    SCOPED_TRACE(with_wanted);
    std::optional<std::span<const uint64_t>> w;
    if (with_wanted) w = wanted;
    auto loaded = LoadThroughFifo(text, w);
    ASSERT_TRUE(loaded.has_value());
    const KernelSymbols parsed = KernelSymbols::Parse(text, w);
    EXPECT_EQ(loaded->size(), parsed.size());
    EXPECT_EQ(loaded->size(), with_wanted ? 2u : 3u);
    for (uint64_t a : wanted) EXPECT_EQ(loaded->Lookup(a), parsed.Lookup(a));
    EXPECT_EQ(loaded->Lookup(0xffffffff81000150), "do_thing");
  }
  EXPECT_FALSE(LoadThroughFifo("0000000000000000 T _text\n", std::nullopt).has_value());
  EXPECT_FALSE(KernelSymbols::Load("/nonexistent/kallsyms").has_value());
}

// A text larger than the reader's 256 KiB buffer, lines cut at every buffer boundary, one line
// longer than the buffer, no final newline: the streamed read (and the background loader) give
// what Parse gives for the whole text.
TEST(KernelSymbols, StreamedAndBackgroundReadsMatchParse) {
  std::string text;
  std::vector<uint64_t> wanted;
  char line[128];
  for (uint64_t i = 0; i < 20000; ++i) {
    const uint64_t addr = 0xffffffff81000000 + i * 0x40;
    std::snprintf(line, sizeof line, "%016llx %c fn_%llu%s\n",
                  static_cast<unsigned long long>(addr), "tTDw"[i % 4],
                  static_cast<unsigned long long>(i), i % 5 == 0 ? "\t[mod]" : "");
    text += line;
    if (i % 97 == 0) wanted.push_back(addr + 3);
    if (i == 10000) text += "ffffffff90000000 T " + std::string(300000, 'x') + "\n";
  }
  text += "ffffffffa0000000 T last_without_newline";
  char tmpl[] = "/tmp/gcspike-kallsyms-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  for (bool with_wanted : {false, true}) {
    SCOPED_TRACE(with_wanted);
    std::optional<std::span<const uint64_t>> w;
    if (with_wanted) w = wanted;
    const KernelSymbols parsed = KernelSymbols::Parse(text, w);
    auto loaded = KernelSymbols::Load(tmpl, w);
    KernelSymbolsLoader loader(tmpl);
    auto background = loader.Take(w);
    ASSERT_TRUE(loaded.has_value());
    ASSERT_TRUE(background.has_value());
    EXPECT_EQ(parsed.size(), with_wanted ? wanted.size() : 15002u);
    EXPECT_EQ(loaded->size(), parsed.size());
    EXPECT_EQ(background->size(), parsed.size());
    for (uint64_t a : wanted) {
      EXPECT_EQ(loaded->Lookup(a), parsed.Lookup(a));
      EXPECT_EQ(background->Lookup(a), parsed.Lookup(a));
    }
    if (!with_wanted) {
      EXPECT_EQ(loaded->Lookup(0xffffffff90000001).size(), 300000u);
      EXPECT_EQ(loaded->Lookup(0xffffffffa0000001), "last_without_newline");
      EXPECT_EQ(background->Lookup(0xffffffffa0000001), "last_without_newline");
    }
  }
  ::unlink(tmpl);
  KernelSymbolsLoader missing("/nonexistent/kallsyms");
  EXPECT_FALSE(missing.Take(std::nullopt).has_value());
}

// /proc/kallsyms lists its symbols by address, which the selection relies on rather than
// sorting them; the same lines shuffled (aliases at one address kept in their order) are put in
// order first: both give each wanted address the name the whole table gives it.
TEST(KernelSymbols, InOrderAndShuffledTextsSelectAlike) {
  std::vector<std::string> lines;
  std::vector<uint64_t> wanted;
  char line[96];
  for (uint64_t i = 0; i < 3000; ++i) {
    const uint64_t addr = 0xffffffff81000000 + (i / 3) * 0x40;  // three aliases per address
    std::snprintf(line, sizeof line, "%016llx %c fn_%llu\n", static_cast<unsigned long long>(addr),
                  "tTW"[i % 3], static_cast<unsigned long long>(i));
    lines.push_back(line);
    if (i % 7 == 0) wanted.push_back(addr + (i % 0x40));
  }
  wanted.push_back(0xffffffff80000000);  // below the first symbol: no name
  std::string in_order, shuffled;
  for (const std::string& l : lines) in_order += l;
  // Address blocks in a scrambled order; a block's aliases stay in file order.
  for (size_t b = 0; b < 1000; ++b) {
    const size_t block = (b * 389) % 1000;
    for (size_t k = 0; k < 3; ++k) shuffled += lines[block * 3 + k];
  }
  const KernelSymbols all = KernelSymbols::Parse(in_order);
  const KernelSymbols some = KernelSymbols::Parse(in_order, wanted);
  const KernelSymbols some_shuffled = KernelSymbols::Parse(shuffled, wanted);
  EXPECT_EQ(all.size(), 3000u);
  EXPECT_EQ(some.size(), some_shuffled.size());
  EXPECT_LT(some.size(), wanted.size());
  for (uint64_t a : wanted) {
    EXPECT_EQ(some.Lookup(a), all.Lookup(a)) << std::hex << a;
    EXPECT_EQ(some_shuffled.Lookup(a), all.Lookup(a)) << std::hex << a;
  }
  // The last alias of an address is the one named, as in a table sorted stably by address.
  EXPECT_EQ(some.Lookup(0xffffffff81000005), "fn_2");
  EXPECT_EQ(some.Lookup(0xffffffff80000000), "");
}

}  // namespace
}  // namespace gcspike
