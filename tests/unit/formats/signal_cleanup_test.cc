// The SIGBUS handler rescues only faults in registered input mappings (input_source_test): any
// other SIGBUS is still a crash, and it removes the registered temporary outputs first.
#include "formats/signal_cleanup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define GCSPIKE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GCSPIKE_ASAN 1
#endif
#endif

namespace gcspike {
namespace {

std::string MakeTemp(const char* what) {
  std::string path = std::string("/tmp/gcspike-") + what + "-XXXXXX";
  const int fd = ::mkstemp(path.data());
  EXPECT_GE(fd, 0);
  ::close(fd);
  return path;
}

// Maps a two-page file without registering the mapping, cuts the file to nothing and touches
// its second page: a SIGBUS no one rescues.
void FaultOnAnUnregisteredMapping(const std::string& file, const std::string& output) {
  RegisterTempPath(output);
  const int fd = ::open(file.c_str(), O_RDWR);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (fd < 0 || ::ftruncate(fd, 2 * page) != 0) return;
  void* m = ::mmap(nullptr, 2 * page, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED || ::ftruncate(fd, 0) != 0) return;
  const volatile char* p = static_cast<const char*>(m);
  (void)p[page];
}

TEST(SignalCleanupDeathTest, SigbusOutsideInputMappingsRemovesTempPathsAndStillCrashes) {
  const std::string file = MakeTemp("mapped");
  const std::string output = MakeTemp("output");
#ifdef GCSPIKE_ASAN
  // The handler chains to AddressSanitizer's, which reports the fault and exits.
  EXPECT_DEATH(FaultOnAnUnregisteredMapping(file, output), "");
#else
  EXPECT_EXIT(FaultOnAnUnregisteredMapping(file, output), ::testing::KilledBySignal(SIGBUS), "");
#endif
  EXPECT_NE(::access(output.c_str(), F_OK), 0) << output << " was left behind";
  ::unlink(file.c_str());
  ::unlink(output.c_str());
}

}  // namespace
}  // namespace gcspike
