// Reader for the official SpAtten workload traces (the CSV files of the public
// SpAtten release, ../shared/workloads/spatten-official/). One row is one
// decode-step attention of one surviving head; sim/trace/README.md documents
// every column, how it is parsed and what is validated.
//
// Promises:
// - Columns are found by header name, so column order does not matter.
// - Every input either parses completely or throws TraceError; nothing is
//   guessed, defaulted or skipped. The parser never crashes or aborts on any
//   byte sequence (it is fuzzed under ASan/UBSan).
// - TraceError::what() reads `<origin>:<line>: <problem> (column '<name>',
//   value '<text>')`; the column/value part is present whenever the problem
//   belongs to one field. Non-printable bytes in the value are escaped (\xNN)
//   and long values are shortened, so the message is always one line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spatten::trace {

// Any problem with a trace: unreadable file, malformed CSV, invalid value.
class TraceError : public std::runtime_error {
 public:
  // line is 1-based; 0 means "the file as a whole" (e.g. it cannot be opened).
  // The message names the column when column is non-empty, and quotes the
  // value when one is given (an empty field is quoted as '').
  TraceError(std::string origin, std::size_t line, std::string problem,
             std::string column = {}, std::optional<std::string> value = std::nullopt);

  const std::string& origin() const noexcept { return origin_; }
  std::size_t line() const noexcept { return line_; }
  const std::string& problem() const noexcept { return problem_; }
  const std::string& column() const noexcept { return column_; }  // empty if none
  const std::optional<std::string>& value() const noexcept { return value_; }  // raw field

 private:
  std::string origin_;
  std::size_t line_;
  std::string problem_;
  std::string column_;
  std::optional<std::string> value_;
};

// One data row. Field names are the CSV column names. In the file, -1 means
// "unquantized" / "off" / "no top-k"; here that is std::nullopt.
struct TraceRow {
  std::uint32_t iteration_id = 0;        // generated-token index
  std::uint32_t layer_id = 0;
  std::uint32_t head_id = 0;             // surviving head, contiguous after head pruning
  std::uint32_t embedding_length_D = 0;  // head dimension; the file writes "64.0"
  std::uint32_t sentence_length_L = 0;   // current context length
  std::uint32_t key_fetch_num = 0;       // keys fetched (alive after token pruning)
  std::optional<int> quant_key_bit;      // key MSB bits fetched first
  std::optional<int> quant_query_bit;
  std::optional<double> auto_requant_thres;  // max-probability threshold for LSB refetch
  bool if_requant = false;                   // this row needed the LSB refetch
  std::optional<int> auto_requant_incre;     // LSB bits added on refetch
  std::uint32_t value_fetch_num = 0;         // V rows kept by local value pruning
  std::optional<int> quant_value_bit;
  bool if_accumulate_importance = false;
  bool if_rescale_previous_importance = false;
  bool if_topk = false;                      // a cascade token top-k runs after this row
  std::optional<std::uint32_t> topk;         // tokens it keeps; set iff if_topk

  std::size_t line = 0;  // 1-based line of this row in its file (not a column)

  friend bool operator==(const TraceRow&, const TraceRow&) = default;
};

struct Trace {
  std::string origin;                      // file name (or the origin given to the parser)
  std::vector<TraceRow> rows;              // in file order
  std::optional<std::string> config_path;  // the trailing config-path line, if present

  // Derived from rows (0 for a trace without rows).
  std::uint32_t num_iterations = 0;       // distinct iteration_id values
  std::uint32_t num_layers = 0;           // distinct layer_id values
  std::uint32_t max_heads_per_layer = 0;  // most rows in one (iteration, layer)
};

// The CSV column names, in the order of the official files.
const std::vector<std::string_view>& official_columns();

// Parses trace text. origin names the source in error messages and in
// Trace::origin. Throws TraceError.
Trace parse_official_trace(std::string_view text, std::string origin);

// Reads and parses a file; origin is the path as given. Throws TraceError
// (also when the file cannot be read).
Trace read_official_trace(const std::filesystem::path& path);

// Aggregate figures over a parsed trace (what spatten-trace prints).
struct TraceStats {
  std::size_t rows = 0;
  std::uint32_t iterations = 0;
  std::uint32_t layers = 0;
  std::uint32_t min_heads_per_layer = 0;  // over all (iteration, layer) groups
  std::uint32_t max_heads_per_layer = 0;
  std::uint32_t min_context_length = 0;
  std::uint32_t max_context_length = 0;
  std::uint64_t keys_fetched = 0;    // sum of key_fetch_num
  std::uint64_t values_fetched = 0;  // sum of value_fetch_num
  std::size_t rows_requant = 0;      // if_requant
  std::size_t rows_quantized = 0;    // quant_key_bit or quant_value_bit set
  std::size_t topk_events = 0;       // if_topk
  // layer_id -> (tokens kept -> number of top-k events)
  std::map<std::uint32_t, std::map<std::uint32_t, std::size_t>> topk_keep_by_layer;
  std::optional<std::string> config_path;
};

TraceStats compute_stats(const Trace& trace);

}  // namespace spatten::trace
