// spatten-trace: summarizes official SpAtten CSV traces (text or JSON).
//   spatten-trace FILE... [--json]
//   spatten-trace            (every *.csv of the trace folder the build was configured with)
// Exit status: 0 all traces read, 2 a trace could not be read or bad usage.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

// GCC 12 reports a false -Wnull-dereference inside CLI11's string helpers
// (std::vector<std::string> growth inlined into CLI::detail::split).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "spatten/trace/official_trace.h"

#ifndef SPATTEN_TRACE_DIR
#error "SPATTEN_TRACE_DIR must be defined by the build"
#endif

namespace {

namespace fs = std::filesystem;
namespace st = spatten::trace;

constexpr int kExitBad = 2;

nlohmann::json to_json(const st::TraceStats& s, const std::string& file) {
  nlohmann::json topk = nlohmann::json::array();
  for (const auto& [layer, keeps] : s.topk_keep_by_layer) {
    nlohmann::json k = nlohmann::json::array();
    for (const auto& [keep, n] : keeps) k.push_back({{"keep", keep}, {"events", n}});
    topk.push_back({{"layer", layer}, {"keeps", k}});
  }
  return {
      {"file", file},
      {"rows", s.rows},
      {"iterations", s.iterations},
      {"layers", s.layers},
      {"heads_per_layer", {{"min", s.min_heads_per_layer}, {"max", s.max_heads_per_layer}}},
      {"context_length", {{"min", s.min_context_length}, {"max", s.max_context_length}}},
      {"keys_fetched", s.keys_fetched},
      {"values_fetched", s.values_fetched},
      {"rows_requant", s.rows_requant},
      {"rows_quantized", s.rows_quantized},
      {"topk_events", s.topk_events},
      {"topk_by_layer", topk},
      {"config_path", s.config_path ? nlohmann::json(*s.config_path) : nlohmann::json(nullptr)},
  };
}

void print_text(const st::TraceStats& s, const std::string& file) {
  fmt::print("{}\n", file);
  fmt::print("  rows                {}\n", s.rows);
  fmt::print("  iterations          {}\n", s.iterations);
  fmt::print("  layers              {}\n", s.layers);
  fmt::print("  heads per layer     min {} max {}\n", s.min_heads_per_layer, s.max_heads_per_layer);
  fmt::print("  context length      {}..{}\n", s.min_context_length, s.max_context_length);
  fmt::print("  keys fetched        {}\n", s.keys_fetched);
  fmt::print("  values fetched      {}\n", s.values_fetched);
  fmt::print("  rows with requant   {}\n", s.rows_requant);
  fmt::print("  rows quantized      {}\n", s.rows_quantized);
  fmt::print("  token top-k events  {}\n", s.topk_events);
  for (const auto& [layer, keeps] : s.topk_keep_by_layer) {
    std::string line;
    for (const auto& [keep, n] : keeps) line += fmt::format(" keep {} x{}", keep, n);
    fmt::print("    layer {:>3}:{}\n", layer, line);
  }
  fmt::print("  config path         {}\n", s.config_path ? *s.config_path : "(none)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Summarize official SpAtten workload traces (CSV). Without FILE, summarizes every *.csv\n"
      "in the trace folder of this build: " SPATTEN_TRACE_DIR};
  std::vector<std::string> files;
  bool json = false;
  app.add_option("FILE", files, "trace files (CSV) to summarize");
  app.add_flag("--json", json, "print a JSON array with one object per trace instead of text");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBad;
  }

  if (files.empty()) {
    const fs::path dir = SPATTEN_TRACE_DIR;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      fmt::print(stderr,
                 "spatten-trace: no FILE given and the default trace folder '{}' does not exist "
                 "(set SPATTEN_TRACE_DIR when configuring, or pass files)\n",
                 dir.string());
      return kExitBad;
    }
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (ec || files.empty()) {
      fmt::print(stderr, "spatten-trace: no *.csv traces in the default trace folder '{}'\n",
                 dir.string());
      return kExitBad;
    }
    // Keep stdout pure JSON with --json.
    fmt::print(json ? stderr : stdout, "Traces from {} ({} files)\n", dir.string(), files.size());
  }

  int rc = 0;
  nlohmann::json out = nlohmann::json::array();
  bool first = true;
  for (const std::string& file : files) {
    try {
      const st::TraceStats s = st::compute_stats(st::read_official_trace(file));
      if (json) {
        out.push_back(to_json(s, file));
      } else {
        if (!first) fmt::print("\n");
        print_text(s, file);
        first = false;
      }
    } catch (const st::TraceError& e) {
      std::fflush(stdout);
      fmt::print(stderr, "spatten-trace: error: {}\n", e.what());
      rc = kExitBad;
    } catch (const std::exception& e) {  // e.g. out of memory: still one line, still exit 2
      std::fflush(stdout);
      fmt::print(stderr, "spatten-trace: error: {}: {}\n", file, e.what());
      rc = kExitBad;
    }
  }
  if (json) fmt::print("{}\n", out.dump(2));
  return rc;
}
