// spatten/dot.h — the integer Q·K dot product and the score-to-logit scaling.
//
// score  = sum_d q[d] * k[d]                        exact, Numerics::qk_acc_bits wide
// logit  = clamp(round_half_up(score * mult / 2^shift), +-logit_max)
//
// The real logit is score * s_q * s_k / sqrt(head_dim); the host folds that
// factor and 2^logit_frac_bits into ScoreScale (make_score_scale), so the
// engine needs one 16-bit multiplier and a shifter per score.
#pragma once
#include <cmath>
#include <cstdint>

#include "spatten/config.h"
#include "spatten/fixed.h"

namespace spatten {
namespace golden {

/// Integer dot product of a query and a key row. `k` holds the key words the
/// engine has on chip (reassembled or MSB-only). Accumulates in int64; the
/// bound in Numerics<CONFIG_T>::qk_acc_bits proves the hardware width never wraps.
template <class CONFIG_T>
std::int64_t dot_qk(const std::int32_t* q, const std::int32_t* k, int head_dim) {
  (void)sizeof(Numerics<CONFIG_T>);  // instantiate the compile-time checks
  std::int64_t acc = 0;
QK_DOT:
  for (int d = 0; d < CONFIG_T::max_head_dim; ++d) {
    if (d == head_dim) break;
    acc += static_cast<std::int64_t>(q[d]) * static_cast<std::int64_t>(k[d]);
  }
  return acc;
}

/// Fixed-point factor from score to logit: logit = score * mult / 2^shift.
struct ScoreScale {
  std::uint32_t mult;  ///< 0 .. 2^16-1
  int shift;           ///< 0 .. 62
};

/// Scale a score to a logit (Q.logit_frac_bits) and clamp to the logit range.
template <class CONFIG_T>
std::int32_t score_to_logit(std::int64_t score, ScoreScale scale) {
  const std::int64_t scaled = round_shift_signed(score * static_cast<std::int64_t>(scale.mult), scale.shift);
  return static_cast<std::int32_t>(clamp_i64(scaled, -Numerics<CONFIG_T>::logit_max, Numerics<CONFIG_T>::logit_max));
}

/// Host side: the ScoreScale closest to `real_factor` (> 0), the number a score
/// is multiplied by to give a logit in Q.logit_frac_bits, i.e.
/// s_q * s_k / sqrt(head_dim) * 2^logit_frac_bits. mult is normalized into
/// [2^15, 2^16) with the largest shift <= 62 that allows it, so the relative
/// error is at most 2^-16. Factors >= 2^16 saturate to mult = 2^16-1, shift 0.
inline ScoreScale make_score_scale(double real_factor) {
  if (!(real_factor > 0.0)) return ScoreScale{0, 0};
  int shift = 0;
  double m = real_factor;
  while (m < 32768.0 && shift < 62) {
    m *= 2.0;
    ++shift;
  }
  double r = std::round(m);
  if (r >= 65536.0) {
    if (shift > 0) {
      r = std::round(m / 2.0);
      --shift;
    } else {
      r = 65535.0;
    }
  }
  return ScoreScale{static_cast<std::uint32_t>(r), shift};
}

/// The real factor a ScoreScale represents.
inline double score_scale_value(ScoreScale s) { return static_cast<double>(s.mult) / std::ldexp(1.0, s.shift); }

}  // namespace golden
}  // namespace spatten
