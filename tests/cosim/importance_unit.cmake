# importance_unit.sv under Verilator against a reference of the token
# importance memory (golden accumulate / prune semantics) and the cycle
# model's pass timings (importance_row_cycles + latencies), three parameter
# sets: the presets' 16 lanes, 8 lanes with 40-bit probabilities (sums past
# 32 bits), and a non-power-of-two 5 lanes over a row count that does not
# divide (tag:NAME=VALUE,...).
set(importance_unit_rtl_sets
  "p16:P=16,N_MAX=512,PBW=17"
  "p8:P=8,N_MAX=200,PBW=40"
  "p5:P=5,N_MAX=37,PBW=9")
set(importance_unit_rtl_libs)
foreach(set IN LISTS importance_unit_rtl_sets)
  string(REPLACE ":" ";" parts "${set}")
  string(REPLACE "," ";" parts "${parts}")
  list(GET parts 0 tag)
  list(SUBLIST parts 1 -1 params)
  spatten_verilate_unit(rtl_importance_unit_${tag} TOP importance_unit
    SOURCES ${SPATTEN_RTL_DIR}/importance_unit.sv PARAMS ${params})
  list(APPEND importance_unit_rtl_libs rtl_importance_unit_${tag})
endforeach()

spatten_add_gtest(test_importance_unit_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_importance_unit_rtl.cpp
  LIBS ${importance_unit_rtl_libs} spatten::cmodel)
