// spatten-gen: turn one accelerator preset (models/accel/<name>.yaml) into a
// C++ header, a SystemVerilog package and Tcl variables, and the kernel
// interface (models/kernel/spatten-kernel.yaml) into the same three languages.
// Validation is the loader's (spatten::models), so a file that loads anywhere
// generates here.
//
// Exit status: 0 success; 1 an output could not be written; 2 a bad preset or
// bad command line (one "spatten-gen: error: ..." line on stderr).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

// GCC 12 reports a false -Wnull-dereference inside CLI11's string helpers
// (std::vector<std::string> growth inlined into CLI::detail::split).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include "spatten/models/generate.h"
#include "spatten/models/presets.h"

namespace {

namespace sm = spatten::models;

// Writes only when the content changed, through a temporary file and a
// rename, so a failed run never leaves a half-written output and unchanged
// outputs do not trigger rebuilds.
bool write_if_changed(const std::filesystem::path& path, const std::string& content) {
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream old;
      old << in.rdbuf();
      if (old.str() == content) return true;
    }
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      std::cerr << "spatten-gen: error: cannot write " << tmp.string() << "\n";
      return false;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::cerr << "spatten-gen: error: cannot write " << path.string() << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "spatten-gen: generate the C++ config header, SystemVerilog package and Tcl variables of one\n"
      "accelerator preset. NAME is looked up in $SPATTEN_MODELS_DIR/accel (default: the source tree's\n"
      "models/accel); a FILE is any path to a preset YAML. Without outputs it only validates.",
      "spatten-gen"};
  std::string preset;
  std::string cpp_out;
  std::string sv_out;
  std::string tcl_out;
  std::string kernel;
  std::string kernel_cpp_out;
  std::string kernel_sv_out;
  std::string kernel_tcl_out;
  std::string rtl_kernel_dir;
  bool list = false;
  app.add_option("--preset", preset, "accelerator preset: a name (e.g. spatten-1-8) or a YAML file")
      ->type_name("NAME|FILE");
  app.add_option("--cpp", cpp_out, "write the C++ header (namespace spatten::config) here")->type_name("OUT.h");
  app.add_option("--sv", sv_out, "write the SystemVerilog package here")->type_name("OUT.sv");
  app.add_option("--tcl", tcl_out, "write the Tcl variables here")->type_name("OUT.tcl");
  app.add_option("--kernel", kernel,
                 "kernel interface description (default with --kernel-*: models/kernel/spatten-kernel.yaml)")
      ->type_name("FILE");
  app.add_option("--kernel-cpp", kernel_cpp_out, "write the kernel interface C++ header here")->type_name("OUT.h");
  app.add_option("--kernel-sv", kernel_sv_out, "write the kernel interface SV package here")->type_name("OUT.sv");
  app.add_option("--kernel-tcl", kernel_tcl_out, "write the kernel interface Tcl variables here")->type_name("OUT.tcl");
  app.add_option("--rtl-kernel", rtl_kernel_dir,
                 "with --preset: write the preset's Vitis RTL kernel files into DIR: the wrapper\n"
                 "<kernel>_<preset ident>.sv (one named AXI4 master per lane), kernel.xml and\n"
                 "link.cfg (scripts/rtl/README.md); the kernel interface is --kernel's")
      ->type_name("DIR");
  app.add_flag("--list", list, "list the shipped accelerator presets and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "spatten-gen: error: " << e.what() << " (see --help)\n";
    return 2;
  }

  try {
    if (list) {
      for (const auto& name : sm::list_presets(sm::PresetKind::accel)) std::cout << name << "\n";
      return 0;
    }
    if (!rtl_kernel_dir.empty() && preset.empty()) {
      std::cerr << "spatten-gen: error: --rtl-kernel needs --preset (see --help)\n";
      return 2;
    }
    const bool kernel_mode =
        !kernel.empty() || !kernel_cpp_out.empty() || !kernel_sv_out.empty() || !kernel_tcl_out.empty();
    if (preset.empty() && !kernel_mode) {
      std::cerr << "spatten-gen: error: --preset is required (or --kernel for the kernel interface; see --help)\n";
      return 2;
    }
    if (preset.empty() && (!cpp_out.empty() || !sv_out.empty() || !tcl_out.empty())) {
      std::cerr << "spatten-gen: error: --cpp/--sv/--tcl need --preset (see --help)\n";
      return 2;
    }
    bool ok = true;
    if (kernel_mode) {
      const std::filesystem::path kfile = kernel.empty() ? sm::default_kernel_interface() : std::filesystem::path(kernel);
      const sm::KernelInterface k = sm::load_kernel_interface(kfile);
      const std::string ksource = sm::source_label(kfile);
      if (!kernel_cpp_out.empty()) ok = write_if_changed(kernel_cpp_out, sm::generate_kernel_cpp(k, ksource)) && ok;
      if (!kernel_sv_out.empty()) ok = write_if_changed(kernel_sv_out, sm::generate_kernel_sv(k, ksource)) && ok;
      if (!kernel_tcl_out.empty()) ok = write_if_changed(kernel_tcl_out, sm::generate_kernel_tcl(k, ksource)) && ok;
      if (kernel_cpp_out.empty() && kernel_sv_out.empty() && kernel_tcl_out.empty()) {
        std::cout << "spatten-gen: " << ksource << ": kernel interface '" << k.name << "' is valid\n";
      }
      if (preset.empty()) return ok ? 0 : 1;
    }
    const std::filesystem::path file = sm::find_preset(sm::PresetKind::accel, preset);
    const sm::AcceleratorPreset p = sm::load_accelerator(file);
    const std::string source = sm::source_label(file);
    if (!cpp_out.empty()) ok = write_if_changed(cpp_out, sm::generate_cpp_header(p, source)) && ok;
    if (!sv_out.empty()) ok = write_if_changed(sv_out, sm::generate_sv_package(p, source)) && ok;
    if (!tcl_out.empty()) ok = write_if_changed(tcl_out, sm::generate_tcl(p, source)) && ok;
    if (!rtl_kernel_dir.empty()) {
      const std::filesystem::path kfile = kernel.empty() ? sm::default_kernel_interface() : std::filesystem::path(kernel);
      const sm::KernelInterface k = sm::load_kernel_interface(kfile);
      const std::string both = source + " and " + sm::source_label(kfile);
      const std::filesystem::path dir(rtl_kernel_dir);
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) {
        std::cerr << "spatten-gen: error: cannot create " << dir.string() << ": " << ec.message() << "\n";
        return 1;
      }
      const std::string top = sm::rtl_kernel_top(p, k);
      ok = write_if_changed((dir / (top + ".sv")).string(), sm::generate_rtl_kernel_wrapper(p, k, both)) && ok;
      ok = write_if_changed((dir / "kernel.xml").string(), sm::generate_rtl_kernel_xml(p, k)) && ok;
      ok = write_if_changed((dir / "link.cfg").string(), sm::generate_rtl_link_cfg(p, k, both)) && ok;
    }
    if (cpp_out.empty() && sv_out.empty() && tcl_out.empty() && rtl_kernel_dir.empty()) {
      std::cout << "spatten-gen: " << source << ": preset '" << p.name << "' is valid\n";
    }
    return ok ? 0 : 1;
  } catch (const sm::PresetError& e) {
    std::cerr << "spatten-gen: error: " << e.what() << "\n";
    return 2;
  }
}
