// hls/compat/ap_int/ap_int.h — a small project-owned stand-in for AMD's
// arbitrary-precision integers, used for C simulation when AMD's ap_int.h is
// not available (CI). It is on the include path only then; with Vitis HLS, or
// with -DSPATTEN_HLS_AP_TYPES_DIR=<HLS_arbitrary_Precision_Types/include>,
// AMD's header is used instead and this file is never seen.
//
// Only what the kernel uses, with AMD's semantics for it: ap_int<W> / ap_uint<W>
// for 1 <= W <= 64, construction from any integer wraps to W bits (two's
// complement, like AMD's), and the explicit readers to_int(), to_uint(),
// to_int64(), to_uint64(). Host code (not synthesizable on its own, not kernel
// source, so not under the HLS lint).
#ifndef SPATTEN_HLS_COMPAT_AP_INT_H
#define SPATTEN_HLS_COMPAT_AP_INT_H

#include <cstdint>
#include <type_traits>

#define SPATTEN_HLS_COMPAT_AP_INT 1

namespace spatten_hls_compat {

template <int W, bool S>
class ap_int_base {
  static_assert(W >= 1 && W <= 64, "the project's ap_int stand-in supports 1..64 bits");

 public:
  static constexpr int width = W;
  constexpr ap_int_base() : v_(0) {}
  template <class T, class = typename std::enable_if<std::is_integral<T>::value>::type>
  constexpr ap_int_base(T x) : v_(wrap(static_cast<std::uint64_t>(x))) {}  // NOLINT: implicit like AMD's
  template <int W2, bool S2>
  constexpr ap_int_base(const ap_int_base<W2, S2>& x) : v_(wrap(x.raw())) {}  // NOLINT

  static constexpr int length() { return W; }
  constexpr std::int64_t to_int64() const { return static_cast<std::int64_t>(v_); }
  constexpr std::uint64_t to_uint64() const { return static_cast<std::uint64_t>(v_); }
  constexpr int to_int() const { return static_cast<int>(v_); }
  constexpr unsigned to_uint() const { return static_cast<unsigned>(static_cast<std::uint64_t>(v_)); }
  /// The stored bits, sign- or zero-extended to 64 (for conversions between widths).
  constexpr std::uint64_t raw() const { return static_cast<std::uint64_t>(v_); }

  friend constexpr bool operator==(const ap_int_base& a, const ap_int_base& b) { return a.v_ == b.v_; }
  friend constexpr bool operator!=(const ap_int_base& a, const ap_int_base& b) { return a.v_ != b.v_; }

 private:
  typedef typename std::conditional<S, std::int64_t, std::uint64_t>::type value_type;
  static constexpr std::uint64_t kMask = W == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (W == 64 ? 0 : W)) - 1u);
  static constexpr value_type wrap(std::uint64_t x) {
    // keep W bits; for signed words, extend bit W-1 (defined arithmetic only)
    return S ? static_cast<value_type>(
                   ((x & kMask) ^ (std::uint64_t{1} << (W - 1))) - (std::uint64_t{1} << (W - 1)))
             : static_cast<value_type>(x & kMask);
  }
  value_type v_;
};

}  // namespace spatten_hls_compat

template <int W>
using ap_int = spatten_hls_compat::ap_int_base<W, true>;
template <int W>
using ap_uint = spatten_hls_compat::ap_int_base<W, false>;

#endif  // SPATTEN_HLS_COMPAT_AP_INT_H
