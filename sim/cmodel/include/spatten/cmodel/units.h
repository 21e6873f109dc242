// spatten/cmodel/units.h — the clocked units the accelerator is built from.
// Each unit states its timing here; tests/cmodel/test_units.cpp checks every
// statement cycle by cycle (not one cycle early, not one late).
//
//  RowFetcher (key_fetcher, value_fetcher)
//    Streams rows (by token id) of one or two DRAM planes over its lanes
//    (memory ports; the key and value fetchers share one set). Each lane has
//    one request slot (RequestSlot: the RTL's AR register) and at most
//    `max_outstanding` requests in it or awaiting data. When started with a
//    live-list address it first requests the id list, one transaction per
//    request, and issues row i only once the chunk holding id i has arrived
//    (chunks count in order). Row i (fetch index) belongs to lane i mod
//    lanes, which requests all its planes: each lane writes only its own
//    bank of the buffer (slot i mod buffer_rows). A lane issues its next row
//    i only once the buffer slot is free: i - (rows popped before this
//    cycle) < `buffer_rows`. Every lane pops its own responses as they come;
//    rows are pushed to rows() in position order once all their planes
//    arrived, in the cycle the last one is popped (valid to the consumer one
//    cycle later). The key and value buffers are modelled by this credit:
//    their capacity in rows (key_sram_bytes or value_sram_bytes over the
//    largest row) and their two ports, the fetcher writing up to `lanes` beats
//    per cycle (one per lane, each to its own bank) and the MAC unit reading
//    up to max(1, M/max_head_dim) rows per cycle (consecutive slots: distinct
//    banks when buffer_rows is a multiple of the lanes and the rows read per
//    cycle are at most the lanes, as the RTL requires). The cycle-by-cycle
//    order is stated at the class.
//  MacUnit (qk_unit, pv_unit)
//    With M multipliers laid out as max(1, M / Dmax) row slots (Dmax =
//    max_head_dim) and a job of head dimension D: up to max(1, M / Dmax) rows
//    per cycle, a row taking ceil(D / M) cycles when D > M (busy in
//    between). A row taken in cycle t has its result valid at t + latency.
//  CollectUnit (softmax_unit, topk_engine, output_stage)
//    Pops up to `lanes` items per cycle until `count` arrived (cycle c), then
//    is busy for `tail` cycles, c+1 .. c+tail, and runs its finish step in
//    the last (with tail 0: in cycle c). Started with count 0 in cycle s it
//    is busy s .. s+tail-1 (a timer).
//  MemoryClient (job_controller)
//    Sends a list of requests on one port through one request slot, a
//    request entering the slot in the cycle the previous one left it, and is
//    done in the cycle it pops the last response.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spatten/cmodel/component.h"
#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/hbm_memory.h"

namespace spatten::cmodel {

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// Bytes of one live-token id in DRAM.
inline constexpr std::uint32_t kLiveIdBytes = 4;

/// A plane of rows in DRAM.
struct Plane {
  std::uint64_t base = 0;
  std::uint32_t row_bytes = 0;
  DramKind kind = DramKind::kKMsb;
};

// ---------------------------------------------------------------------------
// One AXI-style request slot per port (the RTL's AR/AW register): a request
// placed in the slot in cycle t is offered to the port from t + 1 on and
// leaves the slot in the cycle the port takes it. Valid never depends on
// ready, as AXI requires.
struct RequestSlot {
  bool valid = false;
  Cycle ready_at = 0;
  MemRequest req;
  /// Offers the slot's request to `port` in cycle `now`; true when it was taken.
  bool offer(HbmMemory& mem, int port, Cycle now) {
    if (!valid || now < ready_at || !mem.requests(port).can_push(now)) return false;
    mem.requests(port).push(now, req);
    valid = false;
    return true;
  }
  void fill(Cycle now, const MemRequest& r) {
    valid = true;
    ready_at = now + 1;
    req = r;
  }
};

// ---------------------------------------------------------------------------
// RowFetcher: key_fetcher and value_fetcher. Streams rows (by token id) of one
// or two planes over its lanes (memory ports), optionally after fetching the
// live-token list; credit-limited by the buffer it fills; delivers rows (their
// positions) in order once all their planes arrived.
//
// Cycle t, in this order (tests/cmodel/test_units.cpp checks it):
//  1. every lane pops its response if one is valid (responses of a lane come
//     back in its request order); a live-list chunk makes its ids known
//     (ids_ready advances over the chunks that arrived in order), a plane
//     marks its row;
//  2. rows whose planes all arrived are pushed to rows() in position order
//     (valid to the consumer in t + 1);
//  3. every lane's request slot offers its request to the port;
//  4. lanes in index order whose slot is empty get a request, if the lane has
//     fewer than `max_outstanding` requests in its slot or awaiting a
//     response: its own next live-list chunk while it has any left
//     (transaction-sized; chunks j, j + F, j + 2 F, ... on lane j < F, F =
//     live_list_lanes: the RTL's live-id memory is banked by position so that
//     each bank is written by one lane), else its next request: the next plane of
//     its row i (rows j, j + lanes, j + 2 lanes, ... on lane j; a row's
//     planes in order on the same lane), a new row i only once its id is
//     known and its buffer slot is free (i - rows popped by the consumer
//     before cycle t < `buffer_rows`). Lanes do not wait for each other:
//     chunks and rows are requested out of order across lanes.
class RowFetcher final : public Component {
 public:
  /// Adds `lanes` ports named <name>0.. to `mem` with read data `beat_bytes` wide.
  static std::vector<int> add_lanes(HbmMemory& mem, const std::string& name, int lanes, std::uint32_t beat_bytes) {
    std::vector<int> ports;
    for (int i = 0; i < lanes; ++i) ports.push_back(mem.add_port(name + std::to_string(i), 4, 4, beat_bytes));
    return ports;
  }

  /// The lanes that fetch the live list (chunk c on lane c mod F), for `lanes`
  /// lanes, chunks of `chunk_ids` ids and groups of `group` positions (the
  /// top-k engine's parallelism). The RTL (hw/rtl/row_fetcher.sv, the same
  /// formula) banks the live ids by position mod LB, LB a multiple of lanes
  /// and chunk_ids of at least `group` (each lane then looks up its own
  /// banks, a group reads one id a bank); chunk c fills the chunk_ids banks of
  /// class c mod LB / chunk_ids, and each class must come on one lane.
  static int live_list_lanes(int lanes, int chunk_ids, int group) {
    const int l0 = std::lcm(lanes, chunk_ids);
    const int banks = l0 >= group ? l0 : chunk_ids * lanes * ((group + chunk_ids * lanes - 1) / (chunk_ids * lanes));
    return std::min(lanes, banks / chunk_ids);
  }

  /// list_lanes: F above (0: every lane, as without banked live ids).
  RowFetcher(std::string name, HbmMemory& mem, std::vector<int> ports, std::size_t buffer_rows,
             int max_outstanding = 1 << 30, int list_lanes = 0)
      : Component(std::move(name)), mem_(mem), ports_(std::move(ports)), lanes_(ports_.size()),
        list_lanes_(list_lanes > 0 ? std::min(static_cast<std::size_t>(list_lanes), lanes_) : lanes_),
        rows_(buffer_rows + 1, 1, this->name() + ".rows"), buffer_rows_(buffer_rows),
        max_outstanding_(static_cast<std::size_t>(std::max(1, max_outstanding))) {}
  /// The historical form: its own `lanes` ports with unlimited read width.
  RowFetcher(std::string name, HbmMemory& mem, int lanes, std::size_t buffer_rows)
      : RowFetcher(name, mem, add_lanes(mem, name, lanes, 0), buffer_rows) {}

  Fifo<int>& rows() { return rows_; }
  const std::vector<int>& ports() const { return ports_; }

  /// positions: which live positions to fetch (nullptr: 0..count-1); tokens:
  /// live token ids by position; live_list: fetch the ids first from this address.
  /// No planes: only the live list is read (a cascade decision's ids); the
  /// run is done when its last chunk has arrived, and no row is delivered.
  void start(const int* tokens, const std::vector<int>* positions, int count, std::vector<Plane> planes,
             std::optional<std::uint64_t> live_list) {
    if (planes.empty() && !live_list) throw std::invalid_argument(name() + ": no planes and no live list to read");
    tokens_ = tokens;
    positions_ = positions;
    count_ = count;
    planes_ = std::move(planes);
    delivered_ = 0;
    base_pops_ = rows_.pops();
    chunks_total_ = 0;
    chunks_in_order_ = 0;
    ids_ready_ = std::numeric_limits<int>::max();  // ids already on chip
    if (live_list) {
      const auto tb = static_cast<std::uint64_t>(mem_.config().transaction_bytes);
      chunks_total_ = static_cast<int>(ceil_div(static_cast<std::uint64_t>(count) * kLiveIdBytes, tb));
      ids_ready_ = 0;
      live_addr_ = *live_list;
    }
    chunk_arrived_.assign(static_cast<std::size_t>(chunks_total_), false);
    planes_left_.assign(static_cast<std::size_t>(count), static_cast<int>(planes_.size()));
    lane_.assign(lanes_, Lane{});
    for (std::size_t j = 0; j < lanes_; ++j) {
      lane_[j].next_row = static_cast<int>(j);
      lane_[j].next_chunk = j < list_lanes_ ? static_cast<int>(j) : chunks_total_;  // (none)
    }
    active_ = count > 0;
  }
  bool done() const { return !active_; }

  Activity tick(Cycle now) override {
    if (!active_) return Activity::kIdle;
    bool did = false;
    // 1. responses: each lane in its own request order
    for (std::size_t j = 0; j < lanes_; ++j) {
      Fifo<MemResponse>& resp = mem_.responses(ports_[j]);
      if (!resp.can_pop(now)) continue;
      resp.pop(now);
      Lane& l = lane_[j];
      const Outstanding o = l.waiting.front();
      l.waiting.pop_front();
      if (o.chunk >= 0) {
        chunk_arrived_[static_cast<std::size_t>(o.chunk)] = true;
      } else {
        --planes_left_[static_cast<std::size_t>(o.row_index)];
      }
      did = true;
    }
    // ids known: the chunks that arrived in order
    while (chunks_in_order_ < chunks_total_ && chunk_arrived_[static_cast<std::size_t>(chunks_in_order_)]) {
      ++chunks_in_order_;
      ids_ready_ = std::min(count_, chunks_in_order_ * ids_per_chunk());
    }
    if (planes_.empty()) {  // ids only: done with the last chunk
      if (chunks_in_order_ == chunks_total_) active_ = false;
    }
    // 2. rows in order
    while (!planes_.empty() && delivered_ < count_ && planes_left_[static_cast<std::size_t>(delivered_)] == 0) {
      rows_.push(now, position(delivered_));
      ++delivered_;
      did = true;
    }
    // 3. slots to ports
    for (std::size_t j = 0; j < lanes_; ++j) {
      if (lane_[j].slot.offer(mem_, ports_[j], now)) did = true;
    }
    // 4. fill empty slots, lanes in order
    const std::uint64_t consumed = rows_.pops_before(now) - base_pops_;
    for (std::size_t j = 0; j < lanes_; ++j) {
      Lane& l = lane_[j];
      if (l.slot.valid || l.waiting.size() >= max_outstanding_) continue;
      if (l.next_chunk < chunks_total_) {
        // whole transactions: a read moves whole beats (the last chunk's
        // bytes past the list are read and ignored)
        const auto tb = static_cast<std::uint64_t>(mem_.config().transaction_bytes);
        const std::uint64_t off = static_cast<std::uint64_t>(l.next_chunk) * tb;
        l.slot.fill(now, MemRequest{live_addr_ + off, static_cast<std::uint32_t>(tb), DramKind::kMeta, false, 0});
        l.waiting.push_back(Outstanding{-1, l.next_chunk});
        l.next_chunk += static_cast<int>(list_lanes_);
        did = true;
        continue;
      }
      if (planes_.empty() || !can_issue_row(l, consumed)) continue;
      const int pos = position(l.next_row);
      const Plane& pl = planes_[static_cast<std::size_t>(l.next_plane)];
      const auto token = static_cast<std::uint64_t>(tokens_[pos]);
      l.slot.fill(now, MemRequest{pl.base + token * pl.row_bytes, pl.row_bytes, pl.kind, false, 0});
      l.waiting.push_back(Outstanding{l.next_row, -1});
      if (l.next_plane + 1 == static_cast<int>(planes_.size())) {
        l.next_plane = 0;
        l.next_row += static_cast<int>(lanes_);
      } else {
        ++l.next_plane;
      }
      did = true;
    }
    if (!planes_.empty() && delivered_ == count_) active_ = false;
    if (did) return Activity::kBusy;
    return Activity::kStalled;  // holding work, waiting on memory or buffer space
  }

  Cycle next_event(Cycle now) const override {
    if (!active_) return kNever;
    Cycle next = kNever;
    for (std::size_t j = 0; j < lanes_; ++j) {
      const Lane& l = lane_[j];
      const Cycle v = mem_.responses(ports_[j]).next_valid();
      if (v != kNever) next = std::min(next, std::max(now, v));
      if (l.slot.valid) next = std::min(next, std::max(now, l.slot.ready_at));  // offered every cycle
    }
    const std::uint64_t consumed = rows_.pops_before(now) - base_pops_;
    if (planes_.empty() && chunks_in_order_ == chunks_total_) return now;  // finishes this cycle
    for (const Lane& l : lane_) {
      const bool wants = l.next_chunk < chunks_total_ || (!planes_.empty() && can_issue_row(l, consumed));
      if (wants && !l.slot.valid && l.waiting.size() < max_outstanding_) return now;
    }
    return next;
  }

  Activity activity_while_waiting() const override { return active_ ? Activity::kStalled : Activity::kIdle; }

 private:
  struct Outstanding {
    int row_index;  ///< index into the fetch order, or -1 for a live-list chunk
    int chunk;      ///< chunk index, or -1
  };
  struct Lane {
    RequestSlot slot;
    std::deque<Outstanding> waiting;  ///< in the slot or awaiting the response, in request order
    int next_row = 0;                 ///< the lane's next fetch index (lane, lane + lanes, ...)
    int next_plane = 0;               ///< its next plane
    int next_chunk = 0;               ///< its next live-list chunk (lane, lane + F, ...)
  };

  int ids_per_chunk() const { return mem_.config().transaction_bytes / static_cast<int>(kLiveIdBytes); }
  int position(int index) const {
    return positions_ != nullptr ? (*positions_)[static_cast<std::size_t>(index)] : index;
  }
  /// The lane's next request may go out: its row exists, its id is known,
  /// and (a new row) the row's buffer slot is free: the row buffer_rows
  /// before it was popped by the consumer before this cycle.
  bool can_issue_row(const Lane& l, std::uint64_t consumed) const {
    if (l.next_row >= count_) return false;
    if (position(l.next_row) >= ids_ready_) return false;
    return l.next_plane > 0 || static_cast<std::uint64_t>(l.next_row) - consumed < buffer_rows_;
  }

  HbmMemory& mem_;
  std::vector<int> ports_;
  std::size_t lanes_;
  std::size_t list_lanes_;  ///< F: lanes 0 .. F-1 fetch the live list
  Fifo<int> rows_;
  std::size_t buffer_rows_;
  std::size_t max_outstanding_;
  const int* tokens_ = nullptr;
  const std::vector<int>* positions_ = nullptr;
  int count_ = 0;
  std::vector<Plane> planes_;
  int delivered_ = 0;
  std::uint64_t base_pops_ = 0;
  int chunks_total_ = 0, chunks_in_order_ = 0, ids_ready_ = 0;
  std::uint64_t live_addr_ = 0;
  std::vector<bool> chunk_arrived_;
  std::vector<int> planes_left_;
  std::vector<Lane> lane_;
  bool active_ = false;
};

// ---------------------------------------------------------------------------
// MacUnit: qk_unit and pv_unit. Consumes rows at max(1, M/D) per cycle
// (M >= D) or one per ceil(D/M) cycles, calls `work(position)` for each, and
// reports each row `latency` cycles later on its result FIFO.
class MacUnit final : public Component {
 public:
  /// max_head_dim: the head dimension the multiplier array is laid out for
  /// (0: the job's own head dimension, the unit's historical rule).
  MacUnit(std::string name, int multipliers, Cycle latency, std::size_t result_depth, int max_head_dim = 0)
      : Component(std::move(name)), multipliers_(multipliers), max_head_dim_(max_head_dim),
        results_(result_depth, std::max<Cycle>(latency, 1), this->name() + ".results") {}

  Fifo<int>& results() { return results_; }

  template <class Work>
  void start(Fifo<int>* in, int rows, int head_dim, Work&& work) {
    in_ = in;
    left_ = rows;
    work_ = std::forward<Work>(work);
    // rows per cycle: M / D_max row slots of D_max multipliers each; cycles
    // per row: ceil(hd / M) (one when the row fits the multipliers)
    const int layout = max_head_dim_ > 0 ? max_head_dim_ : head_dim;
    per_cycle_ = multipliers_ >= layout ? multipliers_ / layout : 1;
    cycles_per_row_ = multipliers_ >= head_dim
                          ? 1
                          : static_cast<Cycle>(ceil_div(static_cast<std::uint64_t>(head_dim),
                                                        static_cast<std::uint64_t>(multipliers_)));
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
  int max_head_dim_;
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

/// The job controller's own memory traffic (descriptor, query, output,
/// status, live-list write-back): its requests in order through one request
/// slot (RequestSlot: a request enters the slot in cycle t, the port takes it
/// from t + 1 on, the next request enters the slot in the cycle the previous
/// one left it); done in the cycle it pops the last response.
class MemoryClient final : public Component {
 public:
  MemoryClient(std::string name, HbmMemory& mem, int port) : Component(std::move(name)), mem_(mem), port_(port) {}
  /// not_before (optional, one per request): the first cycle each request
  /// may be offered (a write whose data must go out first).
  void start(std::vector<MemRequest> reqs, std::vector<Cycle> not_before = {}) {
    reqs_ = std::move(reqs);
    not_before_ = std::move(not_before);
    sent_ = got_ = 0;
    slot_ = RequestSlot{};
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
    if (slot_.offer(mem_, port_, now)) did = true;
    if (!slot_.valid && sent_ < reqs_.size()) {
      slot_.fill(now, reqs_[sent_]);
      if (sent_ < not_before_.size()) slot_.ready_at = std::max(slot_.ready_at, not_before_[sent_]);
      ++sent_;
      did = true;
    }
    return did ? Activity::kBusy : Activity::kStalled;
  }
  Cycle next_event(Cycle now) const override {
    if (done()) return kNever;
    if (!slot_.valid && sent_ < reqs_.size()) return now;
    Cycle next = slot_.valid ? std::max(now, slot_.ready_at) : kNever;
    const Cycle v = mem_.responses(port_).next_valid();
    if (v != kNever) next = std::min(next, std::max(now, v));
    return next;
  }
  Activity activity_while_waiting() const override { return done() ? Activity::kIdle : Activity::kStalled; }

 private:
  HbmMemory& mem_;
  int port_;
  std::vector<MemRequest> reqs_;
  std::vector<Cycle> not_before_;
  std::size_t sent_ = 0, got_ = 0;
  RequestSlot slot_;
};

}  // namespace spatten::cmodel
