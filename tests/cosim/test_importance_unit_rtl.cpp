// importance_unit.sv under Verilator (the timing contract is at the top of the
// file), pass by pass against a reference written here from the definitions:
//  * clear: every word reads 0 afterwards; done in the pass's NR-th cycle;
//  * accumulate: importance[id] += prob for every position, ids past the
//    memory dropped; done after R + 2 cycles, R = distinct importance rows
//    per aligned group of P positions (cmodel::importance_row_cycles);
//  * gather: the engine rows hold the unprotected ids' words in list order
//    (ids past the memory read 0), n_cand / n_prot count them; R + 3 cycles;
//    a gather over every id reads the whole memory back;
//  * emit: the kept ids (protected, or keep_all, or candidates whose bit was
//    set through sel_*) in list order on the kept-id rows, kept_count;
//    ceil(n / P) + 2 cycles.
// Lists are random ascending ids (dense, sparse, some past N_MAX) from
// SPATTEN_SEED and the unit; three parameter sets (importance_unit.cmake).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "Vrtl_importance_unit_p16.h"
#include "Vrtl_importance_unit_p5.h"
#include "Vrtl_importance_unit_p8.h"
#include "cosim_test_util.h"
#include "spatten/cmodel/accelerator.h"
#include "spatten_test_seed.h"

namespace cosim = spatten::test::cosim;
using cosim::clog2;
using cosim::get_bits;
using cosim::put_bits;

namespace {

struct UnitParams {
  const char* name;
  int lanes, n_max, pbw;
  std::uint64_t salt;
};

struct Protection {
  std::uint32_t context_len = 0x1FFFFF, sinks = 0, recent = 0;
  bool prot(std::uint32_t t) const {
    const std::int64_t lo = static_cast<std::int64_t>(context_len) - static_cast<std::int64_t>(recent);
    return t < sinks || static_cast<std::int64_t>(t) >= lo || static_cast<std::int64_t>(t) == static_cast<std::int64_t>(context_len) - 1;
  }
};

template <class Model>
class Unit : public cosim::Dut<Model> {
  using Base = cosim::Dut<Model>;
  using Base::rise;
  using Base::top_;

 public:
  explicit Unit(const UnitParams& u) : Base("top", [](VerilatedContext& ctx) { ctx.debug(0); }), u_(u) {
    iw_ = clog2(u.n_max + 1);
    top_->rst_n = 0;
    quiet();
    for (int i = 0; i < 3; ++i) step();
    top_->rst_n = 1;
    step();
  }

  /// Runs one pass from a start pulse to its done; returns its cycles (start
  /// cycle .. done cycle), the engine rows written and what the unit reports.
  struct Pass {
    std::uint64_t cycles = 0;
    std::vector<std::vector<std::uint64_t>> eng_rows;  ///< by engine row index
    int n_cand = 0, n_prot = 0, kept = 0;
    std::vector<std::uint32_t> kept_ids;
    std::string error;
  };
  enum class Op { kClear, kAcc, kGather, kEmit };
  Pass run(Op op, const std::vector<std::uint32_t>& ids, const std::vector<std::uint64_t>& prob, const Protection& pr,
           bool keep_all = false, bool sel_none = false) {
    ids_ = &ids;
    prob_ = &prob;
    Pass out;
    put_bits(top_->n, 0, iw_, static_cast<std::uint64_t>(ids.size()));
    top_->context_len = pr.context_len;
    top_->sink_tokens = pr.sinks;
    top_->recent_tokens = pr.recent;
    top_->keep_all = keep_all;
    top_->sel_none = sel_none;
    top_->clear_start = op == Op::kClear;
    top_->acc_start = op == Op::kAcc;
    top_->gather_start = op == Op::kGather;
    top_->emit_start = op == Op::kEmit;
    for (std::uint64_t c = 0; c < 100000; ++c) {
      settle();
      if (top_->eng_wr_en) {
        const auto row = static_cast<std::size_t>(get_bits(top_->eng_wr_row, 0, 32));
        if (out.eng_rows.size() <= row) out.eng_rows.resize(row + 1);
        out.eng_rows[row].clear();
        for (int l = 0; l < u_.lanes; ++l) out.eng_rows[row].push_back(get_bits(top_->eng_wr_data, 64 * l, 64));
      }
      const bool done = top_->done;
      rise();
      quiet();
      if (done) {
        out.cycles = c + 1;
        break;
      }
    }
    if (out.cycles == 0) out.error = "no done within 100000 cycles";
    settle();
    out.n_cand = static_cast<int>(get_bits(top_->n_cand, 0, iw_));
    out.n_prot = static_cast<int>(get_bits(top_->n_prot, 0, iw_));
    out.kept = static_cast<int>(get_bits(top_->kept_count, 0, iw_));
    if (op == Op::kEmit) {
      for (int r = 0; r * u_.lanes < out.kept; ++r) {
        put_bits(top_->kept_rd_row, 0, 32, static_cast<std::uint64_t>(r));
        settle();
        for (int l = 0; l < u_.lanes && r * u_.lanes + l < out.kept; ++l)
          out.kept_ids.push_back(static_cast<std::uint32_t>(get_bits(top_->kept_rd_data, 32 * l, 32)));
      }
    }
    step();  // an idle cycle between passes
    return out;
  }

  /// The engine's selections: clears the bits, then sets `ordinals`, P a cycle.
  void select(const std::vector<int>& ordinals) {
    top_->sel_clear = 1;
    step();
    for (std::size_t i = 0; i < ordinals.size(); i += static_cast<std::size_t>(u_.lanes)) {
      std::uint64_t valid = 0;
      for (int l = 0; l < u_.lanes && i + static_cast<std::size_t>(l) < ordinals.size(); ++l) {
        valid |= std::uint64_t{1} << l;
        put_bits(top_->sel_index, l * iw_, iw_, static_cast<std::uint64_t>(ordinals[i + static_cast<std::size_t>(l)]));
      }
      put_bits(top_->sel_valid, 0, u_.lanes, valid);
      step();
    }
  }

 private:
  void quiet() {
    top_->clear_start = top_->acc_start = top_->gather_start = top_->emit_start = 0;
    top_->sel_clear = 0;
    put_bits(top_->sel_valid, 0, u_.lanes, 0);
  }
  /// Clock low, the group the unit asks for on grp_*, settled.
  void settle() {
    top_->clk = 0;
    top_->eval();
    const auto g = get_bits(top_->grp_index, 0, 32);
    for (int l = 0; l < u_.lanes; ++l) {
      const std::uint64_t pos = g * static_cast<std::uint64_t>(u_.lanes) + static_cast<std::uint64_t>(l);
      const bool in = ids_ != nullptr && pos < ids_->size();
      put_bits(top_->grp_ids, 32 * l, 32, in ? (*ids_)[pos] : 0xDEADBEEFu);  // junk past the list
      put_bits(top_->grp_prob, u_.pbw * l, u_.pbw, in ? (*prob_)[pos] : 0x5555u);
    }
    top_->eval();
  }
  void step() {
    settle();
    rise();
    quiet();
  }
  UnitParams u_;
  int iw_ = 0;
  const std::vector<std::uint32_t>* ids_ = nullptr;
  const std::vector<std::uint64_t>* prob_ = nullptr;
};

std::vector<std::uint32_t> random_list(std::mt19937_64& rng, const UnitParams& u) {
  const int span = u.n_max + 20;  // a few ids past the memory
  const double keep = std::vector<double>{1.0, 0.5, 0.1, 0.02}[rng() % 4];
  std::vector<std::uint32_t> ids;
  const auto first = static_cast<int>(rng() % static_cast<std::uint64_t>(span / 2));
  for (int t = first; t < span; ++t)
    if (std::uniform_real_distribution<double>(0, 1)(rng) < keep) ids.push_back(static_cast<std::uint32_t>(t));
  if (ids.empty()) ids.push_back(static_cast<std::uint32_t>(first));
  if (ids.size() > static_cast<std::size_t>(u.n_max)) ids.resize(static_cast<std::size_t>(u.n_max));
  return ids;
}

template <class Model>
void run_unit(const UnitParams& u, int lists) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(cosim::row_seed(seed, u.salt, 0));
  Unit<Model> dut(u);
  using Op = typename Unit<Model>::Op;
  const int P = u.lanes;
  const auto nr = static_cast<std::uint64_t>((u.n_max + P - 1) / P);
  std::vector<std::uint64_t> ref(static_cast<std::size_t>(u.n_max), 0);
  const std::vector<std::uint64_t> none;
  const std::string where = std::string(u.name) + ", SPATTEN_SEED=" + std::to_string(seed);
  auto pass = dut.run(Op::kClear, {}, none, {});
  ASSERT_EQ(pass.error, "") << where;
  EXPECT_EQ(pass.cycles, nr) << where << ": clear";
  // the whole memory through a gather over every id, nothing protected
  std::vector<std::uint32_t> all(static_cast<std::size_t>(u.n_max));
  for (std::size_t t = 0; t < all.size(); ++t) all[t] = static_cast<std::uint32_t>(t);
  const std::vector<std::uint64_t> zeros(all.size(), 0);
  auto read_all = [&](const std::string& when) {
    const auto g = dut.run(Op::kGather, all, zeros, Protection{});
    std::vector<std::uint64_t> words;
    for (const auto& r : g.eng_rows)
      for (std::uint64_t w : r) words.push_back(w);
    words.resize(all.size());
    EXPECT_EQ(words, ref) << where << ": the memory after " << when;
  };
  read_all("the clear");
  for (int i = 0; i < lists; ++i) {
    const std::vector<std::uint32_t> ids = random_list(rng, u);
    const auto n = static_cast<int>(ids.size());
    std::vector<int> live(ids.begin(), ids.end());
    const std::uint64_t rows = spatten::cmodel::importance_row_cycles(live.data(), n, P);
    // the reference count, from the definition
    std::uint64_t rows_ref = 0;
    for (int g0 = 0; g0 < n; g0 += P) {
      std::set<std::uint32_t> rs;
      for (int k = g0; k < std::min(n, g0 + P); ++k) rs.insert(ids[static_cast<std::size_t>(k)] / static_cast<std::uint32_t>(P));
      rows_ref += rs.size();
    }
    ASSERT_EQ(rows, rows_ref) << where;
    const std::string w = where + ", list " + std::to_string(i) + " (n " + std::to_string(n) + ")";
    // accumulate
    std::vector<std::uint64_t> prob(ids.size());
    const std::uint64_t pmask = u.pbw >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << u.pbw) - 1;
    for (auto& p : prob) p = rng() & pmask;
    pass = dut.run(Op::kAcc, ids, prob, {});
    ASSERT_EQ(pass.error, "") << w;
    EXPECT_EQ(pass.cycles, rows + spatten::cmodel::kImportanceLatency) << w << ": accumulate";
    for (std::size_t k = 0; k < ids.size(); ++k)
      if (ids[k] < static_cast<std::uint32_t>(u.n_max)) ref[ids[k]] += prob[k];
    // gather under a protection rule
    Protection pr;
    pr.context_len = static_cast<std::uint32_t>(u.n_max + 20 - static_cast<int>(rng() % 10));
    pr.sinks = static_cast<std::uint32_t>(rng() % 4);
    pr.recent = static_cast<std::uint32_t>(rng() % 6);
    if (rng() % 4 == 0) pr.context_len = static_cast<std::uint32_t>(u.n_max + 1000);  // ids past the memory unprotected
    const auto g = dut.run(Op::kGather, ids, zeros, pr);
    ASSERT_EQ(g.error, "") << w;
    EXPECT_EQ(g.cycles, rows + spatten::cmodel::kGatherLatency) << w << ": gather";
    std::vector<std::uint64_t> cand;
    int n_prot = 0;
    for (std::uint32_t t : ids) {
      if (pr.prot(t)) {
        ++n_prot;
      } else {
        cand.push_back(t < static_cast<std::uint32_t>(u.n_max) ? ref[t] : 0);
      }
    }
    EXPECT_EQ(g.n_cand, static_cast<int>(cand.size())) << w;
    EXPECT_EQ(g.n_prot, n_prot) << w;
    std::vector<std::uint64_t> got;
    for (const auto& r : g.eng_rows)
      for (std::uint64_t x : r) got.push_back(x);
    ASSERT_GE(got.size(), cand.size()) << w << ": engine rows missing";
    got.resize(cand.size());
    EXPECT_EQ(got, cand) << w << ": engine rows";
    // emit: a random selection of candidates, keep_all, or none selected
    const int mode = static_cast<int>(rng() % 3);
    std::vector<int> ords;
    for (int c = 0; c < static_cast<int>(cand.size()); ++c)
      if (rng() % 3 == 0) ords.push_back(c);
    dut.select(ords);
    const auto e = dut.run(Op::kEmit, ids, zeros, pr, mode == 1, mode == 2);
    ASSERT_EQ(e.error, "") << w;
    EXPECT_EQ(e.cycles, static_cast<std::uint64_t>((n + P - 1) / P) + spatten::cmodel::kEmitLatency) << w << ": emit";
    std::vector<std::uint32_t> kept;
    int ord = 0;
    for (std::uint32_t t : ids) {
      if (pr.prot(t)) {
        kept.push_back(t);
      } else {
        const bool sel = std::find(ords.begin(), ords.end(), ord) != ords.end();
        if (mode == 1 || (mode == 0 && sel)) kept.push_back(t);
        ++ord;
      }
    }
    EXPECT_EQ(e.kept, static_cast<int>(kept.size())) << w << " mode " << mode;
    EXPECT_EQ(e.kept_ids, kept) << w << " mode " << mode;
    if (::testing::Test::HasFailure()) return;
  }
  read_all("the lists");
  pass = dut.run(Op::kClear, {}, none, {});
  std::fill(ref.begin(), ref.end(), 0);
  read_all("the second clear");
}

}  // namespace

TEST(ImportanceUnitRtl, SixteenLanes) {
  run_unit<Vrtl_importance_unit_p16>({"importance_unit P=16 N_MAX=512 PBW=17", 16, 512, 17, 71}, 120);
}

TEST(ImportanceUnitRtl, EightLanesFortyBitProbabilities) {
  run_unit<Vrtl_importance_unit_p8>({"importance_unit P=8 N_MAX=200 PBW=40", 8, 200, 40, 72}, 200);
}

TEST(ImportanceUnitRtl, FiveLanesShortMemory) {
  run_unit<Vrtl_importance_unit_p5>({"importance_unit P=5 N_MAX=37 PBW=9", 5, 37, 9, 73}, 300);
}
