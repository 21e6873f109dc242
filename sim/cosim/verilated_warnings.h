// Around the includes of Verilator's headers and generated models: their code
// is not clean under the project's warning flags (CMake also marks their
// folders as system headers; these pragmas cover what GCC still reports for
// code expanded from them).
#pragma once

// clang-format off
#define SPATTEN_VERILATED_BEGIN                                     \
  _Pragma("GCC diagnostic push")                                    \
  _Pragma("GCC diagnostic ignored \"-Wold-style-cast\"")           \
  _Pragma("GCC diagnostic ignored \"-Wconversion\"")               \
  _Pragma("GCC diagnostic ignored \"-Wsign-conversion\"")          \
  _Pragma("GCC diagnostic ignored \"-Wshadow\"")                   \
  _Pragma("GCC diagnostic ignored \"-Wpedantic\"")                 \
  _Pragma("GCC diagnostic ignored \"-Wcast-align\"")               \
  _Pragma("GCC diagnostic ignored \"-Wnull-dereference\"")         \
  _Pragma("GCC diagnostic ignored \"-Wuseless-cast\"")             \
  _Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")
#define SPATTEN_VERILATED_END _Pragma("GCC diagnostic pop")
// clang-format on
