# The whole RTL kernel (hw/rtl/spatten_attention.sv) driven through
# s_axi_control and AXI memory, against golden values and the cycle model's
# cycles: tests/cosim/test_kernel_rtl.cpp (sim/cosim/kernel_cosim.h).
# kernel_spatten_1_8 (the spatten-1-8 preset, 2 lanes, 64 + 64 multipliers)
# is verilated in sim/cosim/CMakeLists.txt, shared with the tool and the bench.
spatten_add_gtest(test_kernel_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kernel_rtl.cpp
  LIBS kernel_spatten_1_8 spatten::cosim_kernel spatten::cmodel spatten::models)
