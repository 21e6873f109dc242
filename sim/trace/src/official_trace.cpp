// Parser for the official SpAtten CSV traces; the format and every rule
// checked here are documented in sim/trace/README.md.
#include "spatten/trace/official_trace.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

namespace spatten::trace {

namespace {

// Column indices into kColumns; the order is that of the official files.
enum Col : std::size_t {
  kIterationId,
  kLayerId,
  kHeadId,
  kEmbeddingLengthD,
  kSentenceLengthL,
  kKeyFetchNum,
  kQuantKeyBit,
  kQuantQueryBit,
  kAutoRequantThres,
  kIfRequant,
  kAutoRequantIncre,
  kValueFetchNum,
  kQuantValueBit,
  kIfAccumulateImportance,
  kIfRescalePreviousImportance,
  kIfTopk,
  kTopk,
  kNumColumns
};

constexpr std::array<std::string_view, kNumColumns> kColumns = {
    "iteration_id",        "layer_id",
    "head_id",             "embedding_length_D",
    "sentence_length_L",   "key_fetch_num",
    "quant_key_bit",       "quant_query_bit",
    "auto_requant_thres",  "if_requant",
    "auto_requant_incre",  "value_fetch_num",
    "quant_value_bit",     "if_accumulate_importance",
    "if_rescale_previous_importance", "if_topk",
    "topk"};

constexpr std::uint32_t kMaxHeadDim = 1024;
constexpr int kMinBits = 1;
constexpr int kMaxBits = 32;
constexpr std::size_t kMaxShownValue = 64;

// Makes text printable on one line: bytes outside 0x20..0x7e (and '\\') become
// \xNN, and text longer than max_shown is cut.
std::string printable(std::string_view text, std::size_t max_shown = kMaxShownValue) {
  std::string out;
  const std::size_t shown = std::min(text.size(), max_shown);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4U]);
      out.push_back(kHex[c & 0xfU]);
    }
  }
  if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string format_message(const std::string& origin, std::size_t line, const std::string& problem,
                           const std::string& column, const std::optional<std::string>& value) {
  std::string msg = printable(origin, std::numeric_limits<std::size_t>::max());
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": " + problem;
  if (!column.empty() || value) {
    msg += " (";
    if (!column.empty()) msg += "column '" + printable(column) + "'";
    if (!column.empty() && value) msg += ", ";
    if (value) msg += "value '" + printable(*value) + "'";
    msg += ")";
  }
  return msg;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits on ',' (no quoting: the official files never quote).
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// A config-path line: the physically first field is set, every other field is
// empty, and the first field cannot be a data value (not a number, not a bool).
bool is_config_line(const std::vector<std::string_view>& fields) {
  if (fields.empty() || fields.front().empty()) return false;
  if (!std::all_of(fields.begin() + 1, fields.end(), [](std::string_view f) { return f.empty(); }))
    return false;
  const std::string_view first = fields.front();
  if (first == "True" || first == "False") return false;
  return std::any_of(first.begin(), first.end(), [](char c) {
    return !((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
  });
}

// Parses one data line; knows the column mapping and reports errors in the
// `<origin>:<line>: problem (column, value)` form.
class RowParser {
 public:
  RowParser(const std::string& origin, const std::array<std::size_t, kNumColumns>& index)
      : origin_(origin), index_(index) {}

  TraceRow parse(const std::vector<std::string_view>& fields, std::size_t line) {
    fields_ = &fields;
    line_ = line;
    TraceRow r;
    r.line = line;
    r.iteration_id = count(kIterationId);
    r.layer_id = count(kLayerId);
    r.head_id = count(kHeadId);
    r.embedding_length_D = head_dim(kEmbeddingLengthD);
    r.sentence_length_L = count(kSentenceLengthL);
    r.key_fetch_num = count(kKeyFetchNum);
    r.quant_key_bit = bits(kQuantKeyBit);
    r.quant_query_bit = bits(kQuantQueryBit);
    r.auto_requant_thres = threshold(kAutoRequantThres);
    r.if_requant = boolean(kIfRequant);
    r.auto_requant_incre = bits(kAutoRequantIncre);
    r.value_fetch_num = count(kValueFetchNum);
    r.quant_value_bit = bits(kQuantValueBit);
    r.if_accumulate_importance = boolean(kIfAccumulateImportance);
    r.if_rescale_previous_importance = boolean(kIfRescalePreviousImportance);
    r.if_topk = boolean(kIfTopk);
    r.topk = optional_count(kTopk);
    check_row(r);
    return r;
  }

  [[noreturn]] void fail(Col c, const std::string& problem) const {
    throw TraceError(origin_, line_, problem, std::string(kColumns[c]), std::string(field(c)));
  }

 private:
  std::string_view field(Col c) const { return (*fields_)[index_[c]]; }

  std::string_view required(Col c) const {
    const std::string_view f = field(c);
    if (f.empty()) fail(c, "empty field where a value is required");
    return f;
  }

  // Non-negative integer that fits in 32 bits.
  std::uint32_t count(Col c) const {
    const std::string_view f = required(c);
    if (f.front() == '-' && all_digits(f.substr(1))) fail(c, "negative value; must be >= 0");
    if (!all_digits(f)) fail(c, "not a non-negative integer");
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec == std::errc::result_out_of_range) fail(c, "value out of range (max 4294967295)");
    if (ec != std::errc() || ptr != f.data() + f.size()) fail(c, "not a non-negative integer");
    return v;
  }

  std::optional<std::uint32_t> optional_count(Col c) const {
    if (field(c) == "-1") return std::nullopt;
    return count(c);
  }

  // "-1" (off) or an integer in [kMinBits, kMaxBits].
  std::optional<int> bits(Col c) const {
    const std::string_view f = required(c);
    if (f == "-1") return std::nullopt;
    if (f.front() == '-' && all_digits(f.substr(1)))
      fail(c, "negative value other than -1 (-1 means off/unquantized)");
    if (!all_digits(f)) fail(c, "not an integer (expected -1 or 1..32)");
    if (f.size() > 9) fail(c, "bit width out of range 1..32 (-1 means off/unquantized)");
    int v = 0;
    std::from_chars(f.data(), f.data() + f.size(), v);
    if (v < kMinBits || v > kMaxBits)
      fail(c, "bit width out of range 1..32 (-1 means off/unquantized)");
    return v;
  }

  // Head dimension: an integral number, possibly written as a float ("64.0").
  std::uint32_t head_dim(Col c) const {
    const std::string_view f = required(c);
    const std::size_t dot = f.find('.');
    const std::string_view whole = f.substr(0, dot);
    const std::string_view frac =
        dot == std::string_view::npos ? std::string_view{} : f.substr(dot + 1);
    if (f.front() == '-') fail(c, "negative head dimension; must be 1..1024");
    if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(frac)))
      fail(c, "not a number (expected an integral head dimension such as 64 or 64.0)");
    if (std::any_of(frac.begin(), frac.end(), [](char ch) { return ch != '0'; }))
      fail(c, "head dimension is not an integer");
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), v);
    if (ec != std::errc() || v == 0 || v > kMaxHeadDim)
      fail(c, "head dimension out of range 1..1024");
    (void)ptr;
    return v;
  }

  // "-1" (off) or a probability in [0, 1].
  std::optional<double> threshold(Col c) const {
    const std::string_view f = required(c);
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || ptr != f.data() + f.size() || !std::isfinite(v))
      fail(c, "not a number (expected -1 or a threshold in [0, 1])");
    if (v == -1.0) return std::nullopt;
    if (v < 0.0 || v > 1.0) fail(c, "threshold out of range [0, 1] (-1 means off)");
    return v;
  }

  bool boolean(Col c) const {
    const std::string_view f = required(c);
    if (f == "True") return true;
    if (f == "False") return false;
    fail(c, "not a boolean (expected True or False)");
  }

  // Checks between fields of one row.
  void check_row(const TraceRow& r) const {
    if (r.sentence_length_L == 0) fail(kSentenceLengthL, "context length must be >= 1");
    if (r.key_fetch_num == 0) fail(kKeyFetchNum, "key_fetch_num must be >= 1");
    if (r.key_fetch_num > r.sentence_length_L)
      fail(kKeyFetchNum, "key_fetch_num exceeds sentence_length_L (" +
                             std::to_string(r.sentence_length_L) + ")");
    if (r.value_fetch_num > r.key_fetch_num)
      fail(kValueFetchNum,
           "value_fetch_num exceeds key_fetch_num (" + std::to_string(r.key_fetch_num) + ")");
    if (r.if_topk && !r.topk) fail(kTopk, "if_topk is True but topk is -1");
    if (!r.if_topk && r.topk) fail(kTopk, "if_topk is False but topk is set (expected -1)");
    if (r.topk && (*r.topk == 0 || *r.topk > r.sentence_length_L))
      fail(kTopk, "topk out of range 1..sentence_length_L (" +
                      std::to_string(r.sentence_length_L) + ")");
    if (r.if_requant) {
      if (!r.quant_key_bit) fail(kQuantKeyBit, "if_requant is True but keys are unquantized (-1)");
      if (!r.auto_requant_thres)
        fail(kAutoRequantThres, "if_requant is True but the requant threshold is off (-1)");
      if (!r.auto_requant_incre)
        fail(kAutoRequantIncre, "if_requant is True but auto_requant_incre is off (-1)");
    }
  }

  const std::string& origin_;
  const std::array<std::size_t, kNumColumns>& index_;
  const std::vector<std::string_view>* fields_ = nullptr;
  std::size_t line_ = 0;
};

// Rows must come grouped as the hardware sees them: iteration_id never goes
// back, layer_id never goes back within an iteration, and head_id strictly
// increases within an (iteration, layer), which also rejects duplicated rows.
void check_order(const TraceRow& prev, const TraceRow& r, RowParser& parser) {
  const std::string was = " (previous row, line " + std::to_string(prev.line) + ", has ";
  if (r.iteration_id < prev.iteration_id)
    parser.fail(kIterationId, "iteration_id goes back" + was + std::to_string(prev.iteration_id) +
                                  "); rows must be in non-decreasing iteration order");
  if (r.iteration_id != prev.iteration_id) return;
  if (r.layer_id < prev.layer_id)
    parser.fail(kLayerId, "layer_id goes back within iteration " + std::to_string(r.iteration_id) +
                              was + std::to_string(prev.layer_id) +
                              "); rows of an iteration must be in non-decreasing layer order");
  if (r.layer_id == prev.layer_id && r.head_id <= prev.head_id)
    parser.fail(kHeadId, "head_id does not increase within iteration " +
                             std::to_string(r.iteration_id) + " layer " +
                             std::to_string(r.layer_id) + was + std::to_string(prev.head_id) +
                             "); duplicated or out-of-order head");
}

void derive_summary(Trace& t) {
  std::set<std::uint32_t> layers;
  std::uint32_t group = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const TraceRow& r = t.rows[i];
    layers.insert(r.layer_id);
    const bool new_iteration = i == 0 || r.iteration_id != t.rows[i - 1].iteration_id;
    if (new_iteration) ++t.num_iterations;
    group = (new_iteration || r.layer_id != t.rows[i - 1].layer_id) ? 1 : group + 1;
    t.max_heads_per_layer = std::max(t.max_heads_per_layer, group);
  }
  t.num_layers = static_cast<std::uint32_t>(layers.size());
}

}  // namespace

TraceError::TraceError(std::string origin, std::size_t line, std::string problem,
                       std::string column, std::optional<std::string> value)
    : std::runtime_error(format_message(origin, line, problem, column, value)),
      origin_(std::move(origin)),
      line_(line),
      problem_(std::move(problem)),
      column_(std::move(column)),
      value_(std::move(value)) {}

const std::vector<std::string_view>& official_columns() {
  static const std::vector<std::string_view> columns(kColumns.begin(), kColumns.end());
  return columns;
}

Trace parse_official_trace(std::string_view text, std::string origin) {
  Trace trace;
  trace.origin = std::move(origin);
  const std::string& org = trace.origin;

  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte-order mark
  if (text.empty()) throw TraceError(org, 1, "empty file; expected a header line");

  std::size_t pos = 0;
  std::size_t line_no = 0;
  // Next line without its '\n' (and without a '\r' before it); false at the
  // end. A final line without '\n' is still a line.
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    line = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    return true;
  };

  // Header: every official column exactly once, no others, any order.
  std::string_view line;
  next_line(line);
  if (line.empty()) throw TraceError(org, 1, "empty header line");
  const std::vector<std::string_view> names = split_fields(line);
  constexpr std::size_t kUnset = std::numeric_limits<std::size_t>::max();
  std::array<std::size_t, kNumColumns> index{};
  index.fill(kUnset);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto it = std::find(kColumns.begin(), kColumns.end(), names[i]);
    if (names[i].empty())
      throw TraceError(org, 1, "empty column name in header (field " + std::to_string(i + 1) + ")");
    if (it == kColumns.end())
      throw TraceError(org, 1, "unknown column in header", std::string(names[i]));
    const auto c = static_cast<std::size_t>(it - kColumns.begin());
    if (index[c] != kUnset)
      throw TraceError(org, 1,
                       "duplicate column in header (fields " + std::to_string(index[c] + 1) +
                           " and " + std::to_string(i + 1) + ")",
                       std::string(names[i]));
    index[c] = i;
  }
  std::string missing;
  std::string first_missing;
  for (std::size_t c = 0; c < kNumColumns; ++c) {
    if (index[c] != kUnset) continue;
    if (first_missing.empty()) first_missing = kColumns[c];
    missing += (missing.empty() ? "'" : ", '") + std::string(kColumns[c]) + "'";
  }
  if (!missing.empty())
    throw TraceError(org, 1, "header lacks required column(s) " + missing, first_missing);

  RowParser parser(org, index);
  std::size_t config_line = 0;
  while (next_line(line)) {
    if (line.empty())
      throw TraceError(org, line_no,
                       "blank line; expected " + std::to_string(names.size()) + " fields");
    const std::vector<std::string_view> fields = split_fields(line);
    if (config_line != 0)
      throw TraceError(org, line_no,
                       "line after the config-path line (line " + std::to_string(config_line) +
                           "); the config path must be the last line");
    if (fields.size() < names.size())  // name the first column with no field
      throw TraceError(org, line_no,
                       "too few fields: " + std::to_string(fields.size()) + ", the header has " +
                           std::to_string(names.size()),
                       std::string(names[fields.size()]));
    if (fields.size() > names.size())
      throw TraceError(org, line_no,
                       "too many fields: " + std::to_string(fields.size()) + ", the header has " +
                           std::to_string(names.size()));
    if (line.find('"') != std::string_view::npos)
      throw TraceError(org, line_no, "quoted fields are not supported");
    if (is_config_line(fields)) {
      const std::string_view path = fields.front();
      if (std::any_of(path.begin(), path.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
          }))
        throw TraceError(org, line_no, "config path contains a control character", {},
                         std::string(path));
      trace.config_path = std::string(path);
      config_line = line_no;
      continue;
    }
    TraceRow row = parser.parse(fields, line_no);
    if (!trace.rows.empty()) check_order(trace.rows.back(), row, parser);
    trace.rows.push_back(row);
  }
  derive_summary(trace);
  return trace;
}

Trace read_official_trace(const std::filesystem::path& path) {
  const std::string origin = path.string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw TraceError(origin, 0, "cannot read trace: no such file");
  if (std::filesystem::is_directory(path, ec))
    throw TraceError(origin, 0, "cannot read trace: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw TraceError(origin, 0,
                     std::string("cannot open trace file: ") +
                         (err != 0 ? std::strerror(err) : "unknown error"));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw TraceError(origin, 0, "error while reading trace file");
  return parse_official_trace(buf.str(), origin);
}

TraceStats compute_stats(const Trace& t) {
  TraceStats s;
  s.rows = t.rows.size();
  s.iterations = t.num_iterations;
  s.layers = t.num_layers;
  s.max_heads_per_layer = t.max_heads_per_layer;
  s.config_path = t.config_path;
  std::uint32_t group = 0;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const TraceRow& r = t.rows[i];
    const bool first = i == 0;
    s.min_context_length = first ? r.sentence_length_L : std::min(s.min_context_length, r.sentence_length_L);
    s.max_context_length = std::max(s.max_context_length, r.sentence_length_L);
    s.keys_fetched += r.key_fetch_num;
    s.values_fetched += r.value_fetch_num;
    if (r.if_requant) ++s.rows_requant;
    if (r.quant_key_bit || r.quant_value_bit) ++s.rows_quantized;
    if (r.topk) {
      ++s.topk_events;
      ++s.topk_keep_by_layer[r.layer_id][*r.topk];
    }
    // A group (iteration, layer) ends where the next row starts another one.
    ++group;
    const bool last_of_group = i + 1 == t.rows.size() ||
                               t.rows[i + 1].iteration_id != r.iteration_id ||
                               t.rows[i + 1].layer_id != r.layer_id;
    if (last_of_group) {
      s.min_heads_per_layer = s.min_heads_per_layer == 0 ? group : std::min(s.min_heads_per_layer, group);
      group = 0;
    }
  }
  return s;
}

}  // namespace spatten::trace
