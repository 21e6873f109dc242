// The verilated whole kernels of this folder (kernel_spatten_1_8,
// kernel_alveo_u55c: sim/cosim/CMakeLists.txt) and the dispatch from a preset
// name to its model class: the one list that spatten-cosim and the cosim
// benchmark share. Link both kernel libraries to include it.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "verilated_warnings.h"

SPATTEN_VERILATED_BEGIN
#include "Vkernel_alveo_u55c.h"
#include "Vkernel_spatten_1_8.h"
SPATTEN_VERILATED_END

namespace spatten::cosim {

/// Presets with a verilated kernel.
inline constexpr std::array<std::string_view, 2> kKernelPresets = {"spatten-1-8", "alveo-u55c"};

/// Throws std::invalid_argument naming the verilated kernels when `preset` has none.
inline void check_kernel_preset(const std::string& preset) {
  for (std::string_view p : kKernelPresets)
    if (p == preset) return;
  throw std::invalid_argument("unknown preset '" + preset +
                              "': the verilated RTL kernels are spatten-1-8 and alveo-u55c");
}

/// Calls `f.template operator()<Model>()` with the preset's verilated model
/// class (a templated lambda `[&]<class Model>() { ... }`) and returns its result.
template <class F>
decltype(auto) with_kernel(const std::string& preset, F&& f) {
  check_kernel_preset(preset);
  if (preset == "alveo-u55c") return f.template operator()<Vkernel_alveo_u55c>();
  return f.template operator()<Vkernel_spatten_1_8>();
}

}  // namespace spatten::cosim
