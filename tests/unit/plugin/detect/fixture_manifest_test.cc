// A table test over fixtures/MANIFEST.tsv: for every CPU profile and trace of a map-growing
// program, the reported map implementation, site and Go version agree with what the manifest
// and the workload's source say. Nothing here is taken from gcspike's output:
// - the Go version comes from the manifest's "go" column;
// - the map implementation from the Go runtime's history: Swiss tables replaced the bucket
//   hash map (hmap) in Go 1.24;
// - the site from fixtures/src/workload/main.go: the function the mode's `case` in runWorkers
//   calls, followed into its callees until one makes a map without a size hint (`make(map[K]V)`,
//   `make(Set[K])`); modes with no such function (presized, control) have no site to check;
// - a trace's header names a trace format no newer than its Go version, in the old format
//   (before Go 1.22) exactly when the Go version is older than 1.22.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "formats/go_trace_reader.h"
#include "formats/profile_reader.h"
#include "plugin/detect/annotator.h"
#include "plugin/detect/detection_summary.h"
#include "plugin/detect/site_paths.h"
#include "tests/unit/test_support.h"

namespace gcspike {
namespace {

struct ManifestRow {
  std::string file;  // under fixtures/
  int go_minor = 0;  // go1.26.8 -> 26
  std::string mode;
};

std::vector<ManifestRow> ReadManifest() {
  std::ifstream in(testing::FixtureDir() / "MANIFEST.tsv");
  std::vector<ManifestRow> rows;
  std::string line;
  std::getline(in, line);  // header: file go mode flags sha256_prefix
  const std::regex go_version(R"(go1\.(\d+)(\.\d+)?)");
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    ManifestRow r;
    std::string go;
    std::getline(fields, r.file, '\t');
    std::getline(fields, go, '\t');
    std::getline(fields, r.mode, '\t');
    std::smatch m;
    EXPECT_TRUE(std::regex_match(go, m, go_version)) << line;
    if (!m.empty()) r.go_minor = std::stoi(m[1]);
    rows.push_back(r);
  }
  return rows;
}

// The workload's functions by name: each body, from "func NAME(" to the next top-level func.
std::map<std::string, std::string> WorkloadFunctions(std::string* source) {
  std::ifstream in(testing::SourceDir() / "fixtures/src/workload/main.go");
  *source = std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::map<std::string, std::string> bodies;
  const std::regex func(R"(\nfunc (?:\([^)]*\) )?(\w+)[\[(])");
  std::vector<std::pair<std::string, size_t>> starts;
  for (std::sregex_iterator it(source->begin(), source->end(), func), end; it != end; ++it) {
    starts.emplace_back((*it)[1], it->position());
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t to = i + 1 < starts.size() ? starts[i + 1].second : source->size();
    bodies[starts[i].first] = source->substr(starts[i].second, to - starts[i].second);
  }
  return bodies;
}

// The function that makes the map a mode grows, as its profile names it ("main.NAME").
std::string SiteOfMode(const std::string& mode) {
  std::string source;
  const auto bodies = WorkloadFunctions(&source);
  std::smatch m;
  const std::regex mode_case("case \"" + mode + "\":\\s*(\\w+)\\(");
  if (!std::regex_search(bodies.at("runWorkers"), m, mode_case)) return "";
  std::string fn = m[1];
  // A map made without a size hint, which grows through every size: make(map[K]V), make(Set[K]).
  const std::regex grows_from_empty(R"(make\((?:map|Set)\[\w+\][\w{}.]*\))");
  for (int depth = 0; depth < 4; ++depth) {
    const std::string& body = bodies.at(fn);
    if (std::regex_search(body, grows_from_empty)) return "main." + fn;
    std::string next;  // the first workload function this one calls
    for (const auto& [name, unused] : bodies) {
      const size_t at = body.find(name + "(", body.find('{'));
      if (name != fn && at != std::string::npos && (next.empty() || at < body.find(next + "("))) {
        next = name;
      }
    }
    if (next.empty()) return "";
    fn = next;
  }
  return "";
}

bool IsWorkloadFunction(const std::string& name) {
  std::string source;
  const auto bodies = WorkloadFunctions(&source);
  // "main.markSeen", or a generic method "main.Set[go.shape.string].Add".
  const std::regex go_name(R"(main\.(?:\w+\[[^\]]*\]\.)?(\w+))");
  std::smatch m;
  return std::regex_match(name, m, go_name) && bodies.count(m[1]) != 0;
}

TEST(FixtureManifestTest, SiteMapImplementationAndGoVersionPerFixture) {
  const auto rows = ReadManifest();
  ASSERT_FALSE(rows.empty()) << "fixtures/MANIFEST.tsv is empty: run scripts/make-fixtures";
  const RuntimeSignatureCatalogue catalogue = RuntimeSignatureCatalogue::BuiltIn();
  int checked = 0;
  for (const ManifestRow& row : rows) {
    const bool trace = row.file.ends_with(".trace");
    const bool cpu =
        row.file.ends_with(".cpu.pb.gz") && row.file.find(".tiny.") == std::string::npos;
    if (!trace && !cpu) continue;
    SCOPED_TRACE(row.file);
    const auto path = testing::FixtureDir() / row.file;
    auto p = ReadProfileFile(path.string(), ReadOptions{});
    ASSERT_OK(p);
    auto features = ClassifySamples(*p, catalogue);
    const SitePaths paths = ResolveSitePaths(*p, catalogue, features);
    SummaryContext context;
    context.site_paths = &paths;
    const DetectionSummary s = Summarize(*p, features, DetectionThresholds{}, context);
    const std::string map_impl = row.go_minor >= 24 ? "swiss" : "hmap";
    const std::string site = SiteOfMode(row.mode);
    if (trace) {
      const auto bytes = testing::ReadFileBytes(path);
      auto version = ReadGoTraceHeader(std::span(bytes).first(16));
      ASSERT_OK(version);
      EXPECT_LE(*version, row.go_minor);
      EXPECT_EQ(*version < 22, row.go_minor < 22) << "trace format " << *version;
    }
    if (site.empty()) {  // presized, control: no growth site; the runtime may still show
      if (s.go_runtime != "unknown") {
        EXPECT_EQ(s.go_runtime, map_impl);
      }
      continue;
    }
    ++checked;
    EXPECT_EQ(s.go_runtime, map_impl) << "Go 1." << row.go_minor;
    ASSERT_FALSE(s.sites.empty());
    EXPECT_EQ(s.sites[0].function, site) << "mode " << row.mode;
    for (const std::string& via : s.sites[0].via) {
      EXPECT_TRUE(IsWorkloadFunction(via)) << via << " is not a function of the workload";
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace gcspike
