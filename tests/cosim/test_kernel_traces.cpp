// The RTL kernel on the official SpAtten traces: the first rows of each trace
// (SPATTEN_TRACE_DIR), mapped to head jobs as the cycle model's run_trace maps
// them (kernel_workload.h jobs_from_trace), as one call on spatten-1-8; every
// output and status record equals golden, every phase boundary, DRAM request
// and the done cycle equals the cycle model's. A missing trace folder skips
// the tests, unless the build requires the traces (SPATTEN_REQUIRE_TRACES).
// Built a second time with SPATTEN_TRACE_KERNEL_U55C=1 (test_kernel_traces_alveo_u55c,
// not in the sanitizer build, which has no alveo-u55c model): the same rows
// on alveo-u55c (32 lanes, 4 rows a cycle into Q·K and prob·V) under memory
// jitter, with the same jitter in the cycle model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel_cosim.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"
#include "spatten_test_seed.h"

SPATTEN_VERILATED_BEGIN
#if SPATTEN_TRACE_KERNEL_U55C
#include "Vkernel_alveo_u55c.h"
#else
#include "Vkernel_spatten_1_8.h"
#endif
SPATTEN_VERILATED_END

namespace {
namespace c = spatten::cmodel;
namespace m = spatten::models;
namespace co = spatten::cosim;
namespace tr = spatten::trace;

// Rows per trace: 24 rows of ~1000 tokens at head_dim 64 are about 80k RTL
// cycles on spatten-1-8 and 25k on alveo-u55c (about 0.15 s of co-simulation
// each on alveo-u55c).
constexpr std::size_t kRows = 24;

// One trace's first rows on kernel Model of `preset`; with jitter, the
// memory of both models adds up to 20 cycles a transaction and refuses 15%
// of the requests (hbm_memory.h), seeded by the test seed.
template <class Model>
void check_first_rows(const char* trace_file, const char* preset, bool jitter) {
  const std::filesystem::path dir(SPATTEN_TRACE_DIR);
  const std::filesystem::path file = dir / trace_file;
  if (!std::filesystem::is_regular_file(file)) {
    if (SPATTEN_REQUIRE_TRACES) FAIL() << "official trace " << file << " not found (SPATTEN_TRACE_DIR)";
    GTEST_SKIP() << "official trace " << file << " not found (SPATTEN_TRACE_DIR)";
  }
  const std::uint64_t seed = spatten::test::test_seed();
  const tr::Trace t = tr::read_official_trace(file);
  const std::vector<co::KernelJob> jobs = co::jobs_from_trace(t, 0, kRows, seed, nullptr);
  ASSERT_EQ(jobs.size(), std::min(kRows, t.rows.size()));
  c::AccelParams p = c::params_from_preset(m::load_accelerator(m::find_preset(m::PresetKind::accel, preset)));
  if (jitter) {
    p.hbm.jitter_seed = seed | 1u;
    p.hbm.jitter_max_extra_latency = 20;
    p.hbm.jitter_stall_percent = 15;
  }
  const co::KernelImage img = co::lay_out(jobs);
  std::vector<co::KernelResult> golden;
  for (const auto& j : jobs) golden.push_back(co::golden_result(j));
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs);

  co::KernelCosim<Model> sim(p, p.hbm.channels, seed);
  sim.reset();
  const auto t0 = std::chrono::steady_clock::now();
  const co::RtlCall rtl = sim.run_call(img, jobs, 4 * cm.run.cycles + 100000);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::testing::Test::RecordProperty("rtl_cycles", std::to_string(rtl.cycles));
  std::cout << "[ rtl      ] " << jobs.size() << " jobs, " << rtl.cycles << " cycles in " << wall << " s\n";
  EXPECT_EQ(co::compare(rtl, cm, jobs, golden), "")
      << preset << ", seed " << seed << " (SPATTEN_SEED=" << seed << "; spatten-cosim --preset " << preset
      << " --trace " << file.string() << " --max-rows " << kRows << " --seed " << seed
      << (jitter ? " --jitter-latency 20 --jitter-stall 15" : "") << " reruns the jobs)";
}

constexpr const char* kOfficialTraces[] = {
    "small.csv", "summary-gpt2-medium-ptb-per0.csv",
    "summary-gpt2-medium-wikitext2-per0-hp-step5+dedic+glob_p+local_p+hp+topk+quant.csv",
    "summary-gpt2-small-wikitext2-per8-step1+dedic.csv", "summary-gpt2-small-wikitext2-per8.csv"};
std::string trace_test_name(const ::testing::TestParamInfo<const char*>& param_info) {
  std::string n = param_info.param;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

#if SPATTEN_TRACE_KERNEL_U55C
class KernelTraceAlveoU55c : public ::testing::TestWithParam<const char*> {};
TEST_P(KernelTraceAlveoU55c, FirstRowsUnderJitterMatchGoldenAndTheCycleModel) {
  check_first_rows<Vkernel_alveo_u55c>(GetParam(), "alveo-u55c", true);
}
INSTANTIATE_TEST_SUITE_P(Official, KernelTraceAlveoU55c, ::testing::ValuesIn(kOfficialTraces), trace_test_name);
}  // namespace
#else
class KernelTrace : public ::testing::TestWithParam<const char*> {};
TEST_P(KernelTrace, FirstRowsMatchGoldenAndTheCycleModel) {
  check_first_rows<Vkernel_spatten_1_8>(GetParam(), "spatten-1-8", false);
}
INSTANTIATE_TEST_SUITE_P(Official, KernelTrace, ::testing::ValuesIn(kOfficialTraces), trace_test_name);

// jobs_from_trace: shapes, the mapping of the row's fields, independence of
// the call split, and rows the kernel cannot run.
TEST(KernelTraceJobs, MapsRowsAsRunTraceDoes) {
  const char* text =
      "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
      "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
      "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk\n"
      "0,0,0,64.0,100,60,8,16,0.05,True,4,20,8,True,False,False,-1\n"
      "0,0,1,64.0,90,90,-1,-1,-1,False,-1,90,-1,True,False,True,60\n"
      "0,0,2,80.0,90,90,-1,-1,-1,False,-1,90,-1,True,False,False,-1\n";
  const tr::Trace t = tr::parse_official_trace(text, "inline.csv");
  const auto two = co::jobs_from_trace(t, 0, 2, 7, nullptr);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].tokens, 100);
  EXPECT_EQ(two[0].job.n, 60);
  EXPECT_EQ(two[0].live.size(), 60u);
  EXPECT_EQ(two[0].live.back(), 99);
  EXPECT_TRUE(std::is_sorted(two[0].live.begin(), two[0].live.end()));
  EXPECT_EQ(two[0].job.head_dim, 64);
  EXPECT_EQ(two[0].job.value_keep, 20);
  EXPECT_TRUE(two[0].job.progressive);
  EXPECT_EQ(two[0].job.requant_threshold_q16, m::to_q16(0.05));
  EXPECT_FALSE(two[1].job.progressive);
  EXPECT_EQ(two[1].job.requant_threshold_q16, 0u);
  EXPECT_EQ(two[1].job.n, 90);
  // row 1 alone is the same job as row 1 of the pair
  const auto one = co::jobs_from_trace(t, 1, 1, 7, nullptr);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].live, two[1].live);
  EXPECT_EQ(one[0].q, two[1].q);
  EXPECT_EQ(one[0].k_msb, two[1].k_msb);
  // head_dim 80: an error without skipped_reason, skipped with it
  EXPECT_THROW(co::jobs_from_trace(t, 0, 3, 7, nullptr), std::invalid_argument);
  std::string why;
  const auto all = co::jobs_from_trace(t, 0, 3, 7, &why);
  EXPECT_EQ(all.size(), 2u);
  EXPECT_NE(why.find("inline.csv:4"), std::string::npos) << why;
  EXPECT_NE(why.find("head_dim 80"), std::string::npos) << why;
  EXPECT_TRUE(co::jobs_from_trace(t, 0, 2, 7, &why).size() == 2 && why.empty());
}

TEST(KernelTraceJobs, MakeJobExactKeepsExactlyNTokens) {
  std::mt19937_64 rng(spatten::test::test_seed());
  for (int n : {1, 2, 17, 50}) {
    const co::KernelJob j = co::make_job_exact(rng, "exact", 50, n, 32, 1.0);
    EXPECT_EQ(j.job.n, n);
    ASSERT_EQ(j.live.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(j.live.back(), 49);
    EXPECT_TRUE(std::adjacent_find(j.live.begin(), j.live.end(), [](int a, int b) { return a >= b; }) == j.live.end());
    EXPECT_EQ(j.k_msb.size(), 50u * 32u);
    EXPECT_EQ(j.q.size(), 32u);
  }
  EXPECT_THROW(co::make_job_exact(rng, "bad", 10, 11, 32, 1.0), std::invalid_argument);
  EXPECT_THROW(co::make_job_exact(rng, "bad", 10, 0, 32, 1.0), std::invalid_argument);
}

}  // namespace
#endif
