# prob·V unit (hw/rtl/pv_unit.sv) under Verilator against the golden model's
# pv_accumulate/pv_finish (values) and the cycle model's MacUnit (pv_unit) rule
# with the run-time head dimension followed by CollectUnit (output_stage, lanes
# max(1, M), tail 1) (cycles): tests/cosim/test_pv_unit_rtl.cpp; every set runs
# jobs of the full D and of random hd in 1..D. Every set uses PROB_FRAC = 16,
# V_BITS = 12, OUT_FRAC = 4; the test's table (kSets) repeats M, D and LATENCY.
#   pv_unit_m64_d64_l8   M = D: one row per cycle
#   pv_unit_m16_d80_l8   M < D: one row per 5 cycles, minimum latency 5 + 3
#   pv_unit_m256_d64_l8  4 rows per cycle
#   pv_unit_m24_d40_l5   M < D, last chunk partial (16 of 24 multipliers), minimum latency
#   pv_unit_m100_d48_l4  2 rows per cycle, 4 multipliers unused, minimum latency
#   pv_unit_m32_d128_l7  M < D = 128 (MAX_HEAD_DIM of a preset): 4 chunks, minimum
#                        latency; jobs with hd <= 32 take one cycle per row
set(_pv_unit_common PROB_FRAC=16 V_BITS=12 OUT_FRAC=4)
set(_pv_unit_libs)
foreach(_pv_set IN ITEMS "64;64;8" "16;80;8" "256;64;8" "24;40;5" "100;48;4" "32;128;7")
  list(GET _pv_set 0 _pv_m)
  list(GET _pv_set 1 _pv_d)
  list(GET _pv_set 2 _pv_l)
  set(_pv_t pv_unit_m${_pv_m}_d${_pv_d}_l${_pv_l})
  spatten_verilate_unit(${_pv_t} TOP pv_unit SOURCES ${SPATTEN_RTL_DIR}/mac_array.sv ${SPATTEN_RTL_DIR}/pv_unit.sv
                        PARAMS M=${_pv_m} D=${_pv_d} LATENCY=${_pv_l} ${_pv_unit_common})
  list(APPEND _pv_unit_libs ${_pv_t})
endforeach()

spatten_add_gtest(test_pv_unit_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pv_unit_rtl.cpp
  LIBS ${_pv_unit_libs} spatten::cmodel spatten::golden)
