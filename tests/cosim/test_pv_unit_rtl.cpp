// The prob·V unit's RTL (hw/rtl/pv_unit.sv) under Verilator, job by job against
//  * the golden model (values): out[d] == pv_finish(pv_accumulate over the
//    job's rows and its first hd words) for every word d < hd, hd the job's
//    head dimension (1 .. D), and out[d] == 0 for d >= hd;
//  * the cycle model (cycles): the same row arrival pattern drives the
//    MacUnit (pv_unit) rule with the run-time head dimension (c::MacUnit with max_head_dim = D:
//    ROWS rows per cycle, or one row per ceil(hd/M) cycles when M < D) and a
//    CollectUnit (output_stage, lanes max(1, M), tail 1) inside a Simulator,
//    wired as accelerator.cpp wires them; every row must be taken in the same
//    cycle in both, and the RTL's done pulse must come in the cycle the output
//    stage finishes.
// Each parameter set runs jobs of the full D or a random head dimension (hd <=
// M, on and next to chunk boundaries) with garbage in the V words >= hd, of
// random counts (1 .. 500) with random arrival
// patterns (bursts, bubbles, slow trickles), probabilities summing to at most
// 2^P (golden softmax rows, random splits of 2^P or less, one-hot on the most
// negative V word, all equal, all zero), exact or MSB-only V words (random and
// extreme), back-to-back starts in the done cycle, a reset with a job in
// flight, and random lane placement of the rows of a cycle. SPATTEN_SEED
// replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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
#include "Vpv_unit_m100_d48_l4.h"
#include "Vpv_unit_m16_d80_l8.h"
#include "Vpv_unit_m24_d40_l5.h"
#include "Vpv_unit_m256_d64_l8.h"
#include "Vpv_unit_m32_d128_l7.h"
#include "Vpv_unit_m64_d64_l8.h"
SPATTEN_VERILATED_END

#include "spatten/attention.h"
#include "spatten/cmodel/fifo.h"
#include "spatten/cmodel/simulator.h"
#include "spatten/cmodel/units.h"  // MacUnit, CollectUnit
#include "spatten/quant.h"
#include "spatten/softmax.h"
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace g = spatten::golden;
namespace cosim = spatten::test::cosim;

namespace {

using PvCfg = cosim::MacCfg;
constexpr int kP = g::Numerics<PvCfg>::prob_frac_bits;
constexpr int kVL = PvCfg::v_lsb_bits;
constexpr int kVBits = g::Numerics<PvCfg>::v_bits;
constexpr int kOutBits = g::Numerics<PvCfg>::out_bits;
constexpr int kProbBits = kP + 1;
constexpr int kCountBits = 13;  // pv_unit's COUNT_BITS default
constexpr std::uint32_t kOne = std::uint32_t{1} << kP;
constexpr std::size_t kMaxRows = 500;  // rows of a job: 1 .. kMaxRows
static_assert(kVBits == 12 && kOutBits == 16 && kP == 16, "pv_unit.cmake's PROB_FRAC, V_BITS and OUT_FRAC");

/// One verilated parameter set (tests/cosim/pv_unit.cmake).
using Set = cosim::MacSet;
constexpr Set kM64D64{"pv_unit_m64_d64_l8", 64, 64, 8};
constexpr Set kM16D80{"pv_unit_m16_d80_l8", 16, 80, 8};
constexpr Set kM256D64{"pv_unit_m256_d64_l8", 256, 64, 8};
constexpr Set kM24D40{"pv_unit_m24_d40_l5", 24, 40, 5};
constexpr Set kM100D48{"pv_unit_m100_d48_l4", 100, 48, 4};
constexpr Set kM32D128{"pv_unit_m32_d128_l7", 32, 128, 7};
static_assert(kM64D64.latency_ok() && kM16D80.latency_ok() && kM256D64.latency_ok() && kM24D40.latency_ok() &&
                  kM100D48.latency_ok() && kM32D128.latency_ok(),
              "pv_unit needs LATENCY >= ceil(D/M) + 3");
static_assert(kM100D48.d <= PvCfg::max_head_dim && kM16D80.d <= PvCfg::max_head_dim &&
                  kM32D128.d <= PvCfg::max_head_dim,
              "D within max_head_dim");

using cosim::get_bits;
using cosim::put_bits;
using cosim::sign_extend;
using cosim::uni;
using cosim::word_bits;

// ---- the cycle-model side -------------------------------------------------
/// One job: its head dimension, the value rows (planes as the fetcher reads
/// them, hd words a row: the unit's words >= hd get garbage), their
/// probabilities, and the cycle each row reaches the unit's input (the cycle
/// it is first valid there, >= 1; the job starts in cycle 0).
struct Job {
  int hd = 0;
  bool exact = true;                      // reassembled words, else MSB-only
  std::vector<std::int16_t> v_msb;        // n * hd
  std::vector<std::uint16_t> v_lsb;       // n * hd
  std::vector<std::uint32_t> prob;        // n, sum <= 2^P
  std::vector<c::Cycle> arrival;
  std::string what;  // for messages
  std::size_t rows() const { return prob.size(); }
};

/// The cycle model's per-row take cycles and the output stage's finish cycle
/// for the job's arrivals (pv_unit and output_stage started in cycle 0).
c::Cycle cmodel_cycles(const Set& s, const Job& j, bool skip, std::vector<c::Cycle>& take) {
  const std::size_t n = j.rows();
  take.assign(n, c::kNever);
  c::Fifo<int> in(n + 1, 1, "value_rows");
  c::MacUnit pv("pv_unit", s.m, static_cast<c::Cycle>(s.latency), n + 1, s.d);
  c::CollectUnit output_stage("output_stage", std::max(1, s.m));
  cosim::ArrivalFeeder feed(in, cosim::push_cycles(j.arrival));
  c::Simulator sim(skip);
  sim.add(feed);
  sim.add(pv);
  sim.add(output_stage);
  c::Cycle finished = c::kNever;
  pv.start(&in, static_cast<int>(n), j.hd, [&](int row) { take[static_cast<std::size_t>(row)] = sim.now(); });
  output_stage.start(sim.now(), &pv.results(), static_cast<int>(n), 1, [&] { finished = sim.now(); });
  sim.run([&] { return finished != c::kNever; }, 1u << 24);
  return finished;
}

// ---- the RTL side ---------------------------------------------------------
template <class Model>
class PvRtl : public cosim::MacDut<Model> {
  using Base = cosim::MacDut<Model>;
  using Base::rng_;
  using Base::s_;
  using Base::top_;

 public:
  using Base::edge;

  PvRtl(const Set& s, std::uint64_t seed) : Base(s, seed) {
    top_->start = 0;
    top_->eval();
  }

  void reset(int cycles) {
    top_->in_valid = 0;
    top_->start = 0;
    Base::reset_edges(cycles);
  }
  /// Drive start with `count` and `hd` in the current cycle (no row valid).
  void present_start(std::size_t count, int hd) {
    top_->start = 1;
    top_->count = static_cast<std::uint16_t>(count);
    top_->head_dim = static_cast<std::uint8_t>(hd);
    top_->in_valid = 0;
    top_->eval();
  }
  /// Present `lanes[i]` = row index or -1 on each lane (garbage on idle lanes
  /// and in words >= hd); start low, count and head_dim scribbled.
  void present(const Job& j, const std::vector<int>& lanes) {
    const Set& s = s_;
    std::uint32_t valid = 0;
    for (int l = 0; l < s.rows(); ++l) {
      const int r = lanes[static_cast<std::size_t>(l)];
      const int base = l * s.d * kVBits;
      if (r >= 0) {
        valid |= 1u << l;
        const auto row = static_cast<std::size_t>(r) * static_cast<std::size_t>(j.hd);
        for (int d = 0; d < s.d; ++d) {
          if (d >= j.hd) {  // garbage: the fetcher may leave old data there
            put_bits(top_->in_v, base + d * kVBits, kVBits, rng_());
            continue;
          }
          const std::size_t i = row + static_cast<std::size_t>(d);
          const std::int32_t w = j.exact ? g::reassemble<kVL>(j.v_msb[i], j.v_lsb[i]) : g::msb_only<kVL>(j.v_msb[i]);
          put_bits(top_->in_v, base + d * kVBits, kVBits, word_bits(w, kVBits));
        }
        put_bits(top_->in_prob, l * kProbBits, kProbBits, j.prob[static_cast<std::size_t>(r)]);
      } else {
        for (int d = 0; d < s.d; ++d) put_bits(top_->in_v, base + d * kVBits, kVBits, rng_());
        put_bits(top_->in_prob, l * kProbBits, kProbBits, rng_());
      }
    }
    top_->in_valid = static_cast<std::uint8_t>(valid);
    top_->start = 0;
    top_->count = static_cast<std::uint16_t>(rng_() & ((1u << kCountBits) - 1));
    top_->head_dim = static_cast<std::uint8_t>(rng_() & ((1u << cosim::clog2(s.d + 1)) - 1));
    top_->eval();
  }
  std::int32_t out(int d) const {
    return static_cast<std::int32_t>(sign_extend(get_bits(top_->out, d * kOutBits, kOutBits), kOutBits));
  }
};

// ---- stimulus -------------------------------------------------------------
constexpr std::int16_t kMsbMin = -(1 << (PvCfg::v_msb_bits - 1)), kMsbMax = (1 << (PvCfg::v_msb_bits - 1)) - 1;
constexpr std::uint16_t kLsbMax = (1u << kVL) - 1;

/// `total` split over n probabilities at random (each >= 0, sum == total).
void split(std::mt19937_64& rng, std::uint32_t total, std::vector<std::uint32_t>& p) {
  std::vector<std::uint32_t> cuts(p.size() - 1);
  for (auto& x : cuts) x = static_cast<std::uint32_t>(uni(rng, 0, static_cast<std::int32_t>(total)));
  std::sort(cuts.begin(), cuts.end());
  std::uint32_t prev = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const std::uint32_t next = i + 1 < p.size() ? cuts[i] : total;
    p[i] = next - prev;
    prev = next;
  }
}

Job make_job(const Set& s, std::mt19937_64& rng, int index) {
  Job j;
  std::ostringstream what;
  // rows: mostly short, some long (up to 500)
  const int nmode = uni(rng, 0, 9);
  const int n = index < 6 ? uni(rng, 1, 3) : (nmode < 5 ? uni(rng, 1, 16) : nmode < 8 ? uni(rng, 17, 100) : uni(rng, 101, static_cast<std::int32_t>(kMaxRows)));
  const auto un = static_cast<std::size_t>(n);
  j.hd = index < 3 ? s.d : cosim::pick_head_dim(s, rng);
  const auto d = static_cast<std::size_t>(j.hd);  // words of a row in the job's planes
  j.exact = uni(rng, 0, 2) != 0;
  j.v_msb.resize(un * d);
  j.v_lsb.resize(un * d);
  for (std::size_t r = 0; r < un; ++r) {
    const int vmode = uni(rng, 0, 11);
    for (std::size_t i = 0; i < d; ++i) {
      std::int16_t msb = 0;
      std::uint16_t lsb = 0;
      switch (vmode) {
        case 0: msb = kMsbMin; lsb = 0; break;  // the most negative word
        case 1: msb = kMsbMax; lsb = kLsbMax; break;  // the most positive word
        case 2:
          if (uni(rng, 0, 1) != 0) { msb = kMsbMin; lsb = 0; } else { msb = kMsbMax; lsb = kLsbMax; }
          break;
        case 3: msb = static_cast<std::int16_t>(uni(rng, -1, 0)); lsb = static_cast<std::uint16_t>(uni(rng, 0, kLsbMax)); break;
        case 4: break;  // zero
        default:
          msb = static_cast<std::int16_t>(uni(rng, kMsbMin, kMsbMax));
          lsb = static_cast<std::uint16_t>(uni(rng, 0, kLsbMax));
          break;
      }
      j.v_msb[r * d + i] = msb;
      j.v_lsb[r * d + i] = lsb;
    }
  }
  // probabilities, summing to at most 2^P
  j.prob.assign(un, 0);
  const int pmode = index < 6 ? index % 3 : uni(rng, 0, 9);
  switch (pmode) {
    case 0: {  // one-hot 1.0 on a row of most negative (or most positive) words: the accumulator extremes
      const auto hot = static_cast<std::size_t>(uni(rng, 0, n - 1));
      j.prob[hot] = kOne;
      const bool neg = uni(rng, 0, 3) != 0;
      for (std::size_t i = 0; i < d; ++i) {
        j.v_msb[hot * d + i] = neg ? kMsbMin : kMsbMax;
        j.v_lsb[hot * d + i] = neg ? 0 : kLsbMax;
      }
      if (neg) j.exact = true;  // the MSB-only word of kMsbMin is -2^11 + 2^3
      break;
    }
    case 1:  // all equal
      std::fill(j.prob.begin(), j.prob.end(), kOne / static_cast<std::uint32_t>(n));
      break;
    case 2:  // all zero
      break;
    case 3:
    case 4:  // split exactly 1.0
      split(rng, kOne, j.prob);
      break;
    case 5:  // split less than 1.0
      split(rng, static_cast<std::uint32_t>(uni(rng, 0, static_cast<std::int32_t>(kOne))), j.prob);
      break;
    default: {  // golden softmax of random logits (Q.10), narrow or wide spread
      // fixed arrays: GCC sees a possibly null vector data() in softmax_row (-Wnull-dereference)
      std::array<std::int32_t, kMaxRows> logit{};
      std::array<std::uint32_t, kMaxRows> prob{};
      const std::int32_t spread = uni(rng, 0, 1) != 0 ? (1 << 10) : (12 << 10);
      for (std::size_t r = 0; r < un; ++r) logit[r] = uni(rng, -spread, spread);
      g::softmax_row<PvCfg>(logit.data(), n, prob.data());
      std::copy(prob.begin(), prob.begin() + n, j.prob.begin());
      break;
    }
  }
  // arrivals
  cosim::ArrivalPattern arrivals(rng);
  for (int r = 0; r < n; ++r) j.arrival.push_back(arrivals.at(rng, r));
  what << "job " << index << " (" << n << " rows, hd " << j.hd << ", " << (j.exact ? "exact" : "MSB-only") << " V, prob mode " << pmode
       << ", arrival mode " << arrivals.mode << ")";
  j.what = what.str();
  return j;
}

// ---- the run --------------------------------------------------------------
template <class Model>
void run_set(const Set& s, int min_jobs) {
  const cosim::MacSetSeeds seeds = cosim::announce_set(s);
  std::mt19937_64 rng(seeds.set);
  PvRtl<Model> rtl(s, seeds.set);
  Model& top = rtl.top();
  rtl.reset(3);
  cosim::FailureLog fail(s.name, seeds.base);
  if (top.in_ready != 0 || top.idle == 0 || top.done != 0) fail("not idle (in_ready low, no done) after reset");

  const int lanes = s.rows();
  const auto d = static_cast<std::size_t>(s.d);
  long total_rows = 0;
  int jobs = 0, extremes = 0, stalls = 0, back_to_back = 0;  // coverage
  // coverage: jobs with hd < D; of them one-chunk rows of a chunked unit, and hd not a multiple of M
  int hd_jobs = 0, one_chunk_jobs = 0, partial_jobs = 0;
  long hd_rows = 0;
  for (int ji = 0; jobs < min_jobs && fail.count() == 0; ++ji) {
    const Job j = make_job(s, rng, ji);
    const std::size_t n = j.rows();
    std::uint64_t psum = 0;
    for (std::uint32_t p : j.prob) psum += p;
    if (psum > kOne) {
      fail(j.what + ": the probabilities sum to more than 2^P (" + std::to_string(psum) + ")");
      break;
    }
    if (top.idle == 0) fail("not idle before " + j.what);

    // expected values (golden) and cycles (cycle model)
    std::vector<std::int64_t> acc(d, 0);
    const g::KvPlanes kv{nullptr, nullptr, j.v_msb.data(), j.v_lsb.data()};
    for (std::size_t r = 0; r < n; ++r) g::pv_accumulate<PvCfg>(acc.data(), j.prob[r], kv, static_cast<int>(r), j.hd, j.exact);
    std::vector<std::int32_t> expect(d, 0);  // words >= hd: 0
    g::pv_finish<PvCfg>(acc.data(), j.hd, expect.data());
    std::vector<c::Cycle> cm_take;
    const c::Cycle cm_done = cmodel_cycles(s, j, ji % 2 == 0, cm_take);

    // the RTL, cycle by cycle from the start (cycle 0): rows that arrived wait
    // in order; up to `lanes` of them are presented each cycle on randomly
    // chosen lanes (in order)
    std::vector<c::Cycle> rtl_take(n, c::kNever);
    c::Cycle rtl_done = c::kNever;
    std::size_t head = 0, arrived = 0;
    const c::Cycle limit = cosim::cycle_limit(s, j.arrival.back(), n);
    std::vector<int> on_lane(static_cast<std::size_t>(lanes), -1);
    std::vector<std::int32_t> got(d, 0);
    const int gap = uni(rng, 0, 3) == 0 ? 0 : uni(rng, 1, 4);  // quiet cycles after done; 0: next start in the done cycle
    for (c::Cycle cyc = 0; cyc < limit; ++cyc) {
      if (cyc == 0) {
        rtl.present_start(n, j.hd);
      } else {
        while (arrived < n && j.arrival[arrived] <= cyc) ++arrived;
        const auto k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(lanes), arrived - head));
        cosim::place_on_lanes(rng, lanes, k, head, on_lane);
        rtl.present(j, on_lane);
        if (top.done != 0) {
          if (rtl_done != c::kNever) {
            fail(j.what + ": a second done in cycle " + std::to_string(cyc));
            break;
          }
          rtl_done = cyc;
          for (std::size_t i = 0; i < d; ++i) got[i] = rtl.out(static_cast<int>(i));
          if (top.idle == 0 || top.in_ready != 0) fail(j.what + ": not idle (in_ready low) in the done cycle");
        }
        if (top.in_ready != 0) {
          for (int i = 0; i < k; ++i) rtl_take[head + static_cast<std::size_t>(i)] = cyc;
          head += static_cast<std::size_t>(k);
        }
        if (rtl_done != c::kNever && cyc >= rtl_done + static_cast<c::Cycle>(gap)) break;
        // out must hold the final words until the next start
        if (rtl_done != c::kNever && cyc > rtl_done) {
          for (std::size_t i = 0; i < d; ++i)
            if (rtl.out(static_cast<int>(i)) != got[i]) {
              fail(j.what + ": out word " + std::to_string(i) + " changed after done, in cycle " + std::to_string(cyc));
              break;
            }
        }
      }
      rtl.edge();
    }
    back_to_back += gap == 0 ? 1 : 0;
    for (std::size_t r = 0; r < n; ++r) {
      stalls += cm_take[r] > j.arrival[r] ? 1 : 0;
      if (rtl_take[r] == cm_take[r]) continue;
      std::ostringstream m;
      m << j.what << ", row " << r << " (arrives " << j.arrival[r] << "): taken in cycle " << cm_take[r]
        << " by the cycle model, "
        << (rtl_take[r] == c::kNever ? std::string("never") : std::to_string(rtl_take[r])) << " by the RTL";
      fail(m.str());
      break;
    }
    if (rtl_done != cm_done) {
      std::ostringstream m;
      m << j.what << ": done cycle expected " << cm_done << " (the output stage's finish) actual "
        << (rtl_done == c::kNever ? std::string("none") : std::to_string(rtl_done));
      fail(m.str());
    }
    for (std::size_t i = 0; i < d; ++i) {
      extremes += (expect[i] == -(1 << (kOutBits - 1)) || expect[i] == ((1 << (kOutBits - 1)) - 16)) ? 1 : 0;
      if (got[i] == expect[i]) continue;
      std::ostringstream m;
      m << j.what << ", word " << i << ": out expected " << expect[i] << " (acc " << acc[i] << ") actual " << got[i];
      fail(m.str());
      break;
    }
    total_rows += static_cast<long>(n);
    ++jobs;
    if (j.hd < s.d) {
      ++hd_jobs;
      hd_rows += static_cast<long>(n);
      one_chunk_jobs += (s.chunks() > 1 && s.chunks(j.hd) == 1) ? 1 : 0;
      partial_jobs += j.hd % s.m != 0 ? 1 : 0;
    }

    // once per set: a reset with a job in flight, then no done may come
    if (ji == 7) {
      const Job a = make_job(s, rng, 1000);
      rtl.present_start(a.rows(), a.hd);
      rtl.edge();
      std::vector<int> all(static_cast<std::size_t>(lanes), -1);
      all[0] = 0;
      rtl.present(a, all);
      for (int i = 0; i < s.chunks(a.hd) + 1; ++i) rtl.edge();
      rtl.reset(2);
      for (int i = 0; i < s.latency + 4; ++i) {
        top.in_valid = 0;
        top.eval();
        if (top.done != 0) fail("done after a reset with a job in flight");
        rtl.edge();
      }
      if (top.in_ready != 0 || top.idle == 0) fail("not idle (in_ready low) after a reset with a job in flight");
    }
  }
  std::cout << "[ unit     ] " << s.name << ": " << jobs << " jobs, " << total_rows << " rows, " << fail.count()
            << " mismatches; " << extremes << " extreme output words, " << stalls
            << " rows taken after their arrival cycle, " << back_to_back << " starts in the done cycle; " << hd_jobs
            << " jobs (" << hd_rows << " rows) with hd < D (" << one_chunk_jobs << " with hd <= M < D, " << partial_jobs
            << " with hd not a multiple of M)\n";
  EXPECT_EQ(fail.count(), 0);
}

}  // namespace

TEST(PvUnitRtl, M64D64OneRowPerCycle) { run_set<Vpv_unit_m64_d64_l8>(kM64D64, 800); }
TEST(PvUnitRtl, M16D80OneRowPerFiveCycles) { run_set<Vpv_unit_m16_d80_l8>(kM16D80, 500); }
TEST(PvUnitRtl, M256D64FourRowsPerCycle) { run_set<Vpv_unit_m256_d64_l8>(kM256D64, 800); }
TEST(PvUnitRtl, M24D40PartialChunkMinLatency) { run_set<Vpv_unit_m24_d40_l5>(kM24D40, 500); }
TEST(PvUnitRtl, M100D48TwoRowsMinLatency) { run_set<Vpv_unit_m100_d48_l4>(kM100D48, 800); }
TEST(PvUnitRtl, M32D128FourChunksMinLatency) { run_set<Vpv_unit_m32_d128_l7>(kM32D128, 500); }
