#include "plugin/detect/runtime_signature_catalogue.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

const RuntimeSignatureCatalogue& BuiltIn() {
  static const RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  return c;
}

TEST(RuntimeSignatureCatalogueTest, MapAssignEntriesForEveryKeyKind) {
  for (const char* name :
       {"runtime.mapassign", "runtime.mapassign_fast32", "runtime.mapassign_fast32ptr",
        "runtime.mapassign_fast64", "runtime.mapassign_fast64ptr", "runtime.mapassign_faststr",
        "reflect.mapassign_faststr", "internal/runtime/maps.(*Map).putSlotSmallFastStr"}) {
    EXPECT_TRUE(BuiltIn().RolesOf(name) & kRoleMapAssign) << name;
  }
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.mapaccess2_faststr") & kRoleMapAssign);
}

TEST(RuntimeSignatureCatalogueTest, GrowFramesOfBothGenerations) {
  for (const char* name :
       {"runtime.hashGrow", "runtime.growWork_faststr", "runtime.evacuate_fast64",
        "internal/runtime/maps.(*Map).growToSmall", "internal/runtime/maps.(*Map).growToTable",
        "internal/runtime/maps.(*table).rehash", "internal/runtime/maps.(*table).grow",
        "internal/runtime/maps.(*table).split"}) {
    EXPECT_TRUE(BuiltIn().RolesOf(name) & kRoleGrow) << name;
  }
  // Allocation helpers that makemap uses to presize a map are not growth by themselves.
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.makeBucketArray") & kRoleGrow);
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.(*hmap).newoverflow") & kRoleGrow);
  EXPECT_FALSE(BuiltIn().RolesOf("internal/runtime/maps.newTable") & kRoleGrow);
  // Helpers that merely test growth state are not growth work.
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.evacuated") & kRoleGrow);
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.tooManyOverflowBuckets") & kRoleGrow);
  EXPECT_FALSE(BuiltIn().RolesOf("internal/runtime/maps.(*table).growthLeft") & kRoleGrow);
}

TEST(RuntimeSignatureCatalogueTest, AllocatorVariants) {
  for (const char* name : {"runtime.mallocgc", "runtime.mallocgcTiny",
                           "runtime.mallocgcSmallScanHeader", "runtime.mallocgcLarge",
                           "runtime.mallocgcTinySC2", "runtime.mallocgcSmallScanNoHeaderSC5"}) {
    EXPECT_TRUE(BuiltIn().RolesOf(name) & kRoleAlloc) << name;
  }
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.newarray") & kRoleAlloc);
}

TEST(RuntimeSignatureCatalogueTest, GcRoles) {
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.gcAssistAlloc.func2") & kRoleAssist);
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.gcAssistAlloc1") & kRoleAssist);
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.gcDrainN") & kRoleAssist);
  EXPECT_FALSE(BuiltIn().RolesOf("runtime.gcDrainN") & kRoleGcWorker);
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.gcDrain") & kRoleGcWorker);
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.gcBgMarkWorker.func2") & kRoleGcWorker);
  EXPECT_EQ(BuiltIn().RolesOf("runtime.gcDrainMarkWorkerIdle"),
            kRoleGcWorker | kRoleWorkerIdle | kRoleRuntime);
  for (const char* name : {"runtime.scanobject", "runtime.scanObject", "runtime.greyobject",
                           "runtime.scanSpan", "runtime.scanObjectsSmall", "runtime.markrootBlock",
                           "internal/runtime/gc/scan.ScanSpanPacked"}) {
    EXPECT_TRUE(BuiltIn().RolesOf(name) & kRoleScan) << name;
  }
}

TEST(RuntimeSignatureCatalogueTest, RuntimeFramesByPackage) {
  EXPECT_TRUE(BuiltIn().RolesOf("runtime.systemstack") & kRoleRuntime);
  EXPECT_TRUE(BuiltIn().RolesOf("internal/runtime/maps.ctrlGroup.matchH2") & kRoleRuntime);
  EXPECT_TRUE(BuiltIn().RolesOf("aeshashbody") & kRoleRuntime);
  EXPECT_FALSE(BuiltIn().RolesOf("main.main") & kRoleRuntime);
  EXPECT_FALSE(BuiltIn().RolesOf("runtime/pprof.Do") & kRoleRuntime);
  EXPECT_FALSE(BuiltIn().RolesOf("reflect.mapassign_faststr") & kRoleRuntime);
}

TEST(RuntimeSignatureCatalogueTest, Generations) {
  EXPECT_EQ(BuiltIn().GenerationOf("runtime.hashGrow"), MapGeneration::kHmap);
  EXPECT_EQ(BuiltIn().GenerationOf("runtime.evacuate_faststr"), MapGeneration::kHmap);
  EXPECT_EQ(BuiltIn().GenerationOf("runtime.(*hmap).newoverflow"), MapGeneration::kHmap);
  EXPECT_EQ(BuiltIn().RolesOf("runtime.(*hmap).newoverflow"), kRoleRuntime);
  EXPECT_EQ(BuiltIn().GenerationOf("internal/runtime/maps.ctrlGroup.matchH2"),
            MapGeneration::kSwiss);
  EXPECT_EQ(BuiltIn().GenerationOf("runtime.mapassign_faststr"), MapGeneration::kAny);
}

TEST(RulesFileTest, ParsesRolesPatternsCommentsAndGenerations) {
  RuntimeSignatureCatalogue c;
  const Status s = c.AddRules(
      "# my map wrappers\n"
      "\n"
      "map-assign  example.com/cache.(*Cache).Put   # the wrapper\n"
      "grow\texample.com/cache.(*Cache).resize* swiss\r\n"
      "runtime example.com/cache.hash\n"
      "worker-idle mygc.idle",  // no final newline
      "my.rules");
  ASSERT_OK(s);
  ASSERT_EQ(c.signatures().size(), 4u);
  EXPECT_EQ(c.signatures()[0].origin, "my.rules:3");
  EXPECT_EQ(c.RolesOf("example.com/cache.(*Cache).Put"), kRoleMapAssign);
  EXPECT_EQ(c.RolesOf("example.com/cache.(*Cache).resizeLocked"), kRoleGrow);
  EXPECT_EQ(c.RolesOf("example.com/cache.(*Cache).Get"), 0u);
  EXPECT_EQ(c.RolesOf("example.com/cache.(xCache).resize"), 0u);  // inner '*' is literal
  EXPECT_EQ(c.RolesOf("example.com/cache.hash"), kRoleRuntime);
  EXPECT_EQ(c.RolesOf("mygc.idle"), kRoleWorkerIdle);
  EXPECT_EQ(c.GenerationOf("example.com/cache.(*Cache).resizeLocked"), MapGeneration::kSwiss);
}

struct BadRule {
  const char* text;
  const char* message;
};

TEST(RulesFileTest, ErrorsNameLineAndColumn) {
  const BadRule cases[] = {
      {"grow a.b\n\n  bogus a.c\n", "r.txt: line 3, column 3: unknown role 'bogus'"},
      {"# c\ngrow\n", "r.txt: line 2, column 5: missing function pattern after 'grow'"},
      {"alloc *\n", "r.txt: line 1, column 7: pattern '*' would match every function"},
      {"grow a.b c\n", "r.txt: line 1, column 10: expected 'hmap' or 'swiss'"},
      {"grow a.b hmap extra\n", "r.txt: line 1, column 15: unexpected 'extra'"},
  };
  for (const BadRule& c : cases) {
    SCOPED_TRACE(c.text);
    RuntimeSignatureCatalogue cat;
    const Status s = cat.AddRules(c.text, "r.txt");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().ToString().rfind(c.message, 0), 0u) << s.error().ToString();
  }
}

TEST(RulesFileTest, FromFileAndMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "gcspike_rules_test.rules";
  {
    std::ofstream out(path);
    out << "scan mygc.scan*\n";
  }
  RuntimeSignatureCatalogue c;
  ASSERT_OK(c.AddRulesFile(path.string()));
  EXPECT_EQ(c.RolesOf("mygc.scanAll"), kRoleScan);
  std::filesystem::remove(path);
  const Status missing = c.AddRulesFile(path.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ToString(), path.string() + ": cannot open the rules file");
}

TEST(RulesFileTest, RoleNamesRoundTrip) {
  for (uint32_t bit = 0; bit < kRoleCount; ++bit) {
    const uint32_t role = 1u << bit;
    const auto back =
        RuntimeSignatureCatalogue::RoleFromName(RuntimeSignatureCatalogue::RoleName(role));
    ASSERT_TRUE(back.has_value()) << bit;
    EXPECT_EQ(*back, role);
  }
}

}  // namespace
}  // namespace gcspike

namespace gcspike {
namespace {

TEST(RulesFileTest, GenericRulesMatchEveryInstantiationSpelling) {
  EXPECT_EQ(EraseTypeArguments("main.Set[go.shape.string].Add"), "main.Set[...].Add");
  EXPECT_EQ(EraseTypeArguments("main.(*Set[go.shape.map[string]int]).Add"), "main.(*Set[...]).Add");
  EXPECT_EQ(EraseTypeArguments("main.F[...]"), "main.F[...]");
  EXPECT_EQ(EraseTypeArguments("main.F"), "main.F");
  RuntimeSignatureCatalogue c;
  ASSERT_TRUE(c.AddRules("map-helper pkg.Set[...].Add\n"
                         "map-assign pkg.(*Index[K]).Put\n"
                         "grow pkg.Grow[*\n",
                         "rules")
                  .ok());
  // runtime/pprof spells type arguments [...]; ELF symbols name the shape, and Go 1.19-1.20
  // number it.
  for (const char* name : {"pkg.Set[...].Add", "pkg.Set[go.shape.string].Add",
                           "pkg.Set[go.shape.string_0].Add", "pkg.Set[go.shape.int64].Add"}) {
    EXPECT_EQ(c.RolesOf(name), uint32_t{kRoleMapHelper}) << name;
  }
  EXPECT_EQ(c.RolesOf("pkg.Set.Add"), 0u);
  EXPECT_EQ(c.RolesOf("pkg.Sets[...].Add"), 0u);
  EXPECT_EQ(c.RolesOf("pkg.(*Index[go.shape.string,go.shape.int]).Put"), uint32_t{kRoleMapAssign});
  EXPECT_EQ(c.RolesOf("pkg.Grow[go.shape.int].func1"), uint32_t{kRoleGrow});
  EXPECT_EQ(c.RolesOf("pkg.Grow"), 0u);
}

TEST(RulesFileTest, UnmatchedRulesAreTheOnesNoFunctionMatches) {
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  ASSERT_TRUE(c.AddRules("map-helper pkg.Set[...].Add\nmap-assign pkg.Missing\n"
                         "runtime pkg.internal*\n",
                         "my.rules")
                  .ok());
  const auto unmatched = c.UnmatchedRules(
      {"pkg.Set[go.shape.string].Add", "pkg.internalHash", "runtime.mapassign_faststr"});
  ASSERT_EQ(unmatched.size(), 1u);
  EXPECT_EQ(unmatched[0]->pattern, "pkg.Missing");
  EXPECT_EQ(unmatched[0]->origin, "my.rules:2");
}

}  // namespace
}  // namespace gcspike
