// spatten-golden (the README's main job) run as a process: help, clear errors
// with exit status 2, and a short per8 decode whose JSON record is checked
// against the policy's closed-form keep counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "spatten_tool_runner.h"

namespace {
using spatten::test::run_tool;
using spatten::test::shell_quote;

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }
}  // namespace

TEST(SpattenGoldenTool, Help) {
  const auto r = run_tool(SPATTEN_GOLDEN_TOOL, "--help");
  EXPECT_EQ(r.status, 0) << r.err;
  for (const char* opt : {"--model", "--policy", "--preset", "--prompt", "--steps", "--seed", "--json", "--quiet"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

TEST(SpattenGoldenTool, BadInputsGiveOneErrorLineAndExit2) {
  struct Case {
    const char* args;
    const char* expect;
  };
  const Case cases[] = {
      {"--model no-such-model --quiet", "no-such-model"},
      {"--policy no-such-policy --quiet", "no-such-policy"},
      {"--preset no-such-preset --quiet", "no-such-preset"},
      {"--prompt 40000 --steps 1 --quiet", "max_context"},
      {"--steps 0 --quiet", "--steps"},
      {"--prompt 0 --quiet", "--prompt"},
  };
  for (const Case& c : cases) {
    const auto r = run_tool(SPATTEN_GOLDEN_TOOL, c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1u) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find("spatten-golden: error:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << c.args;
  }
}

TEST(SpattenGoldenTool, Per8DecodeRecord) {
  const auto json_path = spatten::test::scratch_path("record.json");
  // prompt 1100 > the reference length 1024, so every layer prunes from step 1 on
  const auto r = run_tool(SPATTEN_GOLDEN_TOOL, "--model gpt2-small --policy spatten-gpt2-per8 --prompt 1100 "
                                               "--steps 2 --seed 5 --quiet --json " +
                                                   shell_quote(json_path.string()));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << "--quiet prints nothing";
  const nlohmann::json j = nlohmann::json::parse(spatten::test::slurp(json_path));
  ASSERT_EQ(j["layers"].size(), 12u);
  // step 0 attends to all 1101 tokens (no pruning before start_step 1); step 1
  // keeps floor(ratio_q16 * 1024 / 2^16) of 1102: 921, 716, 204, 102
  const int keys[] = {921, 716, 204, 204, 204, 204, 102, 102, 102, 102, 102, 102};
  for (int l = 0; l < 12; ++l) {
    const auto& layer = j["layers"][static_cast<std::size_t>(l)];
    EXPECT_DOUBLE_EQ(layer["mean_live_tokens"].get<double>(), (1101.0 + keys[l]) / 2.0) << "layer " << l;
    EXPECT_DOUBLE_EQ(layer["mean_live_kv_heads"].get<double>(), 12.0);
    EXPECT_EQ(layer["rows"].get<long>(), 24);
    EXPECT_EQ(layer["key_rows_fetched"].get<long>(), 12L * (1101 + keys[l]));
    EXPECT_EQ(layer["dense_key_rows"].get<long>(), 12L * (1101 + 1102));
  }
  EXPECT_EQ(j["totals"]["rows"].get<long>(), 288);
  EXPECT_GT(j["totals"]["key_row_reduction"].get<double>(), 1.5);
  // the dense golden run stays within the stated 12-bit tolerance (hls/README.md)
  EXPECT_LE(j["error_over_max_abs_v"]["dense_vs_float_max"].get<double>(), 0.005);
  EXPECT_EQ(j["config"]["preset"], "spatten-1-8");
}
