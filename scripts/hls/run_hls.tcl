# scripts/hls/run_hls.tcl — the Vitis HLS flow of the SpAtten kernel (classic Tcl).
#
#   vitis_hls -f scripts/hls/run_hls.tcl -tclargs PRESET STEP GENERATED_DIR REPO_ROOT
#     PRESET         alveo-u55c | alveo-u280 (any preset with a board)
#     STEP           csim | csynth | cosim | xo   (each includes the ones before it, csim excepted)
#     GENERATED_DIR  build/generated (spatten-gen outputs: tcl/<preset>.tcl, tcl/spatten-kernel.tcl)
#     REPO_ROOT      the repository root
# `make -f scripts/hls/Makefile csim|csynth|cosim|xo` runs it for you. Every
# name (top function, part, clock, argument bundles) comes from the generated
# Tcl, so nothing here repeats the preset or the kernel interface.

if {[llength [info commands open_project]] == 0} {
  puts stderr "run_hls.tcl: error: this script needs the AMD Vitis HLS Tcl shell (vitis_hls -f run_hls.tcl ...); open_project is not defined. Source <Vitis>/settings64.sh from a licensed install."
  exit 1
}
if {[llength $argv] != 4} {
  puts stderr "run_hls.tcl: error: usage: vitis_hls -f run_hls.tcl -tclargs PRESET csim|csynth|cosim|xo GENERATED_DIR REPO_ROOT"
  exit 2
}
lassign $argv preset step gen root
if {[lsearch -exact {csim csynth cosim xo} $step] < 0} {
  puts stderr "run_hls.tcl: error: STEP '$step' is not one of csim csynth cosim xo"
  exit 2
}
foreach f [list $gen/tcl/$preset.tcl $gen/tcl/spatten-kernel.tcl] {
  if {![file exists $f]} {
    puts stderr "run_hls.tcl: error: $f is missing; build the generated files first (cmake --build build --target spatten_generated_config spatten_generated_kernel_interface)"
    exit 2
  }
  source $f
}
if {![info exists SPATTEN_BOARD_PART]} {
  puts stderr "run_hls.tcl: error: preset '$preset' has no board (no part to synthesize for); use alveo-u55c or alveo-u280"
  exit 2
}

set top [spatten_kernel_top $SPATTEN_PRESET]
set ident [string map {- _} $SPATTEN_PRESET]
set cflags "-std=c++14 -I$root/hls/include -I$root/hls/kernels -I$gen"
set tbflags "$cflags -DSPATTEN_TB_IDENT=$ident"

open_project -reset hls_$SPATTEN_PRESET
set_top $top
add_files $root/hls/kernels/spatten_attention.cpp -cflags $cflags
# C-simulation / co-simulation test bench: the same bit-exact check as ctest -L hls
add_files -tb $root/scripts/hls/tb/csim_main.cpp -cflags $tbflags
open_solution -reset -flow_target vitis solution
set_part $SPATTEN_BOARD_PART
create_clock -period $SPATTEN_CLOCK_PERIOD_NS -name default
# Interfaces come from the pragmas generated with the kernel interface; one
# m_axi bundle per pointer (see SPATTEN_KERNEL_BUNDLE), widened to 512-bit beats.
config_interface -m_axi_alignment_byte_size 64 -m_axi_max_widen_bitwidth $SPATTEN_KERNEL_MAX_WIDEN_BITWIDTH
config_dataflow -strict_mode warning

if {$step eq "csim"} {
  csim_design
  exit 0
}
csynth_design
if {$step eq "csynth"} { exit 0 }
if {$step eq "cosim"} {
  cosim_design -rtl verilog
  exit 0
}
export_design -format xo -output $root/build/hls/$top.xo
exit 0
