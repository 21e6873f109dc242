// spatten::models — code generation from an accelerator preset.
//
// One preset, three languages: a C++ header (a constexpr config struct that
// HLS templates take as CONFIG_T; valid C++14 for Vitis HLS), a SystemVerilog
// package and Tcl variables. All three are written from config_fields(), so
// they cannot disagree. spatten-gen (models/tools) is the command-line front
// end; the build runs it for every shipped accelerator preset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

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

// ---------------------------------------------------------------- kernel interface
// The host interface of the kernel, described once in models/kernel/spatten-kernel.yaml
// (format: models/README.md, "Kernel interface") and generated into C++ (HLS
// kernel, driver), an SV package (RTL kernel) and Tcl (HLS/v++ flow scripts).

struct KernelBit {
  std::string name;  // identifier
  int bit = 0;       // 0..31
};

struct KernelRegister {
  std::string name;
  std::uint32_t offset = 0;
  std::vector<KernelBit> bits;
};

struct KernelArgument {
  std::string name;
  bool pointer = false;
  std::string element;  // int8 uint8 int16 uint16 int32 uint32 int64 uint64
  int element_bits = 0;
  bool element_signed = false;
  std::string bundle;  // m_axi bundle (pointers only)
  bool writes = false; // pointer access: false read, true write
  bool rtl_lane = false; // pointer: the RTL kernel's lane masters read it (else its ctrl master)
  std::string doc;
  std::uint32_t offset = 0;  // s_axilite byte offset (derived)
  int words = 0;             // 32-bit data words (pointers and 64-bit scalars: 2)
};

struct DescriptorField {
  std::string name;
  int offset = 0;  // byte offset in the descriptor
  int bits = 0;    // significant bits, 1..32
  int bytes = 0;   // storage unit, 1/2/4, aligned
  std::string unit;  // pointer argument an offset field indexes ("" otherwise)
  std::string doc;
  std::vector<KernelBit> flags;
};

struct StatusWord {
  std::string name;
  std::string doc;
};

struct KernelInterface {
  std::string name;
  std::string description;
  std::string control;  // ap_ctrl_hs | ap_ctrl_chain
  std::vector<KernelRegister> control_registers;
  std::uint32_t first_argument_offset = 0;
  int m_axi_max_widen_bitwidth = 0;  // 0: not given
  std::vector<KernelArgument> arguments;
  int descriptor_bytes = 0;
  std::vector<DescriptorField> descriptor;
  std::vector<StatusWord> status;
  std::vector<KernelBit> status_flags;
  std::string origin;
};

// Strict loading (unknown fields, overlaps, misalignment, bad names are
// PresetError with file and field path). The default file is
// models_dir()/kernel/spatten-kernel.yaml.
KernelInterface load_kernel_interface(const std::filesystem::path& path);
KernelInterface load_kernel_interface_from_string(std::string_view text, std::string_view origin_name);
std::filesystem::path default_kernel_interface();

// namespace spatten { namespace kernel_if { register offsets, argument table,
// JobDescriptor with pack/unpack, status record } } -- C++14, synthesizable.
std::string generate_kernel_cpp(const KernelInterface& k, std::string_view source);
// package spatten_kernel_pkg; offsets, descriptor field positions, packed struct
std::string generate_kernel_sv(const KernelInterface& k, std::string_view source);
// set SPATTEN_KERNEL_* / array set SPATTEN_KERNEL_BUNDLE ... for scripts/hls
std::string generate_kernel_tcl(const KernelInterface& k, std::string_view source);

// ---- the Vitis RTL kernel of a preset (scripts/rtl/package_kernel.tcl) -------
// hw/rtl/spatten_attention.sv packs its LANES read masters into vectors; Vivado's
// interface inference and v++ want one named AXI4 interface per master. These
// are generated per preset (LANES = hbm_channels_used):
int rtl_kernel_lanes(const AcceleratorPreset& p);
// the kernel (and wrapper module) name: <kernel>_<preset ident>, as the HLS top's
std::string rtl_kernel_top(const AcceleratorPreset& p, const KernelInterface& k);
// "m_axi_lane00" .. (two digits, or more when LANES > 100), then "m_axi_ctrl"
std::vector<std::string> rtl_kernel_masters(const AcceleratorPreset& p);
// address bits of s_axi_control: the smallest that hold every argument register
int rtl_kernel_control_address_bits(const KernelInterface& k);
// module <name>_<preset ident>: spatten_attention with m_axi_lane<i>_* ports (renaming only)
std::string generate_rtl_kernel_wrapper(const AcceleratorPreset& p, const KernelInterface& k, std::string_view source);
// kernel.xml for package_xo -kernel_xml: ports, and every argument with its
// register offset and port (pointers read by the lanes on lanes 0, 1, ... in
// turn, the others on m_axi_ctrl; scalars on s_axi_control)
std::string generate_rtl_kernel_xml(const AcceleratorPreset& p, const KernelInterface& k);
// v++ -l configuration: one compute unit, every master on all hbm_channels
// pseudo-channels (every lane reads every K/V plane), the preset's clock
std::string generate_rtl_link_cfg(const AcceleratorPreset& p, const KernelInterface& k, std::string_view source);

}  // namespace spatten::models
