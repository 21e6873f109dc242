// The AXI4-Lite control slave's RTL (hw/rtl/s_axi_control.sv) under Verilator,
// driven by the reusable master (sim/cosim/axi_lite_master.h) and, where the
// timing contract is tested cycle by cycle, pin by pin. The test plays the core
// (ap_done / ap_idle / ap_ready): either an HLS-like ap_ctrl_hs core (takes
// ap_start after a delay with an ap_ready pulse, runs, pulses ap_done; ap_idle
// low while ap_start is high or a call runs) or pulses the test schedules.
// Every cycle's signals are recorded (after the inputs settle, before the
// rising edge) so that the checks can name exact cycles. Register offsets come
// from the generated spatten/kernel/interface.h. SPATTEN_SEED replays a run.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cosim_test_util.h"

SPATTEN_VERILATED_BEGIN
#include "Vs_axi_control.h"
SPATTEN_VERILATED_END

#include "axi_lite_master.h"
#include "spatten/kernel/interface.h"
#include "spatten_test_seed.h"

namespace cosim = spatten::test::cosim;
namespace kif = spatten::kernel_if;
using spatten::cosim::AxiLiteError;
using spatten::cosim::AxiLiteMaster;
using spatten::cosim::AxiLiteTiming;

namespace {

constexpr int kAddrBits = 7;  // tests/cosim/s_axi_control.cmake
static_assert(kif::kArgumentsEnd <= (1u << kAddrBits), "the map fits ADDR_BITS");
constexpr std::uint32_t kCtrl = kif::kRegControl;
constexpr std::uint32_t kStart = kif::kRegControlApStart;
constexpr std::uint32_t kDone = kif::kRegControlApDone;
constexpr std::uint32_t kIdle = kif::kRegControlApIdle;
constexpr std::uint32_t kReady = kif::kRegControlApReady;
constexpr std::uint32_t kAuto = kif::kRegControlAutoRestart;
constexpr std::uint32_t kIsrDone = kif::kRegIsrDone;
constexpr std::uint32_t kIsrReady = kif::kRegIsrReady;

/// The value of argument i on the slave's output port.
std::uint64_t arg_port(const Vs_axi_control& t, std::size_t i) {
  switch (static_cast<kif::Arg>(i)) {
    case kif::Arg::k_msb: return t.k_msb;
    case kif::Arg::k_lsb: return t.k_lsb;
    case kif::Arg::v_msb: return t.v_msb;
    case kif::Arg::v_lsb: return t.v_lsb;
    case kif::Arg::meta: return t.meta;
    case kif::Arg::out: return t.out;
    case kif::Arg::num_jobs: return t.num_jobs;
    case kif::Arg::desc_offset: return t.desc_offset;
  }
  return 0;
}

/// The interrupt output: Verilator renames the port, "interrupt" being a
/// common C++ word (SYMRSVDWORD).
bool irq(const Vs_axi_control& t) { return t.__SYM__interrupt != 0; }

/// A data word of an argument: argument index and word (0 low, 1 high).
struct ArgWord {
  std::size_t arg;
  int word;
  std::uint32_t addr;
};
std::vector<ArgWord> arg_words() {
  std::vector<ArgWord> w;
  for (std::size_t i = 0; i < static_cast<std::size_t>(kif::kNumArguments); ++i)
    for (int k = 0; k < kif::kArguments[i].words; ++k)
      w.push_back({i, k, kif::kArguments[i].offset + 4u * static_cast<std::uint32_t>(k)});
  return w;
}
/// Every word address the map does not define (reserved words, the rest of
/// the 2^ADDR_BITS bytes).
std::vector<std::uint32_t> unmapped_words() {
  std::set<std::uint32_t> mapped{kif::kRegControl, kif::kRegGie, kif::kRegIer, kif::kRegIsr};
  for (const ArgWord& w : arg_words()) mapped.insert(w.addr);
  std::vector<std::uint32_t> out;
  for (std::uint32_t a = 0; a < (1u << kAddrBits); a += 4)
    if (mapped.count(a) == 0) out.push_back(a);
  return out;
}
std::uint32_t byte_mask(std::uint32_t strb) {
  std::uint32_t m = 0;
  for (unsigned b = 0; b < 4; ++b)
    if (((strb >> b) & 1u) != 0) m |= 0xFFu << (8 * b);
  return m;
}

/// The signals of one cycle, sampled after the inputs settled, before the edge.
struct Sample {
  bool rst_n, awvalid, awready, wvalid, wready, bvalid, bready, arvalid, arready, rvalid, rready;
  std::uint32_t rdata;
  bool ap_start, ap_done, ap_idle, ap_ready, interrupt;
  std::uint32_t num_jobs;
  std::uint64_t k_msb;
};

/// The test's core. kHls: an ap_ctrl_hs core (takes ap_start after it has
/// been high take_delay cycles, with an ap_ready pulse; then run cycles busy,
/// ap_done in the last; ap_idle = !busy && !ap_start). kManual: ap_idle as
/// set, pulses as scheduled.
struct Core {
  enum Mode { kHls, kManual } mode = kHls;
  int take_delay = 0;
  int run = 5;
  bool idle = true;                        // kManual: ap_idle
  std::set<std::int64_t> done_at, ready_at;  // kManual: pulse cycles
  // state
  int seen = 0;
  int left = 0;
  int starts = 0;
  int dones = 0;
  void reset() { seen = left = 0; }
};

class Harness : public cosim::Dut<Vs_axi_control> {
 public:
  explicit Harness(std::uint64_t seed, AxiLiteTiming timing = plain())
      : Dut("s_axi_control", [](VerilatedContext& c) { c.randReset(0); }),
        bus(*top_, [this] { tick(); }, seed, timing) {
    Vs_axi_control& t = *top_;
    t.clk = 0;
    t.s_axi_control_awaddr = 0;
    t.s_axi_control_wdata = 0;
    t.s_axi_control_wstrb = 0;
    t.s_axi_control_araddr = 0;
    t.ap_done = t.ap_ready = 0;
    t.ap_idle = 1;
    reset(2);
  }
  static AxiLiteTiming plain() {
    AxiLiteTiming t;
    t.addr_bits = kAddrBits;
    return t;
  }

  /// One clock cycle: the core drives its inputs, the signals settle and are
  /// recorded, then the rising edge.
  void tick() {
    drive_core();
    if (per_cycle) per_cycle(*top_, now);
    top_->eval();
    wave.push_back(sample());
    cycle();
    ++now;
  }
  void run(int cycles) {
    for (int i = 0; i < cycles; ++i) tick();
  }
  /// rst_n low for `cycles` cycles (the core is reset with the slave).
  void reset(int cycles) {
    top_->rst_n = 0;
    run(cycles);
    top_->rst_n = 1;
    core.reset();
    top_->eval();
  }
  /// Ticks until pred() holds before a tick (at most `limit` cycles).
  void run_until(const std::function<bool()>& pred, int limit = 1000) {
    for (int i = 0; i < limit && !pred(); ++i) tick();
    ASSERT_TRUE(pred()) << "condition not reached in " << limit << " cycles";
  }
  const Sample& at(std::int64_t c) const { return wave.at(static_cast<std::size_t>(c)); }
  Vs_axi_control& t() { return *top_; }

  Core core;
  std::function<void(Vs_axi_control&, std::int64_t)> per_cycle;  // more inputs per cycle
  std::int64_t now = 0;  // the current cycle (before its edge)
  std::vector<Sample> wave;
  AxiLiteMaster<Vs_axi_control> bus;

 private:
  void drive_core() {
    Vs_axi_control& t = *top_;
    t.ap_done = 0;
    t.ap_ready = 0;
    if (t.rst_n == 0) {
      t.ap_idle = core.mode == Core::kHls || core.idle;
      return;
    }
    if (core.mode == Core::kManual) {
      t.ap_idle = core.idle;
      t.ap_done = core.done_at.count(now) != 0;
      t.ap_ready = core.ready_at.count(now) != 0;
      return;
    }
    if (core.left > 0) {
      t.ap_idle = 0;
      if (--core.left == 0) {
        t.ap_done = 1;
        ++core.dones;
      }
    } else if (t.ap_start != 0) {
      t.ap_idle = 0;
      if (core.seen >= core.take_delay) {
        t.ap_ready = 1;
        ++core.starts;
        core.seen = 0;
        core.left = core.run;
      } else {
        ++core.seen;
      }
    } else {
      t.ap_idle = 1;
      core.seen = 0;
    }
  }
  Sample sample() const {
    const Vs_axi_control& t = *top_;
    return Sample{t.rst_n != 0,
                  t.s_axi_control_awvalid != 0,
                  t.s_axi_control_awready != 0,
                  t.s_axi_control_wvalid != 0,
                  t.s_axi_control_wready != 0,
                  t.s_axi_control_bvalid != 0,
                  t.s_axi_control_bready != 0,
                  t.s_axi_control_arvalid != 0,
                  t.s_axi_control_arready != 0,
                  t.s_axi_control_rvalid != 0,
                  t.s_axi_control_rready != 0,
                  t.s_axi_control_rdata,
                  t.ap_start != 0,
                  t.ap_done != 0,
                  t.ap_idle != 0,
                  t.ap_ready != 0,
                  irq(t),
                  t.num_jobs,
                  t.k_msb};
  }
};

/// Pin-level driving of the slave's AXI inputs (the master left idle).
struct Pins {
  Vs_axi_control& t;
  void aw(bool v, std::uint32_t addr = 0) {
    t.s_axi_control_awvalid = v;
    t.s_axi_control_awaddr = static_cast<CData>(addr);
  }
  void w(bool v, std::uint32_t data = 0, std::uint32_t strb = 0xF) {
    t.s_axi_control_wvalid = v;
    t.s_axi_control_wdata = data;
    t.s_axi_control_wstrb = static_cast<CData>(strb);
  }
  void b(bool ready) { t.s_axi_control_bready = ready; }
  void ar(bool v, std::uint32_t addr = 0) {
    t.s_axi_control_arvalid = v;
    t.s_axi_control_araddr = static_cast<CData>(addr);
  }
  void r(bool ready) { t.s_axi_control_rready = ready; }
};

/// Random bus timing: VALID delays 0..max_delay, READY probabilities in [p_min, 1].
AxiLiteTiming random_timing(std::mt19937_64& rng, int max_delay, double p_min) {
  AxiLiteTiming t = Harness::plain();
  auto delay = [&] {
    const int hi = cosim::uni(rng, 0, max_delay);
    return AxiLiteTiming::Delay{cosim::uni(rng, 0, hi), hi};
  };
  t.aw = delay();
  t.w = delay();
  t.ar = delay();
  t.bready = std::uniform_real_distribution<double>(p_min, 1.0)(rng);
  t.rready = std::uniform_real_distribution<double>(p_min, 1.0)(rng);
  return t;
}

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// ---- arguments -------------------------------------------------------------
TEST(s_axi_control_rtl, ArgumentsRoundTripWithByteStrobes) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0xa11u);
  for (int round = 0; round < 8; ++round) {
    Harness h(rng(), round == 0 ? Harness::plain() : random_timing(rng, 4, 0.3));
    SCOPED_TRACE("SPATTEN_SEED=" + std::to_string(seed) + " round " + std::to_string(round));
    const std::vector<ArgWord> words = arg_words();
    std::vector<std::uint64_t> expect(static_cast<std::size_t>(kif::kNumArguments), 0);
    auto check_ports = [&] {
      for (std::size_t i = 0; i < expect.size(); ++i)
        ASSERT_EQ(arg_port(h.t(), i), expect[i]) << kif::kArguments[i].name;
    };
    auto write = [&](const ArgWord& w, std::uint32_t v, std::uint32_t strb) {
      h.bus.write32(w.addr, v, strb);
      const std::uint64_t m = std::uint64_t{byte_mask(strb)} << (32 * w.word);
      const std::uint64_t val = std::uint64_t{v} << (32 * w.word);
      expect[w.arg] = (expect[w.arg] & ~m) | (val & m);
    };
    check_ports();  // reset value 0
    for (const ArgWord& w : words) write(w, static_cast<std::uint32_t>(rng()), 0xFu);
    check_ports();
    for (const ArgWord& w : words) {
      const std::uint64_t v = expect[w.arg] >> (32 * w.word);
      ASSERT_EQ(h.bus.read32(w.addr), static_cast<std::uint32_t>(v)) << hex(w.addr);
    }
    // partial writes (strobe 0 writes nothing), each visible on the port at once
    for (int i = 0; i < 150; ++i) {
      const ArgWord& w = words[static_cast<std::size_t>(cosim::uni(rng, 0, static_cast<std::int32_t>(words.size()) - 1))];
      write(w, static_cast<std::uint32_t>(rng()), static_cast<std::uint32_t>(cosim::uni(rng, 0, 15)));
      check_ports();
      if (cosim::uni(rng, 0, 3) == 0) {
        const std::uint64_t v = expect[w.arg] >> (32 * w.word);
        ASSERT_EQ(h.bus.read32(w.addr), static_cast<std::uint32_t>(v)) << hex(w.addr);
      }
    }
    for (const ArgWord& w : words) {
      const std::uint64_t v = expect[w.arg] >> (32 * w.word);
      ASSERT_EQ(h.bus.read32(w.addr), static_cast<std::uint32_t>(v)) << hex(w.addr);
    }
  }
}

TEST(s_axi_control_rtl, ReservedUnmappedAndReadOnlyBits) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0x5e5u);
  Harness h(rng(), random_timing(rng, 3, 0.5));
  const std::vector<ArgWord> words = arg_words();
  for (const ArgWord& w : words) h.bus.write32(w.addr, static_cast<std::uint32_t>(rng()));
  std::vector<std::uint32_t> before;
  for (const ArgWord& w : words) before.push_back(h.bus.read32(w.addr));
  // reserved and unmapped words: writes ignored, reads 0 (OKAY, else the master throws)
  for (std::uint32_t a : unmapped_words()) {
    EXPECT_EQ(h.bus.read32(a), 0u) << hex(a);
    h.bus.write32(a, 0xFFFFFFFFu);
    EXPECT_EQ(h.bus.read32(a), 0u) << hex(a);
  }
  for (std::size_t i = 0; i < words.size(); ++i) EXPECT_EQ(h.bus.read32(words[i].addr), before[i]) << hex(words[i].addr);
  // the low two address bits are ignored
  std::size_t nj_word = 0;
  while (words[nj_word].addr != kif::ArgOffset::num_jobs) ++nj_word;
  EXPECT_EQ(h.bus.read32(kif::ArgOffset::num_jobs + 3), before[nj_word]);
  h.bus.write32(kif::ArgOffset::num_jobs + 2, 0x12345678u, 0x3u);
  const std::uint32_t nj = (before[nj_word] & 0xFFFF0000u) | 0x5678u;
  EXPECT_EQ(h.bus.read32(kif::ArgOffset::num_jobs), nj);
  EXPECT_EQ(h.t().num_jobs, nj);
  // read-only and undefined bits of the control and interrupt registers
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  h.bus.write32(kCtrl, ~(kStart | kAuto));  // done, idle, ready, continue, ...: read-only or unused
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  EXPECT_FALSE(h.t().ap_start);
  h.bus.write32(kif::kRegGie, 0xFFFFFFFFu);
  EXPECT_EQ(h.bus.read32(kif::kRegGie), kif::kRegGieEnable);
  h.bus.write32(kif::kRegIer, 0xFFFFFFFFu);
  EXPECT_EQ(h.bus.read32(kif::kRegIer), kif::kRegIerDone | kif::kRegIerReady);
  h.bus.write32(kif::kRegIsr, ~(kIsrDone | kIsrReady));
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  EXPECT_FALSE(irq(h.t()));
  // byte strobes on the control registers: byte 0 not strobed, nothing written
  h.bus.write32(kif::kRegGie, 0u, 0xEu);
  EXPECT_EQ(h.bus.read32(kif::kRegGie), kif::kRegGieEnable);
  h.bus.write32(kCtrl, kStart | kAuto, 0xEu);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  EXPECT_EQ(h.core.starts, 0);
}

// ---- ap_ctrl_hs ----------------------------------------------------------
TEST(s_axi_control_rtl, StartHeldUntilReady) {
  Harness h(1);
  h.core.take_delay = 4;
  h.core.run = 6;
  const std::int64_t s = h.now;
  h.bus.write32(kCtrl, kStart);
  ASSERT_EQ(h.bus.last().aw, 0);  // the write takes effect in cycle s
  ASSERT_EQ(h.bus.last().w, 0);
  // pending: ap_start high, the core (HLS) not idle; a second start is a no-op
  EXPECT_EQ(h.bus.read32(kCtrl), kStart);
  h.bus.write32(kCtrl, kStart);
  h.run(30);
  // cycle by cycle: ap_start from s+1; the core takes it after 4 cycles (ap_ready
  // in s+5); ap_start low from s+6; ap_done in s+5+6; exactly one call
  const std::int64_t r = s + 1 + h.core.take_delay;
  EXPECT_FALSE(h.at(s).ap_start);
  for (std::int64_t c = s + 1; c <= r; ++c) EXPECT_TRUE(h.at(c).ap_start) << "cycle " << c - s;
  for (std::int64_t c = r + 1; c < h.now; ++c) EXPECT_FALSE(h.at(c).ap_start) << "cycle " << c - s;
  for (std::int64_t c = s; c < h.now; ++c) {
    EXPECT_EQ(h.at(c).ap_ready, c == r) << "cycle " << c - s;
    EXPECT_EQ(h.at(c).ap_done, c == r + h.core.run) << "cycle " << c - s;
  }
  EXPECT_EQ(h.core.starts, 1);
  EXPECT_EQ(h.core.dones, 1);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle | kReady);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
}

TEST(s_axi_control_rtl, StartWhileBusyIsIgnored) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0xb05u);
  Harness h(rng(), random_timing(rng, 3, 0.5));
  h.core.run = 400;
  h.bus.write32(kCtrl, kStart);
  h.run_until([&] { return h.core.starts == 1; });
  const std::int64_t taken = h.now;
  // the core runs (ap_idle low): starts, also with auto_restart, are ignored
  for (int i = 0; i < 5; ++i) {
    h.bus.write32(kCtrl, i == 4 ? (kStart | kAuto) : kStart);
    EXPECT_EQ(h.bus.read32(kCtrl) & (kStart | kIdle), 0u);
  }
  h.bus.write32(kCtrl, 0);  // auto_restart off again before the call ends
  ASSERT_EQ(h.core.dones, 0) << "the call must outlast the writes";
  h.run_until([&] { return h.core.dones == 1; }, 1000);
  h.run(40);
  for (std::int64_t c = taken; c < h.now; ++c) EXPECT_FALSE(h.at(c).ap_start) << "cycle " << c;
  EXPECT_EQ(h.core.starts, 1);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle);  // READY was read (cleared) while busy
  // idle again: a start is taken
  h.bus.write32(kCtrl, kStart);
  h.run(5);
  EXPECT_EQ(h.core.starts, 2);
}

TEST(s_axi_control_rtl, DoneAndReadyClearOnRead) {
  Harness h(2);
  h.core.mode = Core::kManual;
  // a pulse before the read: 1, then 0
  h.core.done_at.insert(h.now);
  h.run(1);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  h.core.ready_at.insert(h.now + 3);
  h.run(5);
  EXPECT_EQ(h.bus.read32(kCtrl), kReady | kIdle);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  // a pulse in the cycle of the AR handshake: that read returns 0 (the value in
  // that cycle), the set wins over the clear, the next read returns 1
  h.core.done_at.insert(h.now);
  h.core.ready_at.insert(h.now);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  ASSERT_EQ(h.bus.last().ar, 0);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kReady | kIdle);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  // a pulse while the response waits (after the AR handshake, pins driven):
  // the response keeps the AR cycle's value, the bit is kept for the next read
  Pins p{h.t()};
  const std::int64_t s = h.now;
  p.ar(true, kCtrl);
  h.tick();
  p.ar(false);
  h.core.done_at.insert(h.now + 1);
  h.run(3);
  p.r(true);
  h.tick();
  p.r(false);
  for (std::int64_t c = s + 1; c <= s + 4; ++c) {
    EXPECT_TRUE(h.at(c).rvalid);
    EXPECT_EQ(h.at(c).rdata, kIdle);
  }
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle);
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  // other registers' reads do not clear
  h.core.done_at.insert(h.now);
  h.run(1);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  EXPECT_EQ(h.bus.read32(kif::ArgOffset::k_msb), 0u);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle);
}

TEST(s_axi_control_rtl, IdleFollowsTheInput) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0x1d1eu);
  Harness h(rng(), random_timing(rng, 4, 0.3));
  h.core.mode = Core::kManual;
  std::mt19937_64 idle_rng(rng());
  h.per_cycle = [&](Vs_axi_control& t, std::int64_t) {
    h.core.idle = std::bernoulli_distribution(0.5)(idle_rng);
    t.ap_idle = h.core.idle;
  };
  int seen[2] = {0, 0};
  for (int i = 0; i < 200; ++i) {
    const std::int64_t s = h.now;
    const std::uint32_t v = h.bus.read32(kCtrl);
    const std::int64_t ar = s + h.bus.last().ar;
    const bool idle = h.at(ar).ap_idle;
    ++seen[idle ? 1 : 0];
    ASSERT_EQ(v, idle ? kIdle : 0u) << "read " << i << ", AR in cycle " << ar;
  }
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
}

TEST(s_axi_control_rtl, AutoRestartRestartsUntilCleared) {
  Harness h(3);
  h.core.run = 5;
  h.bus.write32(kCtrl, kStart | kAuto);
  h.run_until([&] { return h.core.dones == 3; }, 200);
  EXPECT_EQ(h.bus.read32(kCtrl) & (kStart | kAuto | kIdle), kStart | kAuto);
  // ap_start never dropped since the start: each ap_done is followed by a take
  for (std::int64_t c = 1; c < h.now; ++c)
    if (h.at(c - 1).ap_start) {
      EXPECT_TRUE(h.at(c).ap_start) << "cycle " << c;
    }
  const int starts = h.core.starts;
  h.bus.write32(kCtrl, 0);  // clears auto_restart only
  const std::int64_t cleared = h.now;
  h.run(40);
  EXPECT_EQ(h.core.starts, starts + 1);  // the call that was pending
  std::int64_t last_ready = -1;
  for (std::int64_t c = cleared; c < h.now; ++c)
    if (h.at(c).ap_ready) last_ready = c;
  ASSERT_GE(last_ready, cleared);
  for (std::int64_t c = last_ready + 1; c < h.now; ++c) EXPECT_FALSE(h.at(c).ap_start);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kIdle | kReady);
}

// ---- interrupts -------------------------------------------------------------
TEST(s_axi_control_rtl, InterruptGieIerIsr) {
  Harness h(4);
  h.core.mode = Core::kManual;
  auto pulse_done = [&] {
    h.core.done_at.insert(h.now);
    const std::int64_t e = h.now;
    h.run(1);
    return e;
  };
  auto pulse_ready = [&] {
    h.core.ready_at.insert(h.now);
    h.run(1);
  };
  // IER off: events leave ISR 0
  h.bus.write32(kif::kRegGie, kif::kRegGieEnable);
  pulse_done();
  pulse_ready();
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  EXPECT_FALSE(irq(h.t()));
  // IER done only: ready is not latched, done is, interrupt from e+1
  h.bus.write32(kif::kRegIer, kif::kRegIerDone);
  pulse_ready();
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  const std::int64_t e = pulse_done();
  EXPECT_FALSE(h.at(e).interrupt);
  h.run(1);
  EXPECT_TRUE(h.at(e + 1).interrupt);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone);
  EXPECT_EQ(h.bus.read32(kCtrl), kDone | kReady | kIdle);  // clear on read: ISR is not touched
  EXPECT_TRUE(irq(h.t()));
  // toggle on write: writing 1 clears it (from the cycle after the write)
  std::int64_t t = h.now;
  h.bus.write32(kif::kRegIsr, kIsrDone);
  EXPECT_TRUE(h.at(t).interrupt);
  EXPECT_FALSE(h.at(t + 1).interrupt);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  // writing 1 to a clear bit sets it (toggle), also for a disabled event
  h.bus.write32(kif::kRegIsr, kIsrReady);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrReady);
  EXPECT_TRUE(irq(h.t()));
  h.bus.write32(kif::kRegIsr, kIsrReady | kIsrDone);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone);
  h.bus.write32(kif::kRegIsr, kIsrDone, 0xEu);  // byte 0 not strobed: no toggle
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone);
  h.bus.write32(kif::kRegIsr, kIsrDone);
  EXPECT_FALSE(irq(h.t()));
  // GIE off masks the output, not the status
  h.bus.write32(kif::kRegGie, 0);
  h.bus.write32(kif::kRegIer, kif::kRegIerDone | kif::kRegIerReady);
  pulse_ready();
  EXPECT_FALSE(irq(h.t()));
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrReady);
  t = h.now;
  h.bus.write32(kif::kRegGie, kif::kRegGieEnable);
  EXPECT_FALSE(h.at(t).interrupt);
  EXPECT_TRUE(h.at(t + 1).interrupt);
  // an event in the cycle of a toggling write wins: the bit stays set
  pulse_done();
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone | kIsrReady);
  h.core.done_at.insert(h.now);  // the write takes effect in its first cycle
  h.bus.write32(kif::kRegIsr, kIsrDone | kIsrReady);
  ASSERT_EQ(h.bus.last().aw, 0);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone);
  h.bus.write32(kif::kRegIsr, kIsrDone);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  EXPECT_FALSE(irq(h.t()));
  // the HLS core: one call raises done and ready
  h.core.mode = Core::kHls;
  h.bus.write32(kCtrl, kStart);
  h.run_until([&] { return h.core.dones == 1; });
  h.run(1);
  EXPECT_TRUE(irq(h.t()));
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), kIsrDone | kIsrReady);
}

// ---- the channels, pin by pin ---------------------------------------------
/// One write with AW in cycle s + aw_at and W in s + w_at (each VALID held one
/// cycle: READY is high then), B held back `b_wait` cycles; checks every
/// cycle of the contract.
void pin_write(Harness& h, int aw_at, int w_at, int b_wait, std::uint32_t value) {
  Pins p{h.t()};
  const std::int64_t s = h.now;
  const std::uint32_t old = h.t().num_jobs;
  const int fire = std::max(aw_at, w_at);
  const int last = fire + 1 + b_wait;  // the B handshake
  for (int c = 0; c <= last + 1; ++c) {
    p.aw(c == aw_at, kif::ArgOffset::num_jobs);
    p.w(c == w_at, c == w_at ? value : 0xDEADBEEFu);
    p.b(c == last);
    h.tick();
  }
  p.b(false);
  for (int c = 0; c <= last + 1; ++c) {
    const Sample& x = h.at(s + c);
    SCOPED_TRACE("AW at " + std::to_string(aw_at) + ", W at " + std::to_string(w_at) + ", cycle " +
                 std::to_string(c));
    EXPECT_EQ(x.awready, c <= aw_at || c > last);
    EXPECT_EQ(x.wready, c <= w_at || c > last);
    EXPECT_EQ(x.bvalid, c > fire && c <= last);
    EXPECT_EQ(x.num_jobs, c <= fire ? old : value);
    EXPECT_TRUE(x.arready);
  }
}

TEST(s_axi_control_rtl, WriteChannelOrdersAndBackPressureCycleByCycle) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0x0dd5u);
  Harness h(5);
  SCOPED_TRACE("SPATTEN_SEED=" + std::to_string(seed));
  pin_write(h, 0, 0, 0, 0x11111111u);  // same cycle, B at once
  pin_write(h, 0, 3, 2, 0x22222222u);  // AW before W
  pin_write(h, 4, 1, 0, 0x33333333u);  // W before AW
  pin_write(h, 2, 2, 5, 0x44444444u);  // same cycle, after a gap
  for (int i = 0; i < 40; ++i)
    pin_write(h, cosim::uni(rng, 0, 4), cosim::uni(rng, 0, 4), cosim::uni(rng, 0, 4), static_cast<std::uint32_t>(rng()));
  EXPECT_EQ(h.bus.read32(kif::ArgOffset::num_jobs), h.t().num_jobs);
}

TEST(s_axi_control_rtl, ReadChannelTimingAndReadDuringWrite) {
  Harness h(6);
  Pins p{h.t()};
  h.bus.write32(kif::ArgOffset::k_msb, 0xAAAA0001u);
  // AR in s (write of the same word taking effect in s too): the response holds
  // the old value from s+1 until the R handshake in s+4; arready low s+1..s+4
  const std::int64_t s = h.now;
  p.ar(true, kif::ArgOffset::k_msb);
  p.aw(true, kif::ArgOffset::k_msb);
  p.w(true, 0xBBBB0002u);
  p.b(true);
  p.r(false);
  h.tick();
  p.ar(false);
  p.aw(false);
  p.w(false);
  for (int c = 1; c <= 5; ++c) {
    p.r(c == 4);
    h.tick();
  }
  p.r(false);
  p.b(false);
  for (int c = 0; c <= 5; ++c) {
    const Sample& x = h.at(s + c);
    SCOPED_TRACE("cycle " + std::to_string(c));
    EXPECT_EQ(x.arready, c == 0 || c == 5);
    EXPECT_EQ(x.rvalid, c >= 1 && c <= 4);
    if (x.rvalid) {
      EXPECT_EQ(x.rdata, 0xAAAA0001u);
    }
    EXPECT_EQ(x.k_msb & 0xFFFFFFFFu, c == 0 ? 0xAAAA0001u : 0xBBBB0002u);
  }
  EXPECT_EQ(h.bus.read32(kif::ArgOffset::k_msb), 0xBBBB0002u);
  // the master's own timing with no delays: AR in its cycle 0, R in cycle 1
  EXPECT_EQ(h.bus.last().ar, 0);
  EXPECT_EQ(h.bus.last().r, 1);
  EXPECT_EQ(h.bus.last().cycles, 2);
  h.bus.write32(kif::ArgOffset::k_msb, 1u);
  EXPECT_EQ(h.bus.last().b, 1);
}

TEST(s_axi_control_rtl, RandomTrafficWithBackPressure) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed ^ 0x7a5fu);
  int aw_first = 0;
  int w_first = 0;
  int together = 0;
  for (int run = 0; run < 12; ++run) {
    Harness h(rng(), random_timing(rng, 6, 0.15));
    SCOPED_TRACE("SPATTEN_SEED=" + std::to_string(seed) + " run " + std::to_string(run));
    h.core.mode = Core::kManual;
    std::map<std::uint32_t, std::uint32_t> model;  // word address -> value (absent: 0)
    std::map<std::uint32_t, std::uint32_t> writable{{kif::kRegGie, kif::kRegGieEnable},
                                                     {kif::kRegIer, kif::kRegIerDone | kif::kRegIerReady}};
    for (const ArgWord& w : arg_words()) writable[w.addr] = 0xFFFFFFFFu;
    for (int i = 0; i < 300; ++i) {
      // any word but the control register (its starts are tested above); ISR toggles
      std::uint32_t a = 4u * static_cast<std::uint32_t>(cosim::uni(rng, 1, (1 << kAddrBits) / 4 - 1));
      if (cosim::uni(rng, 0, 1) == 0) {
        const std::uint32_t v = static_cast<std::uint32_t>(rng());
        const std::uint32_t strb = static_cast<std::uint32_t>(cosim::uni(rng, 0, 15));
        h.bus.write32(a, v, strb);
        const auto& tr = h.bus.last();
        (tr.aw < tr.w ? aw_first : tr.w < tr.aw ? w_first : together)++;
        const std::uint32_t m = byte_mask(strb);
        if (a == kif::kRegIsr) {
          model[a] ^= v & m & (kIsrDone | kIsrReady);
        } else if (writable.count(a) != 0) {
          model[a] = (model[a] & ~(m & writable[a])) | (v & m & writable[a]);
        }
      } else {
        if (cosim::uni(rng, 0, 9) == 0) a = kCtrl;
        const std::uint32_t expect = a == kCtrl ? kIdle : model[a];
        ASSERT_EQ(h.bus.read32(a), expect) << "read " << hex(a) << " op " << i;
      }
      const bool want_irq = (model[kif::kRegGie] & 1u) != 0 && model[kif::kRegIsr] != 0;
      ASSERT_EQ(irq(h.t()), want_irq) << "op " << i;
    }
    // the recorded wave: VALIDs only with the slave idle or waiting; one response at a time
    for (const Sample& x : h.wave) {
      ASSERT_FALSE(x.bvalid && (x.awready || x.wready));
      ASSERT_FALSE(x.rvalid && x.arready);
    }
  }
  EXPECT_GT(aw_first, 0);
  EXPECT_GT(w_first, 0);
  EXPECT_GT(together, 0);
}

// ---- reset ------------------------------------------------------------------
TEST(s_axi_control_rtl, ResetInTheMiddleClearsTheControlState) {
  Harness h(7);
  Pins p{h.t()};
  h.core.run = 3;
  for (const ArgWord& w : arg_words()) h.bus.write32(w.addr, 0x01020304u + w.addr);
  h.bus.write32(kif::kRegGie, kif::kRegGieEnable);
  h.bus.write32(kif::kRegIer, kif::kRegIerDone | kif::kRegIerReady);
  h.bus.write32(kCtrl, kStart);
  h.run_until([&] { return h.core.dones == 1; });
  h.core.run = 100;
  h.bus.write32(kCtrl, kStart | kAuto);  // a second call, auto-restarting
  h.run_until([&] { return h.core.starts == 2; });
  h.run(1);
  ASSERT_TRUE(irq(h.t()));
  ASSERT_TRUE(h.t().ap_start);
  // mid-transaction: an AW accepted (no W yet), a read response pending
  p.aw(true, kif::ArgOffset::num_jobs);
  p.ar(true, kif::ArgOffset::k_msb);
  h.tick();
  p.aw(false);
  p.ar(false);
  h.tick();
  ASSERT_TRUE(h.t().s_axi_control_rvalid);
  ASSERT_FALSE(h.t().s_axi_control_awready);
  const std::int64_t rs = h.now;
  h.reset(1);
  // from the cycle after the reset cycle: everything cleared
  const std::int64_t c = h.now;
  h.run(1);
  const Sample& x = h.at(c);
  EXPECT_FALSE(h.at(rs).rst_n);
  EXPECT_FALSE(x.ap_start);
  EXPECT_FALSE(x.interrupt);
  EXPECT_FALSE(x.bvalid);
  EXPECT_FALSE(x.rvalid);
  EXPECT_TRUE(x.awready);
  EXPECT_TRUE(x.wready);
  EXPECT_TRUE(x.arready);
  EXPECT_EQ(x.num_jobs, 0u);
  EXPECT_EQ(x.k_msb, 0u);
  for (std::size_t i = 0; i < static_cast<std::size_t>(kif::kNumArguments); ++i) EXPECT_EQ(arg_port(h.t(), i), 0u);
  // the AW accepted before the reset is gone: a lone W waits for its own AW
  p.w(true, 0x55u);
  h.tick();
  p.w(false);
  h.run(3);
  EXPECT_FALSE(h.t().s_axi_control_bvalid);
  EXPECT_EQ(h.t().num_jobs, 0u);
  EXPECT_FALSE(h.t().s_axi_control_wready);
  p.aw(true, kif::ArgOffset::desc_offset);
  p.b(true);
  h.tick();
  p.aw(false);
  h.tick();
  p.b(false);
  EXPECT_EQ(h.t().desc_offset, 0x55u);
  EXPECT_EQ(h.t().num_jobs, 0u);
  // control and interrupt registers: reset values
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);
  EXPECT_EQ(h.bus.read32(kif::kRegGie), 0u);
  EXPECT_EQ(h.bus.read32(kif::kRegIer), 0u);
  EXPECT_EQ(h.bus.read32(kif::kRegIsr), 0u);
  h.run(20);
  EXPECT_EQ(h.core.starts, 2);  // nothing restarted
}

// ---- the master's error reports ---------------------------------------------
/// A stand-in slave that answers every write with SLVERR and reads with DECERR.
struct ErrSlave {
  CData s_axi_control_awvalid = 0, s_axi_control_awready = 1, s_axi_control_wvalid = 0, s_axi_control_wready = 1;
  CData s_axi_control_bvalid = 0, s_axi_control_bready = 0, s_axi_control_bresp = 2;
  CData s_axi_control_arvalid = 0, s_axi_control_arready = 1, s_axi_control_rvalid = 0, s_axi_control_rready = 0;
  CData s_axi_control_rresp = 3, s_axi_control_awaddr = 0, s_axi_control_araddr = 0, s_axi_control_wstrb = 0;
  IData s_axi_control_wdata = 0, s_axi_control_rdata = 0;
  bool early = false;  // respond before the request
  void eval() {}
  void tick() {
    s_axi_control_bvalid = early || (s_axi_control_awvalid && s_axi_control_wvalid);
    s_axi_control_rvalid = early || s_axi_control_arvalid;
  }
};

TEST(s_axi_control_rtl, MasterReportsProtocolErrors) {
  ErrSlave e;
  AxiLiteMaster<ErrSlave> m(e, [&] { e.tick(); });
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const AxiLiteError& err) {
      return std::string(err.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { m.write32(0x10, 1); }), "AXI-Lite write at 0x10: BRESP = 2 (SLVERR)");
  EXPECT_EQ(message([&] { (void)m.read32(0x14); }), "AXI-Lite read at 0x14: RRESP = 3 (DECERR)");
  e.early = true;
  e.tick();
  EXPECT_EQ(message([&] { m.write32(0x10, 1); }), "AXI-Lite write at 0x10: BVALID before the AW and W handshakes");
  EXPECT_EQ(message([&] { (void)m.read32(0x10); }), "AXI-Lite read at 0x10: RVALID before the AR handshake");
  // the real slave: timeouts when the response is never taken, too-wide addresses
  Harness h(8);
  h.bus.timing().bready = 0.0;
  h.bus.timing().timeout = 50;
  EXPECT_EQ(message([&] { h.bus.write32(0x10, 1); }), "AXI-Lite write at 0x10: no B handshake within 50 cycles");
  h.reset(1);
  h.bus.timing() = Harness::plain();
  h.bus.timing().aw = {60, 60};
  h.bus.timing().timeout = 50;
  EXPECT_EQ(message([&] { h.bus.write32(0x10, 1); }), "AXI-Lite write at 0x10: no AW handshake within 50 cycles");
  h.reset(1);
  h.bus.timing() = Harness::plain();
  h.bus.timing().rready = 0.0;
  h.bus.timing().timeout = 20;
  EXPECT_EQ(message([&] { (void)h.bus.read32(0x10); }), "AXI-Lite read at 0x10: no R handshake within 20 cycles");
  h.reset(1);
  h.bus.timing() = Harness::plain();
  EXPECT_EQ(message([&] { (void)h.bus.read32(0x80); }), "AXI-Lite read at 0x80: address wider than the port's 7 bits");
  EXPECT_EQ(h.bus.read32(kCtrl), kIdle);  // the bus works again
}

}  // namespace
