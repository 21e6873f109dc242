#include "spatten/cmodel/accelerator.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace spatten::cmodel {

namespace {

using Cfg = ValueConfig;
using N = golden::Numerics<Cfg>;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// A plane of rows in DRAM.
struct Plane {
  std::uint64_t base = 0;
  std::uint32_t row_bytes = 0;
  DramKind kind = DramKind::kKMsb;
};

// ---------------------------------------------------------------------------
// RowFetcher: key_fetcher and value_fetcher. Streams rows (by token id) of one
// or two planes over `lanes` memory ports, one request per port per cycle,
// optionally after fetching the live-token list; credit-limited by the buffer
// it fills; pops responses in issue order and delivers a row (its position)
// once all its planes arrived.
class RowFetcher final : public Component {
 public:
  RowFetcher(std::string name, HbmMemory& mem, int lanes, std::size_t buffer_rows)
      : Component(std::move(name)), mem_(mem), rows_(buffer_rows + 1, 1, this->name() + ".rows"),
        buffer_rows_(buffer_rows) {
    for (int i = 0; i < lanes; ++i) ports_.push_back(mem.add_port(this->name() + std::to_string(i), 4, 4));
  }

  Fifo<int>& rows() { return rows_; }

  /// positions: which live positions to fetch (nullptr: 0..count-1); tokens:
  /// live token ids by position; live_list: fetch the ids first from this address.
  void start(const int* tokens, const std::vector<int>* positions, int count, std::vector<Plane> planes,
             std::optional<std::uint64_t> live_list) {
    tokens_ = tokens;
    positions_ = positions;
    count_ = count;
    planes_ = std::move(planes);
    next_row_ = 0;
    delivered_ = 0;
    issued_rows_ = 0;
    base_pops_ = rows_.pops();
    chunks_total_ = 0;
    chunks_requested_ = 0;
    ids_ready_ = std::numeric_limits<int>::max();  // ids already on chip
    if (live_list) {
      const auto tb = static_cast<std::uint64_t>(mem_.config().transaction_bytes);
      chunks_total_ = static_cast<int>(ceil_div(static_cast<std::uint64_t>(count) * kLiveIdBytes, tb));
      ids_ready_ = 0;
      live_addr_ = *live_list;
    }
    active_ = count > 0;
  }
  bool done() const { return !active_; }

  Activity tick(Cycle now) override {
    if (!active_) return Activity::kIdle;
    bool did = false;
    // responses in issue order
    while (!outstanding_.empty() && mem_.responses(outstanding_.front().port).can_pop(now)) {
      const Outstanding o = outstanding_.front();
      outstanding_.pop_front();
      mem_.responses(o.port).pop(now);
      did = true;
      if (o.chunk) {
        ids_ready_ = std::min(count_, ids_ready_ + mem_.config().transaction_bytes / static_cast<int>(kLiveIdBytes));
      } else if (o.last_plane) {
        rows_.push(now, o.row);
        ++delivered_;
      }
    }
    // requests: live-list chunks first, then rows
    for (int port : ports_) {
      if (!mem_.requests(port).can_push(now)) continue;
      if (chunks_requested_ < chunks_total_) {
        const auto tb = static_cast<std::uint64_t>(mem_.config().transaction_bytes);
        const std::uint64_t off = static_cast<std::uint64_t>(chunks_requested_) * tb;
        const std::uint64_t left = static_cast<std::uint64_t>(count_) * kLiveIdBytes - off;
        mem_.requests(port).push(now, MemRequest{live_addr_ + off, static_cast<std::uint32_t>(std::min(tb, left)),
                                                 DramKind::kMeta, false, 0});
        outstanding_.push_back(Outstanding{port, -1, true, false});
        ++chunks_requested_;
        did = true;
        continue;
      }
      if (!can_issue_row(now)) break;
      issue_plane(now, port);
      did = true;
    }
    if (delivered_ == count_) active_ = false;
    if (did) return Activity::kBusy;
    return Activity::kStalled;  // holding work, waiting on memory or buffer space
  }

  Cycle next_event(Cycle now) const override {
    if (!active_) return kNever;
    Cycle next = kNever;
    if (!outstanding_.empty()) {
      const Cycle v = mem_.responses(outstanding_.front().port).next_valid();
      if (v != kNever) next = std::max(now, v);
    }
    const bool wants_to_issue = chunks_requested_ < chunks_total_ || can_issue_row(now);
    if (wants_to_issue) {
      for (int port : ports_)
        if (mem_.requests(port).can_push(now)) return now;
      // a full request FIFO drains when the memory accepts: its event
    }
    return next;
  }

  Activity activity_while_waiting() const override { return active_ ? Activity::kStalled : Activity::kIdle; }

 private:
  struct Outstanding {
    int port;
    int row;  ///< position, or -1 for a live-list chunk
    bool chunk;
    bool last_plane;
  };

  bool can_issue_row(Cycle now) const {
    if (next_row_ >= count_) return false;
    const int pos = positions_ != nullptr ? (*positions_)[static_cast<std::size_t>(next_row_)] : next_row_;
    if (pos >= ids_ready_) return false;
    // rows in the buffer: issued minus consumed before this cycle
    const std::uint64_t consumed = rows_.pops_before(now) - base_pops_;
    return next_plane_ > 0 || static_cast<std::uint64_t>(issued_rows_) - consumed < buffer_rows_;
  }

  void issue_plane(Cycle now, int port) {
    const int pos = positions_ != nullptr ? (*positions_)[static_cast<std::size_t>(next_row_)] : next_row_;
    const Plane& pl = planes_[static_cast<std::size_t>(next_plane_)];
    const auto token = static_cast<std::uint64_t>(tokens_[pos]);
    mem_.requests(port).push(now, MemRequest{pl.base + token * pl.row_bytes, pl.row_bytes, pl.kind, false, 0});
    const bool last = next_plane_ + 1 == static_cast<int>(planes_.size());
    outstanding_.push_back(Outstanding{port, pos, false, last});
    if (next_plane_ == 0) ++issued_rows_;
    if (last) {
      next_plane_ = 0;
      ++next_row_;
    } else {
      ++next_plane_;
    }
  }

  HbmMemory& mem_;
  std::vector<int> ports_;
  Fifo<int> rows_;
  std::size_t buffer_rows_;
  const int* tokens_ = nullptr;
  const std::vector<int>* positions_ = nullptr;
  int count_ = 0;
  std::vector<Plane> planes_;
  int next_row_ = 0, next_plane_ = 0, delivered_ = 0, issued_rows_ = 0;
  std::uint64_t base_pops_ = 0;
  int chunks_total_ = 0, chunks_requested_ = 0, ids_ready_ = 0;
  std::uint64_t live_addr_ = 0;
  std::deque<Outstanding> outstanding_;
  bool active_ = false;
};

// ---------------------------------------------------------------------------
// MacUnit: qk_unit and pv_unit. Consumes rows at max(1, M/D) per cycle
// (M >= D) or one per ceil(D/M) cycles, calls `work(position)` for each, and
// reports each row `latency` cycles later on its result FIFO.
class MacUnit final : public Component {
 public:
  MacUnit(std::string name, int multipliers, Cycle latency, std::size_t result_depth)
      : Component(std::move(name)), multipliers_(multipliers),
        results_(result_depth, std::max<Cycle>(latency, 1), this->name() + ".results") {}

  Fifo<int>& results() { return results_; }

  template <class Work>
  void start(Fifo<int>* in, int rows, int head_dim, Work&& work) {
    in_ = in;
    left_ = rows;
    work_ = std::forward<Work>(work);
    if (multipliers_ >= head_dim) {
      per_cycle_ = multipliers_ / head_dim;
      cycles_per_row_ = 1;
    } else {
      per_cycle_ = 1;
      cycles_per_row_ = static_cast<Cycle>(ceil_div(static_cast<std::uint64_t>(head_dim),
                                                    static_cast<std::uint64_t>(multipliers_)));
    }
    free_at_ = 0;
  }
  bool idle() const { return left_ == 0; }

  Activity tick(Cycle now) override {
    if (left_ == 0) return Activity::kIdle;
    if (now < free_at_) return Activity::kBusy;  // a multi-cycle row in the multipliers
    int took = 0;
    while (took < per_cycle_ && left_ > 0 && in_->can_pop(now)) {
      const int pos = in_->pop(now);
      work_(pos);
      results_.push(now, pos);
      ++took;
      --left_;
    }
    if (took == 0) return Activity::kStalled;
    free_at_ = now + cycles_per_row_;
    return Activity::kBusy;
  }
  Cycle next_event(Cycle now) const override {
    if (left_ == 0) return kNever;
    if (now < free_at_) return now;  // a multi-cycle row is in the multipliers: busy, not skippable
    const Cycle v = in_->next_valid();
    if (v == kNever) return kNever;
    return std::max(now, v);
  }
  Activity activity_while_waiting() const override {
    return left_ == 0 ? Activity::kIdle : Activity::kStalled;
  }

 private:
  int multipliers_;
  Fifo<int> results_;
  Fifo<int>* in_ = nullptr;
  int left_ = 0;
  std::function<void(int)> work_;
  int per_cycle_ = 1;
  Cycle cycles_per_row_ = 1;
  Cycle free_at_ = 0;
};

// ---------------------------------------------------------------------------
// CollectUnit: softmax_unit, topk_engine, output_stage. Collects `count` items
// from its input FIFO (up to `lanes` per cycle), then stays busy for `tail`
// cycles and runs its finish step in the last of them. Started with count 0 it
// is a pure timer (the top-k engine, whose cycle count comes from the golden
// quick-select's stats).
class CollectUnit final : public Component {
 public:
  CollectUnit(std::string name, int lanes) : Component(std::move(name)), lanes_(lanes) {}

  void start(Cycle now, Fifo<int>* in, int count, Cycle tail, std::function<void()> finish) {
    in_ = in;
    left_ = count;
    tail_ = tail;
    finish_ = std::move(finish);
    if (count > 0) {
      state_ = State::kCollecting;
    } else {
      begin_tail(now);
    }
  }
  bool running() const { return state_ != State::kIdle; }

  Activity tick(Cycle now) override {
    if (state_ == State::kCollecting) {
      int took = 0;
      while (took < lanes_ && left_ > 0 && in_->can_pop(now)) {
        in_->pop(now);
        --left_;
        ++took;
      }
      if (left_ == 0) {
        begin_tail(now + 1);
        if (state_ == State::kIdle) return Activity::kBusy;  // no tail: finished this cycle
      }
      return took > 0 ? Activity::kBusy : Activity::kStalled;
    }
    if (state_ == State::kTail) {
      if (now + 1 >= done_at_) complete();
      return Activity::kBusy;
    }
    return Activity::kIdle;
  }
  Cycle next_event(Cycle now) const override {
    if (state_ == State::kCollecting) {
      const Cycle v = in_->next_valid();
      return v == kNever ? kNever : std::max(now, v);
    }
    if (state_ == State::kTail) return std::max(now, done_at_ - 1);
    return kNever;
  }
  Activity activity_while_waiting() const override {
    if (state_ == State::kCollecting) return Activity::kStalled;
    return state_ == State::kTail ? Activity::kBusy : Activity::kIdle;
  }

 private:
  enum class State : std::uint8_t { kIdle, kCollecting, kTail };
  /// The tail occupies cycles [first, first + tail_).
  void begin_tail(Cycle first) {
    if (tail_ == 0) {
      complete();
      return;
    }
    state_ = State::kTail;
    done_at_ = first + tail_;
  }
  void complete() {
    state_ = State::kIdle;
    if (finish_) finish_();
  }

  int lanes_;
  Fifo<int>* in_ = nullptr;
  int left_ = 0;
  Cycle tail_ = 0;
  Cycle done_at_ = 0;
  State state_ = State::kIdle;
  std::function<void()> finish_;
};

}  // namespace

std::uint32_t row_bytes(int words, int bits, int transaction_bytes) {
  const auto raw = ceil_div(static_cast<std::uint64_t>(words) * static_cast<std::uint64_t>(bits), 8);
  const auto tb = static_cast<std::uint64_t>(transaction_bytes);
  return static_cast<std::uint32_t>(ceil_div(raw, tb) * tb);
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
        key_fetcher("key_fetcher", hbm, p.hbm.channels, key_rows(p)),
        value_fetcher("value_fetcher", hbm, p.hbm.channels, value_rows(p)),
        qk_unit("qk_unit", p.qk_multipliers, static_cast<Cycle>(p.qk_adder_tree_latency), Cfg::max_context + 1),
        pv_unit("pv_unit", p.pv_multipliers, static_cast<Cycle>(p.qk_adder_tree_latency), Cfg::max_context + 1),
        softmax_unit("softmax_unit", p.topk_parallelism),
        topk_engine("topk_engine", 1),
        output_stage("output_stage", std::max(1, p.pv_multipliers)),
        controller_port(hbm.add_port("job_controller", 4, 4)),
        controller("job_controller", hbm, controller_port) {
    sim.add(hbm);
    sim.add(key_fetcher);
    sim.add(qk_unit);
    sim.add(softmax_unit);
    sim.add(topk_engine);
    sim.add(value_fetcher);
    sim.add(pv_unit);
    sim.add(output_stage);
    sim.add(controller);
  }
  static std::size_t key_rows(const AccelParams& p) {
    const auto row = static_cast<std::int64_t>(Cfg::max_head_dim) * (Cfg::k_msb_bits + Cfg::k_lsb_bits) / 8;
    return static_cast<std::size_t>(std::max<std::int64_t>(1, p.key_sram_bytes / row));
  }
  static std::size_t value_rows(const AccelParams& p) {
    const auto row = static_cast<std::int64_t>(Cfg::max_head_dim) * (Cfg::v_msb_bits + Cfg::v_lsb_bits) / 8;
    return static_cast<std::size_t>(std::max<std::int64_t>(1, p.value_sram_bytes / row));
  }

  /// The job controller's own memory traffic (descriptor, query, output,
  /// live-list write-back): sends its requests in order, one per cycle when the
  /// port takes it, and is done when every response arrived.
  class Controller final : public Component {
   public:
    Controller(std::string name, HbmMemory& mem, int port) : Component(std::move(name)), mem_(mem), port_(port) {}
    void start(std::vector<MemRequest> reqs) {
      reqs_ = std::move(reqs);
      sent_ = got_ = 0;
    }
    bool done() const { return got_ == reqs_.size(); }
    Activity tick(Cycle now) override {
      if (done()) return Activity::kIdle;
      bool did = false;
      if (mem_.responses(port_).can_pop(now)) {
        mem_.responses(port_).pop(now);
        ++got_;
        did = true;
      }
      if (sent_ < reqs_.size() && mem_.requests(port_).can_push(now)) {
        mem_.requests(port_).push(now, reqs_[sent_++]);
        did = true;
      }
      return did ? Activity::kBusy : Activity::kStalled;
    }
    Cycle next_event(Cycle now) const override {
      if (done()) return kNever;
      if (sent_ < reqs_.size() && mem_.requests(port_).can_push(now)) return now;
      const Cycle v = mem_.responses(port_).next_valid();
      return v == kNever ? kNever : std::max(now, v);
    }
    Activity activity_while_waiting() const override { return done() ? Activity::kIdle : Activity::kStalled; }

   private:
    HbmMemory& mem_;
    int port_;
    std::vector<MemRequest> reqs_;
    std::size_t sent_ = 0, got_ = 0;
  };

  /// Runs the controller's requests to completion.
  void controller_requests(std::vector<MemRequest> reqs) {
    controller.start(std::move(reqs));
    sim.run([&] { return controller.done(); });
  }

  void run_until(const std::function<bool()>& done) { sim.run(done); }

  Simulator sim;
  HbmMemory hbm;
  RowFetcher key_fetcher;
  RowFetcher value_fetcher;
  MacUnit qk_unit;
  MacUnit pv_unit;
  CollectUnit softmax_unit;
  CollectUnit topk_engine;
  CollectUnit output_stage;
  int controller_port;
  Controller controller;
  OpCounts ops;
  std::uint64_t head_jobs = 0, requant_rows = 0, keys_fetched = 0, values_fetched = 0, topk_events = 0;

};

Accelerator::Accelerator(const AccelParams& params, bool skip_idle)
    : params_(params), u_(std::make_unique<Units>(params, skip_idle)) {
  if (params_.topk_parallelism < 1) throw std::invalid_argument("topk_parallelism must be at least 1");
  if (params_.qk_multipliers < 1 || params_.pv_multipliers < 1)
    throw std::invalid_argument("multiplier counts must be at least 1");
}

Accelerator::~Accelerator() = default;

Cycle Accelerator::now() const { return u_->sim.now(); }

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

  // descriptor and query
  u.controller_requests({MemRequest{job.desc_addr, kDescriptorBytes, DramKind::kMeta, false, 0},
                         MemRequest{job.q_addr, row_bytes(D, job.q_bits, tb), DramKind::kQ, false, 1}});

  std::vector<std::int32_t> logit(static_cast<std::size_t>(n));
  std::vector<std::int32_t> key(static_cast<std::size_t>(D));
  std::vector<std::uint32_t>& prob = o.prob;
  prob.assign(static_cast<std::size_t>(n), 0);
  golden::SoftmaxRow row{};
  const std::uint32_t k_msb_row = row_bytes(D, job.k_msb_bits, tb);
  const std::uint32_t k_lsb_row = job.k_lsb_bits > 0 ? row_bytes(D, job.k_lsb_bits, tb) : 0;
  const bool msb_first = job.progressive && Cfg::k_lsb_bits > 0 && job.k_lsb_bits > 0;

  auto key_pass = [&](bool exact, std::vector<Plane> planes, bool fetch_live) {
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
    u.ops.exp_ops += static_cast<std::uint64_t>(n);
    u.ops.prob_multiplies += static_cast<std::uint64_t>(n);
    u.ops.divisions += 1;
    u.ops.key_sram_write_bytes += static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(D) * 12 / 8;
    u.ops.key_sram_read_bytes += static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(D) * 12 / 8;
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
  // token importance rides along the normalize pass
  u.ops.importance_adds += static_cast<std::uint64_t>(n);

  // value top-k
  o.value_sel.resize(static_cast<std::size_t>(n));
  auto scratch = std::make_unique<golden::TopkScratch<std::uint32_t, Cfg::max_context>>();
  o.result.value_topk.lanes = P;
  o.result.values_kept = golden::topk_quickselect<std::uint32_t, Cfg::max_context>(
      prob.data(), n, job.value_keep, o.value_sel.data(), *scratch, &o.result.value_topk);
  o.value_sel.resize(static_cast<std::size_t>(o.result.values_kept));
  const Cycle topk = topk_cycles(o.result.value_topk);
  if (topk > 0) {
    bool done = false;
    u.topk_engine.start(u.sim.now(), nullptr, 0, topk, [&] { done = true; });
    u.run_until([&] { return done; });
    u.ops.topk_comparisons += o.result.value_topk.streamed + static_cast<std::uint64_t>(n);
  }

  // value pass
  const bool exact_v = golden::value_rows_exact<Cfg>(job.progressive, refetch);
  std::vector<Plane> vplanes{Plane{job.v_msb_base, row_bytes(D, job.v_msb_bits, tb), DramKind::kV}};
  if (exact_v && job.v_lsb_bits > 0)
    vplanes.push_back(Plane{job.v_lsb_base, row_bytes(D, job.v_lsb_bits, tb), DramKind::kV});
  std::vector<std::int64_t> acc(static_cast<std::size_t>(D), 0);
  const int kept = o.result.values_kept;
  u.value_fetcher.start(job.live, &o.value_sel, kept, vplanes, std::nullopt);
  u.pv_unit.start(&u.value_fetcher.rows(), kept, D, [&, exact_v](int pos) {
    golden::pv_accumulate<Cfg>(acc.data(), prob[static_cast<std::size_t>(pos)], job.kv, job.live[pos], D, exact_v);
  });
  bool pv_done = false;
  u.output_stage.start(u.sim.now(), &u.pv_unit.results(), kept, 1, [&] { pv_done = true; });
  u.run_until([&] { return pv_done; });
  o.out.resize(static_cast<std::size_t>(D));
  golden::pv_finish<Cfg>(acc.data(), D, o.out.data());
  u.ops.pv_macs += static_cast<std::uint64_t>(kept) * static_cast<std::uint64_t>(D);
  u.values_fetched += static_cast<std::uint64_t>(kept);
  u.ops.value_sram_write_bytes += static_cast<std::uint64_t>(kept) * static_cast<std::uint64_t>(D) * 12 / 8;
  u.ops.value_sram_read_bytes += static_cast<std::uint64_t>(kept) * static_cast<std::uint64_t>(D) * 12 / 8;

  // output
  u.controller_requests({MemRequest{job.out_addr, static_cast<std::uint32_t>(D) * kOutputWordBytes, DramKind::kOut,
                                    true, 2}});
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
