// The HBM memory model's contract (sim/cmodel/include/spatten/cmodel/hbm_memory.h),
// timed exactly: latency, bandwidth, outstanding limit, fractional bus rates,
// in-order responses, byte accounting; each scenario in tick-every-cycle and
// idle-skipping mode with identical results.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "spatten/cmodel/hbm_memory.h"
#include "spatten/cmodel/simulator.h"

namespace c = spatten::cmodel;

namespace {

struct Arrival {
  std::uint64_t tag;
  c::Cycle valid;  ///< first cycle the requester could pop the response
  c::MemResponse resp;
};

/// Pushes its requests in order as early as allowed, pops every response as
/// soon as it is valid.
class Requester final : public c::Component {
 public:
  Requester(c::HbmMemory& mem, const std::string& name, std::vector<c::MemRequest> reqs, c::Cycle start = 0)
      : Component(name), port_(mem.add_port(name, 4, 4)), mem_(mem), todo_(reqs.begin(), reqs.end()),
        expected_(reqs.size()), start_(start) {}

  c::Activity tick(c::Cycle now) override {
    bool did = false;
    if (mem_.responses(port_).can_pop(now)) {
      const c::MemResponse r = mem_.responses(port_).pop(now);
      got.push_back(Arrival{r.tag, now, r});
      did = true;
    }
    if (now >= start_ && !todo_.empty() && mem_.requests(port_).can_push(now)) {
      mem_.requests(port_).push(now, todo_.front());
      todo_.pop_front();
      did = true;
    }
    return did ? c::Activity::kBusy : c::Activity::kIdle;
  }
  c::Cycle next_event(c::Cycle now) const override {
    c::Cycle next = c::kNever;
    const c::Cycle v = mem_.responses(port_).next_valid();
    if (v != c::kNever) next = std::max(now, v);
    if (!todo_.empty()) next = std::min(next, std::max(now, start_));  // push (or retry) every cycle
    return next;
  }
  bool done() const { return got.size() == expected_; }
  std::vector<Arrival> got;

 private:
  int port_;
  c::HbmMemory& mem_;
  std::deque<c::MemRequest> todo_;
  std::size_t expected_;
  c::Cycle start_;
};

struct Outcome {
  std::vector<std::vector<Arrival>> arrivals;  // per requester
  c::Cycle cycles;
  std::uint64_t hbm_busy;
};

/// Runs the requesters (one list of requests each) against one memory.
Outcome simulate(const c::HbmConfig& cfg, const std::vector<std::vector<c::MemRequest>>& lists, bool skip,
                 const std::vector<c::Cycle>& starts = {}) {
  c::HbmMemory mem(cfg);
  std::vector<std::unique_ptr<Requester>> reqs;
  c::Simulator sim(skip);
  sim.add(mem);
  for (std::size_t i = 0; i < lists.size(); ++i) {
    reqs.push_back(std::make_unique<Requester>(mem, "r" + std::to_string(i), lists[i],
                                               i < starts.size() ? starts[i] : 0));
    sim.add(*reqs.back());
  }
  Outcome o;
  o.cycles = sim.run([&] {
    for (const auto& r : reqs)
      if (!r->done()) return false;
    return true;
  });
  for (const auto& r : reqs) o.arrivals.push_back(r->got);
  o.hbm_busy = mem.busy_cycles();
  EXPECT_TRUE(mem.quiescent());
  return o;
}

/// Both simulator modes, which must agree exactly; returns the skipping one.
Outcome both_modes(const c::HbmConfig& cfg, const std::vector<std::vector<c::MemRequest>>& lists,
                   const std::vector<c::Cycle>& starts = {}) {
  const Outcome ticked = simulate(cfg, lists, false, starts);
  const Outcome skipped = simulate(cfg, lists, true, starts);
  EXPECT_EQ(ticked.cycles, skipped.cycles);
  EXPECT_EQ(ticked.hbm_busy, skipped.hbm_busy);
  for (std::size_t i = 0; i < ticked.arrivals.size(); ++i) {
    EXPECT_EQ(ticked.arrivals[i].size(), skipped.arrivals[i].size());
    for (std::size_t j = 0; j < ticked.arrivals[i].size(); ++j) {
      EXPECT_EQ(ticked.arrivals[i][j].tag, skipped.arrivals[i][j].tag);
      EXPECT_EQ(ticked.arrivals[i][j].valid, skipped.arrivals[i][j].valid) << "requester " << i << " response " << j;
    }
  }
  return skipped;
}

c::MemRequest read(std::uint64_t addr, std::uint32_t bytes, std::uint64_t tag, c::DramKind kind = c::DramKind::kKMsb) {
  return c::MemRequest{addr, bytes, kind, false, tag};
}

c::Cycle ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

}  // namespace

TEST(HbmMemory, LoneRequestRoundTripIsLatencyPlusTransferPlusTwo) {
  for (c::Cycle lat : {1u, 7u, 100u}) {
    for (int bpc : {16, 32, 47}) {
      for (std::uint32_t bytes : {32u, 64u, 96u}) {
        c::HbmConfig cfg;
        cfg.channels = 1;
        cfg.bytes_per_cycle = bpc;
        cfg.latency_cycles = lat;
        const Outcome o = both_modes(cfg, {{read(0, bytes, 1)}});
        ASSERT_EQ(o.arrivals[0].size(), 1u);
        // pushed in cycle 0; issued from cycle 1 on the byte-granular bus
        const c::Cycle expect = 1 + ceil_div(static_cast<std::uint64_t>(bpc) + bytes, static_cast<std::uint64_t>(bpc)) - 1 + lat + 1;
        EXPECT_EQ(o.arrivals[0][0].valid, expect) << "lat=" << lat << " bpc=" << bpc << " bytes=" << bytes;
        EXPECT_EQ(o.arrivals[0][0].resp.accepted, 1u);
        if (static_cast<int>(bytes) % bpc == 0) {  // the header's formula, for whole cycles of transfer
          EXPECT_EQ(o.arrivals[0][0].valid, lat + bytes / static_cast<std::uint32_t>(bpc) + 2u);
        }
      }
    }
  }
}

TEST(HbmMemory, StreamingReachesPeakBandwidthExactly) {
  for (int channels : {1, 2, 16}) {
    c::HbmConfig cfg;
    cfg.channels = channels;
    cfg.bytes_per_cycle = 32;
    cfg.latency_cycles = 100;
    cfg.max_outstanding = 1000;  // enough to cover latency: the bus is the only limit
    std::vector<c::MemRequest> reqs;
    const int n = 512;
    for (int i = 0; i < n; ++i) reqs.push_back(read(static_cast<std::uint64_t>(i) * 1024, 1024, static_cast<std::uint64_t>(i)));
    const Outcome o = both_modes(cfg, {reqs});
    const std::uint64_t per_channel = static_cast<std::uint64_t>(n) * 1024 / static_cast<std::uint64_t>(channels);
    // bus busy from cycle 1 without a gap; last data complete at 1 + per_channel/bpc + latency
    const c::Cycle last = 1 + per_channel / 32 + 100 + 1;
    EXPECT_EQ(o.arrivals[0].back().valid, last) << "channels=" << channels;
    EXPECT_EQ(o.cycles, last + 1);
    const double util = static_cast<double>(n) * 1024 / (static_cast<double>(o.cycles) * channels * 32);
    EXPECT_GE(util, channels == 16 ? 0.90 : 0.98) << "channels=" << channels;
    for (std::size_t i = 0; i < o.arrivals[0].size(); ++i) EXPECT_EQ(o.arrivals[0][i].tag, i) << "in order";
  }
}

TEST(HbmMemory, FractionalBytesPerCycleIsExactInTheLongRun) {
  // 32-byte transactions on a 47-byte/cycle channel (Alveo HBM at 300 MHz)
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.bytes_per_cycle = 47;
  cfg.latency_cycles = 32;
  cfg.max_outstanding = 1000;
  const std::uint32_t k = 4700;  // transactions
  const Outcome o = both_modes(cfg, {{read(0, 32 * k, 9)}});
  // bus time starts at byte 47 (cycle 1) and ends at 47 + 32k
  const c::Cycle complete = ceil_div(47 + 32ull * k, 47) + 32;
  EXPECT_EQ(o.arrivals[0][0].valid, complete + 1);
  EXPECT_EQ(o.arrivals[0][0].resp.completed, complete);
}

TEST(HbmMemory, OutstandingLimitSerializesTransactions) {
  for (int limit : {1, 2, 3}) {
    c::HbmConfig cfg;
    cfg.channels = 1;
    cfg.bytes_per_cycle = 32;
    cfg.latency_cycles = 20;
    cfg.max_outstanding = limit;
    std::vector<c::MemRequest> reqs;
    for (int i = 0; i < 12; ++i) reqs.push_back(read(static_cast<std::uint64_t>(i) * 32, 32, static_cast<std::uint64_t>(i)));
    const Outcome o = both_modes(cfg, {reqs});
    // each group of `limit` transactions issues together once the previous group
    // completes: a transaction takes 1 bus cycle + 20 latency; groups start 21 apart
    // (one bus cycle per transaction inside a group)
    for (int i = 0; i < 12; ++i) {
      const c::Cycle issue = 1 + static_cast<c::Cycle>(i / limit) * 21 + static_cast<c::Cycle>(i % limit);
      const c::Cycle expect = issue + 1 + 20 + 1;
      EXPECT_EQ(o.arrivals[0][static_cast<std::size_t>(i)].valid, expect) << "limit=" << limit << " i=" << i;
    }
  }
}

TEST(HbmMemory, ResponsesStayInOrderPerRequester) {
  c::HbmConfig cfg;
  cfg.channels = 2;
  cfg.bytes_per_cycle = 32;
  cfg.latency_cycles = 10;
  cfg.max_outstanding = 64;
  cfg.interleave_bytes = 1024;  // [0, 1024) is channel 0, [1024, 2048) channel 1
  // requester 0 floods channel 0 (8 x 1 KiB = 256 bus cycles); requester 1 then
  // asks for one block on the busy channel 0 and one on the idle channel 1
  std::vector<c::MemRequest> flood;
  for (int i = 0; i < 8; ++i) flood.push_back(read(0, 1024, static_cast<std::uint64_t>(i)));
  const std::vector<c::MemRequest> mixed = {read(0, 32, 100), read(1024, 32, 101)};
  const Outcome o = both_modes(cfg, {flood, mixed}, {0, 2});
  const auto& a = o.arrivals[1];
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].tag, 100u);
  EXPECT_EQ(a[1].tag, 101u);
  EXPECT_LT(a[1].resp.completed, a[0].resp.completed) << "the later request finished first";
  EXPECT_GT(a[1].valid, a[0].valid) << "but its response waited for the earlier one";
}

TEST(HbmMemory, CountsBytesByKindAndDirection) {
  c::HbmConfig cfg;
  cfg.channels = 4;
  c::HbmMemory mem(cfg);
  Requester r(mem, "r", {read(0, 96, 1, c::DramKind::kKMsb), read(4096, 40, 2, c::DramKind::kKLsb),
                         read(8192, 640, 3, c::DramKind::kV), c::MemRequest{0, 256, c::DramKind::kOut, true, 4},
                         read(125, 5, 5, c::DramKind::kMeta)});
  c::Simulator sim;
  sim.add(mem);
  sim.add(r);
  sim.run([&] { return r.done(); });
  EXPECT_EQ(mem.bytes_read(c::DramKind::kKMsb), 96u);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kKLsb), 40u);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kV), 640u);
  EXPECT_EQ(mem.bytes_written(c::DramKind::kOut), 256u);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kOut), 0u);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kMeta), 5u);
  EXPECT_EQ(mem.bytes_total(), 96u + 40 + 640 + 256 + 5);
  // 96 B: 3 transactions, 40 B: 2 (split at 32), 640: 20, 256: 8, 5 bytes at 125: 2 (crosses 128)
  std::uint64_t txns = 0;
  for (int ch = 0; ch < 4; ++ch) txns += mem.transactions(ch);
  EXPECT_EQ(txns, 3u + 2 + 20 + 8 + 2);
}

TEST(HbmMemory, InterleavingSpreadsTransactionsOverChannels) {
  c::HbmConfig cfg;
  cfg.channels = 4;
  cfg.interleave_bytes = 64;
  c::HbmMemory mem(cfg);
  Requester r(mem, "r", {read(0, 1024, 1)});
  c::Simulator sim;
  sim.add(mem);
  sim.add(r);
  sim.run([&] { return r.done(); });
  for (int ch = 0; ch < 4; ++ch) EXPECT_EQ(mem.transactions(ch), 8u) << "channel " << ch;  // 32 txns / 4
}

TEST(HbmMemory, RejectsBadConfiguration) {
  c::HbmConfig cfg;
  cfg.channels = 0;
  EXPECT_THROW(c::HbmMemory{cfg}, std::invalid_argument);
  cfg = c::HbmConfig{};
  cfg.bytes_per_cycle = 0;
  EXPECT_THROW(c::HbmMemory{cfg}, std::invalid_argument);
  cfg = c::HbmConfig{};
  cfg.max_outstanding = 0;
  EXPECT_THROW(c::HbmMemory{cfg}, std::invalid_argument);
}
