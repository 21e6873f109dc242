// Golden numerics: rounding primitives, quantization, MSB/LSB planes, and the
// accumulator widths (never wrap at the extremes, and are not wider than needed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "golden_test_configs.h"
#include "spatten/golden.h"
#include "spatten_test_seed.h"

namespace g = spatten::golden;
namespace t = spatten::test;

TEST(Fixed, RoundShiftSignedIsFloorOfXPlusHalf) {
  std::mt19937_64 rng(t::test_seed());
  for (int s = 0; s <= 40; ++s) {
    for (int i = 0; i < 2000; ++i) {
      const auto x = static_cast<std::int64_t>(rng() >> 20) - (std::int64_t{1} << 43);
      const long double expect = std::floor(static_cast<long double>(x) / std::ldexp(1.0L, s) + 0.5L);
      ASSERT_EQ(g::round_shift_signed(x, s), static_cast<std::int64_t>(expect)) << "x=" << x << " s=" << s;
    }
  }
  // ties go up (towards +infinity), for both signs
  EXPECT_EQ(g::round_shift_signed(-3, 1), -1);  // -1.5 -> -1
  EXPECT_EQ(g::round_shift_signed(3, 1), 2);    //  1.5 ->  2
  EXPECT_EQ(g::round_shift_signed(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(g::round_shift_signed(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(g::round_shift_signed(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(g::floor_shift_signed(-7, 2), -2);
  EXPECT_EQ(g::floor_shift_signed(-8, 2), -2);
  EXPECT_EQ(g::floor_shift_signed(-9, 2), -3);
  EXPECT_EQ(g::round_shift_unsigned(5, 1), 3u);
  EXPECT_EQ(g::round_shift_unsigned(4, 1), 2u);
  EXPECT_EQ(g::round_shift_unsigned(~std::uint64_t{0}, 64), 0u);
}

TEST(Fixed, CeilLog2) {
  EXPECT_EQ(g::ceil_log2(1), 0);
  EXPECT_EQ(g::ceil_log2(2), 1);
  EXPECT_EQ(g::ceil_log2(64), 6);
  EXPECT_EQ(g::ceil_log2(80), 7);
  EXPECT_EQ(g::ceil_log2(96), 7);
  EXPECT_EQ(g::ceil_log2(128), 7);
  EXPECT_EQ(g::ceil_log2(129), 8);
}

// ---- MSB/LSB planes: exhaustive over every word of every width pair ---------
template <int M, int L>
void check_planes_exhaustive() {
  constexpr std::int32_t lo = static_cast<std::int32_t>(g::signed_min(M + L));
  constexpr std::int32_t hi = static_cast<std::int32_t>(g::signed_max(M + L));
  for (std::int32_t w = lo; w <= hi; ++w) {
    const g::PlaneWord p = g::split_planes<M, L>(w);
    ASSERT_TRUE(g::fits_signed(p.msb, M)) << "msb out of range, w=" << w << " m=" << M << " l=" << L;
    ASSERT_LT(p.lsb, 1u << L);
    ASSERT_EQ(g::reassemble<L>(p.msb, p.lsb), w) << "m=" << M << " l=" << L;
    const std::int32_t approx = g::msb_only<L>(p.msb);
    const std::int32_t err = std::abs(approx - w);
    ASSERT_LE(err, L > 0 ? (1 << (L - 1)) : 0) << "w=" << w;
    ASSERT_TRUE(g::fits_signed(approx, M + L)) << "MSB-only word leaves the word range, w=" << w;
  }
}

TEST(Planes, SplitAndReassembleExactForEveryWord) {
  check_planes_exhaustive<6, 4>();
  check_planes_exhaustive<8, 4>();
  check_planes_exhaustive<12, 0>();
  check_planes_exhaustive<12, 4>();
  check_planes_exhaustive<4, 12>();
  check_planes_exhaustive<1, 15>();
  check_planes_exhaustive<3, 1>();
  check_planes_exhaustive<7, 5>();
}

TEST(Planes, HandWorkedExamples) {
  // -1 in 6+4: msb = floor(-1/16) = -1, lsb = 15
  EXPECT_EQ((g::split_planes<6, 4>(-1).msb), -1);
  EXPECT_EQ((g::split_planes<6, 4>(-1).lsb), 15u);
  EXPECT_EQ((g::split_planes<6, 4>(37).msb), 2);
  EXPECT_EQ((g::split_planes<6, 4>(37).lsb), 5u);
  EXPECT_EQ(g::msb_only<4>(2), 40);   // 2*16 + 8
  EXPECT_EQ(g::msb_only<4>(-1), -8);  // -16 + 8
  EXPECT_EQ(g::msb_only<0>(-5), -5);
}

// ---- quantization from float -------------------------------------------------
TEST(Quantize, ScaleRuleRoundingAndClamp) {
  EXPECT_DOUBLE_EQ(g::symmetric_scale(2047.0, 12), 1.0);
  EXPECT_DOUBLE_EQ(g::symmetric_scale(0.0, 12), 1.0);
  EXPECT_EQ(g::quantize(2.5, 1.0, 12), 3);    // half away from zero
  EXPECT_EQ(g::quantize(-2.5, 1.0, 12), -3);
  EXPECT_EQ(g::quantize(1e9, 1.0, 12), 2047);  // symmetric clamp
  EXPECT_EQ(g::quantize(-1e9, 1.0, 12), -2047);
  const float x[4] = {0.5f, -1.0f, 0.25f, 0.0f};
  std::int32_t q[4];
  const double s = g::quantize_vector(x, 4, 8, q);
  EXPECT_DOUBLE_EQ(s, 1.0 / 127.0);
  EXPECT_EQ(q[0], 64);  // 63.5 -> 64
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[2], 32);  // 31.75 -> 32
  EXPECT_EQ(q[3], 0);
  const float zeros[3] = {0.f, 0.f, 0.f};
  std::int32_t qz[3];
  EXPECT_DOUBLE_EQ(g::quantize_vector(zeros, 3, 12, qz), 1.0);
  EXPECT_EQ(qz[0], 0);
}

TEST(Quantize, ErrorAtMostHalfAStep) {
  std::mt19937_64 rng(t::test_seed());
  std::normal_distribution<float> n01(0.f, 1.f);
  for (int bits : {4, 8, 12, 16}) {
    std::vector<float> x(4096);
    for (float& v : x) v = n01(rng);
    std::vector<std::int32_t> q(x.size());
    const double s = g::quantize_vector(x.data(), static_cast<int>(x.size()), bits, q.data());
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_LE(std::fabs(q[i] * s - static_cast<double>(x[i])), 0.5 * s * (1 + 1e-12)) << "bits=" << bits;
      ASSERT_TRUE(g::fits_signed(q[i], bits));
    }
  }
}

// ---- Q·K accumulator: extremes of every supported width ----------------------
template <int QB, int KM, int KL, int D>
void check_qk_extremes() {
  using C = t::Cfg<QB, KM, KL, 8, 4, 10, 16, 4, 1024, D>;
  using N = g::Numerics<C>;
  constexpr int KB = KM + KL;
  std::vector<std::int32_t> q(D), k(D);
  // most negative * most negative: the largest positive sum
  for (int d = 0; d < D; ++d) {
    q[static_cast<std::size_t>(d)] = static_cast<std::int32_t>(g::signed_min(QB));
    k[static_cast<std::size_t>(d)] = static_cast<std::int32_t>(g::signed_min(KB));
  }
  const std::int64_t pos = g::dot_qk<C>(q.data(), k.data(), D);
  EXPECT_EQ(pos, static_cast<std::int64_t>(D) * (std::int64_t{1} << (QB + KB - 2)));
  EXPECT_TRUE(g::fits_signed(pos, N::qk_acc_bits)) << "Q·K wraps at qb=" << QB << " kb=" << KB << " D=" << D;
  // most negative * most positive: the most negative sum
  for (int d = 0; d < D; ++d) k[static_cast<std::size_t>(d)] = static_cast<std::int32_t>(g::signed_max(KB));
  const std::int64_t neg = g::dot_qk<C>(q.data(), k.data(), D);
  EXPECT_TRUE(g::fits_signed(neg, N::qk_acc_bits));
  // the width is tight when D is a power of two: one bit less would wrap
  if ((D & (D - 1)) == 0) {
    EXPECT_FALSE(g::fits_signed(pos, N::qk_acc_bits - 1)) << "qk_acc_bits is wider than needed";
  }
}

TEST(Accumulators, QkNeverWrapsAtExtremes) {
  check_qk_extremes<12, 8, 4, 64>();
  check_qk_extremes<12, 8, 4, 80>();
  check_qk_extremes<12, 8, 4, 96>();
  check_qk_extremes<12, 8, 4, 128>();
  check_qk_extremes<16, 6, 4, 64>();
  check_qk_extremes<16, 12, 4, 128>();
  check_qk_extremes<16, 12, 4, 256>();
  check_qk_extremes<4, 3, 1, 64>();
  check_qk_extremes<12, 12, 0, 128>();
  check_qk_extremes<1, 1, 0, 16>();
}

template <class C>
void check_pv_extremes() {
  using N = g::Numerics<C>;
  // p = 1.0 on v = -2^(v_bits-1) is the largest magnitude the prob·V sum can reach
  const std::int64_t acc = static_cast<std::int64_t>(N::prob_one) * g::signed_min(N::v_bits);
  EXPECT_TRUE(g::fits_signed(acc, N::pv_acc_bits));
  EXPECT_FALSE(g::fits_signed(acc - 1, N::pv_acc_bits));
  const std::int64_t out = g::round_shift_signed(acc, N::prob_frac_bits - N::out_frac_bits);
  EXPECT_TRUE(g::fits_signed(out, N::out_bits));
  const std::int64_t out_pos = g::round_shift_signed(static_cast<std::int64_t>(N::prob_one) * g::signed_max(N::v_bits),
                                                     N::prob_frac_bits - N::out_frac_bits);
  EXPECT_TRUE(g::fits_signed(out_pos, N::out_bits));
}

TEST(Accumulators, ProbVNeverWrapsAtExtremes) {
  check_pv_extremes<t::Default>();
  check_pv_extremes<t::Per8>();
  check_pv_extremes<t::Plain12>();
  check_pv_extremes<t::Widest>();
  check_pv_extremes<t::Narrow>();
}

// ---- score scaling -------------------------------------------------------------
TEST(ScoreScale, RelativeErrorAtMost2ToMinus16) {
  std::mt19937_64 rng(t::test_seed());
  std::uniform_real_distribution<double> e(-30.0, 15.0);
  for (int i = 0; i < 20000; ++i) {
    const double f = std::exp2(e(rng));
    const g::ScoreScale s = g::make_score_scale(f);
    ASSERT_LT(s.mult, 65536u);
    ASSERT_GE(s.mult, 32768u) << f;
    ASSERT_LE(std::fabs(g::score_scale_value(s) - f) / f, std::ldexp(1.0, -16)) << f;
  }
  EXPECT_EQ(g::make_score_scale(0.0).mult, 0u);
  const g::ScoreScale big = g::make_score_scale(1e9);
  EXPECT_EQ(big.mult, 65535u);
  EXPECT_EQ(big.shift, 0);
}

TEST(ScoreScale, LogitRoundsAndClamps) {
  using C = t::Default;
  using N = g::Numerics<C>;
  const g::ScoreScale half{1, 1};
  EXPECT_EQ(g::score_to_logit<C>(3, half), 2);    // 1.5 -> 2
  EXPECT_EQ(g::score_to_logit<C>(-3, half), -1);  // -1.5 -> -1
  const g::ScoreScale big{65535, 0};
  EXPECT_EQ(g::score_to_logit<C>(std::int64_t{1} << 38, big), N::logit_max);
  EXPECT_EQ(g::score_to_logit<C>(-(std::int64_t{1} << 38), big), -N::logit_max);
}
