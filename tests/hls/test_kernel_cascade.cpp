// C simulation of the HLS kernel's cascade jobs (models/kernel/spatten-kernel.yaml,
// "One descriptor = one job"): head jobs that add their final probabilities to
// the on-chip token importance (flag accumulate), cascade token decisions
// (flag decide) and clear_importance, over two kernel calls so that the
// importance must survive from one call to the next. Every kept id, output and
// status word is checked against a model of the importance memory driven by
// the golden functions (attend_head, accumulate_token_importance,
// prune_tokens); no stray writes. Presets spatten-1-8 and alveo-u55c, head
// dimensions 64 and 128, three seeds each (SPATTEN_SEED).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel_test_harness.h"
#include "spatten/attention.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/importance.h"
#include "spatten/kernel/interface.h"
#include "spatten/pruning.h"

namespace {

namespace g = spatten::golden;
namespace kif = spatten::kernel_if;
using namespace spatten::test::hls;  // kernel_test_harness.h

constexpr std::uint16_t kAccumulate = kif::kFlagsAccumulate;
constexpr std::uint16_t kDecide = kif::kFlagsDecide;
constexpr std::uint16_t kClear = kif::kFlagsClearImportance;

template <class C>
JobSpec decision(KernelHarness<C>& h, const std::string& kind, std::vector<int> live, int keep, int context_len,
                 int sinks, int recent, std::uint16_t flags = kDecide) {
  JobSpec j = h.make(kind, 0, std::move(live), false, 0, keep, 6.0, -1);
  j.extra_flags = flags;
  j.context_len = context_len;
  j.sink_tokens = sinks;
  j.recent_tokens = recent;
  return j;
}

template <class C>
JobSpec head(KernelHarness<C>& h, const std::string& kind, int s, std::vector<int> live, int value_keep,
             std::uint16_t flags) {
  JobSpec j = h.make(kind, s, std::move(live), false, 0, value_keep, 6.0, -1);
  j.extra_flags = flags;
  return j;
}

/// The first call: importance built from zero by two heads, decisions over it.
template <class C>
void add_first_call(KernelHarness<C>& h) {
  const int n0 = h.slice(0).tokens, n1 = h.slice(1).tokens;
  h.add(head(h, "clear+accumulate", 0, h.all_tokens(0), n0, kClear | kAccumulate));
  h.add(head(h, "accumulate, value-pruned", 1, h.random_subset(1, n1 - 9), n1 / 3, kAccumulate));
  h.add(head(h, "not accumulated", 0, h.random_subset(0, n0 / 2), n0, 0));
  h.add(decision(h, "decide", h.all_tokens(0), n0 / 3, n0, 2, 5));
  h.add(decision(h, "decide, pruned list, no sinks", h.random_subset(0, n0 / 2), n0 / 5, n0, 0, 3));
  // ids beyond the importance memory read 0: unprotected only when the context is longer
  std::vector<int> far = h.random_subset(0, n0 / 4);
  far.push_back(C::max_context + 3);
  far.push_back(C::max_context + 40);
  h.add(decision(h, "decide, ids beyond max_context", far, 3, C::max_context + 100, 1, 2));
  h.add(decision(h, "keep all", h.random_subset(1, n1 / 2), n1, n1, 0, 0));
  h.add(decision(h, "keep none but the protected", h.all_tokens(1), 0, n1, 3, 4));
  JobSpec bad = decision(h, "rejected (n 0)", {}, 4, n0, 0, 0);
  bad.rejected = true;
  h.add(bad);
}

/// The second call: its first decision reads what the first call left; then
/// a clear, and importance built again.
template <class C>
void add_second_call(KernelHarness<C>& h) {
  const int n0 = h.slice(0).tokens, n1 = h.slice(1).tokens;
  h.add(decision(h, "decide on the previous call's importance", h.all_tokens(1), n1 / 2, n1, 1, 1));
  h.add(decision(h, "clear+decide (all equal: the tie rule)", h.all_tokens(0), n0 / 4, n0, 0, 0, kDecide | kClear));
  h.add(head(h, "accumulate after the clear", 1, h.random_subset(1, n1 / 2), n1, kAccumulate));
  h.add(head(h, "accumulate again", 1, h.all_tokens(1), n1 / 2, kAccumulate));
  h.add(decision(h, "decide", h.all_tokens(1), n1 / 3, n1, 2, 2));
}

/// Checks a call's jobs in order against `importance` (the model, carried
/// from call to call) and moves the model past them.
template <class C>
void check_call(const KernelHarness<C>& h, std::vector<std::uint64_t>& importance) {
  const int head_dim = h.head_dim();
  const std::vector<kif::out_t>& out = h.mem().out;
  auto head_scratch = std::make_unique<g::HeadScratch<C>>();
  auto prune_scratch = std::make_unique<g::TokenPruneScratch<C::max_context>>();
  const g::ImportanceMemory model{importance.data(), C::max_context};
  std::vector<bool> written(h.out_words(), false);
  bool pruned_something = false;
  for (const auto& j : h.jobs()) {
    const std::int32_t* st = out.data() + j.status_off;
    for (int w = 0; w < kif::kStatusWords; ++w) written[j.status_off + static_cast<std::size_t>(w)] = true;
    if (j.rejected) {
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]), kif::kStatusRejected) << h.where(j, 0);
      continue;
    }
    if ((j.extra_flags & kClear) != 0) std::fill(importance.begin(), importance.end(), 0);
    const int n = j.job.n;
    if ((j.extra_flags & kDecide) != 0) {
      std::vector<std::uint32_t> live(j.live.begin(), j.live.end()), kept(live.size());
      const g::TokenPruneParams p = {j.job.value_keep, j.context_len, j.sink_tokens, j.recent_tokens};
      const int k = g::prune_tokens<C::max_context>(live.data(), n, model, p, kept.data(), *prune_scratch);
      pruned_something = pruned_something || k < n;
      for (int i = 0; i < k; ++i) {
        written[j.out_off + static_cast<std::size_t>(i)] = true;
        ASSERT_EQ(static_cast<std::uint32_t>(out[j.out_off + static_cast<std::size_t>(i)]),
                  kept[static_cast<std::size_t>(i)])
            << "kept id mismatch: " << h.where(j, i);
      }
      EXPECT_EQ(st[kif::StatusIndex::flags], 0) << h.where(j, 0);
      EXPECT_EQ(st[kif::StatusIndex::max_prob], 0) << h.where(j, 1);
      EXPECT_EQ(st[kif::StatusIndex::msb_max_prob], 0) << h.where(j, 2);
      EXPECT_EQ(st[kif::StatusIndex::values_kept], k) << h.where(j, 3);
      continue;
    }
    std::vector<std::int32_t> expect(static_cast<std::size_t>(head_dim));
    const g::HeadResult r =
        g::attend_head<C>(j.q.data(), h.planes(j.slice), j.live.data(), j.job, expect.data(), *head_scratch);
    for (int d = 0; d < head_dim; ++d) {
      written[j.out_off + static_cast<std::size_t>(d)] = true;
      ASSERT_EQ(out[j.out_off + static_cast<std::size_t>(d)], expect[static_cast<std::size_t>(d)])
          << "output mismatch: " << h.where(j, d);
    }
    EXPECT_EQ(st[kif::StatusIndex::values_kept], r.values_kept) << h.where(j, 3);
    if ((j.extra_flags & kAccumulate) != 0)
      g::accumulate_token_importance<C::max_context>(model, j.live.data(), head_scratch->prob, n);
  }
  EXPECT_TRUE(pruned_something) << "the decisions must prune: " << h.preset();
  expect_no_stray_writes(h, written);
}

template <class C>
void run_preset() {
  static constexpr Layout kLayout{.tokens = {.slice0_d64 = 150, .slice0_other = 97, .slice1 = 61},
                                  .planes = {.first = 7, .k_msb = 0, .k_lsb = 3, .v_msb = 9, .v_lsb = 1, .tail = 17},
                                  .fill = {.k_msb = -3, .k_lsb = 5, .v_msb = -2, .v_lsb = 7},
                                  .io = {.desc_offset = 3, .out_start = 5, .status_gap = 1, .out_tail = 9}};
  for_each_case<C>([&](int head_dim, std::uint64_t seed) {
    std::vector<std::uint64_t> importance(static_cast<std::size_t>(C::max_context), 0);
    KernelHarness<C>(head_dim, seed, kLayout)
        .run(add_first_call<C>, [&](const KernelHarness<C>& h) { check_call<C>(h, importance); });
    // the second call's data comes from another seed; the importance stays
    KernelHarness<C>(head_dim, seed ^ 0x9e3779b97f4a7c15ULL, kLayout)
        .run(add_second_call<C>, [&](const KernelHarness<C>& h) { check_call<C>(h, importance); });
  });
}

TEST(HlsKernelCascade, Spatten18) { run_preset<spatten::config::spatten_1_8>(); }
TEST(HlsKernelCascade, AlveoU55c) { run_preset<spatten::config::alveo_u55c>(); }

}  // namespace
