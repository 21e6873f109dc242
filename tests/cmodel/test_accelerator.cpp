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
