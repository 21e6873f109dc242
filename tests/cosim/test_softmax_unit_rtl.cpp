// softmax_unit.sv under Verilator, row by row against the golden model and the
// cycle model (hw/rtl/softmax_unit.sv states the timing contract):
//  * every probability equals golden::softmax_row's, both as the normalize
//    pass streams it (out_valid/out_row/out_prob: each element 0..n-1 exactly
//    once, nothing past n) and as the read port returns it after done;
//  * argmax, max_prob and exp_sum equal golden SoftmaxRow's, and refetch
//    equals golden::needs_lsb_refetch(max_prob, thr) (thresholds at 0, 1.0,
//    random, and on both sides of the row's max_prob);
//  * with the last logit taken in cycle c, done pulses once, in cycle
//    c + 2*ceil(n/L) + kExpLatency + kDividerCycles + kNormalizeLatency +
//    kDecisionCycles (the cycle model's softmax tail), and busy is high from
//    the start cycle to done; cmodel::CollectUnit fed the same arrivals
//    finishes in the same cycle;
//  * in_ready is high exactly while the row still lacks logits; lanes beyond
//    the row's n are dropped; a start, logits or read addresses offered while
//    busy are ignored.
// Logits: Gaussian rows (spreads 0.01..40 logit units), peaked rows, all
// equal, one-hot, extremes +-logit_max, uniform over the full range, few
// distinct values (argmax ties), ramps; lengths 1, L, L+1, N_MAX and random.
// Arrivals: all lanes every cycle, random lane masks, bubbles. Row r of unit U
// is generated from SPATTEN_SEED, U and r alone, so a failure names what to
// replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vrtl_softmax_unit_l1.h"
#include "Vrtl_softmax_unit_l16.h"
#include "Vrtl_softmax_unit_l3.h"
#include "Vrtl_softmax_unit_l4.h"
#include "cosim_test_util.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/simulator.h"
#include "spatten/cmodel/units.h"
#include "spatten/requant.h"
#include "spatten/softmax.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;
namespace cm = spatten::cmodel;
namespace cosim = spatten::test::cosim;

namespace {

/// The golden configuration of a verilated set: only the softmax numerics and
/// max_context matter here (like tests/golden/golden_test_configs.h).
template <int LF, int PF, int CTX>
struct SoftmaxCfg {
  static constexpr int q_bits = 12;
  static constexpr int k_msb_bits = 8;
  static constexpr int k_lsb_bits = 4;
  static constexpr int v_msb_bits = 8;
  static constexpr int v_lsb_bits = 4;
  static constexpr int logit_frac_bits = LF;
  static constexpr int prob_frac_bits = PF;
  static constexpr int out_frac_bits = 4;
  static constexpr int max_context = CTX;
  static constexpr int max_head_dim = 128;
  static constexpr int max_query_heads = 64;
};

struct UnitParams {
  const char* name;
  int lanes;  ///< L
  int n_max;  ///< N_MAX
  std::uint64_t salt;
};

using cosim::clog2;
using cosim::get_bits;
using cosim::put_bits;
using cosim::row_seed;

// ---- a row and how its logits arrive -------------------------------------------
struct Row {
  std::vector<std::int32_t> logit;
  const char* kind = "";
};

/// Per cycle from the start cycle on: the lanes offered. The offered lanes
/// carry the next logits in lane order; lanes past the row's n carry junk (the
/// unit must drop them).
using Arrivals = std::vector<std::uint32_t>;

struct Outcome {
  std::vector<std::int64_t> streamed;  ///< per element, -1 when not streamed
  std::vector<std::int64_t> read;      ///< per element, from the read port after done
  std::uint64_t argmax = 0, max_prob = 0, exp_sum = 0;
  bool refetch = false;
  std::int64_t last_take = -1;  ///< cycle (from the start cycle) the last logit was taken
  std::int64_t done_at = -1;    ///< cycle of the done pulse
  std::string protocol_error;   ///< empty when the handshake was as contracted
};

// ---- the unit under test ---------------------------------------------------------
template <class Model>
class Unit : public cosim::Dut<Model> {
  using Base = cosim::Dut<Model>;
  using Base::cycle;
  using Base::rise;
  using Base::top_;

 public:
  using Base::idle;

  Unit(const UnitParams& u, int logit_bits, int prob_bits)
      : Base("top", [](VerilatedContext& ctx) { ctx.debug(0); }),
        u_(u),
        iw_(clog2(u.n_max + 1)),
        lw_(logit_bits),
        pbw_(prob_bits),
        rw_(std::max(1, clog2((u.n_max + u.lanes - 1) / u.lanes))),
        sw_(25 + clog2(u.n_max)) {
    top_->rst_n = 0;
    top_->start = 0;
    top_->in_valid = 0;
    for (int i = 0; i < 3; ++i) cycle();
    top_->rst_n = 1;
    cycle();
  }

  /// Starts the row in cycle 0 and clocks until done (or `limit` cycles).
  /// With `disturb`, pulses start with random n, offers junk logits and
  /// moves the read address while busy: all must be ignored.
  Outcome run(const Row& row, const Arrivals& arr, std::uint32_t thr, std::int64_t limit, bool disturb,
              std::mt19937_64& rng) {
    Outcome o;
    std::ostringstream err;
    const int n = static_cast<int>(row.logit.size());
    const std::uint64_t lmask = (std::uint64_t{1} << lw_) - 1;
    o.streamed.assign(static_cast<std::size_t>(n), -1);
    int next = 0;  // next logit to offer
    int done_pulses = 0;
    for (std::int64_t t = 0;; ++t) {
      // ---- inputs of cycle t
      const bool offering = t < static_cast<std::int64_t>(arr.size());
      top_->start = t == 0 ? 1 : 0;
      if (t == 0) {
        put_bits(top_->n, 0, iw_, static_cast<std::uint64_t>(n));
        put_bits(top_->thr, 0, 17, thr);
      } else if (disturb) {
        top_->start = (rng() & 3u) == 0 ? 1 : 0;
        put_bits(top_->n, 0, iw_, 1 + rng() % static_cast<std::uint64_t>(u_.n_max));
        put_bits(top_->thr, 0, 17, rng() % 65537u);
        put_bits(top_->rd_row, 0, rw_, rng());
      }
      std::uint32_t valid = 0;
      if (offering) {
        valid = arr[static_cast<std::size_t>(t)];
      } else if (disturb) {
        valid = static_cast<std::uint32_t>(rng()) & static_cast<std::uint32_t>((std::uint64_t{1} << u_.lanes) - 1);
      }
      int offered_here = 0;
      for (int j = 0; j < u_.lanes; ++j) {
        std::uint64_t x = rng() & lmask;  // junk: idle lanes, lanes past n, lanes while busy
        if (offering && ((valid >> j) & 1u) != 0) {
          if (next + offered_here < n) {
            x = static_cast<std::uint64_t>(row.logit[static_cast<std::size_t>(next + offered_here)]) & lmask;
          }
          ++offered_here;
        }
        put_bits(top_->in_logit, j * lw_, lw_, x);
      }
      put_bits(top_->in_valid, 0, u_.lanes, valid);
      top_->clk = 0;
      top_->eval();
      // ---- outputs of cycle t
      const bool busy = top_->busy != 0;
      const bool done = top_->done != 0;
      const bool ready = top_->in_ready != 0;
      if (!busy) err << "not busy in cycle " << t << "; ";
      const bool lacking = next < n;
      if (ready != lacking)
        err << "in_ready " << ready << " in cycle " << t << " with " << n - next << " logits to go; ";
      if (offering && ready) {
        const int took = std::min(offered_here, n - next);
        if (took > 0) o.last_take = t;
        next += took;
      }
      const std::uint64_t ov = get_bits(top_->out_valid, 0, u_.lanes);
      const auto orow = static_cast<int>(get_bits(top_->out_row, 0, rw_));
      for (int j = 0; j < u_.lanes; ++j) {
        if (((ov >> j) & 1u) == 0) continue;
        const int i = orow * u_.lanes + j;
        if (i >= n) {
          err << "out_valid for element " << i << " >= n in cycle " << t << "; ";
        } else if (o.streamed[static_cast<std::size_t>(i)] >= 0) {
          err << "element " << i << " streamed twice; ";
        } else {
          o.streamed[static_cast<std::size_t>(i)] = static_cast<std::int64_t>(get_bits(top_->out_prob, j * pbw_, pbw_));
        }
      }
      if (done) {
        ++done_pulses;
        if (o.done_at < 0) {
          o.done_at = t;
          o.argmax = get_bits(top_->argmax, 0, iw_);
          o.max_prob = get_bits(top_->max_prob, 0, pbw_);
          o.exp_sum = get_bits(top_->exp_sum, 0, sw_);
          o.refetch = top_->refetch != 0;
        }
      }
      rise();
      if (done) break;
      if (t > limit) {
        err << "no done after " << limit << " cycles; ";
        break;
      }
    }
    // ---- idle after done: the results hold, the read port returns the row
    top_->start = 0;
    top_->in_valid = 0;
    top_->clk = 0;
    top_->eval();
    if (top_->busy != 0) err << "busy after done; ";
    if (top_->done != 0) err << "done held after its cycle; ";
    if (top_->in_ready != 0) err << "in_ready while idle; ";
    if (done_pulses != 1) err << "done pulsed " << done_pulses << " times; ";
    if (get_bits(top_->argmax, 0, iw_) != o.argmax || get_bits(top_->max_prob, 0, pbw_) != o.max_prob ||
        get_bits(top_->exp_sum, 0, sw_) != o.exp_sum || (top_->refetch != 0) != o.refetch) {
      err << "results changed after done; ";
    }
    o.read.assign(static_cast<std::size_t>(n), -1);
    const int beats = (n + u_.lanes - 1) / u_.lanes;
    for (int r = 0; r < beats; ++r) {
      put_bits(top_->rd_row, 0, rw_, static_cast<std::uint64_t>(r));
      top_->eval();
      for (int j = 0; j < u_.lanes && r * u_.lanes + j < n; ++j) {
        o.read[static_cast<std::size_t>(r * u_.lanes + j)] =
            static_cast<std::int64_t>(get_bits(top_->rd_prob, j * pbw_, pbw_));
      }
    }
    rise();
    o.protocol_error = err.str();
    return o;
  }

 private:
  UnitParams u_;
  int iw_, lw_, pbw_, rw_, sw_;
};

// ---- the cycle model's view of the same arrivals ----------------------------------
/// Pushes counts[t] items in cycle t (valid at t + 1).
class Feeder final : public cm::Component {
 public:
  Feeder(cm::Fifo<int>& out, std::vector<int> counts) : Component("feeder"), out_(out), counts_(std::move(counts)) {}
  cm::Activity tick(cm::Cycle now) override {
    if (now >= counts_.size()) return cm::Activity::kIdle;
    for (int i = 0; i < counts_[static_cast<std::size_t>(now)]; ++i) out_.push(now, 0);
    return cm::Activity::kBusy;
  }
  cm::Cycle next_event(cm::Cycle now) const override { return now < counts_.size() ? now : cm::kNever; }

 private:
  cm::Fifo<int>& out_;
  std::vector<int> counts_;
};

/// The cycle (from the start cycle) in which CollectUnit finishes a row whose
/// logits are taken counts[t] per cycle: items offered in RTL cycle t are
/// pushed in cycle-model cycle t and valid at t + 1, so the result is shifted
/// back by one.
std::int64_t collect_unit_finish(int lanes, int n, const std::vector<int>& counts, cm::Cycle tail) {
  cm::Fifo<int> in(static_cast<std::size_t>(n) + 1, 1, "logits");
  Feeder feed(in, counts);
  cm::CollectUnit unit("softmax_unit", lanes);
  cm::Simulator sim(true);
  sim.add(feed);
  sim.add(unit);
  cm::Cycle finished = cm::kNever;
  unit.start(0, &in, n, tail, [&] { finished = sim.now(); });
  sim.run([&] { return finished != cm::kNever; }, 1u << 20);
  return static_cast<std::int64_t>(finished) - 1;
}

// ---- rows -------------------------------------------------------------------------
std::int32_t to_logit(double units, int frac_bits, std::int64_t lmax) {
  const double q = std::nearbyint(units * static_cast<double>(std::int64_t{1} << frac_bits));
  const double c = std::clamp(q, -static_cast<double>(lmax), static_cast<double>(lmax));
  return static_cast<std::int32_t>(c);
}

int random_n(std::mt19937_64& rng, const UnitParams& u) {
  switch (rng() % 4) {
    case 0:
      return 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(std::min(u.n_max, 2 * u.lanes + 1)));
    case 1:
      return std::max(1, u.n_max - static_cast<int>(rng() % static_cast<std::uint64_t>(u.lanes + 1)));
    default:
      return 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(u.n_max));
  }
}

Row random_row(std::mt19937_64& rng, const UnitParams& u, int frac_bits, std::int64_t lmax) {
  Row r;
  const int n = random_n(rng, u);
  r.logit.resize(static_cast<std::size_t>(n));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double mean = -200.0 + 400.0 * unit(rng);
  switch (rng() % 8) {
    case 0:
    case 1: {  // Gaussian, spread 0.01 .. 40 logit units (log-uniform)
      const double sigma = std::pow(10.0, -2.0 + unit(rng) * (std::log10(40.0) + 2.0));
      for (auto& x : r.logit) x = to_logit(mean + sigma * normal(rng), frac_bits, lmax);
      r.kind = "gaussian";
      break;
    }
    case 2: {  // peaked: a narrow bulk and a few spikes well above it
      const double sigma = std::pow(10.0, -2.0 + 2.0 * unit(rng));
      for (auto& x : r.logit) x = to_logit(mean + sigma * normal(rng), frac_bits, lmax);
      const int spikes = 1 + static_cast<int>(rng() % 3);
      for (int s = 0; s < spikes; ++s) {
        r.logit[rng() % r.logit.size()] = to_logit(mean + 2.0 + 28.0 * unit(rng), frac_bits, lmax);
      }
      r.kind = "peaked";
      break;
    }
    case 3: {  // all equal
      const std::int32_t v = (rng() & 1u) != 0 ? to_logit(mean, frac_bits, lmax)
                                               : static_cast<std::int32_t>((rng() & 1u) != 0 ? lmax : -lmax);
      std::fill(r.logit.begin(), r.logit.end(), v);
      r.kind = "all-equal";
      break;
    }
    case 4: {  // one-hot: one at +logit_max (or a gap of a few units), the rest at the bottom
      const bool full = (rng() & 1u) != 0;
      const auto lo = static_cast<std::int32_t>(full ? -lmax : to_logit(mean, frac_bits, lmax));
      std::fill(r.logit.begin(), r.logit.end(), lo);
      r.logit[rng() % r.logit.size()] =
          static_cast<std::int32_t>(full ? lmax : to_logit(mean + 0.5 + 20.0 * unit(rng), frac_bits, lmax));
      r.kind = "one-hot";
      break;
    }
    case 5:  // extremes
      for (auto& x : r.logit) {
        const auto k = rng() % 3;
        x = static_cast<std::int32_t>(k == 0 ? lmax : (k == 1 ? -lmax : 0));
      }
      r.kind = "extremes";
      break;
    case 6:  // uniform over the full range
      for (auto& x : r.logit) {
        x = static_cast<std::int32_t>(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * lmax + 1)) -
                                      lmax);
      }
      r.kind = "uniform";
      break;
    default: {  // few distinct values a fraction of a unit apart: argmax ties
      std::vector<std::int32_t> pool(1 + rng() % 4);
      for (auto& p : pool) p = to_logit(mean + 3.0 * unit(rng), frac_bits, lmax);
      for (auto& x : r.logit) x = pool[rng() % pool.size()];
      r.kind = "few-distinct";
      break;
    }
  }
  return r;
}

std::vector<Row> adversarial_rows(const UnitParams& u, std::int64_t lmax) {
  std::vector<Row> rows;
  std::vector<int> lengths = {1, 2, u.lanes, u.lanes + 1, 2 * u.lanes - 1, u.n_max - 1, u.n_max};
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  const auto hi = static_cast<std::int32_t>(lmax);
  for (int n : lengths) {
    if (n < 1 || n > u.n_max) continue;
    const auto un = static_cast<std::size_t>(n);
    Row eq{std::vector<std::int32_t>(un, 12345), "all-equal"};
    Row top{std::vector<std::int32_t>(un, hi), "all-max"};
    Row bottom{std::vector<std::int32_t>(un, -hi), "all-min"};
    Row first{std::vector<std::int32_t>(un, -hi), "one-hot-first"};
    first.logit.front() = hi;
    Row last{std::vector<std::int32_t>(un, -hi), "one-hot-last"};
    last.logit.back() = hi;
    Row alt{std::vector<std::int32_t>(un), "alternating-extremes"};
    Row up{std::vector<std::int32_t>(un), "ascending"};
    Row down{std::vector<std::int32_t>(un), "descending"};
    for (std::size_t i = 0; i < un; ++i) {
      alt.logit[i] = (i % 2) == 0 ? -hi : hi;
      up.logit[i] = static_cast<std::int32_t>(i) * 97;
      down.logit[i] = -static_cast<std::int32_t>(i) * 97;
    }
    for (Row* r : {&eq, &top, &bottom, &first, &last, &alt, &up, &down}) rows.push_back(*r);
  }
  return rows;
}

/// Two-element rows {m, m - x}: exp_sum = 2^24 + e(x) exposes e(x) exactly.
/// x is chosen so that t = x*log2e lands in every table segment j = 0..63
/// near its start and near its end (so LUT[j] and LUT[j+1] both decide e),
/// at integer parts 0 and 3; plus the edge where e drops to 0 (the largest x
/// with e > 0 and the next one), t exactly 25*2^16 when some x gives it (the
/// last shift that rounds 2^24 up to 1), and integer parts 31..33 and 63..65.
template <class Cfg>
std::vector<Row> table_rows() {
  using Num = g::Numerics<Cfg>;
  constexpr int kShift =
      Num::logit_frac_bits + g::SoftmaxConstants::kLog2eFracBits - g::SoftmaxConstants::kExpArgFracBits;
  constexpr auto kC = static_cast<std::uint64_t>(g::SoftmaxConstants::kLog2eQ23);
  const auto t_of = [](std::uint64_t x) { return g::round_shift_unsigned(x * kC, kShift); };
  // the x whose t is closest to `target` (t is monotonic in x)
  const auto x_for = [&](std::uint64_t target) {
    auto x = static_cast<std::uint64_t>(std::ldexp(static_cast<double>(target), kShift) / static_cast<double>(kC));
    while (x > 0 && t_of(x) > target) --x;
    while (t_of(x + 1) <= target) ++x;
    return x;
  };
  const auto hi = static_cast<std::int64_t>(Num::logit_max);
  const auto pair = [&](std::uint64_t x, const char* kind) {
    const std::int64_t m = std::min<std::int64_t>(hi, static_cast<std::int64_t>(x) - hi);
    return Row{{static_cast<std::int32_t>(m), static_cast<std::int32_t>(m - static_cast<std::int64_t>(x))}, kind};
  };
  std::vector<Row> rows;
  for (std::uint64_t ip : {0u, 3u}) {
    for (std::uint64_t j = 0; j < 64; ++j) {
      rows.push_back(pair(x_for((ip << 16) + (j << 10) + 100), "table-segment-start"));
      rows.push_back(pair(x_for((ip << 16) + (j << 10) + 924), "table-segment-end"));
    }
  }
  std::uint64_t lo = 0, top = std::uint64_t{1} << (Num::logit_bits - 1);  // e(lo) > 0, e(top) == 0
  while (top - lo > 1) {
    const std::uint64_t mid = (lo + top) / 2;
    (g::exp_neg_logit<Cfg>(mid) > 0 ? lo : top) = mid;
  }
  rows.push_back(pair(lo, "last-nonzero-exp"));
  rows.push_back(pair(top, "first-zero-exp"));
  const std::uint64_t x25 = x_for(std::uint64_t{25} << 16);
  if (t_of(x25) == (std::uint64_t{25} << 16)) rows.push_back(pair(x25, "exp-rounds-to-one"));
  for (std::uint64_t ip : {31u, 32u, 33u, 63u, 64u, 65u}) {
    const std::uint64_t x = x_for(ip << 16);
    if (x < 2 * static_cast<std::uint64_t>(hi)) rows.push_back(pair(x, "large-integer-part"));
  }
  return rows;
}

/// Lanes offered per cycle until n logits have been offered: all lanes every
/// cycle, random masks, or random masks with bubbles; sometimes the last
/// cycle offers more lanes than the row lacks (the surplus must be dropped).
Arrivals random_arrivals(std::mt19937_64& rng, int lanes, int n) {
  Arrivals a;
  const std::uint32_t all = static_cast<std::uint32_t>((std::uint64_t{1} << lanes) - 1);
  const auto mode = rng() % 4;
  const bool surplus = rng() % 4 == 0;
  int left = n;
  while (left > 0) {
    std::uint32_t m = all;
    if (mode == 1) {
      m = static_cast<std::uint32_t>(rng()) & all;
    } else if (mode >= 2) {
      m = rng() % 3 == 0 ? 0u : static_cast<std::uint32_t>(rng() & rng()) & all;
    }
    const int c = std::popcount(m);
    if (c > left && !surplus) {  // keep the lowest `left` lanes
      std::uint32_t keep = 0;
      for (int j = 0, k = 0; j < lanes && k < left; ++j) {
        if (((m >> j) & 1u) != 0) {
          keep |= 1u << j;
          ++k;
        }
      }
      m = keep;
    }
    left -= std::min(c, left);
    a.push_back(m);
  }
  return a;
}

std::uint32_t random_threshold(std::mt19937_64& rng, std::uint32_t max_prob, int prob_frac_bits) {
  // the threshold at which this row's max_prob is exactly on the boundary
  const auto edge = static_cast<std::uint32_t>((static_cast<std::uint64_t>(max_prob) << 16) >> prob_frac_bits);
  switch (rng() % 6) {
    case 0:
      return 0;
    case 1:
      return 65536;
    case 2:
      return std::min<std::uint32_t>(edge, 65536);
    case 3:
      return std::min<std::uint32_t>(edge + 1, 65536);
    case 4:
      return edge > 0 ? edge - 1 : 0;
    default:
      return static_cast<std::uint32_t>(rng() % 65537);
  }
}

// ---- one unit: all rows -------------------------------------------------------------
template <class Model, class Cfg>
void run_unit(const UnitParams& u, int random_rows) {
  using Num = g::Numerics<Cfg>;
  static_assert(Num::max_context >= 1);
  const std::uint64_t seed = spatten::test::test_seed();
  const int pbits = Num::prob_frac_bits;
  Unit<Model> dut(u, Num::logit_bits, Num::prob_bits);
  std::vector<Row> adversarial = adversarial_rows(u, Num::logit_max);
  if (u.n_max >= 2) {
    const std::vector<Row> table = table_rows<Cfg>();
    adversarial.insert(adversarial.end(), table.begin(), table.end());
  }
  const int total = static_cast<int>(adversarial.size()) + random_rows;
  std::vector<std::uint32_t> prob(static_cast<std::size_t>(u.n_max));
  std::uint64_t cycles = 0;
  int failures = 0;

  for (int r = 0; r < total && failures < 5; ++r) {
    std::mt19937_64 rng(row_seed(seed, u.salt, r));
    const bool adv = r < static_cast<int>(adversarial.size());
    const Row row =
        adv ? adversarial[static_cast<std::size_t>(r)] : random_row(rng, u, Num::logit_frac_bits, Num::logit_max);
    const int n = static_cast<int>(row.logit.size());
    const g::SoftmaxRow want = g::softmax_row<Cfg>(row.logit.data(), n, prob.data());
    const std::uint32_t thr = random_threshold(rng, want.max_prob, pbits);
    const bool want_refetch = g::needs_lsb_refetch<Cfg>(want.max_prob, thr);
    const Arrivals arr = random_arrivals(rng, u.lanes, n);
    const auto beats = static_cast<cm::Cycle>((n + u.lanes - 1) / u.lanes);
    const cm::Cycle tail =
        beats + cm::kExpLatency + cm::kDividerCycles + beats + cm::kNormalizeLatency + cm::kDecisionCycles;
    const bool disturb = rng() % 8 == 0;
    const Outcome got = dut.run(row, arr, thr, static_cast<std::int64_t>(arr.size() + tail) + 64, disturb, rng);
    dut.idle(static_cast<int>(rng() % 3));
    cycles += static_cast<std::uint64_t>(got.done_at + 1);

    // the cycle model's collector on the same arrivals
    std::vector<int> counts;
    int left = n;
    for (std::uint32_t m : arr) {
      const int c = std::min(std::popcount(m), left);
      counts.push_back(c);
      left -= c;
    }
    const std::int64_t cm_done = collect_unit_finish(u.lanes, n, counts, tail);

    std::ostringstream why;
    for (int i = 0, shown = 0; i < n && shown < 4; ++i) {
      const auto e = static_cast<std::int64_t>(prob[static_cast<std::size_t>(i)]);
      const std::int64_t s = got.streamed[static_cast<std::size_t>(i)];
      const std::int64_t d = got.read[static_cast<std::size_t>(i)];
      if (s != e || d != e) {
        why << "\n  prob index " << i << " (logit " << row.logit[static_cast<std::size_t>(i)] << ") expected " << e
            << " actual streamed " << s << " read " << d;
        ++shown;
      }
    }
    if (got.argmax != static_cast<std::uint64_t>(want.argmax)) {
      why << "\n  argmax expected " << want.argmax << " actual " << got.argmax;
    }
    if (got.max_prob != want.max_prob) why << "\n  max_prob expected " << want.max_prob << " actual " << got.max_prob;
    if (got.exp_sum != want.exp_sum) why << "\n  exp_sum expected " << want.exp_sum << " actual " << got.exp_sum;
    if (got.refetch != want_refetch) {
      why << "\n  refetch (thr " << thr << ") expected " << want_refetch << " actual " << got.refetch;
    }
    const std::int64_t want_done = got.last_take + static_cast<std::int64_t>(tail);
    if (got.done_at != want_done || cm_done != want_done) {
      why << "\n  done cycle expected " << want_done << " (last logit taken in " << got.last_take << ", tail " << tail
          << ") actual " << got.done_at << ", CollectUnit " << cm_done;
    }
    if (!got.protocol_error.empty()) why << "\n  protocol: " << got.protocol_error;
    if (!why.str().empty()) {
      ++failures;
      ADD_FAILURE() << "unit " << u.name << " SPATTEN_SEED=" << seed << " row " << r << " (" << row.kind
                    << (adv ? ", adversarial" : ", random") << (disturb ? ", disturbed" : "") << "): n=" << n
                    << " arrival cycles " << arr.size() << why.str();
    }
  }
  std::cout << "[ " << u.name << " ] " << total << " rows, " << cycles << " cycles\n";
}

}  // namespace

TEST(SoftmaxUnitRtl, OneLane) {
  run_unit<Vrtl_softmax_unit_l1, SoftmaxCfg<10, 16, 64>>({"softmax_unit L=1 N_MAX=64", 1, 64, 1}, 5000);
}

TEST(SoftmaxUnitRtl, FourLanesPartialLastRow) {
  run_unit<Vrtl_softmax_unit_l4, SoftmaxCfg<10, 16, 100>>({"softmax_unit L=4 N_MAX=100", 4, 100, 4}, 5000);
}

TEST(SoftmaxUnitRtl, SixteenLanes) {
  run_unit<Vrtl_softmax_unit_l16, SoftmaxCfg<10, 16, 1024>>({"softmax_unit L=16 N_MAX=1024", 16, 1024, 16}, 2500);
}

TEST(SoftmaxUnitRtl, ThreeLanesWidestNumerics) {
  run_unit<Vrtl_softmax_unit_l3, SoftmaxCfg<16, 24, 37>>({"softmax_unit L=3 N_MAX=37 F=16 P=24", 3, 37, 3}, 5000);
}
