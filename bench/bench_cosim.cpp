// spatten_bench_cosim: speed of the whole-kernel RTL co-simulation
// (sim/cosim/kernel_cosim.h through kernel_run.h, waveforms off) in RTL clock
// cycles per wall-second, for the verilated kernels of spatten-1-8 and
// alveo-u55c, on (a) the generated mix of spatten-cosim (mixed_jobs) and (b)
// the rows of official traces (default: all of
// summary-gpt2-small-wikitext2-per8.csv; `--trace all`: every trace of the
// folder, whole). Each row also times the same calls
// on the cycle model alone (run_cmodel), golden, and the workload set-up.
// Target: >= 200,000 RTL cycles/s. Every run is also checked (compare()); a
// divergence is printed and makes the exit status 1.
// Single-threaded: pin it to one core (taskset -c 0). Not a test (ctest does
// not run it); see bench/README.md.
#include <fmt/core.h>

#include <algorithm>
#include <deque>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "kernel_run.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"
#include "verilated_kernels.h"

namespace {

namespace cm = spatten::cmodel;
namespace sm = spatten::models;
namespace st = spatten::trace;
namespace co = spatten::cosim;

constexpr double kTargetCyclesPerSecond = 200000.0;
constexpr const char* kDefaultTrace = "summary-gpt2-small-wikitext2-per8.csv";

struct Workload {
  std::string label;
  std::size_t jobs = 0;
  std::size_t calls = 0;
  std::function<std::vector<co::KernelJob>(std::size_t)> jobs_of;
};

void print_header(std::size_t width) {
  std::cout << fmt::format("{:<{}} {:<12} {:>6} {:>11} {:>8} {:>9} {:>11}  {:<7} {:>9} {:>10} {:>8} {:>8} {:>8}  {}\n",
                           "workload", width, "preset", "jobs", "RTL cycles", "RTL s", "RTL cpu s", "cycles/s",
                           "target", "cyc/cpu-s", "cm Mcyc/s", "cm s", "golden s", "setup s", "agree");
}

template <class Model>
bool run_row(const std::string& preset_name, const Workload& w, std::size_t width) {
  const sm::AcceleratorPreset preset = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, preset_name));
  co::CosimRunConfig cfg;
  cfg.params = cm::params_from_preset(preset);
  const co::CosimTotals t = co::run_cosim<Model>(cfg, w.calls, w.jobs_of);
  const double cps = t.cycles_per_second();
  const double cpu_cps = t.cycles_per_cpu_second();
  const double cm_cps = t.cmodel_seconds > 0 ? static_cast<double>(t.cmodel_cycles) / t.cmodel_seconds : 0.0;
  std::cout << fmt::format(
                   "{:<{}} {:<12} {:>6} {:>11} {:>8.2f} {:>9.2f} {:>11.0f}  {:<7} {:>9.0f} {:>10.2f} {:>8.3f} {:>8.3f} {:>8.3f}  {}\n",
                   w.label, width, preset_name, t.jobs, t.rtl_cycles, t.rtl_seconds, t.rtl_cpu_seconds, cps,
                   cps >= kTargetCyclesPerSecond ? "met" : "MISSED", cpu_cps, cm_cps / 1e6, t.cmodel_seconds,
                   t.golden_seconds, t.setup_seconds, t.agree() ? "yes" : "NO")
            << std::flush;
  if (!t.agree())
    std::cout << fmt::format("  divergence in call {} (jobs {}..{}): {}\n", t.divergent_call, t.divergent_first_job,
                             t.divergent_first_job + t.divergent_jobs - 1, t.divergence);
  return t.agree();
}

}  // namespace

int main(int argc, char** argv) {
  std::string trace_dir = SPATTEN_TRACE_DIR;
  std::vector<std::string> traces = {kDefaultTrace};
  std::vector<std::string> presets(co::kKernelPresets.begin(), co::kKernelPresets.end());
  std::size_t rows = 0;
  int mix_jobs = 64;
  std::size_t calls_of = 64;
  std::uint64_t seed = 1;
  bool no_mix = false, no_trace = false;

  CLI::App app{"spatten_bench_cosim: RTL cycles per wall-second of the whole-kernel co-simulation (waveforms off), "
               "with the cycle model's time on the same calls"};
  app.add_option("--trace-dir", trace_dir, "folder of the official traces")->capture_default_str();
  app.add_option("--trace", traces,
                 "official trace: a file name in --trace-dir (or part of one), a path, or `all` (every .csv of "
                 "--trace-dir); repeatable")
      ->capture_default_str();
  app.add_option("--rows", rows, "trace rows to run from the first (0: all)")->capture_default_str();
  app.add_option("--preset", presets, "verilated kernels: spatten-1-8, alveo-u55c (repeatable)")
      ->capture_default_str();
  app.add_option("--mix-jobs", mix_jobs, "jobs of the generated mix")->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--calls-of", calls_of, "jobs per kernel call")->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the data")->capture_default_str();
  app.add_flag("--no-mix", no_mix, "skip the generated mix");
  app.add_flag("--no-trace", no_trace, "skip the trace");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "spatten_bench_cosim: error: " << e.what() << "\n";
    return 2;
  }

  try {
    for (const std::string& p : presets) co::check_kernel_preset(p);
    std::deque<st::Trace> parsed;  // outlives the workloads (their closures refer to its elements)
    std::vector<Workload> workloads;
    if (!no_mix) {
      Workload w;
      w.label = fmt::format("generated mix ({} jobs)", mix_jobs);
      w.jobs = static_cast<std::size_t>(mix_jobs);
      w.calls = (w.jobs + calls_of - 1) / calls_of;
      w.jobs_of = [=](std::size_t c) {
        const std::size_t n = std::min(calls_of, static_cast<std::size_t>(mix_jobs) - c * calls_of);
        return co::mixed_jobs(seed + c, static_cast<int>(n));
      };
      workloads.push_back(std::move(w));
    }
    if (!no_trace) {
      std::vector<std::filesystem::path> files;
      auto csvs_in_dir = [&] {
        if (!std::filesystem::is_directory(trace_dir))
          throw std::invalid_argument("trace folder " + trace_dir + " does not exist (--trace-dir)");
        std::vector<std::filesystem::path> all;
        for (const auto& e : std::filesystem::directory_iterator(trace_dir))
          if (e.is_regular_file() && e.path().extension() == ".csv") all.push_back(e.path());
        std::sort(all.begin(), all.end());
        return all;
      };
      for (const std::string& trace : traces) {
        if (trace == "all") {
          const auto all = csvs_in_dir();
          if (all.empty()) throw std::invalid_argument("no .csv trace in " + trace_dir);
          files.insert(files.end(), all.begin(), all.end());
        } else if (std::filesystem::is_regular_file(trace)) {
          files.emplace_back(trace);
        } else {
          std::vector<std::filesystem::path> hits;
          for (const auto& f : csvs_in_dir())
            if (f.filename().string().find(trace) != std::string::npos) hits.push_back(f);
          if (hits.empty()) throw std::invalid_argument("no trace matching '" + trace + "' in " + trace_dir);
          std::filesystem::path file = hits.front();
          for (const auto& h : hits)
            if (h.filename() == trace) file = h;
          files.push_back(file);
        }
      }
      for (const std::filesystem::path& file : files) {
        const st::Trace& t = parsed.emplace_back(st::read_official_trace(file));
        const std::size_t n = rows == 0 ? t.rows.size() : std::min(rows, t.rows.size());
        if (n == 0) continue;
        Workload w;
        w.label = fmt::format("{} ({} rows)", file.filename().string(), n);
        w.jobs = n;
        w.calls = (n + calls_of - 1) / calls_of;
        w.jobs_of = [&t, n, calls_of, seed](std::size_t c) {
          return co::jobs_from_trace(t, c * calls_of, std::min(calls_of, n - c * calls_of), seed, nullptr);
        };
        workloads.push_back(std::move(w));
      }
    }
    std::size_t width = 20;
    for (const Workload& w : workloads) width = std::max(width, w.label.size());
    print_header(width);
    bool all_agree = true;
    for (const std::string& p : presets)
      for (const Workload& w : workloads)
        all_agree &= co::with_kernel(p, [&]<class Model>() { return run_row<Model>(p, w, width); });
    return all_agree ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "spatten_bench_cosim: error: " << e.what() << "\n";
    return 2;
  }
}
