# Project-wide compiler flags: strict warnings (errors unless SPATTEN_WERROR=OFF)
# and the optional sanitizer build. Applied through an interface target so that
# third-party code and generated Verilator sources are not affected.
add_library(spatten_warnings INTERFACE)
target_compile_options(spatten_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Wformat=2
  # HLS code labels every loop (LABEL: for ...) for pragmas and QoR reports;
  # this must come after -Wall, since clang honours the last flag.
  -Wno-unused-label)
if(SPATTEN_WERROR)
  target_compile_options(spatten_warnings INTERFACE -Werror)
endif()

if(SPATTEN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz builds (clang): instrument every target for coverage and the sanitizers,
# so libFuzzer sees the parsers' branches; the fuzz targets add the driver
# (-fsanitize=fuzzer) themselves in tests/CMakeLists.txt.
if(SPATTEN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SPATTEN_FUZZ needs clang++ (use the 'fuzz' preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
