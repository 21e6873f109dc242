#include "spatten/models/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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
  out += fmt::format("package {};\n", pkg);
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

}  // namespace spatten::models
