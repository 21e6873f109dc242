#include "spatten/models/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "yaml_reader.h"

namespace spatten::models {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
  return out;
}

std::string banner(std::string_view comment, std::string_view source) {
  return fmt::format("{} generated from {} by spatten-gen; do not edit\n", comment, source);
}

}  // namespace

std::string source_label(const std::filesystem::path& preset_file) {
  std::error_code ec;
  const auto file = std::filesystem::weakly_canonical(preset_file, ec);
  const auto root = std::filesystem::weakly_canonical(models_dir(), ec);
  if (!ec) {
    const auto rel = file.lexically_relative(root);
    if (!rel.empty() && rel.native().rfind("..", 0) != 0) return (std::filesystem::path("models") / rel).string();
  }
  return preset_file.string();
}

std::string generate_cpp_header(const AcceleratorPreset& p, std::string_view source) {
  const std::string id = config_ident(p.name);
  const std::string guard = "SPATTEN_CONFIG_" + upper(id) + "_H";
  std::string out = banner("//", source);
  out += fmt::format("// {}\n", p.description.empty() ? p.name : p.description);
  out += "// Valid C++14 (Vitis HLS): constexpr static members, no inline variables.\n";
  out += fmt::format("#ifndef {0}\n#define {0}\n\n", guard);
  out += "namespace spatten {\nnamespace config {\n\n";
  out += fmt::format("struct {} {{\n", id);
  out += fmt::format("  static constexpr const char* name() {{ return \"{}\"; }}\n", p.name);
  if (p.board) {
    out += fmt::format("  static constexpr const char* board_name() {{ return \"{}\"; }}\n", p.board->name);
    out += fmt::format("  static constexpr const char* board_part() {{ return \"{}\"; }}\n", p.board->part);
    out += fmt::format("  static constexpr const char* board_platform() {{ return \"{}\"; }}\n", p.board->platform);
  }
  for (const ConfigField& f : config_fields(p)) {
    if (f.name == "has_board") {
      out += fmt::format("  static constexpr bool has_board = {};\n", f.value != 0 ? "true" : "false");
    } else if (f.wide) {
      out += fmt::format("  static constexpr long long {} = {}LL;\n", f.name, f.value);
    } else {
      out += fmt::format("  static constexpr int {} = {};\n", f.name, f.value);
    }
  }
  out += "};\n\n}  // namespace config\n}  // namespace spatten\n\n";
  out += fmt::format("#endif  // {}\n", guard);
  return out;
}

std::string generate_sv_package(const AcceleratorPreset& p, std::string_view source) {
  const std::string pkg = "spatten_" + config_ident(p.name) + "_pkg";
  std::string out = banner("//", source);
  out += "// the file is named after the preset, the package after its identifier\n"
         "/* verilator lint_off DECLFILENAME */\n";
  out += fmt::format("package {};\n", pkg);
  out += "  // a package of shared constants: each module uses a subset of them\n"
         "  /* verilator lint_off UNUSEDPARAM */\n";
  out += fmt::format("  localparam string NAME = \"{}\";\n", p.name);
  if (p.board) {
    out += fmt::format("  localparam string BOARD_NAME = \"{}\";\n", p.board->name);
    out += fmt::format("  localparam string BOARD_PART = \"{}\";\n", p.board->part);
    out += fmt::format("  localparam string BOARD_PLATFORM = \"{}\";\n", p.board->platform);
  }
  for (const ConfigField& f : config_fields(p)) {
    if (f.wide) {
      out += fmt::format("  localparam longint unsigned {} = 64'd{};\n", upper(f.name), f.value);
    } else {
      out += fmt::format("  localparam int unsigned {} = {};\n", upper(f.name), f.value);
    }
  }
  out += "  /* verilator lint_on UNUSEDPARAM */\n";
  out += fmt::format("endpackage : {}\n", pkg);
  return out;
}

std::string generate_tcl(const AcceleratorPreset& p, std::string_view source) {
  std::string out = banner("#", source);
  out += fmt::format("set SPATTEN_PRESET \"{}\"\n", p.name);
  for (const ConfigField& f : config_fields(p)) {
    out += fmt::format("set SPATTEN_{} {}\n", upper(f.name), f.value);
  }
  // For create_clock -period (ns); derived from clock_mhz.
  out += fmt::format("set SPATTEN_CLOCK_PERIOD_NS {:.3f}\n", 1000.0 / p.hardware.clock_mhz);
  if (p.board) {
    out += fmt::format("set SPATTEN_BOARD_NAME \"{}\"\n", p.board->name);
    out += fmt::format("set SPATTEN_BOARD_PART \"{}\"\n", p.board->part);
    out += fmt::format("set SPATTEN_BOARD_PLATFORM \"{}\"\n", p.board->platform);
  }
  return out;
}

// ============================================================ kernel interface
namespace {

using detail::MapReader;

bool is_ident(std::string_view s, bool allow_upper = false) {
  if (s.empty() || s.size() > 64) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || (allow_upper && std::isupper(static_cast<unsigned char>(s[0])))))
    return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::islower(u) || std::isdigit(u) || c == '_' || (allow_upper && std::isupper(u)))) return false;
  }
  return true;
}

constexpr std::string_view kIdentRule = "a lower-case identifier [a-z][a-z0-9_]* of at most 64 characters";

std::string line_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? std::string() : fmt::format(" (line {})", m.line + 1);
}

std::string get_ident(MapReader& r, std::string_view key) {
  const std::string s = r.get_string(key, 64);
  if (!is_ident(s)) detail::fail(r.origin(), fmt::format("{} = {} must be {}", r.field(key), detail::show(s), kIdentRule));
  return s;
}

// A map of bit names to bit positions (0 .. max_bit), e.g. {ap_start: 0, ap_done: 1}.
std::vector<KernelBit> walk_bits(const YAML::Node& node, const std::string& path, const std::string& origin, int max_bit,
                                 const MapReader& r) {
  if (!node.IsMap()) detail::fail(origin, fmt::format("{} must be a map of name: bit{}", path, line_of(node)));
  std::vector<KernelBit> out;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar() || !is_ident(it->first.Scalar())) {
      detail::fail(origin, fmt::format("{} has a bit name that is not {}{}", path, kIdentRule, line_of(it->first)));
    }
    const std::string name = it->first.Scalar();
    const std::string child = path + "." + name;
    const int bit = static_cast<int>(r.element_int(it->second, child, 0, max_bit));
    for (const auto& b : out) {
      if (b.name == name) detail::fail(origin, fmt::format("duplicate bit name '{}'", child));
      if (b.bit == bit) detail::fail(origin, fmt::format("{} = {} is already used by '{}'", child, bit, b.name));
    }
    out.push_back(KernelBit{name, bit});
  }
  return out;
}

struct ElementType {
  std::string_view name;
  int bits;
  bool is_signed;
};
constexpr ElementType kElementTypes[] = {{"int8", 8, true},    {"uint8", 8, false},  {"int16", 16, true},
                                         {"uint16", 16, false}, {"int32", 32, true},  {"uint32", 32, false},
                                         {"int64", 64, true},   {"uint64", 64, false}};

std::string cpp_int_type(int bits, bool is_signed) { return fmt::format("std::{}int{}_t", is_signed ? "" : "u", bits); }

std::string camel(std::string_view s) {
  std::string out;
  bool up = true;
  for (char c : s) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

std::string hex(std::uint64_t v) { return fmt::format("0x{:X}", v); }

std::uint32_t field_mask(int bits) { return bits >= 32 ? 0xFFFFFFFFu : ((std::uint32_t{1} << bits) - 1u); }

}  // namespace

std::filesystem::path default_kernel_interface() { return models_dir() / "kernel" / "spatten-kernel.yaml"; }

KernelInterface load_kernel_interface_from_string(std::string_view text, std::string_view origin_name) {
  const std::string origin(origin_name);
  const YAML::Node doc = detail::parse_document(text, origin);
  MapReader top(doc, "", origin,
                {"name", "description", "control", "control_registers", "first_argument_offset", "m_axi_max_widen_bitwidth", "arguments",
                 "descriptor", "status", "status_flags"});
  KernelInterface k;
  k.origin = origin;
  k.name = get_ident(top, "name");
  if (top.has("description")) k.description = top.get_string("description", 200);
  k.control = top.get_enum("control", {"ap_ctrl_hs", "ap_ctrl_chain"});
  k.first_argument_offset = static_cast<std::uint32_t>(top.get_int("first_argument_offset", 16, 4096));
  if (k.first_argument_offset % 4 != 0) {
    detail::fail(origin, fmt::format("first_argument_offset = {} must be a multiple of 4", k.first_argument_offset));
  }

  if (top.has("m_axi_max_widen_bitwidth")) {
    k.m_axi_max_widen_bitwidth = top.get_int("m_axi_max_widen_bitwidth", 8, 1024);
    const int w = k.m_axi_max_widen_bitwidth;
    if ((w & (w - 1)) != 0) {
      detail::fail(origin, fmt::format("m_axi_max_widen_bitwidth = {} must be a power of two in [8, 1024]", w));
    }
  }
  // ---- control registers
  {
    const YAML::Node seq = top.get_seq("control_registers", 16);
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const std::string path = fmt::format("control_registers[{}]", i);
      MapReader r(seq[i], path, origin, {"name", "offset", "bits"});
      KernelRegister reg;
      reg.name = get_ident(r, "name");
      reg.offset = static_cast<std::uint32_t>(r.get_int("offset", 0, 4095));
      if (reg.offset % 4 != 0 || reg.offset >= k.first_argument_offset) {
        detail::fail(origin, fmt::format("{}.offset = {} must be a multiple of 4 below first_argument_offset ({})", path,
                                         reg.offset, k.first_argument_offset));
      }
      for (const auto& other : k.control_registers) {
        if (other.name == reg.name) detail::fail(origin, fmt::format("{}.name: duplicate register '{}'", path, reg.name));
        if (other.offset == reg.offset)
          detail::fail(origin, fmt::format("{}.offset = {} is already used by '{}'", path, reg.offset, other.name));
      }
      if (r.has("bits")) reg.bits = walk_bits(seq[i]["bits"], path + ".bits", origin, 31, r);
      k.control_registers.push_back(std::move(reg));
    }
  }

  // ---- arguments (register order)
  {
    const YAML::Node seq = top.get_seq("arguments", 64);
    if (seq.size() == 0) detail::fail(origin, "arguments must list at least one argument");
    std::uint32_t offset = k.first_argument_offset;
    std::set<std::string> names;
    std::set<std::string> bundles;
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const std::string path = fmt::format("arguments[{}]", i);
      MapReader r(seq[i], path, origin, {"name", "kind", "element", "bundle", "access", "rtl_master", "doc"});
      KernelArgument a;
      a.name = get_ident(r, "name");
      if (!names.insert(a.name).second) detail::fail(origin, fmt::format("{}.name: duplicate argument '{}'", path, a.name));
      a.pointer = r.get_enum("kind", {"pointer", "scalar"}) == "pointer";
      std::vector<std::string> type_names;
      for (const auto& t : kElementTypes) type_names.emplace_back(t.name);
      a.element = r.get_enum("element", type_names);
      for (const auto& t : kElementTypes) {
        if (t.name == a.element) {
          a.element_bits = t.bits;
          a.element_signed = t.is_signed;
        }
      }
      if (a.pointer) {
        a.bundle = get_ident(r, "bundle");
        if (!bundles.insert(a.bundle).second) {
          detail::fail(origin, fmt::format("{}.bundle = {} is used by another pointer; each pointer has its own "
                                           "bundle so it can be placed on its own memory channels",
                                           path, a.bundle));
        }
        a.writes = r.get_enum("access", {"read", "write"}) == "write";
        a.rtl_lane = r.get_enum("rtl_master", {"lane", "ctrl"}) == "lane";
        if (a.rtl_lane && a.writes) {
          detail::fail(origin, fmt::format("{}: rtl_master = lane on a written pointer (the RTL kernel's lanes only read; "
                                           "its ctrl master writes)",
                                           path));
        }
      } else if (r.has("bundle") || r.has("access") || r.has("rtl_master")) {
        detail::fail(origin, fmt::format("{}: a scalar has no m_axi bundle, access or rtl_master (it is an s_axilite "
                                         "register)",
                                         path));
      }
      if (r.has("doc")) a.doc = r.get_string("doc", 200);
      // Vitis HLS s_axilite packing: data words, then one reserved word.
      a.words = (a.pointer || a.element_bits == 64) ? 2 : 1;
      a.offset = offset;
      offset += static_cast<std::uint32_t>(4 * (a.words + 1));
      k.arguments.push_back(std::move(a));
    }
  }

  // ---- descriptor
  {
    MapReader d = top.get_map("descriptor", {"bytes", "fields"});
    k.descriptor_bytes = d.get_int("bytes", 4, 256);
    if (k.descriptor_bytes % 4 != 0) {
      detail::fail(origin, fmt::format("descriptor.bytes = {} must be a multiple of 4", k.descriptor_bytes));
    }
    const YAML::Node seq = d.get_seq("fields", 64);
    std::vector<int> owner(static_cast<std::size_t>(k.descriptor_bytes), -1);
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const std::string path = fmt::format("descriptor.fields[{}]", i);
      MapReader r(seq[i], path, origin, {"name", "offset", "bits", "bytes", "unit", "doc", "flags"});
      DescriptorField f;
      f.name = get_ident(r, "name");
      for (const auto& other : k.descriptor) {
        if (other.name == f.name) detail::fail(origin, fmt::format("{}.name: duplicate field '{}'", path, f.name));
      }
      f.offset = r.get_int("offset", 0, k.descriptor_bytes - 1);
      f.bits = r.get_int("bits", 1, 32);
      const int need = f.bits <= 8 ? 1 : (f.bits <= 16 ? 2 : 4);
      f.bytes = r.has("bytes") ? r.get_int("bytes", 1, 4) : need;
      if (f.bytes == 3) detail::fail(origin, fmt::format("{}.bytes = 3 must be 1, 2 or 4", path));
      if (f.bytes < need) {
        detail::fail(origin, fmt::format("{}.bytes = {} cannot hold bits = {}", path, f.bytes, f.bits));
      }
      if (f.offset % f.bytes != 0) {
        detail::fail(origin, fmt::format("{}.offset = {} is not aligned to its {}-byte storage unit", path, f.offset,
                                         f.bytes));
      }
      if (f.offset + f.bytes > k.descriptor_bytes) {
        detail::fail(origin, fmt::format("{} ends at byte {}, past the {}-byte descriptor", path, f.offset + f.bytes,
                                         k.descriptor_bytes));
      }
      for (int b = f.offset; b < f.offset + f.bytes; ++b) {
        const int o = owner[static_cast<std::size_t>(b)];
        if (o >= 0) {
          detail::fail(origin, fmt::format("{} ('{}') overlaps field '{}' at byte {}", path, f.name,
                                           k.descriptor[static_cast<std::size_t>(o)].name, b));
        }
        owner[static_cast<std::size_t>(b)] = static_cast<int>(k.descriptor.size());
      }
      if (r.has("unit")) {
        f.unit = get_ident(r, "unit");
        bool found = false;
        for (const auto& a : k.arguments) found = found || (a.pointer && a.name == f.unit);
        if (!found) detail::fail(origin, fmt::format("{}.unit = {} is not a pointer argument", path, f.unit));
      }
      if (r.has("doc")) f.doc = r.get_string("doc", 200);
      if (r.has("flags")) f.flags = walk_bits(seq[i]["flags"], path + ".flags", origin, f.bits - 1, r);
      k.descriptor.push_back(std::move(f));
    }
    if (k.descriptor.empty()) detail::fail(origin, "descriptor.fields must list at least one field");
  }

  // ---- status record
  {
    const YAML::Node seq = top.get_seq("status", 64);
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const std::string path = fmt::format("status[{}]", i);
      MapReader r(seq[i], path, origin, {"name", "doc"});
      StatusWord w;
      w.name = get_ident(r, "name");
      for (const auto& other : k.status) {
        if (other.name == w.name) detail::fail(origin, fmt::format("{}.name: duplicate status word '{}'", path, w.name));
      }
      if (r.has("doc")) w.doc = r.get_string("doc", 200);
      k.status.push_back(std::move(w));
    }
    if (top.has("status_flags")) k.status_flags = walk_bits(doc["status_flags"], "status_flags", origin, 31, top);
  }
  return k;
}

KernelInterface load_kernel_interface(const std::filesystem::path& path) {
  std::error_code ec;
  const std::string shown = path.string();
  if (!std::filesystem::is_regular_file(path, ec)) throw PresetError(shown + ": no such file");
  if (std::filesystem::file_size(path, ec) > (std::uintmax_t{1} << 20)) {
    throw PresetError(shown + ": file is larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PresetError(shown + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_kernel_interface_from_string(ss.str(), shown);
}

std::string generate_kernel_cpp(const KernelInterface& k, std::string_view source) {
  std::string o = banner("//", source);
  o += fmt::format("// {}\n", k.description.empty() ? k.name : k.description);
  o += "// The kernel's host interface: control registers, s_axilite argument offsets,\n"
       "// the job descriptor (pack/unpack) and the status record. Valid C++14 and\n"
       "// synthesizable (Vitis HLS): fixed-size arrays, no heap, labelled constant loops.\n";
  o += "#ifndef SPATTEN_KERNEL_INTERFACE_H\n#define SPATTEN_KERNEL_INTERFACE_H\n\n#include <cstdint>\n\n";
  o += "/// The HLS top function of a preset: SPATTEN_KERNEL_TOP(spatten_1_8) -> " + k.name + "_spatten_1_8.\n";
  o += fmt::format("#define SPATTEN_KERNEL_TOP(ident) {}_##ident\n\n", k.name);
  // The extern "C" top of a preset, with the interface pragmas in argument order:
  // SPATTEN_KERNEL_DEFINE_TOP(ident, IMPL) defines <name>_<ident>(args...) { pragmas; IMPL(args...); }
  {
    std::string params, call, pragmas;
    for (const auto& a : k.arguments) {
      const std::string type = fmt::format("::spatten::kernel_if::{}_t", a.name);
      params += fmt::format("{}{}{}{} {}", params.empty() ? "" : ", ", a.pointer && !a.writes ? "const " : "", type,
                            a.pointer ? "*" : "", a.name);
      call += (call.empty() ? "" : ", ") + a.name;
      if (a.pointer) {
        pragmas += fmt::format("    _Pragma(\"HLS INTERFACE mode=m_axi port={} offset=slave bundle={}{}\") \\\n", a.name,
                               a.bundle,
                               k.m_axi_max_widen_bitwidth > 0
                                   ? fmt::format(" max_widen_bitwidth={}", k.m_axi_max_widen_bitwidth)
                                   : std::string());
      }
    }
    for (const auto& a : k.arguments) {
      pragmas += fmt::format("    _Pragma(\"HLS INTERFACE mode=s_axilite port={} bundle=control\") \\\n", a.name);
    }
    pragmas += "    _Pragma(\"HLS INTERFACE mode=s_axilite port=return bundle=control\") \\\n";
    o += "/// Defines the extern \"C\" top function of one preset with the interface pragmas\n"
         "/// (m_axi bundle per pointer, s_axilite registers in the order above); IMPL is the\n"
         "/// templated kernel instantiated for that preset.\n";
    o += fmt::format("#define SPATTEN_KERNEL_DEFINE_TOP(ident, IMPL) \\\n  extern \"C\" void SPATTEN_KERNEL_TOP(ident)({}) {{ \\\n",
                     params);
    o += pragmas;
    o += fmt::format("    IMPL({}); \\\n  }}\n\n", call);
    o += "/// Declares the extern \"C\" top of one preset (test benches, hosts linking the kernel).\n";
    o += fmt::format("#define SPATTEN_KERNEL_DECLARE_TOP(ident) extern \"C\" void SPATTEN_KERNEL_TOP(ident)({});\n\n",
                     params);
  }
  o += "namespace spatten {\nnamespace kernel_if {\n\n";
  o += fmt::format("static constexpr const char* kKernelName = \"{}\";\n", k.name);
  o += fmt::format("static constexpr const char* kControlProtocol = \"{}\";\n\n", k.control);
  o += "// ---- control registers\n";
  for (const auto& r : k.control_registers) {
    o += fmt::format("constexpr std::uint32_t kReg{} = {}u;\n", camel(r.name), hex(r.offset));
    for (const auto& b : r.bits) {
      o += fmt::format("constexpr std::uint32_t kReg{}{} = 1u << {};\n", camel(r.name), camel(b.name), b.bit);
    }
  }
  o += fmt::format("constexpr std::uint32_t kFirstArgumentOffset = {}u;\n\n", hex(k.first_argument_offset));
  o += "// ---- s_axilite arguments, in register order\n";
  o += fmt::format("constexpr int kNumArguments = {};\n", k.arguments.size());
  o += "struct ArgOffset {\n";
  for (const auto& a : k.arguments) o += fmt::format("  static constexpr std::uint32_t {} = {}u;\n", a.name, hex(a.offset));
  o += "};\n";
  o += "enum class Arg : int {\n";
  for (std::size_t i = 0; i < k.arguments.size(); ++i) o += fmt::format("  {} = {},\n", k.arguments[i].name, i);
  o += "};\n";
  o += "/// Element type of each argument (pointers: one element of device memory).\n";
  for (const auto& a : k.arguments) {
    o += fmt::format("typedef {} {}_t;\n", cpp_int_type(a.element_bits, a.element_signed), a.name);
  }
  o += "struct ArgumentInfo {\n  const char* name;\n  bool is_pointer;\n  bool kernel_writes;  ///< pointer written by the kernel\n  int element_bits;\n  bool element_signed;\n"
       "  std::uint32_t offset;  ///< s_axilite byte offset of the low word\n  int words;             ///< 32-bit data "
       "words (a reserved word follows)\n  const char* bundle;    ///< m_axi bundle (\"\" for scalars)\n};\n";
  o += "constexpr ArgumentInfo kArguments[kNumArguments] = {\n";
  for (const auto& a : k.arguments) {
    o += fmt::format("    {{\"{}\", {}, {}, {}, {}, {}u, {}, \"{}\"}},\n", a.name, a.pointer ? "true" : "false",
                     a.writes ? "true" : "false",
                     a.element_bits, a.element_signed ? "true" : "false", hex(a.offset), a.words, a.bundle);
  }
  o += "};\n";
  const auto& last = k.arguments.back();
  o += fmt::format("constexpr std::uint32_t kArgumentsEnd = {}u;  ///< first byte past the argument block\n\n",
                   hex(last.offset + static_cast<std::uint32_t>(4 * (last.words + 1))));

  o += "// ---- job descriptor (little-endian)\n";
  o += fmt::format("constexpr int kDescriptorBytes = {};\nconstexpr int kDescriptorWords = {};\n", k.descriptor_bytes,
                   k.descriptor_bytes / 4);
  for (const auto& f : k.descriptor) {
    for (const auto& b : f.flags) {
      o += fmt::format("constexpr std::uint32_t k{}{} = 1u << {};  ///< bit of JobDescriptor::{}\n", camel(f.name),
                       camel(b.name), b.bit, f.name);
    }
  }
  o += "struct JobDescriptor {\n";
  for (const auto& f : k.descriptor) {
    o += fmt::format("  {} {} = 0;  ///< {} bits{}{}\n", cpp_int_type(8 * f.bytes, false), f.name, f.bits,
                     f.doc.empty() ? "" : ": ", f.doc);
  }
  o += "};\n";
  o += "struct DescriptorFieldInfo {\n  const char* name;\n  int byte_offset;\n  int bits;\n  int bytes;\n  const char* "
       "unit;  ///< pointer argument the offset indexes, or \"\"\n};\n";
  o += fmt::format("constexpr int kNumDescriptorFields = {};\n", k.descriptor.size());
  o += "constexpr DescriptorFieldInfo kDescriptorFields[kNumDescriptorFields] = {\n";
  for (const auto& f : k.descriptor) {
    o += fmt::format("    {{\"{}\", {}, {}, {}, \"{}\"}},\n", f.name, f.offset, f.bits, f.bytes, f.unit);
  }
  o += "};\n\n";
  o += "/// Descriptor to words; bits above each field's width are dropped (check with\n"
       "/// descriptor_field_overflow first).\n";
  o += "inline void pack_descriptor(const JobDescriptor& d, std::uint32_t w[kDescriptorWords]) {\n";
  for (int i = 0; i < k.descriptor_bytes / 4; ++i) o += fmt::format("  w[{}] = 0u;\n", i);
  for (const auto& f : k.descriptor) {
    o += fmt::format("  w[{}] |= (static_cast<std::uint32_t>(d.{}) & {}u) << {};\n", f.offset / 4, f.name,
                     hex(field_mask(f.bits)), 8 * (f.offset % 4));
  }
  o += "}\n\n";
  o += "/// Words to descriptor: each field is the low `bits` bits of its storage unit.\n";
  o += "inline JobDescriptor unpack_descriptor(const std::uint32_t w[kDescriptorWords]) {\n  JobDescriptor d;\n";
  for (const auto& f : k.descriptor) {
    o += fmt::format("  d.{} = static_cast<{}>((w[{}] >> {}) & {}u);\n", f.name, cpp_int_type(8 * f.bytes, false),
                     f.offset / 4, 8 * (f.offset % 4), hex(field_mask(f.bits)));
  }
  o += "  return d;\n}\n\n";
  o += "/// The first field whose value does not fit its width, or nullptr.\n";
  o += "inline const char* descriptor_field_overflow(const JobDescriptor& d) {\n";
  for (const auto& f : k.descriptor) {
    if (f.bits < 8 * f.bytes) {
      o += fmt::format("  if (static_cast<std::uint32_t>(d.{}) > {}u) return \"{}\";\n", f.name, hex(field_mask(f.bits)),
                       f.name);
    }
  }
  o += "  return nullptr;\n}\n\n";
  o += "/// Little-endian bytes as the host writes them into device memory.\n";
  o += "inline void descriptor_to_bytes(const JobDescriptor& d, std::uint8_t b[kDescriptorBytes]) {\n"
       "  std::uint32_t w[kDescriptorWords];\n  pack_descriptor(d, w);\nDESC_TO_BYTES:\n"
       "  for (int i = 0; i < kDescriptorBytes; ++i) b[i] = static_cast<std::uint8_t>(w[i / 4] >> (8 * (i % 4)));\n}\n\n";
  o += "inline JobDescriptor descriptor_from_bytes(const std::uint8_t b[kDescriptorBytes]) {\n"
       "  std::uint32_t w[kDescriptorWords];\nDESC_FROM_BYTES:\n  for (int i = 0; i < kDescriptorWords; ++i) {\n"
       "    w[i] = static_cast<std::uint32_t>(b[4 * i]) | (static_cast<std::uint32_t>(b[4 * i + 1]) << 8) |\n"
       "           (static_cast<std::uint32_t>(b[4 * i + 2]) << 16) | (static_cast<std::uint32_t>(b[4 * i + 3]) << 24);\n"
       "  }\n  return unpack_descriptor(w);\n}\n\n";
  o += "// ---- status record (int32 words of `out` at status_offset)\n";
  o += fmt::format("constexpr int kStatusWords = {};\n", k.status.size());
  o += "struct StatusIndex {\n";
  for (std::size_t i = 0; i < k.status.size(); ++i) {
    o += fmt::format("  static constexpr int {} = {};  ///< {}\n", k.status[i].name, i, k.status[i].doc);
  }
  o += "};\n";
  for (const auto& b : k.status_flags) {
    o += fmt::format("constexpr std::uint32_t kStatus{} = 1u << {};\n", camel(b.name), b.bit);
  }
  o += "\n}  // namespace kernel_if\n}  // namespace spatten\n\n#endif  // SPATTEN_KERNEL_INTERFACE_H\n";
  return o;
}

std::string generate_kernel_sv(const KernelInterface& k, std::string_view source) {
  std::string o = banner("//", source);
  o += "// The kernel's host interface for the RTL kernel: register offsets, descriptor\n"
       "// field positions (bit positions in the little-endian descriptor) and a packed struct.\n";
  o += "package spatten_kernel_pkg;\n";
  o += "  // a package of shared constants: each module uses a subset of them\n"
       "  /* verilator lint_off UNUSEDPARAM */\n";
  o += fmt::format("  localparam string KERNEL_NAME = \"{}\";\n", k.name);
  o += fmt::format("  localparam string CONTROL_PROTOCOL = \"{}\";\n", k.control);
  for (const auto& r : k.control_registers) {
    o += fmt::format("  localparam int unsigned REG_{} = 32'h{:02X};\n", upper(r.name), r.offset);
    for (const auto& b : r.bits) o += fmt::format("  localparam int unsigned {}_{}_BIT = {};\n", upper(r.name), upper(b.name), b.bit);
  }
  o += fmt::format("  localparam int unsigned FIRST_ARGUMENT_OFFSET = 32'h{:02X};\n", k.first_argument_offset);
  o += fmt::format("  localparam int unsigned NUM_ARGUMENTS = {};\n", k.arguments.size());
  for (const auto& a : k.arguments) {
    const std::string n = upper(a.name);
    o += fmt::format("  localparam int unsigned ARG_{}_OFFSET = 32'h{:02X};\n", n, a.offset);
    o += fmt::format("  localparam int unsigned ARG_{}_WORDS = {};\n", n, a.words);
    o += fmt::format("  localparam int unsigned ARG_{}_IS_POINTER = {};\n", n, a.pointer ? 1 : 0);
    o += fmt::format("  localparam int unsigned ARG_{}_ELEMENT_BITS = {};\n", n, a.element_bits);
    if (a.pointer) {
      o += fmt::format("  localparam string ARG_{}_BUNDLE = \"{}\";\n", n, a.bundle);
      o += fmt::format("  localparam int unsigned ARG_{}_KERNEL_WRITES = {};\n", n, a.writes ? 1 : 0);
    }
  }
  const auto& last = k.arguments.back();
  o += fmt::format("  localparam int unsigned ARGUMENTS_END = 32'h{:02X};\n",
                   last.offset + static_cast<std::uint32_t>(4 * (last.words + 1)));
  o += fmt::format("  localparam int unsigned DESC_BYTES = {};\n  localparam int unsigned DESC_BITS = {};\n",
                   k.descriptor_bytes, 8 * k.descriptor_bytes);
  for (const auto& f : k.descriptor) {
    const std::string n = upper(f.name);
    o += fmt::format("  localparam int unsigned DESC_{}_BYTE_OFFSET = {};\n", n, f.offset);
    o += fmt::format("  localparam int unsigned DESC_{}_LSB = {};\n", n, 8 * f.offset);
    o += fmt::format("  localparam int unsigned DESC_{}_BITS = {};\n", n, f.bits);
    for (const auto& b : f.flags) {
      o += fmt::format("  localparam int unsigned DESC_{}_{}_BIT = {};\n", n, upper(b.name), b.bit);
    }
  }
  // packed struct, most significant field first, gaps as pad_<lsb>
  std::vector<const DescriptorField*> by_pos;
  for (const auto& f : k.descriptor) by_pos.push_back(&f);
  std::sort(by_pos.begin(), by_pos.end(), [](const auto* a, const auto* b) { return a->offset > b->offset; });
  o += "  typedef struct packed {\n";
  int top_bit = 8 * k.descriptor_bytes;  // exclusive
  auto pad = [&](int hi_excl, int lo) {
    if (hi_excl > lo) o += fmt::format("    logic [{}:0] pad_{};\n", hi_excl - lo - 1, lo);
  };
  for (const auto* f : by_pos) {
    const int lo = 8 * f->offset;
    pad(top_bit, lo + f->bits);
    o += fmt::format("    logic [{}:0] {};\n", f->bits - 1, f->name);
    top_bit = lo;
  }
  pad(top_bit, 0);
  o += "  } job_descriptor_t;\n";
  o += fmt::format("  localparam int unsigned STATUS_WORDS = {};\n", k.status.size());
  for (std::size_t i = 0; i < k.status.size(); ++i) {
    o += fmt::format("  localparam int unsigned STATUS_{}_INDEX = {};\n", upper(k.status[i].name), i);
  }
  for (const auto& b : k.status_flags) o += fmt::format("  localparam int unsigned STATUS_{}_BIT = {};\n", upper(b.name), b.bit);
  o += "  /* verilator lint_on UNUSEDPARAM */\n";
  o += "endpackage : spatten_kernel_pkg\n";
  return o;
}

std::string generate_kernel_tcl(const KernelInterface& k, std::string_view source) {
  std::string o = banner("#", source);
  o += "# Kernel interface variables for scripts/hls (argument order, m_axi bundles).\n";
  o += fmt::format("set SPATTEN_KERNEL_NAME \"{}\"\n", k.name);
  o += fmt::format("set SPATTEN_KERNEL_CONTROL \"{}\"\n", k.control);
  std::string args, ptrs, scalars, bundles, offsets, bundle_list;
  for (const auto& a : k.arguments) {
    args += (args.empty() ? "" : " ") + a.name;
    offsets += fmt::format("{}{} {}", offsets.empty() ? "" : " ", a.name, hex(a.offset));
    if (a.pointer) {
      ptrs += (ptrs.empty() ? "" : " ") + a.name;
      bundles += fmt::format("{}{} {}", bundles.empty() ? "" : " ", a.name, a.bundle);
      bundle_list += (bundle_list.empty() ? "" : " ") + a.bundle;
    } else {
      scalars += (scalars.empty() ? "" : " ") + a.name;
    }
  }
  o += fmt::format("set SPATTEN_KERNEL_ARGS {{{}}}\n", args);
  o += fmt::format("set SPATTEN_KERNEL_POINTER_ARGS {{{}}}\n", ptrs);
  o += fmt::format("set SPATTEN_KERNEL_SCALAR_ARGS {{{}}}\n", scalars);
  o += fmt::format("set SPATTEN_KERNEL_BUNDLES {{{}}}\n", bundle_list);
  std::string written;
  for (const auto& a : k.arguments) {
    if (a.pointer && a.writes) written += (written.empty() ? "" : " ") + a.name;
  }
  o += fmt::format("set SPATTEN_KERNEL_WRITTEN_ARGS {{{}}}\n", written);
  if (k.m_axi_max_widen_bitwidth > 0) {
    o += fmt::format("set SPATTEN_KERNEL_MAX_WIDEN_BITWIDTH {}\n", k.m_axi_max_widen_bitwidth);
  }
  o += fmt::format("array set SPATTEN_KERNEL_BUNDLE {{{}}}\n", bundles);
  o += fmt::format("array set SPATTEN_KERNEL_ARG_OFFSET {{{}}}\n", offsets);
  o += fmt::format("set SPATTEN_KERNEL_DESCRIPTOR_BYTES {}\n", k.descriptor_bytes);
  o += "# The HLS top function of a preset (the C++ macro SPATTEN_KERNEL_TOP).\n";
  o += fmt::format("proc spatten_kernel_top {{preset}} {{ return \"{}_[string map {{- _}} $preset]\" }}\n", k.name);
  return o;
}

// ============================================================ Vitis RTL kernel
namespace {
// The RTL kernel's AXI4 signals, as hw/rtl/spatten_attention.sv declares them
// for one master: name, direction (true: kernel output), width in bits (0:
// the data width, 8 * hbm_transaction_bytes; -1: its strobes). The wrappers
// are linted over the kernel (scripts/lint-rtl.sh): a width that differs from
// the kernel's ports fails there.
struct AxiSignal {
  const char* name;
  bool out;
  int bits;
};
constexpr AxiSignal kLaneSignals[] = {
    {"arvalid", true, 1}, {"arready", false, 1}, {"araddr", true, 64}, {"arlen", true, 8},
    {"arsize", true, 3},  {"arburst", true, 2},  {"rvalid", false, 1}, {"rready", true, 1},
    {"rdata", false, 0},  {"rlast", false, 1},   {"rresp", false, 2},
};

// the C type of an argument's element, as kernel.xml writes argument types
std::string c_type(const KernelArgument& a) {
  const char* base = a.element_bits == 8 ? "char" : a.element_bits == 16 ? "short" : a.element_bits == 32 ? "int" : "long long";
  return a.element_signed ? std::string(base) : std::string("unsigned ") + base;
}

// a signal's width: the data width for 0, its strobes for -1
int signal_bits(const AxiSignal& s, int data_bits) { return s.bits == 0 ? data_bits : s.bits < 0 ? data_bits / 8 : s.bits; }

constexpr const char* kInterruptPort = "output logic         interrupt";

std::string lane_port(int i, int lanes) {
  const int digits = lanes > 100 ? static_cast<int>(std::to_string(lanes - 1).size()) : 2;
  return fmt::format("m_axi_lane{:0{}}", i, digits);
}
}  // namespace

int rtl_kernel_lanes(const AcceleratorPreset& p) { return p.hardware.hbm_channels_used; }

std::string rtl_kernel_top(const AcceleratorPreset& p, const KernelInterface& k) {
  return k.name + "_" + config_ident(p.name);
}

std::vector<std::string> rtl_kernel_masters(const AcceleratorPreset& p) {
  std::vector<std::string> m;
  const int lanes = rtl_kernel_lanes(p);
  for (int i = 0; i < lanes; ++i) m.push_back(lane_port(i, lanes));
  m.emplace_back("m_axi_ctrl");
  return m;
}

int rtl_kernel_control_address_bits(const KernelInterface& k) {
  std::uint32_t end = k.first_argument_offset;
  for (const auto& a : k.arguments) end = std::max(end, a.offset + 4u * static_cast<std::uint32_t>(a.words + 1));
  int bits = 1;
  while ((std::uint64_t{1} << bits) < end) ++bits;
  return bits;
}

std::string generate_rtl_kernel_wrapper(const AcceleratorPreset& p, const KernelInterface& k, std::string_view source) {
  const std::string ident = config_ident(p.name);
  const std::string top = rtl_kernel_top(p, k);
  const int lanes = rtl_kernel_lanes(p);
  const int ab = rtl_kernel_control_address_bits(k);
  std::string o = banner("//", source);
  o += fmt::format(
      "// The Vitis RTL kernel of preset {0}: {1} (hw/rtl/{1}.sv) with one named\n"
      "// AXI4 read master per lane (m_axi_lane<i>_*), as Vivado's interface inference\n"
      "// and v++ expect, and without the co-simulation observation pins. Renaming\n"
      "// only: scripts/rtl/package_kernel.tcl packages it with SPATTEN_PRESET_PKG\n"
      "// defined to spatten_{2}_pkg.\n",
      p.name, k.name, ident);
  o += fmt::format("module {} (\n", top);
  std::vector<std::string> ports = {
      "input  logic         ap_clk",
      "input  logic         ap_rst_n",
      "input  logic         s_axi_control_awvalid",
      "output logic         s_axi_control_awready",
      fmt::format("input  logic [{}:0]  s_axi_control_awaddr", ab - 1),
      "input  logic         s_axi_control_wvalid",
      "output logic         s_axi_control_wready",
      "input  logic [31:0]  s_axi_control_wdata",
      "input  logic [3:0]   s_axi_control_wstrb",
      "output logic         s_axi_control_bvalid",
      "input  logic         s_axi_control_bready",
      "output logic [1:0]   s_axi_control_bresp",
      "input  logic         s_axi_control_arvalid",
      "output logic         s_axi_control_arready",
      fmt::format("input  logic [{}:0]  s_axi_control_araddr", ab - 1),
      "output logic         s_axi_control_rvalid",
      "input  logic         s_axi_control_rready",
      "output logic [31:0]  s_axi_control_rdata",
      "output logic [1:0]   s_axi_control_rresp",
      kInterruptPort,
  };
  // the ctrl master: the lane signals plus the write channels
  const AxiSignal ctrl_extra[] = {
      {"awvalid", true, 1}, {"awready", false, 1}, {"awaddr", true, 64}, {"awlen", true, 8},  {"awsize", true, 3},
      {"awburst", true, 2}, {"wvalid", true, 1},   {"wready", false, 1}, {"wdata", true, 0},  {"wstrb", true, -1},
      {"wlast", true, 1},   {"bvalid", false, 1},  {"bready", true, 1},  {"bresp", false, 2},
  };
  const int data_bits = 8 * p.hardware.hbm_transaction_bytes;
  auto decl = [data_bits](const std::string& port, const AxiSignal& s) {
    const int bits = signal_bits(s, data_bits);
    const std::string range = bits == 1 ? "" : fmt::format("[{}:0]", bits - 1);
    return fmt::format("{} logic {:9} {}_{}", s.out ? "output" : "input ", range, port, s.name);
  };
  for (const AxiSignal& s : kLaneSignals) ports.push_back(decl("m_axi_ctrl", s));
  for (const AxiSignal& s : ctrl_extra) ports.push_back(decl("m_axi_ctrl", s));
  for (int i = 0; i < lanes; ++i)
    for (const AxiSignal& s : kLaneSignals) ports.push_back(decl(lane_port(i, lanes), s));
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const bool interrupt = ports[i] == kInterruptPort;  // Vitis requires the name; Verilator warns on it
    if (interrupt) o += "  /* verilator lint_off SYMRSVDWORD */\n";
    o += "  " + ports[i] + (i + 1 < ports.size() ? ",\n" : "\n");
    if (interrupt) o += "  /* verilator lint_on SYMRSVDWORD */\n";
  }
  o += ");\n";
  o += fmt::format("  localparam int LANES = {};\n", lanes);
  // packed lane vectors of the kernel top
  for (const AxiSignal& s : kLaneSignals) {
    o += fmt::format("  logic [LANES*{}-1:0] lane_{};\n", signal_bits(s, data_bits), s.name);
  }
  for (int i = 0; i < lanes; ++i) {
    for (const AxiSignal& s : kLaneSignals) {
      const int bits = signal_bits(s, data_bits);
      const std::string slice = fmt::format("lane_{}[{}*{} +: {}]", s.name, i, bits, bits);
      const std::string port = lane_port(i, lanes) + "_" + s.name;
      o += s.out ? fmt::format("  assign {} = {};\n", port, slice) : fmt::format("  assign {} = {};\n", slice, port);
    }
  }
  o += "  // the observation pins serve the co-simulation scoreboards only\n";
  o += "  /* verilator lint_off PINCONNECTEMPTY */\n";
  o += fmt::format("  {} u_kernel (\n", k.name);
  o += "    .ap_clk, .ap_rst_n,\n";
  o += "    .s_axi_control_awvalid, .s_axi_control_awready, .s_axi_control_awaddr, .s_axi_control_wvalid,\n"
       "    .s_axi_control_wready, .s_axi_control_wdata, .s_axi_control_wstrb, .s_axi_control_bvalid,\n"
       "    .s_axi_control_bready, .s_axi_control_bresp, .s_axi_control_arvalid, .s_axi_control_arready,\n"
       "    .s_axi_control_araddr, .s_axi_control_rvalid, .s_axi_control_rready, .s_axi_control_rdata,\n"
       "    .s_axi_control_rresp, .interrupt,\n";
  std::string ctrl;
  for (const AxiSignal& s : kLaneSignals) ctrl += fmt::format(".m_axi_ctrl_{}, ", s.name);
  for (const AxiSignal& s : ctrl_extra) ctrl += fmt::format(".m_axi_ctrl_{}, ", s.name);
  o += "    " + ctrl + "\n";
  std::string lane;
  for (const AxiSignal& s : kLaneSignals) lane += fmt::format(".m_axi_lane_{0}(lane_{0}), ", s.name);
  o += "    " + lane + "\n";
  o += "    .obs_job_start(), .obs_key_start(), .obs_softmax_done(), .obs_topk_start(), .obs_topk_done(),\n"
       "    .obs_value_start(), .obs_pv_done(), .obs_ap_done());\n";
  o += "  /* verilator lint_on PINCONNECTEMPTY */\n";
  o += "endmodule\n";
  return o;
}

std::string generate_rtl_kernel_xml(const AcceleratorPreset& p, const KernelInterface& k) {
  const std::string top = rtl_kernel_top(p, k);
  const std::vector<std::string> masters = rtl_kernel_masters(p);
  const int lanes = rtl_kernel_lanes(p);
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += fmt::format("<!-- generated by spatten-gen from models/accel/{}.yaml and models/kernel/spatten-kernel.yaml; "
                   "do not edit -->\n",
                   p.name);
  o += "<root versionMajor=\"1\" versionMinor=\"6\">\n";
  o += fmt::format("  <kernel name=\"{}\" language=\"ip_c\" vlnv=\"spatten.dev:kernel:{}:1.0\" attributes=\"\" "
                   "preferredWorkGroupSizeMultiple=\"0\" workGroupSize=\"1\" interrupt=\"true\" "
                   "hwControlProtocol=\"{}\">\n",
                   top, top, k.control);
  o += "    <ports>\n";
  o += fmt::format("      <port name=\"s_axi_control\" mode=\"slave\" range=\"0x{:X}\" dataWidth=\"32\" "
                   "portType=\"addressable\" base=\"0x0\"/>\n",
                   std::uint64_t{1} << rtl_kernel_control_address_bits(k));
  for (const std::string& m : masters) {
    o += fmt::format("      <port name=\"{}\" mode=\"master\" range=\"0xFFFFFFFFFFFFFFFF\" dataWidth=\"{}\" "
                     "portType=\"addressable\" base=\"0x0\"/>\n",
                     m, 8 * p.hardware.hbm_transaction_bytes);
  }
  o += "    </ports>\n    <args>\n";
  int next_lane = 0;
  for (std::size_t i = 0; i < k.arguments.size(); ++i) {
    const KernelArgument& a = k.arguments[i];
    std::string port = "s_axi_control";
    if (a.pointer) port = a.rtl_lane ? lane_port(next_lane++ % lanes, lanes) : "m_axi_ctrl";
    const int size = a.pointer ? 8 : a.element_bits / 8;
    const std::string type = a.pointer ? c_type(a) + "*" : c_type(a);
    o += fmt::format("      <arg name=\"{}\" addressQualifier=\"{}\" id=\"{}\" port=\"{}\" size=\"0x{:X}\" "
                     "offset=\"0x{:X}\" type=\"{}\" hostOffset=\"0x0\" hostSize=\"0x{:X}\"/>\n",
                     a.name, a.pointer ? 1 : 0, i, port, size, a.offset, type, size);
  }
  o += "    </args>\n  </kernel>\n</root>\n";
  return o;
}

std::string generate_rtl_link_cfg(const AcceleratorPreset& p, const KernelInterface& k, std::string_view source) {
  const std::string top = rtl_kernel_top(p, k);
  const std::string cu = k.name + "_1";
  std::string o = banner("#", source);
  o += fmt::format(
      "# v++ -l config for the RTL kernel of {}: one compute unit; every AXI4 master\n"
      "# on all {} HBM pseudo-channels, since every lane reads rows of every K/V\n"
      "# plane and ctrl reads and writes the job buffers (PLATFORM.md: any HBM port\n"
      "# reaches all memory through the switch).\n",
      p.name, p.hardware.hbm_channels);
  o += "[connectivity]\n";
  o += fmt::format("nk={}:1:{}\n", top, cu);
  for (const std::string& m : rtl_kernel_masters(p))
    o += fmt::format("sp={}.{}:HBM[0:{}]\n", cu, m, p.hardware.hbm_channels - 1);
  o += "\n[clock]\n";
  o += fmt::format("# the preset's kernel clock (clock_mhz = {})\n", p.hardware.clock_mhz);
  o += fmt::format("freqHz={}:{}\n", std::int64_t{p.hardware.clock_mhz} * 1000000, cu);
  return o;
}

}  // namespace spatten::models
