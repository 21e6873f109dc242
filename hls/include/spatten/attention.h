// spatten/attention.h — one decode attention row: one query head over its KV head.
//
// A head job reads the KV cache of one (layer, KV head) through the live-token
// list and produces the attention output of one query head:
//
//   1. keys:    k_t = msb_only(K_MSB[t])              (progressive, LSB plane not yet fetched)
//               k_t = reassemble(K_MSB[t], K_LSB[t])  (otherwise)
//   2. scores:  s_t = dot_qk(q, k_t); logits l_t = score_to_logit(s_t, scale)
//   3. softmax: p = softmax_row(l)
//   4. requant: if progressive and needs_lsb_refetch(max p, threshold):
//               fetch K_LSB, redo 1-3 with exact keys (the row is "flat")
//   5. values:  S = top-value_keep positions of p (topk_quickselect; all when
//               value_keep >= n)
//   6. output:  out[d] = round_half_up(sum_{i in S} p_i * v_i[d] / 2^(P - out_frac_bits))
//               with v = msb_only(V_MSB) for a progressive row that did not
//               refetch, and exact V (both planes) otherwise; no renormalization.
//
// Cache layout: row t of a plane starts at t * head_dim (token-major), planes
// K_MSB (int16), K_LSB (uint16, absent when k_lsb_bits == 0), V_MSB, V_LSB.
#pragma once
#include <cstdint>

#include "spatten/config.h"
#include "spatten/dot.h"
#include "spatten/fixed.h"
#include "spatten/quant.h"
#include "spatten/requant.h"
#include "spatten/softmax.h"
#include "spatten/topk.h"

namespace spatten {
namespace golden {

/// The planes of one (layer, KV head), indexed by token id.
struct KvPlanes {
  const std::int16_t* k_msb;
  const std::uint16_t* k_lsb;  ///< may be null when k_lsb_bits == 0
  const std::int16_t* v_msb;
  const std::uint16_t* v_lsb;  ///< may be null when v_lsb_bits == 0
};

struct HeadJob {
  int n = 0;                          ///< live tokens (1 .. max_context)
  int head_dim = 0;                   ///< 1 .. max_head_dim
  ScoreScale scale{0, 0};             ///< score -> logit
  bool progressive = false;           ///< MSB planes first, LSB planes for flat rows
  std::uint32_t requant_threshold_q16 = 0;
  int value_keep = 0;                 ///< V rows kept; >= n keeps all
  int topk_lanes = 1;                 ///< engine comparators, for TopkStats::beats only
};

struct HeadResult {
  bool lsb_refetched = false;  ///< the row was flat and used exact K and V
  std::uint32_t max_prob = 0;  ///< final row's largest probability
  std::uint32_t msb_max_prob = 0;  ///< MSB-pass largest probability (== max_prob when not progressive)
  int values_kept = 0;         ///< V rows used
  TopkStats value_topk;        ///< cost of the value top-k
};

template <class CONFIG_T>
struct HeadScratch {
  std::int32_t key[dim(CONFIG_T::max_head_dim)];
  std::int32_t logit[dim(CONFIG_T::max_context)];
  std::uint32_t prob[dim(CONFIG_T::max_context)];        ///< final probabilities, by live position
  int value_sel[dim(CONFIG_T::max_context)];             ///< kept V positions (ascending), values_kept of them
  TopkScratch<std::uint32_t, CONFIG_T::max_context> topk;
};

/// Whether V rows are used exactly (both planes): always unless the job is
/// progressive and its row did not refetch (and a V LSB plane exists).
template <class CONFIG_T>
constexpr bool value_rows_exact(bool progressive, bool lsb_refetched) {
  return !progressive || lsb_refetched || CONFIG_T::v_lsb_bits == 0;
}

/// The key words of one cache row as the engine holds them: exact (both planes)
/// or MSB-only (midpoint rule), see quant.h.
template <class CONFIG_T>
void load_key_row(const KvPlanes& kv, int token, int head_dim, bool exact, std::int32_t* key) {
  constexpr int L = CONFIG_T::k_lsb_bits;
  const long row = static_cast<long>(token) * head_dim;
KEY_WORDS:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
    if (d >= head_dim) break;
    const std::int16_t msb = kv.k_msb[row + d];
    key[d] = (exact && L > 0) ? reassemble<L>(msb, kv.k_lsb[row + d]) : (exact ? msb : msb_only<L>(msb));
  }
}

/// The logit of one live token: Q·K with the key row loaded as above.
template <class CONFIG_T>
std::int32_t key_logit(const std::int32_t* q, const KvPlanes& kv, int token, int head_dim, ScoreScale scale,
                       bool exact, std::int32_t* key_scratch) {
  load_key_row<CONFIG_T>(kv, token, head_dim, exact, key_scratch);
  return score_to_logit<CONFIG_T>(dot_qk<CONFIG_T>(q, key_scratch, head_dim), scale);
}

/// acc[d] += p * v[d] for one kept V row (exact words, or MSB-only).
template <class CONFIG_T>
void pv_accumulate(std::int64_t* acc, std::uint32_t prob, const KvPlanes& kv, int token, int head_dim, bool exact) {
  constexpr int VL = CONFIG_T::v_lsb_bits;
  const long row = static_cast<long>(token) * head_dim;
PV_ROW:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
    if (d >= head_dim) break;
    const std::int16_t msb = kv.v_msb[row + d];
    const std::int32_t v = exact ? (VL > 0 ? reassemble<VL>(msb, kv.v_lsb[row + d]) : msb) : msb_only<VL>(msb);
    acc[d] += static_cast<std::int64_t>(prob) * v;
  }
}

/// out[d] = round_half_up(acc[d] / 2^(P - out_frac_bits)).
template <class CONFIG_T>
void pv_finish(const std::int64_t* acc, int head_dim, std::int32_t* out) {
OUT_DIM:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
    if (d >= head_dim) break;
    out[d] = static_cast<std::int32_t>(
        round_shift_signed(acc[d], Numerics<CONFIG_T>::prob_frac_bits - CONFIG_T::out_frac_bits));
  }
}

namespace detail {
template <class CONFIG_T>
void score_row(const std::int32_t* q, const KvPlanes& kv, const int* live, const HeadJob& job, bool exact,
               HeadScratch<CONFIG_T>& s) {
SCORE_ROW:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
    if (i >= job.n) break;
    s.logit[i] = key_logit<CONFIG_T>(q, kv, live[i], job.head_dim, job.scale, exact, s.key);
  }
}
}  // namespace detail

/// Run one head job. q has head_dim words of q_bits; out receives head_dim words.
template <class CONFIG_T>
HeadResult attend_head(const std::int32_t* q, const KvPlanes& kv, const int* live, const HeadJob& job,
                       std::int32_t* out, HeadScratch<CONFIG_T>& s) {
  HeadResult r;
  const bool msb_first = job.progressive && CONFIG_T::k_lsb_bits > 0;
  detail::score_row<CONFIG_T>(q, kv, live, job, !msb_first, s);
  SoftmaxRow row = softmax_row<CONFIG_T>(s.logit, job.n, s.prob);
  r.msb_max_prob = row.max_prob;
  if (msb_first && needs_lsb_refetch<CONFIG_T>(row.max_prob, job.requant_threshold_q16)) {
    r.lsb_refetched = true;
    detail::score_row<CONFIG_T>(q, kv, live, job, true, s);
    row = softmax_row<CONFIG_T>(s.logit, job.n, s.prob);
  }
  r.max_prob = row.max_prob;

  r.value_topk.lanes = job.topk_lanes;
  r.values_kept = topk_quickselect<std::uint32_t, CONFIG_T::max_context>(s.prob, job.n, job.value_keep, s.value_sel,
                                                                         s.topk, &r.value_topk);
  const bool exact_v = value_rows_exact<CONFIG_T>(job.progressive, r.lsb_refetched);
  std::int64_t acc[dim(CONFIG_T::max_head_dim)];
ACC_CLEAR:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) acc[d] = 0;
PV_ROWS:
  for (int j = 0; j < CONFIG_T::max_context; ++j) {
    if (j >= r.values_kept) break;
    const int i = s.value_sel[j];
    pv_accumulate<CONFIG_T>(acc, s.prob[i], kv, live[i], job.head_dim, exact_v);
  }
  pv_finish<CONFIG_T>(acc, job.head_dim, out);
  return r;
}

}  // namespace golden
}  // namespace spatten
