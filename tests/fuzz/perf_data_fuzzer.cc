// Fuzzes the perf.data reader (file mode, pipe mode, zstd records) through format sniffing.
// Any input must give a profile or an error naming a byte offset, never a crash or a leak; a
// profile must satisfy the model's invariants (Profile::Validate, checked by the reader).
//
// MMAP records name paths on this machine, which the symbolizer opens: the seeds name only
// paths that do not exist, and the symbolizer refuses anything but regular files. Build ids
// lead it to perf's build-id cache under $HOME/.debug, which on a developer's machine holds
// real binaries: HOME points nowhere, so a run does not depend on what was recorded here.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "formats/profile_reader.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("HOME", "/nonexistent/gcspike-fuzz-home", 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gcspike;
  std::vector<uint8_t> bytes(data, data + size);
  // Force the perf.data path: the fuzzer mutates everything after the magic.
  static constexpr char kMagic[] = "PERFILE2";
  if (bytes.size() < 8) bytes.resize(8);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(kMagic[i]);
  ReadOptions options;
  options.max_input_bytes = 64 << 20;
  options.kallsyms.clear();  // reading /proc/kallsyms per input would be most of the time
  auto in = InputSource::FromBytes("fuzz", std::move(bytes), "");
  auto p = ReadProfile(*in, options);
  if (!p.ok()) {
    if (!p.error().offset.has_value()) std::abort();  // every reader error must say where
    return 0;
  }
  if (!p->Validate().ok()) std::abort();
  return 0;
}
