// The HLS kernel's C simulation against the cycle model (issue 5): the extern
// "C" top of a preset is called with device-memory buffers (one per m_axi
// argument) and descriptors packed with the generated layout, exactly as in
// test_kernel_csim.cpp; the same jobs run on cmodel::Accelerator built from the
// same preset (params_from_preset), with golden::KvPlanes pointing at the same
// planes (row t at t * head_dim) and the same live lists. Every output word
// must equal the cycle model's `out`, and every status word its HeadResult
// (flags / lsb_refetched, max_prob, msb_max_prob, values_kept).
//
// Jobs per call: dense, pruned (live subset), progressive with threshold 65536
// (forces the LSB refetch), progressive with threshold 0 (never refetches),
// value-pruned. Presets spatten-1-8, spatten-paper, alveo-u55c; head
// dimensions 64 and 128; seeds from SPATTEN_SEED (three consecutive).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_test_harness.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/config/alveo-u55c.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/config/spatten-paper.h"
#include "spatten/kernel/interface.h"
#include "spatten/models/presets.h"
#include "spatten_attention_tops.h"

namespace {

namespace c = spatten::cmodel;
namespace kif = spatten::kernel_if;
namespace m = spatten::models;
using namespace spatten::test::hls;  // kernel_test_harness.h

/// The kernel preset computes with the cycle model's numerics (the cycle model
/// is compiled for one set; params_from_preset rejects any other).
template <class C>
constexpr bool same_numerics() {
  using V = c::ValueConfig;
  return C::q_bits == V::q_bits && C::k_msb_bits == V::k_msb_bits && C::k_lsb_bits == V::k_lsb_bits &&
         C::v_msb_bits == V::v_msb_bits && C::v_lsb_bits == V::v_lsb_bits && C::logit_frac_bits == V::logit_frac_bits &&
         C::prob_frac_bits == V::prob_frac_bits && C::out_frac_bits == V::out_frac_bits;
}

template <class C>
void add_jobs(KernelHarness<C>& h) {
  const int n0 = h.slice(0).tokens, n1 = h.slice(1).tokens;
  h.add(h.make("dense", 0, h.all_tokens(0), false, 0, n0, 6.0, -1));
  h.add(h.make("pruned", 1, h.random_subset(1, n1 / 2 + 3, 4), false, 0, n1 / 2 + 3, 6.0, 4));
  // 65536 (1.0): every row whose maximum is below 1.0 refetches the LSB planes
  JobSpec refetch = h.make("progressive-refetch", 0, h.random_subset(0, n0 - 19), true, 65536, n0, 2.0, -1);
  refetch.expect_refetch = 1;
  h.add(refetch);
  // 0: no row's maximum is below 0, so nothing is refetched
  JobSpec no_refetch = h.make("progressive-no-refetch", 1, h.all_tokens(1), true, 0, n1, 6.0, 3);
  no_refetch.expect_refetch = 0;
  h.add(no_refetch);
  const int live_vp = n1 - 8;
  h.add(h.make("value-pruned", 1, h.random_subset(1, live_vp), false, 0, live_vp / 4, 6.0, -1));
  // value-pruned on top of a forced refetch: exact V for the kept rows
  JobSpec both = h.make("value-pruned-refetch", 0, h.random_subset(0, n0 / 2), true, 65536, n0 / 7, 2.0, -1);
  both.expect_refetch = 1;
  h.add(both);
}

/// The cycle model's job for `j` (the `index`th descriptor), on the same planes.
template <class C>
c::HeadJobSpec cmodel_spec(const KernelHarness<C>& h, const JobSpec& j, std::size_t index) {
  const auto& s = h.slice(j.slice);
  c::HeadJobSpec spec;
  spec.n = j.job.n;
  spec.head_dim = h.head_dim();
  spec.scale = j.job.scale;
  spec.progressive = j.job.progressive;
  spec.requant_threshold_q16 = j.job.requant_threshold_q16;
  spec.value_keep = j.job.value_keep;
  spec.q = j.q.data();
  spec.kv = h.planes(j.slice);
  spec.live = j.live.data();
  // byte addresses of the same device-memory layout (they only affect timing)
  constexpr std::uint64_t kMeta = 0x1000000, kOut = 0x2000000;
  spec.desc_addr = kMeta + 4 * (h.desc_offset() + index * static_cast<std::uint64_t>(kif::kDescriptorWords));
  spec.live_addr = kMeta + 4 * static_cast<std::uint64_t>(j.live_off);
  spec.q_addr = kMeta + 4 * static_cast<std::uint64_t>(j.query_off);
  spec.out_addr = kOut + 4 * static_cast<std::uint64_t>(j.out_off);
  spec.k_msb_base = 0x10000000 + 2 * static_cast<std::uint64_t>(s.k_msb_off);
  spec.k_lsb_base = 0x20000000 + 2 * static_cast<std::uint64_t>(s.k_lsb_off);
  spec.v_msb_base = 0x30000000 + 2 * static_cast<std::uint64_t>(s.v_msb_off);
  spec.v_lsb_base = 0x40000000 + 2 * static_cast<std::uint64_t>(s.v_lsb_off);
  return spec;
}

/// Every output and status word against the cycle model's run of the same job.
template <class C>
void check(const KernelHarness<C>& h, const c::AccelParams& params) {
  const int head_dim = h.head_dim();
  const std::vector<kif::out_t>& out = h.mem().out;
  c::Accelerator acc(params, /*skip_idle=*/true);
  bool saw_refetch = false, saw_no_refetch = false;
  for (std::size_t i = 0; i < h.jobs().size(); ++i) {
    const JobSpec& j = h.jobs()[i];
    const c::HeadJobOutcome cm = acc.run_head(cmodel_spec(h, j, i));
    ASSERT_EQ(cm.out.size(), static_cast<std::size_t>(head_dim)) << h.where(j, 0);
    if (j.expect_refetch >= 0) {
      EXPECT_EQ(cm.result.lsb_refetched, j.expect_refetch == 1)
          << "test data does not cover its case: " << h.where(j, 0);
    }
    if (j.job.progressive) (cm.result.lsb_refetched ? saw_refetch : saw_no_refetch) = true;
    EXPECT_EQ(cm.value_sel.size(), static_cast<std::size_t>(cm.result.values_kept)) << h.where(j, 0);
    EXPECT_LE(cm.result.values_kept, std::min(j.job.n, j.job.value_keep)) << h.where(j, 0);

    for (int d = 0; d < head_dim; ++d) {
      ASSERT_EQ(out[j.out_off + static_cast<std::size_t>(d)], cm.out[static_cast<std::size_t>(d)])
          << "kernel output differs from the cycle model: " << h.where(j, d);
    }
    EXPECT_EQ(out[j.out_off + static_cast<std::size_t>(head_dim)], kSentinel)
        << "guard word after the output overwritten: " << h.where(j, head_dim);
    const std::int32_t* st = out.data() + j.status_off;
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::flags]),
              cm.result.lsb_refetched ? kif::kStatusLsbRefetched : 0u)
        << "status flags vs cycle model lsb_refetched: " << h.where(j, 0);
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::max_prob]), cm.result.max_prob)
        << "status max_prob: " << h.where(j, 1);
    EXPECT_EQ(static_cast<std::uint32_t>(st[kif::StatusIndex::msb_max_prob]), cm.result.msb_max_prob)
        << "status msb_max_prob: " << h.where(j, 2);
    EXPECT_EQ(st[kif::StatusIndex::values_kept], cm.result.values_kept) << "status values_kept: " << h.where(j, 3);
    if (!cm.prob.empty()) {
      EXPECT_EQ(*std::max_element(cm.prob.begin(), cm.prob.end()), cm.result.max_prob) << h.where(j, 1);
    }
  }
  EXPECT_TRUE(saw_refetch && saw_no_refetch) << "progressive jobs must cover both requant outcomes";
}

template <class C>
void run_preset() {
  static_assert(same_numerics<C>(), "the kernel preset's numerics differ from the cycle model's ValueConfig");
  const c::AccelParams params =
      c::params_from_preset(m::load_accelerator(m::find_preset(m::PresetKind::accel, C::name())));
  // two slices at offsets of their own, garbage and guard words around them
  static constexpr Layout kLayout{.tokens = {.slice0_d64 = 160, .slice0_other = 112, .slice1 = 71},
                                  .planes = {.first = 17, .k_msb = 0, .k_lsb = 7, .v_msb = 2, .v_lsb = 9, .tail = 23},
                                  .fill = {.k_msb = -3, .k_lsb = 5, .v_msb = -9, .v_lsb = 1},
                                  .io = {.desc_offset = 3, .out_start = 5, .status_gap = 1, .out_tail = 3}};
  for_each_case<C>([&](int head_dim, std::uint64_t seed) {
    KernelHarness<C>(head_dim, seed, kLayout).run(add_jobs<C>, [&](const KernelHarness<C>& h) { check(h, params); });
  });
}

TEST(HlsKernelVsCmodel, Spatten18) { run_preset<spatten::config::spatten_1_8>(); }
TEST(HlsKernelVsCmodel, SpattenPaper) { run_preset<spatten::config::spatten_paper>(); }
TEST(HlsKernelVsCmodel, AlveoU55c) { run_preset<spatten::config::alveo_u55c>(); }

}  // namespace
