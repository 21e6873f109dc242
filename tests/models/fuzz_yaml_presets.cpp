// Fuzz target: bytes -> every *_from_string loader. A PresetError is the only
// allowed outcome besides success; any other exception, crash, sanitizer
// report or hang is a bug. Successful loads are checked for the promised
// invariants so a validation gap shows up as a crash here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "spatten/models/generate.h"
#include "spatten/models/presets.h"

namespace sm = spatten::models;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto s = sm::load_llm_from_string(text, "fuzz.yaml");
    check(s.kv_heads >= 1 && s.query_heads % s.kv_heads == 0);
  } catch (const sm::PresetError&) {
  }
  try {
    const auto p = sm::load_accelerator_from_string(text, "fuzz.yaml");
    check(p.numerics.k_msb_bits + p.numerics.k_lsb_bits <= 16);
    check(p.hardware.hbm_channels_used <= p.hardware.hbm_channels);
    (void)sm::generate_cpp_header(p, "fuzz.yaml");
    (void)sm::generate_sv_package(p, "fuzz.yaml");
    (void)sm::generate_tcl(p, "fuzz.yaml");
  } catch (const sm::PresetError&) {
  }
  try {
    const auto e = sm::load_energy_from_string(text, "fuzz.yaml");
    check(!e.sram_read.empty());
    const double pj = e.sram_read_pj_per_64bit(196608);
    check(pj > 0.0);
  } catch (const sm::PresetError&) {
  }
  try {
    const auto p = sm::load_policy_from_string(text, "fuzz.yaml");
    check(p.value.keep_ratio_q16.has_value() != p.value.keep_count.has_value());
    check(p.requant.threshold_q16 <= 65536u);
  } catch (const sm::PresetError&) {
  }
  return 0;
}
