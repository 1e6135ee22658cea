// Each rule of stack_rules.h on hand-built stacks modelled on real Go 1.19 / 1.26 / 1.27
// profiles (the frames come from `go tool pprof -traces` of such profiles).
#include "plugin/detect/stack_rules.h"

#include <gtest/gtest.h>

#include "tests/unit/plugin/detect/stack_builder.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

using testing::StackProfile;

class StackRulesTest : public ::testing::Test {
 protected:
  StackFeatures Classify(std::string_view root_first, const RuntimeSignatureCatalogue& catalogue =
                                                          RuntimeSignatureCatalogue::BuiltIn()) {
    const size_t i = sp_.Add(root_first);
    StackClassifier c(sp_.profile, catalogue);
    return c.Classify(sp_.Stack(i));
  }
  std::string Site(const StackFeatures& f) const {
    return f.site_function_id == 0 ? ""
                                   : sp_.profile.str(sp_.profile.function(f.site_function_id).name);
  }
  StackProfile sp_;
};

TEST_F(StackRulesTest, SwissSplitAllocationIsGrowSpikeAndMallocBurst) {
  // Go 1.26: a table at 1024 slots splits; newTable allocates the groups.
  const StackFeatures f = Classify(
      "runtime.main > main.fill > runtime.mapassign_faststr > "
      "internal/runtime/maps.(*table).rehash > internal/runtime/maps.(*table).split > "
      "internal/runtime/maps.newTable > "
      "internal/runtime/maps.newGroups|internal/runtime/maps.(*table).reset > "
      "internal/runtime/maps.newarray > runtime.newarray > runtime.mallocgc > "
      "runtime.mallocgcSmallScanHeader");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst");
  EXPECT_EQ(Site(f), "main.fill");
  EXPECT_EQ(f.generation, MapGeneration::kSwiss);
  EXPECT_TRUE(f.leaf_is_alloc);
  // rehash is the outermost grow frame, 8 frames above the leaf: newGroups, inlined into
  // reset, is a frame of its own.
  EXPECT_EQ(f.grow_subtree_depth, 8);
  EXPECT_EQ(f.depth_below_assign, 9);
  EXPECT_EQ(f.worker, GcWorkerKind::kNone);
}

TEST_F(StackRulesTest, SwissReinsertionIsKeyCopy) {
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > internal/runtime/maps.(*table).rehash > "
      "internal/runtime/maps.(*table).split > internal/runtime/maps.(*table).uncheckedPutSlot > "
      "internal/runtime/maps.makeProbeSeq|internal/runtime/maps.(*table).uncheckedPutSlot");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+key-copy");
  // split and the two uncheckedPutSlot lines (one inlined) are key-copy frames.
  EXPECT_EQ(f.key_copy_frames, 3);
  EXPECT_EQ(Site(f), "main.fill");
}

TEST_F(StackRulesTest, HashingKeysDuringSplitIsKeyCopy) {
  // aeshashbody (assembly, no package) directly under split: rehashing the keys being moved.
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > internal/runtime/maps.(*table).rehash > "
      "internal/runtime/maps.(*table).split > aeshashbody");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+key-copy");
}

TEST_F(StackRulesTest, HmapHashGrowAllocation) {
  // Go 1.19: hashGrow allocates the doubled bucket array.
  const StackFeatures f = Classify(
      "main.main > main.fill > runtime.mapassign_faststr > runtime.hashGrow > "
      "runtime.makeBucketArray > runtime.newarray > runtime.mallocgc > "
      "runtime.memclrNoHeapPointers");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst");
  EXPECT_EQ(f.generation, MapGeneration::kHmap);
  EXPECT_FALSE(f.leaf_is_alloc);
  EXPECT_EQ(f.grow_subtree_depth, 4);
  EXPECT_EQ(Site(f), "main.fill");
}

TEST_F(StackRulesTest, InlinedGrowFrameCounts) {
  // growWork_faststr is an inlined Line of mapassign_faststr's location (Go 1.19 profiles show
  // "runtime.growWork_faststr (inline)"): only checking every line finds the grow frame.
  const StackFeatures f = Classify(
      "main.fill > runtime.growWork_faststr|runtime.mapassign_faststr > "
      "runtime.evacuate_faststr > runtime.typedmemmove");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+key-copy");
  EXPECT_EQ(f.key_copy_frames, 2);
  EXPECT_EQ(Site(f), "main.fill");
}

TEST_F(StackRulesTest, InlinedGrowFrameAboveTheAssignDoesNotCount) {
  // The same location with the order reversed (assign inlined into a grow frame) must not be
  // read as "grow below assign": the lines' order inside a location matters.
  const StackFeatures f = Classify("main.fill > runtime.mapassign_faststr|runtime.hashGrow");
  EXPECT_EQ(f.features & kFeatureGrowSpike, 0u);
}

TEST_F(StackRulesTest, EvacuationThatAllocatesIsMallocBurstNotKeyCopy) {
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > runtime.growWork_faststr > "
      "runtime.evacuate_faststr > runtime.(*hmap).newoverflow > runtime.newobject > "
      "runtime.mallocgc");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst");
}

TEST_F(StackRulesTest, PresizingIsNotGrowth) {
  // Regression: stacks of presized maps (make(map[string]bool, n)) from Go 1.19 and 1.26
  // profiles were labelled malloc-burst or grow-spike while makeBucketArray, newoverflow and
  // newTable were grow frames.
  for (const char* stack :
       {"main.main > runtime.makemap > runtime.makeBucketArray > runtime.newarray > "
        "runtime.mallocgc > runtime.memclrNoHeapPointers",
        "main.main > runtime.mapassign_faststr > runtime.(*hmap).newoverflow > "
        "runtime.newobject|runtime.(*hmap).newoverflow > runtime.mallocgc",
        "main.main > runtime.makemap > internal/runtime/maps.NewMap > "
        "internal/runtime/maps.newTable > internal/runtime/maps.(*table).reset > "
        "internal/runtime/maps.newarray > runtime.newarray > runtime.mallocgc > "
        "runtime.deductAssistCredit > runtime.gcAssistAlloc"}) {
    SCOPED_TRACE(stack);
    EXPECT_EQ(Classify(stack).features & kMapFeatures, 0u);
  }
}

TEST_F(StackRulesTest, MapAssignWithoutGrowthHasNoFeature) {
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > "
      "internal/runtime/maps.ctrlGroup.matchH2|runtime.mapassign_faststr");
  EXPECT_EQ(f.features, 0u);
  EXPECT_EQ(f.site_function_id, 0u);  // no map feature, no site
  EXPECT_TRUE(f.roles & kRoleMapAssign);
  EXPECT_EQ(f.generation, MapGeneration::kSwiss);  // the Swiss package still shows
}

TEST_F(StackRulesTest, AllocationOutsideMapsIsNothing) {
  const StackFeatures f = Classify(
      "main.fill > strconv.Itoa|main.fill > runtime.slicebytetostring > runtime.mallocgc > "
      "runtime.mallocgcTinySC2");
  EXPECT_EQ(f.features, 0u);
  EXPECT_TRUE(f.leaf_is_alloc);
  EXPECT_EQ(f.generation, MapGeneration::kAny);
}

TEST_F(StackRulesTest, AssistUnderGrowAllocationIsCoupled) {
  // Go 1.26: the assist runs on the system stack under the grow allocation and scans.
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > internal/runtime/maps.(*table).rehash > "
      "internal/runtime/maps.(*table).split > internal/runtime/maps.newTable > "
      "internal/runtime/maps.(*table).reset > internal/runtime/maps.newarray > "
      "runtime.newarray > runtime.mallocgc > runtime.deductAssistCredit > "
      "runtime.gcAssistAlloc > runtime.systemstack > runtime.gcAssistAlloc.func2 > "
      "runtime.gcAssistAlloc1 > runtime.gcDrainN > runtime.scanSpan > runtime.greyobject");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst+assist-coupling+scanobject-hotspot");
  EXPECT_EQ(f.worker, GcWorkerKind::kAssist);
  EXPECT_EQ(Site(f), "main.fill");
}

TEST_F(StackRulesTest, Go119AssistInsideMallocgcUnderHashGrow) {
  // Go 1.19 has no deductAssistCredit: gcAssistAlloc is called from mallocgc directly.
  const StackFeatures f = Classify(
      "main.fill > runtime.mapassign_faststr > runtime.hashGrow > runtime.makeBucketArray > "
      "runtime.newarray > runtime.mallocgc > runtime.gcAssistAlloc > runtime.gcParkAssist");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst+assist-coupling");
  EXPECT_EQ(f.worker, GcWorkerKind::kAssist);
}

TEST_F(StackRulesTest, AssistFromOtherAllocationIsScanOnly) {
  const StackFeatures f = Classify(
      "main.work > runtime.slicebytetostring > runtime.mallocgc > runtime.deductAssistCredit > "
      "runtime.gcAssistAlloc > runtime.systemstack > runtime.gcAssistAlloc.func2 > "
      "runtime.gcAssistAlloc1 > runtime.gcDrainN > runtime.scanobject > runtime.findObject");
  EXPECT_EQ(FeatureLabel(f.features), "scanobject-hotspot");
  EXPECT_EQ(f.worker, GcWorkerKind::kAssist);
  EXPECT_EQ(f.site_function_id, 0u);
}

struct WorkerCase {
  const char* wrapper;
  GcWorkerKind kind;
  const char* label;
};

TEST_F(StackRulesTest, BackgroundWorkerModes) {
  // Go 1.21+: the mode wrapper is inlined into gcBgMarkWorker.func2 (Go 1.26 profiles show
  // "runtime.gcDrainMarkWorkerIdle (inline)").
  const WorkerCase cases[] = {
      {"runtime.gcDrainMarkWorkerDedicated", GcWorkerKind::kDedicated, "dedicated"},
      {"runtime.gcDrainMarkWorkerFractional", GcWorkerKind::kFractional, "fractional"},
      {"runtime.gcDrainMarkWorkerIdle", GcWorkerKind::kIdle, "idle"}};
  for (const WorkerCase& c : cases) {
    SCOPED_TRACE(c.wrapper);
    const StackFeatures f =
        Classify(std::string("runtime.gcBgMarkWorker > runtime.systemstack > ") + c.wrapper +
                 "|runtime.gcBgMarkWorker.func2 > runtime.gcDrain > runtime.scanObject > "
                 "runtime.tryDeferToSpanScan");
    EXPECT_EQ(FeatureLabel(f.features), "scanobject-hotspot");
    EXPECT_EQ(f.worker, c.kind);
    EXPECT_EQ(GcWorkerName(f.worker), c.label);
  }
}

TEST_F(StackRulesTest, Go119WorkerModeIsUnknown) {
  // Before Go 1.21 the stack does not tell the mode: scanning, but no worker kind.
  const StackFeatures f = Classify(
      "runtime.gcBgMarkWorker > runtime.systemstack > runtime.gcBgMarkWorker.func2 > "
      "runtime.gcDrain > runtime.scanobject > runtime.greyobject");
  EXPECT_EQ(FeatureLabel(f.features), "scanobject-hotspot");
  EXPECT_EQ(f.worker, GcWorkerKind::kNone);
}

TEST_F(StackRulesTest, ScanHelpersOutsideTheGcAreNotScanning) {
  // typePointers.next also serves the write barrier's bulk copy in user goroutines.
  const StackFeatures f = Classify(
      "main.copy > runtime.typedmemmove > runtime.bulkBarrierPreWrite > "
      "runtime.typePointers.next");
  EXPECT_EQ(f.features, 0u);
}

TEST_F(StackRulesTest, SiteSkipsReflectAndRuntimeFrames) {
  const StackFeatures f = Classify(
      "main.main > encoding/json.(*decodeState).object > reflect.mapassign_faststr > "
      "runtime.mapassign_faststr > internal/runtime/maps.(*Map).growToTable");
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+key-copy");
  EXPECT_EQ(Site(f), "encoding/json.(*decodeState).object");
}

TEST_F(StackRulesTest, UserMapWrapperRuleMovesTheSite) {
  const char* stack =
      "main.run > cache.(*Cache).Set > runtime.mapassign_faststr > "
      "internal/runtime/maps.(*Map).growToSmall > internal/runtime/maps.newarray > "
      "runtime.newarray > runtime.mallocgc";
  EXPECT_EQ(Site(Classify(stack)), "cache.(*Cache).Set");
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  ASSERT_OK(c.AddRules("map-assign cache.(*Cache).Set\n", "rules"));
  EXPECT_EQ(Site(Classify(stack, c)), "main.run");
}

TEST_F(StackRulesTest, UserGrowRuleMakesSliceGrowthAGrowSpike) {
  const char* stack = "main.run > sync.(*Map).Store > sync.(*Map).dirtyLocked > runtime.mallocgc";
  EXPECT_EQ(Classify(stack).features, 0u);
  RuntimeSignatureCatalogue c = RuntimeSignatureCatalogue::BuiltIn();
  ASSERT_OK(c.AddRules("map-assign sync.(*Map).Store\ngrow sync.(*Map).dirtyLocked\n", "r"));
  const StackFeatures f = Classify(stack, c);
  EXPECT_EQ(FeatureLabel(f.features), "grow-spike+malloc-burst");
  EXPECT_EQ(Site(f), "main.run");
}

TEST(FeatureLabelTest, FixedOrderJoinedByPlus) {
  EXPECT_EQ(FeatureLabel(0), "");
  EXPECT_EQ(FeatureLabel(kFeatureScanHotspot | kFeatureGrowSpike), "grow-spike+scanobject-hotspot");
  EXPECT_EQ(FeatureLabel(kFeatureAssistCoupling | kFeatureKeyCopy | kFeatureMallocBurst),
            "key-copy+malloc-burst+assist-coupling");
}

TEST(ClassifyStackTest, FreeFunctionUsesTheBuiltInCatalogue) {
  StackProfile sp;
  const size_t i = sp.Add("main.f > runtime.mapassign_fast64 > runtime.hashGrow");
  EXPECT_EQ(ClassifyStack(sp.profile, sp.Stack(i)).features, kFeatureGrowSpike);
}

}  // namespace
}  // namespace gcspike
