// spatten-cosim as a process (label cosim): --help, bad input (exit 2, one
// stderr line, no JSON file), the built-in default run (exit 0, "agree"),
// the JSON record (--json -) and the waveform (--wave).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spatten_tool_runner.h"

namespace {

using nlohmann::json;
using spatten::test::run_tool;
using spatten::test::scratch_path;
using spatten::test::shell_quote;
using spatten::test::ToolResult;

const std::string kTool = SPATTEN_COSIM_TOOL;

std::string q(const std::filesystem::path& p) { return shell_quote(p.string()); }

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// A run that must fail with exit 2: one "spatten-cosim: error: ..." line on
// stderr, nothing on stdout, no JSON file.
void expect_bad_input(const std::string& args, const std::string& mentions) {
  const std::filesystem::path out = scratch_path("bad.json");
  std::filesystem::remove(out);
  const ToolResult r = run_tool(kTool, args + " --json " + q(out));
  EXPECT_EQ(r.status, 2) << args << "\nstderr: " << r.err;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_EQ(lines(r.err), 1u) << args << "\nstderr: " << r.err;
  EXPECT_EQ(r.err.rfind("spatten-cosim: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << args << "\nstderr: " << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << args;
}

TEST(SpattenCosimTool, HelpListsEveryOption) {
  const ToolResult r = run_tool(kTool, "--help");
  EXPECT_EQ(r.status, 0);
  for (const char* opt : {"--preset", "--trace", "--max-rows", "--first-row", "--jobs", "--tokens", "--head-dim",
                          "--cascade", "--seed", "--calls-of", "--jitter-latency", "--jitter-stall", "--wave", "--json",
                          "--quiet", "Exit status"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << " missing from --help:\n" << r.out;
}

TEST(SpattenCosimTool, BadInputExitsTwoWithOneLine) {
  expect_bad_input("--preset spatten-9-9", "spatten-9-9");
  expect_bad_input("--preset spatten-paper", "spatten-paper");
  expect_bad_input("--trace " + q(scratch_path("no-such-trace.csv")), "no-such-trace.csv");
  const std::filesystem::path any = scratch_path("any.csv");
  std::ofstream(any) << "not a trace\n";
  expect_bad_input("--trace " + q(any) + " --max-rows 0", "--max-rows");
  expect_bad_input("--trace " + q(any), "any.csv");
  expect_bad_input("--head-dim 80", "head_dim 80");
  expect_bad_input("--jobs 0", "--jobs");
  expect_bad_input("--jobs many", "--jobs");
  expect_bad_input("--jitter-stall 95", "--jitter-stall");
  expect_bad_input("--max-rows 4", "--trace");
  expect_bad_input("--no-such-option", "no-such-option");
}

// Token importance and cascade decisions on both kernels, over two calls,
// under memory jitter.
TEST(SpattenCosimTool, CascadeMixAgreesOnBothKernels) {
  for (const char* preset : {"spatten-1-8", "alveo-u55c"}) {
    const ToolResult r =
        run_tool(kTool, std::string("--preset ") + preset + " --cascade --jobs 8 --calls-of 4 --jitter-latency 20 "
                                                             "--jitter-stall 15 --seed 3");
    EXPECT_EQ(r.status, 0) << preset << "\n" << r.out << r.err;
    // 8 head jobs and a decision after every fourth
    EXPECT_NE(r.out.find("agree: 10 jobs, outputs bit-exact with golden"), std::string::npos) << preset << "\n" << r.out;
    EXPECT_NE(r.out.find("2 value-pruned, 2 cascade decisions"), std::string::npos) << preset << "\n" << r.out;
  }
  expect_bad_input("--cascade --trace " + q(scratch_path("any.csv")), "--cascade");
}

TEST(SpattenCosimTool, DefaultRunAgrees) {
  const ToolResult r = run_tool(kTool, "");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("agree: 8 jobs, outputs bit-exact with golden"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kcycles/s"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(SpattenCosimTool, JsonToStdoutParses) {
  const ToolResult r = run_tool(kTool, "--jobs 4 --calls-of 2 --json -");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);  // throws (fails the test) when not JSON
  EXPECT_EQ(j.at("agree"), true);
  EXPECT_TRUE(j.at("divergence").is_null());
  EXPECT_EQ(j.at("preset"), "spatten-1-8");
  EXPECT_EQ(j.at("jobs"), 4);
  EXPECT_EQ(j.at("calls"), 2);
  EXPECT_GT(j.at("rtl_cycles").get<std::uint64_t>(), j.at("checked_cycles").get<std::uint64_t>());
  // the rate counts the clocked cycles: the kernel's plus each call's AXI-Lite accesses and
  // drain, in the RTL's wall time; before ap_start alone each of the 2 calls makes 14 writes
  // (12 argument words, GIE, IER) of at least two cycles each
  EXPECT_GT(j.at("clocked_cycles").get<std::uint64_t>(), j.at("rtl_cycles").get<std::uint64_t>() + 2 * 2 * 14);
  EXPECT_GT(j.at("cycles_per_second").get<double>(), 0.0);
  EXPECT_NEAR(j.at("cycles_per_second").get<double>(),
              j.at("clocked_cycles").get<double>() / j.at("wall_seconds").at("rtl").get<double>(),
              1e-6 * j.at("cycles_per_second").get<double>());
  EXPECT_EQ(j.at("dram_bytes"), j.at("cmodel_dram_bytes"));
  for (const char* k : {"k_msb", "k_lsb", "v", "q", "out", "meta"}) EXPECT_TRUE(j.at("dram_bytes").contains(k)) << k;
  // the summary moves to stderr
  EXPECT_NE(r.err.find("agree: 4 jobs"), std::string::npos) << r.err;
}

TEST(SpattenCosimTool, WaveWritesAnFstFile) {
  const std::filesystem::path wave = scratch_path("run.fst");
  std::filesystem::remove(wave);
  const ToolResult r = run_tool(kTool, "--jobs 1 --tokens 40 --head-dim 32 --quiet --wave " + q(wave));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_TRUE(std::filesystem::exists(wave));
  EXPECT_GT(std::filesystem::file_size(wave), 0u);
}

TEST(SpattenCosimTool, TraceRowsWithJitterAgree) {
  const std::filesystem::path trace = scratch_path("two.csv");
  std::ofstream(trace)
      << "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
         "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
         "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk\n"
         "0,0,0,64.0,60,50,8,16,0.05,True,4,20,8,True,False,False,-1\n"
         "0,0,1,64.0,60,60,-1,-1,-1,False,-1,60,-1,True,False,True,40\n"
         "0,0,2,64.0,70,30,-1,-1,-1,False,-1,30,-1,True,False,False,-1\n";
  const ToolResult r = run_tool(kTool, "--trace " + q(trace) + " --first-row 1 --calls-of 1 --jitter-latency 20 "
                                       "--jitter-stall 30 --seed 5 --json -");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("agree"), true);
  EXPECT_EQ(j.at("jobs"), 2);
  EXPECT_EQ(j.at("calls"), 2);
  EXPECT_EQ(j.at("workload").at("first_row"), 1);
  EXPECT_EQ(j.at("memory").at("jitter_stall_percent"), 30);
  expect_bad_input("--trace " + q(trace) + " --first-row 3", "--first-row");
}

TEST(SpattenCosimTool, RowsTheKernelCannotRunAreBadInputUnlessSkipped) {
  const std::string header =
      "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
      "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
      "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk\n";
  const std::filesystem::path trace = scratch_path("hd80.csv");
  std::ofstream(trace) << header << "0,0,0,64.0,40,40,-1,-1,-1,False,-1,40,-1,True,False,False,-1\n"
                       << "0,0,1,80.0,40,40,-1,-1,-1,False,-1,40,-1,True,False,False,-1\n";
  expect_bad_input("--trace " + q(trace), "hd80.csv:3: head_dim 80");
  const ToolResult r = run_tool(kTool, "--trace " + q(trace) + " --skip-unsupported --json -");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j.at("jobs"), 1);
  EXPECT_EQ(j.at("agree"), true);
  EXPECT_NE(j.at("skipped").get<std::string>().find("1 of 2 rows"), std::string::npos) << j.dump();
  const std::filesystem::path only80 = scratch_path("only80.csv");
  std::ofstream(only80) << header << "0,0,1,80.0,40,40,-1,-1,-1,False,-1,40,-1,True,False,False,-1\n";
  expect_bad_input("--trace " + q(only80) + " --skip-unsupported", "no row");
}

}  // namespace
