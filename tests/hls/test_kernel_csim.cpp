// C simulation of the HLS kernel through the interface the xclbin exposes: the
// extern "C" top of a preset is called with device-memory buffers (one per
// m_axi argument) and descriptors packed with the generated layout, and every
// output word and status word must equal spatten::golden::attend_head's.
//
// Jobs per call: dense, pruned (live subset), progressive with a threshold that
// forces the LSB refetch and one that never refetches, value-pruned, a tie-heavy
// value-pruned row, and a rejected descriptor; two (layer, KV head) slices at
// non-zero offsets in each plane. Presets spatten-1-8, spatten-paper,
// alveo-u55c, alveo-u280; head dimensions 64 and 128; three seeds each.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernel_test_harness.h"
#include "spatten/attention.h"
#include "spatten/config/alveo-u280.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"
#include "spatten/kernel/interface.h"
#include "spatten_attention_tops.h"

#if __has_include(<hls_stream.h>)
#include <hls_stream.h>
#endif

namespace {

namespace g = spatten::golden;
namespace kif = spatten::kernel_if;
using namespace spatten::test::hls;  // kernel_test_harness.h

template <class C>
void add_jobs(KernelHarness<C>& h) {
  const int n0 = h.slice(0).tokens, n1 = h.slice(1).tokens;
  h.add(h.make("dense", 0, h.all_tokens(0), false, 0, n0, 6.0, -1));
  h.add(h.make("pruned", 1, h.random_subset(1, n1 / 2 + 3, 5), false, 0, 1 << 20, 6.0, 5));
  // 65536 (1.0) refetches every row whose maximum is below 1.0: flat rows
  JobSpec refetch = h.make("progressive-refetch", 0, h.random_subset(0, n0 - 17), true, 65536, n0, 2.0, -1);
  refetch.expect_refetch = 1;
  h.add(refetch);
  h.add(h.make("progressive-no-refetch", 1, h.all_tokens(1), true, 0, n1, 6.0, 3));
  // a realistic threshold (0.05) on a peaked row: no refetch either
  h.add(h.make("progressive-peaked", 0, h.random_subset(0, n0 / 3, 2), true, 3277, n0, 6.0, 2));
  h.add(h.make("value-pruned", 1, h.random_subset(1, n1 - 10), false, 0, (n1 - 10) / 4, 6.0, -1));
  JobSpec ties = h.make("value-pruned-ties", 0, h.all_tokens(0), true, 65536, n0 / 5, 6.0, -1);
  std::fill(ties.q.begin(), ties.q.end(), 0);  // every logit equal: the top-k tie rule decides
  ties.expect_refetch = 1;
  h.add(ties);
  h.add(h.make("keep-none", 1, h.random_subset(1, 9), false, 0, 0, 6.0, -1));
  JobSpec bad = h.make("rejected", 0, {}, false, 0, 4, 6.0, -1);
  bad.rejected = true;
  h.add(bad);
}

/// Every output and status word against golden::attend_head; no stray writes.
template <class C>
void check(const KernelHarness<C>& h) {
  const int head_dim = h.head_dim();
  const std::vector<kif::out_t>& out = h.mem().out;
  auto scratch = std::make_unique<g::HeadScratch<C>>();
  std::vector<bool> written(h.out_words(), false);
  bool saw_refetch = false, saw_no_refetch = false;
  for (const auto& j : h.jobs()) {
    const std::int32_t* st = out.data() + j.status_off;
    for (int w = 0; w < kif::kStatusWords; ++w) written[j.status_off + static_cast<std::size_t>(w)] = true;
    if (j.rejected) {
      EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]), kif::kStatusRejected) << h.where(j, 0);
      continue;
    }
    std::vector<std::int32_t> expect(static_cast<std::size_t>(head_dim));
    const g::HeadResult r =
        g::attend_head<C>(j.q.data(), h.planes(j.slice), j.live.data(), j.job, expect.data(), *scratch);
    if (j.job.progressive) {
      EXPECT_EQ(r.lsb_refetched, j.expect_refetch == 1) << "test data does not cover its case: " << h.where(j, 0);
      (r.lsb_refetched ? saw_refetch : saw_no_refetch) = true;
    }
    for (int d = 0; d < head_dim; ++d) {
      written[j.out_off + static_cast<std::size_t>(d)] = true;
      ASSERT_EQ(out[j.out_off + static_cast<std::size_t>(d)], expect[static_cast<std::size_t>(d)])
          << "output mismatch: " << h.where(j, d);
    }
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]), r.lsb_refetched ? kif::kStatusLsbRefetched : 0u)
        << h.where(j, 0);
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::max_prob]), r.max_prob) << h.where(j, 1);
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::msb_max_prob]), r.msb_max_prob) << h.where(j, 2);
    EXPECT_EQ(st[kif::StatusIndex::values_kept], r.values_kept) << h.where(j, 3);
  }
  EXPECT_TRUE(saw_refetch && saw_no_refetch) << "progressive jobs must cover both requant outcomes";
  expect_no_stray_writes(h, written);
}

template <class C>
void run_preset() {
  // two slices at offsets of their own, garbage and guard words around them
  static constexpr Layout kLayout{.tokens = {.slice0_d64 = 192, .slice0_other = 120, .slice1 = 77},
                                  .planes = {.first = 13, .k_msb = 0, .k_lsb = 5, .v_msb = 11, .v_lsb = 3, .tail = 29},
                                  .fill = {.k_msb = -7, .k_lsb = 9, .v_msb = -5, .v_lsb = 3},
                                  .io = {.desc_offset = 5, .out_start = 3, .status_gap = 2, .out_tail = 7}};
  const bool finished = for_each_case<C>(
      [&](int head_dim, std::uint64_t seed) { KernelHarness<C>(head_dim, seed, kLayout).run(add_jobs<C>, check<C>); });
  if (!finished) return;
#ifdef SPATTEN_HLS_COMPAT_STREAM
  EXPECT_EQ(spatten_hls_compat::leftover_stream_elements(), 0u) << "a DATAFLOW stage left data in a stream";
#endif
}

TEST(HlsKernelCsim, Spatten18) { run_preset<spatten::config::spatten_1_8>(); }
TEST(HlsKernelCsim, SpattenPaper) { run_preset<spatten::config::spatten_paper>(); }
TEST(HlsKernelCsim, AlveoU55c) { run_preset<spatten::config::alveo_u55c>(); }
TEST(HlsKernelCsim, AlveoU280) { run_preset<spatten::config::alveo_u280>(); }

TEST(HlsKernelCsim, ZeroJobsWritesNothing) {
  std::vector<kif::out_t> out(16, kSentinel);
  const kif::meta_t meta[1] = {0};
  const kif::k_msb_t k[1] = {0};
  const kif::k_lsb_t kl[1] = {0};
  SPATTEN_KERNEL_TOP(spatten_1_8)(k, kl, k, kl, meta, out.data(), 0, 0);
  for (auto w : out) EXPECT_EQ(w, kSentinel);
}

}  // namespace
