// spatten/cmodel/tool_io.h — what the command-line tools (spatten-sim,
// spatten-cosim) share for their output: one-line error messages, the JSON
// record written whole or not at all, and the progress line on a terminal.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace spatten::cmodel::tool {

/// The record could not be written (the tools exit with status 1).
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// `s` on one line: control characters (newlines included) become spaces.
std::string one_line(std::string s);

/// Writes `record` (2-space indented) to `path`, or to stdout for "-". A file
/// is written to a temporary next to it and renamed once complete, so the
/// target is either unchanged or whole. Throws OutputError.
void write_json_record(const std::string& path, const nlohmann::json& record);

/// The progress line of a long run: on stderr only when it is a terminal,
/// '\r'-updated at most 10 times a second and only once the run has lasted a
/// second (short runs print nothing). finish() erases it, so the summary or
/// an error line that follows stands alone.
class ProgressLine {
 public:
  ProgressLine(std::string tool, bool enabled);
  /// Shows "<tool>: <text>" if it is time to; `last` (the final update)
  /// bypasses the 100 ms limit.
  void show(const std::string& text, bool last = false);
  /// True when show() would print now (lets a caller skip formatting).
  bool due() const;
  void finish();
  double elapsed() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string tool_;
  bool enabled_;
  std::size_t width_ = 0;  ///< longest line printed; 0 while nothing is shown
  Clock::time_point start_, last_;
};

}  // namespace spatten::cmodel::tool
