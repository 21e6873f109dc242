# AXI4 memory responder (sim/cosim/axi_memory.h) against a plain HbmMemory and
# a byte-array shadow, driven by C++ test masters (no RTL): data, beat cycles,
# protocol errors, jitter determinism. tests/cosim/test_axi_memory.cpp.
spatten_add_gtest(test_axi_memory LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_axi_memory.cpp
  LIBS spatten::cosim_axi spatten::cmodel)
