// spatten/pruning.h — keep rules and the per-layer pruning decisions.
//
// Keep rule: how many of something survive. kAll keeps everything; kCount keeps
// `count`; kRatio keeps floor(ratio_q16 * reference / 2^16) where ratio_q16 =
// round(ratio * 65536) (policy files give ratios; the loader converts). Example
// (the official GPT-2 per8 trace): ratios 0.9/0.7/0.2/0.1 of 1024 keep
// 921/716/204/102 tokens.
//
// Cascade token pruning (one decision): given the live tokens of a layer
// (ascending token ids) and the accumulated token importance, keep
//   every protected live token: an attention sink (id < sink_tokens), a token of
//     the recent window (id >= context_len - recent_tokens), and always the
//     newest token (id == context_len - 1);
//   plus the top-(keep - #protected) unprotected live tokens by importance
//     (topk_quickselect: ties go to the earlier token).
// If keep <= #protected only the protected tokens stay; if keep >= n, all stay.
// Candidates are only live tokens, so a pruned token can never come back.
//
// Cascade head pruning (one decision): keep the top-`keep` live KV heads by
// head importance (no protected heads). See importance.h for GQA.
//
// Local value pruning: a row of n probabilities keeps value_keep_count() V rows,
// the ones with the largest probabilities (same top-k and tie rule); the other
// rows contribute nothing and are not renormalized.
#pragma once
#include <cstdint>

#include "spatten/topk.h"

namespace spatten {
namespace golden {

enum class KeepKind : std::uint8_t { kAll = 0, kCount = 1, kRatio = 2 };

struct KeepRule {
  KeepKind kind = KeepKind::kAll;
  std::uint32_t ratio_q16 = 65536;  ///< for kRatio: 0 .. 65536
  std::int32_t count = 0;           ///< for kCount: >= 0

  static constexpr KeepRule all() { return KeepRule{}; }
  static constexpr KeepRule of_count(std::int32_t c) { return KeepRule{KeepKind::kCount, 65536, c}; }
  static constexpr KeepRule of_ratio(std::uint32_t q16) { return KeepRule{KeepKind::kRatio, q16, 0}; }
};

/// The number a rule keeps out of `available` items, measured against `reference`
/// (ratio rules), clamped to [0, available]. Ratios above 65536 act as 65536 and
/// a negative reference as 0. Because ratio_q16 is the rounded Q0.16 value, a
/// ratio whose binary expansion does not end (0.7, 0.9) keeps one item less
/// when ratio * reference is a whole number (0.7 of 10 keeps 6); with the
/// power-of-two references of the official traces the counts are exact.
constexpr int resolve_keep(KeepRule rule, int available, int reference) {
  std::int64_t keep = available;
  if (rule.kind == KeepKind::kCount) keep = rule.count;
  if (rule.kind == KeepKind::kRatio) {
    const std::uint64_t ratio = rule.ratio_q16 > 65536u ? 65536u : rule.ratio_q16;
    const std::uint64_t ref = reference > 0 ? static_cast<std::uint64_t>(reference) : 0u;
    keep = static_cast<std::int64_t>((ratio * ref) >> 16);
  }
  if (keep < 0) keep = 0;
  if (keep > available) keep = available;
  return static_cast<int>(keep);
}

/// V rows kept for a row of n live tokens: the rule against n, at least 1 (n >= 1).
constexpr int value_keep_count(KeepRule rule, int n) {
  const int keep = resolve_keep(rule, n, n);
  return keep < 1 ? (n > 0 ? 1 : 0) : keep;
}

/// Protection of one token under the sink/recent rule.
constexpr bool token_protected(int token, int context_len, int sink_tokens, int recent_tokens) {
  return token < sink_tokens || token >= context_len - recent_tokens || token == context_len - 1;
}

struct TokenPruneParams {
  int keep;           ///< live tokens after the decision (resolved keep rule)
  int context_len;    ///< tokens in the sequence so far (ids 0 .. context_len-1)
  int sink_tokens;    ///< protected attention sinks at the start
  int recent_tokens;  ///< protected recent window at the end
};

/// Scratch of one token-pruning decision.
template <int MAX>
struct TokenPruneScratch {
  std::uint64_t cand_importance[dim(MAX)];
  int cand_selected[dim(MAX)];
  TopkScratch<std::uint64_t, MAX> topk;
};

/// One cascade token-pruning decision. live[0..n) ascending token ids;
/// importance indexed by token id (an array, or anything with operator[] such
/// as the kernel's ImportanceMemory). Writes the surviving ids (ascending) to
/// out_live (may alias live) and returns their count.
template <int MAX, class ID, class IMPORTANCE>
int prune_tokens(const ID* live, int n, const IMPORTANCE& importance, const TokenPruneParams& p, ID* out_live,
                 TokenPruneScratch<MAX>& scratch, TopkStats* stats = nullptr) {
  if (stats != nullptr) {
    const int lanes = stats->lanes;
    *stats = TopkStats{};
    stats->lanes = lanes;
  }
  if (p.keep >= n) {
  PRUNE_COPY:
    for (int i = 0; i < MAX; ++i) {
      if (i >= n) break;
      out_live[i] = live[i];
    }
    return n;
  }
  int n_protected = 0;
  int n_cand = 0;
PRUNE_GATHER:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    if (token_protected(static_cast<int>(live[i]), p.context_len, p.sink_tokens, p.recent_tokens)) {
      ++n_protected;
    } else {
      scratch.cand_importance[n_cand++] = importance[live[i]];
    }
  }
  const int k = p.keep > n_protected ? p.keep - n_protected : 0;
  const int n_sel = topk_quickselect<std::uint64_t, MAX>(scratch.cand_importance, n_cand, k, scratch.cand_selected,
                                                          scratch.topk, stats);
  int out = 0;
  int cand_ord = 0;
  int sel_ptr = 0;
PRUNE_MERGE:
  for (int i = 0; i < MAX; ++i) {
    if (i >= n) break;
    const ID t = live[i];
    if (token_protected(static_cast<int>(t), p.context_len, p.sink_tokens, p.recent_tokens)) {
      out_live[out++] = t;
    } else {
      if (sel_ptr < n_sel && scratch.cand_selected[sel_ptr] == cand_ord) {
        out_live[out++] = t;
        ++sel_ptr;
      }
      ++cand_ord;
    }
  }
  return out;
}

/// One cascade head-pruning decision over live KV heads (ascending ids).
template <int MAX_HEADS>
int prune_heads(const int* live_heads, int n, const std::uint64_t* head_importance, int keep, int* out_live,
                TopkScratch<std::uint64_t, MAX_HEADS>& scratch, TopkStats* stats = nullptr) {
  std::uint64_t vals[dim(MAX_HEADS)];
  int sel[dim(MAX_HEADS)];
HEAD_GATHER:
  for (int i = 0; i < MAX_HEADS; ++i) {
    if (i >= n) break;
    vals[i] = head_importance[live_heads[i]];
  }
  const int n_sel = topk_quickselect<std::uint64_t, MAX_HEADS>(vals, n, keep, sel, scratch, stats);
HEAD_EMIT:
  for (int i = 0; i < MAX_HEADS; ++i) {
    if (i >= n_sel) break;
    out_live[i] = live_heads[sel[i]];
  }
  return n_sel;
}

}  // namespace golden
}  // namespace spatten
