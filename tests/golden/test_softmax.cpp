// Golden softmax against a double softmax of the same fixed-point logits.
// The bounds checked here are the ones stated in hls/README.md (Numerics).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "golden_test_configs.h"
#include "spatten/golden.h"
#include "spatten/reference/float_attention.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;
namespace t = spatten::test;

namespace {

/// Relative error allowed on each exponential (LUT rounding, interpolation and
/// the Q.16 exponent rounding), plus half an LSB of the Q0.24 result.
constexpr double kExpRelBound = 0x1p-15;
constexpr double kExpAbsBound = 0x1p-25;

/// The stated bound on one probability (S = sum_i exp(x_i - max) >= 1):
///   one LSB for the truncation,
///   + the absolute rounding of its own exponential, 2^-25 / S,
///   + p * (relative error of numerator and sum, 2 * 2^-15,
///          + the rounding of every e_i in the sum, n * 2^-25 / S,
///          + the reciprocal's truncation, n * 2^-38).
double prob_bound(double p_ref, int n, double s_real, int prob_frac_bits) {
  return std::ldexp(1.0, -prob_frac_bits) + kExpAbsBound / s_real +
         p_ref * (2.0 * kExpRelBound + n * kExpAbsBound / s_real + n * 0x1p-38) + 1e-15;
}

template <class C>
struct SoftmaxCheck {
  double worst_ratio = 0.0;  // max over elements of |err| / bound

  void run(const std::vector<std::int32_t>& logit, const char* what) {
    using N = g::Numerics<C>;
    const int n = static_cast<int>(logit.size());
    std::vector<std::uint32_t> prob(logit.size());
    const g::SoftmaxRow row = g::softmax_row<C>(logit.data(), n, prob.data());
    std::vector<double> x(logit.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::ldexp(static_cast<double>(logit[i]), -N::logit_frac_bits);
    const std::vector<double> ref = spatten::reference::softmax(x.data(), n);
    const double m = *std::max_element(x.begin(), x.end());
    double s_real = 0.0;
    for (double v : x) s_real += std::exp(v - m);
    std::uint64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      const auto iu = static_cast<std::size_t>(i);
      sum += prob[iu];
      const double p = std::ldexp(static_cast<double>(prob[iu]), -N::prob_frac_bits);
      const double err = std::fabs(p - ref[iu]);
      const double bound = prob_bound(ref[iu], n, s_real, N::prob_frac_bits);
      worst_ratio = std::max(worst_ratio, err / bound);
      ASSERT_LE(err, bound) << what << ": i=" << i << " n=" << n << " logit=" << logit[iu] << " p=" << p
                            << " ref=" << ref[iu];
    }
    // truncation keeps the row sum at or below 1.0
    ASSERT_LE(sum, N::prob_one) << what;
    ASSERT_EQ(row.max_prob, *std::max_element(prob.begin(), prob.end())) << what;
    ASSERT_EQ(logit[static_cast<std::size_t>(row.argmax)], *std::max_element(logit.begin(), logit.end())) << what;
    // monotone: a larger logit never gets a smaller probability
    std::vector<std::size_t> order(logit.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return logit[a] < logit[b]; });
    for (std::size_t i = 1; i < order.size(); ++i) ASSERT_LE(prob[order[i - 1]], prob[order[i]]) << what;
  }
};

}  // namespace

TEST(Softmax, LutEntriesAreRoundedPowersOfTwo) {
  for (int j = 0; j <= 64; ++j) {
    const long double v = std::ldexp(std::exp2(-static_cast<long double>(j) / 64.0L), 24);
    EXPECT_EQ(g::kExp2NegLut[j], static_cast<std::uint32_t>(std::llround(v))) << "j=" << j;
  }
}

TEST(Softmax, ExponentialErrorBound) {
  using C = t::Default;
  using N = g::Numerics<C>;
  double worst = 0.0;
  for (std::uint64_t x = 0; x < (std::uint64_t{40} << N::logit_frac_bits); x += 7) {
    const double ref = std::exp(-std::ldexp(static_cast<double>(x), -N::logit_frac_bits));
    const double e = std::ldexp(static_cast<double>(g::exp_neg_logit<C>(x)), -24);
    const double err = std::fabs(e - ref);
    const double bound = ref * kExpRelBound + kExpAbsBound;
    worst = std::max(worst, err / bound);
    ASSERT_LE(err, bound) << "x=" << x;
  }
  EXPECT_EQ(g::exp_neg_logit<C>(0), 1u << 24);
  std::cout << "[ info     ] worst exp error / bound = " << worst << "\n";
}

TEST(Softmax, LengthOneIsExactlyOne) {
  using C = t::Default;
  std::int32_t l = -12345;
  std::uint32_t p = 0;
  g::softmax_row<C>(&l, 1, &p);
  EXPECT_EQ(p, g::Numerics<C>::prob_one);
}

TEST(Softmax, OneHotIsExactlyOneAndZeros) {
  using C = t::Default;
  using N = g::Numerics<C>;
  std::vector<std::int32_t> l(1000, -static_cast<std::int32_t>(N::logit_max));
  l[417] = static_cast<std::int32_t>(N::logit_max);
  std::vector<std::uint32_t> p(l.size());
  const auto row = g::softmax_row<C>(l.data(), 1000, p.data());
  EXPECT_EQ(row.argmax, 417);
  EXPECT_EQ(p[417], N::prob_one);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i != 417) {
      ASSERT_EQ(p[i], 0u) << "i=" << i;
    }
  }
}

TEST(Softmax, AllEqualIsUniform) {
  using C = t::Default;
  using N = g::Numerics<C>;
  for (int n : {1, 2, 3, 7, 100, 993, 1024, 32768}) {
    std::vector<std::int32_t> l(static_cast<std::size_t>(n), 4242);
    std::vector<std::uint32_t> p(l.size());
    g::softmax_row<C>(l.data(), n, p.data());
    // S = n * 2^24 exactly, so p = floor(2^24 * floor(2^62 / S) / 2^46)
    const std::uint64_t recip = (std::uint64_t{1} << 62) / (static_cast<std::uint64_t>(n) << 24);
    const auto expect = static_cast<std::uint32_t>(((std::uint64_t{1} << 24) * recip) >> (62 - N::prob_frac_bits));
    for (std::uint32_t v : p) ASSERT_EQ(v, expect) << "n=" << n;
    EXPECT_LE(N::prob_one / static_cast<std::uint32_t>(n) - expect, 1u) << "n=" << n;
  }
}

template <class C>
void random_rows(std::uint64_t seed) {
  using N = g::Numerics<C>;
  std::mt19937_64 rng(seed);
  SoftmaxCheck<C> check;
  const int sizes[] = {1, 2, 5, 64, 993, 1024, 4096, 32768};
  for (int n : sizes) {
    if (n > C::max_context) continue;
    for (double spread : {0.01, 1.0, 4.0, 12.0, 40.0}) {
      std::normal_distribution<double> d(0.0, spread);
      std::vector<std::int32_t> l(static_cast<std::size_t>(n));
      for (auto& v : l)
        v = static_cast<std::int32_t>(g::clamp_i64(std::llround(std::ldexp(d(rng), N::logit_frac_bits)),
                                                   -N::logit_max, N::logit_max));
      check.run(l, "gaussian");
    }
    // peaked: one or a few large logits over a flat field (decode-like rows)
    std::vector<std::int32_t> l(static_cast<std::size_t>(n));
    std::uniform_int_distribution<std::int32_t> low(-(3 << N::logit_frac_bits), 0);
    for (auto& v : l) v = low(rng);
    for (int j = 0; j < 3 && n > 0; ++j) l[rng() % static_cast<std::uint64_t>(n)] = 9 << N::logit_frac_bits;
    check.run(l, "peaked");
  }
  // adversarial: huge range, all negative, extremes of the logit word
  std::vector<std::int32_t> huge = {static_cast<std::int32_t>(N::logit_max), -static_cast<std::int32_t>(N::logit_max),
                                    0, 1, -1, static_cast<std::int32_t>(N::logit_max) - 1};
  check.run(huge, "huge range");
  std::vector<std::int32_t> neg(2048);
  for (std::size_t i = 0; i < neg.size(); ++i) neg[i] = -static_cast<std::int32_t>(i * 37 + 100000);
  check.run(neg, "all negative");
  // many tiny terms that each round: the sum-rounding term of the bound
  if (C::max_context >= 32768) {
    std::vector<std::int32_t> tiny(32768, -(12 << N::logit_frac_bits));
    tiny[0] = 0;
    check.run(tiny, "one large, 32767 tiny");
  }
  std::cout << "[ info     ] worst probability error / stated bound = " << check.worst_ratio << "\n";
}

TEST(Softmax, ErrorBoundDefaultConfig) { random_rows<t::Default>(t::test_seed()); }
TEST(Softmax, ErrorBoundWidestConfig) { random_rows<t::Widest>(t::test_seed()); }
TEST(Softmax, ErrorBoundNarrowConfig) { random_rows<t::Narrow>(t::test_seed()); }
