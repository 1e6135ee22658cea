#include "plugin/detect/site_paths.h"

#include <gtest/gtest.h>

#include "core/profile_builder.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/profile_diff.h"
#include "tests/unit/plugin/detect/stack_builder.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::StackProfile;

constexpr const char* kGrowBelow =
    "runtime.mapassign_faststr > internal/runtime/maps.(*table).rehash > "
    "internal/runtime/maps.(*table).split";

struct Resolved {
  std::vector<StackFeatures> features;
  SitePaths paths;
  DetectionSummary summary;
};

Resolved Resolve(const Profile& p, const RuntimeSignatureCatalogue& catalogue =
                                       RuntimeSignatureCatalogue::BuiltIn()) {
  Resolved r;
  r.features = ClassifySamples(p, catalogue);
  r.paths = ResolveSitePaths(p, catalogue, r.features);
  SummaryContext context;
  context.site_paths = &r.paths;
  r.summary = Summarize(p, r.features, DetectionThresholds{}, context);
  return r;
}

std::string Name(const Profile& p, uint64_t fn) { return p.str(p.function(fn).name); }

TEST(SitePathsTest, AnInlinedHelperNamesItsCaller) {
  // The fixture program's shape: markSeen (inlined into dedupGrowing) looks the key up, then
  // inserts; dedupGrowing loops and computes keys itself (keyAt inlined).
  StackProfile sp;
  const std::string outer = "runtime.goexit > main.worker > ";
  sp.Add(outer + "main.markSeen|main.dedup > " + kGrowBelow, 40);
  sp.Add(outer + "main.markSeen|main.dedup > runtime.mapaccess1_faststr", 10);
  sp.Add(outer + "main.markSeen|main.dedup", 2);
  sp.Add(outer + "main.keyAt|main.dedup", 5);
  const Resolved r = Resolve(sp.profile);
  const Profile& p = sp.profile;
  ASSERT_EQ(Name(p, r.features[0].site_function_id), "main.dedup");
  ASSERT_EQ(r.summary.sites.size(), 1u);
  EXPECT_EQ(r.summary.sites[0].function, "main.dedup");
  EXPECT_EQ(r.summary.sites[0].via, std::vector<std::string>{"main.markSeen"});
  for (const Function& f : p.functions) {
    const std::string& n = p.str(f.name);
    EXPECT_EQ(r.paths.helper[f.id], n == "main.markSeen") << n;
  }
}

TEST(SitePathsTest, AFunctionThatDoesOtherWorkOrMakesTheMapIsTheSite) {
  StackProfile sp;
  // fill inserts, but also formats keys: its other callees outweigh the tolerance.
  sp.Add("runtime.goexit > main.run > main.fill > " + std::string(kGrowBelow), 40);
  sp.Add("runtime.goexit > main.run > main.fill > strconv.Itoa", 10);
  // build only inserts in what was sampled, but it calls makemap: it makes the map.
  sp.Add("runtime.goexit > main.run > main.build > " + std::string(kGrowBelow), 40);
  sp.Add("runtime.goexit > main.run > main.build > runtime.makemap_small", 1);
  const Resolved r = Resolve(sp.profile);
  ASSERT_EQ(r.summary.sites.size(), 2u);
  for (const SiteShare& s : r.summary.sites) {
    EXPECT_TRUE(s.via.empty()) << s.function;
    EXPECT_TRUE(s.function == "main.fill" || s.function == "main.build") << s.function;
  }
}

// The site of a function that makes a map and fills it with keys it makes itself. Its key work
// is small next to inserting into a growing map, and its makemap call is rarely sampled (once a
// map): this build (63 % insert, 15 % own instructions, 4.6 % strconv.Itoa, the rest the
// runtime's allocations) was taken for a helper of main.main, which only calls it.
TEST(SitePathsTest, AFunctionThatMakesItsKeysIsTheSite) {
  StackProfile sp;
  const std::string build = "runtime.main > main.main > main.build";
  sp.Add(build + " > " + kGrowBelow, 630);
  sp.Add(build, 150);
  sp.Add("runtime.main > main.main > strconv.Itoa|main.build > strconv.formatBits", 46);
  sp.Add(build + " > runtime.mallocgc", 174);
  const Resolved r = Resolve(sp.profile);
  ASSERT_EQ(r.summary.sites.size(), 1u);
  EXPECT_EQ(r.summary.sites[0].function, "main.build");
  EXPECT_TRUE(r.summary.sites[0].via.empty());
  // Keys built by the runtime alone ("tenant:" + id, string(buf), append): the same.
  for (const char* builder :
       {"runtime.concatstring2", "runtime.slicebytetostring", "runtime.growslice"}) {
    StackProfile k;
    k.Add("runtime.main > main.fillRound > main.fillPrefixed > " + std::string(kGrowBelow), 80);
    k.Add("runtime.main > main.fillRound > main.fillPrefixed > " + std::string(builder), 5);
    const Resolved rk = Resolve(k.profile);
    ASSERT_EQ(rk.summary.sites.size(), 1u) << builder;
    EXPECT_EQ(rk.summary.sites[0].function, "main.fillPrefixed") << builder;
    EXPECT_TRUE(rk.summary.sites[0].via.empty()) << builder;
  }
}

// A helper that only inserts, out of line, called from the loop that makes the map: over a
// cheap insert its own instructions (the call's overhead) reach 15 % of its samples, and the
// runtime preempts it or runs the write barrier of a pointer value; a stray sample of other
// code stays within the tolerance. The loop is the site, whatever the helper's own share.
TEST(SitePathsTest, AHelperCalledFromALoopNamesTheLoop) {
  for (const char* helper : {"main.add", "main.Set[...].Add", "main.add|main.fillThrough"}) {
    StackProfile sp;
    // An inlined helper's frames are the caller's location: "main.add|main.fillThrough".
    const bool inlined = std::string_view(helper).find('|') != std::string_view::npos;
    const std::string loop = std::string("runtime.main > main.main > ") +
                             (inlined ? "" : "main.fillThrough > ") + helper;
    sp.Add(loop + " > runtime.mapassign_fast64", 300);
    sp.Add(loop + " > " + kGrowBelow, 200);
    sp.Add(loop, 90);
    sp.Add(loop + " > runtime.asyncPreempt", 40);
    sp.Add(loop + " > runtime.gcWriteBarrier2", 10);
    sp.Add(loop + " > main.keyOf", 6);  // 0.9 %
    sp.Add(std::string("runtime.main > main.main > main.fillThrough"), 20);
    const Resolved r = Resolve(sp.profile);
    ASSERT_EQ(r.summary.sites.size(), 1u) << helper;
    EXPECT_EQ(r.summary.sites[0].function, "main.fillThrough") << helper;
    const std::string name = inlined ? "main.add" : helper;
    EXPECT_EQ(r.summary.sites[0].via, std::vector<std::string>{name}) << helper;
  }
}

TEST(SitePathsTest, GenericHelpersChainsAndSeveralCallers) {
  StackProfile sp;
  // Set[...].Add is called from two functions (each its own site), and through addAll from a
  // third. addAll only calls the helper, but so does a function that makes the map and fills
  // it in a loop whenever its makemap call is not sampled: the samples cannot tell them apart,
  // so only a rule makes addAll a helper.
  const std::string add = "main.Set[...].Add > " + std::string(kGrowBelow);
  sp.Add("runtime.goexit > main.a > " + add, 30);
  sp.Add("runtime.goexit > main.b > " + add, 20);
  sp.Add("runtime.goexit > main.c > main.addAll > " + add, 10);
  sp.Add("runtime.goexit > main.a > main.Set[...].Add > runtime.mapaccess2_faststr", 5);
  // Storing a pointer into the slot: the write barrier, an assembly routine without a package.
  sp.Add("runtime.goexit > main.b > main.Set[...].Add > gcWriteBarrier", 5);
  const Resolved r = Resolve(sp.profile);
  ASSERT_EQ(r.summary.sites.size(), 3u);
  EXPECT_EQ(r.summary.sites[0].function, "main.a");
  EXPECT_EQ(r.summary.sites[0].via, std::vector<std::string>{"main.Set[...].Add"});
  EXPECT_EQ(r.summary.sites[1].function, "main.b");
  EXPECT_EQ(r.summary.sites[2].function, "main.addAll");
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  ASSERT_OK(c.AddRules("map-helper main.addAll\n", "rules"));
  const Resolved ruled = Resolve(sp.profile, c);
  EXPECT_EQ(ruled.summary.sites[2].function, "main.c");
  EXPECT_EQ(ruled.summary.sites[2].via,
            (std::vector<std::string>{"main.Set[...].Add", "main.addAll"}));
}

TEST(SitePathsTest, ARuleNamesAHelperTheSamplesCannotShow) {
  StackProfile sp;
  sp.Add("runtime.goexit > main.a > main.cache.Put > " + std::string(kGrowBelow), 30);
  sp.Add("runtime.goexit > main.a > main.cache.Put > main.cache.evict", 30);
  EXPECT_EQ(Resolve(sp.profile).summary.sites[0].function, "main.cache.Put");
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  ASSERT_OK(c.AddRules("map-helper main.cache.Put\n", "rules"));
  const Resolved r = Resolve(sp.profile, c);
  EXPECT_EQ(r.summary.sites[0].function, "main.a");
  EXPECT_EQ(r.summary.sites[0].via, std::vector<std::string>{"main.cache.Put"});
}

TEST(SitePathsTest, AHelperAtTheRootStaysTheSite) {
  StackProfile sp;
  sp.Add("main.Set[...].Add > " + std::string(kGrowBelow), 30);
  const Resolved r = Resolve(sp.profile);
  EXPECT_EQ(r.summary.sites[0].function, "main.Set[...].Add");
  EXPECT_TRUE(r.summary.sites[0].via.empty());
}

// A merge of two builds of one program (a fleet mid-rollout, where a line moved): each build's
// functions are functions of their own in the profile, with the same names. The site is one:
// its share is the sum of both builds' samples, in the summary and in a diff against one build.
TEST(SitePathsTest, OneSiteOfTwoBuildsIsOneSite) {
  const std::vector<std::string> grow = {"runtime.goexit",
                                         "main.dedup",
                                         "main.Set[...].Add",
                                         "runtime.mapassign_faststr",
                                         "internal/runtime/maps.(*table).rehash",
                                         "internal/runtime/maps.(*table).split"};
  const std::vector<std::string> work = {"runtime.goexit", "main.dedup", "main.work"};
  StackProfile sp;
  // Root first, each function of `build` (its start line), `count` samples.
  auto add = [&sp](ProfileBuilder& b, const std::vector<std::string>& stack, int64_t build,
                   int64_t count) {
    Sample s;
    for (const std::string& fn : stack) {
      const Line line{b.InternFunction(fn, "file.go", build), 1, 0};
      const uint64_t address = 0x1000 * static_cast<uint64_t>(build) + s.location_ids.size();
      s.location_ids.insert(s.location_ids.begin(), b.InternLocation(0, address, {&line, 1}));
    }
    s.values = {count, count * 10'000'000};
    sp.profile.samples.push_back(std::move(s));
  };
  ProfileBuilder build1(sp.profile);
  add(build1, grow, 1, 300);
  add(build1, work, 1, 200);
  const DetectionSummary one_build = Resolve(sp.profile).summary;
  ProfileBuilder build2(sp.profile);  // interns every function anew
  add(build2, grow, 2, 300);
  add(build2, work, 2, 200);
  const Resolved both = Resolve(sp.profile);
  ASSERT_EQ(both.summary.sites.size(), 1u);
  EXPECT_EQ(both.summary.sites[0].function, "main.dedup");
  EXPECT_EQ(both.summary.sites[0].via, std::vector<std::string>{"main.Set[...].Add"});
  EXPECT_DOUBLE_EQ(both.summary.sites[0].fraction, 600.0 / 1000);
  ASSERT_EQ(one_build.sites.size(), 1u);
  EXPECT_DOUBLE_EQ(one_build.sites[0].fraction, 300.0 / 500);
  const ProfileDiff diff = DiffSummaries(one_build, both.summary, 0.1);
  ASSERT_EQ(diff.sites.size(), 1u);
  EXPECT_DOUBLE_EQ(diff.sites[0].change.difference, 0);
  EXPECT_EQ(diff.sites[0].verdict, ChangeVerdict::kUnchanged);
}

// `for _, k := range slices.All(ks) { m[k] = true }` (Go 1.23+): the insert is in the loop body,
// a closure named "main.index-range1" that slices.All's iterator calls. The site was the
// iterator's closure (via the body), a function of the standard library that makes no map; it
// is the function the loop is in. Both ways a profile shows it: the closures called, and
// inlined into main.index (where the compiler renames slices.All's closure after main.index).
TEST(SitePathsTest, ARangeOverFuncLoopBodyIsItsFunctionsCode) {
  StackProfile sp;
  sp.Add(
      "runtime.goexit > main.main > main.index > "
      "slices.All[go.shape.[]string,go.shape.string].func1 > main.index-range1 > " +
          std::string(kGrowBelow),
      30);
  sp.Add(
      "runtime.goexit > main.main > main.build-range1-range2|main.build.All[go.shape.[]int,"
      "go.shape.int].func1|main.build > " +
          std::string(kGrowBelow),
      20);
  sp.Add("runtime.goexit > main.main > main.scan > main.scan-range1 > strconv.Itoa", 10);
  const Resolved r = Resolve(sp.profile);
  ASSERT_EQ(r.summary.sites.size(), 2u);
  EXPECT_EQ(r.summary.sites[0].function, "main.index");
  EXPECT_EQ(r.summary.sites[1].function, "main.build");
  for (const SiteShare& s : r.summary.sites) EXPECT_TRUE(s.via.empty()) << s.function;
  EXPECT_EQ(r.features[2].site_function_id, 0u) << "no insert, no site";
}

// Functions of the standard library are not sites: maps.Collect makes its map without a size,
// encoding/json fills the map it is given; the site is their caller, which can presize (pass a
// map made with make(map[K]V, n), or fill one itself). The standard library is told by its
// files, in the directory of the runtime's own; with relative file names (-trimpath) a package
// path without a dot is a module's as well, and nothing is moved. A walk that never leaves the
// standard library stays at its first frame there.
TEST(SitePathsTest, TheStandardLibraryIsNoSite) {
  const std::string collect =
      "runtime.goexit > main.main > "
      "main.work.Collect[go.shape.string,go.shape.bool].Insert[go.shape.map[go.shape.string]"
      "go.shape.bool,go.shape.string,go.shape.bool]-range1|"
      "main.work.All[go.shape.map[string]bool,go.shape.string,go.shape.bool].func1|"
      "maps.Insert[go.shape.map[go.shape.string]go.shape.bool,go.shape.string,go.shape.bool]|"
      "maps.Collect[go.shape.string,go.shape.bool]|main.work > " +
      std::string(kGrowBelow);
  const std::string json =
      "runtime.goexit > main.main > main.decode > encoding/json.Unmarshal > "
      "encoding/json.(*decodeState).object > reflect.Value.SetMapIndex > " +
      std::string(kGrowBelow);
  // A map of the standard library's own, grown under its server loop: no caller outside it.
  const std::string header =
      "runtime.goexit > net/http.(*conn).serve > net/http.readRequest > "
      "net/textproto.(*Reader).ReadMIMEHeader > " +
      std::string(kGrowBelow);
  for (const std::string root : {"/usr/local/go/src/", ""}) {
    StackProfile sp;
    sp.Add(collect, 30);
    sp.Add(json, 20);
    sp.Add(header, 10);
    for (Function& f : sp.profile.functions) {
      const std::string name = sp.profile.str(f.name);
      const bool in_std = name.rfind("main.", 0) != 0;
      const std::string dir = name.substr(0, name.find('.'));
      f.filename = sp.profile.Intern(in_std ? root + dir + "/x.go" : "/home/u/app/main.go");
    }
    const Resolved r = Resolve(sp.profile);
    ASSERT_EQ(r.summary.sites.size(), 3u);
    if (root.empty()) {
      EXPECT_EQ(r.summary.sites[2].function, "net/http.readRequest");
      EXPECT_EQ(r.summary.sites[0].function,
                "maps.Insert[go.shape.map[go.shape.string]go.shape."
                "bool,go.shape.string,go.shape.bool]");
      EXPECT_EQ(r.summary.sites[1].function, "encoding/json.(*decodeState).object");
      continue;
    }
    EXPECT_EQ(r.summary.sites[0].function, "main.work");
    EXPECT_EQ(r.summary.sites[0].via.size(), 2u);
    EXPECT_EQ(r.summary.sites[1].function, "main.decode");
    EXPECT_EQ(r.summary.sites[1].via,
              (std::vector<std::string>{"reflect.Value.SetMapIndex",
                                        "encoding/json.(*decodeState).object",
                                        "encoding/json.Unmarshal"}));
    EXPECT_EQ(r.summary.sites[2].function, "net/textproto.(*Reader).ReadMIMEHeader");
    EXPECT_TRUE(r.summary.sites[2].via.empty());
  }
}

}  // namespace
}  // namespace gcspike
