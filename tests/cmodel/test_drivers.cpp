// Whole runs: the five official traces (DRAM bytes by kind against the closed
// form of sim/cmodel/README.md, physical bounds, tick == skip on a prefix) and
// data-driven decodes (the driver checks every head job against the golden
// cascade bit for bit and throws on a difference).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "spatten/cmodel/accelerator.h"
#include "spatten/cmodel/drivers.h"
#include "spatten/models/presets.h"
#include "spatten/trace/official_trace.h"
#include "spatten_test_seed.h"

namespace c = spatten::cmodel;
namespace m = spatten::models;
namespace tr = spatten::trace;

namespace {

m::AcceleratorPreset preset(const char* name) { return m::load_accelerator(m::find_preset(m::PresetKind::accel, name)); }

tr::Trace official(const char* file) {
  const std::filesystem::path p = std::filesystem::path(SPATTEN_TRACE_DIR) / file;
  if (!std::filesystem::is_regular_file(p)) ADD_FAILURE() << "official trace " << p << " not found (SPATTEN_TRACE_DIR)";
  return tr::read_official_trace(p);
}

/// The closed form of a trace run's DRAM bytes (sim/cmodel/README.md).
std::array<std::uint64_t, c::kDramKinds> closed_form(const tr::Trace& t, std::size_t rows, const c::AccelParams& p) {
  std::array<std::uint64_t, c::kDramKinds> b{};
  const int tb = p.hbm.transaction_bytes;
  auto row = [&](int d, int bits) { return static_cast<std::uint64_t>(c::row_bytes(d, bits, tb)); };
  const std::uint64_t key_buffer_rows =
      static_cast<std::uint64_t>(p.key_sram_bytes) / (c::ValueConfig::max_head_dim * 12 / 8);
  for (std::size_t i = 0; i < rows; ++i) {
    const tr::TraceRow& r = t.rows[i];
    const auto n = static_cast<std::uint64_t>(r.key_fetch_num);
    const int D = static_cast<int>(r.embedding_length_D);
    const bool progressive = r.quant_key_bit.has_value() && r.auto_requant_thres.has_value();
    const bool requant = progressive && r.if_requant;
    const int kbits = r.quant_key_bit.value_or(12);
    b[static_cast<std::size_t>(c::DramKind::kMeta)] += 64 + (4 * n + 31) / 32 * 32 + (r.if_topk && r.topk ? std::uint64_t{4} * *r.topk : std::uint64_t{0});
    b[static_cast<std::size_t>(c::DramKind::kQ)] += row(D, r.quant_query_bit.value_or(12));
    b[static_cast<std::size_t>(c::DramKind::kKMsb)] += n * row(D, kbits) * (requant && n > key_buffer_rows ? 2 : 1);
    b[static_cast<std::size_t>(c::DramKind::kKLsb)] += requant ? n * row(D, r.auto_requant_incre.value_or(4)) : 0;
    b[static_cast<std::size_t>(c::DramKind::kV)] +=
        static_cast<std::uint64_t>(r.value_fetch_num) * row(D, r.quant_value_bit.value_or(12));
    b[static_cast<std::size_t>(c::DramKind::kOut)] += std::uint64_t{4} * static_cast<std::uint64_t>(D);
  }
  return b;
}

}  // namespace

class OfficialTrace : public ::testing::TestWithParam<const char*> {};

TEST_P(OfficialTrace, DramBytesMatchTheClosedFormAndBoundsHold) {
  const tr::Trace t = official(GetParam());
  for (const char* name : {"spatten-1-8", "spatten-paper"}) {
    const m::AcceleratorPreset pre = preset(name);
    const c::AccelParams p = c::params_from_preset(pre);
    c::TraceRunOptions o;
    o.max_rows = 400;  // the whole traces run in bench/
    const c::RunResult r = c::run_trace(p, pre, t, o);
    const std::size_t rows = std::min(o.max_rows, t.rows.size());
    const auto expect = closed_form(t, rows, p);
    for (std::size_t k = 0; k < c::kDramKinds; ++k)
      EXPECT_EQ(r.dram_read[k] + r.dram_written[k], expect[k])
          << GetParam() << " on " << name << ": kind " << c::dram_kind_name(static_cast<c::DramKind>(k));
    EXPECT_EQ(r.head_jobs, rows);
    std::uint64_t requant = 0;
    for (std::size_t i = 0; i < rows; ++i) requant += t.rows[i].if_requant ? 1u : 0u;
    EXPECT_EQ(r.requant_rows, requant);
    const double peak = static_cast<double>(p.hbm.channels) * static_cast<double>(p.hbm.bytes_per_cycle);
    EXPECT_GE(static_cast<double>(r.cycles) * peak, static_cast<double>(r.dram_total)) << "faster than the channels";
    EXPECT_GT(r.hbm_utilization, 0.0);
    EXPECT_LE(r.hbm_utilization, 1.0);
  }
}

TEST_P(OfficialTrace, IdleSkippingMatchesTickingOnAPrefix) {
  const tr::Trace t = official(GetParam());
  const m::AcceleratorPreset pre = preset("spatten-1-8");
  const c::AccelParams p = c::params_from_preset(pre);
  c::TraceRunOptions o;
  o.max_rows = 24;
  const c::RunResult skip = c::run_trace(p, pre, t, o);
  o.skip_idle = false;
  const c::RunResult tick = c::run_trace(p, pre, t, o);
  EXPECT_EQ(skip.cycles, tick.cycles);
  EXPECT_EQ(skip.dram_total, tick.dram_total);
  ASSERT_EQ(skip.units.size(), tick.units.size());
  for (std::size_t u = 0; u < skip.units.size(); ++u) {
    EXPECT_EQ(skip.units[u].busy_cycles, tick.units[u].busy_cycles) << skip.units[u].name;
    EXPECT_EQ(skip.units[u].stall_cycles, tick.units[u].stall_cycles) << skip.units[u].name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllFive, OfficialTrace,
                         ::testing::Values("small.csv", "summary-gpt2-small-wikitext2-per8.csv",
                                           "summary-gpt2-small-wikitext2-per8-step1+dedic.csv",
                                           "summary-gpt2-medium-wikitext2-per0-hp-step5+dedic+glob_p+local_p+hp+topk+quant.csv",
                                           "summary-gpt2-medium-ptb-per0.csv"));

TEST(TraceRun, RowsThatContradictThePresetAreRejected) {
  const std::string header =
      "iteration_id,layer_id,head_id,embedding_length_D,sentence_length_L,key_fetch_num,quant_key_bit,"
      "quant_query_bit,auto_requant_thres,if_requant,auto_requant_incre,value_fetch_num,quant_value_bit,"
      "if_accumulate_importance,if_rescale_previous_importance,if_topk,topk\n";
  const m::AcceleratorPreset pre = preset("spatten-1-8");
  const c::AccelParams p = c::params_from_preset(pre);
  const tr::Trace wide = tr::parse_official_trace(header + "0,0,0,256.0,993,993,-1,-1,-1,False,-1,993,-1,True,False,False,-1\n", "wide.csv");
  try {
    c::run_trace(p, pre, wide, {});
    FAIL() << "a head dimension of 256 must be rejected by a preset with max_head_dim 128";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("wide.csv:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("embedding_length_D"), std::string::npos) << msg;
    EXPECT_NE(msg.find("max_head_dim 128"), std::string::npos) << msg;
  }
  const tr::Trace longctx = tr::parse_official_trace(header + "0,0,0,64.0,40000,100,-1,-1,-1,False,-1,10,-1,True,False,False,-1\n", "long.csv");
  EXPECT_THROW(c::run_trace(p, pre, longctx, {}), std::invalid_argument);
}

TEST(DecodeRun, GoldenCascadeAndCycleModelAgreeAndSkipEqualsTick) {
  c::DecodeRunOptions o;
  o.model = m::load_llm(m::find_preset(m::PresetKind::llm, "gpt2-small"));
  o.model.layers = 3;  // a short stack keeps the test fast; shapes are GPT-2's
  o.policy = m::load_policy(m::find_preset(m::PresetKind::policy, "spatten-gpt2-per8"));
  o.prompt = 1100;
  o.steps = 2;
  o.seed = spatten::test::test_seed();
  const m::AcceleratorPreset pre = preset("spatten-1-8");
  const c::AccelParams p = c::params_from_preset(pre);
  const c::RunResult skip = c::run_decode(p, pre, o);  // throws if any head job differs from golden
  o.skip_idle = false;
  const c::RunResult tick = c::run_decode(p, pre, o);
  EXPECT_EQ(skip.cycles, tick.cycles);
  EXPECT_EQ(skip.dram_total, tick.dram_total);
  // 2 steps x 3 layers x 12 heads
  EXPECT_EQ(skip.head_jobs, 72u);
  // step 0 attends to all 1101 tokens; step 1 keeps 921/716/204 of 1102 in layers 0-2
  // (ratios of 1024); a requant pass fetches a row's keys once more
  const std::uint64_t base = 12u * (3 * 1101 + 921 + 716 + 204);
  EXPECT_GE(skip.keys_fetched, base);
  EXPECT_LE(skip.keys_fetched, base + skip.requant_rows * 1101);
  if (skip.requant_rows == 0) {
    EXPECT_EQ(skip.keys_fetched, base);
  }
}

TEST(DecodeRun, GqaModelRuns) {
  c::DecodeRunOptions o;
  o.model = m::load_llm(m::find_preset(m::PresetKind::llm, "smollm2-135m"));
  o.model.layers = 2;
  o.policy = m::load_policy(m::find_preset(m::PresetKind::policy, "streaming-sinks"));
  o.prompt = 300;
  o.steps = 2;
  const m::AcceleratorPreset pre = preset("alveo-u55c");
  const c::RunResult r = c::run_decode(c::params_from_preset(pre), pre, o);
  EXPECT_EQ(r.head_jobs, 2u * 2 * 9);
  EXPECT_GT(r.cycles, 0u);
}

TEST(DecodeRun, ContextBeyondThePresetIsRejected) {
  c::DecodeRunOptions o;
  o.model = m::load_llm(m::find_preset(m::PresetKind::llm, "gpt2-small"));
  o.policy = m::load_policy(m::find_preset(m::PresetKind::policy, "dense"));
  o.prompt = 40000;
  const m::AcceleratorPreset pre = preset("spatten-1-8");
  EXPECT_THROW(c::run_decode(c::params_from_preset(pre), pre, o), std::invalid_argument);
}
