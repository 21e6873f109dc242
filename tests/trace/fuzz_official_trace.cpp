// Fuzz target: parse_official_trace must either return a trace or throw
// TraceError on any byte sequence; anything else (another exception, a crash,
// a sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "spatten/trace/official_trace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const spatten::trace::Trace t = spatten::trace::parse_official_trace(text, "fuzz.csv");
    // Summary invariants that hold for every accepted trace.
    if (t.rows.empty() != (t.num_iterations == 0)) __builtin_trap();
    if (t.max_heads_per_layer > t.rows.size()) __builtin_trap();
    (void)spatten::trace::compute_stats(t);
  } catch (const spatten::trace::TraceError&) {
  }
  return 0;
}
