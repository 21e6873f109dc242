# Included from tests/cmodel/CMakeLists.txt.
# Energy pricing and the JSON record / summary, on hand-built runs (label model).
spatten_add_gtest(test_cmodel_energy_report LABEL model
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_energy_report.cpp
  LIBS spatten::cmodel spatten::models)
# spatten-sim as a process: --help, the default run, --json, bad input, traces,
# --no-skip (label system).
spatten_add_gtest(test_spatten_sim_tool LABEL system
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spatten_sim_tool.cpp
  LIBS nlohmann_json::nlohmann_json)
target_compile_definitions(test_spatten_sim_tool PRIVATE SPATTEN_SIM_TOOL="$<TARGET_FILE:spatten-sim>")
add_dependencies(test_spatten_sim_tool spatten-sim)
