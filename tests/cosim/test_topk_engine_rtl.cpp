// topk_engine.sv under Verilator, row by row against the golden model and the
// cycle model (hw/rtl/topk_engine.sv states the timing contract):
//  * the indices the RTL streams out equal golden::topk_quickselect's (which
//    equal golden::topk_select's), in increasing order;
//  * the RTL is busy exactly C cycles from its start cycle, C =
//    cmodel::Accelerator::topk_cycles(stats) for 0 < k < n (stats from
//    topk_quickselect with lanes = P), ceil(n/P) + 3 when the engine runs no
//    partition pass (k == 0 or k >= n), and done pulses once, in the last one;
//  * each selected index comes with the payload loaded with its element
//    (random PLW bits a load; the junk loads while busy must not land);
//  * out_valid is a thermometer code, nothing comes out while idle, a start or
//    a row write while busy is ignored, and the row survives a run.
// Rows are random (few distinct values, full range, narrow range) and
// adversarial (all equal, ascending, descending, k = 1, k = n, n = 1). Row r
// of unit U is generated from SPATTEN_SEED, U and r alone, so a failure names
// what to replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vrtl_topk_engine_p1.h"
#include "Vrtl_topk_engine_p16.h"
#include "Vrtl_topk_engine_p16w64.h"
#include "Vrtl_topk_engine_p3.h"
#include "Vrtl_topk_engine_p4.h"
#include "cosim_test_util.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten/topk.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;
namespace cosim = spatten::test::cosim;

namespace {

std::uint64_t mask_of(int width) {
  return width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
}

constexpr int kGoldenMax = 1024;  ///< largest N_MAX of the verilated sets

struct UnitParams {
  const char* name;
  int lanes;  ///< P
  int n_max;  ///< N_MAX
  int width;  ///< W
  int payload_width;  ///< PLW
  std::uint64_t salt;
};

using cosim::clog2;
using cosim::get_bits;
using cosim::put_bits;
using cosim::row_seed;

// ---- the engine under test ---------------------------------------------------
template <class Model>
class Engine : public cosim::Dut<Model> {
  using Base = cosim::Dut<Model>;
  using Base::cycle;
  using Base::rise;
  using Base::top_;

 public:
  using Base::idle;

  explicit Engine(const UnitParams& u)
      : Base("top", [](VerilatedContext& ctx) { ctx.debug(0); }), u_(u), iw_(clog2(u.n_max + 1)) {
    top_->rst_n = 0;
    top_->start = 0;
    top_->wr_en = 0;
    for (int i = 0; i < 3; ++i) cycle();
    top_->rst_n = 1;
    cycle();
  }

  /// Writes the row beat by beat; lanes past the row get junk from `rng`.
  void load(const std::vector<std::uint64_t>& v, std::mt19937_64& rng) {
    const auto n = static_cast<int>(v.size());
    payload_.assign(v.size(), 0);
    const int beats = (n + u_.lanes - 1) / u_.lanes;
    for (int r = 0; r < beats; ++r) {
      top_->wr_en = 1;
      put_bits(top_->wr_row, 0, 32, static_cast<std::uint64_t>(r));
      for (int j = 0; j < u_.lanes; ++j) {
        const int i = r * u_.lanes + j;
        const std::uint64_t x = i < n ? v[static_cast<std::size_t>(i)] : rng();
        put_bits(top_->wr_data, j * u_.width, u_.width, x);
        const std::uint64_t pl = rng() & mask_of(u_.payload_width);
        put_bits(top_->wr_payload, j * u_.payload_width, u_.payload_width, pl);
        if (i < n) payload_[static_cast<std::size_t>(i)] = pl;
      }
      cycle();
    }
    top_->wr_en = 0;
  }

  struct Outcome {
    std::vector<int> indices;
    std::uint64_t busy_cycles = 0;
    std::string protocol_error;  ///< empty when the handshake was as contracted
  };

  /// Starts a run (n, k) and clocks until busy drops (or `limit` cycles).
  /// With `disturb`, pulses start and writes junk rows while busy: both must
  /// be ignored.
  Outcome run(int n, int k, std::uint64_t limit, bool disturb, std::mt19937_64& rng) {
    Outcome o;
    std::ostringstream err;
    top_->start = 1;
    put_bits(top_->n, 0, iw_, static_cast<std::uint64_t>(n));
    put_bits(top_->k, 0, iw_, static_cast<std::uint64_t>(k));
    int done_pulses = 0;
    bool done_in_last = false;
    for (std::uint64_t c = 0;; ++c) {
      if (c > 0) {
        top_->start = 0;
        top_->wr_en = 0;
        if (disturb && !done_in_last) {  // the engine is busy in this cycle
          top_->start = (rng() & 3u) == 0 ? 1 : 0;
          put_bits(top_->n, 0, iw_, rng() % static_cast<std::uint64_t>(u_.n_max + 1));
          put_bits(top_->k, 0, iw_, rng() % static_cast<std::uint64_t>(u_.n_max + 1));
          top_->wr_en = (rng() & 1u) != 0 ? 1 : 0;
          put_bits(top_->wr_row, 0, 32, rng() % static_cast<std::uint64_t>((u_.n_max + u_.lanes - 1) / u_.lanes));
          for (int j = 0; j < u_.lanes; ++j) {
            put_bits(top_->wr_data, j * u_.width, u_.width, rng());
            put_bits(top_->wr_payload, j * u_.payload_width, u_.payload_width, rng());
          }
        }
      }
      top_->clk = 0;
      top_->eval();
      const bool busy = top_->busy != 0;
      const bool done = top_->done != 0;
      const std::uint64_t valid = get_bits(top_->out_valid, 0, u_.lanes);
      if (!busy) {
        if (c == 0) err << "not busy in the start cycle; ";
        if (done) err << "done while idle; ";
        if (valid != 0) err << "out_valid while idle; ";
        break;
      }
      ++o.busy_cycles;
      if (done) {
        ++done_pulses;
        done_in_last = true;
      } else {
        done_in_last = false;
      }
      if ((valid & (valid + 1)) != 0) err << "out_valid " << valid << " not compacted at cycle " << c << "; ";
      for (int j = 0; j < u_.lanes && ((valid >> j) & 1u) != 0; ++j) {
        const auto idx = static_cast<int>(get_bits(top_->out_index, j * iw_, iw_));
        o.indices.push_back(idx);
        const std::uint64_t pl = get_bits(top_->out_payload, j * u_.payload_width, u_.payload_width);
        if (idx >= static_cast<int>(payload_.size()) || pl != payload_[static_cast<std::size_t>(idx)])
          err << "payload " << pl << " with index " << idx << " at cycle " << c << "; ";
      }
      rise();
      if (o.busy_cycles > limit) {
        err << "still busy after " << limit << " cycles; ";
        break;
      }
    }
    top_->start = 0;
    top_->wr_en = 0;
    if (done_pulses != 1) err << "done pulsed " << done_pulses << " times; ";
    if (!done_in_last) err << "done not in the last busy cycle; ";
    o.protocol_error = err.str();
    rise();  // finish the idle cycle seen above
    return o;
  }

 private:
  UnitParams u_;
  int iw_;
  std::vector<std::uint64_t> payload_;  ///< loaded with the row, by index
};

// ---- rows ---------------------------------------------------------------------
struct Row {
  std::vector<std::uint64_t> v;
  int k = 0;
  const char* kind = "";
};


int random_k(std::mt19937_64& rng, int n) {
  switch (rng() % 8) {
    case 0: return 1;
    case 1: return n;
    case 2: return n > 1 ? n - 1 : 1;
    case 3: return 0;
    case 4: return n + 1 + static_cast<int>(rng() % 4);  // k > n selects all (the port holds it)
    default: return static_cast<int>(rng() % static_cast<std::uint64_t>(n + 1));
  }
}

Row random_row(std::mt19937_64& rng, const UnitParams& u) {
  Row r;
  const std::uint64_t m = mask_of(u.width);
  const int n = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 8)
                               : 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(u.n_max));
  r.v.resize(static_cast<std::size_t>(n));
  switch (rng() % 4) {
    case 0: {  // a few distinct values: many ties
      std::vector<std::uint64_t> pool(1 + rng() % 4);
      for (auto& p : pool) p = static_cast<std::uint64_t>(rng()) & m;
      for (auto& x : r.v) x = pool[rng() % pool.size()];
      r.kind = "few-distinct";
      break;
    }
    case 1:  // full range
      for (auto& x : r.v) x = static_cast<std::uint64_t>(rng()) & m;
      r.kind = "full-range";
      break;
    case 2: {  // narrow range: ties and a spread
      const auto span = 1 + rng() % static_cast<std::uint64_t>(n);
      for (auto& x : r.v) x = static_cast<std::uint64_t>(rng() % span) & m;
      r.kind = "narrow-range";
      break;
    }
    default:  // extremes only
      for (auto& x : r.v) x = (rng() & 1u) != 0 ? m : 0u;
      r.kind = "extremes";
      break;
  }
  r.k = std::min(random_k(rng, n), u.n_max);
  return r;
}

std::vector<Row> adversarial_rows(const UnitParams& u) {
  std::vector<Row> rows;
  const std::uint64_t m = mask_of(u.width);
  std::vector<int> lengths = {1, 2, 3, u.lanes, u.lanes + 1, 2 * u.lanes - 1, u.n_max - 1, u.n_max};
  for (int n : lengths) {
    if (n < 1 || n > u.n_max) continue;
    const auto un = static_cast<std::size_t>(n);
    std::vector<std::vector<std::uint64_t>> shapes(6, std::vector<std::uint64_t>(un));
    const char* names[6] = {"all-equal", "ascending", "descending", "ascending-pairs", "all-max", "all-zero"};
    for (std::size_t i = 0; i < un; ++i) {
      shapes[0][i] = 7u & m;
      shapes[1][i] = static_cast<std::uint64_t>(i) & m;
      shapes[2][i] = static_cast<std::uint64_t>(un - 1 - i) & m;
      shapes[3][i] = static_cast<std::uint64_t>(i / 2) & m;
      shapes[4][i] = m;
      shapes[5][i] = 0u;
    }
    std::vector<int> ks = {0, 1, n / 2, n - 1, n};
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
    for (std::size_t s = 0; s < shapes.size(); ++s) {
      for (int k : ks) rows.push_back(Row{shapes[s], k, names[s]});
    }
  }
  return rows;
}

std::string show(const std::vector<int>& v) {
  std::ostringstream os;
  os << "[" << v.size() << "]";
  const std::size_t shown = std::min<std::size_t>(v.size(), 24);
  for (std::size_t i = 0; i < shown; ++i) os << (i == 0 ? " " : ",") << v[i];
  if (shown < v.size()) os << ",...";
  return os.str();
}

// ---- one unit: all rows ---------------------------------------------------------
template <class Model>
void run_unit(const UnitParams& u, int random_rows) {
  const std::uint64_t seed = spatten::test::test_seed();
  Engine<Model> eng(u);
  auto scratch = std::make_unique<g::TopkScratch<std::uint64_t, kGoldenMax>>();
  std::vector<int> q_idx(kGoldenMax);
  std::vector<int> s_idx(kGoldenMax);
  const std::vector<Row> adversarial = adversarial_rows(u);
  const int total = static_cast<int>(adversarial.size()) + random_rows;
  std::uint64_t cycles = 0;
  int failures = 0;

  for (int r = 0; r < total && failures < 5; ++r) {
    std::mt19937_64 rng(row_seed(seed, u.salt, r));
    const bool adv = r < static_cast<int>(adversarial.size());
    Row row = adv ? adversarial[static_cast<std::size_t>(r)] : random_row(rng, u);
    const int n = static_cast<int>(row.v.size());
    eng.load(row.v, rng);
    eng.idle(static_cast<int>(rng() % 3));
    // a second run on the same row (no reload) with another k, sometimes
    const int runs = (rng() % 4 == 0) ? 2 : 1;
    for (int run = 0; run < runs; ++run) {
      const int k = run == 0 ? row.k : std::min(random_k(rng, n), u.n_max);
      g::TopkStats st;
      st.lanes = u.lanes;
      const int qc = g::topk_quickselect<std::uint64_t, kGoldenMax>(row.v.data(), n, k, q_idx.data(), *scratch, &st);
      const int sc = g::topk_select<std::uint64_t, kGoldenMax>(row.v.data(), n, k, s_idx.data());
      const std::vector<int> expect(q_idx.begin(), q_idx.begin() + qc);
      const std::vector<int> select(s_idx.begin(), s_idx.begin() + sc);
      const auto out_beats = static_cast<std::uint64_t>((n + u.lanes - 1) / u.lanes);
      const std::uint64_t want_cycles = (k > 0 && k < n) ? spatten::cmodel::Accelerator::topk_cycles(st)
                                                         : out_beats + spatten::cmodel::kTopkPassOverhead;
      const bool disturb = rng() % 8 == 0;
      const auto got = eng.run(n, k, want_cycles + 64, disturb, rng);
      cycles += got.busy_cycles;
      const bool ok = expect == select && got.indices == expect && got.busy_cycles == want_cycles &&
                      got.protocol_error.empty();
      if (!ok) {
        ++failures;
        ADD_FAILURE() << "unit " << u.name << " SPATTEN_SEED=" << seed << " row " << r << " (" << row.kind
                      << (adv ? ", adversarial" : ", random") << ") run " << run << (disturb ? " disturbed" : "")
                      << ": n=" << n << " k=" << k << " passes=" << st.passes << " beats=" << st.beats
                      << "\n  golden quickselect " << show(expect) << "\n  golden select      " << show(select)
                      << "\n  rtl                " << show(got.indices) << "\n  cycles expected " << want_cycles
                      << " actual " << got.busy_cycles << "\n  protocol: "
                      << (got.protocol_error.empty() ? "ok" : got.protocol_error);
      }
    }
  }
  std::cout << "[ " << u.name << " ] " << total << " rows, " << cycles << " busy cycles\n";
}

}  // namespace

TEST(TopkEngineRtl, OneLane) {
  run_unit<Vrtl_topk_engine_p1>({"topk_engine P=1 N_MAX=64 W=16 PLW=1", 1, 64, 16, 1, 1}, 3000);
}

TEST(TopkEngineRtl, ThreeLanesSmallRows) {
  run_unit<Vrtl_topk_engine_p3>({"topk_engine P=3 N_MAX=37 W=8 PLW=5", 3, 37, 8, 5, 3}, 3000);
}

TEST(TopkEngineRtl, FourLanes) {
  run_unit<Vrtl_topk_engine_p4>({"topk_engine P=4 N_MAX=200 W=32 PLW=1", 4, 200, 32, 1, 4}, 3000);
}

TEST(TopkEngineRtl, SixteenLanes) {
  run_unit<Vrtl_topk_engine_p16>({"topk_engine P=16 N_MAX=1000 W=32 PLW=1", 16, 1000, 32, 1, 16}, 3000);
}

TEST(TopkEngineRtl, SixteenLanesSixtyFourBitWords) {
  run_unit<Vrtl_topk_engine_p16w64>({"topk_engine P=16 N_MAX=700 W=64 PLW=32", 16, 700, 64, 32, 64}, 2000);
}
