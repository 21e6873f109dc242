// spatten/requant.h — the progressive-quantization decision.
//
// With progressive quantization the engine first computes a row from the MSB
// planes only. If the row is "flat" — its largest probability is below the
// threshold — it fetches the LSB planes, rebuilds exact words and recomputes
// the row. The threshold is a Q0.16 fraction (policy files give e.g. 0.05 ->
// round(0.05 * 65536) = 3277); the comparison with a Q0.P probability is exact:
//     refetch  <=>  max_prob / 2^P  <  threshold_q16 / 2^16.
// threshold 0 never refetches; threshold 65536 (1.0) refetches every row whose
// maximum is below 1.0.
#pragma once
#include <cstdint>

#include "spatten/config.h"

namespace spatten {
namespace golden {

template <class CONFIG_T>
constexpr bool needs_lsb_refetch(std::uint32_t max_prob, std::uint32_t threshold_q16) {
  return (static_cast<std::uint64_t>(max_prob) << 16) <
         (static_cast<std::uint64_t>(threshold_q16) << Numerics<CONFIG_T>::prob_frac_bits);
}

}  // namespace golden
}  // namespace spatten
