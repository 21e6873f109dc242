// spatten/cmodel/drivers.h — whole runs of the cycle model.
//
// Trace-driven: one official SpAtten CSV row is one head job. The row gives
// the live keys (key_fetch_num), value rows (value_fetch_num), the head
// dimension, the key/value bit widths of the fetch, and whether the row needed
// the LSB refetch (if_requant, forced rather than computed); the data (K, V, Q)
// is synthesized from the seed. A row with if_topk runs a timed cascade token
// top-k keeping `topk` tokens after it. See sim/cmodel/README.md for the
// column-to-job mapping.
//
// Data-driven: an LLM shape, a pruning policy and synthetic peaked attention
// data; the golden cascade decides the live tokens/heads, value rows and
// requant rows, and every head job and cascade decision is timed.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "spatten/cmodel/run.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"

namespace spatten::cmodel {

/// Called now and then during long runs with (work done, work total).
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// The hardware parameters of a preset. Throws models::PresetError when the
/// preset's numerics are not those the cycle model was compiled for (the
/// message lists the compiled ones).
AccelParams params_from_preset(const models::AcceleratorPreset& preset);

struct TraceRunOptions {
  bool skip_idle = true;
  std::uint64_t seed = 1;
  std::size_t max_rows = 0;  ///< 0: every row
};

/// Runs an official trace. Throws std::invalid_argument (one line, naming the
/// file, line and column) when a row contradicts the preset: head dimension
/// above max_head_dim, more keys than the preset's max_context, ...
RunResult run_trace(const AccelParams& params, const models::AcceleratorPreset& preset, const trace::Trace& trace,
                    const TraceRunOptions& options, const ProgressFn& progress = {});

struct DecodeRunOptions {
  models::LlmShape model;
  models::PruningPolicy policy;
  int prompt = 993;
  int steps = 32;
  std::uint64_t seed = 1;
  bool skip_idle = true;
};

/// Runs decode steps of a model under a policy. Throws std::invalid_argument
/// when the model does not fit the preset (context, head dimension, heads).
RunResult run_decode(const AccelParams& params, const models::AcceleratorPreset& preset,
                     const DecodeRunOptions& options, const ProgressFn& progress = {});

}  // namespace spatten::cmodel
