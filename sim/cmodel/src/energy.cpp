// Pricing of a cycle-model run; the rules are documented in energy.h.
#include "spatten/cmodel/energy.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "spatten/config.h"

namespace spatten::cmodel {
namespace {

using golden::SoftmaxConstants;

int ceil_log2(int n) {
  int b = 0;
  while ((std::int64_t{1} << b) < n) ++b;
  return b;
}

void need_positive(const models::EnergyTable& t, double v, const char* field) {
  if (!(v > 0.0) || !std::isfinite(v))
    throw models::PresetError(t.origin + ": energy table field " + field + " = " + std::to_string(v) +
                              " must be > 0 to price operations");
}

// Power law through (x0, e0) and (x1, e1), evaluated at x.
double power_law(double x, double x0, double e0, double x1, double e1) {
  const double exponent = std::log(e1 / e0) / std::log(x1 / x0);
  return e0 * std::pow(x / x0, exponent);
}

double sram_pj(const models::EnergyTable& t, std::int64_t size, std::uint64_t read, std::uint64_t written,
               double per64) {
  const std::uint64_t bytes = read + written;
  if (bytes == 0) return 0.0;
  if (size <= 0)
    throw models::PresetError(t.origin + ": cannot price " + std::to_string(bytes) +
                              " SRAM bytes: the preset's SRAM size is " + std::to_string(size));
  return static_cast<double>(bytes) / 8.0 * per64;
}

}  // namespace

double add_pj(const models::EnergyTable& t, int bits) {
  if (bits < 1) throw std::invalid_argument("add_pj: width " + std::to_string(bits) + " must be >= 1");
  need_positive(t, t.int8_add_pj, "compute_pj.int8_add");
  need_positive(t, t.int32_add_pj, "compute_pj.int32_add");
  return power_law(bits, 8.0, t.int8_add_pj, 32.0, t.int32_add_pj);
}

double mult_pj(const models::EnergyTable& t, int a_bits, int b_bits) {
  if (a_bits < 1 || b_bits < 1)
    throw std::invalid_argument("mult_pj: widths " + std::to_string(a_bits) + "x" + std::to_string(b_bits) +
                                " must be >= 1");
  need_positive(t, t.int8_mult_pj, "compute_pj.int8_mult");
  need_positive(t, t.int32_mult_pj, "compute_pj.int32_mult");
  return power_law(static_cast<double>(a_bits) * static_cast<double>(b_bits), 64.0, t.int8_mult_pj, 1024.0,
                   t.int32_mult_pj);
}

EnergyRates energy_rates(const models::EnergyTable& t, const models::AcceleratorPreset& p) {
  const models::Numerics& n = p.numerics;
  EnergyRates r;
  const int k_bits = n.k_msb_bits + n.k_lsb_bits;
  const int v_bits = n.v_msb_bits + n.v_lsb_bits;
  // R3
  r.qk_mult_a = n.q_bits;
  r.qk_mult_b = k_bits;
  r.qk_acc_bits = n.q_bits + k_bits + ceil_log2(p.capacity.max_head_dim);
  r.qk_mac_pj = mult_pj(t, r.qk_mult_a, r.qk_mult_b) + add_pj(t, r.qk_acc_bits);
  // R4
  r.pv_mult_a = n.prob_frac_bits + 1;
  r.pv_mult_b = v_bits;
  r.pv_acc_bits = n.prob_frac_bits + 1 + v_bits;
  r.pv_mac_pj = mult_pj(t, r.pv_mult_a, r.pv_mult_b) + add_pj(t, r.pv_acc_bits);
  // R5
  constexpr int E = SoftmaxConstants::kExpFracBits;
  r.logit_bits = SoftmaxConstants::kLogitIntBits + n.logit_frac_bits + 1;
  r.exp_sum_bits = E + ceil_log2(p.capacity.max_context);
  r.recip_bits = SoftmaxConstants::kRecipBits - E + 1;
  r.exp_pj = 2.0 * add_pj(t, r.logit_bits + 1) + mult_pj(t, r.logit_bits + 1, SoftmaxConstants::kLog2eFracBits + 1) +
             mult_pj(t, E, SoftmaxConstants::kExpArgFracBits - SoftmaxConstants::kLutIndexBits) +
             2.0 * add_pj(t, E) + add_pj(t, r.exp_sum_bits);
  r.divide_pj = static_cast<double>(r.recip_bits) * add_pj(t, r.exp_sum_bits);
  r.normalize_pj = mult_pj(t, E + 1, r.recip_bits);
  // R6, R7
  r.topk_compare_pj = add_pj(t, kTopkCompareBits);
  r.importance_add_pj = add_pj(t, kImportanceBits);
  // R8
  if (p.hardware.key_sram_bytes > 0) r.key_sram_pj_per_64bit = t.sram_read_pj_per_64bit(p.hardware.key_sram_bytes);
  if (p.hardware.value_sram_bytes > 0)
    r.value_sram_pj_per_64bit = t.sram_read_pj_per_64bit(p.hardware.value_sram_bytes);
  // R9
  r.dram_pj_per_byte = 8.0 * t.hbm_pj_per_bit;
  return r;
}

std::vector<std::pair<std::string, double>> EnergyBreakdown::components() const {
  return {{"qk_multipliers", qk_multipliers_pj}, {"pv_multipliers", pv_multipliers_pj},
          {"softmax", softmax_pj},               {"topk_engine", topk_engine_pj},
          {"importance", importance_pj},         {"key_sram", key_sram_pj},
          {"value_sram", value_sram_pj},         {"dram", dram_pj}};
}

EnergyBreakdown price(const RunResult& run, const models::EnergyTable& t, const models::AcceleratorPreset& p) {
  EnergyBreakdown e;
  e.table = t.name;
  e.node_nm = t.node_nm;
  e.preset = p.name;
  e.rates = energy_rates(t, p);
  const EnergyRates& r = e.rates;
  const OpCounts& o = run.ops;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  e.qk_multipliers_pj = d(o.qk_macs) * r.qk_mac_pj;
  e.pv_multipliers_pj = d(o.pv_macs) * r.pv_mac_pj;
  e.softmax_exp_pj = d(o.exp_ops) * r.exp_pj;
  e.softmax_divide_pj = d(o.divisions) * r.divide_pj;
  e.softmax_normalize_pj = d(o.prob_multiplies) * r.normalize_pj;
  e.softmax_pj = e.softmax_exp_pj + e.softmax_divide_pj + e.softmax_normalize_pj;
  e.topk_engine_pj = d(o.topk_comparisons) * r.topk_compare_pj;
  e.importance_pj = d(o.importance_adds) * r.importance_add_pj;
  e.key_sram_pj =
      sram_pj(t, p.hardware.key_sram_bytes, o.key_sram_read_bytes, o.key_sram_write_bytes, r.key_sram_pj_per_64bit);
  e.value_sram_pj = sram_pj(t, p.hardware.value_sram_bytes, o.value_sram_read_bytes, o.value_sram_write_bytes,
                            r.value_sram_pj_per_64bit);
  e.dram_pj = d(run.dram_total) * r.dram_pj_per_byte;
  e.total_pj = 0.0;
  for (const auto& [name, pj] : e.components()) e.total_pj += pj;
  return e;
}

}  // namespace spatten::cmodel
