// spatten/softmax.h — the fixed-point softmax of one score row.
//
// Input: n logits in Q.logit_frac_bits (signed, clamped by score_to_logit).
// Output: n probabilities in Q0.P (P = prob_frac_bits), each truncated, so
// sum_i p_i <= 1.0 exactly and a row with one dominant logit gives exactly 1.0.
//
//   m    = max_i logit_i
//   x_i  = m - logit_i                                  >= 0, Q.F
//   t_i  = round(x_i * log2e_Q23 / 2^(F+23-16))         >= 0, Q.16, e_i = 2^-t_i
//   a    = t_i >> 16 (integer part), f = t_i & 0xFFFF (fraction)
//   2^-f = LUT[f>>10] - round((LUT[f>>10] - LUT[(f>>10)+1]) * (f & 1023) / 2^10)
//          LUT[j] = round(2^24 * 2^(-j/64)), j = 0..64 (kExp2NegLut below)
//   e_i  = round(2^-f / 2^a)                            Q0.24, 0 <= e_i <= 2^24
//   S    = sum_i e_i                                    <= n * 2^24
//   R    = floor(2^62 / S)                              one divide per row
//   p_i  = floor(e_i * R / 2^(62-P))
//
// Error bounds (tests/golden/test_softmax.cpp checks them against a double
// softmax of the same logits; hls/README.md states them), with
// S* = sum_i exp(-x_i) >= 1 and n the row length:
//   |e_i - exp(-x_i)| <= 2^-15 * exp(-x_i) + 2^-25
//   |p_i - p_ref_i|   <= 2^-P + 2^-25/S* + p_ref_i * (2^-14 + n*2^-25/S* + n*2^-38)
// In hardware: one comparator pass (max), one multiplier + 65-entry ROM +
// interpolation multiplier per exponential, one 46-bit adder, one 62/46-bit
// divider per row (amortized), one multiplier per probability.
#pragma once
#include <cstdint>

#include "spatten/config.h"
#include "spatten/fixed.h"

namespace spatten {
namespace golden {

/// round(2^24 * 2^(-j/64)) for j = 0..64.
constexpr std::uint32_t kExp2NegLut[65] = {
    16777216u, 16596492u, 16417715u, 16240863u, 16065917u, 15892855u, 15721658u, 15552304u,
    15384775u, 15219050u, 15055111u, 14892937u, 14732511u, 14573813u, 14416824u, 14261526u,
    14107901u, 13955931u, 13805598u, 13656884u, 13509772u, 13364245u, 13220286u, 13077877u,
    12937002u, 12797645u, 12659789u, 12523418u, 12388516u, 12255067u, 12123055u, 11992466u,
    11863283u, 11735492u, 11609078u, 11484025u, 11360319u, 11237946u, 11116891u, 10997140u,
    10878679u, 10761494u, 10645571u, 10530897u, 10417458u, 10305242u, 10194234u, 10084422u,
    9975792u,  9868333u,  9762032u,  9656875u,  9552851u,  9449948u,  9348154u,  9247455u,
    9147842u,  9049301u,  8951823u,  8855394u,  8760003u,  8665641u,  8572295u,  8479954u,
    8388608u,
};

/// 2^-t for t >= 0 in Q.16 (t_q16), result in Q0.24.
constexpr std::uint32_t exp2_neg_q16(std::uint64_t t_q16) {
  constexpr int kFrac = SoftmaxConstants::kExpArgFracBits;                  // 16
  constexpr int kInterp = kFrac - SoftmaxConstants::kLutIndexBits;          // 10
  const std::uint64_t int_part = t_q16 >> kFrac;
  const std::uint32_t frac = static_cast<std::uint32_t>(t_q16 & unsigned_max(kFrac));
  const std::uint32_t idx = frac >> kInterp;
  const std::uint32_t rem = frac & static_cast<std::uint32_t>(unsigned_max(kInterp));
  const std::uint32_t a = kExp2NegLut[idx];
  const std::uint32_t b = kExp2NegLut[idx + 1];
  const std::uint64_t step = round_shift_unsigned(static_cast<std::uint64_t>(a - b) * rem, kInterp);
  const std::uint64_t mant = a - step;
  const int sh = int_part >= 64 ? 64 : static_cast<int>(int_part);
  return static_cast<std::uint32_t>(round_shift_unsigned(mant, sh));
}

/// exp(-x) for a logit difference x >= 0 in Q.F: e in Q0.24.
template <class CONFIG_T>
constexpr std::uint32_t exp_neg_logit(std::uint64_t x) {
  constexpr int F = Numerics<CONFIG_T>::logit_frac_bits;
  // x <= 2^(17+F) <= 2^33 and log2e_Q23 < 2^24, so the product fits in 57 bits.
  // It is in Q.(F+23); bring it to Q.16 with one rounding.
  const std::uint64_t t = round_shift_unsigned(x * static_cast<std::uint64_t>(SoftmaxConstants::kLog2eQ23),
                                               F + SoftmaxConstants::kLog2eFracBits - SoftmaxConstants::kExpArgFracBits);
  return exp2_neg_q16(t);
}

/// What a softmax row reports besides the probabilities.
struct SoftmaxRow {
  std::uint32_t max_prob;  ///< largest probability (Q0.P), used by the requant decision
  int argmax;              ///< first position holding the largest logit
  std::uint64_t exp_sum;   ///< S (Q0.24), for statistics and tests
};

/// Softmax of n >= 1 logits into prob[0..n). `prob` may not alias `logit`.
template <class CONFIG_T>
SoftmaxRow softmax_row(const std::int32_t* logit, int n, std::uint32_t* prob) {
  constexpr int P = Numerics<CONFIG_T>::prob_frac_bits;
  constexpr int kRecip = SoftmaxConstants::kRecipBits;
  std::int32_t m = logit[0];
  int argmax = 0;
SOFTMAX_MAX:
  for (int i = 1; i < CONFIG_T::max_context; ++i) {
    if (i >= n) break;
    if (logit[i] > m) {
      m = logit[i];
      argmax = i;
    }
  }
  std::uint64_t sum = 0;
SOFTMAX_EXP:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
    if (i >= n) break;
    const std::uint64_t x = static_cast<std::uint64_t>(static_cast<std::int64_t>(m) - logit[i]);
    const std::uint32_t e = exp_neg_logit<CONFIG_T>(x);
    prob[i] = e;  // the exponential buffer is the output buffer
    sum += e;
  }
  // sum >= 2^24 because the maximum contributes exp2_neg_q16(0) == 2^24.
  const std::uint64_t recip = (std::uint64_t{1} << kRecip) / sum;
SOFTMAX_NORMALIZE:
  for (int i = 0; i < CONFIG_T::max_context; ++i) {
    if (i >= n) break;
    prob[i] = static_cast<std::uint32_t>((static_cast<std::uint64_t>(prob[i]) * recip) >> (kRecip - P));
  }
  return SoftmaxRow{prob[argmax], argmax, sum};
}

}  // namespace golden
}  // namespace spatten
