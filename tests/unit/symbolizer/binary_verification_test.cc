// Binaries for perf.data are verified, never guessed: --symfs means only the symfs, the recorded
// path is used only when the user named no binaries and only once it is checked to be the
// recorded file, and files that are not binaries at all are refused with a reason.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "symbolizer/elf_symbolizer.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

std::vector<std::string> Paths(const std::vector<BinaryCandidate>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.path + (c.recorded_path ? " (recorded)" : ""));
  return out;
}

TEST(BinaryCandidates, SymfsIsTheOnlyPlaceLooked) {
  EXPECT_EQ(Paths(BinaryCandidates("/usr/bin/prog", "", {}, "/sysroot")),
            std::vector<std::string>{"/sysroot/usr/bin/prog"});
  // Not even the build-id cache: it is this machine's.
  EXPECT_EQ(Paths(BinaryCandidates("/usr/bin/prog", "abcdef", {}, "/sysroot")),
            std::vector<std::string>{"/sysroot/usr/bin/prog"});
}

TEST(BinaryCandidates, RecordedPathOnlyWithoutBinariesOrSymfs) {
  const auto plain = BinaryCandidates("/usr/bin/prog", "", {}, "");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_TRUE(plain[0].recorded_path);
  EXPECT_EQ(Paths(BinaryCandidates("/usr/bin/prog", "", {"/tmp/prog"}, "")),
            std::vector<std::string>{"/tmp/prog"});
  EXPECT_TRUE(BinaryCandidates("/usr/bin/other", "", {"/tmp/prog"}, "").empty());
}

// perf record -p of a program whose binary was removed since it started names the mapping
// "PATH (deleted)": --binary and --symfs were never matched against it ("use --binary" could not
// help), and the recorded path is PATH, which may hold the file again (verified as any).
TEST(BinaryCandidates, ADeletedFileIsLookedForAtItsPath) {
  const std::string deleted = "/srv/app (deleted)";
  EXPECT_EQ(Paths(BinaryCandidates(deleted, "", {"/tmp/copy/app"}, "")),
            std::vector<std::string>{"/tmp/copy/app"});
  EXPECT_EQ(Paths(BinaryCandidates(deleted, "", {}, "/sysroot")),
            std::vector<std::string>{"/sysroot/srv/app"});
  EXPECT_EQ(Paths(BinaryCandidates(deleted, "", {}, "")),
            std::vector<std::string>{"/srv/app (recorded)"});
  // Only the kernel's suffix: a file whose name merely contains the words stays as it is.
  EXPECT_EQ(Paths(BinaryCandidates("/srv/app (deleted).bak", "", {}, "")),
            std::vector<std::string>{"/srv/app (deleted).bak (recorded)"});
}

TEST(CheckCandidateFile, RefusesWhatIsNotARegularBinaryWithAReason) {
  testing::ScratchDir dir;
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = CheckCandidateFile(fifo);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("a FIFO"), std::string::npos) << f.error().message;
  EXPECT_NE(f.error().message.find(fifo), std::string::npos);

  auto z = CheckCandidateFile("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message.find("character device"), std::string::npos);

  const std::string a = dir.path() + "/a", b = dir.path() + "/b";
  ASSERT_EQ(::symlink(b.c_str(), a.c_str()), 0);
  ASSERT_EQ(::symlink(a.c_str(), b.c_str()), 0);
  auto loop = CheckCandidateFile(a);
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("symlink loop"), std::string::npos) << loop.error().message;

  auto self = CheckCandidateFile("/proc/self/exe");
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message.find("itself"), std::string::npos);
  auto by_pid = CheckCandidateFile("/proc/" + std::to_string(::getpid()) + "/exe");
  EXPECT_FALSE(by_pid.ok());

  EXPECT_TRUE(CheckCandidateFile("/bin/sh").ok());
}

TEST(VerifyCandidate, RecordedPathNeedsTheRecordedInode) {
  testing::ScratchDir dir;
  const std::string file = dir.path() + "/prog";
  std::ofstream(file) << "x";
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  const BinaryCandidate recorded{file, true};
  RecordedFile r;
  r.has_inode = true;
  r.maj = 8;
  r.min = 1;
  r.ino = st.st_ino;
  bool unverified = true;
  EXPECT_TRUE(VerifyCandidate(recorded, "", r, &unverified).ok());
  EXPECT_FALSE(unverified);
  r.ino = st.st_ino + 1;  // rebuilt: a new file under the same name
  auto mismatch = VerifyCandidate(recorded, "", r, &unverified);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find(file), std::string::npos);
  EXPECT_NE(mismatch.error().message.find("replaced"), std::string::npos);
  // Nothing to compare: accepted, flagged unverified (the caller warns).
  RecordedFile nothing;
  EXPECT_TRUE(VerifyCandidate(recorded, "", nothing, &unverified).ok());
  EXPECT_TRUE(unverified);
  // A file the user named is theirs to vouch for, unless a build id says otherwise.
  EXPECT_TRUE(VerifyCandidate({file, false}, "", r, &unverified).ok());
  EXPECT_FALSE(unverified);
  RecordedFile with_id;
  with_id.build_id = "abcd";
  EXPECT_FALSE(VerifyCandidate({file, false}, "ef01", with_id, &unverified).ok());
  EXPECT_TRUE(VerifyCandidate({file, false}, "abcd", with_id, &unverified).ok());
}

TEST(ElfSymbolizerCache, WarnsWhenTheRecordedFileWasReplaced) {
  testing::ScratchDir dir;
  const std::string file = dir.path() + "/sh";
  ASSERT_EQ(std::system(("cp /bin/sh '" + file + "'").c_str()), 0);
  struct stat st;
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  RecordedFile r;
  r.has_inode = true;
  r.ino = st.st_ino + 1;
  BinaryLocator l1({}, ""), l2({}, ""), l3({}, "/nonexistent");
  ElfSymbolizerCache cache(l1);
  std::string warning;
  EXPECT_EQ(cache.Get(file, r, &warning), nullptr);
  EXPECT_NE(warning.find("replaced"), std::string::npos) << warning;
  EXPECT_NE(warning.find(file), std::string::npos) << warning;

  ElfSymbolizerCache unverified(l2);
  warning.clear();
  EXPECT_NE(unverified.Get(file, RecordedFile{}, &warning), nullptr);
  EXPECT_NE(warning.find("could not be verified"), std::string::npos) << warning;

  ElfSymbolizerCache symfs(l3);
  warning.clear();
  EXPECT_EQ(symfs.Get(file, RecordedFile{}, &warning), nullptr);
  EXPECT_NE(warning.find("/nonexistent" + file), std::string::npos) << warning;
}

TEST(ElfImage, UnreadableSectionHeadersAreAnError) {
  testing::ScratchDir dir;
  const std::string file = dir.path() + "/bad";
  ASSERT_EQ(std::system(("cp /bin/sh '" + file + "'").c_str()), 0);
  // e_shoff (ELF64: offset 40) far past the end of the file.
  const int fd = ::open(file.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint64_t far = uint64_t{1} << 40;
  ASSERT_EQ(::pwrite(fd, &far, 8, 40), 8);
  ::close(fd);
  auto b = ElfImage::Open(file);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("section headers"), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find(file), std::string::npos);
}

}  // namespace
}  // namespace gcspike
