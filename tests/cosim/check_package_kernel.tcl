# tests/cosim/check_package_kernel.tcl — run the RTL kernel's Vivado packaging
# (scripts/rtl/package_kernel.tcl) and its front end without AMD tools.
#   tclsh check_package_kernel.tcl REPO_DIR BUILD_DIR WORK_DIR
# 1. For each board preset, package_kernel.tcl runs in a child interpreter with
#    the Vivado commands it uses stubbed (each call recorded, and the answers a
#    project would give: the files, the fileset, the core, the bus interfaces
#    Vivado infers from the wrapper's port names). The recorded calls must:
#    add files that exist, in the order Verilator reads them, the wrapper last;
#    define SPATTEN_PRESET_PKG to a package the preset's SV file declares;
#    set the top to the module the wrapper declares; create the project on
#    the preset's part; clock every AXI interface of the wrapper by ap_clk;
#    mark the core an RTL kernel; package_xo it under the kernel.xml's name
#    with a kernel.xml that exists; in the packaging order of AMD UG1393.
# 2. Bad calls stop with exit code 2: wrong argument count, a build tree
#    without the generated files, a preset without a board.
# 3. package-kernel.sh: --help, an unknown argument, a bad --target and a
#    missing vivado each end as documented.
# Prints what it checked; each failure is one line; the exit status is the
# number of failures (capped at 1).
lassign $argv repo build work
set build [file normalize $build]
set work [file normalize $work]
set errors 0
set checked 0
proc fail {msg} { global errors; incr errors; puts "check_package_kernel: FAIL: $msg" }
proc ok {} { global checked; incr checked }
set script [file join $repo scripts rtl package_kernel.tcl]
set gen [file join $build generated]

# The stubbed Vivado commands. Each records {name args...} in ::calls.
set recorded {create_project add_files set_property update_compile_order ipx::package_project
              ipx::unload_core ipx::edit_ip_in_project ipx::associate_bus_interfaces ipx::create_xgui_files
              ipx::update_checksums ipx::check_integrity ipx::save_core close_project package_xo}

# Runs package_kernel.tcl with argv; returns {exit_code error calls}. An
# error the script raises (other than its exit) is returned as the error.
proc run_packaging {argv_list busifs} {
  global recorded script
  set i [interp create]
  $i eval {set ::calls {}; namespace eval ipx {}}
  foreach c $recorded {
    $i eval [list proc $c args "lappend ::calls \[list $c {*}\$args\]; return {}"]
  }
  # what a project answers
  $i eval {proc get_files {files} { return $files }}
  $i eval {proc current_fileset {} { return sources_1 }}
  $i eval {proc ipx::current_core {} { return core_0 }}
  $i eval [list proc ipx::get_bus_interfaces {args} [list return $busifs]]
  $i eval {proc get_property {name obj} {
    if {$name ne "NAME"} { error "get_property: unexpected property $name" }
    return $obj
  }}
  # stderr lines of the script (its usage and error messages) are kept
  $i eval {set ::stderr_lines {}}
  $i eval {rename puts ::tcl_puts}
  $i eval {proc puts {args} {
    if {[llength $args] == 2 && [lindex $args 0] eq "stderr"} { lappend ::stderr_lines [lindex $args 1]; return }
    ::tcl_puts {*}$args
  }}
  $i eval {proc exit {{code 0}} { set ::exit_code $code; return -code error __exit__ }}
  $i eval [list set argv $argv_list]
  $i eval [list set argc [llength $argv_list]]
  set err ""
  if {[catch {$i eval [list source $script]} e]} { if {$e ne "__exit__"} { set err $e } }
  set code [$i eval {expr {[info exists ::exit_code] ? $::exit_code : 0}}]
  set calls [$i eval {set ::calls}]
  set msgs [$i eval {set ::stderr_lines}]
  interp delete $i
  return [list $code $err $calls $msgs]
}

proc read_file {f} { set h [open $f]; set t [read $h]; close $h; return $t }
proc calls_named {calls name} {
  set out {}
  foreach c $calls { if {[lindex $c 0] eq $name} { lappend out $c } }
  return $out
}
proc first_index {calls name} {
  set k 0
  foreach c $calls { if {[lindex $c 0] eq $name} { return $k }; incr k }
  return -1
}

set boards {}
foreach f [glob -nocomplain [file join $gen tcl *.tcl]] {
  set p [file rootname [file tail $f]]
  if {$p eq "spatten-kernel"} continue
  if {[regexp {set SPATTEN_BOARD_PART } [read_file $f]] && [file isdirectory [file join $gen rtl-kernel $p]]} {
    lappend boards $p
  }
}
if {[llength $boards] == 0} { fail "no board preset with a generated RTL kernel under $gen"; }

foreach preset [lsort $boards] {
  # the facts, from the generated files
  set p [interp create]
  $p eval [list source [file join $gen tcl $preset.tcl]]
  $p eval [list source [file join $gen tcl spatten-kernel.tcl]]
  $p eval [list source [file join $gen rtl-kernel sources.tcl]]
  set part [$p eval {set SPATTEN_BOARD_PART}]
  set golden_pkg [$p eval {set SPATTEN_RTL_GOLDEN_PKG}]
  set rtl_sources [$p eval {set SPATTEN_RTL_SOURCES}]
  set preset_sv [file join [$p eval {set SPATTEN_RTL_PRESET_SV_DIR}] $preset.sv]
  interp delete $p
  set kdir [file join $gen rtl-kernel $preset]
  set kxml [file join $kdir kernel.xml]
  if {![regexp {<kernel name="([^"]+)"} [read_file $kxml] -> kname]} { fail "$preset: no kernel name in $kxml"; continue }
  set wrapper [file join $kdir $kname.sv]
  if {![file exists $wrapper]} { fail "$preset: the wrapper $wrapper (kernel.xml's name) does not exist"; continue }
  set wtext [read_file $wrapper]
  # the AXI interfaces Vivado infers from the wrapper's port names (its
  # header only: the body connects spatten_attention's packed lane ports)
  set m0 [string first "module $kname (" $wtext]
  set m1 [string first ");" $wtext $m0]
  if {$m0 < 0 || $m1 < 0} { fail "$preset: no 'module $kname (' port list in $wrapper"; continue }
  set ports [string range $wtext $m0 $m1]
  set busifs {}
  foreach {- name} [regexp -all -inline {\m(m_axi_[a-z0-9]+)_(?:ar|aw|r|w|b)(?:valid|ready)\M} $ports] {
    if {[lsearch -exact $busifs $name] < 0} { lappend busifs $name }
  }
  if {[regexp {\ms_axi_control_awvalid\M} $ports]} { lappend busifs s_axi_control }
  if {[llength $busifs] < 2} { fail "$preset: the wrapper's ports give only these AXI interfaces: $busifs" }
  # a clock and a reset interface are inferred too; they are not AXI and get no clock association
  lappend busifs ap_clk ap_rst_n

  set xo [file join $work $preset out.xo]
  set pwork [file join $work $preset work]
  lassign [run_packaging [list $preset $build $xo $pwork] $busifs] code err calls msgs
  if {$code != 0 || $err ne ""} { fail "$preset: package_kernel.tcl stopped (exit $code, $err; [join $msgs {; }])"; continue }
  ok

  # the project on the preset's part
  set cp [calls_named $calls create_project]
  if {[llength $cp] != 1 || [lsearch -exact [lindex $cp 0] -part] < 0
      || [lindex [lindex $cp 0] [expr {[lsearch -exact [lindex $cp 0] -part] + 1}]] ne $part} {
    fail "$preset: expected one create_project ... -part $part, got $cp"
  } else { ok }

  # the files: all exist, in Verilator's order, the wrapper last
  set af [calls_named $calls add_files]
  if {[llength $af] != 1} { fail "$preset: expected one add_files, got [llength $af]"; continue }
  set files [lindex [lindex $af 0] end]
  set want [concat [list $golden_pkg $preset_sv] $rtl_sources [list $wrapper]]
  if {$files ne $want} { fail "$preset: add_files lists\n  $files\nexpected\n  $want" } else { ok }
  foreach f $files {
    if {![file exists $f]} { fail "$preset: add_files names $f, which does not exist" } else { ok }
  }
  set ft 0
  foreach c [calls_named $calls set_property] {
    if {[lindex $c 1] eq "file_type" && [lindex $c 2] eq "SystemVerilog" && [lindex $c 3] eq $files} { set ft 1 }
  }
  if {!$ft} { fail "$preset: the sources are not all marked SystemVerilog" } else { ok }

  # the preset package define names a package the preset's file declares
  set define ""
  set top ""
  foreach c [calls_named $calls set_property] {
    if {[lindex $c 1] eq "verilog_define"} { set define [lindex $c 2] }
    if {[lindex $c 1] eq "top"} { set top [lindex $c 2] }
  }
  if {![regexp {^SPATTEN_PRESET_PKG=(\w+)$} [lindex $define 0] -> pkg]} {
    fail "$preset: verilog_define is '$define', expected SPATTEN_PRESET_PKG=<package>"
  } elseif {![regexp "\\mpackage $pkg;" [read_file $preset_sv]]} {
    fail "$preset: SPATTEN_PRESET_PKG=$pkg, but $preset_sv declares no package $pkg"
  } else { ok }
  # the top is the wrapper's module, which is kernel.xml's kernel
  if {$top ne $kname} { fail "$preset: top is '$top', kernel.xml names '$kname'" } else { ok }
  if {![regexp "\\mmodule $top\\M" $wtext]} { fail "$preset: the wrapper declares no module $top" } else { ok }

  # every AXI interface on ap_clk, and only those
  set clocked {}
  foreach c [calls_named $calls ipx::associate_bus_interfaces] {
    set b [lindex $c [expr {[lsearch -exact $c -busif] + 1}]]
    set k [lindex $c [expr {[lsearch -exact $c -clock] + 1}]]
    if {$k ne "ap_clk"} { fail "$preset: $b is clocked by '$k'" }
    lappend clocked $b
  }
  set axi [lsearch -all -inline -not -regexp $busifs {^ap_}]
  if {[lsort $clocked] ne [lsort $axi]} {
    fail "$preset: interfaces clocked by ap_clk: [lsort $clocked]; the wrapper's AXI interfaces: [lsort $axi]"
  } else { ok }
  if {![regexp {\minput\s+logic\s+ap_clk\M} $ports]} { fail "$preset: the wrapper has no ap_clk input" } else { ok }

  # an RTL kernel core
  set marks {}
  foreach c [calls_named $calls set_property] {
    if {[lindex $c 1] in {sdx_kernel sdx_kernel_type}} { lappend marks [lindex $c 1]=[lindex $c 2] }
  }
  if {[lsort $marks] ne {sdx_kernel=true sdx_kernel_type=rtl}} { fail "$preset: kernel marks $marks" } else { ok }

  # package_xo: the output, the kernel name, a kernel.xml that exists
  set px [calls_named $calls package_xo]
  if {[llength $px] != 1} { fail "$preset: expected one package_xo, got [llength $px]"; continue }
  set px [lindex $px 0]
  foreach {opt want} [list -xo_path $xo -kernel_name $kname -kernel_xml $kxml] {
    set at [lsearch -exact $px $opt]
    if {$at < 0 || [lindex $px [expr {$at + 1}]] ne $want} {
      fail "$preset: package_xo $opt is '[expr {$at < 0 ? {} : [lindex $px [expr {$at + 1}]]}]', expected '$want'"
    } else { ok }
  }

  # UG1393's order
  set order {create_project add_files update_compile_order ipx::package_project ipx::edit_ip_in_project
             ipx::associate_bus_interfaces ipx::create_xgui_files ipx::update_checksums ipx::check_integrity
             ipx::save_core close_project package_xo}
  set last -1
  foreach name $order {
    set at [first_index $calls $name]
    if {$at < 0} { fail "$preset: no $name call"; continue }
    if {$at < $last} { fail "$preset: $name comes before an earlier step of the packaging order" }
    set last $at
  }
  ok
  # check_integrity in kernel mode: what v++ will check
  set ci [calls_named $calls ipx::check_integrity]
  if {[lsearch -exact [lindex $ci 0] -kernel] < 0} { fail "$preset: ipx::check_integrity without -kernel" } else { ok }
  # the work directory was made fresh
  if {![file isdirectory $pwork]} { fail "$preset: the work directory $pwork was not created" } else { ok }
}

# 2. bad calls: exit 2 with a message
set board [lindex [lsort $boards] 0]
foreach {what argv_list expect} [list \
    "three arguments" [list $board $build $work/x.xo] "usage:" \
    "a build tree without the generated files" [list $board [file join $work no-build] $work/x.xo $work/w] "not found" \
    "a preset without a board" [list spatten-1-8 $build $work/x.xo $work/w] "has no board"] {
  lassign [run_packaging $argv_list {}] code err calls msgs
  if {$code != 2} {
    fail "$what: exit $code, expected 2 ($err)"
  } elseif {[string first $expect [join $msgs "\n"]] < 0} {
    fail "$what: no '$expect' in its message: [join $msgs {; }]"
  } elseif {[llength [calls_named $calls create_project]] != 0} {
    fail "$what: a project was created all the same"
  } else { ok }
}
# spatten-1-8 must reach the "no board" check: its generated files exist
if {![file exists [file join $gen rtl-kernel spatten-1-8 kernel.xml]]} {
  fail "spatten-1-8 has no generated kernel.xml: the no-board case above did not test what it says"
}

# 3. the front end
set sh [file join $repo scripts rtl package-kernel.sh]
proc run_sh {sh args} {
  # PATH without vivado: the machines this runs on have none, and the check must not find one
  set rc [catch {exec env PATH=/usr/bin:/bin bash $sh {*}$args 2>@1} out opts]
  set code 0
  if {$rc} {
    set ec [dict get $opts -errorcode]
    if {[lindex $ec 0] eq "CHILDSTATUS"} { set code [lindex $ec 2] } else { set code -1 }
  }
  return [list $code $out]
}
foreach {what args code expect} [list \
    "--help" {--help} 0 "--preset NAME" \
    "an unknown argument" {--bogus} 2 "unknown argument '--bogus'" \
    "a bad --target" {--target sw} 2 "--target must be hw or hw_emu" \
    "a missing build tree" [list --build [file join $work no-build]] 2 "build directory not found" \
    "a preset without a board" [list --build $build --preset spatten-1-8] 2 "has no board" \
    "no vivado on PATH" [list --build $build --preset $board --out [file join $work sh-out]] 2 "vivado not found on PATH"] {
  lassign [run_sh $sh {*}$args] c out
  if {$c != $code} {
    fail "package-kernel.sh $what: exit $c, expected $code: $out"
  } elseif {[string first $expect $out] < 0} {
    fail "package-kernel.sh $what: no '$expect' in: $out"
  } else { ok }
}

puts "check_package_kernel: [llength $boards] board presets ([join [lsort $boards] {, }]), $checked checks passed, $errors failed"
exit [expr {$errors > 0}]
