// A cycle-level AXI4-Lite master for Verilated models (sim/cosim/README.md):
// write32/read32 drive the model's s_axi_control_* ports one clock at a time
// through a caller-provided tick, so a harness can clock other logic (the core
// side, memories) in the same cycles. Optional random VALID delays and
// BREADY/RREADY back-pressure come from a seeded generator; protocol errors
// (a response that is not OKAY, a response before its request, no handshake
// within the timeout) throw AxiLiteError.
//
// Cycle convention. Each cycle the master sets its outputs (VALIDs, address,
// data, strobes, READYs), calls top.eval() to settle the model, samples the
// handshakes (VALID & READY) and then calls tick(), which must clock the model
// through one rising edge (and may set the model's other inputs, but not the
// s_axi_control_* ones). A handshake sampled before tick happens at that edge.
// After a transaction, and before an AxiLiteError is thrown, the master's
// VALIDs and READYs are low again (after an error the slave may still hold a
// response: reset it).
//
// Model is any type with the members s_axi_control_{awvalid,
// awready, awaddr, wvalid, wready, wdata, wstrb, bvalid, bready, bresp, arvalid,
// arready, araddr, rvalid, rready, rdata, rresp} (integral, as Verilator makes
// them) and eval().
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace spatten::cosim {

/// A protocol error or a timeout on the AXI4-Lite bus.
class AxiLiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The master's timing: VALID delays (cycles from the start of a transaction
/// until VALID rises, uniform in [min, max]; once high it stays high until its
/// handshake), READY back-pressure (the probability that BREADY / RREADY is
/// high in a cycle, drawn every cycle) and the timeout.
struct AxiLiteTiming {
  struct Delay {
    int min = 0;
    int max = 0;
  };
  Delay aw{};
  Delay w{};
  Delay ar{};
  double bready = 1.0;
  double rready = 1.0;
  int timeout = 1000;  ///< cycles a transaction may take
  int addr_bits = 32;  ///< width of awaddr/araddr: wider addresses are rejected
};

/// The cycles (counted from 0, the first cycle of the transaction) of the
/// handshakes of the last transaction; -1 where none; `cycles` ticks in all.
struct AxiLiteTrace {
  int aw = -1;
  int w = -1;
  int b = -1;
  int ar = -1;
  int r = -1;
  int cycles = 0;
};

template <class Model>
class AxiLiteMaster {
 public:
  AxiLiteMaster(Model& top, std::function<void()> tick, std::uint64_t seed = 0, AxiLiteTiming timing = {})
      : top_(top), tick_(std::move(tick)), rng_(seed), timing_(timing) {
    release();
  }

  AxiLiteTiming& timing() { return timing_; }
  const AxiLiteTrace& last() const { return last_; }

  /// Drives every master output low (no VALID, no READY) and settles the model.
  void release() {
    put(top_.s_axi_control_awvalid, 0);
    put(top_.s_axi_control_wvalid, 0);
    put(top_.s_axi_control_bready, 0);
    put(top_.s_axi_control_arvalid, 0);
    put(top_.s_axi_control_rready, 0);
    top_.eval();
  }

  /// Writes the bytes of value that strb selects (bit i: byte i) to addr.
  void write32(std::uint32_t addr, std::uint32_t value, std::uint32_t strb = 0xFu) {
    check_addr("write", addr);
    if (strb > 0xFu) throw std::invalid_argument("AXI-Lite write: strb has more than 4 bits");
    last_ = AxiLiteTrace{};
    const int aw_at = draw(timing_.aw);
    const int w_at = draw(timing_.w);
    for (int c = 0;; ++c) {
      if (c >= timing_.timeout) fail("write", addr, timeout_what(last_.aw < 0 ? "AW" : last_.w < 0 ? "W" : "B"));
      const bool awvalid = last_.aw < 0 && c >= aw_at;
      const bool wvalid = last_.w < 0 && c >= w_at;
      const bool bready = ready(timing_.bready);
      put(top_.s_axi_control_awvalid, awvalid);
      put(top_.s_axi_control_awaddr, addr);
      put(top_.s_axi_control_wvalid, wvalid);
      put(top_.s_axi_control_wdata, value);
      put(top_.s_axi_control_wstrb, strb);
      put(top_.s_axi_control_bready, bready);
      top_.eval();
      const bool aw_hs = awvalid && top_.s_axi_control_awready != 0;
      const bool w_hs = wvalid && top_.s_axi_control_wready != 0;
      const bool bvalid = top_.s_axi_control_bvalid != 0;
      if (bvalid && (last_.aw < 0 || last_.w < 0)) fail("write", addr, "BVALID before the AW and W handshakes");
      const bool b_hs = bvalid && bready;
      if (b_hs && top_.s_axi_control_bresp != 0) fail("write", addr, "BRESP = " + resp_name(top_.s_axi_control_bresp));
      tick_();
      if (aw_hs) last_.aw = c;
      if (w_hs) last_.w = c;
      if (b_hs) {
        last_.b = c;
        last_.cycles = c + 1;
        break;
      }
    }
    release();
  }

  /// Reads the word at addr.
  std::uint32_t read32(std::uint32_t addr) {
    check_addr("read", addr);
    last_ = AxiLiteTrace{};
    const int ar_at = draw(timing_.ar);
    std::uint32_t data = 0;
    for (int c = 0;; ++c) {
      if (c >= timing_.timeout) fail("read", addr, timeout_what(last_.ar < 0 ? "AR" : "R"));
      const bool arvalid = last_.ar < 0 && c >= ar_at;
      const bool rready = ready(timing_.rready);
      put(top_.s_axi_control_arvalid, arvalid);
      put(top_.s_axi_control_araddr, addr);
      put(top_.s_axi_control_rready, rready);
      top_.eval();
      const bool ar_hs = arvalid && top_.s_axi_control_arready != 0;
      const bool rvalid = top_.s_axi_control_rvalid != 0;
      if (rvalid && last_.ar < 0) fail("read", addr, "RVALID before the AR handshake");
      const bool r_hs = rvalid && rready;
      if (r_hs) {
        if (top_.s_axi_control_rresp != 0) fail("read", addr, "RRESP = " + resp_name(top_.s_axi_control_rresp));
        data = static_cast<std::uint32_t>(top_.s_axi_control_rdata);
      }
      tick_();
      if (ar_hs) last_.ar = c;
      if (r_hs) {
        last_.r = c;
        last_.cycles = c + 1;
        break;
      }
    }
    release();
    return data;
  }

 private:
  template <class Sig, class V>
  static void put(Sig& sig, V v) {
    sig = static_cast<std::remove_reference_t<Sig>>(v);
  }
  int draw(const AxiLiteTiming::Delay& d) {
    if (d.max <= d.min) return d.min;
    return std::uniform_int_distribution<int>(d.min, d.max)(rng_);
  }
  bool ready(double p) {
    if (p >= 1.0) return true;
    if (p <= 0.0) return false;
    return std::bernoulli_distribution(p)(rng_);
  }
  void check_addr(const char* op, std::uint32_t addr) {
    if (timing_.addr_bits < 32 && (addr >> timing_.addr_bits) != 0)
      fail(op, addr, "address wider than the port's " + std::to_string(timing_.addr_bits) + " bits");
  }
  std::string timeout_what(const char* channel) const {
    return std::string("no ") + channel + " handshake within " + std::to_string(timing_.timeout) + " cycles";
  }
  template <class R>
  static std::string resp_name(R resp) {
    static const char* const kNames[] = {"OKAY", "EXOKAY", "SLVERR", "DECERR"};
    const auto r = static_cast<unsigned>(resp) & 3u;
    return std::to_string(r) + " (" + kNames[r] + ")";
  }
  [[noreturn]] void fail(const char* op, std::uint32_t addr, const std::string& what) {
    release();
    std::ostringstream msg;
    msg << "AXI-Lite " << op << " at 0x" << std::hex << addr << ": " << what;
    throw AxiLiteError(msg.str());
  }

  Model& top_;
  std::function<void()> tick_;
  std::mt19937_64 rng_;
  AxiLiteTiming timing_;
  AxiLiteTrace last_{};
};

}  // namespace spatten::cosim
