// spatten-cosim: runs head jobs through the verilated RTL kernel
// (hw/rtl/spatten_attention.sv, sim/cosim/kernel_cosim.h) AND the cycle model,
// checks every output and status record against golden and every phase
// boundary, DRAM request and the done cycle against the cycle model
// (kernel_workload.h compare()), and reports agreement, RTL cycles, wall time
// and RTL cycles per wall-second (sim/cosim/README.md).
//
// Two workloads:
//   trace      --trace FILE: official SpAtten CSV rows mapped to head jobs as
//              the cycle model's run_trace maps them (jobs_from_trace), rows
//              [--first-row, --first-row + --max-rows);
//   generated  the default: a mix of dense, value-pruned and progressive jobs
//              with and without LSB refetch, head_dim 64 and 128 (mixed_jobs;
//              --jobs, --tokens, --head-dim, --seed); --cascade adds token
//              importance (every head job accumulates) and a cascade token
//              decision after every fourth job.
// The jobs go to the kernel in calls of --calls-of jobs (one memory image and
// one ap_start each), back to back on one kernel; the run stops at the first
// call that diverges.
//
// Exit status: 0 the RTL agreed with golden and the cycle model on every job;
// 1 a divergence (or the JSON record could not be written, or an internal
// error); 2 bad input or command line (unknown preset, missing or malformed
// trace, bad numbers, a job shape the RTL kernel cannot run). Every error is
// one "spatten-cosim: error: ..." line on stderr, and the JSON record is
// written to a temporary file next to the target and renamed once complete.
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "kernel_run.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/cmodel/tool_io.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"
#include "verilated_kernels.h"

namespace {

namespace cm = spatten::cmodel;
namespace sm = spatten::models;
namespace st = spatten::trace;
namespace co = spatten::cosim;
using nlohmann::json;
namespace tool = spatten::cmodel::tool;

constexpr const char* kTool = "spatten-cosim";

struct Options {
  std::string preset = "spatten-1-8";
  std::string trace;
  std::size_t max_rows = 32;
  std::size_t first_row = 0;
  bool skip_unsupported = false;
  int jobs = 8;
  int tokens = 0;
  int head_dim = 0;
  bool cascade = false;
  std::uint64_t seed = 1;
  std::size_t calls_of = 64;
  std::uint64_t jitter_latency = 0;
  int jitter_stall = 0;
  std::string wave;
  std::string json_path;
  bool quiet = false;
};

int fail(int status, const std::string& what, const char* kind = "error") {
  std::cerr << kTool << ": " << kind << ": " << tool::one_line(what) << "\n";
  return status;
}

/// The seed of generated call c: --seed for call 0, so that "--seed S --jobs
/// N" alone reproduces any call of a longer run.
std::uint64_t call_seed(std::uint64_t seed, std::size_t c) {
  return c == 0 ? seed : seed ^ (0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(c) + 1));
}

/// The workload, ready to be cut into calls.
struct Workload {
  bool from_trace = false;
  st::Trace trace;
  std::size_t first = 0, rows = 0;  ///< trace rows [first, first + rows)
  std::size_t jobs = 0;             ///< jobs in all (rows, or --jobs)
  std::size_t calls = 0;
  std::string skipped;              ///< rows skipped (--skip-unsupported)
  json echo;
};

std::string jitter_args(const Options& o) {
  std::string s;
  if (o.jitter_latency > 0) s += fmt::format(" --jitter-latency {}", o.jitter_latency);
  if (o.jitter_stall > 0) s += fmt::format(" --jitter-stall {}", o.jitter_stall);
  return s;
}

/// The command lines that rerun the divergent call: the whole run, and that
/// call on its own (on a freshly reset kernel).
std::vector<std::string> reproduce(const Options& o, const Workload& w, const co::CosimTotals& t) {
  const std::string pre = fmt::format("{} --preset {}{}", kTool, o.preset, jitter_args(o));
  std::vector<std::string> lines;
  if (w.from_trace) {
    lines.push_back(fmt::format("{} --trace {} --first-row {} --max-rows {} --calls-of {} --seed {}", pre, o.trace,
                                o.first_row, o.max_rows, o.calls_of, o.seed));
    if (w.calls > 1)
      lines.push_back(fmt::format("{} --trace {} --first-row {} --max-rows {} --seed {}", pre, o.trace,
                                  w.first + t.divergent_call * o.calls_of, o.calls_of, o.seed));
  } else {
    std::string shape;
    if (o.tokens > 0) shape += fmt::format(" --tokens {}", o.tokens);
    if (o.head_dim > 0) shape += fmt::format(" --head-dim {}", o.head_dim);
    if (o.cascade) shape += " --cascade";
    lines.push_back(
        fmt::format("{} --jobs {}{} --calls-of {} --seed {}", pre, o.jobs, shape, o.calls_of, o.seed));
    if (w.calls > 1)
      lines.push_back(fmt::format("{} --jobs {}{} --seed {}", pre,
                                  std::min(o.calls_of, w.jobs - t.divergent_call * o.calls_of), shape,
                                  call_seed(o.seed, t.divergent_call)));
  }
  return lines;
}

json bytes_json(const std::array<std::uint64_t, cm::kDramKinds>& b) {
  json j = json::object();
  for (std::size_t k = 0; k < cm::kDramKinds; ++k) j[cm::dram_kind_name(static_cast<cm::DramKind>(k))] = b[k];
  return j;
}

template <class Model>
co::CosimTotals run_model(const co::CosimRunConfig& cfg, const Options& o, const Workload& w, tool::ProgressLine& progress) {
  auto jobs_of = [&](std::size_t c) {
    const std::size_t first = c * o.calls_of;
    const std::size_t n = std::min(o.calls_of, w.jobs - first);
    if (w.from_trace) {
      std::string skipped;
      return co::jobs_from_trace(w.trace, w.first + first, n, o.seed, o.skip_unsupported ? &skipped : nullptr);
    }
    return co::mixed_jobs(call_seed(o.seed, c), static_cast<int>(n), o.tokens, o.head_dim, o.cascade);
  };
  return co::run_cosim<Model>(cfg, w.calls, jobs_of, [&](std::size_t, std::size_t jobs_done, cm::Cycle cycles) {
    if (!progress.due()) return;
    const double pct = w.jobs > 0 ? 100.0 * static_cast<double>(jobs_done) / static_cast<double>(w.jobs) : 0.0;
    progress.show(fmt::format("{:5.1f}% ({}/{} jobs) {:.2f} Mcycles, {:.0f} kcycles/s, {:.1f} s", pct, jobs_done,
                              w.jobs, static_cast<double>(cycles) / 1e6,
                              static_cast<double>(cycles) / 1e3 / progress.elapsed(), progress.elapsed()));
  });
}

struct Outcome {
  json record;
  std::string summary;
  bool agree = false;
  std::string divergence_line;
};

Outcome run(const Options& o, bool trace_mode) {
  co::check_kernel_preset(o.preset);
  const sm::AcceleratorPreset preset = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, o.preset));
  co::CosimRunConfig cfg;
  cfg.params = cm::params_from_preset(preset);
  if (o.jitter_latency > 0 || o.jitter_stall > 0) {
    if (o.seed == 0) throw std::invalid_argument("memory jitter needs a nonzero --seed (its jitter_seed)");
    cfg.params.hbm.jitter_seed = o.seed;
    cfg.params.hbm.jitter_max_extra_latency = static_cast<cm::Cycle>(o.jitter_latency);
    cfg.params.hbm.jitter_stall_percent = o.jitter_stall;
  }
  cfg.params.hbm.validate();
  cfg.wave = o.wave;
  if (!o.wave.empty()) {
    std::ofstream probe(o.wave, std::ios::binary | std::ios::trunc);
    if (!probe) throw std::invalid_argument(fmt::format("cannot write the waveform file {}", o.wave));
  }
  cfg.axilite_seed = o.seed;

  Workload w;
  w.from_trace = trace_mode;
  if (trace_mode) {
    w.trace = st::read_official_trace(o.trace);
    if (o.first_row >= w.trace.rows.size())
      throw std::invalid_argument(fmt::format("--first-row {} is past the last row of {} ({} rows)", o.first_row,
                                              o.trace, w.trace.rows.size()));
    w.first = o.first_row;
    w.rows = std::min(o.max_rows, w.trace.rows.size() - o.first_row);
    w.jobs = w.rows;
    // every row is checked before anything runs: a bad one is bad input (exit 2)
    std::size_t skipped = 0;
    for (std::size_t i = w.first; i < w.first + w.rows; ++i) {
      const st::TraceRow& r = w.trace.rows[i];
      const std::string bad = co::kernel_shape_problem(static_cast<int>(std::min<std::uint32_t>(r.sentence_length_L, 1u << 30)),
                                                       static_cast<int>(std::min<std::uint32_t>(r.key_fetch_num, 1u << 30)),
                                                       static_cast<int>(std::min<std::uint32_t>(r.embedding_length_D, 1u << 30)));
      if (bad.empty()) continue;
      if (!o.skip_unsupported) throw std::invalid_argument(fmt::format("{}:{}: {}", w.trace.origin, r.line, bad));
      if (w.skipped.empty()) w.skipped = fmt::format("{}:{}: {}", w.trace.origin, r.line, bad);
      ++skipped;
    }
    if (skipped == w.rows)
      throw std::invalid_argument(fmt::format("no row of {} in {}..{} can run on the RTL kernel; the first: {}", o.trace,
                                              w.first, w.first + w.rows - 1, w.skipped));
    if (skipped > 0) w.skipped = fmt::format("{} of {} rows; the first: {}", skipped, w.rows, w.skipped);
    w.echo = json{{"kind", "trace"},
                  {"file", o.trace},
                  {"first_row", w.first},
                  {"rows", w.rows},
                  {"rows_in_file", w.trace.rows.size()},
                  {"max_rows", o.max_rows}};
  } else {
    if (o.head_dim > 0) {
      if (const std::string bad = co::kernel_shape_problem(std::max(o.tokens, 1), 1, o.head_dim); !bad.empty())
        throw std::invalid_argument("--head-dim: " + bad);
    }
    w.jobs = static_cast<std::size_t>(o.jobs);
    w.echo = json{{"kind", "generated"},
                  {"jobs", o.jobs},
                  {"tokens", o.tokens > 0 ? json(o.tokens) : json("30..300")},
                  {"head_dim", o.head_dim > 0 ? json(o.head_dim) : json("64/128")}};
  }
  w.calls = (w.jobs + o.calls_of - 1) / o.calls_of;
  w.echo["calls_of"] = o.calls_of;
  w.echo["calls"] = w.calls;
  w.echo["seed"] = o.seed;

  tool::ProgressLine progress(kTool, !o.quiet);
  co::CosimTotals t;
  try {
    t = co::with_kernel(o.preset, [&]<class Model>() { return run_model<Model>(cfg, o, w, progress); });
  } catch (...) {
    progress.finish();
    throw;
  }
  progress.finish();

  Outcome out;
  out.agree = t.agree();
  const double rtl_cps = t.cycles_per_second();
  json rec;
  rec["tool"] = kTool;
  rec["preset"] = o.preset;
  rec["workload"] = w.echo;
  rec["memory"] = json{{"jitter_seed", cfg.params.hbm.jitter_seed},
                       {"jitter_max_extra_latency", cfg.params.hbm.jitter_max_extra_latency},
                       {"jitter_stall_percent", cfg.params.hbm.jitter_stall_percent}};
  rec["jobs"] = t.jobs;
  rec["calls"] = t.calls;
  rec["progressive_jobs"] = t.progressive_jobs;
  rec["refetched_jobs"] = t.refetched_jobs;
  rec["value_pruned_jobs"] = t.value_pruned_jobs;
  rec["decision_jobs"] = t.decision_jobs;
  rec["agree"] = t.agree();
  rec["divergence"] = t.agree() ? json(nullptr)
                                : json{{"call", t.divergent_call},
                                       {"first_job", t.divergent_first_job},
                                       {"jobs", t.divergent_jobs},
                                       {"message", t.divergence},
                                       {"reproduce", reproduce(o, w, t)}};
  rec["rtl_cycles"] = t.rtl_cycles;
  rec["clocked_cycles"] = t.clocked_cycles;
  rec["checked_cycles"] = t.checked_cycles;
  rec["cmodel_cycles"] = t.cmodel_cycles;
  rec["rtl_cpu_seconds"] = t.rtl_cpu_seconds;
  rec["wall_seconds"] = json{{"rtl", t.rtl_seconds},
                             {"cmodel", t.cmodel_seconds},
                             {"golden", t.golden_seconds},
                             {"setup", t.setup_seconds},
                             {"total", progress.elapsed()}};
  rec["cycles_per_second"] = rtl_cps;
  rec["dram_bytes"] = bytes_json(t.rtl_bytes);
  rec["cmodel_dram_bytes"] = bytes_json(t.cmodel_bytes);
  if (!w.skipped.empty()) rec["skipped"] = w.skipped;
  out.record = rec;

  std::ostringstream s;
  if (w.from_trace)
    s << fmt::format("{}: {} on {}, rows {}..{} ({} jobs in {} call{} of up to {}), seed {}{}\n", kTool, o.preset,
                     o.trace, w.first, w.first + w.rows - 1, w.jobs, w.calls, w.calls == 1 ? "" : "s", o.calls_of,
                     o.seed, jitter_args(o));
  else
    s << fmt::format("{}: {} on the generated mix ({} jobs in {} call{} of up to {}), seed {}{}\n", kTool, o.preset,
                     w.jobs, w.calls, w.calls == 1 ? "" : "s", o.calls_of, o.seed, jitter_args(o));
  if (!w.skipped.empty()) s << "skipped:      rows the RTL kernel cannot run: " << w.skipped << "\n";
  if (t.agree()) {
    s << fmt::format("agree: {} jobs, outputs bit-exact with golden, {} cycles equal\n", t.jobs, t.checked_cycles);
  } else {
    out.divergence_line = fmt::format("call {} (jobs {}..{}): {}", t.divergent_call, t.divergent_first_job,
                                      t.divergent_first_job + t.divergent_jobs - 1, t.divergence);
    s << "DIVERGED in " << out.divergence_line << "\n";
    for (const std::string& line : reproduce(o, w, t)) s << "reproduce:    " << line << "\n";
  }
  s << fmt::format("jobs run:     {} ({} progressive, {} with LSB refetch, {} value-pruned, {} cascade decisions)\n",
                   t.jobs, t.progressive_jobs, t.refetched_jobs, t.value_pruned_jobs, t.decision_jobs);
  s << fmt::format("RTL kernel:   {} cycles ({} clocked with the AXI-Lite accesses and drains) in {:.3f} s, "
                   "{:.1f} kcycles/s\n",
                   t.rtl_cycles, t.clocked_cycles, t.rtl_seconds, rtl_cps / 1e3);
  s << fmt::format("cycle model:  {} cycles in {:.3f} s (golden {:.3f} s, workload set-up {:.3f} s)\n", t.cmodel_cycles,
                   t.cmodel_seconds, t.golden_seconds, t.setup_seconds);
  s << "DRAM bytes:  ";
  for (std::size_t k = 0; k < cm::kDramKinds; ++k)
    s << " " << cm::dram_kind_name(static_cast<cm::DramKind>(k)) << " " << t.rtl_bytes[k];
  s << "\n";
  if (!o.wave.empty()) s << "waveform:     " << o.wave << "\n";
  out.summary = s.str();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "spatten-cosim: runs head jobs through the verilated RTL kernel and the cycle model, checks outputs against "
      "golden and phase boundaries, DRAM requests and cycles against the cycle model, and reports agreement and "
      "simulation speed."};
  app.footer(
      "With no arguments: the generated mix, 8 jobs (dense, value-pruned, progressive with and without LSB refetch; "
      "head_dim 64 and 128; 30..300 live tokens) on spatten-1-8, seed 1.\n"
      "Exit status: 0 the RTL agreed on every job; 1 a divergence (reported with the command lines that reproduce it), "
      "the JSON record could not be written, or an internal error; 2 bad input or command line (one "
      "'spatten-cosim: error: ...' line).");
  app.add_option("--preset", o.preset, "verilated kernel: spatten-1-8 or alveo-u55c")->capture_default_str();
  CLI::Option* trace_opt = app.add_option("--trace", o.trace, "official SpAtten CSV trace (one head job per row)");
  CLI::Option* rows_opt =
      app.add_option("--max-rows", o.max_rows, "trace rows to run (1 ..; more than the trace has: all)")
          ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40))
          ->capture_default_str();
  CLI::Option* first_opt =
      app.add_option("--first-row", o.first_row, "first trace row to run (0-based)")->capture_default_str();
  CLI::Option* skip_opt =
      app.add_flag("--skip-unsupported", o.skip_unsupported,
                   "skip trace rows the RTL kernel cannot run (head_dim not a power of two in 16..128) instead of failing");
  CLI::Option* jobs_opt =
      app.add_option("--jobs", o.jobs, "generated jobs")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  CLI::Option* tokens_opt =
      app.add_option("--tokens", o.tokens, "cache rows of every generated job (default: 30..300, varying)")
          ->check(CLI::Range(1, 32768));
  CLI::Option* hd_opt = app.add_option("--head-dim", o.head_dim,
                                       "head_dim of every generated job: 16, 32, 64 or 128 (default: 64 and 128 alternating)")
                            ->check(CLI::Range(1, 1 << 20));
  CLI::Option* cascade_opt = app.add_flag(
      "--cascade", o.cascade,
      "generated mix: every head job adds its probabilities to the token importance (the first of a call clears it) "
      "and every fourth is followed by a cascade token decision over its live list");
  app.add_option("--seed", o.seed, "seed of the data (and of the memory jitter)")->capture_default_str();
  app.add_option("--calls-of", o.calls_of, "jobs per kernel call (one memory image and ap_start each)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--jitter-latency", o.jitter_latency,
                 "HBM jitter: extra latency per transaction, uniform in 0..N cycles (both models)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 20))
      ->capture_default_str();
  app.add_option("--jitter-stall", o.jitter_stall,
                 "HBM jitter: percent of cycles a port refuses requests, 0..90 (both models)")
      ->check(CLI::Range(0, 90))
      ->capture_default_str();
  app.add_option("--wave", o.wave, "write an FST waveform of the whole RTL run to this file");
  app.add_option("--json", o.json_path, "write the JSON record to this file ('-': stdout)");
  app.add_flag("-q,--quiet", o.quiet, "no summary and no progress line");
  for (CLI::Option* g : {jobs_opt, tokens_opt, hd_opt, cascade_opt}) trace_opt->excludes(g);
  for (CLI::Option* t : {rows_opt, first_opt, skip_opt}) t->needs(trace_opt);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, std::string(e.what()) + " (try --help)");
  }
  if (trace_opt->count() > 0 && o.trace.empty()) return fail(2, "--trace needs a file name");
  const bool trace_mode = trace_opt->count() > 0;
  try {
    const Outcome out = run(o, trace_mode);
    if (!o.json_path.empty()) tool::write_json_record(o.json_path, out.record);
    if (!o.quiet)
      (o.json_path == "-" ? std::cerr : std::cout) << out.summary << std::flush;
    else if (!out.agree)
      fail(1, out.divergence_line, "diverged");
    return out.agree ? 0 : 1;
  } catch (const sm::PresetError& e) {
    return fail(2, e.what());
  } catch (const st::TraceError& e) {
    return fail(2, e.what());
  } catch (const std::invalid_argument& e) {
    return fail(2, e.what());
  } catch (const tool::OutputError& e) {
    return fail(1, e.what());
  } catch (const std::exception& e) {
    return fail(1, e.what(), "internal error");
  }
}
