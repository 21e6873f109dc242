// The HBM memory model's contract (sim/cmodel/include/spatten/cmodel/hbm_memory.h),
// timed exactly: latency, bandwidth, outstanding limit, fractional bus rates,
// in-order responses, byte accounting; each scenario in tick-every-cycle and
// idle-skipping mode with identical results. Then the request log, the read
// data beats of ports with a data width and the seeded timing jitter.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

#include "spatten/cmodel/hbm_memory.h"
#include "spatten/cmodel/simulator.h"
#include "spatten_test_seed.h"

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

// Sizes that are not powers of two take divisions instead of shifts and masks:
// 3 channels, 48-byte interleave, 24-byte transactions. 240 bytes from
// address 12: transactions split at multiples of 24 (12, 24, 48, ... 240,
// 252), 11 of them; transaction at a goes to channel (a / 48) mod 3.
TEST(HbmMemory, SplitsAndInterleavesWithSizesThatAreNotPowersOfTwo) {
  c::HbmConfig cfg;
  cfg.channels = 3;
  cfg.interleave_bytes = 48;
  cfg.transaction_bytes = 24;
  c::HbmMemory mem(cfg);
  Requester r(mem, "r", {read(12, 240, 1)});
  c::Simulator sim;
  sim.add(mem);
  sim.add(r);
  sim.run([&] { return r.done(); });
  // starts 12, 24 -> line 0 (channel 0); 48, 72 -> 1; 96, 120 -> 2; 144, 168 -> 3 (0);
  // 192, 216 -> 4 (1); 240 -> 5 (2)
  EXPECT_EQ(mem.transactions(0), 4u);
  EXPECT_EQ(mem.transactions(1), 4u);
  EXPECT_EQ(mem.transactions(2), 3u);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kKMsb), 240u);
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

// ---- request log, read data beats, timing jitter ------------------------------

namespace {

struct BeatAt {
  c::Cycle cycle;
  int port;
  c::HbmMemory::Beat beat;
  bool operator==(const BeatAt& o) const {
    return cycle == o.cycle && port == o.port && beat.valid == o.beat.valid && beat.last == o.beat.last &&
           beat.write == o.beat.write && beat.tag == o.beat.tag && beat.index == o.beat.index &&
           beat.address == o.beat.address && beat.bytes == o.beat.bytes;
  }
};

struct BeatRun {
  std::vector<BeatAt> beats;                     ///< every valid beat, by cycle then port
  std::vector<std::vector<Arrival>> arrivals;    ///< per port
  std::vector<c::LoggedRequest> log;
  std::vector<c::Cycle> pushes;                  ///< cycle of each push, all ports in order
};

/// Ticks every cycle: one port per list (data `beat_bytes` wide); each port
/// pushes its requests in order as early as the FIFO allows, pops every
/// response as soon as it is valid.
BeatRun run_beats(const c::HbmConfig& cfg, const std::vector<std::vector<c::MemRequest>>& lists,
                  std::uint32_t beat_bytes) {
  c::HbmMemory mem(cfg);
  BeatRun out;
  mem.set_request_log(&out.log);
  std::vector<std::deque<c::MemRequest>> todo;
  std::size_t left = 0;
  for (std::size_t i = 0; i < lists.size(); ++i) {
    mem.add_port("p" + std::to_string(i), 4, 4, beat_bytes);
    todo.emplace_back(lists[i].begin(), lists[i].end());
    left += lists[i].size();
  }
  out.arrivals.resize(lists.size());
  for (c::Cycle now = 0; left > 0; ++now) {
    if (now > 1000000) {
      ADD_FAILURE() << "run_beats: no progress";
      break;
    }
    mem.tick(now);
    for (std::size_t i = 0; i < lists.size(); ++i) {
      const int p = static_cast<int>(i);
      if (mem.beat(p).valid) out.beats.push_back(BeatAt{now, p, mem.beat(p)});
      if (mem.responses(p).can_pop(now)) {
        const c::MemResponse r = mem.responses(p).pop(now);
        out.arrivals[i].push_back(Arrival{r.tag, now, r});
        --left;
      }
      if (!todo[i].empty() && mem.requests(p).can_push(now)) {
        mem.requests(p).push(now, todo[i].front());
        todo[i].pop_front();
        out.pushes.push_back(now);
      }
    }
  }
  EXPECT_TRUE(mem.quiescent());
  return out;
}

/// A mixed load: reads of 32..256 bytes and some writes on three ports.
std::vector<std::vector<c::MemRequest>> mixed_load() {
  std::vector<std::vector<c::MemRequest>> lists(3);
  std::uint64_t tag = 0;
  for (int i = 0; i < 40; ++i) {
    for (std::size_t p = 0; p < lists.size(); ++p) {
      const auto bytes = static_cast<std::uint32_t>(32 * (1 + (i + static_cast<int>(p)) % 8));
      const bool write = p == 2 && i % 3 == 0;
      lists[p].push_back(c::MemRequest{static_cast<std::uint64_t>(i) * 4096 + p * 1024, bytes, c::DramKind::kV, write,
                                       tag++});
    }
  }
  return lists;
}

}  // namespace

TEST(HbmMemory, RequestLogRecordsEveryAcceptedRequestWithoutChangingTiming) {
  c::HbmConfig cfg;
  cfg.channels = 2;
  cfg.latency_cycles = 9;
  const std::vector<std::vector<c::MemRequest>> lists = {
      {read(0, 64, 1), c::MemRequest{4096, 32, c::DramKind::kOut, true, 2}, read(96, 5, 3)},
      {read(8192, 128, 4, c::DramKind::kV)}};
  const Outcome plain = both_modes(cfg, lists);

  c::HbmMemory mem(cfg);
  std::vector<c::LoggedRequest> log;
  mem.set_request_log(&log);
  Requester r0(mem, "r0", lists[0]);
  Requester r1(mem, "r1", lists[1]);
  c::Simulator sim(true);
  sim.add(mem);
  sim.add(r0);
  sim.add(r1);
  sim.run([&] { return r0.done() && r1.done(); });
  // same timing as without the log
  ASSERT_EQ(r0.got.size(), 3u);
  ASSERT_EQ(r1.got.size(), 1u);
  for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(r0.got[j].valid, plain.arrivals[0][j].valid);
  EXPECT_EQ(r1.got[0].valid, plain.arrivals[1][0].valid);
  // pushed in 0, 1, 2 (port 0) and 0 (port 1): accepted one cycle later, ports in index order
  const std::vector<c::LoggedRequest> expect = {
      {1, 0, 0, 64, false}, {1, 1, 8192, 128, false}, {2, 0, 4096, 32, true}, {3, 0, 96, 5, false}};
  EXPECT_EQ(log, expect);
  EXPECT_EQ(log[0].cycle, r0.got[0].resp.accepted);
  EXPECT_EQ(log[2].cycle, r0.got[1].resp.accepted);
  EXPECT_EQ(log[1].cycle, r1.got[0].resp.accepted);
}

TEST(HbmMemory, ReadResponseStreamsOneBeatPerCycleThenEntersTheFifo) {
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.bytes_per_cycle = 32;
  cfg.latency_cycles = 10;
  // a lone 128-byte read pushed in cycle 0: accepted in 1, 4 transactions
  // issued in 1..4, complete in 2+10 .. 5+10: the response is ready in 15
  const c::Cycle ready = 15;
  for (std::uint32_t beat_bytes : {0u, 32u, 64u, 128u, 256u}) {
    const BeatRun run = run_beats(cfg, {{read(0, 128, 7)}}, beat_bytes);
    const std::uint32_t beats = beat_bytes == 0 ? 1 : (128 + beat_bytes - 1) / beat_bytes;
    ASSERT_EQ(run.beats.size(), beats) << "beat_bytes=" << beat_bytes;
    for (std::uint32_t i = 0; i < beats; ++i) {
      const BeatAt& b = run.beats[i];
      EXPECT_EQ(b.cycle, ready + i) << "beat " << i << " beat_bytes=" << beat_bytes;
      EXPECT_EQ(b.beat.index, i);
      EXPECT_EQ(b.beat.last, i + 1 == beats);
      EXPECT_FALSE(b.beat.write);
      EXPECT_EQ(b.beat.tag, 7u);
      EXPECT_EQ(b.beat.address, 0u);
      EXPECT_EQ(b.beat.bytes, 128u);
    }
    ASSERT_EQ(run.arrivals[0].size(), 1u);
    EXPECT_EQ(run.arrivals[0][0].valid, ready + beats) << "valid the cycle after the last beat";
    EXPECT_EQ(run.arrivals[0][0].resp.completed, ready);
    EXPECT_EQ(run.arrivals[0][0].resp.accepted, 1u);
  }
}

TEST(HbmMemory, ConsecutiveReadResponsesStreamBackToBack) {
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 10;
  // the second read (pushed in 1) issues in 5..8 and is ready in 19, the
  // cycle after the first one's last beat (15..18): 8 beats without a gap
  const BeatRun run = run_beats(cfg, {{read(0, 128, 1), read(4096, 128, 2)}}, 32);
  ASSERT_EQ(run.beats.size(), 8u);
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(run.beats[i].cycle, 15u + i);
    EXPECT_EQ(run.beats[i].beat.tag, i < 4 ? 1u : 2u);
    EXPECT_EQ(run.beats[i].beat.index, i % 4);
    EXPECT_EQ(run.beats[i].beat.last, i % 4 == 3);
  }
  EXPECT_EQ(run.arrivals[0][0].valid, 19u);
  EXPECT_EQ(run.arrivals[0][1].valid, 23u);
}

TEST(HbmMemory, WriteResponseIsOneBeat) {
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 10;
  const BeatRun run = run_beats(cfg, {{c::MemRequest{0, 128, c::DramKind::kOut, true, 5}}}, 32);
  ASSERT_EQ(run.beats.size(), 1u);
  EXPECT_EQ(run.beats[0].cycle, 15u);
  EXPECT_TRUE(run.beats[0].beat.write);
  EXPECT_TRUE(run.beats[0].beat.last);
  EXPECT_EQ(run.beats[0].beat.index, 0u);
  EXPECT_EQ(run.beats[0].beat.tag, 5u);
  EXPECT_EQ(run.arrivals[0][0].valid, 16u);
}

TEST(HbmMemory, BeatsWithoutJitterAreTheSameAsWithSeedZero) {
  c::HbmConfig cfg;
  cfg.channels = 2;
  cfg.latency_cycles = 12;
  const BeatRun base = run_beats(cfg, mixed_load(), 32);
  cfg.jitter_max_extra_latency = 30;  // seed 0: no jitter whatever the amounts
  cfg.jitter_stall_percent = 50;
  const BeatRun zero = run_beats(cfg, mixed_load(), 32);
  EXPECT_EQ(base.beats, zero.beats);
  EXPECT_EQ(base.log, zero.log);
}

TEST(HbmMemory, JitterIsAPureFunctionOfTheSeed) {
  const std::uint64_t seed = spatten::test::test_seed() | 1u;
  c::HbmConfig cfg;
  cfg.channels = 2;
  cfg.latency_cycles = 12;
  const BeatRun plain = run_beats(cfg, mixed_load(), 32);
  cfg.jitter_seed = seed;
  cfg.jitter_max_extra_latency = 20;
  cfg.jitter_stall_percent = 25;
  const BeatRun a = run_beats(cfg, mixed_load(), 32);
  const BeatRun b = run_beats(cfg, mixed_load(), 32);
  EXPECT_EQ(a.beats, b.beats) << "same seed, same timing";
  EXPECT_EQ(a.log, b.log);
  EXPECT_EQ(a.pushes, b.pushes);
  EXPECT_NE(a.beats, plain.beats) << "jitter changes the timing";
  cfg.jitter_seed = seed ^ 0x9e3779b9u;
  const BeatRun other = run_beats(cfg, mixed_load(), 32);
  EXPECT_NE(a.beats, other.beats) << "another seed, another timing";
  EXPECT_NE(a.log, other.log);
  // the data beats of every read are still consecutive and complete
  for (const BeatRun* r : {&a, &other}) {
    std::vector<std::uint32_t> next(3, 0);
    std::vector<c::Cycle> last(3, 0);
    for (const BeatAt& bt : r->beats) {
      auto& n = next[static_cast<std::size_t>(bt.port)];
      if (n > 0) {
        EXPECT_EQ(bt.cycle, last[static_cast<std::size_t>(bt.port)] + 1) << "beats of one response are consecutive";
      }
      EXPECT_EQ(bt.beat.index, n);
      n = bt.beat.last ? 0 : n + 1;
      last[static_cast<std::size_t>(bt.port)] = bt.cycle;
    }
  }
}

TEST(HbmMemory, JitterAddsBoundedLatencyPerTransaction) {
  // a lone one-transaction read: round trip latency + 1 + 2 plus the jitter of
  // its transaction, 0 .. jitter_max_extra_latency
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 10;
  cfg.jitter_max_extra_latency = 7;
  std::vector<c::Cycle> seen;
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    cfg.jitter_seed = seed;
    const BeatRun run = run_beats(cfg, {{read(0, 32, 1)}}, 32);
    const c::Cycle rt = run.arrivals[0][0].valid;
    EXPECT_GE(rt, 13u);
    EXPECT_LE(rt, 13u + 7u);
    seen.push_back(rt);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_GE(std::unique(seen.begin(), seen.end()) - seen.begin(), 4) << "the extra latency varies with the seed";
}

TEST(HbmMemory, StallPercentRefusesRequestsInTheHashedCycles) {
  const std::uint64_t seed = spatten::test::test_seed() | 1u;
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 4;
  cfg.max_outstanding = 1000;
  cfg.jitter_seed = seed;
  cfg.jitter_stall_percent = 50;
  c::HbmMemory mem(cfg);
  std::vector<c::LoggedRequest> log;
  mem.set_request_log(&log);
  const int p0 = mem.add_port("p0", 4, 4, 32);
  const int p1 = mem.add_port("p1", 4, 4, 32);
  int refused = 0, full = 0, offered = 0;
  std::uint64_t sent = 0;
  for (c::Cycle now = 0; now < 400; ++now) {
    const bool had = mem.requests(p0).can_pop(now);
    const std::size_t before = log.size();
    mem.tick(now);
    bool took = false;
    for (std::size_t i = before; i < log.size(); ++i) took = took || log[i].port == p0;
    if (had) {
      ++offered;
      EXPECT_EQ(took, !mem.refuses_request(p0, now)) << "cycle " << now;
      if (!took) ++refused;
    } else {
      EXPECT_FALSE(took);
    }
    while (mem.responses(p0).can_pop(now)) mem.responses(p0).pop(now);
    if (mem.requests(p0).can_push(now)) {
      mem.requests(p0).push(now, read(sent * 32, 32, sent));
      ++sent;
    } else {
      ++full;
    }
    EXPECT_FALSE(mem.requests(p1).can_pop(now));  // p1 idle: nothing to refuse
  }
  EXPECT_GT(full, 0) << "refusals fill the request FIFO: AXI back-pressure";
  EXPECT_GT(refused, offered / 4);
  EXPECT_LT(refused, offered * 3 / 4);
  // the hash differs per port and is off without a seed or a percentage
  int differ = 0;
  for (c::Cycle t = 0; t < 200; ++t) differ += mem.refuses_request(p0, t) != mem.refuses_request(p1, t) ? 1 : 0;
  EXPECT_GT(differ, 0);
  cfg.jitter_stall_percent = 0;
  c::HbmMemory calm(cfg);
  cfg.jitter_stall_percent = 50;
  cfg.jitter_seed = 0;
  c::HbmMemory unseeded(cfg);
  calm.add_port("p", 4, 4, 32);
  unseeded.add_port("p", 4, 4, 32);
  for (c::Cycle t = 0; t < 200; ++t) {
    EXPECT_FALSE(calm.refuses_request(0, t));
    EXPECT_FALSE(unseeded.refuses_request(0, t));
  }
}
