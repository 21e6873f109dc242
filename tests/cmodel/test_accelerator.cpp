// The cycle model's head jobs and cascade decisions: values bit-exact against
// golden::attend_head, DRAM bytes by kind against closed forms, top-k engine
// cycles against its formula, physical bounds, tick == skip, parameter sweeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace g = spatten::golden;
namespace m = spatten::models;
using Cfg = c::ValueConfig;
using N = g::Numerics<Cfg>;

namespace {

c::AccelParams preset_params(const char* name) {
  return c::params_from_preset(m::load_accelerator(m::find_preset(m::PresetKind::accel, name)));
}

/// Random planes for `tokens` rows of `dim` words, a query and a live list.
struct JobData {
  int tokens, dim;
  std::vector<std::int16_t> k_msb, v_msb;
  std::vector<std::uint16_t> k_lsb, v_lsb;
  std::vector<std::int32_t> q;
  std::vector<int> live;
  g::ScoreScale scale{};

  JobData(int tokens_, int dim_, std::mt19937_64& rng, double keep_fraction = 1.0, double peak = 3.0)
      : tokens(tokens_), dim(dim_) {
    std::normal_distribution<double> n01(0, 1);
    const auto words = static_cast<std::size_t>(tokens) * static_cast<std::size_t>(dim);
    std::vector<double> kf(words);
    for (auto& x : kf) x = n01(rng);
    const double sk = g::symmetric_scale(4.5, N::k_bits);
    for (std::size_t i = 0; i < words; ++i) {
      const auto kp = g::split_planes<Cfg::k_msb_bits, Cfg::k_lsb_bits>(g::quantize(kf[i], sk, N::k_bits));
      const auto vp = g::split_planes<Cfg::v_msb_bits, Cfg::v_lsb_bits>(g::quantize(n01(rng), sk, N::v_bits));
      k_msb.push_back(kp.msb);
      k_lsb.push_back(kp.lsb);
      v_msb.push_back(vp.msb);
      v_lsb.push_back(vp.lsb);
    }
    for (int t = 0; t < tokens; ++t)
      if (t == tokens - 1 || std::uniform_real_distribution<double>(0, 1)(rng) < keep_fraction) live.push_back(t);
    std::vector<double> qf(static_cast<std::size_t>(dim));
    const auto hot = static_cast<std::size_t>(live[live.size() / 2]);
    for (int d = 0; d < dim; ++d)
      qf[static_cast<std::size_t>(d)] = peak * kf[hot * static_cast<std::size_t>(dim) + static_cast<std::size_t>(d)] + 0.3 * n01(rng);
    double qmax = 0;
    for (double x : qf) qmax = std::max(qmax, std::fabs(x));
    const double sq = g::symmetric_scale(qmax, N::q_bits);
    for (double x : qf) q.push_back(g::quantize(x, sq, N::q_bits));
    scale = g::make_score_scale(sq * sk / std::sqrt(static_cast<double>(dim)) * std::ldexp(1.0, N::logit_frac_bits));
  }
  int n() const { return static_cast<int>(live.size()); }
  g::KvPlanes planes() const { return {k_msb.data(), k_lsb.data(), v_msb.data(), v_lsb.data()}; }

  c::HeadJobSpec spec() const {
    c::HeadJobSpec j;
    j.n = n();
    j.head_dim = dim;
    j.scale = scale;
    j.value_keep = n();
    j.q = q.data();
    j.kv = planes();
    j.live = live.data();
    j.desc_addr = 0x100000;
    j.q_addr = 0x200000;
    j.live_addr = 0x300000;
    j.out_addr = 0x400000;
    j.k_msb_base = 0x1000000;
    j.k_lsb_base = 0x2000000;
    j.v_msb_base = 0x3000000;
    j.v_lsb_base = 0x4000000;
    return j;
  }

  /// The golden result of the same job.
  std::vector<std::int32_t> golden_out(const c::HeadJobSpec& s, g::HeadResult* res) const {
    auto scratch = std::make_unique<g::HeadScratch<Cfg>>();
    g::HeadJob j;
    j.n = s.n;
    j.head_dim = s.head_dim;
    j.scale = s.scale;
    j.progressive = s.progressive;
    j.requant_threshold_q16 = s.requant_threshold_q16;
    j.value_keep = s.value_keep;
    std::vector<std::int32_t> out(static_cast<std::size_t>(dim));
    *res = g::attend_head<Cfg>(q.data(), planes(), live.data(), j, out.data(), *scratch);
    return out;
  }
};

struct Ran {
  c::HeadJobOutcome out;
  c::RunResult run;
};

Ran run_one(const c::AccelParams& p, const c::HeadJobSpec& s, bool skip) {
  c::Accelerator acc(p, skip);
  Ran r{acc.run_head(s), {}};
  acc.fill(r.run);
  return r;
}

std::uint64_t kind(const c::RunResult& r, c::DramKind k) {
  return r.dram_read[static_cast<std::size_t>(k)] + r.dram_written[static_cast<std::size_t>(k)];
}

/// Runs a job both ways, checks values against golden and tick == skip.
Ran check_job(const c::AccelParams& p, const JobData& d, const c::HeadJobSpec& s, const char* what) {
  const Ran skip = run_one(p, s, true);
  const Ran tick = run_one(p, s, false);
  EXPECT_EQ(skip.run.cycles, tick.run.cycles) << what << ": idle skipping changed the cycle count";
  EXPECT_EQ(skip.out.out, tick.out.out) << what;
  for (std::size_t u = 0; u < skip.run.units.size(); ++u) {
    EXPECT_EQ(skip.run.units[u].busy_cycles, tick.run.units[u].busy_cycles) << what << " " << skip.run.units[u].name;
    EXPECT_EQ(skip.run.units[u].stall_cycles, tick.run.units[u].stall_cycles) << what << " " << skip.run.units[u].name;
  }
  g::HeadResult gr;
  const std::vector<std::int32_t> expect = d.golden_out(s, &gr);
  EXPECT_EQ(skip.out.out, expect) << what << ": output differs from golden::attend_head";
  EXPECT_EQ(skip.out.result.lsb_refetched, gr.lsb_refetched) << what;
  EXPECT_EQ(skip.out.result.values_kept, gr.values_kept) << what;
  EXPECT_EQ(skip.out.result.max_prob, gr.max_prob) << what;
  // physical bound: no run moves bytes faster than the channels allow
  EXPECT_GE(static_cast<double>(skip.run.cycles) * p.hbm.channels * p.hbm.bytes_per_cycle,
            static_cast<double>(skip.run.dram_total))
      << what;
  return skip;
}

}  // namespace

TEST(CycleModelJobs, ValuesBitExactAcrossPresetsAndJobKinds) {
  std::mt19937_64 rng(spatten::test::test_seed());
  for (const char* preset : {"spatten-1-8", "spatten-paper", "alveo-u55c"}) {
    const c::AccelParams p = preset_params(preset);
    for (int dim : {64, 128}) {
      const JobData dense(300, dim, rng);
      check_job(p, dense, dense.spec(), "dense");
      const JobData pruned(600, dim, rng, 0.3, 0.5);  // a flat row: threshold 1.0 must refetch
      check_job(p, pruned, pruned.spec(), "pruned");
      c::HeadJobSpec requant = pruned.spec();
      requant.progressive = true;
      requant.requant_threshold_q16 = 65536;  // every row refetches
      const Ran r = check_job(p, pruned, requant, "requantized");
      EXPECT_TRUE(r.out.result.lsb_refetched);
      c::HeadJobSpec msb_only = pruned.spec();
      msb_only.progressive = true;
      msb_only.requant_threshold_q16 = 0;  // never refetches
      EXPECT_FALSE(check_job(p, pruned, msb_only, "msb only").out.result.lsb_refetched);
      c::HeadJobSpec vpruned = pruned.spec();
      vpruned.value_keep = std::max(1, pruned.n() / 5);
      check_job(p, pruned, vpruned, "value-pruned");
    }
  }
}

TEST(CycleModelJobs, DramBytesByKindMatchClosedForm) {
  std::mt19937_64 rng(spatten::test::test_seed());
  const c::AccelParams p = preset_params("spatten-1-8");
  const int tb = p.hbm.transaction_bytes;
  const JobData d(700, 64, rng, 0.5, 0.5);
  const auto n = static_cast<std::uint64_t>(d.n());
  // the live list is read in whole transactions
  const std::uint64_t live_bytes = (n * 4 + static_cast<std::uint64_t>(tb) - 1) / static_cast<std::uint64_t>(tb) *
                                   static_cast<std::uint64_t>(tb);
  auto row = [&](int bits) { return static_cast<std::uint64_t>(c::row_bytes(64, bits, tb)); };
  {  // dense, exact: both K planes and both V planes once
    const Ran r = check_job(p, d, d.spec(), "dense");
    EXPECT_EQ(kind(r.run, c::DramKind::kKMsb), n * row(8));
    EXPECT_EQ(kind(r.run, c::DramKind::kKLsb), n * row(4));
    EXPECT_EQ(kind(r.run, c::DramKind::kV), n * (row(8) + row(4)));
    EXPECT_EQ(kind(r.run, c::DramKind::kQ), row(12));
    EXPECT_EQ(kind(r.run, c::DramKind::kOut), 64u * 4);
    EXPECT_EQ(kind(r.run, c::DramKind::kMeta), 64u + live_bytes);
  }
  {  // progressive, not flat: MSB planes only
    c::HeadJobSpec s = d.spec();
    s.progressive = true;
    s.requant_threshold_q16 = 0;
    const Ran r = check_job(p, d, s, "msb only");
    EXPECT_EQ(kind(r.run, c::DramKind::kKMsb), n * row(8));
    EXPECT_EQ(kind(r.run, c::DramKind::kKLsb), 0u);
    EXPECT_EQ(kind(r.run, c::DramKind::kV), n * row(8));
    // the buffers hold what was fetched: 8-bit words
    EXPECT_EQ(r.run.ops.key_sram_write_bytes, n * 64);
    EXPECT_EQ(r.run.ops.value_sram_write_bytes, n * 64);
  }
  {  // progressive and flat: the MSBs stay in the key buffer, LSBs are fetched once
    c::HeadJobSpec s = d.spec();
    s.progressive = true;
    s.requant_threshold_q16 = 65536;
    const Ran r = check_job(p, d, s, "requant");
    EXPECT_EQ(kind(r.run, c::DramKind::kKMsb), n * row(8));
    EXPECT_EQ(kind(r.run, c::DramKind::kKLsb), n * row(4));
    EXPECT_EQ(kind(r.run, c::DramKind::kV), n * (row(8) + row(4)));
    EXPECT_EQ(kind(r.run, c::DramKind::kMeta), 64u + live_bytes) << "the live list is fetched once per job";
    EXPECT_EQ(r.run.ops.key_sram_write_bytes, n * 64 + n * 96) << "an 8-bit pass, then a 12-bit pass";
    EXPECT_EQ(r.run.ops.value_sram_write_bytes, n * 96);
  }
  {  // value pruning: only the kept V rows
    c::HeadJobSpec s = d.spec();
    s.value_keep = 37;
    const Ran r = check_job(p, d, s, "value pruned");
    EXPECT_EQ(kind(r.run, c::DramKind::kV), 37u * (row(8) + row(4)));
  }
}

TEST(CycleModelJobs, RequantBeyondTheKeyBufferRefetchesMsbs) {
  std::mt19937_64 rng(spatten::test::test_seed());
  c::AccelParams p = preset_params("spatten-1-8");
  p.key_sram_bytes = 100 * 128 * 12 / 8;  // room for 100 rows of the largest head
  const JobData d(400, 64, rng, 1.0, 0.5);
  c::HeadJobSpec s = d.spec();
  s.progressive = true;
  s.requant_threshold_q16 = 65536;
  const Ran r = check_job(p, d, s, "requant beyond buffer");
  const auto n = static_cast<std::uint64_t>(d.n());
  EXPECT_EQ(kind(r.run, c::DramKind::kKMsb), 2 * n * c::row_bytes(64, 8, 32));
  EXPECT_EQ(kind(r.run, c::DramKind::kKLsb), n * c::row_bytes(64, 4, 32));
}

TEST(CycleModelJobs, DenseLongJobIsMemoryBound) {
  std::mt19937_64 rng(spatten::test::test_seed());
  const c::AccelParams p = preset_params("spatten-1-8");
  const JobData d(32768, 64, rng);
  const Ran r = run_one(p, d.spec(), true);
  EXPECT_GE(r.run.hbm_utilization, 0.90) << "cycles " << r.run.cycles << " bytes " << r.run.dram_total;
}

TEST(CycleModelJobs, RejectsALatencyTheRtlCannotMeet) {
  c::AccelParams p = preset_params("spatten-1-8");
  p.qk_multipliers = 16;  // a 128-word row needs 8 multiply cycles + 3
  p.qk_adder_tree_latency = 10;
  EXPECT_THROW(c::Accelerator(p, true), std::invalid_argument);
  p.qk_adder_tree_latency = 11;
  EXPECT_NO_THROW(c::Accelerator(p, true));
}

TEST(CycleModelTopk, CascadeDecisionTakesTheEngineFormulaPlusTheWrite) {
  c::AccelParams p = preset_params("spatten-1-8");
  p.hbm.channels = 1;  // one channel, no outstanding limit: the write's round trip has the lone-request form
  p.hbm.max_outstanding = 100000;
  std::mt19937_64 rng(spatten::test::test_seed());
  for (int n : {10, 1000, 4096}) {
    for (int lanes : {1, 16}) {
      std::vector<std::uint64_t> v(static_cast<std::size_t>(n));
      for (auto& x : v) x = rng() % 1000;
      auto scratch = std::make_unique<g::TopkScratch<std::uint64_t, Cfg::max_context>>();
      std::vector<int> sel(v.size());
      g::TopkStats st;
      st.lanes = lanes;
      const int k = n / 3;
      g::topk_quickselect<std::uint64_t, Cfg::max_context>(v.data(), n, k, sel.data(), *scratch, &st);
      const c::Cycle engine = c::Accelerator::topk_cycles(st);
      // the formula, from the stats
      EXPECT_EQ(engine, st.beats + 3u * static_cast<c::Cycle>(st.passes) +
                            static_cast<c::Cycle>((n + lanes - 1) / lanes) + 3u);
      for (bool skip : {true, false}) {
        c::Accelerator acc(p, skip);
        acc.run_cascade_topk(c::TopkJobSpec{st, k, 0x1000});
        // the write of k ids: one cycle in the request slot, the round trip
        // latency + ceil(bytes/bpc) + 2, then one cycle for the controller to
        // take the response
        const auto bytes = static_cast<c::Cycle>(k) * 4;
        const c::Cycle write = 1 + p.hbm.latency_cycles + (bytes + 31) / 32 + 2 + 1;
        EXPECT_EQ(acc.now(), engine + write) << "n=" << n << " lanes=" << lanes << " skip=" << skip;
      }
    }
  }
}

TEST(CycleModelJobs, ParameterSweepKeepsValuesAndBounds) {
  std::mt19937_64 rng(spatten::test::test_seed());
  const JobData d(500, 64, rng, 0.6);
  c::HeadJobSpec s = d.spec();
  s.value_keep = 50;
  s.progressive = true;
  s.requant_threshold_q16 = 3277;
  for (int mult : {16, 64, 512}) {
    for (int lanes : {1, 4, 16}) {
      for (int channels : {1, 2, 16}) {
        c::Cycle previous = c::kNever;
        // buffers of 4, 64 and 2048 rows of the largest head (128 x 12 bits)
        for (std::int64_t rows : {2048, 64, 4}) {
          c::AccelParams p = preset_params("spatten-1-8");
          p.qk_multipliers = p.pv_multipliers = mult;
          p.qk_adder_tree_latency = std::max(8, (128 + mult - 1) / mult + 3);  // qk_unit.sv's minimum
          p.topk_parallelism = lanes;
          p.hbm.channels = channels;
          p.key_sram_bytes = p.value_sram_bytes = rows * 128 * 12 / 8;
          const Ran r = check_job(p, d, s, "sweep");
          // a smaller buffer never makes a job faster
          if (previous != c::kNever) {
            EXPECT_GE(r.run.cycles, previous) << "mult " << mult << " lanes " << lanes;
          }
          previous = r.run.cycles;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Token importance in the kernel's jobs (accelerator.h: clear, accumulate,
// decision). The expected cycles are written here from the definition, not
// from the model's helper.
namespace {

/// Cycles of a pass over `live` through importance rows of P words, counted
/// as a set of rows per aligned group of P positions.
std::uint64_t rows_by_groups(const std::vector<int>& live, int P) {
  std::uint64_t cycles = 0;
  for (std::size_t g0 = 0; g0 < live.size(); g0 += static_cast<std::size_t>(P)) {
    std::vector<int> rows;
    for (std::size_t i = g0; i < std::min(live.size(), g0 + static_cast<std::size_t>(P)); ++i) rows.push_back(live[i] / P);
    std::sort(rows.begin(), rows.end());
    cycles += static_cast<std::uint64_t>(std::unique(rows.begin(), rows.end()) - rows.begin());
  }
  return cycles;
}

std::vector<const char*> importance_presets() { return {"spatten-1-8", "alveo-u55c"}; }

}  // namespace

TEST(CycleModelImportance, AccumulateAddsTheFinalRowAfterTheValuePass) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  for (const char* preset : importance_presets()) {
    for (int P : {16, 5, 1}) {  // the preset's lanes, a non-power of two, one
      c::AccelParams p = preset_params(preset);
      p.topk_parallelism = P;
      for (double keep : {1.0, 0.3, 0.05}) {
        const JobData d(300, 64, rng, keep);
        c::HeadJobSpec plain = d.spec();
        plain.value_keep = d.n() / 2;
        c::HeadJobSpec acc = plain;
        acc.accumulate = true;
        c::Accelerator a0(p, true), a1(p, true);
        const c::HeadJobOutcome o0 = a0.run_head(plain);
        const c::HeadJobOutcome o1 = a1.run_head(acc);
        const std::string what = std::string(preset) + " P " + std::to_string(P) + " keep " + std::to_string(keep) +
                                 " SPATTEN_SEED=" + std::to_string(seed);
        const std::uint64_t rows = rows_by_groups(d.live, P);
        ASSERT_EQ(o1.out, o0.out) << what;
        EXPECT_EQ(o1.pv_done, o0.pv_done) << what << ": everything before the phase is unchanged";
        EXPECT_EQ(o1.accumulate_start, o1.pv_done + 1) << what;
        EXPECT_EQ(o1.accumulate_done - o1.accumulate_start + 1, rows + c::kImportanceLatency) << what;
        EXPECT_EQ(o1.end - o0.end, rows + c::kImportanceLatency) << what;
        EXPECT_EQ(o0.accumulate_start, c::kNever) << what;
        // values: the final probabilities at the live ids, nothing elsewhere
        std::vector<std::uint64_t> expect(static_cast<std::size_t>(Cfg::max_context), 0);
        for (int i = 0; i < d.n(); ++i)
          expect[static_cast<std::size_t>(d.live[static_cast<std::size_t>(i)])] += o1.prob[static_cast<std::size_t>(i)];
        EXPECT_EQ(a1.token_importance(), expect) << what;
        EXPECT_TRUE(std::all_of(a0.token_importance().begin(), a0.token_importance().end(),
                                [](std::uint64_t w) { return w == 0; }))
            << what << ": a job without the flag must not touch the importance";
        // a dense list costs about n / P rows, a sparse one up to n
        EXPECT_GE(rows, static_cast<std::uint64_t>((d.n() + P - 1) / P)) << what;
        EXPECT_LE(rows, static_cast<std::uint64_t>(d.n())) << what;
      }
    }
  }
}

TEST(CycleModelImportance, ClearTakesARowPerCycleAndKeepsNothing) {
  std::mt19937_64 rng(spatten::test::test_seed());
  for (const char* preset : importance_presets()) {
    const c::AccelParams p = preset_params(preset);
    const int P = p.topk_parallelism;
    const JobData d(100, 64, rng);
    c::HeadJobSpec s = d.spec();
    s.accumulate = true;
    c::Accelerator a(p, true);
    const c::HeadJobOutcome first = a.run_head(s);
    const c::HeadJobOutcome second = a.run_head(s);  // importance doubles
    for (int i = 0; i < d.n(); ++i)
      EXPECT_EQ(a.token_importance()[static_cast<std::size_t>(d.live[static_cast<std::size_t>(i)])],
                2u * first.prob[static_cast<std::size_t>(i)])
          << preset;
    s.clear_importance = true;
    const c::HeadJobOutcome cleared = a.run_head(s);  // back to one job's worth
    std::vector<std::uint64_t> expect(static_cast<std::size_t>(Cfg::max_context), 0);
    for (int i = 0; i < d.n(); ++i)
      expect[static_cast<std::size_t>(d.live[static_cast<std::size_t>(i)])] = cleared.prob[static_cast<std::size_t>(i)];
    EXPECT_EQ(a.token_importance(), expect) << preset;
    const auto clear_rows = static_cast<c::Cycle>((Cfg::max_context + P - 1) / P);
    EXPECT_EQ((cleared.end - cleared.start) - (second.end - second.start), clear_rows) << preset;
    EXPECT_EQ(second.end - second.start, first.end - first.start) << preset;
  }
}

TEST(CycleModelImportance, DecisionKeepsGoldensIdsWithItsPhaseTimes) {
  const std::uint64_t seed = spatten::test::test_seed();
  std::mt19937_64 rng(seed);
  for (const char* preset : importance_presets()) {
    const c::AccelParams p = preset_params(preset);
    const int P = p.topk_parallelism;
    c::Accelerator a(p, true);
    // importance from two heads over different lists
    const JobData d1(3000, 64, rng, 0.9), d2(3000, 64, rng, 0.5);
    c::HeadJobSpec s1 = d1.spec(), s2 = d2.spec();
    s1.accumulate = s2.accumulate = true;
    s1.clear_importance = true;
    a.run_head(s1);
    a.run_head(s2);
    const std::vector<std::uint64_t> imp = a.token_importance();
    for (int keep : {0, 7, 1000, 2500, 5000}) {
      const std::vector<int>& live = d1.live;
      c::DecisionJobSpec j;
      j.n = static_cast<int>(live.size());
      j.keep = keep;
      j.context_len = 3000;
      j.sink_tokens = 4;
      j.recent_tokens = 16;
      j.live = live.data();
      j.desc_addr = 0x100000;
      j.live_addr = 0x300000;
      j.out_addr = 0x500010;  // not page aligned: the first burst ends at the page
      j.status_addr = 0x600000;
      std::vector<c::LoggedRequest> log;
      a.memory().set_request_log(&log);
      const c::DecisionOutcome o = a.run_decision(j);
      a.memory().set_request_log(nullptr);
      const std::string what = std::string(preset) + " keep " + std::to_string(keep) + " SPATTEN_SEED=" + std::to_string(seed);
      // ids: the protected ones and the most important others (ties: lower id)
      std::vector<int> prot, cand;
      for (int t : live) (t < 4 || t >= 3000 - 16 ? prot : cand).push_back(t);
      std::stable_sort(cand.begin(), cand.end(), [&](int x, int y) {
        return imp[static_cast<std::size_t>(x)] > imp[static_cast<std::size_t>(y)];
      });
      std::vector<int> expect = prot;
      if (keep >= j.n) {
        expect = live;
      } else {
        const int k = std::clamp(keep - static_cast<int>(prot.size()), 0, static_cast<int>(cand.size()));
        expect.insert(expect.end(), cand.begin(), cand.begin() + k);
        std::sort(expect.begin(), expect.end());
      }
      ASSERT_EQ(o.kept, expect) << what;
      // phases: gather right after the live list, then top-k, emit, output
      EXPECT_EQ(o.topk_start == c::kNever ? o.emit_start : o.topk_start,
                o.gather_start + rows_by_groups(live, P) + c::kGatherLatency)
          << what;
      if (o.topk_start != c::kNever) {
        EXPECT_EQ(o.emit_start - o.topk_start, c::Accelerator::topk_cycles(o.stats)) << what;
      }
      // the engine runs only when it has a choice to make among the candidates
      const bool choice = keep < j.n && keep > static_cast<int>(prot.size());
      EXPECT_EQ(o.topk_start != c::kNever, choice) << what;
      EXPECT_EQ(o.output_start - o.emit_start, static_cast<c::Cycle>((j.n + P - 1) / P) + c::kEmitLatency) << what;
      // DRAM: descriptor, the list in whole transactions, the ids in bursts, the status
      std::uint64_t list_bytes = 0, id_bytes = 0;
      int id_writes = 0, status_writes = 0;
      for (const c::LoggedRequest& r : log) {
        if (!r.write && r.address >= 0x300000 && r.address < 0x400000) list_bytes += r.bytes;
        if (r.write && r.address >= 0x500000 && r.address < 0x600000) {
          EXPECT_EQ(r.address / 4096, (r.address + r.bytes - 1) / 4096) << what << ": a burst crosses 4 KiB";
          EXPECT_EQ(r.address, 0x500010u + id_bytes) << what << ": bursts in order";
          id_bytes += r.bytes;
          ++id_writes;
        }
        if (r.write && r.address == 0x600000) ++status_writes;
      }
      EXPECT_EQ(list_bytes, (live.size() * 4 + 31) / 32 * 32) << what;
      EXPECT_EQ(id_bytes, (o.kept.size() * 4 + 31) / 32 * 32) << what;
      // from 0x500010 (16 bytes into a page) the ids touch these pages
      EXPECT_EQ(id_writes, id_bytes == 0 ? 0 : static_cast<int>((0x10 + id_bytes - 1) / 4096 + 1)) << what;
      EXPECT_EQ(status_writes, 1) << what;
      EXPECT_EQ(a.token_importance(), imp) << what << ": a decision leaves the importance alone";
    }
  }
}

TEST(CycleModelImportance, IdleSkippingMatchesTickingThroughAccumulateClearAndDecisions) {
  std::mt19937_64 rng(spatten::test::test_seed());
  for (const char* preset : importance_presets()) {
    const c::AccelParams p = preset_params(preset);
    const JobData d(700, 64, rng, 0.6);
    c::HeadJobSpec s = d.spec();
    s.accumulate = true;
    s.clear_importance = true;
    c::DecisionJobSpec j;
    j.n = d.n();
    j.keep = d.n() / 3;
    j.context_len = 700;
    j.sink_tokens = 1;
    j.recent_tokens = 3;
    j.live = d.live.data();
    j.out_addr = 0x500000;
    j.status_addr = 0x600000;
    std::vector<c::Cycle> ends[2];
    std::vector<std::vector<int>> kept[2];
    for (int skip = 0; skip < 2; ++skip) {
      c::Accelerator a(p, skip == 1);
      ends[skip].push_back(a.run_head(s).end);
      const c::DecisionOutcome o = a.run_decision(j);
      ends[skip].push_back(o.end);
      kept[skip].push_back(o.kept);
      j.clear_importance = true;  // a decision on zeros: the tie rule
      const c::DecisionOutcome z = a.run_decision(j);
      j.clear_importance = false;
      ends[skip].push_back(z.end);
      kept[skip].push_back(z.kept);
    }
    EXPECT_EQ(ends[0], ends[1]) << preset;
    EXPECT_EQ(kept[0], kept[1]) << preset;
  }
}
