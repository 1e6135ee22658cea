#include "plugin/same_samples.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "plugin/detect/sample_weight.h"

namespace gcspike {
namespace {

// FNV-1a, then splitmix64's finalizer: the same buckets on every machine and run.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// A generic function's type arguments count as "[...]": the trace writes them so, the CPU
// profile spells them out (docs/formats/go-trace.md#cpu-samples).
uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325;
  auto add = [&h](unsigned char c) { h = (h ^ c) * 0x100000001b3; };
  int depth = 0;
  for (unsigned char c : s) {
    if (c == '[' && depth++ == 0) {
      for (unsigned char e : std::string_view("[...]")) add(e);
    } else if (c == ']' && depth > 0) {
      --depth;
    } else if (depth == 0) {
      add(c);
    }
  }
  return Mix(h);
}

uint64_t Combine(uint64_t h, uint64_t part) { return Mix(h ^ part) + 0x9e3779b97f4a7c15; }

// A stack's hash: its frames' function names leaf first, line by line, so that a pprof location
// holding an inlined call and a trace's two frames for it hash alike; a location without lines
// (not symbolized) by its address. A root runtime.goexit is left out.
class StackHasher {
 public:
  explicit StackHasher(const Profile& p) : p_(p), fn_(p.functions.size()) {
    for (size_t i = 0; i < fn_.size(); ++i) fn_[i] = HashName(p.str(p.functions[i].name));
    const StrId goexit = p.strings.Find("runtime.goexit");
    goexit_.resize(p.locations.size());
    for (size_t i = 0; i < p.locations.size(); ++i) {
      const auto& lines = p.locations[i].lines;
      goexit_[i] = goexit != 0 && lines.size() == 1 && lines[0].function_id != 0 &&
                   p.function(lines[0].function_id).name == goexit;
    }
  }

  uint64_t operator()(const Sample& s) const {
    size_t n = s.location_ids.size();
    if (n > 0 && goexit_[s.location_ids[n - 1] - 1]) --n;
    uint64_t h = 0;
    for (size_t j = 0; j < n; ++j) {
      const Location& loc = p_.location(s.location_ids[j]);
      if (loc.lines.empty()) h = Combine(h, Mix(loc.address));
      for (const Line& l : loc.lines) h = Combine(h, l.function_id ? fn_[l.function_id - 1] : 0);
    }
    return Mix(h);
  }

 private:
  const Profile& p_;
  std::vector<uint64_t> fn_;  // by function id - 1
  std::vector<bool> goexit_;  // by location id - 1: the location is runtime.goexit alone
};

// E|X - Y| for independent Poisson X, Y of mean mu (Skellam): 2 mu e^(-2 mu) (I0 + I1)(2 mu);
// for large 2 mu the asymptotic form, where the Bessel functions overflow.
double MeanAbsDifference(double mu) {
  if (mu <= 0) return 0;
  const double x = 2 * mu;
  if (x > 400) return 2 * std::sqrt(x / (2 * M_PI)) * (1 - 1 / (8 * x));
  return x * std::exp(-x) * (std::cyl_bessel_i(0.0, x) + std::cyl_bessel_i(1.0, x));
}

}  // namespace

SampleFingerprint FingerprintSamples(const Profile& profile) {
  SampleFingerprint f;
  const StackHasher hash_stack(profile);
  const SampleWeights weight(profile);
  std::array<uint64_t, SampleFingerprint::kBuckets> counts{};
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const uint64_t h = hash_stack(profile.samples[i]);
    const auto w = static_cast<uint64_t>(std::llround(weight(i)));
    counts[h % SampleFingerprint::kBuckets] += w;
    f.total += w;
  }
  uint64_t hash = Mix(f.total);
  for (size_t k = 0; k < counts.size(); ++k) {
    f.counts[k] = static_cast<uint32_t>(std::min<uint64_t>(counts[k], UINT32_MAX));
    f.sqrt_sum += std::sqrt(static_cast<double>(f.counts[k]));
    hash = Combine(hash, f.counts[k]);
  }
  f.hash = hash;
  return f;
}

IndependentDisagreement ExpectedDisagreement(const SampleFingerprint& a,
                                             const SampleFingerprint& b) {
  IndependentDisagreement d;
  const double mean_total = (static_cast<double>(a.total) + static_cast<double>(b.total)) / 2;
  double variance = 0;
  for (size_t k = 0; k < a.counts.size(); ++k) {
    const double lambda = (static_cast<double>(a.counts[k]) + b.counts[k]) / 2;
    if (lambda == 0) continue;
    const double mu = lambda * std::max(0.0, 1 - lambda / mean_total);
    const double e = MeanAbsDifference(mu);
    d.expected += e;
    variance += std::max(0.0, 2 * mu - e * e);
  }
  d.sd = std::sqrt(variance);
  return d;
}

SamplesComparison CompareSamples(const SampleFingerprint& a, const SampleFingerprint& b) {
  SamplesComparison c;
  for (size_t k = 0; k < a.counts.size(); ++k) {
    const double x = a.counts[k], y = b.counts[k];
    c.disagreement += std::abs(x - y);
    c.shared += std::min(x, y);
  }
  const double n = std::max(a.total, b.total);
  c.agreeing = n > 0 ? c.shared / n : 0;
  // E <= sum sqrt(x + y) <= sqrt_sum(a) + sqrt_sum(b) (Jensen: E|X - Y| <= sqrt(2 mu)): most
  // independent pairs are told apart here, without the Bessel functions.
  if (c.disagreement > kMaxNoiseRatio * (a.sqrt_sum + b.sqrt_sum)) return c;
  const IndependentDisagreement independent = ExpectedDisagreement(a, b);
  c.expected = independent.expected;
  c.sd = independent.sd;
  c.same = c.expected > 0 && c.disagreement <= kMaxNoiseRatio * c.expected &&
           c.expected - c.disagreement >= kMinSigmas * c.sd;
  return c;
}

std::optional<SameSamplesFinder::Match> SameSamplesFinder::Add(const SampleFingerprint& f) {
  std::optional<Match> found;
  auto check = [&](size_t i) {
    // Equal counts compare alike: the one the hash found stands for all of them.
    if (seen_[i].hash == f.hash && by_hash_.count(f.hash) != 0 && by_hash_.at(f.hash) != i) {
      return false;
    }
    const SamplesComparison c = CompareSamples(seen_[i], f);
    if (c.same) found = Match{i, static_cast<uint64_t>(c.shared), c.agreeing};
    return c.same;
  };
  if (auto it = by_hash_.find(f.hash); it != by_hash_.end() && f.total > 0) check(it->second);
  if (!found && f.total > 0) {
    // D >= |n_a - n_b| and E <= n_a + n_b: beyond this range the test cannot hold.
    const double t = static_cast<double>(f.total), r = kMaxNoiseRatio;
    const auto lo = static_cast<uint64_t>(std::floor(t * (1 - r) / (1 + r)));
    const auto hi = static_cast<uint64_t>(std::ceil(t * (1 + r) / (1 - r)));
    // Nearest totals first, walking down and up from f.total.
    auto up = by_total_.lower_bound(f.total);
    auto down = std::make_reverse_iterator(up);
    for (size_t tried = 0; tried < kMaxCandidates && !found; ++tried) {
      const bool up_ok = up != by_total_.end() && up->first <= hi;
      const bool down_ok = down != by_total_.rend() && down->first >= lo;
      if (!up_ok && !down_ok) break;
      if (up_ok && (!down_ok || up->first - f.total <= f.total - down->first)) {
        check((up++)->second);
      } else {
        check((down++)->second);
      }
    }
  }
  const size_t index = seen_.size();
  seen_.push_back(f);
  by_total_.emplace(f.total, index);
  by_hash_.emplace(f.hash, index);
  return found;
}

}  // namespace gcspike
