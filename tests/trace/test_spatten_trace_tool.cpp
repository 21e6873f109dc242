// The spatten-trace tool, run as a process: help, summaries, JSON, and one
// error line with exit status 2 for a bad file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spatten_tool_runner.h"

namespace {

namespace fs = std::filesystem;

using Result = spatten::test::ToolResult;
using spatten::test::slurp;

std::string quote(const std::string& s) { return spatten::test::shell_quote(s); }
fs::path scratch(const std::string& name) { return spatten::test::scratch_path(name); }
Result run_tool(const std::string& args) { return spatten::test::run_tool(SPATTEN_TRACE_TOOL, args); }

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

std::string official(const std::string& name) {
  const fs::path p = fs::path(SPATTEN_TRACE_DIR) / name;
  if (!fs::is_regular_file(p))
    ADD_FAILURE() << "official trace " << p << " not found; SPATTEN_TRACE_DIR must point at it";
  return p.string();
}

TEST(TraceTool, Help) {
  const Result r = run_tool("--help");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FILE"), std::string::npos) << r.out;
}

TEST(TraceTool, BadOptionExits2) {
  const Result r = run_tool("--no-such-option");
  EXPECT_EQ(r.status, 2);
}

TEST(TraceTool, TextSummaryOfPer8) {
  const Result r = run_tool(quote(official("summary-gpt2-small-wikitext2-per8.csv")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* want :
       {"rows                4608", "iterations          32", "layers              12",
        "heads per layer     min 12 max 12", "context length      993..1024",
        "keys fetched        1283172", "values fetched      255180",
        "rows with requant   323", "rows quantized      4608", "token top-k events  124",
        "layer   0: keep 716 x31", "layer  11: keep 921 x31",
        "config path         configs/gpt2/wikitext2/gpt2_pp11"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << "missing '" << want << "' in\n" << r.out;
  }
}

TEST(TraceTool, JsonSummary) {
  const std::string hp = official(
      "summary-gpt2-medium-wikitext2-per0-hp-step5+dedic+glob_p+local_p+hp+topk+quant.csv");
  const Result r = run_tool(quote(hp) + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const auto& t = j[0];
  EXPECT_EQ(t["file"], hp);
  EXPECT_EQ(t["rows"], 11328);
  EXPECT_EQ(t["layers"], 24);
  EXPECT_EQ(t["heads_per_layer"]["min"], 10);
  EXPECT_EQ(t["heads_per_layer"]["max"], 16);
  EXPECT_EQ(t["keys_fetched"], 6143004);
  EXPECT_EQ(t["values_fetched"], 1848398);
  EXPECT_EQ(t["rows_quantized"], 11328);
  EXPECT_EQ(t["topk_events"], 124);
  EXPECT_EQ(t["topk_by_layer"][0]["layer"], 1);
  EXPECT_EQ(t["topk_by_layer"][0]["keeps"][0]["keep"], 921);
  EXPECT_EQ(t["topk_by_layer"][0]["keeps"][0]["events"], 31);
  EXPECT_TRUE(t["config_path"].is_string());
}

TEST(TraceTool, NoArgumentsSummarizesTheTraceFolder) {
  ASSERT_TRUE(fs::is_directory(SPATTEN_TRACE_DIR))
      << "SPATTEN_TRACE_DIR '" << SPATTEN_TRACE_DIR << "' does not exist";
  const Result r = run_tool("");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind(std::string("Traces from ") + SPATTEN_TRACE_DIR + " (5 files)\n", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("small.csv\n"), std::string::npos);
  EXPECT_NE(r.out.find("rows                12288"), std::string::npos);

  const Result j = run_tool("--json");
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out).size(), 5u);
  EXPECT_NE(j.err.find("Traces from "), std::string::npos) << "folder line goes to stderr with --json";
}

TEST(TraceTool, BadFileGivesOneErrorLineAndExit2) {
  const fs::path bad = scratch("bad.csv");
  {
    std::ofstream f(bad, std::ios::binary);
    f << "iteration_id,layer_id\n0,x\n";
  }
  Result r = run_tool(quote(bad.string()));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(bad.string() + ":1: header lacks required column(s)"), std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  r = run_tool(quote(scratch("missing.csv").string()));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;

  // Good and bad together: the good one is still summarized, the status is 2.
  r = run_tool(quote(official("small.csv")) + " " + quote(bad.string()) + " --json");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 1u);
}

}  // namespace
