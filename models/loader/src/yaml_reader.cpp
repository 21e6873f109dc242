#include "yaml_reader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <system_error>

namespace spatten::models::detail {
namespace {

constexpr std::size_t kMaxInputBytes = std::size_t{1} << 20;

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? "a quoted string" : "a scalar";
    case YAML::NodeType::Undefined:
      break;
  }
  return "an undefined node";
}

// A plain (unquoted) scalar, or a type error naming what was found.
const std::string& plain_scalar(const YAML::Node& node, const std::string& origin, const std::string& path,
                                std::string_view expected) {
  if (!node.IsScalar() || node.Tag() == "!") {
    std::string got = node_kind(node);
    if (node.IsScalar()) got += " " + show(node.Scalar());
    fail(origin, fmt::format("{} must be {}, got {}", path, expected, got));
  }
  return node.Scalar();
}

std::string range_text(std::int64_t lo, std::int64_t hi) { return fmt::format("[{}, {}]", lo, hi); }
std::string range_text(double lo, double hi, bool lo_open) {
  return fmt::format("{}{}, {}]", lo_open ? "(" : "[", lo, hi);
}

std::int64_t parse_int(const YAML::Node& node, const std::string& origin, const std::string& path, std::int64_t lo,
                       std::int64_t hi, const std::string& where) {
  const std::string range = range_text(lo, hi);
  const std::string& s = plain_scalar(node, origin, path, "an integer in " + range);
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t v = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, v);
  if (digits.empty() || ptr != end || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    fail(origin, fmt::format("{} = {} is not an integer; expected an integer in {}{}", path, show(s), range, where));
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    fail(origin, fmt::format("{} = {} is out of range {}{}", path, show(s), range, where));
  }
  return v;
}

double parse_double(const YAML::Node& node, const std::string& origin, const std::string& path, double lo, double hi,
                    bool lo_open, const std::string& where) {
  const std::string range = range_text(lo, hi, lo_open);
  const std::string& s = plain_scalar(node, origin, path, "a number in " + range);
  std::string_view text = s;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0.0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ptr != end || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    fail(origin, fmt::format("{} = {} is not a number; expected a number in {}{}", path, show(s), range, where));
  }
  if (ec == std::errc::result_out_of_range || !std::isfinite(v) || v > hi || v < lo || (lo_open && v <= lo)) {
    fail(origin, fmt::format("{} = {} is out of range {}{}", path, show(s), range, where));
  }
  return v;
}

// Levenshtein distance, for "did you mean" hints on short field names.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 64;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Rejects YAML features presets do not need and yaml-cpp handles badly.
class PlainEvents final : public YAML::EventHandler {
 public:
  explicit PlainEvents(const std::string& origin) : origin_(origin) {}
  void start_second_document() { second_ = true; }
  YAML::Mark second_document_mark() const { return second_mark_; }
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (second_) second_mark_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { check(mark, anchor, "?"); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    throw PresetError(fmt::format("{}:{}:{}: YAML aliases (*name) are not supported in preset files", origin_,
                                  mark.line + 1, mark.column + 1));
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string&) override {
    check(mark, anchor, tag);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check(mark, anchor, tag);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check(mark, anchor, tag);
  }
  void OnMapEnd() override {}

 private:
  void check(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string& tag) const {
    if (anchor != YAML::NullAnchor) {
      throw PresetError(fmt::format("{}:{}:{}: YAML anchors (&name) are not supported in preset files", origin_,
                                    mark.line + 1, mark.column + 1));
    }
    // "?" = untagged plain/collection, "!" = quoted scalar; anything else is an
    // explicit tag such as !!str, which would change how a value is read.
    if (!tag.empty() && tag != "?" && tag != "!") {
      throw PresetError(fmt::format("{}:{}:{}: explicit YAML tag {} is not supported in preset files", origin_,
                                    mark.line + 1, mark.column + 1, show(tag)));
    }
  }
  const std::string& origin_;
  bool second_ = false;
  YAML::Mark second_mark_;
};

}  // namespace

void fail(const std::string& origin, const std::string& message) { throw PresetError(origin + ": " + message); }

std::string show(std::string_view scalar) {
  constexpr std::size_t kMax = 60;
  std::string out;
  for (std::size_t i = 0; i < scalar.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(scalar[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
    }
  }
  if (scalar.size() > kMax) out += "...";
  if (out.empty()) out = "\"\"";
  return out;
}

YAML::Node parse_document(std::string_view text, const std::string& origin) {
  if (text.size() > kMaxInputBytes) {
    fail(origin, fmt::format("input is {} bytes; presets are limited to {} bytes", text.size(), kMaxInputBytes));
  }
  // YAML allows no C0 control characters other than tab, LF and CR (YAML 1.2,
  // c-printable). Screening them here also keeps yaml-cpp 0.7 away from
  // inputs with NUL bytes, on which its scanner loops without end.
  std::size_t line = 1;
  std::size_t column = 1;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      throw PresetError(fmt::format("{}:{}:{}: control character 0x{:02x} is not allowed in YAML text", origin, line,
                                    column, static_cast<unsigned>(c)));
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  YAML::Node doc;
  try {
    // Event pass first, at most two documents. yaml-cpp 0.7 loops without end
    // in LoadAll on a stray ',' (jbeder/yaml-cpp#1040, fixed upstream by
    // PR #1319 after 0.7) and while building nodes from self-referencing
    // anchors ("&a [*a]"), so anchors, aliases and explicit tags are rejected
    // here, before any node is built, and only the first document is loaded.
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    PlainEvents events(origin);
    if (!parser.HandleNextDocument(events)) fail(origin, "empty document; expected a map of fields");
    events.start_second_document();
    if (parser.HandleNextDocument(events)) {
      const YAML::Mark m = events.second_document_mark();
      throw PresetError(
          fmt::format("{}:{}:{}: a second YAML document starts here (a stray ',', ']' or "
                      "'---'?); a preset file holds exactly one",
                      origin, m.line + 1, m.column + 1));
    }
    doc = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    // yaml-cpp marks are 0-based; editors count from 1.
    throw PresetError(
        fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    throw PresetError(fmt::format("{}: YAML error: {}", origin, e.what()));
  }
  if (!doc.IsDefined() || doc.IsNull()) fail(origin, "empty document; expected a map of fields");
  if (!doc.IsMap()) fail(origin, fmt::format("the document must be a map of fields, got {}", node_kind(doc)));
  return doc;
}

MapReader::MapReader(const YAML::Node& node, std::string path, std::string origin,
                     std::initializer_list<std::string_view> known)
    : path_(std::move(path)), origin_(std::move(origin)) {
  const std::string self = path_.empty() ? "the document" : path_;
  if (!node.IsMap()) fail(origin_, fmt::format("{} must be a map of fields, got {}", self, node_kind(node)));
  const YAML::Mark mark = node.Mark();
  line_ = mark.is_null() ? 0 : mark.line + 1;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      fail(origin_, fmt::format("{} has a key that is {}; keys must be plain names", self, node_kind(key)));
    }
    const std::string& name = key.Scalar();
    for (const auto& entry : entries_) {
      if (entry.first == name) fail(origin_, fmt::format("duplicate field '{}'", field(name)));
    }
    bool is_known = false;
    for (const auto k : known) is_known = is_known || k == name;
    if (!is_known) {
      std::string list;
      std::string_view best;
      std::size_t best_distance = 3;  // suggest only close matches
      for (const auto k : known) {
        list += (list.empty() ? "" : ", ") + std::string(k);
        const std::size_t d = edit_distance(name, k);
        if (d < best_distance) {
          best_distance = d;
          best = k;
        }
      }
      const std::string hint = best.empty() ? fmt::format("; the fields of {} are: {}", self, list)
                                            : fmt::format("; did you mean '{}'?", field(best));
      fail(origin_, fmt::format("unknown field '{}'{}{}", field(show(name)), where(it->second), hint));
    }
    entries_.emplace_back(name, it->second);
  }
}

bool MapReader::has(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first == key) return true;
  }
  return false;
}

std::string MapReader::field(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string MapReader::where(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return fmt::format(" (line {})", mark.line + 1);
}

const YAML::Node& MapReader::required(std::string_view key) {
  for (const auto& entry : entries_) {
    if (entry.first == key) return entry.second;
  }
  fail(origin_, fmt::format("missing required field '{}'", field(key)));
}

int MapReader::get_int(std::string_view key, std::int64_t lo, std::int64_t hi) {
  if (lo < std::numeric_limits<int>::min() || hi > std::numeric_limits<int>::max()) {
    throw std::logic_error("MapReader::get_int: range exceeds int");
  }
  return static_cast<int>(get_i64(key, lo, hi));
}

std::int64_t MapReader::get_i64(std::string_view key, std::int64_t lo, std::int64_t hi) {
  const YAML::Node& node = required(key);
  return parse_int(node, origin_, field(key), lo, hi, where(node));
}

double MapReader::get_double(std::string_view key, double lo, double hi, bool lo_open) {
  const YAML::Node& node = required(key);
  return parse_double(node, origin_, field(key), lo, hi, lo_open, where(node));
}

std::int64_t MapReader::element_int(const YAML::Node& node, const std::string& path, std::int64_t lo,
                                    std::int64_t hi) const {
  return parse_int(node, origin_, path, lo, hi, where(node));
}

double MapReader::element_double(const YAML::Node& node, const std::string& path, double lo, double hi,
                                 bool lo_open) const {
  return parse_double(node, origin_, path, lo, hi, lo_open, where(node));
}

bool MapReader::get_bool(std::string_view key) {
  const YAML::Node& node = required(key);
  const std::string& s = plain_scalar(node, origin_, field(key), "true or false");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  fail(origin_, fmt::format("{} = {} is not a boolean; expected true or false{}", field(key), show(s), where(node)));
}

std::string MapReader::get_string(std::string_view key, std::size_t max_len, std::string_view allowed) {
  const YAML::Node& node = required(key);
  const std::string path = field(key);
  if (!node.IsScalar()) {
    fail(origin_, fmt::format("{} must be a string, got {}{}", path, node_kind(node), where(node)));
  }
  const std::string& s = node.Scalar();
  if (s.empty()) fail(origin_, fmt::format("{} is empty{}", path, where(node)));
  if (s.size() > max_len) {
    fail(origin_, fmt::format("{} = {} is {} characters long; at most {} allowed{}", path, show(s), s.size(), max_len,
                              where(node)));
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool printable = u >= 0x20 && u < 0x7f;
    if (!printable || (!allowed.empty() && allowed.find(c) == std::string_view::npos)) {
      fail(origin_,
           fmt::format("{} = {} has the character {}; allowed: {}{}", path, show(s), show(std::string_view(&c, 1)),
                       allowed.empty() ? std::string("printable ASCII") : std::string(allowed), where(node)));
    }
  }
  return s;
}

std::string MapReader::get_enum(std::string_view key, const std::vector<std::string>& choices) {
  const YAML::Node& node = required(key);
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  const std::string& s = plain_scalar(node, origin_, field(key), "one of: " + list);
  for (const auto& c : choices) {
    if (c == s) return s;
  }
  fail(origin_, fmt::format("{} = {} is not one of: {}{}", field(key), show(s), list, where(node)));
}

MapReader MapReader::get_map(std::string_view key, std::initializer_list<std::string_view> known) {
  const YAML::Node& node = required(key);
  return MapReader(node, field(key), origin_, known);
}

YAML::Node MapReader::get_seq(std::string_view key, std::size_t max_len) {
  const YAML::Node& node = required(key);
  if (!node.IsSequence()) {
    fail(origin_, fmt::format("{} must be a list, got {}{}", field(key), node_kind(node), where(node)));
  }
  if (node.size() > max_len) {
    fail(origin_,
         fmt::format("{} has {} entries; at most {} allowed{}", field(key), node.size(), max_len, where(node)));
  }
  return node;
}

}  // namespace spatten::models::detail
