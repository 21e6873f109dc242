# Included from sim/cmodel/CMakeLists.txt after spatten_cmodel is defined:
# the energy model, the JSON record and the tools' output helpers (energy.cpp,
# report.cpp, tool_io.cpp) join spatten_cmodel, and the spatten-sim tool
# (build/bin/spatten-sim) is built.
# Paths use CMAKE_CURRENT_LIST_DIR so the file works from any includer.
target_sources(spatten_cmodel PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/energy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/tool_io.cpp)
# energy.h includes spatten/models/presets.h; report.h includes nlohmann/json.hpp.
target_link_libraries(spatten_cmodel PUBLIC spatten_models nlohmann_json::nlohmann_json PRIVATE fmt::fmt)

add_executable(spatten-sim ${CMAKE_CURRENT_LIST_DIR}/tools/spatten_sim.cpp)
target_link_libraries(spatten-sim PRIVATE spatten_cmodel spatten_models spatten_trace CLI11::CLI11
                      fmt::fmt nlohmann_json::nlohmann_json spatten_warnings)
