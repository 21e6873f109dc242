// spatten::trace: the official traces parse to what the data says, and every
// malformed input fails with a TraceError that names file, line and column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "spatten/trace/official_trace.h"
#include "spatten_test_seed.h"

namespace {

namespace fs = std::filesystem;
using spatten::trace::parse_official_trace;
using spatten::trace::read_official_trace;
using spatten::trace::Trace;
using spatten::trace::TraceError;
using spatten::trace::TraceRow;

const char* const kPer8 = "summary-gpt2-small-wikitext2-per8.csv";
const char* const kPer8Dense = "summary-gpt2-small-wikitext2-per8-step1+dedic.csv";
const char* const kMediumHp =
    "summary-gpt2-medium-wikitext2-per0-hp-step5+dedic+glob_p+local_p+hp+topk+quant.csv";
const char* const kMediumPtb = "summary-gpt2-medium-ptb-per0.csv";

// The official traces are required: a missing folder is a failure, not a skip.
fs::path official(const std::string& name) {
  const fs::path p = fs::path(SPATTEN_TRACE_DIR) / name;
  if (!fs::is_regular_file(p)) {
    ADD_FAILURE() << "official trace " << p
                  << " not found; SPATTEN_TRACE_DIR must point at the spatten-official folder";
  }
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? std::string(1, sep) : "") + v[i];
  return out;
}

// Lines of a text that ends with '\n' (the final empty piece is dropped).
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> l = split(text, '\n');
  if (!l.empty() && l.back().empty()) l.pop_back();
  return l;
}

// Parses text that must fail; checks that the message names origin, line and
// (when given) column, and contains `problem`.
void expect_error(const std::string& text, std::size_t line, const std::string& column,
                  const std::string& problem, const std::string& origin = "case.csv") {
  SCOPED_TRACE("expected error at line " + std::to_string(line) + " column '" + column + "'");
  try {
    const Trace t = parse_official_trace(text, origin);
    ADD_FAILURE() << "parsed without error (" << t.rows.size() << " rows)";
  } catch (const TraceError& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.origin(), origin);
    EXPECT_EQ(e.line(), line) << what;
    EXPECT_EQ(e.column(), column) << what;
    EXPECT_NE(what.find(origin + ":" + std::to_string(line) + ": "), std::string::npos) << what;
    if (!column.empty()) {
      EXPECT_NE(what.find("column '" + column + "'"), std::string::npos) << what;
    }
    EXPECT_NE(what.find(problem), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "message must be one line: " << what;
  }
}

// A small valid trace: the header and the first rows of per8 (iteration 0,
// layer 0, heads 0..2), then a config line. Cases below edit one field.
const std::vector<std::string> kHeader = {
    "iteration_id",       "layer_id",        "head_id",
    "embedding_length_D", "sentence_length_L", "key_fetch_num",
    "quant_key_bit",      "quant_query_bit", "auto_requant_thres",
    "if_requant",         "auto_requant_incre", "value_fetch_num",
    "quant_value_bit",    "if_accumulate_importance", "if_rescale_previous_importance",
    "if_topk",            "topk"};

struct Mini {
  std::vector<std::string> header = kHeader;
  std::vector<std::vector<std::string>> rows = {
      split("0,0,0,64.0,993,993,6,16,0.05,True,4,204,6,True,False,False,-1", ','),
      split("0,0,1,64.0,993,993,6,16,0.05,True,4,204,6,True,False,False,-1", ','),
      split("0,0,2,64.0,993,993,6,16,0.05,False,4,204,6,True,False,False,-1", ',')};
  std::string config = "configs/x.yml,,,,,,,,,,,,,,,,";

  Mini& set(std::size_t row, const std::string& column, const std::string& value) {
    const auto it = std::find(header.begin(), header.end(), column);
    rows.at(row).at(static_cast<std::size_t>(it - header.begin())) = value;
    return *this;
  }
  std::string text() const {
    std::string t = join(header, ',') + "\n";
    for (const auto& r : rows) t += join(r, ',') + "\n";
    if (!config.empty()) t += config + "\n";
    return t;
  }
};

// ---------------------------------------------------------------------------
// The official traces

TEST(TraceOfficial, SmallHasOneDenseRowAndConfigPath) {
  const Trace t = read_official_trace(official("small.csv"));
  ASSERT_EQ(t.rows.size(), 1u);
  const TraceRow& r = t.rows[0];
  EXPECT_EQ(r.iteration_id, 0u);
  EXPECT_EQ(r.layer_id, 0u);
  EXPECT_EQ(r.head_id, 0u);
  EXPECT_EQ(r.embedding_length_D, 64u);
  EXPECT_EQ(r.sentence_length_L, 993u);
  EXPECT_EQ(r.key_fetch_num, 993u);
  EXPECT_EQ(r.value_fetch_num, 993u);
  EXPECT_FALSE(r.quant_key_bit);
  EXPECT_FALSE(r.quant_query_bit);
  EXPECT_FALSE(r.quant_value_bit);
  EXPECT_FALSE(r.auto_requant_thres);
  EXPECT_FALSE(r.auto_requant_incre);
  EXPECT_FALSE(r.if_requant);
  EXPECT_TRUE(r.if_accumulate_importance);
  EXPECT_FALSE(r.if_rescale_previous_importance);
  EXPECT_FALSE(r.if_topk);
  EXPECT_FALSE(r.topk);
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(t.config_path, "configs/gpt2/ptb/medium_baseline_train+eval.yml");
  EXPECT_EQ(t.num_iterations, 1u);
  EXPECT_EQ(t.num_layers, 1u);
  EXPECT_EQ(t.max_heads_per_layer, 1u);
}

TEST(TraceOfficial, Per8Quantized) {
  const Trace t = read_official_trace(official(kPer8));
  ASSERT_EQ(t.rows.size(), 4608u);
  EXPECT_EQ(t.num_iterations, 32u);
  EXPECT_EQ(t.num_layers, 12u);
  EXPECT_EQ(t.max_heads_per_layer, 12u);
  EXPECT_EQ(t.config_path,
            "configs/gpt2/wikitext2/gpt2_pp11+consider1000+pstart1+insp0p2+qlinear_k6b_v6b_q16b_"
            "sym+requant0p05_inc4_k+vtie+part8+batch8.yml");
  const TraceRow& first = t.rows.front();
  EXPECT_EQ(first.quant_key_bit, 6);
  EXPECT_EQ(first.quant_query_bit, 16);
  EXPECT_EQ(first.quant_value_bit, 6);
  EXPECT_EQ(first.auto_requant_thres, 0.05);
  EXPECT_EQ(first.auto_requant_incre, 4);
  EXPECT_TRUE(first.if_requant);
  EXPECT_EQ(first.value_fetch_num, 204u);

  const auto stats = spatten::trace::compute_stats(t);
  EXPECT_EQ(stats.rows_requant, 323u);
  EXPECT_EQ(stats.rows_quantized, 4608u);
  EXPECT_EQ(stats.keys_fetched, 1283172u);
  EXPECT_EQ(stats.values_fetched, 255180u);
  EXPECT_EQ(stats.min_heads_per_layer, 12u);
  EXPECT_EQ(stats.min_context_length, 993u);
  EXPECT_EQ(stats.max_context_length, 1024u);
  // Cascade token top-k: after layers 0, 1, 5 in iterations 1..31, after
  // layer 11 in iterations 0..30.
  EXPECT_EQ(stats.topk_events, 124u);
  using Keeps = std::map<std::uint32_t, std::map<std::uint32_t, std::size_t>>;
  EXPECT_EQ(stats.topk_keep_by_layer,
            (Keeps{{0, {{716, 31}}}, {1, {{204, 31}}}, {5, {{102, 31}}}, {11, {{921, 31}}}}));

  // Keys per layer after the first step: 921, 716, 204 x4, 102 x6; values 20%.
  const std::vector<std::uint32_t> keys = {921, 716, 204, 204, 204, 204, 102, 102, 102, 102, 102, 102};
  const std::vector<std::uint32_t> values = {184, 143, 40, 40, 40, 40, 20, 20, 20, 20, 20, 20};
  for (const TraceRow& r : t.rows) {
    if (r.iteration_id == 0) {
      EXPECT_EQ(r.key_fetch_num, 993u) << "line " << r.line;
    } else {
      EXPECT_EQ(r.key_fetch_num, keys.at(r.layer_id)) << "line " << r.line;
      EXPECT_EQ(r.value_fetch_num, values.at(r.layer_id)) << "line " << r.line;
    }
  }
  const auto it = std::find_if(t.rows.begin(), t.rows.end(),
                               [](const TraceRow& r) { return r.iteration_id == 1; });
  ASSERT_NE(it, t.rows.end());
  EXPECT_EQ(it->layer_id, 0u);
  EXPECT_EQ(it->key_fetch_num, 921u);
  EXPECT_EQ(it->sentence_length_L, 994u);
}

TEST(TraceOfficial, Per8DenseTwinIsUnquantizedWithoutPruning) {
  const Trace t = read_official_trace(official(kPer8Dense));
  ASSERT_EQ(t.rows.size(), 4608u);
  EXPECT_EQ(t.num_iterations, 32u);
  EXPECT_EQ(t.num_layers, 12u);
  EXPECT_EQ(t.max_heads_per_layer, 12u);
  const auto s = spatten::trace::compute_stats(t);
  EXPECT_EQ(s.rows_quantized, 0u);
  EXPECT_EQ(s.rows_requant, 0u);
  EXPECT_EQ(s.topk_events, 0u);
  EXPECT_EQ(s.keys_fetched, 4647168u);
  EXPECT_EQ(s.values_fetched, 4647168u);
  for (const TraceRow& r : t.rows) {
    EXPECT_EQ(r.key_fetch_num, r.sentence_length_L) << "line " << r.line;
    EXPECT_FALSE(r.if_accumulate_importance) << "line " << r.line;
  }
  // The file names the same (quantized) config as per8, although its rows are dense.
  EXPECT_EQ(t.config_path, read_official_trace(official(kPer8)).config_path);
}

TEST(TraceOfficial, MediumHeadPruned) {
  const Trace t = read_official_trace(official(kMediumHp));
  ASSERT_EQ(t.rows.size(), 11328u);
  EXPECT_EQ(t.num_iterations, 32u);
  EXPECT_EQ(t.num_layers, 24u);
  EXPECT_EQ(t.max_heads_per_layer, 16u);
  // Heads per (iteration, layer): 16 in layers 0-15, 13 in 16-21, 10 in 22-23, every iteration.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> heads;
  for (const TraceRow& r : t.rows) ++heads[{r.iteration_id, r.layer_id}];
  ASSERT_EQ(heads.size(), 32u * 24u);
  for (const auto& [key, n] : heads) {
    const std::uint32_t layer = key.second;
    const std::uint32_t want = layer < 16 ? 16 : layer < 22 ? 13 : 10;
    EXPECT_EQ(n, want) << "iteration " << key.first << " layer " << layer;
  }
  const auto s = spatten::trace::compute_stats(t);
  EXPECT_EQ(s.min_heads_per_layer, 10u);
  EXPECT_EQ(s.rows_quantized, 11328u);
  EXPECT_EQ(s.rows_requant, 0u);
  EXPECT_EQ(s.keys_fetched, 6143004u);
  EXPECT_EQ(s.values_fetched, 1848398u);
  using Keeps = std::map<std::uint32_t, std::map<std::uint32_t, std::size_t>>;
  EXPECT_EQ(s.topk_keep_by_layer,
            (Keeps{{1, {{921, 31}}}, {2, {{819, 31}}}, {4, {{614, 31}}}, {10, {{307, 31}}}}));
  for (const TraceRow& r : t.rows) {
    EXPECT_EQ(r.quant_key_bit, 12);
    EXPECT_EQ(r.quant_query_bit, 16);
    EXPECT_EQ(r.quant_value_bit, 8);
    EXPECT_FALSE(r.auto_requant_thres);
  }
}

TEST(TraceOfficial, MediumPtbDense) {
  const Trace t = read_official_trace(official(kMediumPtb));
  ASSERT_EQ(t.rows.size(), 12288u);
  EXPECT_EQ(t.num_iterations, 32u);
  EXPECT_EQ(t.num_layers, 24u);
  EXPECT_EQ(t.max_heads_per_layer, 16u);
  EXPECT_EQ(t.config_path, "configs/gpt2/ptb/medium_baseline_train+eval.yml");
  const auto s = spatten::trace::compute_stats(t);
  EXPECT_EQ(s.min_heads_per_layer, 16u);
  EXPECT_EQ(s.rows_quantized, 0u);
  EXPECT_EQ(s.topk_events, 0u);
  EXPECT_EQ(s.keys_fetched, 12392448u);
  EXPECT_EQ(s.values_fetched, 12392448u);
  std::size_t rescale = 0;
  std::size_t no_accumulate = 0;
  for (const TraceRow& r : t.rows) {
    if (r.if_rescale_previous_importance) {
      ++rescale;
      EXPECT_GE(r.iteration_id, 7u);  // only iterations 7..30, on the last row
      EXPECT_LE(r.iteration_id, 30u);
      EXPECT_EQ(r.layer_id, 23u);
      EXPECT_EQ(r.head_id, 15u);
    }
    if (!r.if_accumulate_importance) ++no_accumulate;
    // The last iteration, and only it, does not accumulate importance.
    EXPECT_EQ(r.if_accumulate_importance, r.iteration_id != 31) << "line " << r.line;
  }
  EXPECT_EQ(rescale, 24u);
  EXPECT_EQ(no_accumulate, 384u);
}

// Facts the documentation states for every official trace.
TEST(TraceOfficial, AllTracesKeepDocumentedInvariants) {
  for (const char* name : {"small.csv", kPer8, kPer8Dense, kMediumHp, kMediumPtb}) {
    SCOPED_TRACE(name);
    const Trace t = read_official_trace(official(name));
    ASSERT_TRUE(t.config_path.has_value());
    EXPECT_EQ(t.origin, official(name).string());
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const TraceRow& r = t.rows[i];
      EXPECT_EQ(r.sentence_length_L, 993u + r.iteration_id) << "line " << r.line;
      EXPECT_EQ(r.embedding_length_D, 64u) << "line " << r.line;
      EXPECT_EQ(r.line, i + 2) << "rows are the lines after the header";
      // A top-k keeps exactly as many tokens as the next layer fetches.
      if (r.topk) {
        const auto next = std::find_if(t.rows.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       t.rows.end(), [&](const TraceRow& n) {
                                         return n.layer_id != r.layer_id ||
                                                n.iteration_id != r.iteration_id;
                                       });
        if (next != t.rows.end()) {
          EXPECT_EQ(next->key_fetch_num, *r.topk) << "line " << r.line;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Column order, line endings, optional parts

std::string permute_columns(const std::string& text, const std::vector<std::size_t>& perm) {
  std::string out;
  for (const std::string& line : lines_of(text)) {
    const std::vector<std::string> f = split(line, ',');
    const bool config = !f[0].empty() && std::all_of(f.begin() + 1, f.end(),
                                                     [](const std::string& x) { return x.empty(); });
    if (config && f[0].find_first_not_of("0123456789-+.") != std::string::npos) {
      out += line + "\n";  // the config path stays in the first field
      continue;
    }
    std::vector<std::string> g(f.size());
    for (std::size_t i = 0; i < perm.size(); ++i) g[i] = f.at(perm[i]);
    out += join(g, ',') + "\n";
  }
  return out;
}

TEST(TraceFormat, ReorderedColumnsParseToIdenticalRows) {
  const std::string text = slurp(official(kPer8));
  const Trace ref = parse_official_trace(text, "per8.csv");
  std::vector<std::size_t> perm(17);
  std::iota(perm.begin(), perm.end(), 0);
  std::reverse(perm.begin(), perm.end());
  std::vector<std::size_t> shuffled = perm;
  std::mt19937_64 rng(spatten::test::test_seed());
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (const auto& p : {perm, shuffled}) {
    const std::string permuted = permute_columns(text, p);
    ASSERT_NE(permuted, text);
    const Trace t = parse_official_trace(permuted, "per8-permuted.csv");
    EXPECT_EQ(t.rows, ref.rows);
    EXPECT_EQ(t.config_path, ref.config_path);
    EXPECT_EQ(t.num_iterations, ref.num_iterations);
    EXPECT_EQ(t.max_heads_per_layer, ref.max_heads_per_layer);
  }
}

TEST(TraceFormat, CrlfMissingNewlineBomAndNoConfigAreAccepted) {
  const std::string text = slurp(official(kPer8));
  const Trace ref = parse_official_trace(text, "a.csv");
  std::string crlf;
  for (const std::string& l : lines_of(text)) crlf += l + "\r\n";
  EXPECT_EQ(parse_official_trace(crlf, "a.csv").rows, ref.rows);
  EXPECT_EQ(parse_official_trace(crlf, "a.csv").config_path, ref.config_path);

  const std::string no_newline = text.substr(0, text.size() - 1);
  EXPECT_EQ(parse_official_trace(no_newline, "a.csv").rows, ref.rows);
  EXPECT_EQ(parse_official_trace(no_newline, "a.csv").config_path, ref.config_path);

  EXPECT_EQ(parse_official_trace("\xEF\xBB\xBF" + text, "a.csv").rows, ref.rows);

  const std::string without_config = text.substr(0, text.rfind("configs/"));
  const Trace nc = parse_official_trace(without_config, "a.csv");
  EXPECT_EQ(nc.rows, ref.rows);
  EXPECT_FALSE(nc.config_path);
}

TEST(TraceFormat, HeaderOnlyIsAnEmptyTrace) {
  Mini m;
  m.rows.clear();
  m.config.clear();
  const Trace t = parse_official_trace(m.text(), "h.csv");
  EXPECT_TRUE(t.rows.empty());
  EXPECT_FALSE(t.config_path);
  EXPECT_EQ(t.num_iterations, 0u);
  EXPECT_EQ(t.num_layers, 0u);
  EXPECT_EQ(t.max_heads_per_layer, 0u);
  m.config = "configs/x.yml,,,,,,,,,,,,,,,,";
  EXPECT_EQ(parse_official_trace(m.text(), "h.csv").config_path, "configs/x.yml");
}

TEST(TraceFormat, MiniTraceIsValid) {
  const Trace t = parse_official_trace(Mini{}.text(), "mini.csv");
  EXPECT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.config_path, "configs/x.yml");
  EXPECT_EQ(t.origin, "mini.csv");
}

// ---------------------------------------------------------------------------
// Failures: every one names file, line and column

TEST(TraceErrors, EmptyFile) {
  expect_error("", 1, "", "empty file");
  expect_error("\xEF\xBB\xBF", 1, "", "empty file");
  expect_error("\n", 1, "", "empty header");
}

TEST(TraceErrors, Header) {
  Mini m;
  m.header.back() = "top_k";
  expect_error(m.text(), 1, "top_k", "unknown column");

  m = Mini{};
  m.header[5] = "layer_id";
  expect_error(m.text(), 1, "layer_id", "duplicate column");

  m = Mini{};
  m.header.pop_back();
  for (auto& r : m.rows) r.pop_back();
  m.config = "configs/x.yml,,,,,,,,,,,,,,,";
  expect_error(m.text(), 1, "topk", "lacks required column(s) 'topk'");

  m = Mini{};
  m.header[3] = "";
  expect_error(m.text(), 1, "", "empty column name");
}

TEST(TraceErrors, FieldCount) {
  Mini m;
  m.rows[1].push_back("7");
  expect_error(m.text(), 3, "", "too many fields: 18, the header has 17");
  m = Mini{};
  m.rows[1].resize(10);
  expect_error(m.text(), 3, "auto_requant_incre", "too few fields: 10, the header has 17");
  m = Mini{};
  m.config = "configs/x.yml";
  expect_error(m.text(), 5, "layer_id", "too few fields: 1");
}

TEST(TraceErrors, EmptyAndNonNumericFields) {
  expect_error(Mini{}.set(1, "key_fetch_num", "").text(), 3, "key_fetch_num", "empty field");
  expect_error(Mini{}.set(2, "sentence_length_L", "abc").text(), 4, "sentence_length_L",
               "not a non-negative integer");
  expect_error(Mini{}.set(0, "layer_id", "1.0").text(), 2, "layer_id", "not a non-negative integer");
  expect_error(Mini{}.set(0, "head_id", " 1").text(), 2, "head_id", "not a non-negative integer");
  expect_error(Mini{}.set(0, "iteration_id", "+1").text(), 2, "iteration_id",
               "not a non-negative integer");
  expect_error(Mini{}.set(0, "quant_key_bit", "6.0").text(), 2, "quant_key_bit", "not an integer");
  expect_error(Mini{}.set(0, "auto_requant_thres", "abc").text(), 2, "auto_requant_thres",
               "not a number");
  expect_error(Mini{}.set(0, "auto_requant_thres", "nan").text(), 2, "auto_requant_thres",
               "not a number");
  expect_error(Mini{}.set(0, "auto_requant_thres", "inf").text(), 2, "auto_requant_thres",
               "not a number");
  expect_error(Mini{}.set(1, "if_requant", "true").text(), 3, "if_requant", "expected True or False");
  expect_error(Mini{}.set(1, "if_topk", "1").text(), 3, "if_topk", "expected True or False");
  expect_error(Mini{}.set(1, "if_accumulate_importance", "").text(), 3, "if_accumulate_importance",
               "empty field");
}

TEST(TraceErrors, ValueAppearsInMessage) {
  try {
    parse_official_trace(Mini{}.set(1, "value_fetch_num", "12x").text(), "v.csv");
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()),
              "v.csv:3: not a non-negative integer (column 'value_fetch_num', value '12x')");
    EXPECT_EQ(e.value(), "12x");
  }
}

TEST(TraceErrors, NegativeAndOutOfRange) {
  expect_error(Mini{}.set(0, "value_fetch_num", "-5").text(), 2, "value_fetch_num", "negative");
  expect_error(Mini{}.set(0, "topk", "-2").text(), 2, "topk", "negative");
  expect_error(Mini{}.set(0, "sentence_length_L", "4294967296").text(), 2, "sentence_length_L",
               "out of range");
  expect_error(Mini{}.set(0, "sentence_length_L", "0").set(0, "key_fetch_num", "0")
                   .set(0, "value_fetch_num", "0").text(),
               2, "sentence_length_L", "context length must be >= 1");
  expect_error(Mini{}.set(0, "key_fetch_num", "0").set(0, "value_fetch_num", "0").text(), 2,
               "key_fetch_num", "must be >= 1");
  expect_error(Mini{}.set(0, "key_fetch_num", "994").text(), 2, "key_fetch_num",
               "exceeds sentence_length_L (993)");
  expect_error(Mini{}.set(2, "value_fetch_num", "994").text(), 4, "value_fetch_num",
               "exceeds key_fetch_num (993)");
}

TEST(TraceErrors, HeadDimension) {
  EXPECT_EQ(parse_official_trace(Mini{}.set(0, "embedding_length_D", "128").text(), "d.csv")
                .rows[0].embedding_length_D, 128u);
  EXPECT_EQ(parse_official_trace(Mini{}.set(0, "embedding_length_D", "64.000").text(), "d.csv")
                .rows[0].embedding_length_D, 64u);
  const std::string col = "embedding_length_D";
  expect_error(Mini{}.set(0, col, "64.5").text(), 2, col, "not an integer");
  expect_error(Mini{}.set(0, col, "0.0").text(), 2, col, "out of range 1..1024");
  expect_error(Mini{}.set(0, col, "2048.0").text(), 2, col, "out of range 1..1024");
  expect_error(Mini{}.set(0, col, "99999999999999999999.0").text(), 2, col, "out of range");
  expect_error(Mini{}.set(0, col, "-64.0").text(), 2, col, "negative");
  expect_error(Mini{}.set(0, col, "64.0.0").text(), 2, col, "not a number");
  expect_error(Mini{}.set(0, col, "64.").text(), 2, col, "not a number");
  expect_error(Mini{}.set(0, col, "6.4e1").text(), 2, col, "not a number");
}

TEST(TraceErrors, QuantBitsAndThreshold) {
  for (const char* col : {"quant_key_bit", "quant_query_bit", "quant_value_bit", "auto_requant_incre"}) {
    expect_error(Mini{}.set(2, col, "0").text(), 4, col, "out of range 1..32");
    expect_error(Mini{}.set(2, col, "33").text(), 4, col, "out of range 1..32");
    expect_error(Mini{}.set(2, col, "99999999999").text(), 4, col, "out of range 1..32");
    expect_error(Mini{}.set(2, col, "-2").text(), 4, col, "other than -1");
  }
  expect_error(Mini{}.set(2, "auto_requant_thres", "1.5").text(), 4, "auto_requant_thres",
               "out of range [0, 1]");
  expect_error(Mini{}.set(2, "auto_requant_thres", "-0.5").text(), 4, "auto_requant_thres",
               "out of range [0, 1]");
  const Trace t = parse_official_trace(
      Mini{}.set(2, "auto_requant_thres", "-1.0").set(2, "quant_value_bit", "-1").text(), "q.csv");
  EXPECT_FALSE(t.rows[2].auto_requant_thres);
  EXPECT_FALSE(t.rows[2].quant_value_bit);
}

TEST(TraceErrors, CrossFieldRules) {
  expect_error(Mini{}.set(1, "if_topk", "True").text(), 3, "topk", "if_topk is True but topk is -1");
  expect_error(Mini{}.set(1, "topk", "100").text(), 3, "topk", "if_topk is False but topk is set");
  expect_error(Mini{}.set(1, "if_topk", "True").set(1, "topk", "0").text(), 3, "topk",
               "out of range 1..sentence_length_L (993)");
  expect_error(Mini{}.set(1, "if_topk", "True").set(1, "topk", "994").text(), 3, "topk",
               "out of range 1..sentence_length_L (993)");
  expect_error(Mini{}.set(0, "quant_key_bit", "-1").text(), 2, "quant_key_bit",
               "if_requant is True but keys are unquantized");
  expect_error(Mini{}.set(0, "auto_requant_thres", "-1").text(), 2, "auto_requant_thres",
               "if_requant is True");
  expect_error(Mini{}.set(0, "auto_requant_incre", "-1").text(), 2, "auto_requant_incre",
               "if_requant is True");
}

TEST(TraceErrors, RowOrder) {
  expect_error(Mini{}.set(1, "iteration_id", "1").text(), 4, "iteration_id",
               "iteration_id goes back (previous row, line 3, has 1)");
  expect_error(Mini{}.set(1, "layer_id", "1").text(), 4, "layer_id",
               "layer_id goes back within iteration 0");
  expect_error(Mini{}.set(2, "head_id", "1").text(), 4, "head_id", "duplicated or out-of-order head");
  // A new layer or iteration starts again at any head.
  const Trace t = parse_official_trace(
      Mini{}.set(1, "layer_id", "1").set(2, "layer_id", "1").set(2, "iteration_id", "1").text(),
      "o.csv");
  EXPECT_EQ(t.num_iterations, 2u);
  EXPECT_EQ(t.num_layers, 2u);
  EXPECT_EQ(t.max_heads_per_layer, 1u);
}

TEST(TraceErrors, LinesAroundTheConfigPath) {
  Mini m;
  std::string text = m.text() + join(m.rows[2], ',') + "\n";
  expect_error(text, 6, "", "line after the config-path line (line 5)");
  m.config.clear();
  text = m.text() + "\n" + join(m.rows[2], ',') + "\n";
  expect_error(text, 5, "", "blank line");
  m = Mini{};
  m.config = "configs/a\x01.yml,,,,,,,,,,,,,,,,";
  expect_error(m.text(), 5, "", "control character");
  m.config = "\"configs/a.yml\",,,,,,,,,,,,,,,,";
  expect_error(m.text(), 5, "", "quoted fields");
  // A numeric first field with empty others is a broken data row, not a config path.
  m.config = "7,,,,,,,,,,,,,,,,";
  expect_error(m.text(), 5, "layer_id", "empty field");
}

TEST(TraceErrors, GarbageRowInTheMiddleOfARealTrace) {
  std::vector<std::string> lines = lines_of(slurp(official(kPer8)));
  lines.insert(lines.begin() + 100, "0,0,0,64.0,993,zz,6,16,0.05,False,4,204,6,True,False,False,-1");
  expect_error(join(lines, '\n') + "\n", 101, "key_fetch_num", "not a non-negative integer",
               "per8.csv");
  lines[100] = "hello, world";
  expect_error(join(lines, '\n') + "\n", 101, "head_id", "too few fields: 2", "per8.csv");
}

TEST(TraceErrors, TruncatedTraceFailsAtTheCutLine) {
  const std::string text = slurp(official(kPer8));
  // Row at line 1001 (index 1000 among lines); its last field is "-1".
  const std::vector<std::string> lines = lines_of(text);
  std::size_t start = 0;
  for (std::size_t i = 0; i < 1000; ++i) start += lines[i].size() + 1;
  const std::string& row = lines[1000];
  ASSERT_EQ(row.substr(row.size() - 3), ",-1");
  for (std::size_t cut : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{9},
                          std::size_t{20}, row.size() / 2, row.size() - 3, row.size() - 2,
                          row.size() - 1}) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes of line 1001");
    const std::string part = row.substr(0, cut);
    const auto commas = static_cast<std::size_t>(std::count(part.begin(), part.end(), ','));
    // A cut inside field k leaves k+1 fields (too few) unless it is in the
    // last field, where "-" of "-1" is left (or nothing).
    std::string column = commas < 16 ? kHeader[commas + 1] : "topk";
    if (commas == 16) {
      expect_error(text.substr(0, start + cut), 1001, column,
                   cut == row.size() - 2 ? "empty field" : "not a non-negative integer", "t.csv");
    } else {
      expect_error(text.substr(0, start + cut), 1001, column, "too few fields", "t.csv");
    }
  }
  // A cut exactly at a line boundary is a shorter, valid trace without config path.
  const Trace t = parse_official_trace(text.substr(0, start), "t.csv");
  EXPECT_EQ(t.rows.size(), 999u);
  EXPECT_FALSE(t.config_path);
}

TEST(TraceErrors, BinaryBlobAndControlBytesAreEscaped) {
  std::string blob;
  std::mt19937 rng(7);
  for (int i = 0; i < 4096; ++i) blob.push_back(static_cast<char>(rng() & 0xffU));
  blob[0] = '\0';
  try {
    parse_official_trace(blob, "blob.bin");
    FAIL() << "no error";
  } catch (const TraceError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("blob.bin:1: ", 0), 0u) << what;
    EXPECT_NE(what.find("column '\\x00"), std::string::npos) << what;
    EXPECT_TRUE(std::all_of(what.begin(), what.end(),
                            [](char c) { return c >= 0x20 && c < 0x7f; }))
        << "message must be printable: " << what;
  }
  expect_error(Mini{}.set(0, "topk", std::string("1\0", 2)).text(), 2, "topk",
               "not a non-negative integer");
}

TEST(TraceErrors, UnreadableFile) {
  const fs::path missing = fs::temp_directory_path() / "spatten-no-such-trace.csv";
  try {
    read_official_trace(missing);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": cannot read trace: no such file");
  }
  try {
    read_official_trace(fs::temp_directory_path());
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos);
  }
}

}  // namespace
