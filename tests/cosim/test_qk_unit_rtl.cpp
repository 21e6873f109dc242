// The Q·K unit's RTL (hw/rtl/qk_unit.sv) under Verilator, row by row against
//  * the golden model (values): logit == score_to_logit(dot_qk(q, k, hd), scale)
//    over the first hd words, hd the batch's head dimension (1 .. D);
//  * the cycle model (cycles): the same row arrival pattern drives the
//    cycle model's MacUnit with max_head_dim = D (ROWS rows
//    per cycle, or one row per ceil(hd/M) cycles when M < D) inside a
//    Simulator, and every row's result must appear in the same cycle in both.
// Each parameter set runs batches of random rows (random, extreme and MSB-only
// key words) with random arrival patterns (bursts, bubbles, slow trickles),
// random or extreme queries and score scales, the full D or a random head
// dimension (hd <= M, on and next to chunk boundaries) with garbage in the key
// and q words >= hd, a reset with rows in flight, and random lane placement of
// the rows of a cycle. SPATTEN_SEED replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cosim_test_util.h"

SPATTEN_VERILATED_BEGIN
#include "Vqk_unit_m100_d48_l4.h"
#include "Vqk_unit_m16_d80_l8.h"
#include "Vqk_unit_m24_d40_l5.h"
#include "Vqk_unit_m256_d64_l8.h"
#include "Vqk_unit_m32_d128_l7.h"
#include "Vqk_unit_m64_d64_l8.h"
SPATTEN_VERILATED_END

#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/simulator.h"
#include "spatten/cmodel/units.h"  // MacUnit
#include "spatten/dot.h"
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace g = spatten::golden;
namespace cosim = spatten::test::cosim;

namespace {

using QkCfg = cosim::MacCfg;
constexpr int kQBits = QkCfg::q_bits;
constexpr int kKBits = QkCfg::k_msb_bits + QkCfg::k_lsb_bits;
constexpr int kLogitBits = g::Numerics<QkCfg>::logit_bits;
constexpr int kPosBits = 20;  // qk_unit's POS_BITS default

/// One verilated parameter set (tests/cosim/qk_unit.cmake).
using Set = cosim::MacSet;
constexpr Set kM64D64{"qk_unit_m64_d64_l8", 64, 64, 8};
constexpr Set kM16D80{"qk_unit_m16_d80_l8", 16, 80, 8};
constexpr Set kM256D64{"qk_unit_m256_d64_l8", 256, 64, 8};
constexpr Set kM24D40{"qk_unit_m24_d40_l5", 24, 40, 5};
constexpr Set kM100D48{"qk_unit_m100_d48_l4", 100, 48, 4};
constexpr Set kM32D128{"qk_unit_m32_d128_l7", 32, 128, 7};
static_assert(kM64D64.latency_ok() && kM16D80.latency_ok() && kM256D64.latency_ok() && kM24D40.latency_ok() &&
                  kM100D48.latency_ok() && kM32D128.latency_ok(),
              "qk_unit needs LATENCY >= ceil(D/M) + 3");
static_assert(kM100D48.d <= QkCfg::max_head_dim && kM16D80.d <= QkCfg::max_head_dim &&
                  kM32D128.d <= QkCfg::max_head_dim,
              "D within max_head_dim");

using cosim::get_bits;
using cosim::put_bits;
using cosim::sign_extend;
using cosim::uni;
using cosim::word_bits;

// ---- the cycle-model side -------------------------------------------------
/// Pops every valid result each cycle and records its cycle by row.
class ResultDrain final : public c::Component {
 public:
  ResultDrain(c::Fifo<int>& in, std::vector<c::Cycle>& at) : Component("drain"), in_(in), at_(at) {}
  c::Activity tick(c::Cycle now) override {
    bool did = false;
    while (in_.can_pop(now)) {
      at_[static_cast<std::size_t>(in_.pop(now))] = now;
      ++count;
      did = true;
    }
    return did ? c::Activity::kBusy : c::Activity::kIdle;
  }
  c::Cycle next_event(c::Cycle now) const override {
    const c::Cycle v = in_.next_valid();
    return v == c::kNever ? c::kNever : std::max(now, v);
  }
  std::size_t count = 0;

 private:
  c::Fifo<int>& in_;
  std::vector<c::Cycle>& at_;
};

/// One batch: a head dimension, a query and scale, rows and the cycle each row
/// reaches the unit's input (the cycle it is first valid there, >= 1). The
/// query and key rows are D words; words >= hd are garbage the unit ignores.
struct Batch {
  int hd = 0;
  std::vector<std::int32_t> q;
  g::ScoreScale scale{};
  std::vector<std::vector<std::int32_t>> keys;
  std::vector<c::Cycle> arrival;
  std::vector<std::uint32_t> pos;
  std::string what;  // for messages
};

/// The cycle model's per-row take and result cycles for the batch's arrivals.
void cmodel_cycles(const Set& s, const Batch& b, bool skip, std::vector<c::Cycle>& take,
                   std::vector<c::Cycle>& result) {
  const std::size_t n = b.keys.size();
  take.assign(n, c::kNever);
  result.assign(n, c::kNever);
  c::Fifo<int> in(n + 1, 1, "qk_in");
  c::MacUnit mac("qk_unit", s.m, static_cast<c::Cycle>(s.latency), n + 1, s.d);
  cosim::ArrivalFeeder feed(in, cosim::push_cycles(b.arrival));
  ResultDrain drain(mac.results(), result);
  c::Simulator sim(skip);
  sim.add(feed);
  sim.add(mac);
  sim.add(drain);
  mac.start(&in, static_cast<int>(n), b.hd, [&](int row) { take[static_cast<std::size_t>(row)] = sim.now(); });
  sim.run([&] { return drain.count == n; }, 1u << 24);
}

// ---- the RTL side ---------------------------------------------------------
template <class Model>
class QkRtl : public cosim::MacDut<Model> {
  using Base = cosim::MacDut<Model>;
  using Base::rng_;
  using Base::s_;
  using Base::top_;

 public:
  using Base::edge;

  QkRtl(const Set& s, std::uint64_t seed) : Base(s, seed) {
    top_->q_load = 0;
    top_->eval();
  }

  void reset(int cycles) {
    top_->in_valid = 0;
    top_->q_load = 0;
    Base::reset_edges(cycles);
  }
  void load(const std::vector<std::int32_t>& q, g::ScoreScale scale, int hd) {
    for (int d = 0; d < s_.d; ++d) put_bits(top_->q_data, d * kQBits, kQBits, word_bits(q[static_cast<std::size_t>(d)], kQBits));
    top_->mult = static_cast<std::uint16_t>(scale.mult);
    top_->shift = static_cast<std::uint8_t>(scale.shift);
    top_->head_dim = static_cast<std::uint8_t>(hd);
    top_->q_load = 1;
    top_->in_valid = 0;
    edge();
    top_->q_load = 0;
    // scribble over the load inputs: they must not matter any more
    top_->mult = static_cast<std::uint16_t>(rng_());
    top_->shift = static_cast<std::uint8_t>(rng_() & 63u);
    top_->head_dim = static_cast<std::uint8_t>(rng_() & ((1u << cosim::clog2(s_.d + 1)) - 1));
    for (int d = 0; d < s_.d; ++d) put_bits(top_->q_data, d * kQBits, kQBits, rng_());
    top_->eval();
  }
  /// Present `lanes[i]` = row index or -1 on each lane (garbage on idle lanes).
  void present(const Batch& b, const std::vector<int>& lanes) {
    std::uint32_t valid = 0;
    for (int l = 0; l < s_.rows(); ++l) {
      const int r = lanes[static_cast<std::size_t>(l)];
      const int base = l * s_.d * kKBits;
      if (r >= 0) {
        valid |= 1u << l;
        const auto& k = b.keys[static_cast<std::size_t>(r)];
        for (int d = 0; d < s_.d; ++d)
          put_bits(top_->in_key, base + d * kKBits, kKBits, word_bits(k[static_cast<std::size_t>(d)], kKBits));
        put_bits(top_->in_pos, l * kPosBits, kPosBits, b.pos[static_cast<std::size_t>(r)]);
      } else {
        for (int d = 0; d < s_.d; ++d) put_bits(top_->in_key, base + d * kKBits, kKBits, rng_());
        put_bits(top_->in_pos, l * kPosBits, kPosBits, rng_());
      }
    }
    top_->in_valid = static_cast<std::uint8_t>(valid);
    top_->eval();
  }
  bool out_valid(int lane) const { return ((static_cast<unsigned>(top_->out_valid) >> lane) & 1u) != 0; }
  std::int32_t out_logit(int lane) const {
    return static_cast<std::int32_t>(sign_extend(get_bits(top_->out_logit, lane * kLogitBits, kLogitBits), kLogitBits));
  }
  std::uint32_t out_pos(int lane) const {
    return static_cast<std::uint32_t>(get_bits(top_->out_pos, lane * kPosBits, kPosBits));
  }
};

// ---- stimulus -------------------------------------------------------------
constexpr std::int32_t kQMin = -(1 << (kQBits - 1)), kQMax = (1 << (kQBits - 1)) - 1;
constexpr std::int32_t kKMin = -(1 << (kKBits - 1)), kKMax = (1 << (kKBits - 1)) - 1;

Batch make_batch(const Set& s, std::mt19937_64& rng, int index) {
  Batch b;
  std::ostringstream what;
  const auto d = static_cast<std::size_t>(s.d);
  b.hd = index < 2 ? s.d : cosim::pick_head_dim(s, rng);
  const auto hd = static_cast<std::size_t>(b.hd);
  // query
  b.q.resize(d);
  const int qmode = index < 4 ? index : uni(rng, 0, 9);
  for (std::size_t i = 0; i < d; ++i) {
    switch (qmode) {
      case 0: b.q[i] = kQMin; break;                     // all most-negative
      case 1: b.q[i] = kQMax; break;                     // all most-positive
      case 2: b.q[i] = (i % 2 == 0) ? kQMin : kQMax; break;
      case 3: b.q[i] = uni(rng, -4, 4); break;           // small
      default: b.q[i] = uni(rng, kQMin, kQMax); break;
    }
    if (i >= hd) b.q[i] = uni(rng, kQMin, kQMax);  // garbage past the head dimension
  }
  // score scale: realistic factors from the host's formula, and the extremes
  const int smode = uni(rng, 0, 19);
  switch (smode) {
    case 0: b.scale = {65535, 0}; break;    // clamps nearly everything
    case 1: b.scale = {0, 0}; break;
    case 2: b.scale = {1, 0}; break;
    case 3: b.scale = {65535, 62}; break;   // everything rounds to 0 or -0
    case 4: b.scale = {32768, 62}; break;
    case 5: b.scale = {static_cast<std::uint32_t>(uni(rng, 0, 65535)), uni(rng, 0, 62)}; break;
    case 6: b.scale = {static_cast<std::uint32_t>(uni(rng, 0, 65535)), uni(rng, 0, 24)}; break;
    default: {
      // s_q * s_k / sqrt(D) * 2^10 over a wide range of quantization scales
      const double f = std::ldexp(1.0, uni(rng, -28, 2)) * std::uniform_real_distribution<double>(1.0, 2.0)(rng);
      b.scale = g::make_score_scale(f);
      break;
    }
  }
  // rows and arrivals
  const int n = uni(rng, 1, 4) == 1 ? uni(rng, 1, 8) : uni(rng, 40, 240);
  cosim::ArrivalPattern arrivals(rng);
  const auto base_pos = static_cast<std::uint32_t>(uni(rng, 0, (1 << kPosBits) - 1));
  for (int r = 0; r < n; ++r) {
    std::vector<std::int32_t> k(d);
    const int kmode = uni(rng, 0, 19);
    for (std::size_t i = 0; i < d; ++i) {
      switch (kmode) {
        case 0: k[i] = kKMin; break;
        case 1: k[i] = kKMax; break;
        case 2: k[i] = uni(rng, 0, 1) != 0 ? kKMin : kKMax; break;
        case 3: k[i] = uni(rng, -128, 127) * 16 + 8; break;  // MSB-only words: msb*2^4 + 2^3
        case 4: k[i] = 0; break;
        case 5: k[i] = uni(rng, -3, 3); break;
        default: k[i] = uni(rng, kKMin, kKMax); break;
      }
      if (i >= hd) k[i] = uni(rng, 0, 1) != 0 ? uni(rng, kKMin, kKMax) : (uni(rng, 0, 1) != 0 ? kKMin : kKMax);  // garbage
    }
    b.keys.push_back(std::move(k));
    b.arrival.push_back(arrivals.at(rng, r));
    b.pos.push_back((base_pos + static_cast<std::uint32_t>(r)) & ((1u << kPosBits) - 1));
  }
  what << "batch " << index << " (" << n << " rows, hd " << b.hd << ", query mode " << qmode << ", scale " << b.scale.mult << "/2^"
       << b.scale.shift << ", arrival mode " << arrivals.mode << ")";
  b.what = what.str();
  return b;
}

// ---- the run --------------------------------------------------------------
template <class Model>
void run_set(const Set& s, int min_rows) {
  const cosim::MacSetSeeds seeds = cosim::announce_set(s);
  std::mt19937_64 rng(seeds.set);
  QkRtl<Model> rtl(s, seeds.set);
  Model& top = rtl.top();
  rtl.reset(3);
  cosim::FailureLog fail(s.name, seeds.base);
  if (top.in_ready != 0) fail("in_ready high in the first cycle after reset");
  rtl.edge();  // in_ready rises
  if (top.in_ready == 0 || top.idle == 0) fail("not ready and idle one cycle after reset");

  const int lanes = s.rows();
  int total_rows = 0, batches = 0;
  // coverage: rows with hd < D; of them one-chunk rows of a chunked unit, and rows with hd not a multiple of M
  int hd_rows = 0, hd_batches = 0, one_chunk_rows = 0, partial_rows = 0;
  int clamped = 0, zero = 0, stalls = 0;  // coverage: clamped logits, zero logits, rows that queued (lanes or in_ready)
  for (int bi = 0; total_rows < min_rows && fail.count() == 0; ++bi) {
    const Batch b = make_batch(s, rng, bi);
    const std::size_t n = b.keys.size();
    if (top.idle == 0) fail("not idle before " + b.what);
    rtl.load(b.q, b.scale, b.hd);

    // expected values (golden) and cycles (cycle model)
    std::vector<std::int32_t> expect(n);
    for (std::size_t r = 0; r < n; ++r)
      expect[r] = g::score_to_logit<QkCfg>(g::dot_qk<QkCfg>(b.q.data(), b.keys[r].data(), b.hd), b.scale);
    std::vector<c::Cycle> cm_take, cm_result;
    cmodel_cycles(s, b, bi % 2 == 0, cm_take, cm_result);

    // the RTL, cycle by cycle: rows that arrived wait in order; up to `lanes`
    // of them are presented each cycle on randomly chosen lanes (in order)
    std::vector<c::Cycle> rtl_take(n, c::kNever), rtl_result(n, c::kNever);
    std::vector<std::int32_t> rtl_logit(n, 0);
    std::size_t head = 0, arrived = 0, seen = 0;
    const c::Cycle limit = cosim::cycle_limit(s, b.arrival.back(), n);
    std::vector<int> on_lane(static_cast<std::size_t>(lanes), -1);
    for (c::Cycle cyc = 0; seen < n && cyc < limit; ++cyc) {
      while (arrived < n && b.arrival[arrived] <= cyc) ++arrived;
      const auto k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(lanes), arrived - head));
      cosim::place_on_lanes(rng, lanes, k, head, on_lane);
      rtl.present(b, on_lane);
      // results of this cycle
      for (int l = 0; l < lanes; ++l) {
        if (!rtl.out_valid(l)) continue;
        const std::uint32_t p = rtl.out_pos(l);
        const std::uint32_t r = (p - b.pos[0]) & ((1u << kPosBits) - 1);
        if (r >= n || rtl_take[r] == c::kNever || rtl_result[r] != c::kNever) {
          std::ostringstream m;
          m << b.what << ": unexpected result on lane " << l << " in cycle " << cyc << " (pos " << p << ")";
          fail(m.str());
          continue;
        }
        rtl_result[r] = cyc;
        rtl_logit[r] = rtl.out_logit(l);
        ++seen;
      }
      // rows taken at this edge
      if (top.in_ready != 0) {
        for (int i = 0; i < k; ++i) rtl_take[head + static_cast<std::size_t>(i)] = cyc;
        head += static_cast<std::size_t>(k);
      }
      rtl.edge();
    }
    for (std::size_t r = 0; r < n; ++r) {
      clamped += (expect[r] == g::Numerics<QkCfg>::logit_max || expect[r] == -g::Numerics<QkCfg>::logit_max) ? 1 : 0;
      zero += expect[r] == 0 ? 1 : 0;
      stalls += cm_take[r] > b.arrival[r] ? 1 : 0;
      if (rtl_logit[r] == expect[r] && rtl_result[r] == cm_result[r]) continue;
      std::ostringstream m;
      m << b.what << ", row " << r << " (pos " << b.pos[r] << ", arrives " << b.arrival[r] << "): logit expected "
        << expect[r] << " actual " << rtl_logit[r] << "; result cycle expected " << cm_result[r] << " actual "
        << (rtl_result[r] == c::kNever ? std::string("none") : std::to_string(rtl_result[r]))
        << " (taken: cycle model " << cm_take[r] << ", RTL "
        << (rtl_take[r] == c::kNever ? std::string("never") : std::to_string(rtl_take[r])) << ")";
      fail(m.str());
    }
    // a few quiet cycles: nothing more may come out
    top.in_valid = 0;
    for (int i = 0; i < 3; ++i) {
      top.eval();
      if (top.out_valid != 0) fail(b.what + ": result after the batch's last row");
      rtl.edge();
    }
    total_rows += static_cast<int>(n);
    ++batches;
    if (b.hd < s.d) {
      hd_rows += static_cast<int>(n);
      ++hd_batches;
      one_chunk_rows += (s.chunks() > 1 && s.chunks(b.hd) == 1) ? static_cast<int>(n) : 0;
      partial_rows += b.hd % s.m != 0 ? static_cast<int>(n) : 0;
    }

    // once per set: a reset with rows in flight, then nothing may come out
    if (bi == 3) {
      const Batch a = make_batch(s, rng, 100);
      rtl.load(a.q, a.scale, a.hd);
      std::vector<int> all(static_cast<std::size_t>(lanes));
      for (int l = 0; l < lanes; ++l) all[static_cast<std::size_t>(l)] = std::min(l, static_cast<int>(a.keys.size()) - 1);
      rtl.present(a, all);
      for (int i = 0; i < s.chunks(a.hd) + 1; ++i) rtl.edge();
      rtl.reset(2);
      for (int i = 0; i < s.latency + 4; ++i) {
        top.in_valid = 0;
        top.eval();
        if (top.out_valid != 0) fail("result after a reset with rows in flight");
        rtl.edge();
      }
      if (top.in_ready == 0 || top.idle == 0) fail("not ready and idle after a reset with rows in flight");
    }
  }
  std::cout << "[ unit     ] " << s.name << ": " << total_rows << " rows in " << batches << " batches, " << fail.count()
            << " mismatches; " << clamped << " clamped, " << zero << " zero logits, " << stalls
            << " rows taken after their arrival cycle; " << hd_rows << " rows in " << hd_batches
            << " batches with hd < D (" << one_chunk_rows << " one-chunk rows with hd <= M < D, " << partial_rows
            << " with hd not a multiple of M)\n";
  EXPECT_EQ(fail.count(), 0);
}

}  // namespace

TEST(QkUnitRtl, M64D64OneRowPerCycle) { run_set<Vqk_unit_m64_d64_l8>(kM64D64, 20000); }
TEST(QkUnitRtl, M16D80OneRowPerFiveCycles) { run_set<Vqk_unit_m16_d80_l8>(kM16D80, 10000); }
TEST(QkUnitRtl, M256D64FourRowsPerCycle) { run_set<Vqk_unit_m256_d64_l8>(kM256D64, 20000); }
TEST(QkUnitRtl, M24D40PartialChunkMinLatency) { run_set<Vqk_unit_m24_d40_l5>(kM24D40, 10000); }
TEST(QkUnitRtl, M100D48TwoRowsMinLatency) { run_set<Vqk_unit_m100_d48_l4>(kM100D48, 20000); }
TEST(QkUnitRtl, M32D128FourChunksMinLatency) { run_set<Vqk_unit_m32_d128_l7>(kM32D128, 10000); }
