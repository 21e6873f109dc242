// The AXI4 memory responder (sim/cosim/axi_memory.h) without RTL: C++ test
// masters drive AxiSignals on two read lanes and the ctrl master (reads of
// several lengths, writes with partial strobes, W before AW, read-back), next
// to a plain HbmMemory that gets the same requests in the same cycles. Checks:
// read data equals a shadow of the backing store, R and B beats come exactly
// in the cycles the plain memory's beat() says, identical request logs and
// byte accounting, jitter determinism, and every protocol error the
// responder reports (with master, cycle, expected and actual).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "axi_memory.h"
#include "spatten/cmodel/hbm_memory.h"
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace cs = spatten::cosim;

namespace {

using Data = std::array<std::uint8_t, cs::kAxiDataBytes>;

// ---- the test's view of the buffers -------------------------------------------
struct Buffer {
  const char* name;
  std::uint64_t base;
  std::uint64_t bytes;
  c::DramKind kind;
  bool host_data;  ///< filled with random bytes by the host before the run
};
const std::vector<Buffer>& buffers() {
  static const std::vector<Buffer> b = {
      {"k_msb", 0x1'0000'0000ull, 4ull << 20, c::DramKind::kKMsb, true},       // 4 MiB
      {"v", 0x2'0004'0000ull, 1ull << 20, c::DramKind::kV, true},              // 1 MiB
      {"meta", 0x3000, 8192, c::DramKind::kMeta, true},
      {"out", 0xffff'ffff'fff0'0000ull, 64ull << 10, c::DramKind::kOut, false},  // near the top of the space
  };
  return b;
}
constexpr std::size_t kK = 0, kV = 1, kMeta = 2, kOut = 3;

/// The bytes the memory should hold: one array per buffer.
struct Shadow {
  std::vector<std::vector<std::uint8_t>> bytes;
  std::size_t find(std::uint64_t a) const {
    for (std::size_t i = 0; i < buffers().size(); ++i)
      if (a >= buffers()[i].base && a - buffers()[i].base < buffers()[i].bytes) return i;
    ADD_FAILURE() << "shadow: address " << a << " outside the buffers";
    return 0;
  }
  std::uint8_t& at(std::uint64_t a) {
    const std::size_t i = find(a);
    return bytes[i][static_cast<std::size_t>(a - buffers()[i].base)];
  }
};

// ---- a test master ------------------------------------------------------------------
struct Op {
  bool write = false;
  std::uint64_t addr = 0;
  std::uint32_t beats = 1;
  std::vector<Data> data;          ///< writes
  std::vector<std::uint32_t> strb;  ///< writes
  bool w_queued = false;            ///< its W beats are queued (before its AW handshake)
};

struct SeenBeat {
  c::Cycle cycle;
  int master;
  bool write;
  std::uint32_t index;
  bool last;
  bool operator==(const SeenBeat&) const = default;
};

struct Bench;

/// Issues its ops in order on AR (reads) or AW (writes), one address at a
/// time after a random gap, W beats with random gaps (optionally before their
/// AW), rready = bready = 1; checks and records what comes back.
class TestMaster {
 public:
  TestMaster(int id, std::uint64_t seed, bool early_w) : id_(id), rng_(seed), early_w_(early_w) {}
  void start(std::vector<Op> ops) { ops_.assign(ops.begin(), ops.end()); }
  bool done() const { return ops_.empty() && !present_ && outstanding_.empty() && w_.empty(); }

  /// The master's outputs in this cycle (a function of its state only).
  void outputs(cs::AxiSignals& s) const {
    s.arvalid = s.awvalid = false;
    s.rready = s.bready = true;
    if (present_) {
      const Op& op = ops_.front();
      if (op.write) {
        s.awvalid = true;
        s.awaddr = op.addr;
        s.awlen = static_cast<std::uint8_t>(op.beats - 1);
        s.awsize = 5;
        s.awburst = cs::kAxiBurstIncr;
      } else {
        s.arvalid = true;
        s.araddr = op.addr;
        s.arlen = static_cast<std::uint8_t>(op.beats - 1);
        s.arsize = 5;
        s.arburst = cs::kAxiBurstIncr;
      }
    }
    s.wvalid = !w_.empty() && w_gap_ == 0;
    if (s.wvalid) {
      s.wdata = w_.front().data;
      s.wstrb = w_.front().strb;
      s.wlast = w_.front().last;
    }
  }

  /// The clock edge: handshakes, beats, the next state.
  void update(const cs::AxiSignals& s, c::Cycle now, Bench& b);

 private:
  struct WBeat {
    std::uint64_t addr;
    Data data;
    std::uint32_t strb;
    bool last;
  };
  struct Out {
    Op op;
    std::uint32_t got = 0;
    std::vector<std::uint8_t> data;
  };
  void queue_w(const Op& op) {
    for (std::uint32_t i = 0; i < op.beats; ++i)
      w_.push_back(WBeat{op.addr + 32ull * i, op.data[i], op.strb[i], i + 1 == op.beats});
  }
  int gap() { return std::uniform_int_distribution<int>(0, 9)(rng_) < 6 ? 0 : std::uniform_int_distribution<int>(1, 3)(rng_); }

  int id_;
  std::mt19937_64 rng_;
  bool early_w_;
  std::deque<Op> ops_;
  bool present_ = false;
  int wait_ = 0;
  std::deque<WBeat> w_;
  int w_gap_ = 0;
  std::deque<Out> outstanding_;
};

struct RunResult {
  std::vector<SeenBeat> beats;      ///< R and B beats the masters saw
  std::vector<SeenBeat> ref_beats;  ///< the plain memory's beats
  std::vector<cs::AxiRequestRecord> handshakes;
  std::vector<c::LoggedRequest> hbm_log, ref_log;
  std::vector<cs::AxiRequestRecord> axi_log;
  std::array<std::uint64_t, c::kDramKinds> read{}, written{}, ref_read{}, ref_written{}, want_read{}, want_written{};
  int reads_checked = 0;
  int data_errors = 0;
  c::Cycle cycles = 0;
};

/// The responder with two read lanes and ctrl, a plain HbmMemory with the
/// same ports, a shadow of the memory and the three test masters.
struct Bench {
  cs::AxiMemory mem;
  c::HbmMemory ref;
  Shadow shadow;
  std::vector<TestMaster> masters;
  std::vector<cs::AxiSignals> sig;
  RunResult res;
  c::Cycle now = 0;
  bool batch = false;  ///< drive_all / sample_all instead of a call per master

  Bench(const c::HbmConfig& cfg, std::uint64_t seed, bool batch_calls = false)
      : mem(cfg), ref(cfg, "ref"), batch(batch_calls) {
    const char* names[] = {"lane0", "lane1", "ctrl"};
    for (int m = 0; m < 3; ++m) {
      EXPECT_EQ(mem.add_master(names[m], m == 2), m);
      EXPECT_EQ(ref.add_port(names[m], 4, 4, 32), m);
      masters.emplace_back(m, seed ^ (0x1000u * static_cast<unsigned>(m + 1)), m == 2);
    }
    sig.resize(3);
    mem.hbm().set_request_log(&res.hbm_log);
    ref.set_request_log(&res.ref_log);
    std::mt19937_64 rng(seed);
    for (const Buffer& b : buffers()) {
      mem.add_region(b.base, b.bytes, b.kind, b.name);
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(b.bytes), 0);
      if (b.host_data) {
        for (auto& x : bytes) x = static_cast<std::uint8_t>(rng());
        mem.write_bytes(b.base, bytes);
      }
      shadow.bytes.push_back(std::move(bytes));
    }
  }

  c::DramKind kind_of(std::uint64_t a) const { return buffers()[shadow.find(a)].kind; }

  void step() {
    mem.tick(now);
    ref.tick(now);
    for (int p = 0; p < 3; ++p) {
      const c::HbmMemory::Beat& b = ref.beat(p);
      if (b.valid) res.ref_beats.push_back(SeenBeat{now, p, b.write, b.index, b.last});
    }
    if (batch) {
      mem.drive_all(sig);
    } else {
      for (int m = 0; m < 3; ++m) mem.drive(m, sig[static_cast<std::size_t>(m)]);
    }
    for (int m = 0; m < 3; ++m) masters[static_cast<std::size_t>(m)].outputs(sig[static_cast<std::size_t>(m)]);
    if (batch) {
      mem.sample_all(sig);
    } else {
      for (int m = 0; m < 3; ++m) mem.sample(m, sig[static_cast<std::size_t>(m)]);
    }
    for (int m = 0; m < 3; ++m) masters[static_cast<std::size_t>(m)].update(sig[static_cast<std::size_t>(m)], now, *this);
    for (int p = 0; p < 3; ++p)
      if (ref.responses(p).can_pop(now)) ref.responses(p).pop(now);
    ++now;
  }

  /// Runs one phase: every master's ops, until all are done and the memory is idle.
  void phase(const std::vector<std::vector<Op>>& ops) {
    for (std::size_t m = 0; m < 3; ++m) masters[m].start(ops[m]);
    const c::Cycle limit = now + 200000;
    auto finished = [&] {
      for (const TestMaster& t : masters)
        if (!t.done()) return false;
      return mem.idle() && ref.quiescent();
    };
    while (!finished()) {
      step();
      if (now > limit) {
        ADD_FAILURE() << "phase did not finish by cycle " << limit;
        return;
      }
    }
  }

  RunResult finish() {
    res.axi_log = mem.request_log();
    for (std::size_t k = 0; k < c::kDramKinds; ++k) {
      const auto kind = static_cast<c::DramKind>(k);
      res.read[k] = mem.bytes_read(kind);
      res.written[k] = mem.bytes_written(kind);
      res.ref_read[k] = ref.bytes_read(kind);
      res.ref_written[k] = ref.bytes_written(kind);
    }
    res.cycles = now;
    // the backing store equals the shadow, byte for byte
    for (std::size_t i = 0; i < buffers().size(); ++i) {
      const std::vector<std::uint8_t> got = mem.read_bytes(buffers()[i].base, static_cast<std::size_t>(buffers()[i].bytes));
      EXPECT_TRUE(got == shadow.bytes[i]) << "backing store of " << buffers()[i].name;
    }
    return res;
  }
};

void TestMaster::update(const cs::AxiSignals& s, c::Cycle now, Bench& b) {
  // address handshake
  if (present_ && ((s.arvalid && s.arready) || (s.awvalid && s.awready))) {
    const Op op = ops_.front();
    ops_.pop_front();
    present_ = false;
    const auto bytes = op.beats * 32;
    const c::DramKind kind = b.kind_of(op.addr);
    b.res.handshakes.push_back(cs::AxiRequestRecord{now, id_, op.addr, bytes, op.write, kind});
    (op.write ? b.res.want_written : b.res.want_read)[static_cast<std::size_t>(kind)] += bytes;
    EXPECT_TRUE(b.ref.requests(id_).can_push(now)) << "ready mirrors the plain memory's FIFO";
    b.ref.requests(id_).push(now, c::MemRequest{op.addr, bytes, kind, op.write, 0});
    if (op.write && !op.w_queued) queue_w(op);
    outstanding_.push_back(Out{op, 0, {}});
    wait_ = gap();
  }
  // W beat
  if (s.wvalid) {
    EXPECT_TRUE(s.wready);
    const WBeat w = w_.front();
    w_.pop_front();
    for (std::uint32_t i = 0; i < 32; ++i)
      if (((w.strb >> i) & 1u) != 0) b.shadow.at(w.addr + i) = w.data[i];
    w_gap_ = std::uniform_int_distribution<int>(0, 3)(rng_) == 0 ? 1 : 0;
  } else if (w_gap_ > 0) {
    --w_gap_;
  }
  // R beat
  if (s.rvalid) {
    if (outstanding_.empty() || outstanding_.front().op.write) {
      ADD_FAILURE() << "master " << id_ << " cycle " << now << ": R beat without an outstanding read";
    } else {
      Out& o = outstanding_.front();
      b.res.beats.push_back(SeenBeat{now, id_, false, o.got, s.rlast});
      o.data.insert(o.data.end(), s.rdata.begin(), s.rdata.end());
      ++o.got;
      EXPECT_EQ(s.rlast, o.got == o.op.beats) << "master " << id_ << " cycle " << now;
      EXPECT_EQ(s.rresp, cs::kAxiRespOkay);
      if (s.rlast) {
        for (std::size_t i = 0; i < o.data.size(); ++i) {
          const std::uint8_t want = b.shadow.at(o.op.addr + i);
          if (o.data[i] != want && ++b.res.data_errors <= 8)
            ADD_FAILURE() << "master " << id_ << " read at " << std::hex << o.op.addr << " byte " << std::dec << i
                          << ": got " << int{o.data[i]} << " want " << int{want};
        }
        ++b.res.reads_checked;
        outstanding_.pop_front();
      }
    }
  }
  // B beat
  if (s.bvalid) {
    if (outstanding_.empty() || !outstanding_.front().op.write) {
      ADD_FAILURE() << "master " << id_ << " cycle " << now << ": B beat without an outstanding write";
    } else {
      b.res.beats.push_back(SeenBeat{now, id_, true, 0, true});
      EXPECT_EQ(s.bresp, cs::kAxiRespOkay);
      outstanding_.pop_front();
    }
  }
  // the next address: after the gap, a write only once the earlier writes'
  // W beats are out (the memory model does not wait for write data); a
  // write's W beats may start with its AW, or before it
  if (!present_ && !ops_.empty()) {
    if (wait_ > 0) {
      --wait_;
    } else if (!ops_.front().write || w_.empty()) {
      present_ = true;
      Op& op = ops_.front();
      if (op.write && early_w_ && std::uniform_int_distribution<int>(0, 1)(rng_) == 0) {
        queue_w(op);
        op.w_queued = true;
      }
    }
  }
}

// ---- the scenario ---------------------------------------------------------------------
Op random_read(std::mt19937_64& rng, std::size_t buf, std::uint64_t lo = 0, std::uint64_t span = 0) {
  const Buffer& b = buffers()[buf];
  if (span == 0) span = b.bytes;
  static const std::uint32_t lens[] = {1, 2, 4, 8, 16, 3, 7, 32};
  Op op;
  op.beats = lens[std::uniform_int_distribution<std::size_t>(0, 7)(rng)];
  const std::uint64_t page = std::uniform_int_distribution<std::uint64_t>(0, span / 4096 - 1)(rng);
  const std::uint64_t slots = (4096 - 32ull * op.beats) / 32;
  op.addr = b.base + lo + page * 4096 + 32 * std::uniform_int_distribution<std::uint64_t>(0, slots)(rng);
  return op;
}

Op random_write(std::mt19937_64& rng, std::uint64_t lo, std::uint64_t span) {
  Op op = random_read(rng, kOut, lo, span);
  op.write = true;
  op.beats = std::min<std::uint32_t>(op.beats, 8);
  for (std::uint32_t i = 0; i < op.beats; ++i) {
    Data d{};
    for (auto& x : d) x = static_cast<std::uint8_t>(rng());
    op.data.push_back(d);
    switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
      case 0: op.strb.push_back(0xffffffffu); break;
      case 1: op.strb.push_back(0x0000ffffu); break;  // a 16-byte status record
      case 2: op.strb.push_back(0u); break;
      default: op.strb.push_back(static_cast<std::uint32_t>(rng())); break;
    }
  }
  return op;
}

RunResult run_scenario(const c::HbmConfig& cfg, std::uint64_t seed, bool batch = false) {
  Bench b(cfg, seed, batch);
  std::mt19937_64 rng(seed ^ 0xabcdefu);
  // phase 1: lanes read K and V, ctrl reads metadata
  std::vector<std::vector<Op>> p1(3);
  for (int i = 0; i < 50; ++i) {
    p1[0].push_back(random_read(rng, i % 2 == 0 ? kK : kV));
    p1[1].push_back(random_read(rng, i % 3 == 0 ? kV : kK));
    if (i < 25) p1[2].push_back(random_read(rng, kMeta));
  }
  b.phase(p1);
  // phase 2: ctrl writes the first 32 KiB of out (partial strobes, W with or before AW)
  std::vector<std::vector<Op>> p2(3);
  for (int i = 0; i < 60; ++i) p2[2].push_back(random_write(rng, 0, 32 << 10));
  b.phase(p2);
  // phase 3: everyone reads out back (written and never written pages)
  std::vector<std::vector<Op>> p3(3);
  for (int i = 0; i < 40; ++i) {
    p3[0].push_back(random_read(rng, kOut));
    p3[1].push_back(random_read(rng, kOut, 0, 32 << 10));
    if (i < 20) p3[2].push_back(random_read(rng, kOut, 0, 32 << 10));
  }
  b.phase(p3);
  return b.finish();
}

void expect_consistent(const RunResult& r) {
  EXPECT_EQ(r.data_errors, 0);
  EXPECT_EQ(r.reads_checked, 50 + 50 + 25 + 40 + 40 + 20);
  EXPECT_FALSE(r.beats.empty());
  EXPECT_TRUE(r.beats == r.ref_beats) << "R/B beats in the cycles the plain memory's beat() says ("
                                      << r.beats.size() << " vs " << r.ref_beats.size() << " beats)";
  for (std::size_t i = 0; i < std::min(r.beats.size(), r.ref_beats.size()); ++i) {
    if (!(r.beats[i] == r.ref_beats[i])) {
      ADD_FAILURE() << "first differing beat " << i << ": AXI cycle " << r.beats[i].cycle << " master "
                    << r.beats[i].master << ", plain cycle " << r.ref_beats[i].cycle << " port " << r.ref_beats[i].master;
      break;
    }
  }
  EXPECT_TRUE(r.axi_log == r.handshakes) << "the responder's log is the masters' handshakes";
  EXPECT_TRUE(r.hbm_log == r.ref_log) << "identical HBM request logs";
  EXPECT_EQ(r.hbm_log.size(), r.handshakes.size());
  for (std::size_t k = 0; k < c::kDramKinds; ++k) {
    EXPECT_EQ(r.read[k], r.want_read[k]) << c::dram_kind_name(static_cast<c::DramKind>(k));
    EXPECT_EQ(r.written[k], r.want_written[k]) << c::dram_kind_name(static_cast<c::DramKind>(k));
    EXPECT_EQ(r.read[k], r.ref_read[k]);
    EXPECT_EQ(r.written[k], r.ref_written[k]);
  }
}

c::HbmConfig scenario_cfg() {
  c::HbmConfig cfg;
  cfg.channels = 2;
  cfg.bytes_per_cycle = 47;  // fractional per 32-byte transaction
  cfg.latency_cycles = 24;
  cfg.max_outstanding = 16;
  return cfg;
}

/// scenario_cfg() with latency jitter and request refusals from `seed`.
c::HbmConfig jittered_scenario_cfg(std::uint64_t seed) {
  c::HbmConfig cfg = scenario_cfg();
  cfg.jitter_seed = seed | 1u;
  cfg.jitter_max_extra_latency = 40;
  cfg.jitter_stall_percent = 30;
  return cfg;
}

// ---- a bench for protocol errors: lane0 (read-only) and ctrl ----------------------------
struct Mini {
  cs::AxiMemory mem;
  int lane;
  int ctrl;
  std::array<cs::AxiSignals, 2> sig{};
  c::Cycle now = 0;
  static c::HbmConfig cfg(std::uint64_t jitter_seed = 0, int stall = 0) {
    c::HbmConfig h;
    h.channels = 1;
    h.latency_cycles = 5;
    h.jitter_seed = jitter_seed;
    h.jitter_stall_percent = stall;
    return h;
  }
  explicit Mini(const c::HbmConfig& h = cfg()) : mem(h) {
    lane = mem.add_master("lane0", false);
    ctrl = mem.add_master("ctrl", true);
    mem.add_region(0x10000, 0x10000, c::DramKind::kKMsb, "k");
    mem.add_region(0x20000, 0x1000, c::DramKind::kOut, "out");
    mem.add_region(0x21000, 0x1000, c::DramKind::kMeta, "meta");
  }
  /// One cycle: tick, drive, `set` the master outputs (valids start low), sample.
  void cycle(const std::function<void(std::array<cs::AxiSignals, 2>&)>& set = {}) {
    mem.tick(now);
    for (auto& s : sig) {
      s.arvalid = s.awvalid = s.wvalid = false;
      s.wlast = false;
    }
    for (int m = 0; m < 2; ++m) mem.drive(m, sig[static_cast<std::size_t>(m)]);
    if (set) set(sig);
    for (int m = 0; m < 2; ++m) mem.sample(m, sig[static_cast<std::size_t>(m)]);
    ++now;
  }
};

void ar(cs::AxiSignals& s, std::uint64_t addr, int beats, std::uint8_t size = 5, std::uint8_t burst = cs::kAxiBurstIncr) {
  s.arvalid = true;
  s.araddr = addr;
  s.arlen = static_cast<std::uint8_t>(beats - 1);
  s.arsize = size;
  s.arburst = burst;
}
void aw(cs::AxiSignals& s, std::uint64_t addr, int beats) {
  s.awvalid = true;
  s.awaddr = addr;
  s.awlen = static_cast<std::uint8_t>(beats - 1);
  s.awsize = 5;
  s.awburst = cs::kAxiBurstIncr;
}
void w(cs::AxiSignals& s, std::uint8_t fill, std::uint32_t strb, bool last) {
  s.wvalid = true;
  s.wdata.fill(fill);
  s.wstrb = strb;
  s.wlast = last;
}

/// The message of the AxiError `f` throws, "" when none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cs::AxiError& e) {
    return e.what();
  }
  return "";
}
void expect_has(const std::string& msg, std::initializer_list<const char*> parts) {
  EXPECT_FALSE(msg.empty()) << "no error reported";
  for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

}  // namespace

// ---- the scenario: data, beat cycles, logs, accounting ---------------------------------------

TEST(AxiMemory, ReadsWritesAndBeatsMatchThePlainMemory) {
  const std::uint64_t seed = spatten::test::test_seed();
  const RunResult r = run_scenario(scenario_cfg(), seed);
  expect_consistent(r);
  std::cout << "[ axi      ] " << r.handshakes.size() << " requests, " << r.beats.size() << " R/B beats, " << r.cycles
            << " cycles\n";
}

TEST(AxiMemory, JitterSeedsGiveIdenticalTimingInTwoRuns) {
  const std::uint64_t seed = spatten::test::test_seed();
  c::HbmConfig cfg = jittered_scenario_cfg(seed);
  const RunResult a = run_scenario(cfg, seed);
  const RunResult b = run_scenario(cfg, seed);
  expect_consistent(a);
  EXPECT_TRUE(a.beats == b.beats) << "same seed, same beats";
  EXPECT_TRUE(a.handshakes == b.handshakes) << "same seed, same handshakes";
  EXPECT_EQ(a.cycles, b.cycles);
  cfg.jitter_seed = (seed | 1u) ^ 0x5eed0000u;
  const RunResult other = run_scenario(cfg, seed);
  expect_consistent(other);
  EXPECT_FALSE(a.beats == other.beats) << "another jitter seed, another timing";
  const RunResult plain = run_scenario(scenario_cfg(), seed);
  EXPECT_GT(a.cycles, plain.cycles) << "jitter only slows the memory down";
}

TEST(AxiMemory, OneCallForAllMastersActsAsACallPerMaster) {
  const std::uint64_t seed = spatten::test::test_seed();
  const c::HbmConfig cfg = jittered_scenario_cfg(seed);
  const RunResult each = run_scenario(cfg, seed, false);
  const RunResult all = run_scenario(cfg, seed, true);
  expect_consistent(all);
  EXPECT_EQ(all.data_errors, 0);
  EXPECT_EQ(all.reads_checked, each.reads_checked);
  EXPECT_GT(all.reads_checked, 0);
  EXPECT_TRUE(all.beats == each.beats) << "drive_all/sample_all: other beats than drive/sample per master";
  EXPECT_TRUE(all.handshakes == each.handshakes);
  EXPECT_TRUE(all.axi_log == each.axi_log);
  EXPECT_EQ(all.cycles, each.cycles);
  EXPECT_EQ(all.read, each.read);
  EXPECT_EQ(all.written, each.written);
}

TEST(AxiMemory, LoneReadStreamsItsBeatsFromTheBackingStore) {
  Mini b;
  std::vector<std::uint8_t> bytes(128);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
  b.mem.write_bytes(0x10040, bytes);
  b.cycle([&](auto& s) { ar(s[0], 0x10040, 4); });
  ASSERT_EQ(b.mem.request_log().size(), 1u);
  EXPECT_EQ(b.mem.request_log()[0], (cs::AxiRequestRecord{0, 0, 0x10040, 128, false, c::DramKind::kKMsb}));
  // accepted in 1, 4 transactions issued 1..4 (32 bytes/cycle), complete 2+5 .. 5+5: beats in 10..13
  std::vector<c::Cycle> beat_cycles;
  std::vector<std::uint8_t> got;
  for (int i = 0; i < 30; ++i) {
    b.cycle([&](auto& s) {
      if (s[0].rvalid) {
        beat_cycles.push_back(b.now);
        got.insert(got.end(), s[0].rdata.begin(), s[0].rdata.end());
        EXPECT_EQ(s[0].rlast, beat_cycles.size() == 4);
      }
    });
  }
  EXPECT_EQ(beat_cycles, (std::vector<c::Cycle>{10, 11, 12, 13}));
  EXPECT_EQ(got, bytes);
  EXPECT_TRUE(b.mem.idle());
  EXPECT_EQ(b.mem.bytes_read(c::DramKind::kKMsb), 128u);
}

TEST(AxiMemory, WriteWithStrobesThenBResponse) {
  Mini b;
  b.mem.write_bytes(0x20000, std::vector<std::uint8_t>(64, 0xee));
  b.cycle([&](auto& s) {
    aw(s[1], 0x20000, 2);
    w(s[1], 0x11, 0x0000ffffu, false);  // W with its AW
  });
  std::vector<c::Cycle> b_cycles;
  b.cycle([&](auto& s) { w(s[1], 0x22, 0xff00ff00u, true); });
  for (int i = 0; i < 20; ++i)
    b.cycle([&](auto& s) {
      if (s[1].bvalid) b_cycles.push_back(b.now);
      EXPECT_FALSE(s[1].rvalid);
    });
  // one 64-byte write: accepted 1, issued 1..2, complete 3+5 = 8; B in 8
  EXPECT_EQ(b_cycles, (std::vector<c::Cycle>{8}));
  const std::vector<std::uint8_t> got = b.mem.read_bytes(0x20000, 64);
  for (std::size_t i = 0; i < 64; ++i) {
    std::uint8_t want = 0xee;
    if (i < 16) want = 0x11;
    if (i >= 32 && (((0xff00ff00u >> (i - 32)) & 1u) != 0)) want = 0x22;
    EXPECT_EQ(got[i], want) << "byte " << i;
  }
  EXPECT_EQ(b.mem.bytes_written(c::DramKind::kOut), 64u);
  EXPECT_TRUE(b.mem.idle());
}

TEST(AxiMemory, WriteDataBeforeItsAddressIsHeldForIt) {
  Mini b;
  b.cycle([&](auto& s) { w(s[1], 0x33, 0xffffffffu, false); });
  EXPECT_FALSE(b.mem.idle()) << "a buffered W beat";
  b.cycle([&](auto& s) { w(s[1], 0x44, 0xffffffffu, true); });
  b.cycle([&](auto& s) { aw(s[1], 0x20100, 2); });
  int bs = 0;
  for (int i = 0; i < 20; ++i) b.cycle([&](auto& s) { bs += s[1].bvalid ? 1 : 0; });
  EXPECT_EQ(bs, 1);
  const std::vector<std::uint8_t> got = b.mem.read_bytes(0x20100, 64);
  for (std::size_t i = 0; i < 64; ++i) EXPECT_EQ(got[i], i < 32 ? 0x33 : 0x44);
  EXPECT_TRUE(b.mem.idle());
}

TEST(AxiMemory, ReadyFollowsTheRequestFifoAndDriveCanRepeat) {
  Mini b(Mini::cfg(7, 90));  // the port refuses most cycles: its FIFO fills
  int low = 0;
  std::uint64_t addr = 0x10000;
  for (int i = 0; i < 60; ++i) {
    b.cycle([&](auto& s) {
      cs::AxiSignals again = s[0];
      b.mem.drive(b.lane, again);  // drive twice in a cycle: same outputs
      EXPECT_EQ(again.arready, s[0].arready);
      EXPECT_EQ(s[0].arready, b.mem.hbm().requests(b.lane).can_push(b.now));
      EXPECT_EQ(s[1].awready, s[1].arready);
      EXPECT_TRUE(s[1].wready);
      EXPECT_FALSE(s[0].wready);
      EXPECT_FALSE(s[0].awready);
      low += s[0].arready ? 0 : 1;
      ar(s[0], addr, 1);
      if (s[0].arready) addr += 32;
    });
  }
  EXPECT_GT(low, 0);
}

// ---- backing store and regions ---------------------------------------------------------

TEST(AxiMemory, SparseBackingStoreAnywhereInTheAddressSpace) {
  cs::AxiMemory mem(c::HbmConfig{});
  EXPECT_EQ(mem.read_bytes(0x1234'5678'9abcull, 5), std::vector<std::uint8_t>(5, 0)) << "unwritten bytes read 0";
  std::vector<std::uint8_t> big(3 * 4096 + 100);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i ^ (i >> 8));
  mem.write_bytes(0x7000'0000'0ff0ull, big);  // crosses pages, unaligned
  EXPECT_EQ(mem.read_bytes(0x7000'0000'0ff0ull, big.size()), big);
  const std::vector<std::uint8_t> around = mem.read_bytes(0x7000'0000'0fe0ull, 32);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(around[i], 0);
  for (std::size_t i = 16; i < 32; ++i) EXPECT_EQ(around[i], big[i - 16]);
  const std::uint64_t top = ~std::uint64_t{0} - 63;  // the last 64 bytes of the space
  mem.write_bytes(top, std::vector<std::uint8_t>(64, 9));
  EXPECT_EQ(mem.read_bytes(top, 64), std::vector<std::uint8_t>(64, 9));
  EXPECT_THROW(mem.write_bytes(top, std::vector<std::uint8_t>(65, 9)), std::invalid_argument);
  EXPECT_THROW(mem.read_bytes(top + 1, 64), std::invalid_argument);
}

TEST(AxiMemory, RegionsMayNotOverlap) {
  cs::AxiMemory mem(c::HbmConfig{});
  mem.add_region(0x1000, 0x1000, c::DramKind::kV, "a");
  mem.add_region(0x3000, 0x1000, c::DramKind::kV, "b");
  mem.add_region(0x2000, 0x1000, c::DramKind::kV, "between");
  EXPECT_THROW(mem.add_region(0x1fff, 2, c::DramKind::kV, "x"), std::invalid_argument);
  EXPECT_THROW(mem.add_region(0x0, 0x1001, c::DramKind::kV, "x"), std::invalid_argument);
  EXPECT_THROW(mem.add_region(0x3800, 0x10, c::DramKind::kV, "x"), std::invalid_argument);
  EXPECT_THROW(mem.add_region(0x5000, 0, c::DramKind::kV, "x"), std::invalid_argument);
  EXPECT_THROW(cs::AxiMemory(c::HbmConfig{}, 48), std::invalid_argument);
}

// ---- protocol errors --------------------------------------------------------------------

TEST(AxiMemoryErrors, MisalignedAddress) {
  Mini b;
  b.cycle();
  expect_has(error_of([&] { b.cycle([](auto& s) { ar(s[0], 0x10010, 1); }); }),
             {"master 'lane0' (0) cycle 1", "araddr not aligned to 32 bytes", "expected a multiple of 32",
              "actual 0x10010"});
}

TEST(AxiMemoryErrors, BurstCrossingFourKiB) {
  Mini b;
  expect_has(error_of([&] { b.cycle([](auto& s) { ar(s[0], 0x10fe0, 2); }); }),
             {"lane0", "cycle 0", "burst of 2 beats at 0x10fe0 crosses a 4 KiB boundary (0x11000)",
              "actual an end at 0x11020"});
  Mini c2;  // exactly up to the boundary is fine
  c2.cycle([](auto& s) { ar(s[0], 0x10f80, 4); });
  EXPECT_EQ(c2.mem.request_log().size(), 1u);
}

TEST(AxiMemoryErrors, WrongSizeOrBurst) {
  Mini b;
  expect_has(error_of([&] { b.cycle([](auto& s) { ar(s[0], 0x10000, 1, 4); }); }),
             {"arsize", "expected arsize=5 (32 bytes)", "actual arsize=4"});
  Mini c2;
  expect_has(error_of([&] { c2.cycle([](auto& s) { ar(s[0], 0x10000, 1, 5, cs::kAxiBurstWrap); }); }),
             {"arburst", "not INCR", "expected arburst=1 (INCR)", "actual arburst=2 (WRAP)"});
  Mini d;
  expect_has(error_of([&] { d.cycle([](auto& s) { aw(s[1], 0x20000, 1); s[1].awburst = cs::kAxiBurstFixed; }); }),
             {"master 'ctrl' (1)", "awburst", "FIXED"});
}

TEST(AxiMemoryErrors, RequestOutsideEveryBufferOrAcrossTwo) {
  Mini b;
  expect_has(error_of([&] { b.cycle([](auto& s) { ar(s[0], 0x40000, 2); }); }),
             {"AXI read of 64 bytes at 0x40000 outside every buffer", "lane0"});
  Mini c2;
  expect_has(error_of([&] { c2.cycle([](auto& s) { aw(s[1], 0x8000, 1); }); }),
             {"AXI write of 32 bytes at 0x8000 outside every buffer", "ctrl"});
  Mini d;  // two buffers meeting inside a 4 KiB page
  d.mem.add_region(0x30000, 0x40, c::DramKind::kQ, "q");
  d.mem.add_region(0x30040, 0x40, c::DramKind::kV, "v");
  expect_has(error_of([&] { d.cycle([](auto& s) { ar(s[0], 0x30020, 2); }); }),
             {"AXI read of 64 bytes at 0x30020 runs past the end of buffer 'q' [0x30000, 0x30040)"});
}

// A master's last two regions are tried before the region map (a lane
// alternates between a key's MSB and LSB planes): what a request counts as,
// and the check that it stays inside one buffer, must not depend on them.
TEST(AxiMemoryErrors, RecentRegionsStillClassifyAndCheckEveryRequest) {
  Mini d;
  d.mem.add_region(0x30000, 0x40, c::DramKind::kQ, "q");
  d.mem.add_region(0x30040, 0x40, c::DramKind::kV, "v");
  d.mem.add_region(0x30080, 0x40, c::DramKind::kKLsb, "klsb");
  const std::uint64_t addrs[] = {0x30000, 0x30040, 0x30020, 0x30060, 0x30080, 0x30000};
  const c::DramKind kinds[] = {c::DramKind::kQ, c::DramKind::kV, c::DramKind::kQ,
                               c::DramKind::kV, c::DramKind::kKLsb, c::DramKind::kQ};
  for (std::uint64_t a : addrs) {
    d.cycle([a](auto& s) { ar(s[0], a, 1); });
    for (int i = 0; i < 8; ++i) d.cycle();  // (its response, before the next)
  }
  ASSERT_EQ(d.mem.request_log().size(), std::size(addrs));
  for (std::size_t i = 0; i < std::size(addrs); ++i) {
    EXPECT_EQ(d.mem.request_log()[i].address, addrs[i]) << i;
    EXPECT_EQ(d.mem.request_log()[i].kind, kinds[i]) << i;
  }
  // q and klsb are the recent ones now: a read from inside q across into v is still refused
  expect_has(error_of([&] { d.cycle([](auto& s) { ar(s[0], 0x30020, 2); }); }),
             {"AXI read of 64 bytes at 0x30020 runs past the end of buffer 'q' [0x30000, 0x30040)"});
}

TEST(AxiMemoryErrors, MissingWriteBeatsBeforeTheBResponse) {
  Mini b;
  b.cycle([](auto& s) {
    aw(s[1], 0x20000, 4);
    w(s[1], 1, 0xffffffffu, false);
  });
  b.cycle([](auto& s) { w(s[1], 2, 0xffffffffu, false); });
  std::string msg;
  for (int i = 0; i < 30 && msg.empty(); ++i) msg = error_of([&] { b.cycle(); });
  expect_has(msg, {"master 'ctrl' (1)", "B response of the write of 4 beats at 0x20000 is due before all its W beats",
                   "expected 4 W beats before the B response", "actual 2"});
}

TEST(AxiMemoryErrors, WlastOnTheWrongBeat) {
  Mini b;
  expect_has(error_of([&] {
               b.cycle([](auto& s) {
                 aw(s[1], 0x20000, 2);
                 w(s[1], 1, 0xffffffffu, true);
               });
             }),
             {"wlast on W beat 1 of 2 of the write at 0x20000", "expected wlast=0", "actual wlast=1"});
  Mini c2;
  expect_has(error_of([&] {
               c2.cycle([](auto& s) {
                 aw(s[1], 0x20000, 1);
                 w(s[1], 1, 0xffffffffu, false);
               });
             }),
             {"no wlast on W beat 1 of 1", "expected wlast=1"});
  Mini d;  // a W beat before its AW is checked when the AW comes
  d.cycle([](auto& s) { w(s[1], 1, 0xffffffffu, false); });
  expect_has(error_of([&] { d.cycle([](auto& s) { aw(s[1], 0x20000, 1); }); }),
             {"cycle 1", "no wlast on W beat 1 of 1", "expected wlast=1"});
}

TEST(AxiMemoryErrors, ReadyLowDuringAResponse) {
  Mini b;
  b.cycle([](auto& s) { ar(s[0], 0x10000, 2); });
  std::string msg;
  for (int i = 0; i < 30 && msg.empty(); ++i)
    msg = error_of([&] { b.cycle([](auto& s) { s[0].rready = !s[0].rvalid; }); });
  expect_has(msg, {"lane0", "rvalid && !rready on R beat 1 of 2 of the read at 0x10000", "expected rready=1",
                   "actual rready=0"});
  Mini c2;
  c2.cycle([](auto& s) {
    aw(s[1], 0x20000, 1);
    w(s[1], 1, 1, true);
  });
  msg.clear();
  for (int i = 0; i < 30 && msg.empty(); ++i)
    msg = error_of([&] { c2.cycle([](auto& s) { s[1].bready = !s[1].bvalid; }); });
  expect_has(msg, {"ctrl", "bvalid && !bready", "expected bready=1"});
}

TEST(AxiMemoryErrors, ReadAndWriteAddressInOneCycleOrWritesOnAReadLane) {
  Mini b;
  expect_has(error_of([&] {
               b.cycle([](auto& s) {
                 ar(s[1], 0x21000, 1);
                 aw(s[1], 0x20000, 1);
               });
             }),
             {"ctrl", "arvalid and awvalid in the same cycle", "share the port's request FIFO"});
  Mini c2;
  expect_has(error_of([&] { c2.cycle([](auto& s) { aw(s[0], 0x20000, 1); }); }), {"lane0", "awvalid on a read-only master"});
  Mini d;
  expect_has(error_of([&] { d.cycle([](auto& s) { w(s[0], 0, 1, true); }); }), {"lane0", "wvalid on a read-only master"});
}

TEST(AxiMemoryErrors, RequestWithdrawnOrChangedBeforeItsHandshake) {
  for (int variant = 0; variant < 2; ++variant) {
    Mini b(Mini::cfg(11, 90));
    std::uint64_t addr = 0x10000;
    bool waiting = false;
    for (int i = 0; i < 200 && !waiting; ++i) {
      b.cycle([&](auto& s) {
        ar(s[0], addr, 1);
        if (s[0].arready) {
          addr += 32;
        } else {
          waiting = true;
        }
      });
    }
    ASSERT_TRUE(waiting) << "the FIFO never filled";
    const std::string msg = error_of([&] {
      b.cycle([&](auto& s) {
        if (variant == 1) ar(s[0], addr + 32, 1);  // variant 0: arvalid low
      });
    });
    if (variant == 0) {
      expect_has(msg, {"lane0", "arvalid dropped before its handshake"});
    } else {
      expect_has(msg, {"lane0", "ar changed while arvalid waited for arready", "araddr="});
    }
  }
}

TEST(AxiMemoryErrors, MisuseOfTheCycleProtocol) {
  Mini b;
  cs::AxiSignals s;
  expect_has(error_of([&] { b.mem.drive(0, s); }), {"drive() before the first tick()"});
  b.mem.tick(0);
  expect_has(error_of([&] { b.mem.sample(0, s); }), {"sample() without drive() in this cycle"});
  b.mem.drive(0, s);
  b.mem.sample(0, s);
  expect_has(error_of([&] { b.mem.sample(0, s); }), {"sample() called twice in one cycle"});
  expect_has(error_of([&] { b.mem.tick(2); }), {"cycles must be consecutive", "expected cycle 1"});
  std::vector<cs::AxiSignals> one(1);
  expect_has(error_of([&] { b.mem.drive_all(one); }), {"drive_all()", "1 signal sets for 2 masters"});
  expect_has(error_of([&] { b.mem.sample_all(one); }), {"sample_all()", "1 signal sets for 2 masters"});
  cs::AxiMemory fresh(Mini::cfg());
  fresh.add_master("lane0", false);
  expect_has(error_of([&] { fresh.drive_all(one); }), {"drive_all() before the first tick()"});
  // a port added behind the responder's back (its masters keep their ports' addresses)
  fresh.hbm().add_port("stray");
  expect_has(error_of([&] { fresh.tick(0); }), {"hbm() has 2 ports for 1 masters", "only through add_master"});
}
