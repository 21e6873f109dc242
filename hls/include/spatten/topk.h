// spatten/topk.h — the top-k selector: which k elements of a row survive.
//
// Definition. Given values v[0..n) (unsigned) and k, element i is selected iff
//   rank(i) = #{j : v[j] > v[i]} + #{j < i : v[j] == v[i]}  <  k,
// i.e. the k largest values, and among equal values the lower index wins
// (tie rule: earlier token first). The selected indices are emitted in
// increasing index order (original token order), never sorted by value.
// k <= 0 selects nothing; k >= n selects everything.
//
// Two formulations produce this set, and tests check both against a sort:
//  * topk_select():      a bitwise threshold search (k-th largest value found
//                        MSB first with one counting pass per bit), the plain
//                        definition, used by software levels;
//  * topk_quickselect(): the formulation of the hardware top-k engine
//                        (sim/cmodel/topk_engine, hw/rtl/topk_engine.sv):
//                        quick-select passes with a three-way partition into
//                        a greater-than FIFO and a less-than FIFO (compacted
//                        by zero eliminators), then one output pass.
//
// Quick-select, exactly as the engine does it:
//   cand = v (all n), need = k
//   loop (one pass):
//     m = |cand|, pivot = median(cand[0], cand[m/2], cand[m-1])   (deterministic)
//     stream cand: gt = #(> pivot) -> hi FIFO, eq = #(== pivot), lt -> lo FIFO,
//                  both FIFOs keep arrival order
//     need <= gt        : cand = hi
//     need <= gt + eq   : threshold = pivot, ties = need - gt, stop
//     otherwise         : need -= gt + eq, cand = lo
//   output pass over v in index order: emit i if v[i] > threshold, or if
//   v[i] == threshold and fewer than `ties` equal elements were emitted so far.
// TopkStats counts passes and streamed elements, from which the cycle model
// derives the engine's data-dependent cycle count.
#pragma once
#include <cstdint>

#include "spatten/fixed.h"

namespace spatten {
namespace golden {

/// Scratch for topk_quickselect: three candidate buffers of MAX elements
/// (the current candidates and the two FIFOs of a pass).
template <class T, int MAX>
struct TopkScratch {
  T buf[3][dim(MAX)];
};

/// What one top-k run cost, in the engine's terms. `lanes` is an input: the
/// engine's comparator count P; beats counts ceil(m / P) per partition pass.
struct TopkStats {
  int lanes = 1;                ///< in: comparators working in parallel (>= 1)
  int candidates = 0;           ///< n of the run (the output pass streams all of them)
  int passes = 0;               ///< quick-select partition passes (0 when k <= 0 or k >= n)
  std::uint64_t streamed = 0;   ///< candidates streamed over all partition passes
  std::uint64_t beats = 0;      ///< sum over passes of ceil(candidates / lanes)
};

namespace detail {
template <class T>
constexpr T median3(T a, T b, T c) {
  const T lo = a < b ? a : b;
  const T hi = a < b ? b : a;
  return c < lo ? lo : (c > hi ? hi : c);
}

/// Output pass shared by both formulations.
template <class T, int MAX>
int topk_emit(const T* v, int n, T threshold, int ties, int* out_idx) {
  int count = 0;
TOPK_EMIT:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    bool take = v[i] > threshold;
    if (!take && v[i] == threshold && ties > 0) {
      take = true;
      --ties;
    }
    if (take) out_idx[count++] = i;
  }
  return count;
}

template <int MAX>
int topk_all(int n, int* out_idx) {
TOPK_ALL:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    out_idx[i] = i;
  }
  return n;
}
}  // namespace detail

/// The top-k set by bitwise threshold search. T must be an unsigned integer type.
/// Writes min(max(k,0), n) indices in increasing order to out_idx; returns the count.
template <class T, int MAX>
int topk_select(const T* v, int n, int k, int* out_idx) {
  static_assert(T(-1) > T(0), "topk_select works on unsigned values");
  if (k <= 0 || n <= 0) return 0;
  if (k >= n) return detail::topk_all<MAX>(n, out_idx);
  // threshold = largest t with #(v >= t) >= k, i.e. the k-th largest value.
  T threshold = 0;
TOPK_BIT:
  for (int bit = static_cast<int>(sizeof(T) * 8) - 1; bit >= 0; --bit) {
    const T cand = static_cast<T>(threshold | (T(1) << bit));
    int ge = 0;
  TOPK_COUNT:
    for (int i = 0; i < MAX; ++i) {
      if (i >= n) break;
      ge += v[i] >= cand ? 1 : 0;
    }
    if (ge >= k) threshold = cand;
  }
  int gt = 0;
TOPK_GT:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    gt += v[i] > threshold ? 1 : 0;
  }
  return detail::topk_emit<T, MAX>(v, n, threshold, k - gt, out_idx);
}

/// The top-k set as the hardware engine computes it (see the file comment).
/// Same result as topk_select for every input.
template <class T, int MAX>
int topk_quickselect(const T* v, int n, int k, int* out_idx, TopkScratch<T, MAX>& scratch,
                     TopkStats* stats = nullptr) {
  TopkStats local;
  TopkStats& st = stats != nullptr ? *stats : local;
  const int lanes = st.lanes >= 1 ? st.lanes : 1;
  st = TopkStats{};
  st.lanes = lanes;
  st.candidates = n > 0 ? n : 0;
  if (k <= 0 || n <= 0) return 0;
  if (k >= n) return detail::topk_all<MAX>(n, out_idx);

  const T* cand = v;   // pass 0 streams the row itself
  int cand_slot = -1;  // which scratch buffer holds cand (-1: the input row)
  int m = n;
  int need = k;
  T threshold = 0;
  int ties = 0;
TOPK_PASS:
  for (int pass = 0; pass < MAX; ++pass) {  // each pass removes >= 1 candidate (the pivot)
    const T pivot = detail::median3(cand[0], cand[m / 2], cand[m - 1]);
    // the two FIFOs go to the buffers cand does not occupy
    const int hi_slot = cand_slot == 0 ? 1 : 0;
    const int lo_slot = (cand_slot == -1 || cand_slot == 2) ? 1 : 2;
    T* hi = scratch.buf[hi_slot];
    T* lo = scratch.buf[lo_slot];
    int gt = 0, eq = 0, lt = 0;
  TOPK_PARTITION:
    for (int i = 0; i < MAX; ++i) {
      if (i >= m) break;
      const T x = cand[i];
      if (x > pivot) {
        hi[gt++] = x;
      } else if (x == pivot) {
        ++eq;
      } else {
        lo[lt++] = x;
      }
    }
    ++st.passes;
    st.streamed += static_cast<std::uint64_t>(m);
    st.beats += static_cast<std::uint64_t>((m + lanes - 1) / lanes);
    if (need <= gt) {
      cand = hi;
      cand_slot = hi_slot;
      m = gt;
    } else if (need <= gt + eq) {
      threshold = pivot;
      ties = need - gt;
      break;
    } else {
      need -= gt + eq;
      cand = lo;
      cand_slot = lo_slot;
      m = lt;
    }
  }
  // The threshold's strictly-greater elements are exactly k - ties of the row.
  return detail::topk_emit<T, MAX>(v, n, threshold, ties, out_idx);
}

}  // namespace golden
}  // namespace spatten
