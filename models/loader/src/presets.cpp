// Loaders for the four preset kinds. Ranges here are the ones documented in
// models/README.md; keep the two in step.
#include "spatten/models/presets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "yaml_reader.h"

#ifndef SPATTEN_MODELS_DIR
#error "SPATTEN_MODELS_DIR must be defined by the build (models/CMakeLists.txt)"
#endif

namespace spatten::models {
namespace {

using detail::fail;
using detail::MapReader;

constexpr std::int64_t kMaxContext = std::int64_t{1} << 20;  // 1048576 tokens
constexpr std::size_t kMaxLayersListed = 1024;
constexpr std::string_view kNameChars = "abcdefghijklmnopqrstuvwxyz0123456789-";
constexpr std::string_view kBoardChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-";

// name: [a-z][a-z0-9-]*, at most 64 characters (it becomes a C++ identifier).
std::string read_name(MapReader& m) {
  std::string name = m.get_string("name", 64, kNameChars);
  if (name.front() < 'a' || name.front() > 'z') {
    fail(m.origin(), fmt::format("name = {} must start with a lower-case letter", name));
  }
  return name;
}

std::string read_description(MapReader& m) {
  return m.has("description") ? m.get_string("description", 400) : std::string{};
}

void check_sum(const MapReader& m, std::string_view a, int va, std::string_view b, int vb, int max) {
  if (va + vb > max) {
    fail(m.origin(), fmt::format("{} + {} = {} + {} = {} exceeds {}", m.field(a), m.field(b), va, vb, va + vb, max));
  }
}

// ---------------------------------------------------------------- llm
LlmShape parse_llm(const YAML::Node& doc, const std::string& origin) {
  MapReader m(doc, "", origin,
              {"name", "family", "layers", "hidden", "query_heads", "kv_heads", "head_dim", "max_context", "vocab",
               "ffn_hidden", "norm", "positional", "rope_theta", "causal"});
  LlmShape s;
  s.name = read_name(m);
  s.family = m.get_string("family", 32, "abcdefghijklmnopqrstuvwxyz0123456789_-");
  s.layers = m.get_int("layers", 1, 1024);
  s.hidden = m.get_int("hidden", 1, 1 << 20);
  s.query_heads = m.get_int("query_heads", 1, 1024);
  s.kv_heads = m.get_int("kv_heads", 1, s.query_heads);
  if (s.query_heads % s.kv_heads != 0) {
    fail(m.origin(), fmt::format("query_heads = {} is not a multiple of kv_heads = {} (grouped-query "
                                 "attention shares each K/V head among a whole group)",
                                 s.query_heads, s.kv_heads));
  }
  s.head_dim = m.get_int("head_dim", 1, 1024);
  s.max_context = m.get_int("max_context", 1, 1 << 24);
  s.vocab = m.get_int("vocab", 1, 1 << 24);
  s.ffn_hidden = m.get_int("ffn_hidden", 1, 1 << 22);
  s.norm = m.get_enum("norm", {"layernorm", "rmsnorm"}) == "rmsnorm" ? Norm::rmsnorm : Norm::layernorm;
  s.positional = m.get_enum("positional", {"learned", "rope"}) == "rope" ? Positional::rope : Positional::learned;
  if (s.positional == Positional::rope) {
    s.rope_theta = m.get_double("rope_theta", 0.0, 1e12, true);
  } else if (m.has("rope_theta")) {
    fail(m.origin(), "rope_theta is only allowed with positional: rope");
  }
  s.causal = m.get_bool("causal");
  return s;
}

// ---------------------------------------------------------------- accel
AcceleratorPreset parse_accel(const YAML::Node& doc, const std::string& origin) {
  MapReader m(doc, "", origin, {"name", "description", "numerics", "capacity", "hardware", "board"});
  AcceleratorPreset p;
  p.name = read_name(m);
  p.description = read_description(m);

  MapReader n = m.get_map("numerics", {"q_bits", "k_msb_bits", "k_lsb_bits", "v_msb_bits", "v_lsb_bits",
                                       "logit_frac_bits", "prob_frac_bits", "out_frac_bits"});
  Numerics& nu = p.numerics;
  nu.q_bits = n.get_int("q_bits", 1, 16);
  nu.k_msb_bits = n.get_int("k_msb_bits", 1, 16);
  nu.k_lsb_bits = n.get_int("k_lsb_bits", 0, 15);
  check_sum(n, "k_msb_bits", nu.k_msb_bits, "k_lsb_bits", nu.k_lsb_bits, 16);
  nu.v_msb_bits = n.get_int("v_msb_bits", 1, 16);
  nu.v_lsb_bits = n.get_int("v_lsb_bits", 0, 15);
  check_sum(n, "v_msb_bits", nu.v_msb_bits, "v_lsb_bits", nu.v_lsb_bits, 16);
  nu.logit_frac_bits = n.get_int("logit_frac_bits", 6, 16);
  nu.prob_frac_bits = n.get_int("prob_frac_bits", 8, 24);
  nu.out_frac_bits = n.get_int("out_frac_bits", 0, nu.prob_frac_bits);

  MapReader c = m.get_map("capacity", {"max_context", "max_head_dim", "max_query_heads"});
  p.capacity.max_context = c.get_int("max_context", 1, kMaxContext);
  p.capacity.max_head_dim = c.get_int("max_head_dim", 64, 256);
  if (p.capacity.max_head_dim % 16 != 0) {
    fail(m.origin(), fmt::format("capacity.max_head_dim = {} is not a multiple of 16 (allowed: 64, 80, "
                                 "..., 256)",
                                 p.capacity.max_head_dim));
  }
  p.capacity.max_query_heads = c.get_int("max_query_heads", 1, 1024);

  MapReader h =
      m.get_map("hardware", {"clock_mhz", "qk_multipliers", "pv_multipliers", "qk_adder_tree_latency",
                             "topk_parallelism", "hbm_channels", "hbm_channels_used", "hbm_bytes_per_cycle_per_channel",
                             "hbm_latency_cycles", "hbm_max_outstanding", "hbm_transaction_bytes", "key_buffer_lines",
                             "key_sram_bytes", "value_sram_bytes"});
  Hardware& hw = p.hardware;
  hw.clock_mhz = h.get_int("clock_mhz", 1, 10000);
  hw.qk_multipliers = h.get_int("qk_multipliers", 1, 1 << 20);
  hw.pv_multipliers = h.get_int("pv_multipliers", 1, 1 << 20);
  hw.qk_adder_tree_latency = h.get_int("qk_adder_tree_latency", 1, 1024);
  hw.topk_parallelism = h.get_int("topk_parallelism", 1, 4096);
  hw.hbm_channels = h.get_int("hbm_channels", 1, 1024);
  hw.hbm_channels_used = h.get_int("hbm_channels_used", 1, hw.hbm_channels);
  hw.hbm_bytes_per_cycle_per_channel = h.get_int("hbm_bytes_per_cycle_per_channel", 1, 4096);
  hw.hbm_latency_cycles = h.get_int("hbm_latency_cycles", 1, 1000000);
  hw.hbm_max_outstanding = h.get_int("hbm_max_outstanding", 1, 65536);
  hw.hbm_transaction_bytes = h.get_int("hbm_transaction_bytes", 1, 4096);
  hw.key_buffer_lines = h.get_int("key_buffer_lines", 1, 1 << 24);
  hw.key_sram_bytes = h.get_i64("key_sram_bytes", 1, std::int64_t{1} << 40);
  hw.value_sram_bytes = h.get_i64("value_sram_bytes", 1, std::int64_t{1} << 40);
  // A key buffer line holds qk_multipliers keys elements at full key width.
  const std::int64_t key_buffer_bytes =
      std::int64_t{hw.key_buffer_lines} * hw.qk_multipliers * (nu.k_msb_bits + nu.k_lsb_bits) / 8;
  if (hw.key_sram_bytes < key_buffer_bytes) {
    fail(m.origin(), fmt::format("hardware.key_sram_bytes = {} is smaller than the key buffer it holds: "
                                 "key_buffer_lines * qk_multipliers * (k_msb_bits + k_lsb_bits) / 8 = "
                                 "{} * {} * {} / 8 = {}",
                                 hw.key_sram_bytes, hw.key_buffer_lines, hw.qk_multipliers,
                                 nu.k_msb_bits + nu.k_lsb_bits, key_buffer_bytes));
  }

  if (m.has("board")) {
    MapReader b = m.get_map("board", {"name", "part", "platform", "luts", "dsps", "bram36", "uram", "hbm_bytes"});
    Board bd;
    bd.name = b.get_string("name", 64, kBoardChars);
    bd.part = b.get_string("part", 64, kBoardChars);
    bd.platform = b.get_string("platform", 128, kBoardChars);
    bd.luts = b.get_i64("luts", 1, 100'000'000);
    bd.dsps = b.get_i64("dsps", 1, 1'000'000);
    bd.bram36 = b.get_i64("bram36", 0, 1'000'000);
    bd.uram = b.get_i64("uram", 0, 1'000'000);
    bd.hbm_bytes = b.get_i64("hbm_bytes", 0, std::int64_t{1} << 50);
    p.board = bd;
  }
  return p;
}

// ---------------------------------------------------------------- energy
EnergyTable parse_energy(const YAML::Node& doc, const std::string& origin) {
  MapReader m(doc, "", origin, {"name", "description", "node_nm", "compute_pj", "sram", "dram"});
  EnergyTable e;
  e.name = read_name(m);
  e.description = read_description(m);
  e.node_nm = m.get_int("node_nm", 1, 1000);

  constexpr double kMaxPj = 1e9;
  MapReader c = m.get_map("compute_pj", {"int8_add", "int32_add", "int8_mult", "int32_mult", "fp16_add", "fp16_mult",
                                         "fp32_add", "fp32_mult"});
  e.int8_add_pj = c.get_double("int8_add", 0.0, kMaxPj, true);
  e.int32_add_pj = c.get_double("int32_add", 0.0, kMaxPj, true);
  e.int8_mult_pj = c.get_double("int8_mult", 0.0, kMaxPj, true);
  e.int32_mult_pj = c.get_double("int32_mult", 0.0, kMaxPj, true);
  e.fp16_add_pj = c.get_double("fp16_add", 0.0, kMaxPj, true);
  e.fp16_mult_pj = c.get_double("fp16_mult", 0.0, kMaxPj, true);
  e.fp32_add_pj = c.get_double("fp32_add", 0.0, kMaxPj, true);
  e.fp32_mult_pj = c.get_double("fp32_mult", 0.0, kMaxPj, true);

  MapReader s = m.get_map("sram", {"read_pj_per_64bit", "extrapolation_exponent"});
  const YAML::Node points = s.get_seq("read_pj_per_64bit", 64);
  if (points.size() == 0) fail(m.origin(), "sram.read_pj_per_64bit is empty; give at least one {bytes, pj} point");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string path = fmt::format("sram.read_pj_per_64bit[{}]", i);
    MapReader pt(points[i], path, m.origin(), {"bytes", "pj"});
    SramPoint sp;
    sp.bytes = pt.get_i64("bytes", 1, std::int64_t{1} << 40);
    sp.pj_per_64bit = pt.get_double("pj", 0.0, kMaxPj, true);
    if (!e.sram_read.empty() && sp.bytes <= e.sram_read.back().bytes) {
      fail(m.origin(), fmt::format("{}.bytes = {} must be larger than the previous point's {} (points are "
                                   "sorted by size)",
                                   path, sp.bytes, e.sram_read.back().bytes));
    }
    e.sram_read.push_back(sp);
  }
  e.sram_extrapolation_exponent = s.get_double("extrapolation_exponent", 0.0, 2.0);

  MapReader d = m.get_map("dram", {"ddr_pj_per_64bit_low", "ddr_pj_per_64bit_high", "hbm_pj_per_bit"});
  e.ddr_pj_per_64bit_low = d.get_double("ddr_pj_per_64bit_low", 0.0, kMaxPj, true);
  e.ddr_pj_per_64bit_high = d.get_double("ddr_pj_per_64bit_high", e.ddr_pj_per_64bit_low, kMaxPj);
  e.hbm_pj_per_bit = d.get_double("hbm_pj_per_bit", 0.0, 1000.0, true);
  return e;
}

// ---------------------------------------------------------------- policy
std::uint32_t read_ratio(const MapReader& m, const YAML::Node& node, const std::string& path) {
  const double r = m.element_double(node, path, 0.0, 1.0, true);
  const std::uint32_t q = to_q16(r);
  if (q == 0) {
    fail(m.origin(),
         fmt::format("{} = {} rounds to 0 in Q0.16 (smallest ratio is 1/131072)", path, detail::show(node.Scalar())));
  }
  return q;
}

// keep_ratio: [...] or keep_count: [...] (at most one).
void read_keep_lists(MapReader& m, std::int64_t max_count, std::vector<std::uint32_t>& ratios,
                     std::vector<std::uint32_t>& counts) {
  if (m.has("keep_ratio") && m.has("keep_count")) {
    fail(m.origin(),
         fmt::format("{} and {} are both given; give one of them", m.field("keep_ratio"), m.field("keep_count")));
  }
  if (!m.has("keep_ratio") && !m.has("keep_count")) {
    fail(m.origin(), fmt::format("missing required field '{}' (or '{}'; an empty list keeps everything)",
                                 m.field("keep_ratio"), m.field("keep_count")));
  }
  if (m.has("keep_ratio")) {
    const YAML::Node list = m.get_seq("keep_ratio", kMaxLayersListed);
    for (std::size_t i = 0; i < list.size(); ++i) {
      ratios.push_back(read_ratio(m, list[i], fmt::format("{}[{}]", m.field("keep_ratio"), i)));
    }
  } else {
    const YAML::Node list = m.get_seq("keep_count", kMaxLayersListed);
    for (std::size_t i = 0; i < list.size(); ++i) {
      counts.push_back(static_cast<std::uint32_t>(
          m.element_int(list[i], fmt::format("{}[{}]", m.field("keep_count"), i), 1, max_count)));
    }
  }
}

PruningPolicy parse_policy(const YAML::Node& doc, const std::string& origin) {
  MapReader m(doc, "", origin, {"name", "description", "token", "head", "value", "requant"});
  PruningPolicy p;
  p.name = read_name(m);
  p.description = read_description(m);

  MapReader t = m.get_map(
      "token", {"start_layer", "reference_length", "sink_tokens", "recent_tokens", "keep_ratio", "keep_count"});
  TokenPolicy& tok = p.token;
  tok.start_layer = t.get_int("start_layer", 0, 1023);
  tok.reference_length = t.get_int("reference_length", 0, kMaxContext);
  tok.sink_tokens = t.get_int("sink_tokens", 0, kMaxContext);
  tok.recent_tokens = t.get_int("recent_tokens", 0, kMaxContext);
  read_keep_lists(t, kMaxContext, tok.keep_ratio_q16, tok.keep_count);
  // Protected tokens count toward the budget, so a budget must hold them.
  const std::int64_t protected_tokens = std::int64_t{tok.sink_tokens} + tok.recent_tokens;
  for (std::size_t i = 0; i < tok.keep_count.size(); ++i) {
    if (tok.keep_count[i] < protected_tokens) {
      fail(m.origin(), fmt::format("token.keep_count[{}] = {} is smaller than token.sink_tokens + "
                                   "token.recent_tokens = {} (protected tokens count toward the budget)",
                                   i, tok.keep_count[i], protected_tokens));
    }
  }
  if (tok.reference_length > 0) {
    for (std::size_t i = 0; i < tok.keep_ratio_q16.size(); ++i) {
      const std::int64_t kept = (std::int64_t{tok.keep_ratio_q16[i]} * tok.reference_length) >> 16;
      if (kept < protected_tokens) {
        fail(m.origin(), fmt::format("token.keep_ratio[{}] keeps {} of reference_length {}, fewer than "
                                     "token.sink_tokens + token.recent_tokens = {}",
                                     i, kept, tok.reference_length, protected_tokens));
      }
    }
  }

  MapReader h = m.get_map("head", {"start_layer", "keep_ratio", "keep_count"});
  p.head.start_layer = h.get_int("start_layer", 0, 1023);
  read_keep_lists(h, 1024, p.head.keep_ratio_q16, p.head.keep_count);

  MapReader v = m.get_map("value", {"keep_ratio", "keep_count"});
  if (v.has("keep_ratio") && v.has("keep_count")) {
    fail(m.origin(), "value.keep_ratio and value.keep_count are both given; give one of them");
  }
  if (v.has("keep_count")) {
    p.value.keep_count = static_cast<std::uint32_t>(v.get_i64("keep_count", 1, kMaxContext));
  } else if (v.has("keep_ratio")) {
    const double r = v.get_double("keep_ratio", 0.0, 1.0, true);
    p.value.keep_ratio_q16 = to_q16(r);
    if (*p.value.keep_ratio_q16 == 0) {
      fail(m.origin(), "value.keep_ratio rounds to 0 in Q0.16 (smallest ratio is 1/131072)");
    }
  } else {
    fail(m.origin(), "missing required field 'value.keep_ratio' (or 'value.keep_count')");
  }

  MapReader r = m.get_map("requant", {"enabled", "threshold", "key_msb_bits", "key_lsb_bits"});
  p.requant.enabled = r.get_bool("enabled");
  p.requant.threshold_q16 = to_q16(r.get_double("threshold", 0.0, 1.0));
  p.requant.key_msb_bits = r.get_int("key_msb_bits", 1, 16);
  p.requant.key_lsb_bits = r.get_int("key_lsb_bits", 0, 15);
  check_sum(r, "key_msb_bits", p.requant.key_msb_bits, "key_lsb_bits", p.requant.key_lsb_bits, 16);
  return p;
}

// ---------------------------------------------------------------- plumbing
template <typename T, typename Parse>
T load_text(std::string_view text, std::string_view origin_name, Parse parse) {
  const std::string origin(origin_name);
  // Conversions on a well-typed node do not throw, but yaml-cpp may still
  // throw on pathological input (e.g. alias misuse); report it as ours.
  try {
    const YAML::Node doc = detail::parse_document(text, origin);
    T value = parse(doc, origin);
    value.origin = origin;
    return value;
  } catch (const YAML::Exception& e) {
    throw PresetError(fmt::format("{}: YAML error: {}", origin, e.what()));
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::error_code ec;
  const std::string shown = path.string();
  if (!std::filesystem::exists(path, ec)) throw PresetError(shown + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec)) throw PresetError(shown + ": not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw PresetError(shown + ": cannot read: " + ec.message());
  if (size > (std::uintmax_t{1} << 20)) {
    throw PresetError(
        fmt::format("{}: file is {} bytes; presets are limited to {} bytes", shown, size, std::uintmax_t{1} << 20));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PresetError(shown + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
T check_stem(T value, const std::filesystem::path& path) {
  const std::string stem = path.stem().string();
  if (value.name != stem) {
    throw PresetError(
        fmt::format("{}: name = {} does not match the file name '{}'; a preset is found by "
                    "its file name, so the two must agree",
                    path.string(), value.name, stem));
  }
  return value;
}

}  // namespace

std::string_view kind_name(PresetKind kind) {
  switch (kind) {
    case PresetKind::llm:
      return "llm";
    case PresetKind::accel:
      return "accel";
    case PresetKind::energy:
      return "energy";
    case PresetKind::policy:
      return "policy";
  }
  return "unknown";
}

PresetKind parse_kind(std::string_view name) {
  for (const PresetKind k : {PresetKind::llm, PresetKind::accel, PresetKind::energy, PresetKind::policy}) {
    if (kind_name(k) == name) return k;
  }
  throw PresetError(fmt::format("unknown preset kind '{}'; kinds are llm, accel, energy, policy", detail::show(name)));
}

std::uint32_t to_q16(double x) {
  if (!(x >= 0.0)) return 0;  // also NaN
  if (x >= 1.0) return 65536;
  return static_cast<std::uint32_t>(std::lround(x * 65536.0));
}

double EnergyTable::sram_read_pj_per_64bit(std::int64_t bytes) const {
  if (bytes <= 0) throw PresetError(fmt::format("{}: SRAM size {} bytes must be positive", origin, bytes));
  if (sram_read.empty()) throw PresetError(origin + ": energy table has no SRAM points");
  const auto size = static_cast<double>(bytes);
  const SramPoint& first = sram_read.front();
  const SramPoint& last = sram_read.back();
  if (bytes <= first.bytes) {
    return first.pj_per_64bit * std::pow(size / static_cast<double>(first.bytes), sram_extrapolation_exponent);
  }
  if (bytes >= last.bytes) {
    return last.pj_per_64bit * std::pow(size / static_cast<double>(last.bytes), sram_extrapolation_exponent);
  }
  for (std::size_t i = 1; i < sram_read.size(); ++i) {
    const SramPoint& a = sram_read[i - 1];
    const SramPoint& b = sram_read[i];
    if (bytes <= b.bytes) {
      const double t = std::log(size / static_cast<double>(a.bytes)) /
                       std::log(static_cast<double>(b.bytes) / static_cast<double>(a.bytes));
      return a.pj_per_64bit * std::pow(b.pj_per_64bit / a.pj_per_64bit, t);
    }
  }
  return last.pj_per_64bit;  // not reached: bytes < last.bytes was handled above
}

std::string config_ident(std::string_view preset_name) {
  std::string id(preset_name);
  std::replace(id.begin(), id.end(), '-', '_');
  return id;
}

std::vector<ConfigField> config_fields(const AcceleratorPreset& p) {
  const Numerics& n = p.numerics;
  const Capacity& c = p.capacity;
  const Hardware& h = p.hardware;
  std::vector<ConfigField> f = {
      {"q_bits", n.q_bits, false},
      {"k_msb_bits", n.k_msb_bits, false},
      {"k_lsb_bits", n.k_lsb_bits, false},
      {"v_msb_bits", n.v_msb_bits, false},
      {"v_lsb_bits", n.v_lsb_bits, false},
      {"logit_frac_bits", n.logit_frac_bits, false},
      {"prob_frac_bits", n.prob_frac_bits, false},
      {"out_frac_bits", n.out_frac_bits, false},
      {"max_context", c.max_context, false},
      {"max_head_dim", c.max_head_dim, false},
      {"max_query_heads", c.max_query_heads, false},
      {"clock_mhz", h.clock_mhz, false},
      {"qk_multipliers", h.qk_multipliers, false},
      {"pv_multipliers", h.pv_multipliers, false},
      {"qk_adder_tree_latency", h.qk_adder_tree_latency, false},
      {"topk_parallelism", h.topk_parallelism, false},
      {"hbm_channels", h.hbm_channels, false},
      {"hbm_channels_used", h.hbm_channels_used, false},
      {"hbm_bytes_per_cycle_per_channel", h.hbm_bytes_per_cycle_per_channel, false},
      {"hbm_latency_cycles", h.hbm_latency_cycles, false},
      {"hbm_max_outstanding", h.hbm_max_outstanding, false},
      {"hbm_transaction_bytes", h.hbm_transaction_bytes, false},
      {"key_buffer_lines", h.key_buffer_lines, false},
      {"key_sram_bytes", h.key_sram_bytes, true},
      {"value_sram_bytes", h.value_sram_bytes, true},
      {"has_board", p.board ? 1 : 0, false},
  };
  if (p.board) {
    f.push_back({"board_luts", p.board->luts, false});
    f.push_back({"board_dsps", p.board->dsps, false});
    f.push_back({"board_bram36", p.board->bram36, false});
    f.push_back({"board_uram", p.board->uram, false});
    f.push_back({"board_hbm_bytes", p.board->hbm_bytes, true});
  }
  return f;
}

LlmShape load_llm_from_string(std::string_view text, std::string_view origin_name) {
  return load_text<LlmShape>(text, origin_name, parse_llm);
}
AcceleratorPreset load_accelerator_from_string(std::string_view text, std::string_view origin_name) {
  return load_text<AcceleratorPreset>(text, origin_name, parse_accel);
}
EnergyTable load_energy_from_string(std::string_view text, std::string_view origin_name) {
  return load_text<EnergyTable>(text, origin_name, parse_energy);
}
PruningPolicy load_policy_from_string(std::string_view text, std::string_view origin_name) {
  return load_text<PruningPolicy>(text, origin_name, parse_policy);
}

LlmShape load_llm(const std::filesystem::path& path) {
  return check_stem(load_llm_from_string(read_file(path), path.string()), path);
}
AcceleratorPreset load_accelerator(const std::filesystem::path& path) {
  return check_stem(load_accelerator_from_string(read_file(path), path.string()), path);
}
EnergyTable load_energy(const std::filesystem::path& path) {
  return check_stem(load_energy_from_string(read_file(path), path.string()), path);
}
PruningPolicy load_policy(const std::filesystem::path& path) {
  return check_stem(load_policy_from_string(read_file(path), path.string()), path);
}

std::filesystem::path models_dir() {
  if (const char* env = std::getenv("SPATTEN_MODELS_DIR"); env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  return std::filesystem::path(SPATTEN_MODELS_DIR);
}

std::vector<std::string> list_presets(PresetKind kind) {
  const std::filesystem::path dir = models_dir() / kind_name(kind);
  std::vector<std::string> names;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw PresetError(
        fmt::format("{}: preset folder not found (set SPATTEN_MODELS_DIR to the models/ "
                    "folder)",
                    dir.string()));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".yaml") {
      names.push_back(entry.path().stem().string());
    }
  }
  if (ec) throw PresetError(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path find_preset(PresetKind kind, std::string_view name_or_path) {
  const std::string arg(name_or_path);
  if (arg.empty()) throw PresetError(fmt::format("empty {} preset name", kind_name(kind)));
  const bool is_path = arg.find('/') != std::string::npos ||
                       (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".yaml") == 0) ||
                       (arg.size() > 4 && arg.compare(arg.size() - 4, 4, ".yml") == 0);
  std::error_code ec;
  if (is_path) {
    if (!std::filesystem::is_regular_file(arg, ec)) throw PresetError(arg + ": no such file");
    return std::filesystem::path(arg);
  }
  const std::filesystem::path file = models_dir() / kind_name(kind) / (arg + ".yaml");
  if (std::filesystem::is_regular_file(file, ec)) return file;
  std::string available;
  try {
    for (const auto& n : list_presets(kind)) available += (available.empty() ? "" : ", ") + n;
  } catch (const PresetError&) {
    available = "(none: folder missing)";
  }
  throw PresetError(fmt::format("no {} preset named '{}' in {}; available: {}", kind_name(kind), detail::show(arg),
                                (models_dir() / kind_name(kind)).string(), available));
}

}  // namespace spatten::models
