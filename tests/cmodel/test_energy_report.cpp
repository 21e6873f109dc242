// Energy pricing (energy.h, rules R1-R9) and the JSON record / terminal summary
// (report.h), on hand-built RunResults with hand-computed numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "spatten/cmodel/energy.h"
#include "spatten/cmodel/report.h"
#include "spatten/models/presets.h"

namespace {

using namespace spatten::cmodel;
namespace m = spatten::models;
using nlohmann::json;

// A table whose power laws have exponent 1: add(w) = w / 8, mult(a, b) = a*b / 64,
// so every rate below is a short hand computation.
m::EnergyTable linear_table() {
  m::EnergyTable t;
  t.name = "linear-test";
  t.node_nm = 45;
  t.int8_add_pj = 1.0;
  t.int32_add_pj = 4.0;
  t.int8_mult_pj = 1.0;
  t.int32_mult_pj = 16.0;
  t.sram_read = {{8192, 10.0}, {196608, 50.0}};
  t.sram_extrapolation_exponent = 0.5;
  t.hbm_pj_per_bit = 4.0;
  t.origin = "linear-test";
  return t;
}

// spatten-1-8's numerics and capacity; a value SRAM of 8 KB (a table point).
m::AcceleratorPreset test_preset() {
  m::AcceleratorPreset p;
  p.name = "test-preset";
  p.numerics = m::Numerics{12, 8, 4, 8, 4, 10, 16, 4};
  p.capacity = m::Capacity{32768, 128, 64};
  p.hardware.clock_mhz = 1000;
  p.hardware.key_sram_bytes = 196608;
  p.hardware.value_sram_bytes = 8192;
  return p;
}

RunResult hand_run() {
  RunResult r;
  r.cycles = 1000;
  r.seconds = 1e-6;
  r.dram_read = {100, 20, 50, 10, 0, 5};
  r.dram_written = {0, 0, 0, 0, 40, 3};
  r.dram_total = 228;
  r.hbm_utilization = 0.1;
  r.units = {{"qk_unit", 500, 20}, {"topk_engine", 100, 0}, {"qk_unit", 7, 1}, {"hbm", 800, 0}};
  r.ops.qk_macs = 1000;
  r.ops.pv_macs = 200;
  r.ops.exp_ops = 100;
  r.ops.divisions = 2;
  r.ops.prob_multiplies = 100;
  r.ops.topk_comparisons = 64;
  r.ops.importance_adds = 50;
  r.ops.key_sram_read_bytes = 800;
  r.ops.key_sram_write_bytes = 80;
  r.ops.value_sram_read_bytes = 160;
  r.ops.value_sram_write_bytes = 16;
  r.head_jobs = 12;
  r.requant_rows = 3;
  r.keys_fetched = 900;
  r.values_fetched = 180;
  r.token_topk_events = 1;
  r.head_topk_events = 2;
  return r;
}

// ---------------------------------------------------------------- R1, R2

TEST(EnergyRules, AddAndMultiplyPassThroughTheTablePoints) {
  const m::EnergyTable t = m::load_energy(m::find_preset(m::PresetKind::energy, "horowitz-45nm"));
  EXPECT_EQ(t.node_nm, 45);
  EXPECT_NEAR(add_pj(t, 8), 0.03, 1e-12);
  EXPECT_NEAR(add_pj(t, 32), 0.1, 1e-12);
  EXPECT_NEAR(mult_pj(t, 8, 8), 0.2, 1e-12);
  EXPECT_NEAR(mult_pj(t, 32, 32), 3.1, 1e-12);
  // 16 bits and 16x16 are the geometric means of the table points, so the
  // power law gives the geometric mean of the energies.
  EXPECT_NEAR(add_pj(t, 16), std::sqrt(0.03 * 0.1), 1e-12);    // 0.05477
  EXPECT_NEAR(mult_pj(t, 16, 16), std::sqrt(0.2 * 3.1), 1e-12);  // 0.78740
  // the header's example: a 12x12 multiply is 0.446 pJ; 8x32 = 16x16
  EXPECT_NEAR(mult_pj(t, 12, 12), 0.446, 5e-4);
  EXPECT_DOUBLE_EQ(mult_pj(t, 8, 32), mult_pj(t, 16, 16));
  // monotonic in width
  EXPECT_LT(mult_pj(t, 12, 12), mult_pj(t, 17, 12));
  EXPECT_LT(add_pj(t, 31), add_pj(t, 64));
}

TEST(EnergyRules, LinearTableIsLinear) {
  const m::EnergyTable t = linear_table();
  EXPECT_DOUBLE_EQ(add_pj(t, 8), 1.0);
  EXPECT_DOUBLE_EQ(add_pj(t, 31), 3.875);
  EXPECT_DOUBLE_EQ(add_pj(t, 64), 8.0);
  EXPECT_DOUBLE_EQ(mult_pj(t, 12, 12), 2.25);
  EXPECT_DOUBLE_EQ(mult_pj(t, 25, 39), 975.0 / 64.0);
}

TEST(EnergyRules, BadWidthsAndTablesAreErrors) {
  m::EnergyTable t = linear_table();
  EXPECT_THROW(add_pj(t, 0), std::invalid_argument);
  EXPECT_THROW(mult_pj(t, 12, 0), std::invalid_argument);
  t.int8_add_pj = 0.0;
  EXPECT_THROW(add_pj(t, 8), m::PresetError);
  t = linear_table();
  t.int32_mult_pj = -1.0;
  EXPECT_THROW(mult_pj(t, 8, 8), m::PresetError);
}

// ---------------------------------------------------------------- R3-R9

TEST(EnergyRates, HandComputedForTheLinearTable) {
  const EnergyRates r = energy_rates(linear_table(), test_preset());
  // R3: 12x12 multiply + (12 + 12 + log2 128 = 31)-bit add
  EXPECT_EQ(r.qk_mult_a, 12);
  EXPECT_EQ(r.qk_mult_b, 12);
  EXPECT_EQ(r.qk_acc_bits, 31);
  EXPECT_DOUBLE_EQ(r.qk_mac_pj, 2.25 + 3.875);
  // R4: 17x12 multiply + 29-bit add
  EXPECT_EQ(r.pv_mult_a, 17);
  EXPECT_EQ(r.pv_mult_b, 12);
  EXPECT_EQ(r.pv_acc_bits, 29);
  EXPECT_DOUBLE_EQ(r.pv_mac_pj, 204.0 / 64.0 + 29.0 / 8.0);
  // R5: L = 15 + 10 + 1 = 26; E + N = 24 + 15 = 39; R = 62 - 24 + 1 = 39
  EXPECT_EQ(r.logit_bits, 26);
  EXPECT_EQ(r.exp_sum_bits, 39);
  EXPECT_EQ(r.recip_bits, 39);
  // 2*add(27) + mult(27,24) + mult(24,10) + 2*add(24) + add(39)
  //   = 6.75 + 10.125 + 3.75 + 6 + 4.875
  EXPECT_DOUBLE_EQ(r.exp_pj, 31.5);
  EXPECT_DOUBLE_EQ(r.divide_pj, 39 * 4.875);        // 190.125
  EXPECT_DOUBLE_EQ(r.normalize_pj, 975.0 / 64.0);   // mult(25, 39)
  // R6, R7
  EXPECT_DOUBLE_EQ(r.topk_compare_pj, 4.0);
  EXPECT_DOUBLE_EQ(r.importance_add_pj, 8.0);
  // R8: both sizes are table points
  EXPECT_DOUBLE_EQ(r.key_sram_pj_per_64bit, 50.0);
  EXPECT_DOUBLE_EQ(r.value_sram_pj_per_64bit, 10.0);
  // R9
  EXPECT_DOUBLE_EQ(r.dram_pj_per_byte, 32.0);
}

TEST(EnergyRates, ShippedTableOnSpatten18) {
  const m::EnergyTable t = m::load_energy(m::find_preset(m::PresetKind::energy, "horowitz-45nm"));
  const m::AcceleratorPreset p = m::load_accelerator(m::find_preset(m::PresetKind::accel, "spatten-1-8"));
  const EnergyRates r = energy_rates(t, p);
  EXPECT_DOUBLE_EQ(r.qk_mac_pj, mult_pj(t, 12, 12) + add_pj(t, 31));
  EXPECT_DOUBLE_EQ(r.pv_mac_pj, mult_pj(t, 17, 12) + add_pj(t, 29));
  // 196608 B lies between the 32 KB (20 pJ) and 1 MB (100 pJ) points:
  // 20 * 6^(ln 5 / ln 32) = 45.96 pJ
  EXPECT_DOUBLE_EQ(r.key_sram_pj_per_64bit, t.sram_read_pj_per_64bit(196608));
  EXPECT_NEAR(r.key_sram_pj_per_64bit, 20.0 * std::pow(6.0, std::log(5.0) / std::log(32.0)), 1e-9);
  EXPECT_NEAR(r.key_sram_pj_per_64bit, 45.96, 0.01);
  EXPECT_DOUBLE_EQ(r.dram_pj_per_byte, 8 * 3.9);
  EXPECT_DOUBLE_EQ(r.topk_compare_pj, 0.1);  // the table's own 32-bit add
}

TEST(EnergyPrice, HandComputedBreakdown) {
  const EnergyBreakdown e = price(hand_run(), linear_table(), test_preset());
  EXPECT_EQ(e.table, "linear-test");
  EXPECT_EQ(e.node_nm, 45);
  EXPECT_EQ(e.preset, "test-preset");
  EXPECT_DOUBLE_EQ(e.qk_multipliers_pj, 1000 * 6.125);        // 6125
  EXPECT_DOUBLE_EQ(e.pv_multipliers_pj, 200 * 6.8125);        // 1362.5
  EXPECT_DOUBLE_EQ(e.softmax_exp_pj, 100 * 31.5);             // 3150
  EXPECT_DOUBLE_EQ(e.softmax_divide_pj, 2 * 190.125);         // 380.25
  EXPECT_DOUBLE_EQ(e.softmax_normalize_pj, 100 * 975.0 / 64); // 1523.4375
  EXPECT_DOUBLE_EQ(e.softmax_pj, 5053.6875);
  EXPECT_DOUBLE_EQ(e.topk_engine_pj, 64 * 4.0);               // 256
  EXPECT_DOUBLE_EQ(e.importance_pj, 50 * 8.0);                // 400
  EXPECT_DOUBLE_EQ(e.key_sram_pj, (800 + 80) / 8.0 * 50.0);   // 5500: writes priced as reads
  EXPECT_DOUBLE_EQ(e.value_sram_pj, (160 + 16) / 8.0 * 10.0); // 220
  EXPECT_DOUBLE_EQ(e.dram_pj, 228 * 32.0);                    // 7296
  EXPECT_DOUBLE_EQ(e.total_pj, 6125 + 1362.5 + 5053.6875 + 256 + 400 + 5500 + 220 + 7296.0);
  double sum = 0;
  const auto parts = e.components();
  ASSERT_EQ(parts.size(), 8u);
  for (const auto& [name, pj] : parts) sum += pj;
  EXPECT_DOUBLE_EQ(sum, e.total_pj);
  EXPECT_EQ(parts.front().first, "qk_multipliers");
  EXPECT_EQ(parts.back().first, "dram");
}

TEST(EnergyPrice, EmptyRunCostsNothing) {
  const EnergyBreakdown e = price(RunResult{}, linear_table(), test_preset());
  EXPECT_EQ(e.total_pj, 0.0);
}

TEST(EnergyPrice, SramTrafficWithoutSramIsAnError) {
  m::AcceleratorPreset p = test_preset();
  p.hardware.value_sram_bytes = 0;
  RunResult r = hand_run();
  EXPECT_THROW(price(r, linear_table(), p), m::PresetError);
  r.ops.value_sram_read_bytes = r.ops.value_sram_write_bytes = 0;
  EXPECT_DOUBLE_EQ(price(r, linear_table(), p).value_sram_pj, 0.0);
}

// ---------------------------------------------------------------- report

TEST(Report, EveryFieldOfTheRecord) {
  const RunResult run = hand_run();
  const EnergyBreakdown e = price(run, linear_table(), test_preset());
  const json cfg = {{"preset", "test-preset"}, {"clock_mhz", 1000}};
  const json wl = {{"kind", "trace"}, {"file", "x.csv"}, {"rows", 12}};
  const json j = to_json(run, e, cfg, wl);

  EXPECT_EQ(j.at("record_version"), kRecordVersion);
  ASSERT_TRUE(j.at("cycles").is_number_integer());
  EXPECT_EQ(j.at("cycles").get<std::uint64_t>(), 1000u);
  EXPECT_DOUBLE_EQ(j.at("seconds").get<double>(), 1e-6);
  EXPECT_DOUBLE_EQ(j.at("hbm_utilization").get<double>(), 0.1);

  const json& d = j.at("dram_bytes");
  EXPECT_EQ(d.at("k_msb"), 100);
  EXPECT_EQ(d.at("k_lsb"), 20);
  EXPECT_EQ(d.at("v"), 50);
  EXPECT_EQ(d.at("q"), 10);
  EXPECT_EQ(d.at("out"), 40);
  EXPECT_EQ(d.at("meta"), 8);
  EXPECT_EQ(d.at("total"), 228);
  EXPECT_EQ(d.size(), 7u);
  const json& rd = j.at("dram_bytes_read");
  const json& wr = j.at("dram_bytes_written");
  EXPECT_EQ(rd.at("total"), 185);
  EXPECT_EQ(wr.at("total"), 43);
  EXPECT_EQ(rd.at("meta"), 5);
  EXPECT_EQ(wr.at("meta"), 3);
  EXPECT_EQ(wr.at("out"), 40);
  EXPECT_EQ(rd.at("out"), 0);

  const json& busy = j.at("busy_cycles");
  const json& stall = j.at("stall_cycles");
  EXPECT_EQ(busy.size(), 4u);
  EXPECT_EQ(busy.at("qk_unit"), 500);
  EXPECT_EQ(busy.at("qk_unit#2"), 7);  // a repeated name gets a suffix
  EXPECT_EQ(busy.at("topk_engine"), 100);
  EXPECT_EQ(busy.at("hbm"), 800);
  EXPECT_EQ(stall.at("qk_unit"), 20);
  EXPECT_EQ(stall.at("qk_unit#2"), 1);
  EXPECT_EQ(stall.at("hbm"), 0);

  const json& en = j.at("energy_pj");
  EXPECT_EQ(en.size(), 9u);
  for (const auto& [name, pj] : e.components()) EXPECT_DOUBLE_EQ(en.at(name).get<double>(), pj) << name;
  EXPECT_DOUBLE_EQ(en.at("total").get<double>(), e.total_pj);
  EXPECT_DOUBLE_EQ(en.at("softmax").get<double>(), 5053.6875);
  const json& meta = j.at("energy");
  EXPECT_EQ(meta.at("table"), "linear-test");
  EXPECT_EQ(meta.at("node_nm"), 45);
  EXPECT_NE(meta.at("note").get<std::string>().find("45 nm"), std::string::npos);
  EXPECT_DOUBLE_EQ(meta.at("softmax_pj").at("divide").get<double>(), 380.25);
  EXPECT_DOUBLE_EQ(meta.at("rates_pj").at("qk_mac").get<double>(), 6.125);
  EXPECT_EQ(meta.at("widths_bits").at("qk_multiply"), json::array({12, 12}));

  const json& ops = j.at("ops");
  EXPECT_EQ(ops.size(), 11u);
  EXPECT_EQ(ops.at("qk_macs"), 1000);
  EXPECT_EQ(ops.at("pv_macs"), 200);
  EXPECT_EQ(ops.at("exp_ops"), 100);
  EXPECT_EQ(ops.at("divisions"), 2);
  EXPECT_EQ(ops.at("prob_multiplies"), 100);
  EXPECT_EQ(ops.at("topk_comparisons"), 64);
  EXPECT_EQ(ops.at("importance_adds"), 50);
  EXPECT_EQ(ops.at("key_sram_read_bytes"), 800);
  EXPECT_EQ(ops.at("key_sram_write_bytes"), 80);
  EXPECT_EQ(ops.at("value_sram_read_bytes"), 160);
  EXPECT_EQ(ops.at("value_sram_write_bytes"), 16);

  const json& f = j.at("facts");
  EXPECT_EQ(f.at("head_jobs"), 12);
  EXPECT_EQ(f.at("requant_rows"), 3);
  EXPECT_EQ(f.at("keys_fetched"), 900);
  EXPECT_EQ(f.at("values_fetched"), 180);
  EXPECT_EQ(f.at("token_topk_events"), 1);
  EXPECT_EQ(f.at("head_topk_events"), 2);

  EXPECT_EQ(j.at("config"), cfg);
  EXPECT_EQ(j.at("workload"), wl);
}

TEST(Report, SummaryKeyLines) {
  const RunResult run = hand_run();
  const json j = to_json(run, price(run, linear_table(), test_preset()),
                         {{"preset", "test-preset"}, {"clock_mhz", 1000}},
                         {{"kind", "decode"}, {"model", "gpt2-small"}, {"policy", "dense"}, {"context", 993},
                          {"steps", 32}});
  const std::string s = text_summary(j);
  auto has = [&](const std::string& needle) {
    EXPECT_NE(s.find(needle), std::string::npos) << "missing '" << needle << "' in:\n" << s;
  };
  has("spatten-sim: gpt2-small decode, policy dense, context 993 + 32 steps on preset test-preset\n");
  has("cycles        1,000   (1.000 us at 1000 MHz)\n");
  has("head jobs     12   requant rows 3 (25.0%)");
  has("fetched       keys 900   values 180\n");
  has("DRAM          228 B (228 B)   HBM utilization 10.0% of peak\n");
  has("  k_msb              100 B   43.9%\n");  // 100 / 228
  has("  out                 40 B   17.5%\n");
  has("energy        26.213 nJ   (table linear-test, 45 nm");  // 26,213.1875 pJ
  has("  qk_multipliers      6.125 nJ   23.4%\n");  // 6125 / 26213.1875
  has("busiest units (of 4; % of cycles busy / stalled)\n");
  has("  hbm                   80.0%     0.0%\n");
  has("  qk_unit               50.0%     2.0%\n");
  // ordered: busiest first, largest energy first
  EXPECT_LT(s.find("  hbm "), s.find("  qk_unit "));
  EXPECT_LT(s.find("  dram "), s.find("  qk_multipliers"));
  EXPECT_LT(s.find("  qk_multipliers"), s.find("  key_sram"));
  EXPECT_EQ(s.back(), '\n');
  // the summary of the saved record is the same
  EXPECT_EQ(text_summary(json::parse(j.dump())), s);
}

TEST(Report, SummaryOfAnEmptyOrPartialRecordDoesNotThrow) {
  EXPECT_NO_THROW(text_summary(json::object()));
  EXPECT_NO_THROW(text_summary(json{{"cycles", 5}, {"config", "not an object"}, {"busy_cycles", {{"a", -1}}}}));
  EXPECT_NE(text_summary(json{{"cycles", 12345}}).find("12,345"), std::string::npos);
}

}  // namespace
