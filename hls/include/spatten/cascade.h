// spatten/cascade.h — cascade token and head pruning over layers and decode
// steps, with grouped-query attention.
//
// Each layer l keeps its own live-token list L_l and live-KV-head list H_l.
// At the start of decode step s the new token (id context_len-1) joins every
// L_l (its K/V was just written). Before layer l attends:
//   L_l <- L_l ∩ L_{l-1}            (l > 0: a token gone at an earlier layer of
//   H_l <- H_l ∩ H_{l-1}             this step is gone here too)
//   if l >= token.start_layer and s >= token.start_step:
//       L_l <- prune_tokens(L_l, keep = resolve(token.keep[l], |L_l|, reference))
//       reference = token.reference_length, or context_len when it is 0
//   if l >= head.start_layer and s >= head.start_step:
//       H_l <- prune_heads(H_l, keep = max(1, resolve(head.keep[l], |H_l|, kv_heads)))
// then every query head h of a live KV head g = h / (query_heads / kv_heads)
// runs attend_head over L_l; its probabilities add to token importance and
// sum_d |out_h[d]| adds to head importance[g]. Query heads of a pruned KV head
// output zeros. Because every list only ever shrinks by intersection and
// pruning (plus the newest token), a token or head pruned at layer l is never
// fetched again at layer l or any later layer, in this or any later step.
//
// The decisions use importance accumulated up to the previous layer (layer 0:
// up to the end of the previous step), so they are computable between layers,
// which is where the hardware's cascade top-k runs. cascade_init starts with
// zero importance; a host that ran the prompt (prefill) attention may add its
// probabilities to token_importance before the first step. With the default
// start_step 1 the first decode step prunes nothing and only accumulates.
// Because L_l is intersected with L_{l-1}, a layer can hold fewer tokens than
// its own rule asks for (the rules are upper bounds per layer).
//
// A query head of a pruned KV head leaves its LayerReport entry default
// (head_ran false). Whether a KV group fetched its LSB planes is the OR of
// lsb_refetched over the group's query heads.
//
// GQA: token pruning is global (all heads share the live list, importance sums
// over all query heads); head pruning removes whole KV groups; value pruning
// and the requant decision stay per query head (each query head's output
// depends only on its own row). A KV group's LSB planes are fetched once if
// any of its query heads refetches (a DRAM-accounting fact for the cycle model).
#pragma once
#include <cstdint>

#include "spatten/attention.h"
#include "spatten/importance.h"
#include "spatten/pruning.h"

namespace spatten {
namespace golden {

struct LayerShape {
  int layers = 0;
  int query_heads = 0;
  int kv_heads = 0;  ///< divides query_heads
  int head_dim = 0;
};

template <int MAX_LAYERS>
struct CascadePolicy {
  // cascade token pruning
  int token_start_layer = 0;
  int token_start_step = 1;
  KeepRule token_keep[dim(MAX_LAYERS)] = {};
  int token_reference_length = 0;  ///< 0: the current context length
  int sink_tokens = 0;
  int recent_tokens = 0;
  // cascade head pruning (KV heads)
  int head_start_layer = 0;
  int head_start_step = 1;
  KeepRule head_keep[dim(MAX_LAYERS)] = {};
  // local value pruning and progressive quantization
  KeepRule value_keep = KeepRule::all();
  bool progressive = false;
  std::uint32_t requant_threshold_q16 = 0;
  /// Comparators of the top-k engine; only sets TopkStats::lanes, so reports
  /// carry the engine's beat counts. Does not change any decision.
  int topk_lanes = 1;
};

template <class CONFIG_T, int MAX_LAYERS, int MAX_KV_HEADS>
struct CascadeState {
  int context_len = 0;
  int step = 0;  ///< decode steps begun; the first decode step is step 0
  int n_live_tokens[dim(MAX_LAYERS)];
  int live_tokens[dim(MAX_LAYERS)][dim(CONFIG_T::max_context)];
  int n_live_heads[dim(MAX_LAYERS)];
  int live_heads[dim(MAX_LAYERS)][dim(MAX_KV_HEADS)];
  std::uint64_t token_importance[dim(CONFIG_T::max_context)];
  std::uint64_t head_importance[dim(MAX_KV_HEADS)];
};

template <class CONFIG_T, int MAX_KV_HEADS>
struct CascadeScratch {
  HeadScratch<CONFIG_T> head;
  TokenPruneScratch<CONFIG_T::max_context> token;
  TopkScratch<std::uint64_t, MAX_KV_HEADS> heads;
};

/// What one layer did.
template <int MAX_QUERY_HEADS>
struct LayerReport {
  int tokens_attended = 0;  ///< |L_l| after pruning
  int kv_heads_live = 0;    ///< |H_l| after pruning
  TopkStats token_topk;     ///< cost of the token decision (0 passes when skipped)
  TopkStats head_topk;
  bool head_ran[dim(MAX_QUERY_HEADS)] = {};
  HeadResult head[dim(MAX_QUERY_HEADS)];
};

/// The shape fits the state's capacity and is well formed.
template <class CONFIG_T, int MAX_LAYERS, int MAX_KV_HEADS>
constexpr bool cascade_shape_fits(const LayerShape& shape, int prompt_len) {
  return shape.layers >= 1 && shape.layers <= MAX_LAYERS && shape.kv_heads >= 1 && shape.kv_heads <= MAX_KV_HEADS &&
         shape.query_heads >= shape.kv_heads && shape.query_heads % shape.kv_heads == 0 &&
         shape.query_heads <= CONFIG_T::max_query_heads && shape.head_dim >= 1 &&
         shape.head_dim <= CONFIG_T::max_head_dim && prompt_len >= 0 && prompt_len <= CONFIG_T::max_context;
}

/// Start from a prompt of prompt_len tokens: all live at every layer, all KV heads live.
/// Returns false (and changes nothing) when cascade_shape_fits() does not hold.
template <class CONFIG_T, int MAX_LAYERS, int MAX_KV_HEADS>
bool cascade_init(CascadeState<CONFIG_T, MAX_LAYERS, MAX_KV_HEADS>& st, const LayerShape& shape, int prompt_len) {
  if (!cascade_shape_fits<CONFIG_T, MAX_LAYERS, MAX_KV_HEADS>(shape, prompt_len)) return false;
  st.context_len = prompt_len;
  st.step = -1;
INIT_LAYERS:
  for (int l = 0; l < MAX_LAYERS; ++l) {
    st.n_live_tokens[l] = l < shape.layers ? prompt_len : 0;
  INIT_TOKENS:
    for (int t = 0; t < CONFIG_T::max_context; ++t) {
      if (t >= prompt_len) break;
      st.live_tokens[l][t] = t;
    }
    st.n_live_heads[l] = l < shape.layers ? shape.kv_heads : 0;
  INIT_HEADS:
    for (int g = 0; g < MAX_KV_HEADS; ++g) {
      if (g >= shape.kv_heads) break;
      st.live_heads[l][g] = g;
    }
  }
INIT_TOKEN_IMPORTANCE:
  for (int t = 0; t < CONFIG_T::max_context; ++t) st.token_importance[t] = 0;
INIT_HEAD_IMPORTANCE:
  for (int g = 0; g < MAX_KV_HEADS; ++g) st.head_importance[g] = 0;
  return true;
}

/// Begin a decode step: the new token (id = old context_len) joins every layer.
/// Returns false when the context is full.
template <class CONFIG_T, int MAX_LAYERS, int MAX_KV_HEADS>
bool cascade_begin_step(CascadeState<CONFIG_T, MAX_LAYERS, MAX_KV_HEADS>& st, const LayerShape& shape) {
  if (st.context_len >= CONFIG_T::max_context) return false;
  const int id = st.context_len++;
  ++st.step;
BEGIN_STEP_LAYERS:
  for (int l = 0; l < MAX_LAYERS; ++l) {
    if (l >= shape.layers) break;
    st.live_tokens[l][st.n_live_tokens[l]++] = id;
  }
  return true;
}

namespace detail {
/// a <- a ∩ b for ascending lists; returns the new length of a.
/// A merge: every step advances i, j or both, so 2*MAX steps bound it.
template <int MAX>
int intersect_sorted(int* a, int na, const int* b, int nb) {
  int out = 0, i = 0, j = 0;
INTERSECT:
  for (int step = 0; step < 2 * MAX; ++step) {
    if (i >= na || j >= nb) break;
    if (a[i] == b[j]) {
      a[out++] = a[i];
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}
}  // namespace detail

/// Run layer l of the current step. q: query_heads x head_dim words; scale:
/// one ScoreScale per query head; kv: the planes of each KV head of this layer;
/// out: query_heads x head_dim words.
template <class CONFIG_T, int MAX_LAYERS, int MAX_KV_HEADS>
void cascade_layer(CascadeState<CONFIG_T, MAX_LAYERS, MAX_KV_HEADS>& st, const CascadePolicy<MAX_LAYERS>& policy,
                   const LayerShape& shape, int l, const std::int32_t* q, const ScoreScale* scale,
                   const KvPlanes* kv, std::int32_t* out, CascadeScratch<CONFIG_T, MAX_KV_HEADS>& scratch,
                   LayerReport<CONFIG_T::max_query_heads>& report) {
  constexpr int MAXC = CONFIG_T::max_context;
  report = LayerReport<CONFIG_T::max_query_heads>{};
  report.token_topk.lanes = policy.topk_lanes;
  report.head_topk.lanes = policy.topk_lanes;
  int* toks = st.live_tokens[l];
  int* heads = st.live_heads[l];
  if (l > 0) {
    st.n_live_tokens[l] = detail::intersect_sorted<MAXC>(toks, st.n_live_tokens[l], st.live_tokens[l - 1],
                                                         st.n_live_tokens[l - 1]);
    st.n_live_heads[l] =
        detail::intersect_sorted<MAX_KV_HEADS>(heads, st.n_live_heads[l], st.live_heads[l - 1], st.n_live_heads[l - 1]);
  }
  if (l >= policy.token_start_layer && st.step >= policy.token_start_step) {
    const int n = st.n_live_tokens[l];
    const int ref = policy.token_reference_length > 0 ? policy.token_reference_length : st.context_len;
    const TokenPruneParams p{resolve_keep(policy.token_keep[l], n, ref), st.context_len, policy.sink_tokens,
                             policy.recent_tokens};
    st.n_live_tokens[l] = prune_tokens<MAXC>(toks, n, st.token_importance, p, toks, scratch.token, &report.token_topk);
  }
  if (l >= policy.head_start_layer && st.step >= policy.head_start_step) {
    const int n = st.n_live_heads[l];
    int keep = resolve_keep(policy.head_keep[l], n, shape.kv_heads);
    if (keep < 1) keep = 1;
    st.n_live_heads[l] =
        prune_heads<MAX_KV_HEADS>(heads, n, st.head_importance, keep, heads, scratch.heads, &report.head_topk);
  }
  report.tokens_attended = st.n_live_tokens[l];
  report.kv_heads_live = st.n_live_heads[l];

  const int group = shape.query_heads / shape.kv_heads;
  HeadJob job;
  job.n = st.n_live_tokens[l];
  job.head_dim = shape.head_dim;
  job.progressive = policy.progressive;
  job.requant_threshold_q16 = policy.requant_threshold_q16;
  job.value_keep = value_keep_count(policy.value_keep, job.n);
  bool kv_live[dim(MAX_KV_HEADS)];
KV_LIVE_CLEAR:
  for (int g = 0; g < MAX_KV_HEADS; ++g) kv_live[g] = false;
KV_LIVE_MARK:
  for (int i = 0; i < MAX_KV_HEADS; ++i) {
    if (i >= st.n_live_heads[l]) break;
    kv_live[heads[i]] = true;
  }
QUERY_HEADS:
  for (int h = 0; h < CONFIG_T::max_query_heads; ++h) {
    if (h >= shape.query_heads) break;
    const int g = h / group;
    std::int32_t* o = out + static_cast<long>(h) * shape.head_dim;
    if (!kv_live[g]) {
    ZERO_OUTPUT:
      for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
        if (d >= shape.head_dim) break;
        o[d] = 0;
      }
      continue;
    }
    job.scale = scale[h];
    job.topk_lanes = policy.topk_lanes;
    report.head[h] = attend_head<CONFIG_T>(q + static_cast<long>(h) * shape.head_dim, kv[g], toks, job, o,
                                           scratch.head);
    report.head_ran[h] = true;
    accumulate_token_importance<MAXC>(st.token_importance, toks, scratch.head.prob, job.n);
    st.head_importance[g] += head_output_magnitude<CONFIG_T::max_head_dim>(o, shape.head_dim);
  }
}

}  // namespace golden
}  // namespace spatten
