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

namespace detail {
template <class CONFIG_T>
void score_row(const std::int32_t* q, const KvPlanes& kv, const int* live, const HeadJob& job, bool exact,
               HeadScratch<CONFIG_T>& s) {
  constexpr int L = CONFIG_T::k_lsb_bits;
SCORE_ROW:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
    if (i >= job.n) break;
    const long row = static_cast<long>(live[i]) * job.head_dim;
  KEY_WORDS:
    for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
      if (d >= job.head_dim) break;
      const std::int16_t msb = kv.k_msb[row + d];
      s.key[d] = (exact && L > 0) ? reassemble<L>(msb, kv.k_lsb[row + d]) : (exact ? msb : msb_only<L>(msb));
    }
    s.logit[i] = score_to_logit<CONFIG_T>(dot_qk<CONFIG_T>(q, s.key, job.head_dim), job.scale);
  }
}
}  // namespace detail

/// Run one head job. q has head_dim words of q_bits; out receives head_dim words.
template <class CONFIG_T>
HeadResult attend_head(const std::int32_t* q, const KvPlanes& kv, const int* live, const HeadJob& job,
                       std::int32_t* out, HeadScratch<CONFIG_T>& s) {
  constexpr int P = Numerics<CONFIG_T>::prob_frac_bits;
  constexpr int VL = CONFIG_T::v_lsb_bits;
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

  r.values_kept = topk_quickselect<std::uint32_t, CONFIG_T::max_context>(s.prob, job.n, job.value_keep, s.value_sel,
                                                                         s.topk, &r.value_topk);
  const bool exact_v = !job.progressive || r.lsb_refetched || VL == 0;
OUT_DIM:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
    if (d >= job.head_dim) break;
    std::int64_t acc = 0;
  PV_ROW:
    for (int j = 0; j < CONFIG_T::max_context; ++j) {
      if (j >= r.values_kept) break;
      const int i = s.value_sel[j];
      const long idx = static_cast<long>(live[i]) * job.head_dim + d;
      const std::int16_t msb = kv.v_msb[idx];
      const std::int32_t v = exact_v ? (VL > 0 ? reassemble<VL>(msb, kv.v_lsb[idx]) : msb) : msb_only<VL>(msb);
      acc += static_cast<std::int64_t>(s.prob[i]) * v;
    }
    out[d] = static_cast<std::int32_t>(round_shift_signed(acc, P - CONFIG_T::out_frac_bits));
  }
  return r;
}

}  // namespace golden
}  // namespace spatten
