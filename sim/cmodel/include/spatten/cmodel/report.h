// spatten/cmodel/report.h — the JSON record of a cycle-model run and its
// terminal summary.
//
// Record fields (to_json; integers are JSON integers, the rest doubles):
//   record_version    kRecordVersion
//   cycles            total cycles (integer)
//   seconds           cycles at the preset clock
//   dram_bytes        {total, k_msb, k_lsb, v, q, out, meta}: read + written per kind;
//                     total = RunResult::dram_total (equal to the sum of the kinds
//                     for a consistent run)
//   dram_bytes_read, dram_bytes_written   {total, k_msb, ..., meta}
//   hbm_utilization   bytes moved / (cycles x peak bytes per cycle)
//   busy_cycles, stall_cycles             {unit name: cycles}; a unit name seen
//                     twice gets "#2", "#3", ... appended
//   energy_pj         {total, qk_multipliers, pv_multipliers, softmax, topk_engine,
//                     importance, key_sram, value_sram, dram}
//   energy            {table, node_nm, note, softmax_pj {exp, divide, normalize},
//                     rates_pj {per-operation energies}, widths_bits {...}}
//   ops               the OpCounts, one integer per field (same names)
//   facts             {head_jobs, requant_rows, keys_fetched, values_fetched,
//                     token_topk_events, head_topk_events}
//   config, workload  the caller's echoes, copied verbatim
// text_summary() reads only this record (so it also renders a saved file).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "spatten/cmodel/energy.h"
#include "spatten/cmodel/run.h"

namespace spatten::cmodel {

/// Bumped when a field changes meaning or disappears (adding fields does not).
inline constexpr int kRecordVersion = 1;

nlohmann::json to_json(const RunResult& run, const EnergyBreakdown& energy, const nlohmann::json& config_echo,
                       const nlohmann::json& workload_echo);

/// A multi-line summary for the terminal: workload and preset (from the echoes,
/// when they carry the usual keys), cycles and time at the clock, DRAM bytes by
/// kind with percentages, HBM utilization, energy by component with
/// percentages, and the busiest units. Missing fields are skipped, never an
/// error. Ends with a newline.
std::string text_summary(const nlohmann::json& record);

}  // namespace spatten::cmodel
