// FindHeapSteps (declared in time_rules.h): the steps of the heap-alloc series that the
// heap-step feature weighs against the grow clusters.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "plugin/detect/time_rules.h"

namespace gcspike {

namespace {

// The heap series' bytes in a max segment tree over blocks of kBlock points, to find the first
// point of an index range above a bar in O(log n + kBlock): FindHeapSteps without rescanning
// each start's window. The blocks keep the tree to about a byte per point.
class MaxBytesTree {
 public:
  static constexpr size_t kBlock = 16;

  explicit MaxBytesTree(const std::vector<HeapPoint>& points) : points_(points) {
    const size_t blocks = (points.size() + kBlock - 1) / kBlock;
    while (leaves_ < blocks) leaves_ *= 2;
    max_.assign(2 * leaves_, 0);
    for (size_t i = 0; i < points.size(); ++i) {
      uint64_t& m = max_[leaves_ + i / kBlock];
      m = std::max(m, points[i].bytes);
    }
    for (size_t i = leaves_; i-- > 1;) max_[i] = std::max(max_[2 * i], max_[2 * i + 1]);
  }

  // The first index in [lo, hi) whose bytes are above bar, or hi when there is none.
  size_t FirstAbove(size_t lo, size_t hi, double bar) const {
    if (lo >= hi) return hi;
    // lo's own block point by point, then the first block after it with a point above the bar
    // (only the range's last block can hold its point at or past hi).
    const size_t lo_end = std::min(hi, (lo / kBlock + 1) * kBlock);
    const size_t first = Scan(lo, lo_end, bar);
    if (first < lo_end) return first;
    const size_t block_hi = (hi + kBlock - 1) / kBlock;
    const size_t block = Find(1, 0, leaves_, lo / kBlock + 1, block_hi, bar);
    if (block >= block_hi) return hi;
    const size_t found = Scan(block * kBlock, std::min(hi, (block + 1) * kBlock), bar);
    return found < hi ? found : hi;
  }

 private:
  // The first index in [lo, hi) above bar, or hi.
  size_t Scan(size_t lo, size_t hi, double bar) const {
    for (size_t i = lo; i < hi; ++i) {
      if (static_cast<double>(points_[i].bytes) > bar) return i;
    }
    return hi;
  }

  // The first block in [lo, hi) whose maximum is above bar, or hi.
  size_t Find(size_t node, size_t node_lo, size_t node_hi, size_t lo, size_t hi, double bar) const {
    if (node_hi <= lo || hi <= node_lo || !(static_cast<double>(max_[node]) > bar)) return hi;
    if (node_hi - node_lo == 1) return node_lo;
    const size_t mid = node_lo + (node_hi - node_lo) / 2;
    const size_t left = Find(2 * node, node_lo, mid, lo, hi, bar);
    return left < hi ? left : Find(2 * node + 1, mid, node_hi, lo, hi, bar);
  }

  const std::vector<HeapPoint>& points_;
  size_t leaves_ = 1;
  std::vector<uint64_t> max_;
};

}  // namespace

// O(n log n): the window's end moves forward with the start (the points are sorted by time),
// and the tree finds the window's first point above the bar.
std::vector<HeapStep> FindHeapSteps(const std::vector<HeapPoint>& points, double share,
                                    int64_t within_ns) {
  std::vector<HeapStep> steps;
  const MaxBytesTree tree(points);
  size_t end = 0;  // one past the last point within within_ns of points[i]
  size_t i = 0;
  while (i < points.size()) {
    const HeapPoint& from = points[i];
    end = std::max(end, i + 1);
    while (end < points.size() && points[end].ts_ns - from.ts_ns <= within_ns) ++end;
    const double bar = static_cast<double>(from.bytes) * (1 + share);
    const size_t j = tree.FirstAbove(i + 1, end, bar);
    if (j == end) {
      ++i;
      continue;
    }
    steps.push_back(HeapStep{.start_ns = from.ts_ns,
                             .end_ns = points[j].ts_ns,
                             .from_bytes = from.bytes,
                             .to_bytes = points[j].bytes});
    i = j;
  }
  return steps;
}

}  // namespace gcspike
