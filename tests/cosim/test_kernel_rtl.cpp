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

SPATTEN_KERNEL_COSIM_VERILATED_BEGIN
#include "Vkernel_spatten_1_8.h"
SPATTEN_KERNEL_COSIM_VERILATED_END

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

TEST(KernelRtl, DenseJobsMatchGoldenAndTheCycleModel) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  std::vector<co::KernelJob> jobs;
  jobs.push_back(co::make_job(rng, "dense", 40, 64, 1.0, 2.0));
  jobs.push_back(co::make_job(rng, "dense hd128", 70, 128, 0.8, 2.0));
  const co::KernelImage img = co::lay_out(jobs);
  co::KernelCosim<Vkernel_spatten_1_8> sim(p, p.hbm.channels, seed);
  sim.reset();
  const co::RtlCall rtl = sim.run_call(img, jobs, 200000);
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs);
  EXPECT_EQ(co::compare(rtl, cm, jobs, golden_of(jobs)), "") << "seed " << seed;
}

TEST(KernelRtl, Debug) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  const c::AccelParams p = preset_params("spatten-1-8");
  std::vector<co::KernelJob> jobs;
  const char* env = std::getenv("DBG_HD");
  const int hd = env ? std::atoi(env) : 128;
  const int toks = std::getenv("DBG_T") ? std::atoi(std::getenv("DBG_T")) : 20;
  const double keepf = std::getenv("DBG_K") ? std::atof(std::getenv("DBG_K")) : 1.0;
  jobs.push_back(co::make_job(rng, "dbg", toks, hd, keepf, 2.0));
  const char* env2 = std::getenv("DBG_HD2");
  if (env2) jobs.push_back(co::make_job(rng, "dbg2", 20, std::atoi(env2), 1.0, 2.0));
  const co::KernelImage img = co::lay_out(jobs);
  co::KernelCosim<Vkernel_spatten_1_8> sim(p, p.hbm.channels, seed);
  sim.reset();
  const co::RtlCall rtl = sim.run_call(img, jobs, 200000);
  const co::CmodelCall cm = co::run_cmodel(p, img, jobs);
  const auto g = golden_of(jobs);
  const std::size_t J = jobs.size() - 1;
  for (int d = 0; d < 4; ++d) std::printf("d%d golden %d rtl %d\n", d, g[J].out[static_cast<std::size_t>(d)], rtl.results[J].out[static_cast<std::size_t>(d)]);
  for (int k = 0; k < 4; ++k) std::printf("status%d golden %u rtl %u\n", k, g[J].status[k], rtl.results[J].status[k]);
  EXPECT_EQ(co::compare(rtl, cm, jobs, g), "") << "seed " << seed;
}

}  // namespace
