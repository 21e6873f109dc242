// The generated configuration (spatten::config) equals the YAML it came from,
// in C++ (compile time), SV and Tcl; spatten-gen behaves as documented.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "spatten/config/all.h"
#include "spatten/models/generate.h"
#include "spatten/models/presets.h"

int spatten_generated_cxx14_check();  // generated_cxx14_check.cpp, built as C++14

namespace sm = spatten::models;
namespace fs = std::filesystem;
namespace cfg = spatten::config;

// Compile-time facts, written by hand from the YAML files (sources in the
// YAML comments). The run-time test below checks every field against the loader.
static_assert(cfg::spatten_paper::clock_mhz == 1000);
static_assert(cfg::spatten_paper::qk_multipliers == 512 && cfg::spatten_paper::pv_multipliers == 512);
static_assert(cfg::spatten_paper::key_sram_bytes == 196608LL);
static_assert(cfg::spatten_1_8::qk_multipliers == 64 && cfg::spatten_1_8::hbm_channels_used == 2);
static_assert(cfg::spatten_1_8::key_buffer_lines == 2048);
static_assert(cfg::spatten_1_8::q_bits == 12 && cfg::spatten_1_8::k_msb_bits == 8);
static_assert(cfg::alveo_u280::hbm_channels == 32 && cfg::alveo_u280::clock_mhz == 300);
static_assert(cfg::alveo_u55c::board_dsps == 9024LL);
static_assert(!cfg::spatten_paper::has_board);

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct GenRun {
  int status;
  std::string output;
};

GenRun run_gen(const std::string& args) {
  const std::string cmd = std::string("'") + SPATTEN_GEN_EXE + "' " + args + " 2>&1";
  GenRun r{-1, {}};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) r.output += buf.data();
  const int st = pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

template <typename C>
void expect_struct_matches(const sm::AcceleratorPreset& p) {
  EXPECT_STREQ(C::name(), p.name.c_str());
  EXPECT_EQ(C::q_bits, p.numerics.q_bits);
  EXPECT_EQ(C::k_msb_bits, p.numerics.k_msb_bits);
  EXPECT_EQ(C::k_lsb_bits, p.numerics.k_lsb_bits);
  EXPECT_EQ(C::v_msb_bits, p.numerics.v_msb_bits);
  EXPECT_EQ(C::v_lsb_bits, p.numerics.v_lsb_bits);
  EXPECT_EQ(C::logit_frac_bits, p.numerics.logit_frac_bits);
  EXPECT_EQ(C::prob_frac_bits, p.numerics.prob_frac_bits);
  EXPECT_EQ(C::out_frac_bits, p.numerics.out_frac_bits);
  EXPECT_EQ(C::max_context, p.capacity.max_context);
  EXPECT_EQ(C::max_head_dim, p.capacity.max_head_dim);
  EXPECT_EQ(C::max_query_heads, p.capacity.max_query_heads);
  EXPECT_EQ(C::clock_mhz, p.hardware.clock_mhz);
  EXPECT_EQ(C::qk_multipliers, p.hardware.qk_multipliers);
  EXPECT_EQ(C::pv_multipliers, p.hardware.pv_multipliers);
  EXPECT_EQ(C::qk_adder_tree_latency, p.hardware.qk_adder_tree_latency);
  EXPECT_EQ(C::topk_parallelism, p.hardware.topk_parallelism);
  EXPECT_EQ(C::hbm_channels, p.hardware.hbm_channels);
  EXPECT_EQ(C::hbm_channels_used, p.hardware.hbm_channels_used);
  EXPECT_EQ(C::hbm_bytes_per_cycle_per_channel, p.hardware.hbm_bytes_per_cycle_per_channel);
  EXPECT_EQ(C::hbm_latency_cycles, p.hardware.hbm_latency_cycles);
  EXPECT_EQ(C::hbm_max_outstanding, p.hardware.hbm_max_outstanding);
  EXPECT_EQ(C::hbm_transaction_bytes, p.hardware.hbm_transaction_bytes);
  EXPECT_EQ(C::key_buffer_lines, p.hardware.key_buffer_lines);
  EXPECT_EQ(C::key_sram_bytes, p.hardware.key_sram_bytes);
  EXPECT_EQ(C::value_sram_bytes, p.hardware.value_sram_bytes);
  EXPECT_EQ(C::has_board, p.board.has_value());
}

template <typename C>
void expect_board_matches(const sm::AcceleratorPreset& p) {
  ASSERT_TRUE(p.board.has_value());
  EXPECT_STREQ(C::board_part(), p.board->part.c_str());
  EXPECT_STREQ(C::board_platform(), p.board->platform.c_str());
  EXPECT_EQ(C::board_luts, p.board->luts);
  EXPECT_EQ(C::board_dsps, p.board->dsps);
  EXPECT_EQ(C::board_bram36, p.board->bram36);
  EXPECT_EQ(C::board_uram, p.board->uram);
  EXPECT_EQ(C::board_hbm_bytes, p.board->hbm_bytes);
}

sm::AcceleratorPreset load(const char* name) {
  return sm::load_accelerator(sm::find_preset(sm::PresetKind::accel, name));
}

}  // namespace

TEST(ModelsGenerated, CppHeadersMatchTheYaml) {
  expect_struct_matches<cfg::spatten_paper>(load("spatten-paper"));
  expect_struct_matches<cfg::spatten_1_8>(load("spatten-1-8"));
  expect_struct_matches<cfg::alveo_u280>(load("alveo-u280"));
  expect_struct_matches<cfg::alveo_u55c>(load("alveo-u55c"));
  expect_board_matches<cfg::alveo_u280>(load("alveo-u280"));
  expect_board_matches<cfg::alveo_u55c>(load("alveo-u55c"));
  EXPECT_EQ(spatten_generated_cxx14_check(), 300);
}

TEST(ModelsGenerated, SvAndTclCarryEveryField) {
  for (const char* name : {"spatten-paper", "spatten-1-8", "alveo-u280", "alveo-u55c"}) {
    SCOPED_TRACE(name);
    const auto p = load(name);
    const std::string sv = slurp(fs::path(SPATTEN_GENERATED_DIR) / "sv" / (std::string(name) + ".sv"));
    const std::string tcl = slurp(fs::path(SPATTEN_GENERATED_DIR) / "tcl" / (std::string(name) + ".tcl"));
    const std::string pkg = "spatten_" + sm::config_ident(name) + "_pkg";
    EXPECT_NE(sv.find("package " + pkg + ";"), std::string::npos);
    EXPECT_NE(sv.find("endpackage : " + pkg), std::string::npos);
    EXPECT_NE(sv.find("by spatten-gen; do not edit"), std::string::npos);
    EXPECT_NE(sv.find("models/accel/" + std::string(name) + ".yaml"), std::string::npos);
    for (const auto& f : sm::config_fields(p)) {
      std::string upper = f.name;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string want_sv =
          f.wide ? "localparam longint unsigned " + upper + " = 64'd" + std::to_string(f.value) + ";"
                 : "localparam int unsigned " + upper + " = " + std::to_string(f.value) + ";";
      EXPECT_NE(sv.find(want_sv), std::string::npos) << want_sv;
      const std::string want_tcl = "set SPATTEN_" + upper + " " + std::to_string(f.value) + "\n";
      EXPECT_NE(tcl.find(want_tcl), std::string::npos) << want_tcl;
    }
    if (p.board) {
      EXPECT_NE(tcl.find("set SPATTEN_BOARD_PART \"" + p.board->part + "\""), std::string::npos);
      EXPECT_NE(tcl.find("set SPATTEN_BOARD_PLATFORM \"" + p.board->platform + "\""), std::string::npos);
    }
  }
  const std::string sv = slurp(fs::path(SPATTEN_GENERATED_DIR) / "sv" / "spatten-1-8.sv");
  EXPECT_NE(sv.find("localparam int unsigned Q_BITS = 12;"), std::string::npos);
  EXPECT_NE(sv.find("localparam int unsigned QK_MULTIPLIERS = 64;"), std::string::npos);
  EXPECT_NE(sv.find("localparam int unsigned HBM_CHANNELS_USED = 2;"), std::string::npos);
  const std::string tcl = slurp(fs::path(SPATTEN_GENERATED_DIR) / "tcl" / "alveo-u280.tcl");
  EXPECT_NE(tcl.find("set SPATTEN_CLOCK_PERIOD_NS 3.333\n"), std::string::npos);
}

TEST(ModelsGenerated, GeneratorOutputEqualsTheBuiltFiles) {
  // The library functions and the build outputs agree (nothing hand-edited).
  const fs::path file = sm::find_preset(sm::PresetKind::accel, "spatten-1-8");
  const auto p = sm::load_accelerator(file);
  EXPECT_EQ(sm::generate_cpp_header(p, sm::source_label(file)),
            slurp(fs::path(SPATTEN_GENERATED_DIR) / "spatten" / "config" / "spatten-1-8.h"));
}

TEST(ModelsGenerator, HelpAndValidation) {
  const GenRun help = run_gen("--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("--preset"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--cpp"), std::string::npos);
  EXPECT_NE(help.output.find("--sv"), std::string::npos);
  EXPECT_NE(help.output.find("--tcl"), std::string::npos);

  const GenRun ok = run_gen("--preset spatten-1-8");
  EXPECT_EQ(ok.status, 0) << ok.output;

  const GenRun list = run_gen("--list");
  EXPECT_EQ(list.status, 0);
  EXPECT_NE(list.output.find("alveo-u55c\n"), std::string::npos);
}

TEST(ModelsGenerator, BadPresetExitsTwoWithOneLine) {
  const fs::path dir = fs::path(testing::TempDir()) / "spatten_gen_bad";
  fs::create_directories(dir);
  const fs::path bad = dir / "spatten-paper.yaml";
  std::size_t line = 0;
  {
    std::string text = slurp(sm::find_preset(sm::PresetKind::accel, "spatten-paper"));
    const auto at = text.find("clock_mhz: 1000");
    ASSERT_NE(at, std::string::npos);
    line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n')) + 1;
    text.replace(at, 15, "clock_mhz: 0   ");
    std::ofstream out(bad);
    out << text;
  }
  const fs::path out_h = dir / "out.h";
  const GenRun r = run_gen("--preset '" + bad.string() + "' --cpp '" + out_h.string() + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.output, "spatten-gen: error: " + bad.string() +
                          ": hardware.clock_mhz = 0 is out of range [1, 10000] (line " + std::to_string(line) + ")\n");
  EXPECT_FALSE(fs::exists(out_h));

  const GenRun unknown = run_gen("--preset no-such-preset");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(std::count(unknown.output.begin(), unknown.output.end(), '\n'), 1) << unknown.output;
  EXPECT_NE(unknown.output.find("no accel preset named 'no-such-preset'"), std::string::npos) << unknown.output;

  const GenRun usage = run_gen("--bogus");
  EXPECT_EQ(usage.status, 2);
  EXPECT_EQ(usage.output.rfind("spatten-gen: error: ", 0), 0u) << usage.output;

  const GenRun missing = run_gen("");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.output.find("--preset is required"), std::string::npos);
}
