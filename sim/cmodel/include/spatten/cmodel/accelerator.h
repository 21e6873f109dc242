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
// list (4 bytes per kept id, kind meta).
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
