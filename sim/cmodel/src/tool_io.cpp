#include "spatten/cmodel/tool_io.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>
#include <utility>

namespace spatten::cmodel::tool {

std::string one_line(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return s;
}

void write_json_record(const std::string& path, const nlohmann::json& record) {
  const std::string text = record.dump(2) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    if (!std::cout) throw OutputError("could not write the JSON record to stdout");
    return;
  }
  const std::filesystem::path target(path);
  std::filesystem::path tmp = target;
  tmp += fmt::format(".tmp-{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw OutputError(fmt::format("cannot write {}", path));
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw OutputError(fmt::format("cannot write {}", path));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw OutputError(fmt::format("cannot write {}: {}", path, ec.message()));
  }
}

ProgressLine::ProgressLine(std::string tool, bool enabled)
    : tool_(std::move(tool)), enabled_(enabled && ::isatty(2) == 1), start_(Clock::now()), last_(start_) {}

bool ProgressLine::due() const {
  if (!enabled_) return false;
  const auto now = Clock::now();
  if (now - start_ < std::chrono::seconds(1)) return false;
  return width_ == 0 || now - last_ >= std::chrono::milliseconds(100);
}

void ProgressLine::show(const std::string& text, bool last) {
  if (!enabled_ || Clock::now() - start_ < std::chrono::seconds(1)) return;
  if (!last && !due()) return;
  last_ = Clock::now();
  const std::string line = tool_ + ": " + text;
  width_ = std::max(width_, line.size());
  std::cerr << '\r' << line << std::string(width_ - line.size(), ' ') << std::flush;
}

void ProgressLine::finish() {
  if (width_ > 0) std::cerr << '\r' << std::string(width_, ' ') << '\r' << std::flush;
  width_ = 0;
}

double ProgressLine::elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

}  // namespace spatten::cmodel::tool
