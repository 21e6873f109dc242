// One decode attention row (attend_head) against the double reference, and the
// progressive-quantization and value-pruning paths against their definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "golden_test_configs.h"
#include "spatten/golden.h"
#include "spatten/reference/float_attention.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;
namespace t = spatten::test;

namespace {

/// One head's float data, its quantized planes and the scales that tie them.
template <class C>
struct Head {
  using N = g::Numerics<C>;
  int n, d;
  std::vector<double> q, k, v;  // float originals (k, v token-major)
  std::vector<std::int32_t> qw;
  std::vector<std::int16_t> k_msb, v_msb;
  std::vector<std::uint16_t> k_lsb, v_lsb;
  std::vector<std::int32_t> v_words;  // exact V words
  double sq = 1, sk = 1, sv = 1;
  std::vector<int> live;

  /// Gaussian K/V; the query leans towards a few keys so that rows are peaked
  /// like decode attention (`peak` scales how much).
  Head(int n_, int d_, double peak, std::mt19937_64& rng) : n(n_), d(d_) {
    std::normal_distribution<double> n01(0.0, 1.0);
    const auto nd = static_cast<std::size_t>(n) * static_cast<std::size_t>(d);
    k.resize(nd);
    v.resize(nd);
    q.assign(static_cast<std::size_t>(d), 0.0);
    for (auto& x : k) x = n01(rng);
    for (auto& x : v) x = n01(rng);
    for (int j = 0; j < 3; ++j) {
      const auto tok = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(n));
      for (int c = 0; c < d; ++c) q[static_cast<std::size_t>(c)] += peak * k[tok * static_cast<std::size_t>(d) + static_cast<std::size_t>(c)] / 3.0;
    }
    for (auto& x : q) x += 0.3 * n01(rng);
    quantize_all();
    live.resize(static_cast<std::size_t>(n));
    std::iota(live.begin(), live.end(), 0);
  }

  static double max_abs(const std::vector<double>& x) {
    double m = 0;
    for (double e : x) m = std::max(m, std::fabs(e));
    return m;
  }

  void quantize_all() {
    constexpr int KB = N::k_bits, VB = N::v_bits;
    sq = g::symmetric_scale(max_abs(q), N::q_bits);
    sk = g::symmetric_scale(max_abs(k), KB);
    sv = g::symmetric_scale(max_abs(v), VB);
    for (double x : q) qw.push_back(g::quantize(x, sq, N::q_bits));
    for (double x : k) {
      const g::PlaneWord p = g::split_planes<C::k_msb_bits, C::k_lsb_bits>(g::quantize(x, sk, KB));
      k_msb.push_back(p.msb);
      k_lsb.push_back(p.lsb);
    }
    for (double x : v) {
      const std::int32_t w = g::quantize(x, sv, VB);
      v_words.push_back(w);
      const g::PlaneWord p = g::split_planes<C::v_msb_bits, C::v_lsb_bits>(w);
      v_msb.push_back(p.msb);
      v_lsb.push_back(p.lsb);
    }
  }

  g::KvPlanes planes() const { return g::KvPlanes{k_msb.data(), k_lsb.data(), v_msb.data(), v_lsb.data()}; }

  g::HeadJob job() const {
    g::HeadJob j;
    j.n = n;
    j.head_dim = d;
    j.scale = g::make_score_scale(sq * sk / std::sqrt(static_cast<double>(d)) * std::ldexp(1.0, N::logit_frac_bits));
    j.value_keep = n;
    return j;
  }

  double out_real(std::int32_t w) const { return std::ldexp(static_cast<double>(w), -N::out_frac_bits) * sv; }
};

template <class C>
struct HeadRunner {
  std::unique_ptr<g::HeadScratch<C>> s = std::make_unique<g::HeadScratch<C>>();
  std::vector<std::int32_t> out = std::vector<std::int32_t>(static_cast<std::size_t>(C::max_head_dim));
  g::HeadResult operator()(const Head<C>& h, const g::HeadJob& j) {
    return g::attend_head<C>(h.qw.data(), h.planes(), h.live.data(), j, out.data(), *s);
  }
};

/// Tolerance of the dense 12-bit datapath against float attention on the
/// original (unquantized) data, as a fraction of max|V|: quantizing Q and K to
/// 12 bits moves the logits, V to 12 bits moves the rows. Stated in hls/README.md.
constexpr double kDenseFloatTol = 0.005;

}  // namespace

template <class C>
void dense_vs_float(std::uint64_t seed, double tol) {
  std::mt19937_64 rng(seed);
  HeadRunner<C> run;
  double worst = 0;
  for (int d : {64, 80, 96, 128}) {
    if (d > C::max_head_dim) continue;
    for (int n : {1, 17, 993, 4096}) {
      for (double peak : {0.5, 3.0, 8.0}) {
        Head<C> h(n, d, peak, rng);
        const g::HeadResult r = run(h, h.job());
        EXPECT_FALSE(r.lsb_refetched);
        EXPECT_EQ(r.values_kept, n);
        const std::vector<double> ref = spatten::reference::attention(h.q.data(), h.k.data(), h.v.data(),
                                                                      h.live.data(), n, d);
        const double vmax = Head<C>::max_abs(h.v);
        for (int c = 0; c < d; ++c) {
          const double err = std::fabs(h.out_real(run.out[static_cast<std::size_t>(c)]) - ref[static_cast<std::size_t>(c)]);
          worst = std::max(worst, err / vmax);
          ASSERT_LE(err, tol * vmax) << "d=" << d << " n=" << n << " peak=" << peak << " dim " << c;
        }
      }
    }
  }
  std::cout << "[ info     ] worst |out - float| / max|V| = " << worst << "\n";
}

TEST(Attention, DenseMatchesFloatReferenceDefault) { dense_vs_float<t::Default>(t::test_seed(), kDenseFloatTol); }
TEST(Attention, DenseMatchesFloatReferencePlain12) { dense_vs_float<t::Plain12>(t::test_seed(), kDenseFloatTol); }

/// With the same integer words on both sides, the only differences left are the
/// fixed-point logit rounding, the softmax approximation and the output rounding.
TEST(Attention, DatapathMatchesFloatOnSameWords) {
  using C = t::Default;
  using N = g::Numerics<C>;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> run;
  for (int n : {1, 100, 993, 32768}) {
    Head<C> h(n, 64, 4.0, rng);
    const g::HeadJob j = h.job();
    run(h, j);
    const double scale = g::score_scale_value(j.scale) / std::ldexp(1.0, N::logit_frac_bits);
    std::vector<double> logit(static_cast<std::size_t>(n));
    std::vector<std::int32_t> kw(64);
    for (int i = 0; i < n; ++i) {
      for (int c = 0; c < 64; ++c) {
        const auto idx = static_cast<std::size_t>(i * 64 + c);
        kw[static_cast<std::size_t>(c)] = g::reassemble<C::k_lsb_bits>(h.k_msb[idx], h.k_lsb[idx]);
      }
      logit[static_cast<std::size_t>(i)] = static_cast<double>(g::dot_qk<C>(h.qw.data(), kw.data(), 64)) * scale;
    }
    const std::vector<double> p = spatten::reference::softmax(logit.data(), n);
    double vmax = 0;
    for (auto w : h.v_words) vmax = std::max(vmax, std::fabs(static_cast<double>(w)));
    const double bound =
        vmax * (n * std::ldexp(1.0, -N::prob_frac_bits) + std::ldexp(1.0, -(N::logit_frac_bits - 1)) + 0x1p-13) +
        std::ldexp(1.0, -(N::out_frac_bits + 1));
    for (int c = 0; c < 64; ++c) {
      double ref = 0;
      for (int i = 0; i < n; ++i) ref += p[static_cast<std::size_t>(i)] * h.v_words[static_cast<std::size_t>(i * 64 + c)];
      const double got = std::ldexp(static_cast<double>(run.out[static_cast<std::size_t>(c)]), -N::out_frac_bits);
      ASSERT_LE(std::fabs(got - ref), bound) << "n=" << n << " dim " << c;
    }
  }
}

TEST(Attention, ProgressiveThresholdOneRefetchesAndEqualsExact) {
  using C = t::Per8;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> exact, prog;
  for (int n : {2, 50, 993}) {
    Head<C> h(n, 64, 2.0, rng);
    g::HeadJob j = h.job();
    exact(h, j);
    j.progressive = true;
    j.requant_threshold_q16 = 65536;
    const g::HeadResult r = prog(h, j);
    ASSERT_TRUE(r.lsb_refetched) << "max prob " << r.msb_max_prob;
    EXPECT_EQ(prog.out, exact.out) << "n=" << n;
  }
}

TEST(Attention, ProgressiveThresholdZeroUsesMsbOnlyWords) {
  using C = t::Per8;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> prog, manual;
  Head<C> h(300, 64, 2.0, rng);
  g::HeadJob j = h.job();
  j.progressive = true;
  j.requant_threshold_q16 = 0;
  const g::HeadResult r = prog(h, j);
  EXPECT_FALSE(r.lsb_refetched);
  EXPECT_EQ(r.max_prob, r.msb_max_prob);
  // The same job on planes whose LSBs are replaced by the midpoint is exact, so
  // it must give the MSB-only result bit for bit.
  Head<C> mid = h;
  std::fill(mid.k_lsb.begin(), mid.k_lsb.end(), std::uint16_t{1u << (C::k_lsb_bits - 1)});
  std::fill(mid.v_lsb.begin(), mid.v_lsb.end(), std::uint16_t{1u << (C::v_lsb_bits - 1)});
  g::HeadJob jm = mid.job();
  jm.scale = j.scale;
  manual(mid, jm);
  EXPECT_EQ(prog.out, manual.out);
}

TEST(Attention, RequantDecisionFollowsThreshold) {
  using C = t::Per8;
  using N = g::Numerics<C>;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> run;
  int flat = 0, sharp = 0;
  for (int trial = 0; trial < 60; ++trial) {
    Head<C> h(200 + trial * 10, 64, 0.5 + 0.2 * trial, rng);
    g::HeadJob j = h.job();
    j.progressive = true;
    j.requant_threshold_q16 = 3277;  // 0.05
    const g::HeadResult r = run(h, j);
    const bool expect = (std::uint64_t{r.msb_max_prob} << 16) < (std::uint64_t{3277} << N::prob_frac_bits);
    ASSERT_EQ(r.lsb_refetched, expect) << "trial " << trial;
    (r.lsb_refetched ? flat : sharp)++;
  }
  EXPECT_GT(flat, 0) << "the sweep should produce some flat rows";
  EXPECT_GT(sharp, 0) << "the sweep should produce some sharp rows";
}

TEST(Attention, ValuePruningUsesExactlyTheTopProbabilities) {
  using C = t::Default;
  using N = g::Numerics<C>;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> run;
  for (int keep : {1, 7, 100, 993}) {
    Head<C> h(993, 64, 3.0, rng);
    g::HeadJob j = h.job();
    j.value_keep = keep;
    const g::HeadResult r = run(h, j);
    ASSERT_EQ(r.values_kept, keep);
    // independent selection by sort from the same probabilities
    std::vector<int> idx(993);
    std::iota(idx.begin(), idx.end(), 0);
    const std::uint32_t* p = run.s->prob;
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return p[a] > p[b]; });
    idx.resize(static_cast<std::size_t>(keep));
    std::sort(idx.begin(), idx.end());
    for (int i = 0; i < keep; ++i) ASSERT_EQ(run.s->value_sel[i], idx[static_cast<std::size_t>(i)]);
    for (int c = 0; c < 64; ++c) {
      std::int64_t acc = 0;
      for (int i : idx) acc += std::int64_t{p[i]} * h.v_words[static_cast<std::size_t>(i * 64 + c)];
      ASSERT_EQ(run.out[static_cast<std::size_t>(c)], g::round_shift_signed(acc, N::prob_frac_bits - N::out_frac_bits))
          << "keep=" << keep << " dim " << c;
    }
  }
}

TEST(Attention, GathersThroughTheLiveList) {
  using C = t::Default;
  std::mt19937_64 rng(t::test_seed());
  HeadRunner<C> full, sub;
  Head<C> h(500, 64, 3.0, rng);
  // A live list of every third token must equal a head built from those rows only.
  Head<C> compact = h;
  std::vector<int> live;
  for (int i = 0; i < 500; i += 3) live.push_back(i);
  compact.n = static_cast<int>(live.size());
  compact.k_msb.clear(); compact.k_lsb.clear(); compact.v_msb.clear(); compact.v_lsb.clear();
  for (int tkn : live)
    for (int c = 0; c < 64; ++c) {
      const auto idx = static_cast<std::size_t>(tkn * 64 + c);
      compact.k_msb.push_back(h.k_msb[idx]);
      compact.k_lsb.push_back(h.k_lsb[idx]);
      compact.v_msb.push_back(h.v_msb[idx]);
      compact.v_lsb.push_back(h.v_lsb[idx]);
    }
  compact.live.resize(live.size());
  std::iota(compact.live.begin(), compact.live.end(), 0);
  Head<C> gathered = h;
  gathered.live = live;
  gathered.n = compact.n;
  g::HeadJob jg = gathered.job();
  g::HeadJob jc = compact.job();
  jc.scale = jg.scale = h.job().scale;
  full(gathered, jg);
  sub(compact, jc);
  EXPECT_EQ(full.out, sub.out);
}
