# topk_engine.sv under Verilator against golden::topk_quickselect (selected
# indices) and cmodel::Accelerator::topk_cycles (busy cycles), three parameter
# sets: one lane, non-power-of-two lanes / row lengths, and the kernel's 64-bit
# words with 32-bit payloads (token ids) (tag:NAME=VALUE,...).
set(topk_engine_rtl_sets
  "p1:P=1,N_MAX=64,W=16"
  "p3:P=3,N_MAX=37,W=8,PLW=5"
  "p4:P=4,N_MAX=200,W=32"
  "p16:P=16,N_MAX=1000,W=32"
  "p16w64:P=16,N_MAX=700,W=64,PLW=32")   # the kernel's: importance words of decisions, token ids
set(topk_engine_rtl_libs)
foreach(set IN LISTS topk_engine_rtl_sets)
  string(REPLACE ":" ";" parts "${set}")
  string(REPLACE "," ";" parts "${parts}")
  list(GET parts 0 tag)
  list(SUBLIST parts 1 -1 params)
  spatten_verilate_unit(rtl_topk_engine_${tag} TOP topk_engine
    SOURCES ${SPATTEN_RTL_DIR}/topk_engine.sv PARAMS ${params})
  list(APPEND topk_engine_rtl_libs rtl_topk_engine_${tag})
endforeach()

spatten_add_gtest(test_topk_engine_rtl LABEL cosim
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_topk_engine_rtl.cpp
  LIBS ${topk_engine_rtl_libs} spatten::cmodel)
