# Key/value fetcher (hw/rtl/row_fetcher.sv) under Verilator against the cycle
# model's RowFetcher over an HbmMemory (cycles, DRAM requests, rows delivered,
# positions) and the memory's bytes (every plane beat passed to the buffer):
# tests/cosim/test_row_fetcher_rtl.cpp. The RTL's memory is an AxiMemory with
# the same HbmConfig (random per segment of runs, jitter included). Every set
# uses BEAT_BYTES = 32; the test's Set constants repeat the parameters.
#   row_fetcher_l1_b3_o2     one lane, a 3-row buffer, 2 requests outstanding:
#                            the credit and the outstanding limit bind
#   row_fetcher_l3_b7_o5     non-power-of-two lanes and buffer, 2 read ports
#   row_fetcher_l4_b64_o16   4 lanes, 4 read ports, rows of at most 2 beats
#   row_fetcher_l2_b1024_o128  spatten-1-8's fetcher (LANES 2, BUF_ROWS 1024,
#                            MAX_OUT 128, N_MAX 4096, 8-beat rows, 1 read port)
#   row_fetcher_l2_b1_o1     the minimums: a 1-row buffer, 1 request per lane,
#                            1-beat rows, N_MAX 20 (not a multiple of 8 ids)
# SPATTEN_ROW_FETCHER_SV: the RTL these sets verilate (hw/rtl/row_fetcher.sv);
# a separate build tree may point it at a mutated copy to check that the test
# catches a planted fault.
set(SPATTEN_ROW_FETCHER_SV ${SPATTEN_RTL_DIR}/row_fetcher.sv CACHE FILEPATH "row_fetcher source of test_row_fetcher_rtl")
set(_rf_libs)
# LANES;BUF_ROWS;MAX_OUT;N_MAX;MAX_ROW_BEATS;ROWS;P_SEL
foreach(_rf_set IN ITEMS "1;3;2;64;4;1;4" "3;7;5;256;8;2;16" "4;64;16;512;2;4;8" "2;1024;128;4096;8;1;16"
                         "2;1;1;20;1;2;3")
  list(GET _rf_set 0 _rf_l)
  list(GET _rf_set 1 _rf_b)
  list(GET _rf_set 2 _rf_o)
  list(GET _rf_set 3 _rf_n)
  list(GET _rf_set 4 _rf_rb)
  list(GET _rf_set 5 _rf_r)
  list(GET _rf_set 6 _rf_p)
  set(_rf_t row_fetcher_l${_rf_l}_b${_rf_b}_o${_rf_o})
  spatten_verilate_unit(${_rf_t} TOP row_fetcher SOURCES ${SPATTEN_ROW_FETCHER_SV}
                        PARAMS LANES=${_rf_l} BEAT_BYTES=32 BUF_ROWS=${_rf_b} MAX_OUT=${_rf_o} N_MAX=${_rf_n}
                               MAX_ROW_BEATS=${_rf_rb} ROWS=${_rf_r} P_SEL=${_rf_p})
  list(APPEND _rf_libs ${_rf_t})
endforeach()

spatten_add_gtest(test_row_fetcher_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_row_fetcher_rtl.cpp
  LIBS ${_rf_libs} spatten::cosim_axi spatten::cmodel)
