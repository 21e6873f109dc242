// Runs a project tool as a process from a test: exit status, stdout and stderr
// captured separately (files in a per-test scratch folder), arguments quoted by
// the caller with shell_quote().
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace spatten::test {

struct ToolResult {
  int status = -1;  ///< exit code, -1 when the process did not exit normally
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A file name in a scratch folder private to the running test and process.
inline std::filesystem::path scratch_path(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("spatten-test-" + std::string(info->test_suite_name()) + "-" + std::string(info->name()) + "-" +
       std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

/// Runs `tool args` (args already shell-quoted).
inline ToolResult run_tool(const std::string& tool, const std::string& args) {
  const std::filesystem::path out = scratch_path("stdout.txt");
  const std::filesystem::path err = scratch_path("stderr.txt");
  const std::string cmd =
      shell_quote(tool) + " " + args + " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
  const int raw = std::system(cmd.c_str());
  ToolResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace spatten::test
