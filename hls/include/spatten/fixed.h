// spatten/fixed.h — integer helpers shared by every golden header.
//
// The golden model defines all arithmetic on plain fixed-width integers. This
// header holds the few primitive operations the others build on, so that a
// rounding rule is written once. Everything here is constexpr, branch-light and
// synthesizable (no heap, no recursion, static loop bounds).
#pragma once
#include <cstddef>
#include <cstdint>

namespace spatten {
namespace golden {

/// Array extent from an int template parameter (HLS sizes are ints; C++ extents are size_t).
constexpr std::size_t dim(int n) { return static_cast<std::size_t>(n); }

/// Smallest b with 2^b >= x (x >= 1). ceil_log2(1) == 0.
constexpr int ceil_log2(std::uint64_t x) {
  int b = 0;
  while (b < 64 && (std::uint64_t{1} << b) < x) ++b;
  return b;
}

/// Largest value of a signed two's-complement word of `bits` bits.
constexpr std::int64_t signed_max(int bits) { return (std::int64_t{1} << (bits - 1)) - 1; }
/// Smallest value of a signed two's-complement word of `bits` bits.
constexpr std::int64_t signed_min(int bits) { return -(std::int64_t{1} << (bits - 1)); }
/// Largest value of an unsigned word of `bits` bits.
constexpr std::uint64_t unsigned_max(int bits) {
  return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

/// True when x is representable as a signed word of `bits` bits.
constexpr bool fits_signed(std::int64_t x, int bits) {
  return x >= signed_min(bits) && x <= signed_max(bits);
}

/// Clamp to [lo, hi].
constexpr std::int64_t clamp_i64(std::int64_t x, std::int64_t lo, std::int64_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/// Arithmetic right shift by s >= 0 with round-half-up (towards +infinity on
/// ties): floor(x / 2^s + 1/2). This is the one rounding rule of the signed
/// datapath (score scaling, prob·V output); in hardware it is "add half, then
/// shift". Written with division-free operations that are defined for negative
/// x in C++14 (right shift of a negative value is implementation-defined before
/// C++20, so the floor is computed explicitly).
constexpr std::int64_t round_shift_signed(std::int64_t x, int s) {
  if (s <= 0) return x;
  const std::int64_t half = std::int64_t{1} << (s - 1);
  const std::int64_t biased = x + half;
  // floor division by 2^s
  const std::int64_t div = std::int64_t{1} << s;
  const std::int64_t q = biased / div;
  return (biased % div != 0 && biased < 0) ? q - 1 : q;
}

/// Unsigned right shift by s >= 0 with round-half-up. Shifts of 64 or more give 0.
constexpr std::uint64_t round_shift_unsigned(std::uint64_t x, int s) {
  if (s <= 0) return x;
  if (s >= 64) return 0;
  return (x >> s) + ((x >> (s - 1)) & 1u);
}

/// Floor division of a signed value by 2^s (arithmetic shift), defined for
/// negative values in C++14.
constexpr std::int64_t floor_shift_signed(std::int64_t x, int s) {
  if (s <= 0) return x;
  const std::int64_t div = std::int64_t{1} << s;
  const std::int64_t q = x / div;
  return (x % div != 0 && x < 0) ? q - 1 : q;
}

}  // namespace golden
}  // namespace spatten
