// spatten::models — typed, validated access to the YAML presets in models/.
//
// Four kinds of preset live in models/<kind>/<name>.yaml:
//   llm     LlmShape            shape of a transformer (layers, heads, ...)
//   accel   AcceleratorPreset   one accelerator configuration (numerics, capacity,
//                               hardware, optional board); spatten-gen turns it
//                               into a C++ header, an SV package and Tcl variables
//   energy  EnergyTable         energy per operation / access at a process node
//   policy  PruningPolicy       token, head and value pruning and progressive
//                               quantization, as data
//
// Promises:
//  * A loader returns only values that passed every documented check
//    (models/README.md lists fields, units and ranges).
//  * Every failure is a PresetError whose message starts with the origin (file
//    name) and names the field path, the bad value and the allowed range, e.g.
//      models/accel/x.yaml: numerics.k_msb_bits = 0 is out of range [1, 16]
//    Unknown and duplicate fields are errors. YAML syntax errors carry line:col.
//  * No input makes a loader crash, abort or throw anything but PresetError
//    (fuzzed by tests/models/fuzz_yaml_presets.cpp).
//  * Ratios and thresholds are returned as Q0.16 integers:
//    q16 = round(x * 65536), so 1.0 is 65536.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spatten::models {

class PresetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class PresetKind { llm, accel, energy, policy };

// Folder name of a kind: "llm", "accel", "energy", "policy".
std::string_view kind_name(PresetKind kind);
// Inverse of kind_name; throws PresetError for anything else.
PresetKind parse_kind(std::string_view name);

// ---------------------------------------------------------------- llm
enum class Norm { layernorm, rmsnorm };
enum class Positional { learned, rope };

struct LlmShape {
  std::string name;
  std::string family;  // e.g. "gpt2", "bert", "llama"
  int layers = 0;
  int hidden = 0;
  int query_heads = 0;
  int kv_heads = 0;  // == query_heads without GQA; divides query_heads
  int head_dim = 0;
  int max_context = 0;
  int vocab = 0;
  int ffn_hidden = 0;
  Norm norm = Norm::layernorm;
  Positional positional = Positional::learned;
  double rope_theta = 0.0;  // > 0 with rope; 0 (and absent in YAML) with learned
  bool causal = true;       // decoder (true) or bidirectional encoder (false)
  std::string origin;       // file (or origin name) it was loaded from
};

// ---------------------------------------------------------------- accel
struct Numerics {
  int q_bits = 0;           // query width, signed fixed point [1, 16]
  int k_msb_bits = 0;       // key MSB plane, fetched first [1, 16]
  int k_lsb_bits = 0;       // key LSB plane, fetched on requant [0, 15]; msb+lsb <= 16
  int v_msb_bits = 0;       // value MSB plane [1, 16]
  int v_lsb_bits = 0;       // value LSB plane [0, 15]; msb+lsb <= 16
  int logit_frac_bits = 0;  // fraction bits of Q.K logits [6, 16]
  int prob_frac_bits = 0;   // fraction bits of probabilities [8, 24]
  int out_frac_bits = 0;    // fraction bits of prob.V outputs [0, prob_frac_bits]
};

struct Capacity {
  int max_context = 0;      // tokens per job [1, 1048576]
  int max_head_dim = 0;     // 64..256, multiple of 16
  int max_query_heads = 0;  // [1, 1024]
};

struct Hardware {
  int clock_mhz = 0;
  int qk_multipliers = 0;
  int pv_multipliers = 0;
  int qk_adder_tree_latency = 0;            // cycles
  int topk_parallelism = 0;                 // comparators
  int hbm_channels = 0;                     // physical channels
  int hbm_channels_used = 0;                // <= hbm_channels
  int hbm_bytes_per_cycle_per_channel = 0;  // at clock_mhz
  int hbm_latency_cycles = 0;
  int hbm_max_outstanding = 0;  // requests in flight
  int hbm_transaction_bytes = 0;
  int key_buffer_lines = 0;
  std::int64_t key_sram_bytes = 0;
  std::int64_t value_sram_bytes = 0;
};

struct Board {
  std::string name;      // e.g. "Alveo U280"
  std::string part;      // e.g. "xcu280-fsvh2892-2L-e"
  std::string platform;  // v++ platform
  std::int64_t luts = 0;
  std::int64_t dsps = 0;
  std::int64_t bram36 = 0;
  std::int64_t uram = 0;
  std::int64_t hbm_bytes = 0;
};

struct AcceleratorPreset {
  std::string name;  // [a-z][a-z0-9-]*, the C++ struct is name with '-' -> '_'
  std::string description;
  Numerics numerics;
  Capacity capacity;
  Hardware hardware;
  std::optional<Board> board;
  std::string origin;
};

// One numeric field of the generated configuration, in generation order. The
// C++ header, SV package and Tcl file are all written from this list, so the
// three cannot disagree. `wide` fields are byte counts (long long / longint).
struct ConfigField {
  std::string name;  // C++ name, e.g. "q_bits", "board_luts"
  std::int64_t value;
  bool wide;
};
std::vector<ConfigField> config_fields(const AcceleratorPreset& preset);
// "spatten-1-8" -> "spatten_1_8"
std::string config_ident(std::string_view preset_name);

// ---------------------------------------------------------------- energy
struct SramPoint {
  std::int64_t bytes = 0;
  double pj_per_64bit = 0.0;
};

struct EnergyTable {
  std::string name;
  std::string description;
  int node_nm = 0;
  // compute, pJ per operation
  double int8_add_pj = 0.0;
  double int32_add_pj = 0.0;
  double int8_mult_pj = 0.0;
  double int32_mult_pj = 0.0;
  double fp16_add_pj = 0.0;
  double fp16_mult_pj = 0.0;
  double fp32_add_pj = 0.0;
  double fp32_mult_pj = 0.0;
  // SRAM: 64-bit read energy at table sizes (strictly increasing bytes)
  std::vector<SramPoint> sram_read;
  double sram_extrapolation_exponent = 0.5;
  // DRAM
  double ddr_pj_per_64bit_low = 0.0;
  double ddr_pj_per_64bit_high = 0.0;
  double hbm_pj_per_bit = 0.0;
  std::string origin;

  // Energy of one 64-bit read from an SRAM of `bytes` bytes (> 0): power-law
  // (log-log linear) interpolation between the two neighbouring table points;
  // outside the table, the nearest point scaled by
  // (bytes / point.bytes)^sram_extrapolation_exponent. Throws PresetError for
  // bytes <= 0.
  double sram_read_pj_per_64bit(std::int64_t bytes) const;
};

// ---------------------------------------------------------------- policy
// A per-layer keep list gives either ratios (Q0.16, 1..65536) or counts;
// at most one of the two vectors is non-empty. Entry j applies to layer
// start_layer + j; layers past the end repeat the last entry; layers before
// start_layer, or every layer when both are empty, keep everything.
struct TokenPolicy {
  int start_layer = 0;
  std::vector<std::uint32_t> keep_ratio_q16;
  std::vector<std::uint32_t> keep_count;
  // Ratios are of this length; 0 = of the current context length. Kept tokens
  // = (ratio_q16 * length) >> 16 (the golden model implements this).
  int reference_length = 0;
  // Always kept; they count toward the budget.
  int sink_tokens = 0;
  int recent_tokens = 0;
};

struct HeadPolicy {
  int start_layer = 0;
  std::vector<std::uint32_t> keep_ratio_q16;
  std::vector<std::uint32_t> keep_count;
};

// Exactly one of the two is set: keep ratio of the live keys, or a count.
struct ValuePolicy {
  std::optional<std::uint32_t> keep_ratio_q16;
  std::optional<std::uint32_t> keep_count;
};

struct RequantPolicy {
  bool enabled = false;
  std::uint32_t threshold_q16 = 0;  // max probability below this -> fetch LSBs
  int key_msb_bits = 0;             // [1, 16]
  int key_lsb_bits = 0;             // [0, 15], msb + lsb <= 16
};

struct PruningPolicy {
  std::string name;
  std::string description;
  TokenPolicy token;
  HeadPolicy head;
  ValuePolicy value;
  RequantPolicy requant;
  std::string origin;
};

// round(x * 65536) for x in [0, 1]; the conversion every ratio and threshold
// goes through.
std::uint32_t to_q16(double x);

// ---------------------------------------------------------------- loading
// From a file: the origin in messages is the path as given. The preset's
// `name` must equal the file stem.
LlmShape load_llm(const std::filesystem::path& path);
AcceleratorPreset load_accelerator(const std::filesystem::path& path);
EnergyTable load_energy(const std::filesystem::path& path);
PruningPolicy load_policy(const std::filesystem::path& path);

// From text; origin_name is used in messages (and stored as origin).
LlmShape load_llm_from_string(std::string_view text, std::string_view origin_name);
AcceleratorPreset load_accelerator_from_string(std::string_view text, std::string_view origin_name);
EnergyTable load_energy_from_string(std::string_view text, std::string_view origin_name);
PruningPolicy load_policy_from_string(std::string_view text, std::string_view origin_name);

// The shipped preset folder: $SPATTEN_MODELS_DIR when set and non-empty,
// otherwise the source tree's models/ (compile definition).
std::filesystem::path models_dir();

// A bare name ("spatten-1-8") is looked up as models_dir()/<kind>/<name>.yaml;
// anything with a '/' or ending in .yaml/.yml is a path to a file. Throws
// PresetError (listing the available names) when nothing is found.
std::filesystem::path find_preset(PresetKind kind, std::string_view name_or_path);

// Sorted names (file stems) of the presets of one kind in models_dir().
std::vector<std::string> list_presets(PresetKind kind);

}  // namespace spatten::models
