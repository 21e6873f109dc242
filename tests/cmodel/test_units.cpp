// Tight timing of each unit in isolation (sim/cmodel/include/spatten/cmodel/units.h):
// every output appears exactly at its documented cycle, for several parameter
// sets, in both simulator modes.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "spatten/cmodel/simulator.h"
#include "spatten/cmodel/units.h"

namespace c = spatten::cmodel;

namespace {

/// Pushes item i into a FIFO at cycle at[i] (or later if full) and records
/// when things arrive on another FIFO.
class Feeder final : public c::Component {
 public:
  Feeder(c::Fifo<int>& out, std::vector<c::Cycle> at) : Component("feeder"), out_(out), at_(std::move(at)) {}
  c::Activity tick(c::Cycle now) override {
    if (next_ < at_.size() && at_[next_] <= now && out_.can_push(now)) {
      out_.push(now, static_cast<int>(next_));
      pushed_at.push_back(now);
      ++next_;
      return c::Activity::kBusy;
    }
    return c::Activity::kIdle;
  }
  c::Cycle next_event(c::Cycle now) const override {
    return next_ < at_.size() ? std::max(now, at_[next_]) : c::kNever;
  }
  std::vector<c::Cycle> pushed_at;

 private:
  c::Fifo<int>& out_;
  std::vector<c::Cycle> at_;
  std::size_t next_ = 0;
};

class Drain final : public c::Component {
 public:
  explicit Drain(c::Fifo<int>& in) : Component("drain"), in_(in) {}
  c::Activity tick(c::Cycle now) override {
    if (!in_.can_pop(now)) return c::Activity::kIdle;
    in_.pop(now);
    valid_at.push_back(now);
    return c::Activity::kBusy;
  }
  c::Cycle next_event(c::Cycle now) const override {
    const c::Cycle v = in_.next_valid();
    return v == c::kNever ? c::kNever : std::max(now, v);
  }
  std::vector<c::Cycle> valid_at;

 private:
  c::Fifo<int>& in_;
};

/// MacUnit fed `rows` rows all valid from cycle 1; returns the cycles results are valid.
std::vector<c::Cycle> mac_results(int multipliers, int head_dim, c::Cycle latency, int rows, bool skip) {
  c::Fifo<int> in(1024, 1, "in");
  c::MacUnit mac("mac", multipliers, latency, 1024);
  Feeder feed(in, std::vector<c::Cycle>(static_cast<std::size_t>(rows), 0));
  Drain drain(mac.results());
  std::vector<int> seen;
  mac.start(&in, rows, head_dim, [&](int pos) { seen.push_back(pos); });
  c::Simulator sim(skip);
  sim.add(feed);
  sim.add(mac);
  sim.add(drain);
  sim.run([&] { return drain.valid_at.size() == static_cast<std::size_t>(rows); });
  for (int i = 0; i < rows; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i) << "rows in order";
  return drain.valid_at;
}

}  // namespace

TEST(MacUnitTiming, RowsPerCycleAndLatency) {
  struct Case {
    int m, d;
    c::Cycle latency;
  };
  for (const Case& k : {Case{64, 64, 8}, Case{512, 64, 8}, Case{256, 80, 3}, Case{16, 64, 1}, Case{64, 96, 5}}) {
    for (bool skip : {true, false}) {
      const int rows = 20;
      const auto got = mac_results(k.m, k.d, k.latency, rows, skip);
      // items pushed in cycle i are valid from i+1; the unit takes them as they come
      // at most M/D per cycle, or one per ceil(D/M) cycles
      std::vector<c::Cycle> expect;
      c::Cycle free_at = 0;
      int taken = 0;
      for (c::Cycle t = 1; taken < rows; ++t) {
        if (t < free_at) continue;
        const int per = k.m >= k.d ? k.m / k.d : 1;
        int took = 0;
        while (took < per && taken < rows && static_cast<c::Cycle>(taken) + 1 <= t) {
          expect.push_back(t + k.latency);
          ++took;
          ++taken;
        }
        if (took > 0) free_at = t + (k.m >= k.d ? 1 : (static_cast<c::Cycle>(k.d) + static_cast<c::Cycle>(k.m) - 1) / static_cast<c::Cycle>(k.m));
      }
      EXPECT_EQ(got, expect) << "M=" << k.m << " D=" << k.d << " latency=" << k.latency << " skip=" << skip;
    }
  }
}

TEST(CollectUnitTiming, CollectThenTail) {
  for (int lanes : {1, 4, 16}) {
    for (c::Cycle tail : {0u, 1u, 37u}) {
      for (bool skip : {true, false}) {
        c::Fifo<int> in(1024, 1, "in");
        // 40 items pushed at cycles 0, 3, 6, ...: valid at 1, 4, 7, ...
        std::vector<c::Cycle> at;
        for (int i = 0; i < 40; ++i) at.push_back(static_cast<c::Cycle>(3 * i));
        Feeder feed(in, at);
        c::CollectUnit unit("collect", lanes);
        c::Cycle finished = c::kNever;
        c::Simulator sim(skip);
        sim.add(feed);
        sim.add(unit);
        unit.start(0, &in, 40, tail, [&] { finished = sim.now(); });
        sim.run([&] { return finished != c::kNever; });
        // the last item is valid at 3*39+1 = 118 and taken then (arrivals are slower than any lane count)
        const c::Cycle last = 118;
        EXPECT_EQ(finished, tail == 0 ? last : last + tail) << "lanes=" << lanes << " tail=" << tail;
        EXPECT_EQ(unit.busy_cycles(), 40u + tail) << "one busy cycle per item plus the tail";
      }
    }
  }
  // a burst is limited by the lanes: 40 items valid at once, 16 per cycle -> 3 cycles
  c::Fifo<int> in(1024, 1, "in");
  Feeder feed(in, std::vector<c::Cycle>(40, 0));
  c::CollectUnit unit("collect", 16);
  c::Simulator sim(true);
  sim.add(feed);
  sim.add(unit);
  c::Cycle finished = c::kNever;
  unit.start(0, &in, 40, 5, [&] { finished = sim.now(); });
  sim.run([&] { return finished != c::kNever; });
  // pushes at 0..39 (one per cycle by the feeder) -> the collector keeps up: last taken at 40
  EXPECT_EQ(finished, 40u + 5u);
}

TEST(CollectUnitTiming, TimerIsBusyExactlyTailCycles) {
  for (c::Cycle tail : {1u, 2u, 100u}) {
    for (bool skip : {true, false}) {
      c::CollectUnit unit("timer", 1);
      c::Simulator sim(skip);
      sim.add(unit);
      bool done = false;
      unit.start(0, nullptr, 0, tail, [&] { done = true; });
      const c::Cycle end = sim.run([&] { return done; });
      EXPECT_EQ(end, tail) << "busy cycles 0 .. tail-1, the next job starts at tail";
      EXPECT_EQ(unit.busy_cycles(), tail);
    }
  }
}

TEST(RowFetcherTiming, SingleLaneRowsArriveAtTheMemoryContract) {
  for (c::Cycle latency : {5u, 40u}) {
    for (bool skip : {true, false}) {
      c::HbmConfig cfg;
      cfg.channels = 1;
      cfg.bytes_per_cycle = 32;
      cfg.latency_cycles = latency;
      cfg.max_outstanding = 1000;
      c::HbmMemory mem(cfg);
      c::RowFetcher fetch("fetch", mem, 1, 64);
      Drain drain(fetch.rows());
      std::vector<int> tokens = {3, 9, 12, 40, 41};
      c::Simulator sim(skip);
      sim.add(mem);
      sim.add(fetch);
      sim.add(drain);
      fetch.start(tokens.data(), nullptr, 5, {c::Plane{0x1000, 64, c::DramKind::kKMsb}}, std::nullopt);
      sim.run([&] { return drain.valid_at.size() == 5; });
      // row i enters the lane's request slot at cycle i, is pushed to the port
      // at i+1 and accepted at i+2; 64 bytes = 2 bus cycles back to back: bus
      // busy from 2.. so completion at 2 + 2(i+1) + latency; the response (one
      // beat: the port's width is unlimited) is valid a cycle later, popped
      // then, pushed as a row, valid to the consumer one cycle after that
      for (int i = 0; i < 5; ++i) {
        const c::Cycle complete = 2 + 2 * static_cast<c::Cycle>(i + 1) + latency;
        EXPECT_EQ(drain.valid_at[static_cast<std::size_t>(i)], complete + 2) << "row " << i << " latency " << latency;
      }
      EXPECT_EQ(mem.bytes_read(c::DramKind::kKMsb), 5u * 64);
    }
  }
}

TEST(RowFetcherTiming, BufferCreditLimitsRowsInFlight) {
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 10;
  cfg.max_outstanding = 1000;
  c::HbmMemory mem(cfg);
  c::RowFetcher fetch("fetch", mem, 1, 2);  // two rows of buffer
  std::vector<int> tokens(6);
  for (int i = 0; i < 6; ++i) tokens[static_cast<std::size_t>(i)] = i;
  c::Simulator sim(true);
  sim.add(mem);
  sim.add(fetch);
  fetch.start(tokens.data(), nullptr, 6, {c::Plane{0, 32, c::DramKind::kV}}, std::nullopt);
  // with nobody consuming, only two rows are ever requested and the run
  // stalls for good: the simulator reports it instead of spinning
  EXPECT_THROW(sim.run([&] { return sim.now() >= 200; }), std::runtime_error);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kV), 64u);
  EXPECT_EQ(fetch.rows().size(), 2u);
}

// Row i belongs to lane i mod lanes, which requests all of its planes (each
// lane writes only its own buffer bank), and a lane issues a new row only
// once the row buffer_rows before it was popped. Checked on the memory's
// request log over lane counts, plane counts and buffer sizes, with a
// consumer that pops at most one row every third cycle.
TEST(RowFetcherTiming, EachRowOnItsOwnLaneWithSlotCredit) {
  for (int lanes : {1, 2, 3, 4}) {
    for (int planes : {1, 2}) {
      for (std::size_t buffer_rows : {std::size_t{1}, std::size_t{4}, std::size_t{12}}) {
        SCOPED_TRACE("lanes " + std::to_string(lanes) + ", planes " + std::to_string(planes) + ", buffer rows " +
                     std::to_string(buffer_rows));
        c::HbmConfig cfg;
        cfg.channels = 2;
        cfg.latency_cycles = 7;
        cfg.max_outstanding = 64;
        c::HbmMemory mem(cfg);
        std::vector<c::LoggedRequest> log;
        mem.set_request_log(&log);
        c::RowFetcher fetch("fetch", mem, c::RowFetcher::add_lanes(mem, "lane", lanes, 32), buffer_rows, 4);
        // a slow consumer: pops one row in cycles divisible by 3
        struct SlowDrain final : c::Component {
          explicit SlowDrain(c::Fifo<int>& in) : Component("slow"), in_(in) {}
          c::Activity tick(c::Cycle now) override {
            if (now % 3 != 0 || !in_.can_pop(now)) return c::Activity::kIdle;
            popped_at.push_back(now);
            order.push_back(in_.pop(now));
            return c::Activity::kBusy;
          }
          c::Cycle next_event(c::Cycle now) const override {
            const c::Cycle v = in_.next_valid();
            if (v == c::kNever) return c::kNever;
            const c::Cycle t = std::max(now, v);
            return t + (3 - t % 3) % 3;
          }
          std::vector<c::Cycle> popped_at;
          std::vector<int> order;
          c::Fifo<int>& in_;
        } drain(fetch.rows());
        const int n = 17;
        std::vector<int> tokens(n);
        for (int i = 0; i < n; ++i) tokens[static_cast<std::size_t>(i)] = 3 * i + 1;
        std::vector<c::Plane> pl{c::Plane{0x100000, 64, c::DramKind::kKMsb}};
        if (planes == 2) pl.push_back(c::Plane{0x200000, 64, c::DramKind::kKLsb});
        c::Simulator sim(false);
        sim.add(mem);
        sim.add(fetch);
        sim.add(drain);
        fetch.start(tokens.data(), nullptr, n, pl, std::nullopt);
        sim.run([&] { return drain.order.size() == static_cast<std::size_t>(n); });
        ASSERT_EQ(log.size(), static_cast<std::size_t>(n * planes));
        std::vector<int> requests_of_row(static_cast<std::size_t>(n), 0);
        for (const c::LoggedRequest& r : log) {
          const std::uint64_t base = r.address >= 0x200000 ? 0x200000 : 0x100000;
          const int row = static_cast<int>((r.address - base) / 64 - 1) / 3;  // token 3i+1 at base + 64 * token
          ASSERT_GE(row, 0);
          ASSERT_LT(row, n);
          EXPECT_EQ(r.port, row % lanes) << "row " << row << " requested on port " << r.port;
          ++requests_of_row[static_cast<std::size_t>(row)];
          // the slot credit: row i enters its lane's request slot (cycle f) only
          // once row i - buffer_rows was popped before f; the slot offers it at
          // f + 1 and the memory accepts it at f + 2 at the earliest, so the pop
          // is at least 3 cycles before the logged acceptance
          const auto behind = static_cast<std::size_t>(row) >= buffer_rows ? row - static_cast<int>(buffer_rows) : -1;
          if (behind >= 0) {
            EXPECT_LE(drain.popped_at[static_cast<std::size_t>(behind)] + 3, r.cycle)
                << "row " << row << " requested (accepted in cycle " << r.cycle << ") before row " << behind
                << " left its slot";
          }
        }
        for (int i = 0; i < n; ++i) EXPECT_EQ(requests_of_row[static_cast<std::size_t>(i)], planes) << "row " << i;
        for (int i = 0; i < n; ++i) EXPECT_EQ(drain.order[static_cast<std::size_t>(i)], i) << "rows leave in order";
      }
    }
  }
}

TEST(RowFetcherTiming, LiveListGatesRows) {
  c::HbmConfig cfg;
  cfg.channels = 1;
  cfg.latency_cycles = 20;
  cfg.max_outstanding = 1000;
  c::HbmMemory mem(cfg);
  c::RowFetcher fetch("fetch", mem, 1, 64);
  Drain drain(fetch.rows());
  std::vector<int> tokens(10);
  for (int i = 0; i < 10; ++i) tokens[static_cast<std::size_t>(i)] = 2 * i;
  c::Simulator sim(true);
  sim.add(mem);
  sim.add(fetch);
  sim.add(drain);
  fetch.start(tokens.data(), nullptr, 10, {c::Plane{0x10000, 32, c::DramKind::kKMsb}}, std::uint64_t{0x500});
  sim.run([&] { return drain.valid_at.size() == 10; });
  // 40 bytes of ids: chunks of 32 and 8 bytes, in the slot at cycles 0 and 1,
  // pushed at 1 and 2; the first chunk is accepted at 2 and completes at
  // 2 + 1 + 20 = 23, its response is valid at 24 and popped then, so row 0
  // enters the slot at 24 at the earliest
  EXPECT_EQ(mem.bytes_read(c::DramKind::kMeta), 64u);  // two whole 32-byte chunks
  EXPECT_GE(drain.valid_at.front(), 24u + 2 + 1 + 20 + 2);
  EXPECT_EQ(mem.bytes_read(c::DramKind::kKMsb), 320u);
}

// The lanes that fetch a live list: the RTL's live-id banks need each chunk
// class (chunk index mod LB / 8) on one lane (hw/rtl/row_fetcher.sv).
TEST(RowFetcherLiveList, ListLanesOfThePresetsAndOddSizes) {
  EXPECT_EQ(c::RowFetcher::live_list_lanes(32, 8, 16), 4);  // alveo-u55c: 32 banks, 4 classes
  EXPECT_EQ(c::RowFetcher::live_list_lanes(16, 8, 16), 2);  // spatten-paper
  EXPECT_EQ(c::RowFetcher::live_list_lanes(2, 8, 16), 2);   // spatten-1-8: 16 banks, 2 classes
  EXPECT_EQ(c::RowFetcher::live_list_lanes(1, 8, 4), 1);
  EXPECT_EQ(c::RowFetcher::live_list_lanes(3, 8, 16), 3);   // 24 banks
  EXPECT_EQ(c::RowFetcher::live_list_lanes(4, 8, 8), 1);    // 8 banks, one class
  EXPECT_EQ(c::RowFetcher::live_list_lanes(4, 8, 48), 4);   // 64 banks, 8 classes over 4 lanes
  EXPECT_EQ(c::RowFetcher::live_list_lanes(6, 8, 16), 3);   // 24 banks
}

TEST(RowFetcherLiveList, ChunkOnLaneChunkModListLanes) {
  for (int list_lanes : {1, 2, 3, 4}) {
    c::HbmConfig cfg;
    cfg.channels = 4;
    cfg.latency_cycles = 7;
    cfg.max_outstanding = 1000;
    c::HbmMemory mem(cfg);
    std::vector<c::LoggedRequest> log;
    mem.set_request_log(&log);
    const std::vector<int> ports = c::RowFetcher::add_lanes(mem, "lane", 4, 32);
    c::RowFetcher fetch("fetch", mem, ports, 64, 1 << 30, list_lanes);
    Drain drain(fetch.rows());
    const int n = 100;  // 13 chunks, the last one partly past the list
    std::vector<int> tokens(n);
    for (int i = 0; i < n; ++i) tokens[static_cast<std::size_t>(i)] = 3 * i;
    c::Simulator sim(true);
    sim.add(mem);
    sim.add(fetch);
    sim.add(drain);
    fetch.start(tokens.data(), nullptr, n, {c::Plane{0x100000, 64, c::DramKind::kKMsb}}, std::uint64_t{0x8000});
    sim.run([&] { return drain.valid_at.size() == static_cast<std::size_t>(n); });
    int chunks = 0;
    for (const c::LoggedRequest& r : log) {
      if (r.address < 0x8000 || r.address >= 0x8000 + 13 * 32) continue;  // a row
      const auto chunk = static_cast<int>((r.address - 0x8000) / 32);
      EXPECT_EQ(r.port, ports[static_cast<std::size_t>(chunk % list_lanes)]) << "chunk " << chunk << ", "
                                                                               << list_lanes << " list lanes";
      ++chunks;
    }
    EXPECT_EQ(chunks, 13) << list_lanes << " list lanes";
    EXPECT_EQ(mem.bytes_read(c::DramKind::kKMsb), static_cast<std::uint64_t>(n) * 64);
  }
}
