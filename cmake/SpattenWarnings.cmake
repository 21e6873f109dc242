# Project-wide compiler flags: strict warnings (errors unless SPATTEN_WERROR=OFF)
# and the optional sanitizer build. Applied through an interface target so that
# third-party code and generated Verilator sources are not affected.
add_library(spatten_warnings INTERFACE)
target_compile_options(spatten_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
if(SPATTEN_WERROR)
  target_compile_options(spatten_warnings INTERFACE -Werror)
endif()

if(SPATTEN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
