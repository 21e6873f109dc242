// spatten-sim as a process (label system): --help, the built-in default run,
// the JSON record (--json FILE and --json -), bad input (exit 2, one stderr
// line, no JSON file), small traces written here in the official format,
// --max-rows, and --no-skip giving the same record as idle skipping.
#include <gtest/gtest.h>

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

const std::string kTool = SPATTEN_SIM_TOOL;
const std::vector<std::string> kKinds = {"k_msb", "k_lsb", "v", "q", "out", "meta"};
const std::vector<std::string> kEnergy = {"qk_multipliers", "pv_multipliers", "softmax", "topk_engine",
                                          "importance",     "key_sram",       "value_sram", "dram"};

const char* kHeader =
    "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
    "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
    "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk\n";

// Three head jobs of one layer: a quantized row that needs the LSBs, one that
// does not, and a dense row followed by a cascade token top-k keeping 60.
const char* kThreeRows =
    "0,0,0,64.0,100,100,8,16,0.05,True,4,20,8,True,False,False,-1\n"
    "0,0,1,64.0,100,100,8,16,0.05,False,4,20,8,True,False,False,-1\n"
    "0,0,2,64.0,100,100,-1,-1,-1,False,-1,100,-1,True,False,True,60\n";

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const std::filesystem::path p = scratch_path(name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

std::filesystem::path small_trace() {
  return write_file("three.csv", std::string(kHeader) + kThreeRows + "configs/test.yml,,,,,,,,,,,,,,,,\n");
}

std::string q(const std::filesystem::path& p) { return shell_quote(p.string()); }

// A run that must succeed, returning its record.
json run_ok(const std::string& args, const std::string& json_name = "record.json") {
  const std::filesystem::path out = scratch_path(json_name);
  std::filesystem::remove(out);
  const ToolResult r = run_tool(kTool, args + " --quiet --json " + q(out));
  EXPECT_EQ(r.status, 0) << args << "\nstderr: " << r.err;
  EXPECT_EQ(r.out, "") << "--quiet prints nothing";
  if (r.status != 0 || !std::filesystem::exists(out)) return json::object();
  return json::parse(spatten::test::slurp(out));
}

std::uint64_t u64(const json& j, const std::string& key) {
  EXPECT_TRUE(j.contains(key)) << key;
  if (!j.contains(key)) return 0;
  EXPECT_TRUE(j.at(key).is_number_unsigned()) << key << " = " << j.at(key).dump();
  return j.at(key).get<std::uint64_t>();
}

// Every field the issue requires, with the consistency relations between them.
void check_record(const json& j) {
  ASSERT_TRUE(j.is_object());
  const std::uint64_t cycles = u64(j, "cycles");
  EXPECT_GT(cycles, 0u);
  ASSERT_TRUE(j.contains("seconds"));
  ASSERT_TRUE(j.contains("config"));
  const double mhz = j.at("config").at("clock_mhz").get<double>();
  EXPECT_NEAR(j.at("seconds").get<double>(), static_cast<double>(cycles) / (mhz * 1e6),
              1e-12 * static_cast<double>(cycles));

  const json& d = j.at("dram_bytes");
  const json& rd = j.at("dram_bytes_read");
  const json& wr = j.at("dram_bytes_written");
  std::uint64_t sum = 0, sum_r = 0, sum_w = 0;
  for (const std::string& k : kKinds) {
    const std::uint64_t b = u64(d, k), r = u64(rd, k), w = u64(wr, k);
    EXPECT_EQ(b, r + w) << k;
    sum += b;
    sum_r += r;
    sum_w += w;
  }
  EXPECT_EQ(u64(d, "total"), sum) << "dram_bytes.total must be the sum of the kinds";
  EXPECT_EQ(u64(rd, "total"), sum_r);
  EXPECT_EQ(u64(wr, "total"), sum_w);
  EXPECT_GT(u64(d, "k_msb"), 0u);
  EXPECT_GT(u64(d, "v"), 0u);

  const double util = j.at("hbm_utilization").get<double>();
  const json& hbm = j.at("config").at("hbm");
  const double peak = hbm.at("channels").get<double>() * hbm.at("bytes_per_cycle_per_channel").get<double>();
  EXPECT_NEAR(util, static_cast<double>(sum) / (static_cast<double>(cycles) * peak), 1e-9);
  EXPECT_GT(util, 0.0);
  EXPECT_LE(util, 1.0);

  for (const char* key : {"busy_cycles", "stall_cycles"}) {
    const json& units = j.at(key);
    ASSERT_TRUE(units.is_object()) << key;
    EXPECT_FALSE(units.empty()) << key;
    for (const auto& [name, v] : units.items()) {
      ASSERT_TRUE(v.is_number_unsigned()) << key << "." << name;
      EXPECT_LE(v.get<std::uint64_t>(), cycles) << key << "." << name;
    }
  }
  EXPECT_EQ(j.at("busy_cycles").size(), j.at("stall_cycles").size());

  const json& e = j.at("energy_pj");
  double esum = 0;
  for (const std::string& k : kEnergy) {
    ASSERT_TRUE(e.contains(k)) << k;
    EXPECT_GE(e.at(k).get<double>(), 0.0) << k;
    esum += e.at(k).get<double>();
  }
  EXPECT_NEAR(e.at("total").get<double>(), esum, 1e-9 * esum);
  EXPECT_GT(e.at("dram").get<double>(), 0.0);
  EXPECT_EQ(j.at("energy").at("node_nm"), 45);

  for (const char* k : {"qk_macs", "pv_macs", "exp_ops", "divisions", "prob_multiplies", "topk_comparisons",
                        "importance_adds", "key_sram_read_bytes", "key_sram_write_bytes", "value_sram_read_bytes",
                        "value_sram_write_bytes"})
    u64(j.at("ops"), k);
  EXPECT_GT(u64(j.at("ops"), "qk_macs"), 0u);
  for (const char* k : {"head_jobs", "requant_rows", "keys_fetched", "values_fetched", "token_topk_events"})
    u64(j.at("facts"), k);
  EXPECT_GT(u64(j.at("facts"), "head_jobs"), 0u);
  EXPECT_TRUE(j.at("workload").is_object());
  EXPECT_EQ(j.at("tool"), "spatten-sim");
}

// The fields that must not depend on idle skipping.
json timing_fields(const json& j) {
  json t;
  for (const char* k : {"cycles", "dram_bytes", "dram_bytes_read", "dram_bytes_written", "busy_cycles",
                        "stall_cycles", "ops", "facts", "energy_pj", "hbm_utilization"})
    t[k] = j.value(k, json());
  return t;
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n' ? 1 : 0;
  return n;
}

// ---------------------------------------------------------------- tests

TEST(SpattenSimTool, Help) {
  const ToolResult r = run_tool(kTool, "--help");
  EXPECT_EQ(r.status, 0);
  for (const char* opt : {"--preset", "--trace", "--model", "--context", "--steps", "--policy", "--energy", "--seed",
                          "--max-rows", "--no-skip", "--json", "--quiet", "With no arguments", "gpt2-small",
                          "spatten-gpt2-per8", "Exit status"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

TEST(SpattenSimTool, NoArgumentsRunsTheDefaultDecodeAndPrintsTheSummary) {
  const ToolResult r = run_tool(kTool, "");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* line : {"spatten-sim: gpt2-small decode, policy spatten-gpt2-per8, context 993 + 32 steps on "
                           "preset spatten-1-8\n",
                           "\ncycles        ", " at 1000 MHz)\n", "\nhead jobs     ", "\nDRAM          ",
                           "HBM utilization", "\n  k_msb ", "\n  k_lsb ", "\n  v ", "\nenergy        ",
                           "(table horowitz-45nm, 45 nm", "\n  dram ", "\nbusiest units"})
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing '" << line << "' in:\n" << r.out;
  EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
}

TEST(SpattenSimTool, JsonRecordOfADecodeRun) {
  const json j = run_ok("--model gpt2-small --policy spatten-gpt2-per8 --context 128 --steps 2");
  check_record(j);
  EXPECT_EQ(j.at("workload").at("kind"), "decode");
  EXPECT_EQ(j.at("workload").at("model"), "gpt2-small");
  EXPECT_EQ(j.at("workload").at("context"), 128);
  EXPECT_EQ(j.at("workload").at("steps"), 2);
  EXPECT_EQ(j.at("config").at("preset"), "spatten-1-8");
  EXPECT_EQ(j.at("config").at("energy_table"), "horowitz-45nm");
  EXPECT_EQ(j.at("config").at("skip_idle"), true);
  // 12 layers x 12 heads x 2 steps, head pruning off in this policy's layers or not
  EXPECT_LE(u64(j.at("facts"), "head_jobs"), 12u * 12u * 2u);
}

TEST(SpattenSimTool, JsonToStdout) {
  const ToolResult r = run_tool(kTool, "--trace " + q(small_trace()) + " --quiet --json -");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  check_record(j);
}

TEST(SpattenSimTool, SmallTraceRuns) {
  const json j = run_ok("--trace " + q(small_trace()));
  check_record(j);
  EXPECT_EQ(j.at("workload").at("kind"), "trace");
  EXPECT_EQ(j.at("workload").at("rows"), 3);
  EXPECT_EQ(u64(j.at("facts"), "head_jobs"), 3u);
  EXPECT_EQ(u64(j.at("facts"), "token_topk_events"), 1u);
  EXPECT_GT(u64(j.at("dram_bytes"), "k_lsb"), 0u) << "row 0 needs the LSBs";
  // the summary names the trace
  const ToolResult r = run_tool(kTool, "--trace " + q(small_trace()));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("three.csv (3 rows) on preset spatten-1-8"), std::string::npos) << r.out;
}

TEST(SpattenSimTool, MaxRowsLimitsTheRun) {
  const json j = run_ok("--trace " + q(small_trace()) + " --max-rows 2");
  check_record(j);
  EXPECT_EQ(j.at("workload").at("rows"), 2);
  EXPECT_EQ(u64(j.at("facts"), "head_jobs"), 2u);
  EXPECT_EQ(u64(j.at("facts"), "token_topk_events"), 0u);
}

TEST(SpattenSimTool, OtherPresetAndPresetFile) {
  const std::string file = std::string(SPATTEN_SOURCE_DIR) + "/models/accel/spatten-paper.yaml";
  const json a = run_ok("--trace " + q(small_trace()) + " --preset spatten-paper", "a.json");
  const json b = run_ok("--trace " + q(small_trace()) + " --preset " + shell_quote(file), "b.json");
  check_record(a);
  EXPECT_EQ(a.at("config").at("preset"), "spatten-paper");
  EXPECT_EQ(timing_fields(a), timing_fields(b));
  const json c = run_ok("--trace " + q(small_trace()), "c.json");
  EXPECT_NE(a.at("cycles"), c.at("cycles")) << "8x the multipliers and channels changes the timing";
}

TEST(SpattenSimTool, NoSkipGivesTheSameRecord) {
  const std::string trace_args = "--trace " + q(small_trace());
  const json skip = run_ok(trace_args, "skip.json");
  const json tick = run_ok(trace_args + " --no-skip", "tick.json");
  EXPECT_EQ(tick.at("config").at("skip_idle"), false);
  EXPECT_EQ(timing_fields(skip), timing_fields(tick)) << timing_fields(skip).dump(1) << "\n"
                                                      << timing_fields(tick).dump(1);
  const std::string decode_args = "--context 64 --steps 1";
  EXPECT_EQ(timing_fields(run_ok(decode_args, "skip2.json")), timing_fields(run_ok(decode_args + " --no-skip", "tick2.json")));
}

TEST(SpattenSimTool, SameSeedSameRecord) {
  const std::string args = "--trace " + q(small_trace()) + " --seed 7";
  EXPECT_EQ(timing_fields(run_ok(args, "s1.json")), timing_fields(run_ok(args, "s2.json")));
}

// ---------------------------------------------------------------- bad input

struct BadCase {
  std::string what;
  std::string args;
  std::string needle;  // part of the error line
};

void expect_bad(const BadCase& c) {
  SCOPED_TRACE(c.what);
  const std::filesystem::path out = scratch_path("bad.json");
  std::filesystem::remove(out);
  const ToolResult r = run_tool(kTool, c.args + " --json " + q(out));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("spatten-sim: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::filesystem::exists(out)) << "no JSON file on failure";
  // nor a temporary left next to it
  for (const auto& entry : std::filesystem::directory_iterator(out.parent_path()))
    EXPECT_EQ(entry.path().filename().string().find("bad.json"), std::string::npos) << entry.path();
}

TEST(SpattenSimTool, BadInputIsOneLineExitTwoAndNoJson) {
  const std::string header = kHeader;
  const auto garbage = write_file("garbage.csv", header + "0,0,0,64.0,100\n");
  const auto not_csv = write_file("binary.csv", std::string("\x01\x02\xff\x00zz", 6));
  const auto big_dim = write_file("dim.csv", header + "0,0,0,256.0,100,100,8,16,0.05,False,4,20,8,True,False,False,-1\n");
  const auto long_ctx =
      write_file("ctx.csv", header + "0,0,0,64.0,40000,40000,8,16,0.05,False,4,20,8,True,False,False,-1\n");
  const auto bad_preset = write_file("broken.yaml", "name: broken\nnumerics: {q_bits: 99}\n");
  const std::vector<BadCase> cases = {
      {"unknown preset", "--preset no-such-preset", "no-such-preset"},
      {"missing preset file", "--preset /no/such/file.yaml", "file.yaml"},
      {"malformed preset file", "--preset " + q(bad_preset), "broken.yaml"},
      {"unknown energy table", "--energy no-such-table", "no-such-table"},
      {"unknown model", "--model no-such-model", "no-such-model"},
      {"unknown policy", "--policy no-such-policy", "no-such-policy"},
      {"missing trace", "--trace /no/such/trace.csv", "trace.csv"},
      {"malformed trace", "--trace " + q(garbage), "garbage.csv:2"},
      {"binary trace", "--trace " + q(not_csv), "binary.csv"},
      {"head dim above the preset", "--trace " + q(big_dim), "max_head_dim"},
      {"more keys than the context", "--trace " + q(long_ctx), "max_context"},
      {"model too long for the preset", "--context 40000 --steps 1", "max_context"},
      {"trace with model", "--trace " + q(small_trace()) + " --model gpt2-small", "--model"},
      {"trace with context", "--trace " + q(small_trace()) + " --context 10", "--context"},
      {"max-rows without trace", "--max-rows 3", "--max-rows"},
      {"zero context", "--context 0", "--context"},
      {"unknown option", "--frobnicate", "--frobnicate"},
  };
  for (const BadCase& c : cases) expect_bad(c);
}

TEST(SpattenSimTool, UnwritableJsonIsExitOne) {
  const ToolResult r = run_tool(kTool, "--trace " + q(small_trace()) + " --quiet --json /no/such/dir/record.json");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("spatten-sim: error: cannot write /no/such/dir/record.json", 0), 0u) << r.err;
}

}  // namespace
