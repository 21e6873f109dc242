// Internal: strict, typed reading of a YAML map with field-path error messages.
// Every check throws spatten::models::PresetError naming origin, field path,
// bad value and allowed range. Nothing here lets a yaml-cpp exception escape
// for a well-typed access (types are checked before any conversion, and
// numbers are parsed by hand with std::from_chars, never by yaml-cpp's
// conversions, which wrap or throw).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spatten/models/presets.h"

namespace spatten::models::detail {

// Parses one YAML document; syntax errors become "origin:line:col: ...".
// Also rejects empty input, more than one document and oversize input.
YAML::Node parse_document(std::string_view text, const std::string& origin);

[[noreturn]] void fail(const std::string& origin, const std::string& message);

// Printable, bounded rendering of a scalar for messages.
std::string show(std::string_view scalar);

class MapReader {
 public:
  // `path` is the dotted prefix of this map ("" at the top level); `known`
  // lists every field the map may hold. Unknown and duplicate fields are
  // rejected here, before any value is read, so a misspelt field is reported
  // as unknown (with a suggestion) rather than as a missing one.
  MapReader(const YAML::Node& node, std::string path, std::string origin,
            std::initializer_list<std::string_view> known);

  bool has(std::string_view key) const;
  std::string field(std::string_view key) const;  // dotted path of a child

  int get_int(std::string_view key, std::int64_t lo, std::int64_t hi);
  std::int64_t get_i64(std::string_view key, std::int64_t lo, std::int64_t hi);
  // lo_open: the range excludes lo.
  double get_double(std::string_view key, double lo, double hi, bool lo_open = false);
  bool get_bool(std::string_view key);
  // Non-empty string of printable ASCII, at most max_len characters; when
  // `allowed` is non-empty every character must be in it.
  std::string get_string(std::string_view key, std::size_t max_len, std::string_view allowed = {});
  std::string get_enum(std::string_view key, const std::vector<std::string>& choices);
  MapReader get_map(std::string_view key, std::initializer_list<std::string_view> known);
  // A sequence node (possibly empty), at most max_len entries.
  YAML::Node get_seq(std::string_view key, std::size_t max_len);

  // Element readers for sequences; `path` names the element ("a.b[3]").
  std::int64_t element_int(const YAML::Node& node, const std::string& path, std::int64_t lo, std::int64_t hi) const;
  double element_double(const YAML::Node& node, const std::string& path, double lo, double hi, bool lo_open) const;

  const std::string& origin() const { return origin_; }
  const std::string& path() const { return path_; }
  int line() const { return line_; }

 private:
  const YAML::Node& required(std::string_view key);
  std::string where(const YAML::Node& node) const;

  std::vector<std::pair<std::string, YAML::Node>> entries_;
  std::string path_;
  std::string origin_;
  int line_ = 0;
};

}  // namespace spatten::models::detail
