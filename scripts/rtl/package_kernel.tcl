# scripts/rtl/package_kernel.tcl — package the RTL kernel of one preset as a
# Vitis kernel object (.xo), in Vivado batch mode:
#
#   vivado -mode batch -source scripts/rtl/package_kernel.tcl \
#          -tclargs <preset> <build dir> <out.xo> <work dir>
#
# scripts/rtl/package-kernel.sh is the front end (checks, defaults, v++ link).
# Everything the flow needs comes from the build tree, generated from the one
# description of each fact:
#   generated/tcl/<preset>.tcl           board part (spatten-gen, models/accel)
#   generated/tcl/spatten-kernel.tcl     kernel name (models/kernel)
#   generated/rtl-kernel/sources.tcl     the RTL sources in order (sim/cosim/CMakeLists.txt)
#   generated/rtl-kernel/<preset>/       the wrapper <kernel>_<preset ident>.sv and kernel.xml
# The steps are the RTL-kernel packaging of AMD UG1393 (package the top as an
# IP with its AXI interfaces on ap_clk, mark it a kernel, package_xo with the
# kernel.xml); not run in this repository's CI, which has no Vivado.
if {[llength $argv] != 4} {
  puts stderr "usage: vivado -mode batch -source package_kernel.tcl -tclargs <preset> <build dir> <out.xo> <work dir>"
  exit 2
}
lassign $argv preset build xo work
set gen [file normalize [file join $build generated]]
foreach f [list [file join $gen tcl $preset.tcl] [file join $gen tcl spatten-kernel.tcl] \
             [file join $gen rtl-kernel sources.tcl] [file join $gen rtl-kernel $preset kernel.xml]] {
  if {![file exists $f]} {
    puts stderr "package_kernel: $f not found: build the project first (cmake --build build)"
    exit 2
  }
}
source [file join $gen tcl $preset.tcl]
source [file join $gen tcl spatten-kernel.tcl]
source [file join $gen rtl-kernel sources.tcl]
if {![info exists SPATTEN_BOARD_PART]} {
  puts stderr "package_kernel: preset $preset has no board (models/accel/$preset.yaml): nothing to package for"
  exit 2
}
set ident [string map {- _} $preset]
set top "${SPATTEN_KERNEL_NAME}_${ident}"
set kdir [file join $gen rtl-kernel $preset]
set wrapper [file join $kdir $top.sv]
set ipdir [file normalize [file join $work ip]]
file delete -force $work
file mkdir $work

create_project -force kernel_pack [file join $work project] -part $SPATTEN_BOARD_PART
set sources [concat [list $SPATTEN_RTL_GOLDEN_PKG [file join $SPATTEN_RTL_PRESET_SV_DIR $preset.sv]] \
                    $SPATTEN_RTL_SOURCES [list $wrapper]]
add_files -norecurse $sources
set_property file_type SystemVerilog [get_files $sources]
set_property verilog_define [list "SPATTEN_PRESET_PKG=spatten_${ident}_pkg"] [current_fileset]
set_property top $top [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir $ipdir -vendor spatten.dev -library kernel -taxonomy /KernelIP -import_files \
  -set_current false
ipx::unload_core [file join $ipdir component.xml]
ipx::edit_ip_in_project -upgrade true -name kernel_edit -directory [file join $work edit] [file join $ipdir component.xml]
set core [ipx::current_core]
set_property core_revision 1 $core
# every AXI interface (inferred from the m_axi_<name>_* / s_axi_control_* port
# names) is clocked by ap_clk; ap_rst_n is its reset
foreach busif [ipx::get_bus_interfaces -of_objects $core] {
  set name [get_property NAME $busif]
  if {[string match m_axi_* $name] || $name eq "s_axi_control"} {
    ipx::associate_bus_interfaces -busif $name -clock ap_clk $core
  }
}
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity -kernel $core
ipx::save_core $core
close_project -delete

package_xo -force -xo_path $xo -kernel_name $top -ip_directory $ipdir -kernel_xml [file join $kdir kernel.xml]
puts "package_kernel: wrote $xo (kernel $top, part $SPATTEN_BOARD_PART)"
