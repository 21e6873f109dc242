// Helpers shared by the RTL co-simulation tests (tests/cosim/test_*_rtl.cpp):
// bit fields of Verilator ports, a verilated model with its own context and
// clocking, seeds, and the cycle-model side of the MAC units' tests (the
// golden configuration, the parameter sets, row arrivals, lane placement).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "verilated_warnings.h"

SPATTEN_VERILATED_BEGIN
#include "verilated.h"
SPATTEN_VERILATED_END

#include "spatten/cmodel/component.h"
#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/simulator.h"
#include "spatten_test_seed.h"

namespace spatten::test::cosim {

// ---- bit fields of Verilated ports (CData/SData/IData/QData or VlWide) -----
template <class T>
requires std::is_integral_v<T>
void put_bits(T& sig, int lo, int width, std::uint64_t v) {
  auto cur = static_cast<std::uint64_t>(sig);
  for (int b = 0; b < width; ++b) {
    const std::uint64_t bit = std::uint64_t{1} << (lo + b);
    cur = ((v >> b) & 1u) != 0 ? (cur | bit) : (cur & ~bit);
  }
  sig = static_cast<T>(cur);
}
template <std::size_t N>
void put_bits(VlWide<N>& sig, int lo, int width, std::uint64_t v) {
  for (int b = 0; b < width; ++b) {
    const auto pos = static_cast<std::size_t>(lo + b);
    const EData bit = EData{1} << (pos % 32);
    EData& word = sig.at(pos / 32);
    word = ((v >> b) & 1u) != 0 ? (word | bit) : (word & ~bit);
  }
}
template <class T>
requires std::is_integral_v<T> std::uint64_t get_bits(const T& sig, int lo, int width) {
  const auto cur = static_cast<std::uint64_t>(sig) >> lo;
  return width >= 64 ? cur : (cur & ((std::uint64_t{1} << width) - 1));
}
template <std::size_t N>
std::uint64_t get_bits(const VlWide<N>& sig, int lo, int width) {
  std::uint64_t v = 0;
  for (int b = 0; b < width; ++b) {
    const auto pos = static_cast<std::size_t>(lo + b);
    if (((sig.at(pos / 32) >> (pos % 32)) & 1u) != 0) v |= std::uint64_t{1} << b;
  }
  return v;
}
/// The two's complement value of the low `bits` bits of v.
inline std::int64_t sign_extend(std::uint64_t v, int bits) {
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>(v ^ sign) - static_cast<std::int64_t>(sign);
}
/// The low `bits` bits of a signed word.
inline std::uint64_t word_bits(std::int32_t w, int bits) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(w)) & ((std::uint64_t{1} << bits) - 1);
}
inline int clog2(int x) {
  int r = 0;
  while ((1 << r) < x) ++r;
  return r;
}

// ---- a verilated model and its clock ---------------------------------------
/// Owns a model and its VerilatedContext; `prepare` sets the context up before
/// the model is built. Derived harnesses name `top_` and `ctx_` with using.
template <class Model>
class Dut {
 public:
  template <class Prepare>
  Dut(const char* name, Prepare&& prepare) : ctx_(std::make_unique<VerilatedContext>()) {
    std::forward<Prepare>(prepare)(*ctx_);
    top_ = std::make_unique<Model>(ctx_.get(), name);
  }
  ~Dut() { top_->final(); }
  Dut(const Dut&) = delete;
  Dut& operator=(const Dut&) = delete;

  Model& top() { return *top_; }

  /// A rising then a falling clock edge; inputs must be set before.
  void edge() {
    top_->clk = 1;
    top_->eval();
    top_->clk = 0;
    top_->eval();
  }
  /// The clock's high half: a rising edge, then time moves on.
  void rise() {
    top_->clk = 1;
    top_->eval();
    ctx_->timeInc(1);
  }
  /// A whole cycle: clock low, then rise().
  void cycle() {
    top_->clk = 0;
    top_->eval();
    rise();
  }
  void idle(int cycles) {
    for (int i = 0; i < cycles; ++i) cycle();
  }
  /// rst_n low for `cycles` edges (edge()), then high and settled (no edge).
  void reset_edges(int cycles) {
    top_->rst_n = 0;
    for (int i = 0; i < cycles; ++i) edge();
    top_->rst_n = 1;
    top_->eval();
  }

 protected:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> top_;
};

// ---- seeds -----------------------------------------------------------------
/// Row r of a unit depends on the seed, the unit (salt) and r only.
inline std::uint64_t row_seed(std::uint64_t seed, std::uint64_t salt, int r) {
  constexpr std::uint64_t kA = 0x9e3779b97f4a7c15u;
  constexpr std::uint64_t kB = 0xbf58476d1ce4e5b9u;
  const std::uint64_t row = static_cast<std::uint64_t>(r);
  return seed ^ (salt * kA) ^ (row * kB);
}

inline std::int32_t uni(std::mt19937_64& rng, std::int32_t lo, std::int32_t hi) {
  return std::uniform_int_distribution<std::int32_t>(lo, hi)(rng);
}

// ---- the MAC units (qk_unit, pv_unit) ----------------------------------------
/// The golden CONFIG_T of the verilated MAC unit sets: 12-bit Q, 8+4 K and V
/// planes (12-bit words), Q.10 logits, Q0.16 probabilities, 4 output fraction
/// bits; max_head_dim covers every set's D.
struct MacCfg {
  static constexpr int q_bits = 12;
  static constexpr int k_msb_bits = 8;
  static constexpr int k_lsb_bits = 4;
  static constexpr int v_msb_bits = 8;
  static constexpr int v_lsb_bits = 4;
  static constexpr int logit_frac_bits = 10;
  static constexpr int prob_frac_bits = 16;
  static constexpr int out_frac_bits = 4;
  static constexpr int max_context = 4096;
  static constexpr int max_head_dim = 128;
  static constexpr int max_query_heads = 16;
};

/// One verilated MAC unit parameter set (tests/cosim/{qk,pv}_unit.cmake).
struct MacSet {
  const char* name;
  int m, d, latency;
  constexpr int rows() const { return m >= d ? m / d : 1; }
  constexpr int chunks() const { return m >= d ? 1 : (d + m - 1) / m; }
  /// Cycles per row of a job of head dimension hd (1 .. d): the unit is laid
  /// out for d, so only a chunked unit (m < d) gets faster for a smaller hd.
  constexpr int chunks(int hd) const { return m >= d ? 1 : (hd + m - 1) / m; }
  /// The RTL's own elaboration check ($fatal) is only a warning under the
  /// cosim build's -Wno-fatal, so the tests check it too.
  constexpr bool latency_ok() const { return latency >= chunks() + 3; }
};

/// A verilated MAC unit of a set: zero initial state, clock low, in reset, no
/// row valid (the unit's other controls are the derived harness's), and a
/// stream for junk on inputs that must not matter.
template <class Model>
class MacDut : public Dut<Model> {
 public:
  MacDut(const MacSet& s, std::uint64_t seed)
      : Dut<Model>(s.name, [](VerilatedContext& ctx) { ctx.randReset(0); }), s_(s), rng_(seed ^ 0x5eedu) {
    this->top_->clk = 0;
    this->top_->rst_n = 0;
    this->top_->in_valid = 0;
  }

 protected:
  const MacSet& s_;
  std::mt19937_64 rng_;
};

/// The seeds of a set's run: SPATTEN_SEED and the set's own stream.
struct MacSetSeeds {
  std::uint64_t base;
  std::uint64_t set;
};
/// Prints the set and returns its seeds (one stream per set).
inline MacSetSeeds announce_set(const MacSet& s) {
  const std::uint64_t base_seed = spatten::test::test_seed();
  const std::uint64_t seed = base_seed ^ (std::hash<std::string>{}(s.name) & 0xffffu);
  std::cout << "[ unit     ] " << s.name << " M=" << s.m << " D=" << s.d << " LATENCY=" << s.latency
            << " rows/cycle=" << s.rows() << " cycles/row=" << s.chunks() << "\n";
  return {base_seed, seed};
}

/// Counts mismatches and reports the first 12 as test failures.
class FailureLog {
 public:
  FailureLog(const char* name, std::uint64_t base_seed) : name_(name), base_seed_(base_seed) {}
  void operator()(const std::string& msg) {
    if (++count_ <= 12) ADD_FAILURE() << name_ << " SPATTEN_SEED=" << base_seed_ << ": " << msg;
  }
  int count() const { return count_; }

 private:
  const char* name_;
  std::uint64_t base_seed_;
  int count_ = 0;
};

/// Row arrival cycles (the cycle a row is first valid at the unit's input):
/// bursts, one per cycle, or random gaps with rows sharing a cycle. The
/// constructor draws the pattern, next() the gap before each further row.
struct ArrivalPattern {
  int mode;
  double p_same;
  int max_gap;
  spatten::cmodel::Cycle t;  ///< the current row's arrival

  explicit ArrivalPattern(std::mt19937_64& rng)
      : mode(uni(rng, 0, 4)),
        p_same(std::uniform_real_distribution<double>(0.0, 0.9)(rng)),
        max_gap(uni(rng, 1, mode == 3 ? 12 : 4)),
        t(1 + static_cast<spatten::cmodel::Cycle>(uni(rng, 0, 3))) {}
  /// The arrival of row r (call once per row, in order).
  spatten::cmodel::Cycle at(std::mt19937_64& rng, int r) {
    if (r > 0) {
      switch (mode) {
        case 0:
          break;  // burst: every row valid at once
        case 1:
          t += 1;
          break;  // one per cycle
        default:
          if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) >= p_same)
            t += static_cast<spatten::cmodel::Cycle>(uni(rng, 1, max_gap));
          break;
      }
    }
    return t;
  }
};

/// Pushes row i in cycle push_at[i] (several per cycle allowed; non-decreasing).
class ArrivalFeeder final : public spatten::cmodel::Component {
 public:
  ArrivalFeeder(spatten::cmodel::Fifo<int>& out, std::vector<spatten::cmodel::Cycle> push_at)
      : Component("feeder"), out_(out), at_(std::move(push_at)) {}
  spatten::cmodel::Activity tick(spatten::cmodel::Cycle now) override {
    bool did = false;
    while (next_ < at_.size() && at_[next_] <= now) {
      out_.push(now, static_cast<int>(next_));  // the input FIFO holds every row: never full
      ++next_;
      did = true;
    }
    return did ? spatten::cmodel::Activity::kBusy : spatten::cmodel::Activity::kIdle;
  }
  spatten::cmodel::Cycle next_event(spatten::cmodel::Cycle now) const override {
    return next_ < at_.size() ? std::max(now, at_[next_]) : spatten::cmodel::kNever;
  }

 private:
  spatten::cmodel::Fifo<int>& out_;
  std::vector<spatten::cmodel::Cycle> at_;
  std::size_t next_ = 0;
};

/// The feeder's push cycles for row arrivals: pushed in c, valid from c + 1.
inline std::vector<spatten::cmodel::Cycle> push_cycles(const std::vector<spatten::cmodel::Cycle>& arrival) {
  std::vector<spatten::cmodel::Cycle> push_at;
  for (spatten::cmodel::Cycle a : arrival) push_at.push_back(a - 1);
  return push_at;
}

/// A cycle limit for n rows whose last one arrives in `last`.
inline spatten::cmodel::Cycle cycle_limit(const MacSet& s, spatten::cmodel::Cycle last, std::size_t n) {
  return last + static_cast<spatten::cmodel::Cycle>(n * static_cast<std::size_t>(s.chunks()) +
                                                    static_cast<std::size_t>(s.latency) + 16);
}

/// A job's head dimension (1 .. s.d): the full d, or a random one with the
/// edges of a chunked unit (hd <= m, hd on and next to a multiple of m).
inline int pick_head_dim(const MacSet& s, std::mt19937_64& rng) {
  const int mode = uni(rng, 0, 9);
  int hd = s.d;
  switch (mode) {
    case 0:
    case 1:
    case 2: break;                                     // the largest head dimension
    case 3: hd = uni(rng, 1, std::min(s.m, s.d)); break;  // fits the multipliers (one chunk)
    case 4: hd = 1; break;
    case 5:
    case 6: {                                           // a chunk boundary, or one word either side
      const int c = uni(rng, 1, std::max(1, s.d / s.m));
      hd = std::clamp(c * s.m + uni(rng, -1, 1), 1, s.d);
      break;
    }
    default: hd = uni(rng, 1, s.d); break;
  }
  return hd;
}


/// Places the next k waiting rows (head, head + 1, ...) in order on k of the
/// lanes chosen at random; on_lane[l] = row or -1.
inline void place_on_lanes(std::mt19937_64& rng, int lanes, int k, std::size_t head, std::vector<int>& on_lane) {
  std::vector<int> order(static_cast<std::size_t>(lanes));
  for (int l = 0; l < lanes; ++l) order[static_cast<std::size_t>(l)] = l;
  std::shuffle(order.begin(), order.end(), rng);
  std::sort(order.begin(), order.begin() + k);
  std::fill(on_lane.begin(), on_lane.end(), -1);
  for (int i = 0; i < k; ++i)
    on_lane[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = static_cast<int>(head) + i;
}

}  // namespace spatten::test::cosim
