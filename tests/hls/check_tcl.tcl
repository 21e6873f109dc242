# tests/hls/check_tcl.tcl — parse-check the HLS flow Tcl without AMD tools.
#   tclsh check_tcl.tcl SCRIPTS_HLS_DIR GENERATED_DIR   (build/generated)
# 1. Every *.tcl in both folders is complete Tcl (info complete, command by command).
# 2. The generated files source cleanly and define what the flow reads.
# 3. run_hls.tcl is run in a child interpreter with the Vitis HLS commands stubbed
#    (recording their arguments), for each board preset and step; the recorded
#    calls must name the preset's top, part and clock from the generated Tcl.
# 4. Without the stubs, run_hls.tcl must stop with its "needs the AMD Vitis HLS" message.
set dir [lindex $argv 0]
set gen [lindex $argv 1]
set gtcl $gen/tcl
set errors 0
proc fail {msg} { global errors; incr errors; puts "check_tcl: $msg" }

foreach f [concat [glob -nocomplain $dir/*.tcl] [glob -nocomplain $gtcl/*.tcl]] {
  set fh [open $f]; set text [read $fh]; close $fh
  if {![info complete $text]} { fail "$f: incomplete Tcl (unbalanced braces, brackets or quotes)"; continue }
  # command by command, so an error names its line
  set cmd ""; set line 0; set start 1
  foreach l [split $text "\n"] {
    incr line
    if {$cmd eq ""} { set start $line }
    append cmd $l "\n"
    if {[info complete $cmd]} { set cmd "" }
  }
  if {$cmd ne ""} { fail "$f:$start: command never completes" }
}

set stubs {open_project set_top add_files open_solution set_part create_clock config_interface config_dataflow
           csim_design csynth_design cosim_design export_design close_project}
foreach preset {alveo-u55c alveo-u280} {
  foreach step {csim csynth cosim xo} {
    set i [interp create]
    $i eval {set ::calls {}}
    foreach s $stubs { $i eval [list proc $s args "lappend ::calls \[list $s {*}\$args\]"] }
    $i eval {proc exit {{code 0}} { set ::exit_code $code; return -code error EXIT }}
    $i eval [list set argv [list $preset $step $gen /repo]]
    $i eval [list set argc 4]
    catch {$i eval [list source $dir/run_hls.tcl]} err
    set code [$i eval {expr {[info exists ::exit_code] ? $::exit_code : -1}}]
    set calls [$i eval {set ::calls}]
    if {$code != 0} { fail "run_hls.tcl $preset $step: exit $code ($err)"; interp delete $i; continue }
    # the expected values, from the generated files
    set p [interp create]
    $p eval [list source $gtcl/$preset.tcl]
    $p eval [list source $gtcl/spatten-kernel.tcl]
    set top [$p eval [list spatten_kernel_top $preset]]
    set part [$p eval {set SPATTEN_BOARD_PART}]
    set period [$p eval {set SPATTEN_CLOCK_PERIOD_NS}]
    interp delete $p
    if {[lsearch -exact $calls [list set_top $top]] < 0} { fail "$preset $step: no 'set_top $top' in $calls" }
    if {[lsearch -exact $calls [list set_part $part]] < 0} { fail "$preset $step: no 'set_part $part'" }
    if {[lsearch -exact $calls [list create_clock -period $period -name default]] < 0} { fail "$preset $step: clock" }
    set last [lindex [lindex $calls end] 0]
    set want [dict get {csim csim_design csynth csynth_design cosim cosim_design xo export_design} $step]
    if {$last ne $want} { fail "$preset $step: last Vitis command is '$last', expected '$want'" }
    interp delete $i
  }
}
# no stubs: the script must refuse with its message
set i [interp create]
$i eval {proc exit {{code 0}} { set ::exit_code $code; return -code error EXIT }}
$i eval [list set argv [list alveo-u55c csim $gen /repo]]
set chan [file tempfile tmpname]
close $chan
$i eval [list set ::errfile $tmpname]
$i eval {rename puts ::tcl_puts; proc puts args { set fh [open $::errfile a]; ::tcl_puts $fh [lindex $args end]; close $fh }}
catch {$i eval [list source $dir/run_hls.tcl]}
set code [$i eval {set ::exit_code}]
set fh [open $tmpname]; set msg [read $fh]; close $fh; file delete $tmpname
if {$code != 1 || ![string match "*needs the AMD Vitis HLS Tcl shell*" $msg]} {
  fail "run_hls.tcl without Vitis: exit $code, message '$msg'"
}
interp delete $i

if {$errors} { puts "check_tcl: $errors problem(s)"; exit 1 }
puts "check_tcl: Tcl complete; run_hls.tcl drives csim/csynth/cosim/xo with the generated top, part and clock for alveo-u55c and alveo-u280; refuses clearly without Vitis"
