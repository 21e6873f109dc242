# softmax_unit.sv under Verilator against golden::softmax_row and
# golden::needs_lsb_refetch (every probability, max_prob, argmax, exp_sum, the
# requant decision) and the cycle model's CollectUnit timing (done exactly
# ceil(n/L)*2 + 39 cycles after the last logit is taken):
# tests/cosim/test_softmax_unit_rtl.cpp. The test's table repeats the sets.
#   l1   one lane, N_MAX = 64 (the presets' numerics F = 10, P = 16)
#   l4   four lanes, N_MAX = 100 (last row partial)
#   l16  sixteen lanes, N_MAX = 1024
#   l3   three lanes (non-power-of-two rotator), N_MAX = 37, widest numerics F = 16, P = 24
set(softmax_unit_rtl_sets
  "l1:L=1,N_MAX=64,F=10,P=16"
  "l4:L=4,N_MAX=100,F=10,P=16"
  "l16:L=16,N_MAX=1024,F=10,P=16"
  "l3:L=3,N_MAX=37,F=16,P=24")
set(softmax_unit_rtl_libs)
foreach(set IN LISTS softmax_unit_rtl_sets)
  string(REPLACE ":" ";" parts "${set}")
  string(REPLACE "," ";" parts "${parts}")
  list(GET parts 0 tag)
  list(SUBLIST parts 1 -1 params)
  spatten_verilate_unit(rtl_softmax_unit_${tag} TOP softmax_unit
    SOURCES ${SPATTEN_RTL_DIR}/softmax_unit.sv PARAMS ${params})
  list(APPEND softmax_unit_rtl_libs rtl_softmax_unit_${tag})
endforeach()

spatten_add_gtest(test_softmax_unit_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_softmax_unit_rtl.cpp
  LIBS ${softmax_unit_rtl_libs} spatten::cmodel spatten::golden)
