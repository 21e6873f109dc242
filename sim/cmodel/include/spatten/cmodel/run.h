// spatten/cmodel/run.h — what a cycle-model run takes and returns.
//
// The accelerator (accelerator.h) runs head jobs and cascade decisions through
// its clocked units; the drivers (drivers.h) build jobs from an official trace
// or from synthetic data with a pruning policy; a RunResult collects cycles,
// DRAM bytes by kind, per-unit busy/stall cycles and the operation counts the
// energy model (energy.h) prices.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "spatten/cmodel/clock.h"
#include "spatten/cmodel/hbm_memory.h"

namespace spatten::cmodel {

/// Hardware parameters of one accelerator preset, as the cycle model uses them
/// (models::AcceleratorPreset::hardware plus the derived HBM configuration).
struct AccelParams {
  std::string preset;            ///< preset name, echoed in reports
  int clock_mhz = 1000;
  int qk_multipliers = 64;       ///< Q·K multipliers
  int pv_multipliers = 64;       ///< prob·V multipliers
  int qk_adder_tree_latency = 8; ///< cycles from taking a row to its result (multiplies, adder tree, scaling);
                                 ///< at least ceil(max_head_dim / multipliers) + 3 (hw/rtl/qk_unit.sv)
  int topk_parallelism = 16;     ///< comparators of the top-k engine; also the softmax/importance lanes
  int key_buffer_lines = 2048;
  std::int64_t key_sram_bytes = 0;
  std::int64_t value_sram_bytes = 0;
  HbmConfig hbm;
};

/// Work counted for the energy model: each is the number of hardware
/// operations of that kind the run performed.
struct OpCounts {
  std::uint64_t qk_macs = 0;            ///< Q·K multiply-accumulates (q_bits x k_bits)
  std::uint64_t pv_macs = 0;            ///< prob·V multiply-accumulates
  std::uint64_t exp_ops = 0;            ///< softmax exponentials
  std::uint64_t divisions = 0;          ///< softmax reciprocals (one per row)
  std::uint64_t prob_multiplies = 0;    ///< softmax normalizations
  std::uint64_t topk_comparisons = 0;   ///< top-k engine comparator operations
  std::uint64_t importance_adds = 0;    ///< token/head importance accumulations
  std::uint64_t key_sram_read_bytes = 0;
  std::uint64_t key_sram_write_bytes = 0;
  std::uint64_t value_sram_read_bytes = 0;
  std::uint64_t value_sram_write_bytes = 0;
};

struct UnitReport {
  std::string name;
  std::uint64_t busy_cycles = 0;
  std::uint64_t stall_cycles = 0;
};

struct RunResult {
  Cycle cycles = 0;
  double seconds = 0.0;  ///< cycles at the preset clock
  std::array<std::uint64_t, kDramKinds> dram_read{};
  std::array<std::uint64_t, kDramKinds> dram_written{};
  std::uint64_t dram_total = 0;
  double hbm_utilization = 0.0;  ///< dram_total / (cycles * peak bytes per cycle)
  std::vector<UnitReport> units;
  OpCounts ops;
  // workload facts
  std::uint64_t head_jobs = 0;
  std::uint64_t requant_rows = 0;
  std::uint64_t keys_fetched = 0;
  std::uint64_t values_fetched = 0;
  std::uint64_t token_topk_events = 0;
  std::uint64_t head_topk_events = 0;
};

}  // namespace spatten::cmodel
