// spatten::models — code generation from an accelerator preset.
//
// One preset, three languages: a C++ header (a constexpr config struct that
// HLS templates take as CONFIG_T; valid C++14 for Vitis HLS), a SystemVerilog
// package and Tcl variables. All three are written from config_fields(), so
// they cannot disagree. spatten-gen (models/tools) is the command-line front
// end; the build runs it for every shipped accelerator preset.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "spatten/models/presets.h"

namespace spatten::models {

// How a preset file is named in the "generated from" banner: relative to the
// parent of models_dir() ("models/accel/x.yaml") when it lies under it, so
// outputs do not depend on where the tree is checked out; else as given.
std::string source_label(const std::filesystem::path& preset_file);

// namespace spatten { namespace config { struct <ident> { ... }; } }
std::string generate_cpp_header(const AcceleratorPreset& preset, std::string_view source);
// package spatten_<ident>_pkg; localparam int unsigned UPPER_NAME = ...; endpackage
std::string generate_sv_package(const AcceleratorPreset& preset, std::string_view source);
// set SPATTEN_<UPPER_NAME> value
std::string generate_tcl(const AcceleratorPreset& preset, std::string_view source);

}  // namespace spatten::models
