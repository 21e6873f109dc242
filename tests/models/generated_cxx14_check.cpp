// Compiled as C++14 (the language level of Vitis HLS): the generated headers
// must be valid there, and usable as CONFIG_T in constant expressions.
#include "spatten/config/all.h"

static_assert(__cplusplus == 201402L, "this file must be compiled as C++14");

namespace {
template <typename CONFIG_T>
struct KeysPerCycle {
  // A typical HLS use: array sizes and loop bounds from the config struct.
  static constexpr int value = CONFIG_T::qk_multipliers / 64;
  int lanes[CONFIG_T::qk_multipliers / 64];
};
}  // namespace

static_assert(spatten::config::spatten_paper::qk_multipliers == 512, "spatten-paper multipliers");
static_assert(KeysPerCycle<spatten::config::spatten_1_8>::value == 1, "spatten-1-8 keys per cycle");
static_assert(spatten::config::alveo_u280::has_board, "u280 has a board");
static_assert(spatten::config::alveo_u55c::board_hbm_bytes == 17179869184LL, "u55c HBM bytes");

int spatten_generated_cxx14_check() {
  KeysPerCycle<spatten::config::spatten_paper> k{};
  k.lanes[0] = spatten::config::alveo_u280::clock_mhz;
  return k.lanes[0];
}
