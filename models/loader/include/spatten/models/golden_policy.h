// spatten/models/golden_policy.h — a loaded pruning policy (PruningPolicy, keep
// lists as the YAML gives them) as the golden model's per-layer CascadePolicy.
// Header-only; every level that runs a policy (golden tool, cycle model,
// driver) converts through here so a keep list means the same everywhere.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "spatten/cascade.h"
#include "spatten/models/presets.h"

namespace spatten::models {

/// Entry j of a keep list applies to layer start_layer + j, later layers repeat
/// the last entry, earlier layers (and every layer of an empty list) keep all.
inline golden::KeepRule keep_rule_for_layer(int layer, int start_layer, const std::vector<std::uint32_t>& ratio_q16,
                                            const std::vector<std::uint32_t>& count) {
  if (layer < start_layer) return golden::KeepRule::all();
  const auto j = static_cast<std::size_t>(layer - start_layer);
  if (!ratio_q16.empty()) return golden::KeepRule::of_ratio(ratio_q16[std::min(j, ratio_q16.size() - 1)]);
  if (!count.empty()) return golden::KeepRule::of_count(static_cast<std::int32_t>(count[std::min(j, count.size() - 1)]));
  return golden::KeepRule::all();
}

template <int MAX_LAYERS>
golden::CascadePolicy<MAX_LAYERS> to_cascade_policy(const models::PruningPolicy& p, int layers) {
  golden::CascadePolicy<MAX_LAYERS> c;
  c.token_start_layer = p.token.start_layer;
  c.token_reference_length = p.token.reference_length;
  c.sink_tokens = p.token.sink_tokens;
  c.recent_tokens = p.token.recent_tokens;
  c.head_start_layer = p.head.start_layer;
  for (int l = 0; l < layers && l < MAX_LAYERS; ++l) {
    const auto li = static_cast<std::size_t>(l);
    c.token_keep[li] = keep_rule_for_layer(l, p.token.start_layer, p.token.keep_ratio_q16, p.token.keep_count);
    c.head_keep[li] = keep_rule_for_layer(l, p.head.start_layer, p.head.keep_ratio_q16, p.head.keep_count);
  }
  if (p.value.keep_ratio_q16) c.value_keep = golden::KeepRule::of_ratio(*p.value.keep_ratio_q16);
  if (p.value.keep_count) c.value_keep = golden::KeepRule::of_count(static_cast<std::int32_t>(*p.value.keep_count));
  c.progressive = p.requant.enabled;
  c.requant_threshold_q16 = p.requant.enabled ? p.requant.threshold_q16 : 0;
  return c;
}

}  // namespace spatten::models
