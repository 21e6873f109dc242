// The bridge from shipped policies to the golden model's CascadePolicy: a keep
// list means the same at every level.
#include <gtest/gtest.h>

#include <vector>

#include "spatten/models/golden_policy.h"
#include "spatten/models/presets.h"

namespace g = spatten::golden;
namespace m = spatten::models;

namespace {
m::PruningPolicy load(const char* name) { return m::load_policy(m::find_preset(m::PresetKind::policy, name)); }
}  // namespace

TEST(GoldenPolicy, Per8ReproducesTheOfficialTraceKeyAndValueCounts) {
  const auto c = m::to_cascade_policy<12>(load("spatten-gpt2-per8"), 12);
  const std::vector<int> keys = {921, 716, 204, 204, 204, 204, 102, 102, 102, 102, 102, 102};
  const std::vector<int> values = {184, 143, 40, 40, 40, 40, 20, 20, 20, 20, 20, 20};
  EXPECT_EQ(c.token_reference_length, 1024);
  for (int l = 0; l < 12; ++l) {
    const auto li = static_cast<std::size_t>(l);
    // 1024 live tokens, ratios of the reference length 1024
    const int kept = g::resolve_keep(c.token_keep[li], 1024, c.token_reference_length);
    EXPECT_EQ(kept, keys[li]) << "layer " << l;
    EXPECT_EQ(g::value_keep_count(c.value_keep, kept), values[li]) << "layer " << l;
    EXPECT_EQ(c.head_keep[li].kind, g::KeepKind::kAll);
  }
  EXPECT_TRUE(c.progressive);
  EXPECT_EQ(c.requant_threshold_q16, 3277u);  // round(0.05 * 65536)
}

TEST(GoldenPolicy, DenseKeepsEverything) {
  const auto c = m::to_cascade_policy<24>(load("dense"), 24);
  for (int l = 0; l < 24; ++l) {
    EXPECT_EQ(c.token_keep[static_cast<std::size_t>(l)].kind, g::KeepKind::kAll);
    EXPECT_EQ(c.head_keep[static_cast<std::size_t>(l)].kind, g::KeepKind::kAll);
  }
  EXPECT_EQ(g::value_keep_count(c.value_keep, 777), 777);
  EXPECT_FALSE(c.progressive);
  EXPECT_EQ(c.requant_threshold_q16, 0u);
}

TEST(GoldenPolicy, KeepListStartsAtStartLayerAndRepeatsItsLastEntry) {
  const std::vector<std::uint32_t> ratios = {100, 200};
  EXPECT_EQ(m::keep_rule_for_layer(0, 2, ratios, {}).kind, g::KeepKind::kAll);
  EXPECT_EQ(m::keep_rule_for_layer(1, 2, ratios, {}).kind, g::KeepKind::kAll);
  EXPECT_EQ(m::keep_rule_for_layer(2, 2, ratios, {}).ratio_q16, 100u);
  EXPECT_EQ(m::keep_rule_for_layer(3, 2, ratios, {}).ratio_q16, 200u);
  EXPECT_EQ(m::keep_rule_for_layer(9, 2, ratios, {}).ratio_q16, 200u);
  const auto counts = m::keep_rule_for_layer(4, 0, {}, {7, 5});
  EXPECT_EQ(counts.kind, g::KeepKind::kCount);
  EXPECT_EQ(counts.count, 5);
  EXPECT_EQ(m::keep_rule_for_layer(4, 0, {}, {}).kind, g::KeepKind::kAll);
}

TEST(GoldenPolicy, SinksAndRecentWindowCarryOver) {
  const m::PruningPolicy p = load("streaming-sinks");
  const auto c = m::to_cascade_policy<32>(p, 32);
  EXPECT_EQ(c.sink_tokens, p.token.sink_tokens);
  EXPECT_EQ(c.recent_tokens, p.token.recent_tokens);
  EXPECT_GT(c.sink_tokens, 0);
}
