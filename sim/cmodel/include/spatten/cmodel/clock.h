// spatten/cmodel/clock.h — time in the cycle model.
#pragma once
#include <cstdint>
#include <limits>

namespace spatten::cmodel {

/// A clock cycle of the accelerator's single clock domain (the preset's clock_mhz).
using Cycle = std::uint64_t;

/// "No event scheduled": a component waiting only on its inputs.
inline constexpr Cycle kNever = std::numeric_limits<Cycle>::max();

}  // namespace spatten::cmodel
