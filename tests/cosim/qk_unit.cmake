# Q·K unit (hw/rtl/qk_unit.sv) under Verilator against the golden model's
# dot_qk/score_to_logit (values) and the cycle model's MacUnit rule with the
# run-time head dimension (cycles): tests/cosim/test_qk_unit_rtl.cpp; every set
# runs batches of the full D and of random hd in 1..D. Every set uses Q_BITS = K_BITS = 12,
# LOGIT_FRAC = 10; the test's table (kSets) repeats M, D and LATENCY.
#   qk_unit_m64_d64_l8   M = D: one row per cycle
#   qk_unit_m16_d80_l8   M < D: one row per 5 cycles, minimum latency 5 + 3
#   qk_unit_m256_d64_l8  4 rows per cycle
#   qk_unit_m24_d40_l5   M < D, last chunk partial (16 of 24 multipliers), minimum latency
#   qk_unit_m100_d48_l4  2 rows per cycle, 4 multipliers unused, minimum latency
#   qk_unit_m32_d128_l7  M < D = 128 (MAX_HEAD_DIM of a preset): 4 chunks, minimum
#                        latency; jobs with hd <= 32 take one cycle per row
set(_qk_unit_common Q_BITS=12 K_BITS=12 LOGIT_FRAC=10)
set(_qk_unit_libs)
foreach(_qk_set IN ITEMS "64;64;8" "16;80;8" "256;64;8" "24;40;5" "100;48;4" "32;128;7")
  list(GET _qk_set 0 _qk_m)
  list(GET _qk_set 1 _qk_d)
  list(GET _qk_set 2 _qk_l)
  set(_qk_t qk_unit_m${_qk_m}_d${_qk_d}_l${_qk_l})
  spatten_verilate_unit(${_qk_t} TOP qk_unit SOURCES ${SPATTEN_RTL_DIR}/mac_array.sv ${SPATTEN_RTL_DIR}/qk_unit.sv
                        PARAMS M=${_qk_m} D=${_qk_d} LATENCY=${_qk_l} ${_qk_unit_common})
  list(APPEND _qk_unit_libs ${_qk_t})
endforeach()

spatten_add_gtest(test_qk_unit_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_qk_unit_rtl.cpp
  LIBS ${_qk_unit_libs} spatten::cmodel spatten::golden)
