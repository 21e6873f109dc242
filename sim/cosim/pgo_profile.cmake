# sim/cosim/pgo_profile.cmake — the training step of the alveo-u55c model's
# profile-guided build (sim/cosim/CMakeLists.txt, SPATTEN_COSIM_PGO):
#   cmake -DTRAIN=<trainer> -DGEN_DIR=<dir> -DUSE_DIR=<dir> -DGEN_NAME=<target>
#         -DUSE_NAME=<target> -DSTAMP=<file> -P pgo_profile.cmake
# Clears the counts of earlier runs (GCC adds to an existing .gcda), runs the
# trainer, and copies each <object>.gcda it wrote under GEN_DIR to the same
# place under USE_DIR (the path with GEN_NAME's object folder replaced by
# USE_NAME's), where -fprofile-use looks for it.
foreach(v TRAIN GEN_DIR USE_DIR GEN_NAME USE_NAME STAMP)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "pgo_profile.cmake: -D${v}=... is required")
  endif()
endforeach()
file(GLOB_RECURSE old LIST_DIRECTORIES false "${GEN_DIR}/*.gcda" "${USE_DIR}/*.gcda")
if(old)
  file(REMOVE ${old})
endif()
execute_process(COMMAND ${TRAIN} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pgo_profile.cmake: the training run ${TRAIN} failed (${rc})")
endif()
file(GLOB_RECURSE counts LIST_DIRECTORIES false "${GEN_DIR}/*.gcda")
if(NOT counts)
  message(FATAL_ERROR "pgo_profile.cmake: the training run wrote no .gcda under ${GEN_DIR}")
endif()
set(n 0)
foreach(g IN LISTS counts)
  file(RELATIVE_PATH rel "${GEN_DIR}" "${g}")
  string(REPLACE "/${GEN_NAME}.dir/" "/${USE_NAME}.dir/" rel "/${rel}")
  set(u "${USE_DIR}${rel}")
  get_filename_component(d "${u}" DIRECTORY)
  file(MAKE_DIRECTORY "${d}")
  file(COPY_FILE "${g}" "${u}")
  math(EXPR n "${n} + 1")
endforeach()
message(STATUS "pgo_profile: ${n} profiles copied to ${USE_DIR}")
file(TOUCH "${STAMP}")
