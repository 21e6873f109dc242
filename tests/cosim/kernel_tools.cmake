# The whole RTL kernel on the official traces, and the spatten-cosim tool as a
# process (label cosim; sim/cosim/README.md).
#   test_kernel_traces       the first rows of each official trace (SPATTEN_TRACE_DIR)
#                            as one call on spatten-1-8, against golden and the
#                            cycle model; jobs_from_trace / make_job_exact
#   test_kernel_traces_alveo_u55c  the same rows on alveo-u55c under memory jitter
#                            (not in the sanitizer build)
#   test_spatten_cosim_tool  --help, bad input (exit 2), the default run,
#                            --json, --wave
spatten_add_gtest(test_kernel_traces LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kernel_traces.cpp
  LIBS kernel_spatten_1_8 spatten::cosim_kernel spatten::cmodel spatten::models spatten::trace)
if(SPATTEN_REQUIRE_TRACES)
  target_compile_definitions(test_kernel_traces PRIVATE SPATTEN_REQUIRE_TRACES=1)
else()
  target_compile_definitions(test_kernel_traces PRIVATE SPATTEN_REQUIRE_TRACES=0)
endif()

if(NOT TARGET spatten-cosim)
  return()  # the sanitizer build has no spatten-cosim nor alveo-u55c model (sim/cosim/CMakeLists.txt)
endif()
spatten_add_gtest(test_kernel_traces_alveo_u55c LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kernel_traces.cpp
  LIBS kernel_alveo_u55c spatten::cosim_kernel spatten::cmodel spatten::models spatten::trace)
target_compile_definitions(test_kernel_traces_alveo_u55c PRIVATE SPATTEN_TRACE_KERNEL_U55C=1
  SPATTEN_REQUIRE_TRACES=$<BOOL:${SPATTEN_REQUIRE_TRACES}>)
spatten_add_gtest(test_spatten_cosim_tool LABEL cosim
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spatten_cosim_tool.cpp
  LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_spatten_cosim_tool PRIVATE SPATTEN_COSIM_TOOL="$<TARGET_FILE:spatten-cosim>")
add_dependencies(test_spatten_cosim_tool spatten-cosim)
