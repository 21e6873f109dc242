# The kernel's AXI4-Lite control slave (hw/rtl/s_axi_control.sv) under
# Verilator, over the generated register map (spatten_kernel_pkg), driven by
# the reusable AXI-Lite master (sim/cosim/axi_lite_master.h); the test plays
# the core side: tests/cosim/test_s_axi_control_rtl.cpp. One set, ADDR_BITS = 7
# (the map's 0x68 bytes; the test repeats it as kAddrBits). spatten::cmodel only
# for cosim_test_util.h.
spatten_verilate_unit(s_axi_control TOP s_axi_control
                      SOURCES ${SPATTEN_KERNEL_SV_PKG} ${SPATTEN_RTL_DIR}/s_axi_control.sv
                      PARAMS ADDR_BITS=7)

spatten_add_gtest(test_s_axi_control_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_s_axi_control_rtl.cpp
  LIBS s_axi_control spatten::kernel_interface spatten::cmodel)
target_include_directories(test_s_axi_control_rtl PRIVATE ${CMAKE_SOURCE_DIR}/sim/cosim)
