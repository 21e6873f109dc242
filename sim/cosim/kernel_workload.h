// Workloads of the whole-kernel co-simulation (kernel_cosim.h,
// tests/cosim/test_kernel_rtl.cpp, tools/spatten_cosim.cpp): head jobs with
// their data, laid out in device memory exactly as the kernel interface
// (models/kernel/spatten-kernel.yaml) and the RTL kernel's alignment rules
// (hw/rtl/job_controller.sv) say; the golden result of each job; and the
// cycle model's run of the same jobs with the same memory layout and timing.
//
// Layout (one call): six buffers at 4 KiB-aligned addresses, one per pointer
// argument. Each job has its own cache slice of `tokens` rows in each plane
// buffer (int16 words, row t of a slice at t * head_dim, slices a multiple of
// head_dim apart with a gap); `meta` holds the descriptors (from
// kDescOffsetWords on), then the live lists (8-word aligned), then the
// queries (head_dim-aligned); `out` holds the outputs (head_dim-aligned) and
// the status records (8-word aligned), every other word a sentinel the kernel
// must leave alone.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "axi_memory.h"
#include "spatten/attention.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/run.h"
#include "spatten/trace/official_trace.h"

namespace spatten::cosim {

using KernelCfg = cmodel::ValueConfig;

/// One head job and its data.
struct KernelJob {
  std::string kind;   ///< what the job covers (for messages)
  int tokens = 0;     ///< rows of its cache slice
  std::vector<std::int16_t> k_msb, v_msb;
  std::vector<std::uint16_t> k_lsb, v_lsb;
  std::vector<std::int32_t> q;
  std::vector<int> live;
  golden::HeadJob job;  ///< n, head_dim, scale, progressive, threshold, value_keep
  // token importance (models/kernel/spatten-kernel.yaml): a head job may add
  // its probabilities; a decision job (decide) keeps job.value_keep of its
  // live list (job.n ids) by importance and has no planes, query or output
  // words, only the kept ids; either kind may clear the importance first
  bool accumulate = false, decide = false, clear_importance = false;
  int context_len = 0, sink_tokens = 0, recent_tokens = 0;  ///< decision jobs
  golden::KvPlanes planes() const { return {k_msb.data(), k_lsb.data(), v_msb.data(), v_lsb.data()}; }
};

/// A cascade token decision over `live` (ascending ids), keeping `keep`.
KernelJob make_decision(std::string kind, std::vector<int> live, int keep, int context_len, int sink_tokens,
                        int recent_tokens, bool clear_importance = false);

/// A job of `tokens` cache rows of `head_dim` words with random K/V (normal,
/// quantized to the preset's planes), a live list keeping each token with
/// probability keep_fraction (the newest always), and a query peaked on one
/// live token by `peak` (0: random); the score scale maps the logits to
/// about `logit_spread` units.
KernelJob make_job(std::mt19937_64& rng, std::string kind, int tokens, int head_dim, double keep_fraction,
                   double peak);

/// The golden result of a job: output words (a decision: the kept ids) and
/// the status record.
struct KernelResult {
  std::vector<std::int32_t> out;
  std::uint32_t status[4] = {0, 0, 0, 0};
  bool operator==(const KernelResult&) const = default;
};
KernelResult golden_result(const KernelJob& j);  ///< a head job without importance flags
/// The golden results of a call's jobs in order, through the token importance
/// (max_context words, from earlier calls; updated).
std::vector<KernelResult> golden_results(const std::vector<KernelJob>& jobs, std::vector<std::uint64_t>& importance);

/// A device memory image of one call.
struct KernelImage {
  struct Buffer {
    std::string name;
    std::uint64_t base = 0;
    std::vector<std::uint8_t> bytes;
  };
  struct Region {
    std::uint64_t base, bytes;
    cmodel::DramKind kind;
    std::string name;
  };
  std::uint64_t k_msb = 0, k_lsb = 0, v_msb = 0, v_lsb = 0, meta = 0, out = 0;  ///< pointer arguments
  std::uint32_t num_jobs = 0;
  std::uint32_t desc_offset = 0;  ///< words
  std::vector<Buffer> buffers;
  std::vector<Region> regions;
  struct JobPlace {
    std::uint32_t k_msb_off, k_lsb_off, v_msb_off, v_lsb_off;  ///< element offsets of token 0
    std::uint32_t live_off, query_off, out_off, status_off;  ///< word offsets
  };
  std::vector<JobPlace> place;
};

inline constexpr std::uint32_t kDescOffsetWords = 16;
inline constexpr std::int32_t kOutSentinel = 0x5A5A5A5A;

/// Lays out the jobs (their head dimensions must be powers of two, 16 ..
/// max_head_dim) and writes descriptors, lists, queries and planes.
KernelImage lay_out(const std::vector<KernelJob>& jobs);

/// Copies the image into the memory (bytes and regions).
void load(AxiMemory& mem, const KernelImage& img);

/// Job i's output and status as the kernel left them in `mem`; `untouched`
/// is set false (with `why`) when a sentinel word outside every output and
/// status record changed.
KernelResult read_result(const AxiMemory& mem, const KernelImage& img, const std::vector<KernelJob>& jobs,
                         std::size_t i);
bool sentinels_intact(const AxiMemory& mem, const KernelImage& img, const std::vector<KernelJob>& jobs,
                      std::string* why);

/// The cycle model's run of the call: the same jobs at the same addresses
/// (16-bit plane words, 32-bit query words, a status write per job), on a
/// fresh Accelerator of `params` (its HBM timing, jitter included). Cycle 0 is
/// the first cycle of job 0.
struct CmodelCall {
  std::vector<cmodel::HeadJobOutcome> jobs;
  std::vector<cmodel::LoggedRequest> requests;
  cmodel::RunResult run;
};
/// `importance` (optional): the token importance the call starts from (as
/// earlier calls left it; else zero), updated to what it leaves. A decision
/// job's outcome is reported as a head job's: start, end, and the top-k
/// engine's first and last cycle when it ran.
CmodelCall run_cmodel(const cmodel::AccelParams& params, const KernelImage& img, const std::vector<KernelJob>& jobs,
                      std::vector<std::uint64_t>* importance = nullptr);

/// The cycles the RTL marked for one job, relative to X0 (kNever: not seen).
struct RtlJobEvents {
  cmodel::Cycle start = cmodel::kNever;
  cmodel::Cycle key_start[2] = {cmodel::kNever, cmodel::kNever};
  cmodel::Cycle softmax_done[2] = {cmodel::kNever, cmodel::kNever};
  cmodel::Cycle topk_start = cmodel::kNever, topk_done = cmodel::kNever;
  cmodel::Cycle value_start = cmodel::kNever, pv_done = cmodel::kNever;
};

/// What one call left behind.
struct RtlCall {
  std::vector<RtlJobEvents> jobs;
  std::vector<KernelResult> results;
  std::vector<cmodel::LoggedRequest> requests;
  cmodel::Cycle x0 = cmodel::kNever;        ///< absolute cycle of job 0's first cycle
  cmodel::Cycle done = cmodel::kNever;      ///< ap_done, relative to X0
  cmodel::Cycle cycles = 0;                 ///< RTL cycles the call took (ap_start write to interrupt)
  bool sentinels_ok = true;
  std::string sentinel_why;
  std::array<std::uint64_t, cmodel::kDramKinds> bytes{};  ///< read + written by kind
};

/// Compares an RTL call with the cycle model's and golden; returns "" when
/// they agree, else the first divergence (unit, job, cycle, expected, actual).
std::string compare(const RtlCall& rtl, const CmodelCall& cm, const std::vector<KernelJob>& jobs,
                    const std::vector<KernelResult>& golden);

}  // namespace spatten::cosim

namespace spatten::cosim {

/// A job like make_job's with exactly `n` live tokens (1 .. tokens): the
/// newest plus a uniformly random subset of n - 1 of the others, ascending.
/// The query is peaked on one live token by `peak` (0: random). Dense
/// (value_keep = n, not progressive) until the caller changes job.
KernelJob make_job_exact(std::mt19937_64& rng, std::string kind, int tokens, int n, int head_dim, double peak);

/// Why the RTL kernel cannot run a job of this shape ("" when it can): a
/// head_dim that is not a power of two in 16 .. max_head_dim, n outside
/// 1 .. tokens, tokens above max_context.
std::string kernel_shape_problem(int tokens, int n, int head_dim);

/// Head jobs of official trace rows [first_row, first_row + rows) (clamped to
/// the trace), mapped as cmodel::run_trace maps them: tokens =
/// sentence_length_L, n = key_fetch_num (the newest token plus a random
/// subset, ascending), head_dim = embedding_length_D, value_keep =
/// value_fetch_num, progressive = quant_key_bit && auto_requant_thres with
/// requant_threshold_q16 = models::to_q16(auto_requant_thres). The data is
/// random (K/V normal, the query peaked on a random live token by a random
/// factor in [0, 3)) from an RNG seeded by (seed, row index), so a row's job
/// does not depend on how the trace is split into calls. The refetch
/// decision is the kernel's, from the data (if_requant is not forced); the
/// per-row bit widths and the cascade token top-k (if_topk) of the trace are
/// not the kernel's business and are ignored. Rows the RTL kernel cannot run
/// (kernel_shape_problem) throw std::invalid_argument naming the row when
/// skipped_reason is null; otherwise they are skipped and *skipped_reason
/// says how many and why the first was ("" when none was).
/// Each job's kind is "row <index> (line <line>)".
std::vector<KernelJob> jobs_from_trace(const trace::Trace& t, std::size_t first_row, std::size_t rows,
                                       std::uint64_t seed, std::string* skipped_reason);

/// The generated co-simulation mix (spatten-cosim's default workload): job i
/// has kind i % 4 = dense | value-pruned (n < tokens, value_keep = n / 3, the
/// value top-k) | progressive with LSB refetch (threshold 65536: every row is
/// "flat") | progressive without (threshold 0); head_dim alternates 64 / 128
/// so that every kind sees both (or is `head_dim` when nonzero); n is
/// uniform in 30 .. 300 (or, with `tokens` nonzero, every job has `tokens`
/// cache rows, n = tokens for the dense and progressive kinds and 3/4 of it
/// for the value-pruned one). Seeded by `seed`. With `cascade`, every head
/// job accumulates its probabilities (the first one clears the importance)
/// and each progressive-no-refetch job is followed by a cascade decision over
/// its live list keeping half (2 sinks, 4 recent): count head jobs plus
/// count / 4 decisions.
std::vector<KernelJob> mixed_jobs(std::uint64_t seed, int count, int tokens = 0, int head_dim = 0,
                                  bool cascade = false);

}  // namespace spatten::cosim
