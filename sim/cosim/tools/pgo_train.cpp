// spatten_cosim_pgo_train: the training run of the alveo-u55c kernel model's
// profile-guided optimization (sim/cosim/CMakeLists.txt, SPATTEN_COSIM_PGO).
// It runs the generated mix of spatten-cosim (mixed_jobs: dense,
// value-pruned, progressive with and without LSB refetch, head_dim 64 and
// 128) through the instrumented model (kernel_alveo_u55c_pgo_gen), which
// writes the branch and call counts that the build then compiles
// kernel_alveo_u55c with. The mix rather than a trace: it needs no data
// outside the repository and reaches every phase of a head job; a profile
// trained on official ptb-per0 rows gave the same speed (bench/README.md).
// Every call is still checked against golden and the cycle model: a model
// that diverged would not be worth a profile.
#include <fmt/core.h>

#include <cstdint>
#include <iostream>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "kernel_run.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "verilated_warnings.h"

SPATTEN_VERILATED_BEGIN
#include "Vkernel_alveo_u55c.h"
SPATTEN_VERILATED_END

int main(int argc, char** argv) {
  namespace cm = spatten::cmodel;
  namespace sm = spatten::models;
  namespace co = spatten::cosim;
  int jobs = 64;
  std::uint64_t seed = 1;
  CLI::App app{"spatten_cosim_pgo_train: runs the generated mix through the instrumented alveo-u55c kernel model "
               "(the training run of its profile-guided build; the build runs it)"};
  app.add_option("--jobs", jobs, "jobs of the generated mix")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--seed", seed, "seed of the data")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "spatten_cosim_pgo_train: error: " << e.what() << "\n";
    return 2;
  }
  try {
    constexpr std::size_t kCallsOf = 32;
    const auto n = static_cast<std::size_t>(jobs);
    co::CosimRunConfig cfg;
    cfg.params = cm::params_from_preset(sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, "alveo-u55c")));
    const co::CosimTotals t = co::run_cosim<Vkernel_alveo_u55c>(
        cfg, (n + kCallsOf - 1) / kCallsOf, [&](std::size_t c) {
          return co::mixed_jobs(seed + c, static_cast<int>(std::min(kCallsOf, n - c * kCallsOf)));
        });
    if (!t.agree()) {
      std::cerr << "spatten_cosim_pgo_train: the instrumented model diverged in call " << t.divergent_call << ": "
                << t.divergence << "\n";
      return 1;
    }
    std::cout << fmt::format("spatten_cosim_pgo_train: {} jobs, {} RTL cycles, agreed\n", t.jobs, t.rtl_cycles);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "spatten_cosim_pgo_train: error: " << e.what() << "\n";
    return 1;
  }
}
