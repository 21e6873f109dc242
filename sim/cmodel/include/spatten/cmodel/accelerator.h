// spatten/cmodel/accelerator.h — the clocked units of the accelerator and the
// head-job / cascade-decision sequencing. Values come from the golden model
// (hls/include/spatten): every unit calls the golden function for its step, so
// a head job's output equals golden::attend_head bit for bit.
//
// One head job (one query head over one (layer, KV head) cache) goes through
// these phases; the job controller starts the next phase when the previous one
// reports done, one job at a time:
//
//   descriptor  job_controller reads the 64-byte descriptor (kind meta), then
//               the query (ceil(D*q_bits/8) bytes, padded to transactions,
//               kind q: its address is in the descriptor) on its memory port.
//   key pass    key_fetcher streams K rows of the live tokens (first pass:
//               also the live-token list, 4 bytes per id, kind meta) over
//               `hbm.channels` memory ports, one request per port per cycle,
//               issuing row i only once its id has arrived and while the key
//               buffer has room for it (key_buffer_rows rows in flight or
//               waiting). qk_unit consumes arrived rows in order:
//               max(1, M/Dmax) rows per cycle (the multipliers form M/Dmax
//               row slots of Dmax = max_head_dim words), one row every
//               ceil(D/M) cycles when M < D; each score reaches the softmax
//               unit qk_adder_tree_latency cycles after its row was taken.
//   softmax     softmax_unit collects the n scores (up to P per cycle, P =
//               topk_parallelism lanes), then: exponent pass ceil(n/P) +
//               kExpLatency cycles, reciprocal kDividerCycles, normalize pass
//               ceil(n/P) + kNormalizeLatency cycles (token importance adds
//               ride along), requant decision kDecisionCycles.
//   requant     when the row is flat (golden::needs_lsb_refetch, or the
//               trace's if_requant), a second key pass fetches the LSB plane
//               (and the MSB plane again unless all n rows fit the key
//               buffer, which then still holds them) and the softmax reruns.
//   value top-k when value_keep < n, topk_engine runs golden::topk_quickselect:
//               sum over passes of (ceil(m/P) + kTopkPassOverhead) cycles plus
//               an output pass of ceil(n/P) + kTopkPassOverhead.
//   value pass  value_fetcher streams the kept V rows (MSB plane, plus the LSB
//               plane when the job uses exact V), credit-limited by the value
//               buffer; pv_unit consumes them at the Q·K unit's rate with
//               pv_multipliers and finishes qk_adder_tree_latency cycles after
//               the last row.
//   output      job_controller writes D 32-bit output words (kind out) and,
//               when the job has a status address, the 16-byte status record
//               (kind out), and waits for the write responses.
//
// Memory ports: the key and value fetchers share hbm.channels lanes; the job
// controller has one port. Every port is transaction_bytes wide (a read
// response of B bytes takes B / transaction_bytes beats, hbm_memory.h) and
// sends requests through one request slot (units.h RequestSlot, the RTL's
// AR/AW register); a lane has at most hbm.max_outstanding requests awaiting
// responses.
//
// A cascade decision (token or head top-k between layers) runs on the same
// topk_engine (cycles from the decision's TopkStats) and writes the new live
// list (4 bytes per kept id, kind meta): run_cascade_topk, the trace-driven
// runs' model, in which token importance rides along the normalize pass.
//
// The kernel's token importance (models/kernel/spatten-kernel.yaml): an
// on-chip memory of max_context uint64 words in rows of P = topk_parallelism
// words (row t / P), one row read and one row written per cycle, kept from
// job to job and call to call. A pass over a live list goes through it in
// aligned groups of P positions (the softmax's rows), one cycle per distinct
// row among a group's ids (importance_row_cycles: about n / P on a dense
// list, up to n on a sparse one):
//
//   clear       (flag clear_importance, either job kind) right after the
//               descriptor: ceil(max_context / P) cycles, a row per cycle.
//   accumulate  (head job flag) after the prob·V unit's done, before the
//               output: importance[live[i]] += prob[i] (the final row),
//               importance_row_cycles + kImportanceLatency cycles.
//   decision    (run_decision, flag decide) descriptor; [clear]; one cycle
//               (the controller latches the job); live: the key fetcher
//               reads the live list only (all chunks over the lanes, no
//               rows); gather: the unprotected ids' importance, compacted,
//               into the top-k engine's rows, importance_row_cycles +
//               kGatherLatency; top-k: topk_cycles of the decision's stats
//               (golden::prune_tokens, lanes P; none when it has no choice
//               to make); emit: the kept ids in order, ceil(n / P) +
//               kEmitLatency cycles; output: the kept ids (4 bytes each,
//               whole transactions, one request per 4 KiB page the range
//               touches: an AXI burst may not cross 4 KiB; kind out, the
//               buffer they go to) and
//               the status record; the data goes first (a beat per cycle
//               from the phase's second cycle) and each request is offered
//               from the cycle after its last beat.
//
// DRAM rows are padded to whole transactions: a row of D words of b bits
// occupies round_up(ceil(D*b/8), transaction_bytes) bytes (row_bytes()).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "spatten/cmodel/clock.h"
#include "spatten/cmodel/hbm_memory.h"
#include "spatten/cmodel/run.h"
#include "spatten/cmodel/simulator.h"
#include "spatten/cmodel/units.h"
#include "spatten/config/spatten-1-8.h"
#include "spatten/golden.h"

namespace spatten::cmodel {

/// The numerics the cycle model computes values with. Every shipped preset
/// shares them; params_from_preset() rejects a preset whose numerics differ.
using ValueConfig = config::spatten_1_8;

inline constexpr std::uint32_t kDescriptorBytes = 64;
inline constexpr std::uint32_t kOutputWordBytes = 4;
inline constexpr std::uint32_t kStatusBytes = 32;  ///< the RTL kernel writes its status record as one 32-byte beat (4 words + 4 reserved)
inline constexpr Cycle kExpLatency = 4;         ///< exponent pipeline depth (table + interpolation + shift)
inline constexpr Cycle kDividerCycles = 32;     ///< radix-4 62-bit reciprocal, one per row
inline constexpr Cycle kNormalizeLatency = 2;   ///< multiply + shift
inline constexpr Cycle kDecisionCycles = 1;     ///< requant comparison
inline constexpr Cycle kTopkPassOverhead = 3;   ///< per pass: pivot read, FIFO drain (the release's ceil(n/P)+3)
inline constexpr Cycle kImportanceLatency = 2;  ///< accumulate: the group's ids read, then each row's read-add-write
inline constexpr Cycle kGatherLatency = 3;      ///< the same, plus the last partial candidate row's write
inline constexpr Cycle kEmitLatency = 2;        ///< the group's ids read; the last partial row of kept ids
inline constexpr Cycle kDecisionSetupCycles = 1;  ///< the controller latches a decision job
inline constexpr std::uint64_t kBurstPageBytes = 4096;  ///< an AXI burst may not cross 4 KiB

/// Cycles of one pass of a live list through the importance memory (rows of
/// P words): per aligned group of P positions, one per distinct row id / P
/// (the ids ascend, so a row's ids are adjacent).
std::uint64_t importance_row_cycles(const int* live, int n, int P);

/// Bytes of one padded DRAM row of `words` words of `bits` bits.
std::uint32_t row_bytes(int words, int bits, int transaction_bytes);

/// One head job as the job controller receives it.
struct HeadJobSpec {
  int n = 0;
  int head_dim = 0;
  golden::ScoreScale scale{0, 0};
  bool progressive = false;
  std::uint32_t requant_threshold_q16 = 0;
  int value_keep = 0;
  bool accumulate = false;        ///< add the final probabilities to the token importance
  bool clear_importance = false;  ///< zero the token importance after the descriptor
  std::optional<bool> forced_requant;  ///< trace-driven: the trace's decision replaces the computed one
  // DRAM formats of the fetch, in bits per word (a trace row may fetch fewer
  // bits than the value format; data-driven jobs use the preset's numerics)
  int q_bits = ValueConfig::q_bits;
  int k_msb_bits = ValueConfig::k_msb_bits;
  int k_lsb_bits = ValueConfig::k_lsb_bits;
  int v_msb_bits = ValueConfig::v_msb_bits;
  int v_lsb_bits = ValueConfig::v_lsb_bits;
  // data (values) and their device addresses
  const std::int32_t* q = nullptr;
  golden::KvPlanes kv{nullptr, nullptr, nullptr, nullptr};
  const int* live = nullptr;  ///< n token ids, ascending
  std::uint64_t desc_addr = 0, q_addr = 0, live_addr = 0, out_addr = 0;
  std::optional<std::uint64_t> status_addr;  ///< the kernel writes a status record here (kStatusBytes, kind out)
  std::uint64_t k_msb_base = 0, k_lsb_base = 0, v_msb_base = 0, v_lsb_base = 0;
};

struct HeadJobOutcome {
  std::vector<std::int32_t> out;
  std::vector<std::uint32_t> prob;  ///< final probabilities by live position
  golden::HeadResult result;
  std::vector<int> value_sel;       ///< kept V positions
  Cycle start = 0, end = 0;
  /// Phase boundaries (the cycles the RTL's job controller and units mark,
  /// hw/rtl/job_controller.sv; kNever where the phase did not happen):
  /// the first cycle of each key pass, the softmax's done cycle of each, the
  /// value top-k's first and last cycle, the value pass's first cycle and the
  /// prob·V unit's done cycle (both only when a row is kept).
  Cycle key_start[2] = {kNever, kNever};
  Cycle softmax_done[2] = {kNever, kNever};
  Cycle topk_start = kNever, topk_done = kNever;
  Cycle value_start = kNever, pv_done = kNever;
  Cycle accumulate_start = kNever, accumulate_done = kNever;  ///< accumulate jobs
};

/// One cascade token decision as the job controller receives it (flag decide).
struct DecisionJobSpec {
  int n = 0;                 ///< live ids in the list
  int keep = 0;              ///< value_keep: ids kept, the protected ones included
  int context_len = 0, sink_tokens = 0, recent_tokens = 0;
  bool clear_importance = false;
  const int* live = nullptr;  ///< n ascending token ids
  std::uint64_t desc_addr = 0, live_addr = 0, out_addr = 0;
  std::optional<std::uint64_t> status_addr;
};

struct DecisionOutcome {
  std::vector<int> kept;     ///< golden::prune_tokens over the importance memory
  golden::TopkStats stats;   ///< of the decision's quick-select (lanes P)
  Cycle start = 0, end = 0;
  /// Phase boundaries (first cycle of each; kNever where it did not happen).
  Cycle live_start = kNever, gather_start = kNever, topk_start = kNever, emit_start = kNever, output_start = kNever;
};

/// A cascade decision to time: the engine's stats for it and the ids written back.
struct TopkJobSpec {
  golden::TopkStats stats;     ///< from golden prune_tokens/prune_heads (lanes = P)
  int kept = 0;                ///< ids written back
  std::uint64_t live_addr = 0;
};

class Accelerator {
 public:
  Accelerator(const AccelParams& params, bool skip_idle);
  ~Accelerator();
  Accelerator(const Accelerator&) = delete;
  Accelerator& operator=(const Accelerator&) = delete;

  /// Runs one head job to completion; the clock keeps running across jobs.
  HeadJobOutcome run_head(const HeadJobSpec& job);
  /// Times one cascade decision on the top-k engine plus the live-list write.
  void run_cascade_topk(const TopkJobSpec& job);
  /// Runs one cascade token decision job to completion (the kernel's decide flag).
  DecisionOutcome run_decision(const DecisionJobSpec& job);
  /// The token importance memory (max_context words), as the jobs left it.
  const std::vector<std::uint64_t>& token_importance() const;
  /// Loads the memory as earlier calls left it (on a fresh model that goes on
  /// where another stopped); `words` must have max_context entries.
  void set_token_importance(const std::vector<std::uint64_t>& words);

  Cycle now() const;
  const AccelParams& params() const { return params_; }
  /// The memory every unit talks to (for its request log and counters).
  HbmMemory& memory();
  /// Cycles, DRAM bytes, per-unit counters and op counts so far.
  void fill(RunResult& r) const;

  /// Top-k engine cycles of a run with these stats (0 when the engine is
  /// bypassed: stats.passes == 0): beats + passes * kTopkPassOverhead +
  /// ceil(candidates / lanes) + kTopkPassOverhead.
  static Cycle topk_cycles(const golden::TopkStats& stats);

 private:
  struct Units;
  AccelParams params_;
  std::unique_ptr<Units> u_;
};

}  // namespace spatten::cmodel
