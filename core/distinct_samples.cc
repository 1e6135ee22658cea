#include "core/distinct_samples.h"

#include <string>

namespace gcspike {
namespace {

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t Hash(const Sample& s) {
  uint64_t h = s.location_ids.size();
  for (uint64_t id : s.location_ids) h = Mix(h, id);
  for (const Label& l : s.labels) {
    h = Mix(h, (static_cast<uint64_t>(l.key) << 1) | (l.numeric ? 1 : 0));
    h = Mix(h, l.numeric ? static_cast<uint64_t>(l.num) : l.str);
    h = Mix(h, l.num_unit);
  }
  return h;
}

bool SameLabel(const Label& a, const Label& b) {
  return a.key == b.key && a.str == b.str && a.num == b.num && a.num_unit == b.num_unit &&
         a.numeric == b.numeric;
}

bool SameStackAndLabels(const Sample& a, const Sample& b) {
  if (a.location_ids != b.location_ids || a.labels.size() != b.labels.size()) return false;
  for (size_t i = 0; i < a.labels.size(); ++i) {
    if (!SameLabel(a.labels[i], b.labels[i])) return false;
  }
  return true;
}

// One heap allocation's bookkeeping, roughly (glibc: 16 bytes and rounding).
constexpr uint64_t kAllocation = 16;

}  // namespace

uint64_t DistinctSamples::SampleBytes(const Sample& s) {
  return sizeof(Sample) + 3 * kAllocation + sizeof(uint64_t) * s.location_ids.size() +
         sizeof(int64_t) * s.values.size() + sizeof(Label) * s.labels.size();
}

Status DistinctSamples::Add(const Sample& s) {
  if (!spool_samples_) {
    bytes_ += SampleBytes(s);
    p_.samples.push_back(s);
    return {};
  }
  auto [head, inserted] = heads_.try_emplace(Hash(s), kNone);
  for (uint32_t i = head->second; i != kNone; i = next_[i]) {
    if (SameStackAndLabels(p_.samples[i], s)) return AddRecord(i, s);
  }
  if (p_.samples.size() >= kNone) {
    return MakeError("more than " + std::to_string(kNone) + " distinct samples");
  }
  const auto index = static_cast<uint32_t>(p_.samples.size());
  next_.push_back(head->second);
  head->second = index;
  // The sample, its hash chain entry (a map node when the hash is new) and its record count.
  bytes_ += SampleBytes(s) + sizeof(uint32_t) + sizeof(uint64_t) +
            (inserted ? 4 * sizeof(uint64_t) + kAllocation : 0);
  p_.samples.push_back(s);
  if (spool_ != nullptr) spool_->Append(index, s.values, {});
  return {};
}

Status DistinctSamples::AddRecord(uint32_t distinct, const Sample& s) {
  if (spool_ == nullptr) {
    // The first repeat: every sample so far was distinct, so its values are its record's.
    spool_ = std::make_shared<SampleSpool>();
    for (size_t i = 0; i < p_.samples.size(); ++i) {
      spool_->Append(static_cast<uint32_t>(i), p_.samples[i].values, {});
    }
  }
  std::vector<int64_t>& sums = p_.samples[distinct].values;
  for (size_t i = 0; i < sums.size() && i < s.values.size(); ++i) {
    if (__builtin_add_overflow(sums[i], s.values[i], &sums[i])) {
      return MakeError(
          "the values of the samples with one stack and labels add up past the "
          "range of a 64-bit integer");
    }
  }
  spool_->Append(distinct, s.values, {});
  return {};
}

Status DistinctSamples::Finish() {
  if (spool_ == nullptr) return {};
  GCSPIKE_RETURN_IF_ERROR(spool_->Close());
  p_.spool = std::move(spool_);
  return {};
}

}  // namespace gcspike
