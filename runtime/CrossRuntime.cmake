# The runtime shim cross-compiled for aarch64 Linux into
# lib/aarch64/libonnxc_runtime.a, beside the host's lib/libonnxc_runtime.a.
# A runtime built only for the host is what makes cross-compiled model
# libraries unlinkable; this one is built with every build, from the same
# sources and flags, by Debian's cross compiler (gcc-aarch64-linux-gnu).
# Without that compiler the build goes on, says so, and
# `onnx-compile --target=aarch64 -o X.so|X.a` refuses with a clear error.
#
# Sets ONNXC_AARCH64_CROSS (ON/OFF) and ONNXC_AARCH64_CC for the rest of the
# build (tools/onnx-run-lite and the tests).

set(ONNXC_AARCH64_CROSS OFF)
set(ONNXC_AARCH64_CROSS OFF PARENT_SCOPE)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  # The host runtime is already the aarch64 one.
  return()
endif()

find_program(ONNXC_AARCH64_CC aarch64-linux-gnu-gcc)
find_program(ONNXC_AARCH64_AR aarch64-linux-gnu-ar)
if(NOT ONNXC_AARCH64_CC OR NOT ONNXC_AARCH64_AR)
  message(STATUS "aarch64 cross runtime: not built (no aarch64-linux-gnu-gcc; "
                 "install gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, "
                 "see scripts/setup.sh)")
  return()
endif()
message(STATUS "aarch64 cross runtime: ${ONNXC_AARCH64_CC}")
set(ONNXC_AARCH64_CROSS ON)
set(ONNXC_AARCH64_CROSS ON PARENT_SCOPE)

# The host build's flags for the shim (see CMakeLists.txt): C11 without
# extensions, PIC, -O2, default visibility.
set(ONNXC_AARCH64_CFLAGS -std=c11 -O2 -fPIC -fvisibility=default
    -ffunction-sections -fdata-sections -DNDEBUG
    -Wall -Wextra -Wno-unused-parameter)
set(ONNXC_AARCH64_CFLAGS ${ONNXC_AARCH64_CFLAGS} PARENT_SCOPE)

set(objects)
foreach(source ${ONNXC_RUNTIME_SOURCES})
  # Member names match the host archive's (onnxc_runtime.c.o).
  set(object ${CMAKE_CURRENT_BINARY_DIR}/aarch64/${source}.o)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/aarch64
    COMMAND ${ONNXC_AARCH64_CC} ${ONNXC_AARCH64_CFLAGS}
            -I${PROJECT_SOURCE_DIR}/include -I${CMAKE_CURRENT_SOURCE_DIR}
            -I${PROJECT_SOURCE_DIR}
            -MD -MF ${object}.d -c ${CMAKE_CURRENT_SOURCE_DIR}/${source}
            -o ${object}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source}
    DEPFILE ${object}.d
    COMMENT "Cross-compiling ${source} for aarch64"
    VERBATIM)
  list(APPEND objects ${object})
endforeach()

set(archive ${CMAKE_BINARY_DIR}/lib/aarch64/libonnxc_runtime.a)
add_custom_command(
  OUTPUT ${archive}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/lib/aarch64
  COMMAND ${CMAKE_COMMAND} -E rm -f ${archive}
  COMMAND ${ONNXC_AARCH64_AR} rcsD ${archive} ${objects}
  DEPENDS ${objects}
  COMMENT "Archiving lib/aarch64/libonnxc_runtime.a"
  VERBATIM)
add_custom_target(onnxc_runtime_aarch64 ALL DEPENDS ${archive})
