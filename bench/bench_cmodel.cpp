// spatten_bench_cmodel: wall time of the cycle model on the official SpAtten
// traces (and the built-in GPT-2-small decode) under the spatten-1-8 and
// spatten-paper presets. Prints one table row per (workload, preset): rows,
// simulated cycles, wall seconds, simulated cycles per wall-second, head jobs
// per wall-second, and the target where one applies:
//   GPT-2-small per8 trace   (summary-gpt2-small-wikitext2-per8.csv) < 10 s
//   GPT-2-medium dense trace (summary-gpt2-medium-ptb-per0.csv)      < 60 s
// Single-threaded: pin it to one core (taskset -c 0) for the targets.
// Not a test (ctest does not run it); see bench/README.md.
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"

namespace {

namespace cm = spatten::cmodel;
namespace sm = spatten::models;
namespace st = spatten::trace;
using Clock = std::chrono::steady_clock;

struct Target {
  const char* file;
  double seconds;
};
constexpr Target kTargets[] = {{"summary-gpt2-small-wikitext2-per8.csv", 10.0},
                               {"summary-gpt2-medium-ptb-per0.csv", 60.0}};

std::optional<double> target_for(const std::string& file) {
  for (const Target& t : kTargets)
    if (file == t.file) return t.seconds;
  return std::nullopt;
}

struct Row {
  std::string workload;
  std::string preset;
  std::uint64_t jobs = 0;
  std::uint64_t cycles = 0;
  double wall = 0.0;
  std::optional<double> target;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

constexpr const char* kDecodeLabel = "decode gpt2-small per8 993+32";
std::size_t g_width = 30;  // workload column

void print_header() {
  std::cout << fmt::format("{:<{}} {:<14} {:>7} {:>13} {:>9} {:>12} {:>10}  {}\n", "workload", g_width, "preset", "jobs",
                           "cycles", "wall s", "Mcycles/s", "jobs/s", "target");
}

void print_row(const Row& r) {
  const double w = std::max(r.wall, 1e-9);
  std::string target;
  if (r.target) target = fmt::format("< {:.0f} s: {}", *r.target, r.wall < *r.target ? "met" : "MISSED");
  std::cout << fmt::format("{:<{}} {:<14} {:>7} {:>13} {:>9.3f} {:>12.2f} {:>10.0f}  {}\n", r.workload, g_width, r.preset,
                           r.jobs, r.cycles, r.wall, static_cast<double>(r.cycles) / w / 1e6,
                           static_cast<double>(r.jobs) / w, target)
            << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  std::string trace_dir = SPATTEN_TRACE_DIR;
  std::string only;
  std::vector<std::string> presets = {"spatten-1-8", "spatten-paper"};
  std::size_t max_rows = 0;
  bool no_skip = false, no_decode = false, no_traces = false;
  std::uint64_t seed = 1;

  CLI::App app{"spatten_bench_cmodel: wall time and simulated cycles per second of the cycle model on the official "
               "SpAtten traces and the built-in GPT-2-small decode"};
  app.add_option("--trace-dir", trace_dir, "folder of the official traces")->capture_default_str();
  app.add_option("--trace", only, "run only this trace: a file name in --trace-dir (or part of one), or a path");
  app.add_option("--preset", presets, "accelerator presets (repeatable)")->capture_default_str();
  app.add_option("--max-rows", max_rows, "run only the first N rows of each trace (0: all)");
  app.add_option("--seed", seed, "seed of the synthesized data")->capture_default_str();
  app.add_flag("--no-skip", no_skip, "tick every cycle (measures the idle-skipping gain)");
  app.add_flag("--no-decode", no_decode, "skip the GPT-2-small decode row");
  app.add_flag("--no-traces", no_traces, "skip the traces");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "spatten_bench_cmodel: error: " << e.what() << "\n";
    return 2;
  }

  try {
    std::vector<std::filesystem::path> traces;
    if (!no_traces) {
      if (!only.empty() && std::filesystem::is_regular_file(only)) {
        traces.emplace_back(only);
      } else {
        if (!std::filesystem::is_directory(trace_dir))
          throw std::invalid_argument("trace folder " + trace_dir + " does not exist (--trace-dir)");
        for (const auto& e : std::filesystem::directory_iterator(trace_dir))
          if (e.is_regular_file() && e.path().extension() == ".csv" &&
              (only.empty() || e.path().filename().string().find(only) != std::string::npos))
            traces.push_back(e.path());
        std::sort(traces.begin(), traces.end());
        if (traces.empty() && !only.empty())
          throw std::invalid_argument("no trace matching '" + only + "' in " + trace_dir);
      }
      if (!only.empty()) no_decode = true;
    }

    for (const auto& t : traces) g_width = std::max(g_width, t.filename().string().size());
    print_header();
    for (const std::string& name : presets) {
      const sm::AcceleratorPreset preset = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, name));
      const cm::AccelParams params = cm::params_from_preset(preset);
      for (const std::filesystem::path& file : traces) {
        const st::Trace trace = st::read_official_trace(file);  // parsing is not timed
        cm::TraceRunOptions opt;
        opt.skip_idle = !no_skip;
        opt.seed = seed;
        opt.max_rows = max_rows;
        const auto t0 = Clock::now();
        const cm::RunResult r = cm::run_trace(params, preset, trace, opt);
        Row row{file.filename().string(), preset.name, r.head_jobs, r.cycles, seconds_since(t0), std::nullopt};
        if (max_rows == 0) row.target = target_for(row.workload);
        print_row(row);
      }
      if (!no_decode) {
        cm::DecodeRunOptions opt;
        opt.model = sm::load_llm(sm::find_preset(sm::PresetKind::llm, "gpt2-small"));
        opt.policy = sm::load_policy(sm::find_preset(sm::PresetKind::policy, "spatten-gpt2-per8"));
        opt.prompt = 993;
        opt.steps = 32;
        opt.seed = seed;
        opt.skip_idle = !no_skip;
        const auto t0 = Clock::now();
        const cm::RunResult r = cm::run_decode(params, preset, opt);
        print_row({kDecodeLabel, preset.name, r.head_jobs, r.cycles,
                   seconds_since(t0), std::nullopt});
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "spatten_bench_cmodel: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
