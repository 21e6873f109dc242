// spatten-sim: runs the cycle-accurate model of the accelerator (sim/cmodel)
// and reports cycles, DRAM bytes by kind, per-unit busy/stall cycles and
// energy by component, as a terminal summary and a JSON record (report.h).
//
// Two kinds of run:
//   trace-driven  --trace FILE: an official SpAtten CSV trace, one row per head
//                 job (drivers.h documents the mapping; --max-rows N runs the
//                 first N rows);
//   data-driven   --model NAME --context N --steps N --policy NAME: decode steps
//                 of an LLM shape on synthetic peaked attention data, the
//                 pruning decided by the golden cascade under the policy.
// With no arguments it runs the built-in default: a GPT-2-small decode (model
// gpt2-small, policy spatten-gpt2-per8, 993 prompt tokens, 32 decode steps,
// preset spatten-1-8, energy table horowitz-45nm, seed 1) and prints the
// summary.
//
// Runs longer than a second show a progress line on stderr when it is a
// terminal ('\r'-updated, erased at the end); --quiet turns it and the summary
// off. With --json - the record goes to stdout and the summary to stderr.
//
// Exit status: 0 success; 1 the JSON record could not be written, or an
// internal error of the model; 2 bad input or command line: unknown preset,
// missing or malformed file, a trace or model that does not fit the preset.
// Every error is one "spatten-sim: error: ..." line on stderr, and a failed run
// never leaves a JSON file behind (the record is written to a temporary file
// next to the target and renamed once complete).
#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

// GCC 12 reports a false -Wnull-dereference inside CLI11's string helpers
// (std::vector<std::string> growth inlined into CLI::detail::split).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "spatten/cmodel/drivers.h"
#include "spatten/cmodel/energy.h"
#include "spatten/cmodel/report.h"
#include "spatten/cmodel/tool_io.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"

namespace {

namespace cm = spatten::cmodel;
namespace sm = spatten::models;
namespace st = spatten::trace;
using nlohmann::json;
namespace tool = spatten::cmodel::tool;

constexpr const char* kTool = "spatten-sim";

struct Options {
  std::string preset = "spatten-1-8";
  std::string trace;
  std::string model = "gpt2-small";
  std::string policy = "spatten-gpt2-per8";
  int context = 993;
  int steps = 32;
  std::string energy = "horowitz-45nm";
  std::uint64_t seed = 1;
  std::size_t max_rows = 0;
  bool no_skip = false;
  std::string json_path;
  bool quiet = false;
};

int fail(int status, const std::string& what, const char* kind = "error") {
  std::cerr << kTool << ": " << kind << ": " << tool::one_line(what) << "\n";
  return status;
}

json config_echo(const sm::AcceleratorPreset& p, const cm::AccelParams& a, const sm::EnergyTable& e,
                 const Options& o) {
  const sm::Numerics& n = p.numerics;
  return json{{"preset", p.name},
              {"preset_origin", p.origin},
              {"clock_mhz", a.clock_mhz},
              {"qk_multipliers", a.qk_multipliers},
              {"pv_multipliers", a.pv_multipliers},
              {"qk_adder_tree_latency", a.qk_adder_tree_latency},
              {"topk_parallelism", a.topk_parallelism},
              {"key_buffer_lines", a.key_buffer_lines},
              {"key_sram_bytes", a.key_sram_bytes},
              {"value_sram_bytes", a.value_sram_bytes},
              {"hbm",
               {{"channels", a.hbm.channels},
                {"bytes_per_cycle_per_channel", a.hbm.bytes_per_cycle},
                {"latency_cycles", a.hbm.latency_cycles},
                {"max_outstanding", a.hbm.max_outstanding},
                {"transaction_bytes", a.hbm.transaction_bytes},
                {"interleave_bytes", a.hbm.interleave_bytes}}},
              {"numerics",
               {{"q_bits", n.q_bits},
                {"k_msb_bits", n.k_msb_bits},
                {"k_lsb_bits", n.k_lsb_bits},
                {"v_msb_bits", n.v_msb_bits},
                {"v_lsb_bits", n.v_lsb_bits},
                {"logit_frac_bits", n.logit_frac_bits},
                {"prob_frac_bits", n.prob_frac_bits},
                {"out_frac_bits", n.out_frac_bits}}},
              {"energy_table", e.name},
              {"energy_origin", e.origin},
              {"skip_idle", !o.no_skip},
              {"seed", o.seed}};
}

json run(const Options& o, bool trace_mode) {
  const sm::AcceleratorPreset preset = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, o.preset));
  const sm::EnergyTable table = sm::load_energy(sm::find_preset(sm::PresetKind::energy, o.energy));
  const cm::AccelParams params = cm::params_from_preset(preset);

  tool::ProgressLine progress(kTool, !o.quiet);
  const cm::ProgressFn on_progress = [&progress](std::uint64_t done, std::uint64_t total) {
    if (!progress.due() && done < total) return;
    const double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
    progress.show(fmt::format("{:5.1f}% ({}/{}) {:.1f} s", pct, done, total, progress.elapsed()), done >= total);
  };
  cm::RunResult result;
  json workload;
  if (trace_mode) {
    const st::Trace trace = st::read_official_trace(o.trace);
    cm::TraceRunOptions opt;
    opt.skip_idle = !o.no_skip;
    opt.seed = o.seed;
    opt.max_rows = o.max_rows;
    const std::size_t rows =
        o.max_rows > 0 && o.max_rows < trace.rows.size() ? o.max_rows : trace.rows.size();
    workload = json{{"kind", "trace"},
                    {"file", o.trace},
                    {"rows", rows},
                    {"rows_in_file", trace.rows.size()},
                    {"max_rows", o.max_rows},
                    {"iterations", trace.num_iterations},
                    {"layers", trace.num_layers},
                    {"max_heads_per_layer", trace.max_heads_per_layer}};
    try {
      result = cm::run_trace(params, preset, trace, opt, on_progress);
    } catch (...) {
      progress.finish();
      throw;
    }
  } else {
    cm::DecodeRunOptions opt;
    opt.model = sm::load_llm(sm::find_preset(sm::PresetKind::llm, o.model));
    opt.policy = sm::load_policy(sm::find_preset(sm::PresetKind::policy, o.policy));
    opt.prompt = o.context;
    opt.steps = o.steps;
    opt.seed = o.seed;
    opt.skip_idle = !o.no_skip;
    workload = json{{"kind", "decode"},
                    {"model", opt.model.name},
                    {"policy", opt.policy.name},
                    {"context", o.context},
                    {"steps", o.steps},
                    {"layers", opt.model.layers},
                    {"query_heads", opt.model.query_heads},
                    {"kv_heads", opt.model.kv_heads},
                    {"head_dim", opt.model.head_dim}};
    try {
      result = cm::run_decode(params, preset, opt, on_progress);
    } catch (...) {
      progress.finish();
      throw;
    }
  }
  progress.finish();
  const cm::EnergyBreakdown energy = cm::price(result, table, preset);
  json record = cm::to_json(result, energy, config_echo(preset, params, table, o), workload);
  record["tool"] = kTool;
  record["wall_seconds"] = progress.elapsed();
  return record;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "spatten-sim: the cycle-accurate SpAtten model. Runs an official trace (--trace) or decode steps of an LLM "
      "under a pruning policy (--model ...), and reports cycles, DRAM bytes by kind, per-unit busy/stall cycles and "
      "energy by component."};
  app.footer(
      "With no arguments: the built-in default run, a GPT-2-small decode (--model gpt2-small --policy "
      "spatten-gpt2-per8 --context 993 --steps 32 --preset spatten-1-8), printing the summary.\n"
      "Exit status: 0 success; 1 the JSON record could not be written or an internal error; 2 bad input or "
      "command line (one 'spatten-sim: error: ...' line, no JSON file).");
  app.add_option("--preset", o.preset, "accelerator preset: a name in models/accel or a YAML file")
      ->capture_default_str();
  CLI::Option* trace_opt = app.add_option("--trace", o.trace, "official SpAtten CSV trace (trace-driven run)");
  CLI::Option* model_opt =
      app.add_option("--model", o.model, "LLM shape for a data-driven run: a name in models/llm or a YAML file")
          ->capture_default_str();
  CLI::Option* context_opt = app.add_option("--context", o.context, "prompt tokens before the first decode step")
                                 ->check(CLI::Range(1, 1 << 20))
                                 ->capture_default_str();
  CLI::Option* steps_opt =
      app.add_option("--steps", o.steps, "decode steps")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  CLI::Option* policy_opt =
      app.add_option("--policy", o.policy, "pruning policy: a name in models/policy or a YAML file")
          ->capture_default_str();
  app.add_option("--energy", o.energy, "energy table: a name in models/energy or a YAML file")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the synthesized data")->capture_default_str();
  CLI::Option* rows_opt = app.add_option("--max-rows", o.max_rows, "run only the first N trace rows (0: all)");
  app.add_flag("--no-skip", o.no_skip, "tick every cycle instead of skipping idle ones (same results, slower)");
  app.add_option("--json", o.json_path, "write the JSON record to this file ('-': stdout)");
  app.add_flag("-q,--quiet", o.quiet, "no summary and no progress line");
  for (CLI::Option* d : {model_opt, context_opt, steps_opt, policy_opt}) trace_opt->excludes(d);
  rows_opt->needs(trace_opt);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, std::string(e.what()) + " (try --help)");
  }

  const bool trace_mode = !o.trace.empty() || trace_opt->count() > 0;
  if (trace_opt->count() > 0 && o.trace.empty()) return fail(2, "--trace needs a file name");
  try {
    const json record = run(o, trace_mode);
    if (!o.json_path.empty()) tool::write_json_record(o.json_path, record);
    if (!o.quiet) (o.json_path == "-" ? std::cerr : std::cout) << cm::text_summary(record) << std::flush;
    return 0;
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
