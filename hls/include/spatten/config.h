// spatten/config.h — what a CONFIG_T must provide, and the widths derived from it.
//
// Every golden template takes a configuration struct CONFIG_T. The generated
// headers (build/generated/spatten/config/<preset>.h, made by spatten-gen from
// models/accel/<preset>.yaml) provide these members; tests may define their own
// to sweep widths. Only the numeric members are read by the golden model:
//
//   q_bits            query word width (signed)                       1..16
//   k_msb_bits        key MSB plane width (signed)                    1..16
//   k_lsb_bits        key LSB plane width (unsigned), 0 = no LSB plane 0..15
//   v_msb_bits        value MSB plane width (signed)                  1..16
//   v_lsb_bits        value LSB plane width (unsigned)                0..15
//   logit_frac_bits   fractional bits of a logit (softmax input)      6..16
//   prob_frac_bits    fractional bits of a probability (Q0.P)         8..24
//   out_frac_bits     fractional bits of the attention output         0..prob_frac_bits
//   max_context       largest number of tokens in one row             1..2^20
//   max_head_dim      largest head dimension                          16..256
//   max_query_heads   largest number of query heads in one layer      1..1024
//
// Numerics<CONFIG_T> checks the ranges at compile time and derives the exact
// hardware widths (accumulators, sums) together with the proof that they never
// wrap; see hls/README.md, section "Numerics".
#pragma once
#include <cstdint>

#include "spatten/fixed.h"

namespace spatten {
namespace golden {

/// Fixed constants of the softmax datapath (not configurable: the error bounds in
/// hls/README.md are stated for these).
struct SoftmaxConstants {
  /// log2(e) in Q1.23: round(1.4426950408889634 * 2^23) (relative error 1.3e-8).
  static constexpr std::int64_t kLog2eQ23 = 12102203;
  static constexpr int kLog2eFracBits = 23;
  /// Fractional bits of the base-2 exponent t = x*log2(e).
  static constexpr int kExpArgFracBits = 16;
  /// Index bits of the 2^-f table (64 segments); the remaining bits interpolate.
  static constexpr int kLutIndexBits = 6;
  /// Fractional bits of an exponential e = 2^t, t <= 0, e in [0, 1] (Q1.24).
  static constexpr int kExpFracBits = 24;
  /// Reciprocal precision: recip = floor(2^62 / sum).
  static constexpr int kRecipBits = 62;
  /// Integer bits of a logit magnitude; logits are clamped to
  /// +-(2^(kLogitIntBits + logit_frac_bits) - 1).
  static constexpr int kLogitIntBits = 15;
};

template <class CONFIG_T>
struct Numerics {
  static constexpr int q_bits = CONFIG_T::q_bits;
  static constexpr int k_msb_bits = CONFIG_T::k_msb_bits;
  static constexpr int k_lsb_bits = CONFIG_T::k_lsb_bits;
  static constexpr int k_bits = k_msb_bits + k_lsb_bits;
  static constexpr int v_msb_bits = CONFIG_T::v_msb_bits;
  static constexpr int v_lsb_bits = CONFIG_T::v_lsb_bits;
  static constexpr int v_bits = v_msb_bits + v_lsb_bits;
  static constexpr int logit_frac_bits = CONFIG_T::logit_frac_bits;
  static constexpr int prob_frac_bits = CONFIG_T::prob_frac_bits;
  static constexpr int out_frac_bits = CONFIG_T::out_frac_bits;
  static constexpr int max_context = CONFIG_T::max_context;
  static constexpr int max_head_dim = CONFIG_T::max_head_dim;
  static constexpr int max_query_heads = CONFIG_T::max_query_heads;

  static_assert(q_bits >= 1 && q_bits <= 16, "q_bits must be in 1..16");
  static_assert(k_msb_bits >= 1 && k_lsb_bits >= 0 && k_bits <= 16, "K planes: msb>=1, lsb>=0, msb+lsb<=16");
  static_assert(v_msb_bits >= 1 && v_lsb_bits >= 0 && v_bits <= 16, "V planes: msb>=1, lsb>=0, msb+lsb<=16");
  static_assert(logit_frac_bits >= 6 && logit_frac_bits <= 16, "logit_frac_bits must be in 6..16");
  static_assert(prob_frac_bits >= 8 && prob_frac_bits <= 24, "prob_frac_bits must be in 8..24");
  static_assert(out_frac_bits >= 0 && out_frac_bits <= prob_frac_bits, "out_frac_bits must be in 0..prob_frac_bits");
  static_assert(max_context >= 1 && max_context <= (1 << 20), "max_context must be in 1..2^20");
  static_assert(max_head_dim >= 16 && max_head_dim <= 256, "max_head_dim must be in 16..256");
  static_assert(max_query_heads >= 1 && max_query_heads <= 1024, "max_query_heads must be in 1..1024");

  // ---- Q·K accumulator --------------------------------------------------
  // |q| <= 2^(q_bits-1), |k| <= 2^(k_bits-1) (the most negative words), so
  // |q·k| <= max_head_dim * 2^(q_bits+k_bits-2) <= 2^(q_bits+k_bits-2+ceil_log2(D)).
  // A signed word of q_bits+k_bits+ceil_log2(D) bits holds +-2^(that-1)-1 >= it.
  static constexpr int qk_acc_bits = q_bits + k_bits + ceil_log2(static_cast<std::uint64_t>(max_head_dim));
  static_assert(qk_acc_bits <= 40, "Q·K accumulator must fit the 40-bit score bus");

  // ---- logits -----------------------------------------------------------
  static constexpr int logit_bits = 1 + SoftmaxConstants::kLogitIntBits + logit_frac_bits;  // signed
  static constexpr std::int64_t logit_max = signed_max(logit_bits);

  // ---- softmax sum ------------------------------------------------------
  // each e <= 2^24, at most max_context of them
  static constexpr int exp_sum_bits =
      SoftmaxConstants::kExpFracBits + 1 + ceil_log2(static_cast<std::uint64_t>(max_context));
  static_assert(exp_sum_bits <= 46, "softmax sum exceeds the documented 46-bit bound");

  // ---- probabilities ----------------------------------------------------
  /// 1.0 in Q0.P; a probability word has prob_frac_bits+1 bits (one-hot rows give exactly 1.0).
  static constexpr std::uint32_t prob_one = std::uint32_t{1} << prob_frac_bits;
  static constexpr int prob_bits = prob_frac_bits + 1;

  // ---- prob·V accumulator -----------------------------------------------
  // Probabilities are truncated (softmax.h), so sum_i p_i <= 2^P exactly, and
  // |v| <= 2^(v_bits-1): |sum_i p_i v_i| <= 2^(P+v_bits-1), reached only by
  // p = 1.0 on v = -2^(v_bits-1). A signed word of P+v_bits bits holds it.
  static constexpr int pv_acc_bits = prob_frac_bits + v_bits;
  static_assert(pv_acc_bits <= 40, "prob·V accumulator exceeds 40 bits");
  /// Output word: the accumulator rounded to out_frac_bits; |out| <= 2^(v_bits-1+out_frac_bits).
  static constexpr int out_bits = v_bits + out_frac_bits;
  static_assert(out_bits <= 32, "attention output word exceeds 32 bits");
};

}  // namespace golden
}  // namespace spatten
