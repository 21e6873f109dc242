// spatten/quant.h — fixed-point words of Q, K and V, and the MSB/LSB planes.
//
// Q, K and V are signed integers with one real scale each: real = word * scale.
// K and V use one scale per (layer, KV head) for the whole cache, fixed by the
// host (calibrated on the prompt), so the engine needs no per-token metadata;
// the query uses one scale per (query head, step). Values beyond the range clamp.
//
// Scale rule (host side): for a tensor slice x quantized to `bits` bits,
//   scale = max_i |x_i| / (2^(bits-1) - 1),   or 1.0 when every x_i is 0,
//   word  = clamp(round_half_away_from_zero(x / scale), -(2^(bits-1)-1), 2^(bits-1)-1).
// The clamp is symmetric so that -word is always representable.
//
// MSB/LSB planes (progressive quantization). A K or V word w of m+l bits is
// stored in DRAM as two planes:
//   msb = floor(w / 2^l)      signed, m bits
//   lsb = w - msb * 2^l       unsigned, l bits, 0 <= lsb < 2^l
// so that w == msb * 2^l + lsb exactly (reassemble()). When only the MSB plane
// has been fetched the engine uses the midpoint of the interval the MSBs leave:
//   w_msb_only = msb * 2^l + 2^(l-1)   (l > 0),    w when l == 0,
// whose error is at most 2^(l-1) in magnitude (|w - w_msb_only| <= 2^(l-1)).
#pragma once
#include <cmath>
#include <cstdint>

#include "spatten/fixed.h"

namespace spatten {
namespace golden {

/// A word split into its two DRAM planes.
struct PlaneWord {
  std::int16_t msb;
  std::uint16_t lsb;
};

/// Split a (msb_bits + lsb_bits)-bit signed word into its MSB and LSB planes.
template <int MSB_BITS, int LSB_BITS>
constexpr PlaneWord split_planes(std::int32_t word) {
  static_assert(MSB_BITS >= 1 && LSB_BITS >= 0 && MSB_BITS + LSB_BITS <= 16, "plane widths");
  return PlaneWord{static_cast<std::int16_t>(floor_shift_signed(word, LSB_BITS)),
                   static_cast<std::uint16_t>(static_cast<std::uint32_t>(word) & unsigned_max(LSB_BITS))};
}

/// Exact reassembly: msb * 2^l + lsb.
template <int LSB_BITS>
constexpr std::int32_t reassemble(std::int16_t msb, std::uint16_t lsb) {
  return static_cast<std::int32_t>(msb) * (std::int32_t{1} << LSB_BITS) + static_cast<std::int32_t>(lsb);
}

/// The word the engine uses when only the MSB plane is on chip (midpoint rule).
template <int LSB_BITS>
constexpr std::int32_t msb_only(std::int16_t msb) {
  return static_cast<std::int32_t>(msb) * (std::int32_t{1} << LSB_BITS) +
         (LSB_BITS > 0 ? (std::int32_t{1} << (LSB_BITS > 0 ? LSB_BITS - 1 : 0)) : 0);
}

// ---- host-side quantization from float (not part of the kernel) ------------

/// Scale of a vector per the rule above.
inline double symmetric_scale(double max_abs, int bits) {
  const double qmax = static_cast<double>(signed_max(bits));
  return max_abs > 0.0 ? max_abs / qmax : 1.0;
}

/// Quantize one value with a given scale (round half away from zero, symmetric clamp).
inline std::int32_t quantize(double x, double scale, int bits) {
  const double qmax = static_cast<double>(signed_max(bits));
  double r = std::round(x / scale);  // std::round: half away from zero
  if (r > qmax) r = qmax;
  if (r < -qmax) r = -qmax;
  return static_cast<std::int32_t>(r);
}

/// Quantize a vector of n values to `bits` bits; returns the scale used.
inline double quantize_vector(const float* x, int n, int bits, std::int32_t* out) {
  double max_abs = 0.0;
  for (int i = 0; i < n; ++i) max_abs = std::fmax(max_abs, std::fabs(static_cast<double>(x[i])));
  const double scale = symmetric_scale(max_abs, bits);
  for (int i = 0; i < n; ++i) out[i] = quantize(static_cast<double>(x[i]), scale, bits);
  return scale;
}

}  // namespace golden
}  // namespace spatten
