// Shipped presets load with the values their sources give, and every kind of
// damage to every shipped file is reported with the file name and field path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "spatten/models/presets.h"

namespace sm = spatten::models;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = fs::path(SPATTEN_SOURCE_DIR) / "models";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Kept tokens for a Q0.16 ratio, the documented rule (golden implements it).
std::uint32_t kept(std::uint32_t ratio_q16, std::uint32_t n) {
  return static_cast<std::uint32_t>((std::uint64_t{ratio_q16} * n) >> 16);
}

void load_any(sm::PresetKind kind, const fs::path& p) {
  switch (kind) {
    case sm::PresetKind::llm:
      (void)sm::load_llm(p);
      break;
    case sm::PresetKind::accel:
      (void)sm::load_accelerator(p);
      break;
    case sm::PresetKind::energy:
      (void)sm::load_energy(p);
      break;
    case sm::PresetKind::policy:
      (void)sm::load_policy(p);
      break;
  }
}

}  // namespace

TEST(ModelsPresets, ListsEveryShippedPreset) {
  EXPECT_EQ(sm::list_presets(sm::PresetKind::accel),
            (std::vector<std::string>{"alveo-u280", "alveo-u55c", "spatten-1-8", "spatten-paper"}));
  EXPECT_EQ(sm::list_presets(sm::PresetKind::llm),
            (std::vector<std::string>{"bert-base", "bert-large", "gpt2-medium", "gpt2-small", "llama2-7b", "llama3-8b",
                                      "smollm2-135m"}));
  EXPECT_EQ(sm::list_presets(sm::PresetKind::policy),
            (std::vector<std::string>{"dense", "h2o-style", "spatten-gpt2-per8", "streaming-sinks"}));
  EXPECT_EQ(sm::list_presets(sm::PresetKind::energy), (std::vector<std::string>{"horowitz-45nm"}));
}

TEST(ModelsPresets, EveryShippedPresetLoads) {
  for (const auto kind : {sm::PresetKind::llm, sm::PresetKind::accel, sm::PresetKind::energy, sm::PresetKind::policy}) {
    for (const auto& name : sm::list_presets(kind)) {
      SCOPED_TRACE(std::string(sm::kind_name(kind)) + "/" + name);
      EXPECT_NO_THROW(load_any(kind, sm::find_preset(kind, name)));
    }
  }
}

TEST(ModelsPresets, SpattenPaper) {
  const auto p = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, "spatten-paper"));
  EXPECT_EQ(p.name, "spatten-paper");
  EXPECT_EQ(p.hardware.clock_mhz, 1000);
  EXPECT_EQ(p.hardware.qk_multipliers, 512);
  EXPECT_EQ(p.hardware.pv_multipliers, 512);
  EXPECT_EQ(p.hardware.hbm_channels, 16);
  EXPECT_EQ(p.hardware.hbm_channels_used, 16);
  EXPECT_EQ(p.hardware.key_sram_bytes, 2 * 1024 * 64 * 12 / 8);  // 196 KB
  EXPECT_EQ(p.hardware.value_sram_bytes, 196608);
  EXPECT_EQ(p.hardware.topk_parallelism, 16);
  EXPECT_EQ(p.numerics.q_bits, 12);
  EXPECT_EQ(p.numerics.k_msb_bits, 8);
  EXPECT_EQ(p.numerics.k_lsb_bits, 4);
  EXPECT_EQ(p.numerics.logit_frac_bits, 10);
  EXPECT_EQ(p.numerics.prob_frac_bits, 16);
  EXPECT_EQ(p.numerics.out_frac_bits, 4);
  EXPECT_EQ(p.capacity.max_context, 32768);
  EXPECT_EQ(p.capacity.max_head_dim, 128);
  EXPECT_EQ(p.capacity.max_query_heads, 64);
  EXPECT_FALSE(p.board.has_value());
}

TEST(ModelsPresets, Spatten18IsTheReleaseDefaultRun) {
  const auto p = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, "spatten-1-8"));
  EXPECT_EQ(p.hardware.qk_multipliers, 64);
  EXPECT_EQ(p.hardware.pv_multipliers, 64);
  EXPECT_EQ(p.hardware.hbm_channels, 16);
  EXPECT_EQ(p.hardware.hbm_channels_used, 2);
  EXPECT_EQ(p.hardware.key_buffer_lines, 2048);
  EXPECT_EQ(p.hardware.topk_parallelism, 16);
  EXPECT_EQ(p.hardware.clock_mhz, 1000);
  EXPECT_EQ(p.hardware.qk_adder_tree_latency, 8);
  EXPECT_EQ(p.hardware.hbm_transaction_bytes, 32);
}

TEST(ModelsPresets, AlveoBoards) {
  for (const char* name : {"alveo-u280", "alveo-u55c"}) {
    SCOPED_TRACE(name);
    const auto p = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, name));
    EXPECT_EQ(p.hardware.clock_mhz, 300);
    EXPECT_EQ(p.hardware.hbm_channels, 32);
    // 14.375 GB/s / 300 MHz = 47.9 B/cycle, rounded down.
    EXPECT_EQ(p.hardware.hbm_bytes_per_cycle_per_channel, 47);
    ASSERT_TRUE(p.board.has_value());
    EXPECT_EQ(p.board->luts, 1303680);
    EXPECT_EQ(p.board->dsps, 9024);
    EXPECT_EQ(p.board->bram36, 2016);
    EXPECT_EQ(p.board->uram, 960);
    // The multipliers (one DSP each) must fit the board.
    EXPECT_LT(p.hardware.qk_multipliers + p.hardware.pv_multipliers, p.board->dsps / 4);
  }
  const auto u280 = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, "alveo-u280"));
  const auto u55c = sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, "alveo-u55c"));
  EXPECT_EQ(u280.board->part, "xcu280-fsvh2892-2L-e");
  EXPECT_EQ(u280.board->platform, "xilinx_u280_gen3x16_xdma_1_202211_1");
  EXPECT_EQ(u280.board->hbm_bytes, std::int64_t{8} << 30);
  EXPECT_EQ(u55c.board->part, "xcu55c-fsvh2892-2L-e");
  EXPECT_EQ(u55c.board->hbm_bytes, std::int64_t{16} << 30);
}

TEST(ModelsPresets, LlmShapes) {
  const auto l3 = sm::load_llm(sm::find_preset(sm::PresetKind::llm, "llama3-8b"));
  EXPECT_EQ(l3.query_heads, 32);
  EXPECT_EQ(l3.kv_heads, 8);
  EXPECT_EQ(l3.head_dim, 128);
  EXPECT_EQ(l3.layers, 32);
  EXPECT_EQ(l3.vocab, 128256);
  EXPECT_EQ(l3.positional, sm::Positional::rope);
  EXPECT_DOUBLE_EQ(l3.rope_theta, 500000.0);
  EXPECT_EQ(l3.norm, sm::Norm::rmsnorm);

  const auto smol = sm::load_llm(sm::find_preset(sm::PresetKind::llm, "smollm2-135m"));
  EXPECT_EQ(smol.query_heads, 9);
  EXPECT_EQ(smol.kv_heads, 3);
  EXPECT_EQ(smol.layers, 30);
  EXPECT_EQ(smol.hidden, 576);
  EXPECT_EQ(smol.head_dim, 64);

  const auto g2 = sm::load_llm(sm::find_preset(sm::PresetKind::llm, "gpt2-small"));
  EXPECT_EQ(g2.layers, 12);
  EXPECT_EQ(g2.hidden, 768);
  EXPECT_EQ(g2.max_context, 1024);
  EXPECT_EQ(g2.positional, sm::Positional::learned);
  EXPECT_EQ(g2.rope_theta, 0.0);
  EXPECT_TRUE(g2.causal);

  const auto bert = sm::load_llm(sm::find_preset(sm::PresetKind::llm, "bert-large"));
  EXPECT_FALSE(bert.causal);
  EXPECT_EQ(bert.layers, 24);
  EXPECT_EQ(bert.query_heads, 16);

  for (const auto& name : sm::list_presets(sm::PresetKind::llm)) {
    const auto s = sm::load_llm(sm::find_preset(sm::PresetKind::llm, name));
    EXPECT_EQ(s.query_heads * s.head_dim, s.hidden) << name;
  }
}

TEST(ModelsPresets, Per8PolicyReproducesTheOfficialTrace) {
  const auto p = sm::load_policy(sm::find_preset(sm::PresetKind::policy, "spatten-gpt2-per8"));
  ASSERT_EQ(p.token.keep_ratio_q16.size(), 12u);
  EXPECT_TRUE(p.token.keep_count.empty());
  EXPECT_EQ(p.token.reference_length, 1024);
  const std::vector<std::uint32_t> keys_expected = {921, 716, 204, 204, 204, 204, 102, 102, 102, 102, 102, 102};
  const std::vector<std::uint32_t> values_expected = {184, 143, 40, 40, 40, 40, 20, 20, 20, 20, 20, 20};
  ASSERT_TRUE(p.value.keep_ratio_q16.has_value());
  EXPECT_EQ(*p.value.keep_ratio_q16, 13107u);  // round(0.2 * 65536)
  for (std::size_t l = 0; l < 12; ++l) {
    const std::uint32_t keys = kept(p.token.keep_ratio_q16[l], 1024);
    EXPECT_EQ(keys, keys_expected[l]) << "layer " << l;
    EXPECT_EQ(kept(*p.value.keep_ratio_q16, keys), values_expected[l]) << "layer " << l;
  }
  EXPECT_TRUE(p.requant.enabled);
  EXPECT_EQ(p.requant.threshold_q16, 3277u);  // round(0.05 * 65536)
  EXPECT_EQ(p.requant.key_msb_bits, 6);
  EXPECT_EQ(p.requant.key_lsb_bits, 4);
}

TEST(ModelsPresets, OtherPolicies) {
  const auto dense = sm::load_policy(sm::find_preset(sm::PresetKind::policy, "dense"));
  EXPECT_TRUE(dense.token.keep_ratio_q16.empty());
  EXPECT_TRUE(dense.token.keep_count.empty());
  EXPECT_EQ(*dense.value.keep_ratio_q16, 65536u);
  EXPECT_FALSE(dense.requant.enabled);

  const auto sinks = sm::load_policy(sm::find_preset(sm::PresetKind::policy, "streaming-sinks"));
  EXPECT_EQ(sinks.token.sink_tokens, 4);
  EXPECT_EQ(sinks.token.recent_tokens, 1020);
  EXPECT_EQ(sinks.token.keep_count, (std::vector<std::uint32_t>{1024}));

  const auto h2o = sm::load_policy(sm::find_preset(sm::PresetKind::policy, "h2o-style"));
  EXPECT_EQ(h2o.token.reference_length, 0);
  EXPECT_EQ(h2o.token.keep_ratio_q16, (std::vector<std::uint32_t>{13107}));
  EXPECT_GT(h2o.token.recent_tokens, 0);
}

TEST(ModelsPresets, EnergyTable) {
  const auto e = sm::load_energy(sm::find_preset(sm::PresetKind::energy, "horowitz-45nm"));
  EXPECT_EQ(e.node_nm, 45);
  EXPECT_DOUBLE_EQ(e.int8_add_pj, 0.03);
  EXPECT_DOUBLE_EQ(e.int32_mult_pj, 3.1);
  EXPECT_DOUBLE_EQ(e.hbm_pj_per_bit, 3.9);
  // Table points are returned exactly; between them the power law through them.
  EXPECT_DOUBLE_EQ(e.sram_read_pj_per_64bit(8192), 10.0);
  EXPECT_DOUBLE_EQ(e.sram_read_pj_per_64bit(32768), 20.0);
  EXPECT_DOUBLE_EQ(e.sram_read_pj_per_64bit(1048576), 100.0);
  EXPECT_NEAR(e.sram_read_pj_per_64bit(16384), 10.0 * std::sqrt(2.0), 1e-9);
  // 196 KB lies between 32 KB and 1 MB: monotone.
  const double mid = e.sram_read_pj_per_64bit(196608);
  EXPECT_GT(mid, 20.0);
  EXPECT_LT(mid, 100.0);
  // Outside the table: sqrt scaling from the nearest point.
  EXPECT_NEAR(e.sram_read_pj_per_64bit(2048), 5.0, 1e-9);
  EXPECT_NEAR(e.sram_read_pj_per_64bit(4 * 1048576), 200.0, 1e-9);
  EXPECT_THROW((void)e.sram_read_pj_per_64bit(0), sm::PresetError);
}

TEST(ModelsPresets, Q16Conversion) {
  EXPECT_EQ(sm::to_q16(0.0), 0u);
  EXPECT_EQ(sm::to_q16(1.0), 65536u);
  EXPECT_EQ(sm::to_q16(0.9), 58982u);
  EXPECT_EQ(sm::to_q16(0.1), 6554u);
  EXPECT_EQ(sm::to_q16(2.0), 65536u);
}

TEST(ModelsPresets, FindPresetErrors) {
  try {
    (void)sm::find_preset(sm::PresetKind::accel, "spatten-1-9");
    FAIL() << "expected PresetError";
  } catch (const sm::PresetError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("spatten-1-9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("spatten-1-8"), std::string::npos) << msg;  // lists the available ones
  }
  EXPECT_THROW((void)sm::find_preset(sm::PresetKind::llm, "/nonexistent/x.yaml"), sm::PresetError);
  EXPECT_THROW((void)sm::parse_kind("accelerator"), sm::PresetError);
  EXPECT_EQ(sm::parse_kind("policy"), sm::PresetKind::policy);
}

// ------------------------------------------------------------------ damage
namespace {

struct Damage {
  std::string what;
  std::function<std::string(const std::string&)> edit;
  std::vector<std::string> expect;  // substrings of the message
};

// The line whose first non-blank text is "<key>:" (first occurrence).
std::size_t find_key_line(const std::vector<std::string>& lines, const std::string& key) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto first = lines[i].find_first_not_of(' ');
    if (first != std::string::npos && lines[i].compare(first, key.size() + 1, key + ":") == 0) return i;
  }
  return lines.size();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string delete_key(const std::string& text, const std::string& key) {
  auto lines = split_lines(text);
  const auto i = find_key_line(lines, key);
  EXPECT_LT(i, lines.size()) << key;
  if (i < lines.size()) lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
  return join_lines(lines);
}

std::string set_value(const std::string& text, const std::string& key, const std::string& value) {
  auto lines = split_lines(text);
  const auto i = find_key_line(lines, key);
  EXPECT_LT(i, lines.size()) << key;
  if (i < lines.size()) {
    const auto indent = lines[i].find_first_not_of(' ');
    lines[i] = lines[i].substr(0, indent) + key + ": " + value + "   # damaged by the test";
  }
  return join_lines(lines);
}

std::string insert_after(const std::string& text, const std::string& key, const std::string& new_key) {
  auto lines = split_lines(text);
  const auto i = find_key_line(lines, key);
  EXPECT_LT(i, lines.size()) << key;
  if (i < lines.size()) {
    const auto indent = lines[i].find_first_not_of(' ');
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1, lines[i].substr(0, indent) + new_key + ": 5");
  }
  return join_lines(lines);
}

// For each kind: a field present in every preset of that kind (key, full path),
// an out-of-range value and its expected range text.
struct KindCase {
  sm::PresetKind kind;
  std::string key;
  std::string path;
  std::string bad_value;
  std::string range;
};

const std::vector<KindCase> kKindCases = {
    {sm::PresetKind::accel, "k_msb_bits", "numerics.k_msb_bits", "0", "[1, 16]"},
    {sm::PresetKind::accel, "clock_mhz", "hardware.clock_mhz", "-3", "[1, 10000]"},
    {sm::PresetKind::llm, "head_dim", "head_dim", "1e99", "[1, 1024]"},
    {sm::PresetKind::energy, "hbm_pj_per_bit", "dram.hbm_pj_per_bit", "-1", "(0, 1000]"},
    {sm::PresetKind::policy, "threshold", "requant.threshold", "1.5", "[0, 1]"},
};

}  // namespace

TEST(ModelsPresetsDamage, EveryShippedFileReportsFileAndField) {
  const fs::path tmp = fs::path(testing::TempDir()) / "spatten_models_damage";
  fs::create_directories(tmp);
  for (const auto& kc : kKindCases) {
    for (const auto& name : sm::list_presets(kc.kind)) {
      const fs::path original = sm::find_preset(kc.kind, name);
      const std::string text = slurp(original);
      const std::string file = name + ".yaml";
      const std::string leaf = kc.path.substr(kc.path.rfind('.') == std::string::npos ? 0 : kc.path.rfind('.') + 1);
      const std::string parent =
          kc.path.find('.') == std::string::npos ? "" : kc.path.substr(0, kc.path.rfind('.') + 1);
      const std::vector<Damage> damages = {
          {"deleted",
           [&](const std::string& t) { return delete_key(t, kc.key); },
           {file, "missing required field '" + kc.path + "'"}},
          {"out of range",
           [&](const std::string& t) { return set_value(t, kc.key, kc.bad_value); },
           {file, kc.path + " = " + kc.bad_value, kc.range}},
          {"wrong type (list)",
           [&](const std::string& t) { return set_value(t, kc.key, "[1, 2]"); },
           {file, kc.path + " must be", "got a list"}},
          {"wrong type (string)",
           [&](const std::string& t) { return set_value(t, kc.key, "\"12\""); },
           {file, kc.path + " must be", "quoted string"}},
          {"wrong type (word)",
           [&](const std::string& t) { return set_value(t, kc.key, "twelve"); },
           {file, kc.path + " = twelve is not"}},
          {"unknown key",
           [&](const std::string& t) { return insert_after(t, kc.key, kc.key + "x"); },
           {file, "unknown field '" + parent + leaf + "x'"}},
          {"duplicate key",
           [&](const std::string& t) { return insert_after(t, kc.key, kc.key); },
           {file, "duplicate field '" + kc.path + "'"}},
          {"syntax error",
           [&](const std::string& t) { return t + "broken: [1, 2\n"; },
           {file + ":", "YAML syntax error"}},
      };
      for (const auto& d : damages) {
        SCOPED_TRACE(original.string() + ": " + d.what + " " + kc.path);
        const fs::path damaged = tmp / file;
        {
          std::ofstream out(damaged, std::ios::binary | std::ios::trunc);
          out << d.edit(text);
        }
        try {
          load_any(kc.kind, damaged);
          ADD_FAILURE() << "a damaged preset loaded";
        } catch (const sm::PresetError& e) {
          const std::string msg = e.what();
          for (const auto& want : d.expect) {
            EXPECT_NE(msg.find(want), std::string::npos) << "message: " << msg << "\nwanted: " << want;
          }
          // One line, no trailing junk.
          EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        }
      }
    }
  }
}

TEST(ModelsPresetsDamage, CrossFieldChecks) {
  const std::string accel = slurp(sm::find_preset(sm::PresetKind::accel, "spatten-paper"));
  auto expect_error = [](const std::function<void()>& f, const std::vector<std::string>& wants) {
    try {
      f();
      ADD_FAILURE() << "expected PresetError";
    } catch (const sm::PresetError& e) {
      for (const auto& w : wants) EXPECT_NE(std::string(e.what()).find(w), std::string::npos) << e.what();
    }
  };
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "k_lsb_bits", "9"), "x.yaml"); },
               {"x.yaml: numerics.k_msb_bits + numerics.k_lsb_bits = 8 + 9 = 17 exceeds 16"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "hbm_channels_used", "17"), "x.yaml"); },
               {"hardware.hbm_channels_used = 17 is out of range [1, 16]"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "max_head_dim", "72"), "x.yaml"); },
               {"capacity.max_head_dim = 72 is not a multiple of 16"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "out_frac_bits", "17"), "x.yaml"); },
               {"numerics.out_frac_bits = 17 is out of range [0, 16]"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "key_sram_bytes", "1000"), "x.yaml"); },
               {"hardware.key_sram_bytes = 1000 is smaller than the key buffer"});
  expect_error(
      [&] { (void)sm::load_accelerator_from_string(set_value(accel, "q_bits", "99999999999999999999"), "x.yaml"); },
      {"numerics.q_bits = 99999999999999999999 is out of range [1, 16]"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "q_bits", "12.0"), "x.yaml"); },
               {"numerics.q_bits = 12.0 is not an integer"});
  expect_error([&] { (void)sm::load_accelerator_from_string(set_value(accel, "q_bits", ""), "x.yaml"); },
               {"numerics.q_bits must be an integer in [1, 16], got nothing"});
  expect_error([&] { (void)sm::load_accelerator_from_string(accel + "---\nname: x\n", "x.yaml"); },
               {"x.yaml:", "a second YAML document starts here"});
  expect_error([&] { (void)sm::load_accelerator_from_string("", "x.yaml"); }, {"x.yaml: empty document"});
  // Inputs on which yaml-cpp 0.7 itself would loop or explode must be errors.
  expect_error([&] { (void)sm::load_accelerator_from_string(",", "x.yaml"); }, {"x.yaml:1:1:"});
  expect_error([&] { (void)sm::load_accelerator_from_string("a: &x [*x]\n", "x.yaml"); },
               {"x.yaml:1:4: YAML anchors (&name) are not supported"});
  expect_error([&] { (void)sm::load_accelerator_from_string("a: *x\n", "x.yaml"); }, {"x.yaml:"});
  expect_error([&] { (void)sm::load_accelerator_from_string(std::string("a: 1\nb\0: 2\n", 11), "x.yaml"); },
               {"x.yaml:2:2: control character 0x00 is not allowed"});
  expect_error([&] { (void)sm::load_accelerator_from_string("name: !!str x\n", "x.yaml"); }, {"explicit YAML tag"});
  expect_error([&] { (void)sm::load_accelerator_from_string("[1, 2]", "x.yaml"); }, {"must be a map"});

  {
    std::string typo = accel;
    typo.replace(typo.find("  clock_mhz:"), 12, "  clok_mhz:");
    expect_error([&] { (void)sm::load_accelerator_from_string(typo, "x.yaml"); },
                 {"x.yaml: unknown field 'hardware.clok_mhz' (line ", "did you mean 'hardware.clock_mhz'?"});
    expect_error([&] { (void)sm::load_accelerator_from_string(accel + "zzz: 1\n", "x.yaml"); },
                 {"unknown field 'zzz'", "the fields of the document are: name, description, numerics"});
  }

  const std::string llm = slurp(sm::find_preset(sm::PresetKind::llm, "llama3-8b"));
  expect_error([&] { (void)sm::load_llm_from_string(set_value(llm, "kv_heads", "7"), "l.yaml"); },
               {"query_heads = 32 is not a multiple of kv_heads = 7"});
  expect_error([&] { (void)sm::load_llm_from_string(set_value(llm, "positional", "learned"), "l.yaml"); },
               {"rope_theta is only allowed with positional: rope"});
  expect_error([&] { (void)sm::load_llm_from_string(set_value(llm, "norm", "batchnorm"), "l.yaml"); },
               {"norm = batchnorm is not one of: layernorm, rmsnorm"});
  expect_error([&] { (void)sm::load_llm_from_string(set_value(llm, "causal", "yes"), "l.yaml"); },
               {"causal = yes is not a boolean"});

  const std::string pol = slurp(sm::find_preset(sm::PresetKind::policy, "streaming-sinks"));
  expect_error([&] { (void)sm::load_policy_from_string(set_value(pol, "keep_count", "[100]"), "p.yaml"); },
               {"token.keep_count[0] = 100 is smaller than token.sink_tokens + token.recent_tokens = 1024"});
  expect_error([&] { (void)sm::load_policy_from_string(set_value(pol, "keep_count", "[1024, 0]"), "p.yaml"); },
               {"token.keep_count[1] = 0 is out of range"});
  const std::string per8 = slurp(sm::find_preset(sm::PresetKind::policy, "spatten-gpt2-per8"));
  expect_error([&] { (void)sm::load_policy_from_string(set_value(per8, "keep_ratio", "[0.9, 1.1]"), "p.yaml"); },
               {"token.keep_ratio[1] = 1.1 is out of range (0, 1]"});
  expect_error([&] { (void)sm::load_policy_from_string(set_value(per8, "keep_ratio", "[0.000001]"), "p.yaml"); },
               {"rounds to 0 in Q0.16"});
  expect_error([&] { (void)sm::load_policy_from_string(insert_after(per8, "keep_ratio", "keep_count"), "p.yaml"); },
               {"token.keep_ratio and token.keep_count are both given"});

  // The file name must match the preset name.
  const fs::path tmp = fs::path(testing::TempDir()) / "spatten_models_stem";
  fs::create_directories(tmp);
  {
    std::ofstream out(tmp / "renamed.yaml");
    out << accel;
  }
  expect_error([&] { (void)sm::load_accelerator(tmp / "renamed.yaml"); },
               {"renamed.yaml: name = spatten-paper does not match the file name 'renamed'"});
}
