# onnx_compile_model(): compile an ONNX model into a library at build time.
#
#   onnx_compile_model(TARGET name MODEL path/model.onnx
#                      [STATIC | SHARED]
#                      [TARGET_ARCH x86_64 | aarch64]
#                      [OPTIONS onnx-compile-flags...])
#
# Runs onnx-compile when the model or the compiler changes (or the command
# line does), writing lib<name>.a (STATIC, the default) or lib<name>.so and
# the header <id>.h, where <id> is `name` made a C identifier (`my-net` ->
# `my_net`: the header declares my_net_model() and my_net_run()). Both go to
# ${CMAKE_CURRENT_BINARY_DIR}/onnxc/<name>/.
#
# `name` becomes an imported library target carrying the include directory
# and libm: target_link_libraries(app PRIVATE name), then #include "<id>.h".
# A STATIC library for the host also carries libomp (LLVM's OpenMP runtime,
# OnnxCompile_LIBOMP), which its parallel kernels call; a SHARED library
# records libomp itself.
#
# TARGET_ARCH defaults to the host, or to CMAKE_SYSTEM_PROCESSOR when
# cross-compiling. OPTIONS go to onnx-compile as they are (--shape, --dim,
# -O2, --cpu=..., --weights=external); -o, --emit, --name and --target are
# set here. With --weights=external the weights file is a second output,
# lib<name>.so.weights (or .a.weights), whose path the target's
# ONNXC_WEIGHTS_FILE property holds: install it beside the library (or, for
# a static library, beside the program as <program>.weights), or pass it to
# onnxc_model_set_weights_path() at run time.

function(onnx_compile_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "STATIC;SHARED"
                        "TARGET;MODEL;TARGET_ARCH" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "onnx_compile_model: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT ARG_MODEL)
    message(FATAL_ERROR
      "onnx_compile_model: TARGET and MODEL are required")
  endif()
  if(ARG_STATIC AND ARG_SHARED)
    message(FATAL_ERROR
      "onnx_compile_model(${ARG_TARGET}): STATIC and SHARED exclude each other")
  endif()
  if(TARGET ${ARG_TARGET})
    message(FATAL_ERROR
      "onnx_compile_model: a target named '${ARG_TARGET}' already exists")
  endif()
  foreach(option IN LISTS ARG_OPTIONS)
    if(option MATCHES "^(-o|--?emit|--?name|--?target)(=.*)?$")
      message(FATAL_ERROR
        "onnx_compile_model(${ARG_TARGET}): OPTIONS must not contain "
        "'${option}': onnx_compile_model sets it")
    endif()
  endforeach()
  if(NOT TARGET OnnxCompile::onnx-compile)
    message(FATAL_ERROR
      "onnx_compile_model: call find_package(OnnxCompile) first")
  endif()

  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR
      "onnx_compile_model(${ARG_TARGET}): no model file '${model}'")
  endif()

  set(arch_flag)
  set(arch "${ARG_TARGET_ARCH}")
  if(NOT arch AND CMAKE_CROSSCOMPILING)
    set(arch "${CMAKE_SYSTEM_PROCESSOR}")
  endif()
  if(arch)
    string(TOLOWER "${arch}" arch)
    if(arch MATCHES "^(x86_64|amd64|x64)$")
      set(arch_flag --target=x86_64)
    elseif(arch MATCHES "^(aarch64|arm64)$")
      set(arch_flag --target=aarch64)
    else()
      message(FATAL_ERROR
        "onnx_compile_model(${ARG_TARGET}): TARGET_ARCH '${arch}' is not "
        "supported (x86_64 or aarch64)")
    endif()
  endif()

  string(MAKE_C_IDENTIFIER "${ARG_TARGET}" id)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/onnxc/${ARG_TARGET}")
  if(ARG_SHARED)
    set(kind SHARED)
    set(library "${dir}/lib${ARG_TARGET}.so")
  else()
    set(kind STATIC)
    set(library "${dir}/lib${ARG_TARGET}.a")
  endif()
  set(header "${dir}/${id}.h")
  set(weights)
  if("--weights=external" IN_LIST ARG_OPTIONS)
    set(weights "${library}.weights")
  endif()
  # An imported target's include directory must exist when CMake generates.
  file(MAKE_DIRECTORY "${dir}")

  add_custom_command(
    OUTPUT "${library}" "${header}" ${weights}
    COMMAND OnnxCompile::onnx-compile "${model}" -o "${library}"
            --name=${id} ${arch_flag} ${ARG_OPTIONS}
    DEPENDS "${model}" "$<TARGET_FILE:OnnxCompile::onnx-compile>"
    COMMENT "Compiling ONNX model ${ARG_MODEL} into lib${ARG_TARGET}"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(${ARG_TARGET}_onnx_compile DEPENDS "${library}" "${header}")

  add_library(${ARG_TARGET} ${kind} IMPORTED GLOBAL)
  set_target_properties(${ARG_TARGET} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir}"
    INTERFACE_LINK_LIBRARIES m
    ONNXC_WEIGHTS_FILE "${weights}")
  if(ARG_SHARED)
    # onnx-compile links without a SONAME: link with -l<name> so that
    # executables record "lib<name>.so", not this build path.
    set_target_properties(${ARG_TARGET} PROPERTIES IMPORTED_NO_SONAME TRUE)
  else()
    set_target_properties(${ARG_TARGET} PROPERTIES
      IMPORTED_LINK_INTERFACE_LANGUAGES C)
    # Cross-compiled libraries are serial (no libomp for the target here).
    if(NOT arch_flag STREQUAL "--target=aarch64")
      if(NOT OnnxCompile_LIBOMP)
        message(FATAL_ERROR
          "onnx_compile_model(${ARG_TARGET}): a static model library needs "
          "libomp (LLVM's OpenMP runtime) and none was found; install "
          "libomp-dev (Debian: libomp-22-dev) or set OnnxCompile_LIBOMP")
      endif()
      set_property(TARGET ${ARG_TARGET} APPEND PROPERTY
        INTERFACE_LINK_LIBRARIES "${OnnxCompile_LIBOMP}")
    endif()
  endif()
  add_dependencies(${ARG_TARGET} ${ARG_TARGET}_onnx_compile)
endfunction()
