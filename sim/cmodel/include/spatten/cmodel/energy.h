// spatten/cmodel/energy.h — prices a cycle-model run with an energy table.
//
// price() turns the operation counts (RunResult::ops) and the DRAM bytes of a
// run into picojoules per component, using one models::EnergyTable (the
// shipped one is models/energy/horowitz-45nm.yaml) and the numerics of the
// accelerator preset. It is a bookkeeping model: energy = count x energy per
// operation, no leakage, no clock tree, no control logic, no idle power.
//
// Process node. The table states its node (EnergyTable::node_nm, 45 nm for the
// shipped table); nothing is scaled to the preset's silicon (the SpAtten chip
// is 40 nm). The node is echoed in EnergyBreakdown::node_nm and in the JSON
// record (energy.node_nm), so every published figure says which node it is at.
//
// Pricing rules (every rule uses only the table fields named in it):
//
//  R1 Integer add of w bits, add_pj(w): a power law through the table's two
//     integer adds, exact at both points:
//        add_pj(w) = int8_add * (w / 8)^a,   a = ln(int32_add / int8_add) / ln(32 / 8)
//     (horowitz-45nm: 0.03 pJ at 8 bits, 0.1 pJ at 32 bits, a = 0.868). Outside
//     [8, 32] bits the same power law extrapolates. A comparator or subtractor of
//     w bits is priced as an add of w bits.
//  R2 Integer multiply of a x b bits, mult_pj(a, b): a power law in the product
//     of the operand widths through the table's 8x8 and 32x32 multiplies:
//        mult_pj(a, b) = int8_mult * (a*b / 64)^m,   m = ln(int32_mult / int8_mult) / ln(1024 / 64)
//     (horowitz-45nm: 0.2 pJ at 8x8, 3.1 pJ at 32x32, m = 0.989; a 12x12 multiply
//     is 0.446 pJ). Array-multiplier energy grows with a*b, hence the product.
//     This is the same interpolation rule the table uses for SRAM sizes.
//  R3 Q·K MAC (ops.qk_macs): one multiply of the multiplier array's full width
//     plus one add of the adder tree's output width:
//        mult_pj(q_bits, k_msb_bits + k_lsb_bits) + add_pj(q_bits + k_bits + ceil(log2(max_head_dim)))
//     spatten-1-8: 12x12 multiply + 31-bit add. An MSB-only pass uses the same
//     multipliers and is priced the same.
//  R4 prob·V MAC (ops.pv_macs): a probability is Q0.P with P = prob_frac_bits,
//     1.0 included, so P + 1 bits; V is v_msb_bits + v_lsb_bits:
//        mult_pj(P + 1, v_bits) + add_pj(P + 1 + v_bits)
//     (probabilities of a row sum to at most 1, so the accumulator needs no growth
//     bits). spatten-1-8: 17x12 multiply + 29-bit add.
//  R5 Softmax, from the datapath of hls/include/spatten/softmax.h (constants
//     from golden::SoftmaxConstants; L = kLogitIntBits + logit_frac_bits + 1 is
//     the signed logit width, E = kExpFracBits = 24, N = ceil(log2(max_context))):
//      exp (ops.exp_ops), per exponential:
//        2 x add_pj(L + 1)            max-pass comparison and x = m - logit
//        + mult_pj(L + 1, kLog2eFracBits + 1)   x * log2(e)
//        + mult_pj(E, kExpArgFracBits - kLutIndexBits)  LUT interpolation
//        + 2 x add_pj(E)              interpolation step and mantissa subtract
//        + add_pj(E + N)              the row-sum accumulator
//        (the 65-entry ROM read is not priced: 65 x 24 bits is far below the
//        smallest SRAM of the table)
//      divide (ops.divisions), one per row: a restoring divider producing the
//        reciprocal floor(2^kRecipBits / S), S >= 2^E, so R = kRecipBits - E + 1
//        quotient bits, one subtract of the sum's width each:
//        R x add_pj(E + N)
//      normalize (ops.prob_multiplies): mult_pj(E + 1, R)
//  R6 Top-k engine (ops.topk_comparisons): one comparison = add_pj(32). The
//     engine compares probabilities (P + 1 bits) for value pruning and token
//     importance for the cascade top-k; the counter does not tell them apart, so
//     every comparison is priced at the table's own 32-bit add point
//     (kTopkCompareBits), no interpolation.
//  R7 Importance (ops.importance_adds): one add of the golden model's 64-bit
//     importance accumulator (hls/include/spatten/importance.h): add_pj(64).
//  R8 Key / value SRAM: energy per 64-bit access from the table's SRAM curve at
//     the preset's buffer size, EnergyTable::sram_read_pj_per_64bit(key_sram_bytes)
//     (value_sram_bytes for the value SRAM); accesses = bytes / 8 (fractional,
//     i.e. priced per bit moved). The table gives read energy only; a write is
//     priced as a read (Horowitz gives no separate write figure).
//  R9 DRAM: every byte read or written (RunResult::dram_total, all kinds) costs
//     8 x hbm_pj_per_bit. The table's DDR figures are not used (the presets are
//     HBM).
// total_pj is the sum of the eight components.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "spatten/cmodel/run.h"
#include "spatten/models/presets.h"

namespace spatten::cmodel {

/// R6: comparator width priced for every top-k comparison.
inline constexpr int kTopkCompareBits = 32;
/// R7: width of the importance accumulator (golden: std::uint64_t).
inline constexpr int kImportanceBits = 64;

/// R1: energy of a w-bit integer add (w >= 1). Throws std::invalid_argument for
/// w < 1 and models::PresetError when the table's int8/int32 adds are not > 0.
double add_pj(const models::EnergyTable& table, int bits);
/// R2: energy of an a x b-bit integer multiply (a, b >= 1). Same errors as add_pj.
double mult_pj(const models::EnergyTable& table, int a_bits, int b_bits);

/// Energy per operation / access that price() multiplies the counts with, and
/// the operand widths behind them (echoed in the JSON record).
struct EnergyRates {
  // widths (bits)
  int qk_mult_a = 0, qk_mult_b = 0, qk_acc_bits = 0;  ///< R3
  int pv_mult_a = 0, pv_mult_b = 0, pv_acc_bits = 0;  ///< R4
  int logit_bits = 0, exp_sum_bits = 0, recip_bits = 0; ///< R5: L, E + N, R
  // pJ per operation
  double qk_mac_pj = 0;
  double pv_mac_pj = 0;
  double exp_pj = 0;
  double divide_pj = 0;
  double normalize_pj = 0;
  double topk_compare_pj = 0;
  double importance_add_pj = 0;
  double key_sram_pj_per_64bit = 0;    ///< 0 when the preset has no key SRAM
  double value_sram_pj_per_64bit = 0;  ///< 0 when the preset has no value SRAM
  double dram_pj_per_byte = 0;
};

/// The rates of rules R3-R9 for a preset's numerics and buffer sizes.
EnergyRates energy_rates(const models::EnergyTable& table, const models::AcceleratorPreset& preset);

/// Energy of one run, in pJ, by component.
struct EnergyBreakdown {
  std::string table;   ///< EnergyTable::name
  int node_nm = 0;     ///< the table's process node (not scaled to the preset)
  std::string preset;  ///< AcceleratorPreset::name
  EnergyRates rates;

  double qk_multipliers_pj = 0;  ///< R3
  double pv_multipliers_pj = 0;  ///< R4
  double softmax_exp_pj = 0;     ///< R5 exp
  double softmax_divide_pj = 0;  ///< R5 divide
  double softmax_normalize_pj = 0;  ///< R5 normalize
  double softmax_pj = 0;         ///< sum of the three softmax parts
  double topk_engine_pj = 0;     ///< R6
  double importance_pj = 0;      ///< R7
  double key_sram_pj = 0;        ///< R8, reads + writes
  double value_sram_pj = 0;      ///< R8, reads + writes
  double dram_pj = 0;            ///< R9
  double total_pj = 0;

  /// The eight components in report order, named as in the JSON record's
  /// energy_pj: qk_multipliers, pv_multipliers, softmax, topk_engine,
  /// importance, key_sram, value_sram, dram.
  std::vector<std::pair<std::string, double>> components() const;
};

/// Prices a run (rules R1-R9 above). Throws models::PresetError when the table
/// cannot price it (non-positive add/multiply energies, or SRAM traffic on a
/// preset whose SRAM size is 0).
EnergyBreakdown price(const RunResult& run, const models::EnergyTable& table,
                      const models::AcceleratorPreset& preset);

}  // namespace spatten::cmodel
