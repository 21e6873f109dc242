// The RTL kernel as the driver drives it: arguments and ap_start through
// s_axi_control, data through AXI memory backed by the cycle model's HBM
// model; every job's output and status equal golden, every phase boundary,
// DRAM request and the call's done cycle equal the cycle model's
// (sim/cosim/kernel_cosim.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "kernel_cosim.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten_test_seed.h"

SPATTEN_VERILATED_BEGIN
#include "Vkernel_spatten_1_8.h"
SPATTEN_VERILATED_END

namespace {
namespace c = spatten::cmodel;
namespace m = spatten::models;
namespace co = spatten::cosim;

c::AccelParams preset_params(const char* name) {
  return c::params_from_preset(m::load_accelerator(m::find_preset(m::PresetKind::accel, name)));
}

std::vector<co::KernelResult> golden_of(const std::vector<co::KernelJob>& jobs) {
  std::vector<co::KernelResult> g;
  for (const auto& j : jobs) g.push_back(co::golden_result(j));
  return g;
}

/// Runs one call through the RTL and the cycle model and returns compare()'s verdict.
template <class Model>
std::string run_and_compare(co::KernelCosim<Model>& sim, const c::AccelParams& p, const std::vector<co::KernelJob>& jobs,
                            co::RtlCall* rtl_out = nullptr) {
  const co::KernelImage img = co::lay_out(jobs);
  const co::RtlCall rtl = sim.run_call(img, jobs, 5'000'000);
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs);
  if (rtl_out) *rtl_out = rtl;
  return co::compare(rtl, cm, jobs, golden_of(jobs));
}

using Kernel = Vkernel_spatten_1_8;

TEST(KernelRtl, DenseJobsMatchGoldenAndTheCycleModel) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  std::vector<co::KernelJob> jobs;
  jobs.push_back(co::make_job(rng, "dense", 40, 64, 1.0, 2.0));
  jobs.push_back(co::make_job(rng, "dense hd128", 70, 128, 0.8, 2.0));
  jobs.push_back(co::make_job(rng, "dense hd16", 90, 16, 0.5, 2.0));
  jobs.push_back(co::make_job(rng, "dense hd32, one token", 1, 32, 1.0, 2.0));
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  EXPECT_EQ(run_and_compare(sim, p, jobs), "") << "seed " << seed;
}

/// The job kinds of the kernel's contract: pruned (value top-k), progressive
/// with and without the LSB refetch, a refetch of a row longer than the key
/// buffer (MSB planes fetched again), no value row kept, every row kept.
std::vector<co::KernelJob> job_mix(std::mt19937_64& rng, int key_rows) {
  std::vector<co::KernelJob> jobs;
  auto add = [&](co::KernelJob j) { jobs.push_back(std::move(j)); };
  {
    auto j = co::make_job(rng, "value top-k keeps n/3", 300, 64, 0.7, 2.0);
    j.job.value_keep = j.job.n / 3;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "value top-k keeps 1", 120, 128, 1.0, 3.0);
    j.job.value_keep = 1;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "progressive, flat row: LSB refetch", 200, 64, 1.0, 0.0);
    j.job.progressive = true;
    j.job.requant_threshold_q16 = 65536;
    j.job.value_keep = j.job.n / 2;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "progressive, peaked row: MSB planes only", 150, 128, 1.0, 4.0);
    j.job.progressive = true;
    j.job.requant_threshold_q16 = 0;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "progressive refetch longer than the key buffer", key_rows + 40, 64, 1.0, 0.0);
    j.job.progressive = true;
    j.job.requant_threshold_q16 = 65536;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "no value row kept", 60, 32, 1.0, 1.0);
    j.job.value_keep = 0;
    add(std::move(j));
  }
  {
    auto j = co::make_job(rng, "value_keep above n", 80, 16, 1.0, 1.0);
    j.job.value_keep = j.job.n + 100;
    add(std::move(j));
  }
  return jobs;
}

int key_rows(const c::AccelParams& p) {
  using Cfg = co::KernelCfg;
  return static_cast<int>(p.key_sram_bytes / (Cfg::max_head_dim * (Cfg::k_msb_bits + Cfg::k_lsb_bits) / 8));
}

TEST(KernelRtl, PrunedRequantizedAndValuePrunedJobs) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  const auto jobs = job_mix(rng, key_rows(p));
  // the mix covers what it says
  const auto g = golden_of(jobs);
  EXPECT_NE(g[2].status[0] & spatten::kernel_if::kStatusLsbRefetched, 0u) << "seed " << seed;
  EXPECT_EQ(g[3].status[0] & spatten::kernel_if::kStatusLsbRefetched, 0u) << "seed " << seed;
  EXPECT_NE(g[4].status[0] & spatten::kernel_if::kStatusLsbRefetched, 0u) << "seed " << seed;
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  co::RtlCall rtl;
  EXPECT_EQ(run_and_compare(sim, p, jobs, &rtl), "") << "seed " << seed;
  // the top-k engine ran for the pruned jobs only, the second key pass for the refetches only
  ASSERT_EQ(rtl.jobs.size(), jobs.size());
  EXPECT_NE(rtl.jobs[0].topk_start, c::kNever);
  EXPECT_NE(rtl.jobs[2].key_start[1], c::kNever);
  EXPECT_EQ(rtl.jobs[3].key_start[1], c::kNever);
  EXPECT_EQ(rtl.jobs[5].value_start, c::kNever);
  EXPECT_EQ(rtl.jobs[6].topk_start, c::kNever);
}

TEST(KernelRtl, RandomMemoryLatencyAndBackPressure) {
  const std::uint64_t seed = spatten::test::test_seed();
  for (std::uint64_t k = 0; k < 3; ++k) {
    std::mt19937_64 rng(seed + k);
    c::AccelParams p = preset_params("spatten-1-8");
    p.hbm.jitter_seed = seed * 3 + k + 1;
    p.hbm.jitter_max_extra_latency = 10 + 30 * k;
    p.hbm.jitter_stall_percent = static_cast<int>(10 + 20 * k);
    auto jobs = job_mix(rng, key_rows(p));
    jobs.erase(jobs.begin() + 4);  // the long row: covered above
    co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed + k);
    sim.reset();
    EXPECT_EQ(run_and_compare(sim, p, jobs), "")
        << "seed " << seed + k << ", jitter seed " << p.hbm.jitter_seed << ", extra latency up to "
        << p.hbm.jitter_max_extra_latency << ", stall " << p.hbm.jitter_stall_percent << "%";
  }
}

TEST(KernelRtl, ResetInTheMiddleOfAJobThenACleanRun) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  for (int at : {30, 150, 400, 900}) {
    std::vector<co::KernelJob> first;
    first.push_back(co::make_job(rng, "interrupted", 400, 64, 1.0, 2.0));
    first.back().job.value_keep = 50;
    const co::KernelImage img = co::lay_out(first);
    sim.start_call(img, first);
    for (int i = 0; i < at; ++i) sim.step();
    sim.reset(3);
    std::vector<co::KernelJob> jobs;
    jobs.push_back(co::make_job(rng, "after reset", 100, 64, 1.0, 2.0));
    jobs.back().job.value_keep = 30;
    jobs.push_back(co::make_job(rng, "after reset 2", 50, 128, 1.0, 2.0));
    EXPECT_EQ(run_and_compare(sim, p, jobs), "") << "reset " << at << " cycles into the call, seed " << seed;
  }
}

TEST(KernelRtl, StartWhileBusyIsIgnored) {
  namespace kif = spatten::kernel_if;
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  std::vector<co::KernelJob> jobs;
  jobs.push_back(co::make_job(rng, "busy", 200, 64, 1.0, 2.0));
  jobs.push_back(co::make_job(rng, "busy 2", 100, 64, 1.0, 2.0));
  const co::KernelImage img = co::lay_out(jobs);
  sim.start_call(img, jobs);
  for (int i = 0; i < 300; ++i) sim.step();
  // ap_idle is low and a second ap_start is ignored
  EXPECT_EQ(sim.lite().read32(kif::kRegControl) & kif::kRegControlApIdle, 0u);
  sim.lite().write32(kif::kRegControl, kif::kRegControlApStart);
  const co::RtlCall rtl = sim.finish_call(img, jobs, 1'000'000);
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs);
  EXPECT_EQ(co::compare(rtl, cm, jobs, golden_of(jobs)), "") << "seed " << seed;
  // idle afterwards, and nothing starts
  EXPECT_NE(sim.lite().read32(kif::kRegControl) & kif::kRegControlApIdle, 0u);
  for (int i = 0; i < 500; ++i) {
    sim.step();
    ASSERT_FALSE(sim.top().obs_job_start) << "a job started after the call ended";
  }
}

/// Rewrites descriptor word `word` of job `job` in the image.
void patch_descriptor(co::KernelImage& img, std::size_t job, int word, std::uint32_t value) {
  auto& meta = img.buffers[4];
  ASSERT_EQ(meta.name, "meta");
  const std::size_t at = 4 * (img.desc_offset + 16 * job + static_cast<std::size_t>(word));
  for (int b = 0; b < 4; ++b) meta.bytes[at + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(value >> (8 * b));
}

TEST(KernelRtl, RejectedJobsWriteOnlyTheirStatus) {
  namespace kif = spatten::kernel_if;
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  struct Bad {
    const char* what;
    int word;
    std::uint32_t value;
  };
  const Bad bads[] = {
      {"n_live 0", 0, 0},
      {"n_live above max_context", 0, static_cast<std::uint32_t>(co::KernelCfg::max_context + 1)},
      {"head_dim 48 (not a power of two)", 1, 48},
      {"live list not 8-word aligned", 9, 0},  // patched below to +1
      {"query offset not a multiple of head_dim", 10, 0},
  };
  for (const Bad& b : bads) {
    std::vector<co::KernelJob> jobs;
    jobs.push_back(co::make_job(rng, "good", 50, 64, 1.0, 2.0));
    jobs.push_back(co::make_job(rng, "bad", 50, 64, 1.0, 2.0));
    jobs.push_back(co::make_job(rng, "good after", 60, 64, 1.0, 2.0));
    co::KernelImage img = co::lay_out(jobs);
    std::uint32_t value = b.value;
    if (b.word == 9) value = img.place[1].live_off + 1;
    if (b.word == 10) value = img.place[1].query_off + 8;
    if (b.word == 1) value = (value & 0xFFFFu) | (0u << 16);  // head_dim in the low half, flags 0
    patch_descriptor(img, 1, b.word, value);
    const co::RtlCall rtl = sim.run_call(img, jobs, 2'000'000);
    const auto g = golden_of(jobs);
    EXPECT_EQ(rtl.results[0], g[0]) << b.what;
    EXPECT_EQ(rtl.results[2], g[2]) << b.what;
    EXPECT_EQ(rtl.results[1].status[0], kif::kStatusRejected) << b.what;
    EXPECT_EQ(rtl.results[1].status[1], 0u) << b.what;
    EXPECT_EQ(rtl.results[1].status[3], 0u) << b.what;
    for (std::int32_t w : rtl.results[1].out) ASSERT_EQ(w, co::kOutSentinel) << b.what << ": a rejected job wrote its output";
    EXPECT_TRUE(rtl.sentinels_ok) << b.what << ": " << rtl.sentinel_why;
  }
}

TEST(KernelRtl, NoJobsIsANoOp) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed);
  sim.reset();
  std::vector<co::KernelJob> jobs;
  jobs.push_back(co::make_job(rng, "not run", 10, 64, 1.0, 2.0));
  co::KernelImage img = co::lay_out(jobs);
  img.num_jobs = 0;
  const co::RtlCall rtl = sim.run_call(img, jobs, 10'000);
  EXPECT_TRUE(rtl.jobs.empty());
  EXPECT_TRUE(rtl.requests.empty());
  for (std::int32_t w : rtl.results[0].out) EXPECT_EQ(w, co::kOutSentinel);
  EXPECT_LT(rtl.cycles, 20u) << "ap_done follows at once";
}

}  // namespace

// ---------------------------------------------------------------------------
// Token importance and cascade decisions (importance_unit.sv): head jobs that
// accumulate, decisions (with and without the top-k engine, ids past a 4 KiB
// page), clear_importance, over two calls so that the importance must survive
// from one call to the next in the RTL as in the model; values against
// golden, every cycle and DRAM request against the cycle model, with and
// without memory jitter.
namespace {

/// Runs a call with the importance carried across calls on both sides.
template <class Model>
std::string run_cascade_call(co::KernelCosim<Model>& sim, const c::AccelParams& p,
                             const std::vector<co::KernelJob>& jobs, std::vector<std::uint64_t>& golden_imp,
                             std::vector<std::uint64_t>& cmodel_imp, co::RtlCall* rtl_out = nullptr) {
  const co::KernelImage img = co::lay_out(jobs);
  const co::RtlCall rtl = sim.run_call(img, jobs, 5'000'000);
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs, &cmodel_imp);
  if (rtl_out) *rtl_out = rtl;
  return co::compare(rtl, cm, jobs, co::golden_results(jobs, golden_imp));
}

std::vector<int> ids_range(int first, int count, int step = 1) {
  std::vector<int> v;
  for (int i = 0; i < count; ++i) v.push_back(first + i * step);
  return v;
}

}  // namespace

TEST(KernelRtl, CascadeAccumulateDecideAndClearAcrossCalls) {
  const std::uint64_t seed = spatten::test::test_seed();
  for (std::uint64_t k = 0; k < 2; ++k) {
    std::mt19937_64 rng(seed + k);
    c::AccelParams p = preset_params("spatten-1-8");
    if (k == 1) {  // the same under memory jitter
      p.hbm.jitter_seed = seed * 7 + 1;
      p.hbm.jitter_max_extra_latency = 25;
      p.hbm.jitter_stall_percent = 20;
    }
    const std::string what = "seed " + std::to_string(seed + k) + (k == 1 ? " with memory jitter" : "");
    co::KernelCosim<Kernel> sim(p, p.hbm.channels, seed + k);
    sim.reset();
    std::vector<std::uint64_t> gimp(static_cast<std::size_t>(co::KernelCfg::max_context), 0), cimp = gimp;
    // call 1: importance from three heads (one value-pruned, one refetching), then decisions
    std::vector<co::KernelJob> call1;
    call1.push_back(co::make_job_exact(rng, "clear+accumulate", 300, 300, 64, 2.0));
    call1.back().accumulate = call1.back().clear_importance = true;
    call1.push_back(co::make_job_exact(rng, "accumulate, value-pruned", 300, 170, 128, 1.0));
    call1.back().accumulate = true;
    call1.back().job.value_keep = 40;
    call1.push_back(co::make_job_exact(rng, "accumulate, progressive refetch", 300, 250, 64, 0.0));
    call1.back().accumulate = true;
    call1.back().job.progressive = true;
    call1.back().job.requant_threshold_q16 = 65536;
    call1.push_back(co::make_job_exact(rng, "not accumulated", 300, 120, 64, 2.0));
    call1.push_back(co::make_decision("decide (engine)", ids_range(0, 300), 90, 300, 4, 8));
    call1.push_back(co::make_decision("decide, sparse list", ids_range(1, 60, 5), 17, 300, 0, 0));
    call1.push_back(co::make_decision("keep all", ids_range(0, 33), 40, 300, 0, 2));
    call1.push_back(co::make_decision("only the protected", ids_range(0, 300), 5, 300, 3, 6));
    call1.push_back(co::make_decision("one id", {299}, 0, 300, 0, 0));
    co::RtlCall rtl1;
    EXPECT_EQ(run_cascade_call(sim, p, call1, gimp, cimp, &rtl1), "") << what << ", call 1";
    ASSERT_EQ(rtl1.jobs.size(), call1.size());
    EXPECT_NE(rtl1.jobs[4].topk_start, c::kNever) << what << ": the engine must run for the first decision";
    EXPECT_EQ(rtl1.jobs[6].topk_start, c::kNever) << what << ": keep-all needs no engine";
    EXPECT_EQ(gimp, cimp) << what << ": golden and the cycle model left different importance";
    // call 2: a decision on what call 1 left; a long list whose ids span pages; clear
    std::vector<co::KernelJob> call2;
    call2.push_back(co::make_decision("decide on call 1's importance", ids_range(0, 300, 1), 150, 300, 1, 1));
    call2.push_back(co::make_job_exact(rng, "accumulate over a long row", 2400, 2100, 64, 2.0));
    call2.back().accumulate = true;
    call2.push_back(co::make_decision("decide, 1900 of 2100 (ids past 4 KiB)", call2.back().live, 1900, 2400, 2, 16));
    call2.push_back(co::make_decision("clear+decide: all equal, the tie rule", ids_range(0, 200), 50, 200, 0, 0, true));
    co::RtlCall rtl2;
    EXPECT_EQ(run_cascade_call(sim, p, call2, gimp, cimp, &rtl2), "") << what << ", call 2";
    EXPECT_EQ(gimp, cimp) << what;
    // the test covers what it says: decisions that prune, ids past a 4 KiB page
    ASSERT_EQ(rtl2.results.size(), call2.size());
    EXPECT_EQ(rtl1.results[4].status[3], 90u) << what;
    EXPECT_EQ(rtl1.results[7].status[3], 9u) << what << ": 3 sinks, 6 recent";
    EXPECT_EQ(rtl2.results[2].status[3], 1900u) << what;
    EXPECT_GT(rtl2.results[2].status[3] * 4u, 4096u) << what;
  }
}
