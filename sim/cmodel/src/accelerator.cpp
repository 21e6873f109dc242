#include "spatten/cmodel/accelerator.h"

#include "spatten/cmodel/units.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace spatten::cmodel {

namespace {
using Cfg = ValueConfig;
}  // namespace

std::uint32_t row_bytes(int words, int bits, int transaction_bytes) {
  const auto raw = ceil_div(static_cast<std::uint64_t>(words) * static_cast<std::uint64_t>(bits), 8);
  const auto tb = static_cast<std::uint64_t>(transaction_bytes);
  return static_cast<std::uint32_t>(ceil_div(raw, tb) * tb);
}

std::uint64_t importance_row_cycles(const int* live, int n, int P) {
  std::uint64_t cycles = 0;
  for (int g = 0; g < n; g += P) {
    std::uint64_t prev = 0;
    for (int i = g; i < std::min(n, g + P); ++i) {
      const std::uint64_t row = static_cast<std::uint32_t>(live[i]) / static_cast<std::uint32_t>(P);
      if (i == g || row != prev) ++cycles;
      prev = row;
    }
  }
  return cycles;
}

Cycle Accelerator::topk_cycles(const golden::TopkStats& stats) {
  if (stats.passes == 0) return 0;
  const auto lanes = static_cast<std::uint64_t>(std::max(1, stats.lanes));
  return stats.beats + static_cast<Cycle>(stats.passes) * kTopkPassOverhead +
         ceil_div(static_cast<std::uint64_t>(stats.candidates), lanes) + kTopkPassOverhead;
}

// ---------------------------------------------------------------------------
struct Accelerator::Units {
  Units(const AccelParams& p, bool skip)
      : sim(skip),
        hbm(p.hbm),
        // the key buffer holds rows of full-precision keys of the largest head
        // the key and value fetchers share the memory lanes: one head job's
        // key and value passes never overlap
        lanes(RowFetcher::add_lanes(hbm, "lane", p.hbm.channels, beat_bytes(p))),
        key_fetcher("key_fetcher", hbm, lanes, key_rows(p), p.hbm.max_outstanding, list_lanes(p)),
        value_fetcher("value_fetcher", hbm, lanes, value_rows(p), p.hbm.max_outstanding, list_lanes(p)),
        qk_unit("qk_unit", p.qk_multipliers, static_cast<Cycle>(p.qk_adder_tree_latency), Cfg::max_context + 1,
                Cfg::max_head_dim),
        pv_unit("pv_unit", p.pv_multipliers, static_cast<Cycle>(p.qk_adder_tree_latency), Cfg::max_context + 1,
                Cfg::max_head_dim),
        softmax_unit("softmax_unit", p.topk_parallelism),
        topk_engine("topk_engine", 1),
        importance_unit("importance_unit", 1),
        output_stage("output_stage", std::max(1, p.pv_multipliers)),
        controller_port(hbm.add_port("job_controller", 4, 4, beat_bytes(p))),
        controller("job_controller", hbm, controller_port) {
    sim.add(hbm);
    sim.add(key_fetcher);
    sim.add(qk_unit);
    sim.add(softmax_unit);
    sim.add(topk_engine);
    sim.add(importance_unit);
    sim.add(value_fetcher);
    sim.add(pv_unit);
    sim.add(output_stage);
    sim.add(controller);
  }
  /// Read data width of every memory port: one transaction per beat (the
  /// release's 32-byte transactions on a 256-bit AXI bus).
  static std::uint32_t beat_bytes(const AccelParams& p) { return static_cast<std::uint32_t>(p.hbm.transaction_bytes); }
  /// The lanes that fetch a live list (the RTL's live-id banks, units.h).
  static int list_lanes(const AccelParams& p) {
    return RowFetcher::live_list_lanes(p.hbm.channels, p.hbm.transaction_bytes / static_cast<int>(kLiveIdBytes),
                                       p.topk_parallelism);
  }
  static std::size_t key_rows(const AccelParams& p) {
    const auto row = static_cast<std::int64_t>(Cfg::max_head_dim) * (Cfg::k_msb_bits + Cfg::k_lsb_bits) / 8;
    return static_cast<std::size_t>(std::max<std::int64_t>(1, p.key_sram_bytes / row));
  }
  static std::size_t value_rows(const AccelParams& p) {
    const auto row = static_cast<std::int64_t>(Cfg::max_head_dim) * (Cfg::v_msb_bits + Cfg::v_lsb_bits) / 8;
    return static_cast<std::size_t>(std::max<std::int64_t>(1, p.value_sram_bytes / row));
  }

  /// Runs the controller's requests to completion.
  void controller_requests(std::vector<MemRequest> reqs, std::vector<Cycle> not_before = {}) {
    controller.start(std::move(reqs), std::move(not_before));
    sim.run([&] { return controller.done(); });
  }

  void run_until(const std::function<bool()>& done) { sim.run(done); }

  /// Runs `cycles` cycles of `unit` (a timed phase); nothing when 0.
  void timed(CollectUnit& unit, Cycle cycles) {
    if (cycles == 0) return;
    bool done = false;
    unit.start(sim.now(), nullptr, 0, cycles, [&] { done = true; });
    sim.run([&] { return done; });
  }
  /// Zeroes the token importance: a row of P words per cycle.
  void clear_importance(int P) {
    std::fill(importance.begin(), importance.end(), 0);
    timed(importance_unit, ceil_div(static_cast<std::uint64_t>(Cfg::max_context), static_cast<std::uint64_t>(P)));
  }
  golden::ImportanceMemory importance_memory() { return golden::ImportanceMemory{importance.data(), Cfg::max_context}; }

  Simulator sim;
  HbmMemory hbm;
  std::vector<int> lanes;
  RowFetcher key_fetcher;
  RowFetcher value_fetcher;
  MacUnit qk_unit;
  MacUnit pv_unit;
  CollectUnit softmax_unit;
  CollectUnit topk_engine;
  CollectUnit importance_unit;
  CollectUnit output_stage;
  int controller_port;
  MemoryClient controller;
  OpCounts ops;
  std::uint64_t head_jobs = 0, requant_rows = 0, keys_fetched = 0, values_fetched = 0, topk_events = 0;
  /// the value top-k's candidate buffers, allocated once
  std::unique_ptr<golden::TopkScratch<std::uint32_t, Cfg::max_context>> topk_scratch =
      std::make_unique<golden::TopkScratch<std::uint32_t, Cfg::max_context>>();
  /// the token importance memory (kept from job to job) and a decision's buffers
  std::vector<std::uint64_t> importance = std::vector<std::uint64_t>(static_cast<std::size_t>(Cfg::max_context), 0);
  std::unique_ptr<golden::TokenPruneScratch<Cfg::max_context>> prune_scratch =
      std::make_unique<golden::TokenPruneScratch<Cfg::max_context>>();
};

namespace {
const AccelParams& validated(const AccelParams& p) {
  if (p.topk_parallelism < 1) throw std::invalid_argument("topk_parallelism must be at least 1");
  if (p.qk_multipliers < 1 || p.pv_multipliers < 1) throw std::invalid_argument("multiplier counts must be at least 1");
  if (p.clock_mhz < 1) throw std::invalid_argument("clock_mhz must be at least 1");
  // a row of the largest head takes ceil(D/M) multiply cycles plus sum, scale and round (qk_unit.sv)
  for (int m : {p.qk_multipliers, p.pv_multipliers}) {
    const auto need = static_cast<int>(ceil_div(static_cast<std::uint64_t>(Cfg::max_head_dim), static_cast<std::uint64_t>(m))) + 3;
    if (p.qk_adder_tree_latency < need)
      throw std::invalid_argument("qk_adder_tree_latency " + std::to_string(p.qk_adder_tree_latency) + " is below " +
                                  std::to_string(need) + ", the cycles a " + std::to_string(Cfg::max_head_dim) +
                                  "-word row needs with " + std::to_string(m) + " multipliers");
  }
  p.hbm.validate();
  return p;
}
}  // namespace

Accelerator::Accelerator(const AccelParams& params, bool skip_idle)
    : params_(validated(params)), u_(std::make_unique<Units>(params_, skip_idle)) {}

Accelerator::~Accelerator() = default;

Cycle Accelerator::now() const { return u_->sim.now(); }

HbmMemory& Accelerator::memory() { return u_->hbm; }

HeadJobOutcome Accelerator::run_head(const HeadJobSpec& job) {
  if (job.n < 1 || job.n > Cfg::max_context) throw std::invalid_argument("head job: n out of range");
  if (job.head_dim < 1 || job.head_dim > Cfg::max_head_dim) throw std::invalid_argument("head job: head_dim out of range");
  Units& u = *u_;
  const int n = job.n, D = job.head_dim;
  const int P = params_.topk_parallelism;
  const int tb = params_.hbm.transaction_bytes;
  HeadJobOutcome o;
  o.start = u.sim.now();
  ++u.head_jobs;

  // descriptor, then the query (its address is in the descriptor)
  u.controller_requests({MemRequest{job.desc_addr, kDescriptorBytes, DramKind::kMeta, false, 0}});
  if (job.clear_importance) u.clear_importance(P);
  u.controller_requests({MemRequest{job.q_addr, row_bytes(D, job.q_bits, tb), DramKind::kQ, false, 1}});

  std::vector<std::int32_t> logit(static_cast<std::size_t>(n));
  std::vector<std::int32_t> key(static_cast<std::size_t>(D));
  std::vector<std::uint32_t>& prob = o.prob;
  prob.assign(static_cast<std::size_t>(n), 0);
  golden::SoftmaxRow row{};
  const std::uint32_t k_msb_row = row_bytes(D, job.k_msb_bits, tb);
  const std::uint32_t k_lsb_row = job.k_lsb_bits > 0 ? row_bytes(D, job.k_lsb_bits, tb) : 0;
  const bool msb_first = job.progressive && Cfg::k_lsb_bits > 0 && job.k_lsb_bits > 0;

  int pass = 0;
  auto key_pass = [&](bool exact, std::vector<Plane> planes, bool fetch_live) {
    o.key_start[pass] = u.sim.now();
    u.key_fetcher.start(job.live, nullptr, n, std::move(planes),
                        fetch_live ? std::optional<std::uint64_t>(job.live_addr) : std::nullopt);
    u.qk_unit.start(&u.key_fetcher.rows(), n, D, [&, exact](int pos) {
      logit[static_cast<std::size_t>(pos)] =
          golden::key_logit<Cfg>(job.q, job.kv, job.live[pos], D, job.scale, exact, key.data());
    });
    u.ops.qk_macs += static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(D);
    u.keys_fetched += static_cast<std::uint64_t>(n);
    // softmax: collect the n scores, then the timed passes; values at the end
    const auto beats = static_cast<Cycle>(ceil_div(static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(P)));
    bool softmax_done = false;
    u.softmax_unit.start(u.sim.now(), &u.qk_unit.results(), n,
                         beats + kExpLatency + kDividerCycles + beats + kNormalizeLatency + kDecisionCycles, [&] {
                           row = golden::softmax_row<Cfg>(logit.data(), n, prob.data());
                           softmax_done = true;
                         });
    u.run_until([&] { return softmax_done; });
    o.softmax_done[pass++] = u.sim.now() - 1;
    u.ops.exp_ops += static_cast<std::uint64_t>(n);
    u.ops.prob_multiplies += static_cast<std::uint64_t>(n);
    u.ops.divisions += 1;
    // the key buffer holds the words this pass fetched: MSBs only, or MSB+LSB
    const auto key_bits = static_cast<std::uint64_t>(exact ? job.k_msb_bits + job.k_lsb_bits : job.k_msb_bits);
    const std::uint64_t key_bytes = ceil_div(static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(D) * key_bits, 8);
    u.ops.key_sram_write_bytes += key_bytes;
    u.ops.key_sram_read_bytes += key_bytes;
  };

  const Plane kmsb{job.k_msb_base, k_msb_row, DramKind::kKMsb};
  const Plane klsb{job.k_lsb_base, k_lsb_row, DramKind::kKLsb};
  if (msb_first) {
    key_pass(false, {kmsb}, true);
  } else {
    key_pass(true, k_lsb_row > 0 ? std::vector<Plane>{kmsb, klsb} : std::vector<Plane>{kmsb}, true);
  }
  o.result.msb_max_prob = row.max_prob;
  bool refetch = false;
  if (msb_first) {
    refetch = job.forced_requant ? *job.forced_requant
                                 : golden::needs_lsb_refetch<Cfg>(row.max_prob, job.requant_threshold_q16);
  }
  if (refetch) {
    ++u.requant_rows;
    const bool msbs_on_chip = static_cast<std::size_t>(n) <= Units::key_rows(params_);
    key_pass(true, msbs_on_chip ? std::vector<Plane>{klsb} : std::vector<Plane>{kmsb, klsb}, false);
  }
  o.result.lsb_refetched = refetch;
  o.result.max_prob = row.max_prob;
  // token importance rides along the normalize pass (the trace-driven model;
  // a kernel job with `accumulate` counts its adds in its own phase)
  if (!job.accumulate) u.ops.importance_adds += static_cast<std::uint64_t>(n);

  // value top-k
  o.value_sel.resize(static_cast<std::size_t>(n));
  o.result.value_topk.lanes = P;
  o.result.values_kept = golden::topk_quickselect<std::uint32_t, Cfg::max_context>(
      prob.data(), n, job.value_keep, o.value_sel.data(), *u.topk_scratch, &o.result.value_topk);
  o.value_sel.resize(static_cast<std::size_t>(o.result.values_kept));
  const Cycle topk = topk_cycles(o.result.value_topk);
  if (topk > 0) {
    bool done = false;
    o.topk_start = u.sim.now();
    u.topk_engine.start(u.sim.now(), nullptr, 0, topk, [&] { done = true; });
    u.run_until([&] { return done; });
    o.topk_done = u.sim.now() - 1;
    u.ops.topk_comparisons += o.result.value_topk.streamed + static_cast<std::uint64_t>(n);
  }

  // value pass
  const bool exact_v = golden::value_rows_exact<Cfg>(job.progressive, refetch);
  std::vector<Plane> vplanes{Plane{job.v_msb_base, row_bytes(D, job.v_msb_bits, tb), DramKind::kV}};
  if (exact_v && job.v_lsb_bits > 0)
    vplanes.push_back(Plane{job.v_lsb_base, row_bytes(D, job.v_lsb_bits, tb), DramKind::kV});
  std::vector<std::int64_t> acc(static_cast<std::size_t>(D), 0);
  const int kept = o.result.values_kept;
  if (kept > 0) o.value_start = u.sim.now();
  u.value_fetcher.start(job.live, &o.value_sel, kept, vplanes, std::nullopt);
  u.pv_unit.start(&u.value_fetcher.rows(), kept, D, [&, exact_v](int pos) {
    golden::pv_accumulate<Cfg>(acc.data(), prob[static_cast<std::size_t>(pos)], job.kv, job.live[pos], D, exact_v);
  });
  bool pv_done = false;
  u.output_stage.start(u.sim.now(), &u.pv_unit.results(), kept, 1, [&] { pv_done = true; });
  u.run_until([&] { return pv_done; });
  if (kept > 0) o.pv_done = u.sim.now() - 1;
  if (job.accumulate) {
    o.accumulate_start = u.sim.now();
    golden::accumulate_token_importance<Cfg::max_context>(u.importance_memory(), job.live, prob.data(), n);
    u.timed(u.importance_unit, importance_row_cycles(job.live, n, P) + kImportanceLatency);
    o.accumulate_done = u.sim.now() - 1;
    u.ops.importance_adds += static_cast<std::uint64_t>(n);
  }
  o.out.resize(static_cast<std::size_t>(D));
  golden::pv_finish<Cfg>(acc.data(), D, o.out.data());
  // head importance: sum_d |out[d]| (golden::head_output_magnitude), D adds
  u.ops.importance_adds += static_cast<std::uint64_t>(D);
  u.ops.pv_macs += static_cast<std::uint64_t>(kept) * static_cast<std::uint64_t>(D);
  u.values_fetched += static_cast<std::uint64_t>(kept);
  const auto value_bits =
      static_cast<std::uint64_t>(exact_v && job.v_lsb_bits > 0 ? job.v_msb_bits + job.v_lsb_bits : job.v_msb_bits);
  const std::uint64_t value_bytes = ceil_div(static_cast<std::uint64_t>(kept) * static_cast<std::uint64_t>(D) * value_bits, 8);
  u.ops.value_sram_write_bytes += value_bytes;
  u.ops.value_sram_read_bytes += value_bytes;

  // output, and the status record when the job has one
  std::vector<MemRequest> writes{
      MemRequest{job.out_addr, static_cast<std::uint32_t>(D) * kOutputWordBytes, DramKind::kOut, true, 2}};
  if (job.status_addr) writes.push_back(MemRequest{*job.status_addr, kStatusBytes, DramKind::kOut, true, 4});
  u.controller_requests(std::move(writes));
  o.end = u.sim.now();
  return o;
}

void Accelerator::run_cascade_topk(const TopkJobSpec& job) {
  Units& u = *u_;
  ++u.topk_events;
  const Cycle cycles = topk_cycles(job.stats);
  if (cycles > 0) {
    bool done = false;
    u.topk_engine.start(u.sim.now(), nullptr, 0, cycles, [&] { done = true; });
    u.run_until([&] { return done; });
    u.ops.topk_comparisons += job.stats.streamed + static_cast<std::uint64_t>(job.stats.candidates);
  }
  if (job.kept > 0) {
    u.controller_requests({MemRequest{job.live_addr, static_cast<std::uint32_t>(job.kept) * kLiveIdBytes,
                                      DramKind::kMeta, true, 3}});
  }
}

DecisionOutcome Accelerator::run_decision(const DecisionJobSpec& job) {
  if (job.n < 1 || job.n > Cfg::max_context) throw std::invalid_argument("decision job: n out of range");
  Units& u = *u_;
  const int n = job.n;
  const int P = params_.topk_parallelism;
  const auto tb = static_cast<std::uint64_t>(params_.hbm.transaction_bytes);
  DecisionOutcome o;
  o.start = u.sim.now();
  ++u.topk_events;
  u.controller_requests({MemRequest{job.desc_addr, kDescriptorBytes, DramKind::kMeta, false, 0}});
  if (job.clear_importance) u.clear_importance(P);
  u.timed(u.importance_unit, kDecisionSetupCycles);
  // live: the list only, over the lanes
  o.live_start = u.sim.now();
  u.key_fetcher.start(job.live, nullptr, n, {}, job.live_addr);
  u.run_until([&] { return u.key_fetcher.done(); });
  // gather, top-k, emit: the values are golden's prune_tokens over the memory
  o.kept.resize(static_cast<std::size_t>(n));
  o.stats.lanes = P;
  const golden::TokenPruneParams p{job.keep, job.context_len, job.sink_tokens, job.recent_tokens};
  const int kept = golden::prune_tokens<Cfg::max_context>(job.live, n, u.importance_memory(), p, o.kept.data(),
                                                          *u.prune_scratch, &o.stats);
  o.kept.resize(static_cast<std::size_t>(kept));
  o.gather_start = u.sim.now();
  u.timed(u.importance_unit, importance_row_cycles(job.live, n, P) + kGatherLatency);
  const Cycle topk = topk_cycles(o.stats);
  if (topk > 0) {
    o.topk_start = u.sim.now();
    u.timed(u.topk_engine, topk);
    u.ops.topk_comparisons += o.stats.streamed + static_cast<std::uint64_t>(o.stats.candidates);
  }
  o.emit_start = u.sim.now();
  u.timed(u.importance_unit, ceil_div(static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(P)) + kEmitLatency);
  // output: the kept ids in whole transactions, a request per 4 KiB page,
  // then the status record. The data goes first: one beat per cycle from
  // the phase's second cycle, and a burst's request is offered from the
  // cycle after its last beat (the memory answers a write without waiting
  // for its data, so a request may not run ahead of it)
  const Cycle out0 = u.sim.now();
  o.output_start = out0;
  std::vector<MemRequest> writes;
  std::vector<Cycle> not_before;
  const std::uint64_t end = job.out_addr + ceil_div(static_cast<std::uint64_t>(kept) * kLiveIdBytes, tb) * tb;
  std::uint64_t beats = 0;
  for (std::uint64_t a = job.out_addr; a < end;) {
    const std::uint64_t next = std::min(end, (a / kBurstPageBytes + 1) * kBurstPageBytes);
    writes.push_back(MemRequest{a, static_cast<std::uint32_t>(next - a), DramKind::kOut, true, 3});
    beats += (next - a) / tb;
    not_before.push_back(out0 + 1 + beats);
    a = next;
  }
  if (job.status_addr) {
    writes.push_back(MemRequest{*job.status_addr, kStatusBytes, DramKind::kOut, true, 4});
    not_before.push_back(out0 + 2 + beats);
  }
  if (!writes.empty()) u.controller_requests(std::move(writes), std::move(not_before));
  o.end = u.sim.now();
  return o;
}

const std::vector<std::uint64_t>& Accelerator::token_importance() const { return u_->importance; }

void Accelerator::set_token_importance(const std::vector<std::uint64_t>& words) {
  if (words.size() != u_->importance.size())
    throw std::invalid_argument("set_token_importance: " + std::to_string(words.size()) + " words, the memory has " +
                                std::to_string(u_->importance.size()));
  u_->importance = words;
}

void Accelerator::fill(RunResult& r) const {
  const Units& u = *u_;
  r.cycles = u.sim.now();
  r.seconds = static_cast<double>(r.cycles) / (static_cast<double>(params_.clock_mhz) * 1e6);
  r.dram_total = 0;
  for (std::size_t k = 0; k < kDramKinds; ++k) {
    r.dram_read[k] = u.hbm.bytes_read(static_cast<DramKind>(k));
    r.dram_written[k] = u.hbm.bytes_written(static_cast<DramKind>(k));
    r.dram_total += r.dram_read[k] + r.dram_written[k];
  }
  r.hbm_utilization = r.cycles == 0 ? 0.0
                                    : static_cast<double>(r.dram_total) /
                                          (static_cast<double>(r.cycles) * static_cast<double>(u.hbm.peak_bytes_per_cycle()));
  r.units.clear();
  for (const Component* c : u.sim.units()) r.units.push_back(UnitReport{c->name(), c->busy_cycles(), c->stall_cycles()});
  r.ops = u.ops;
  r.head_jobs = u.head_jobs;
  r.requant_rows = u.requant_rows;
  r.keys_fetched = u.keys_fetched;
  r.values_fetched = u.values_fetched;
  r.token_topk_events = u.topk_events;
}

}  // namespace spatten::cmodel
