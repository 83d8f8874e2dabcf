# `cmake --install build --prefix P` lays out:
#
#   P/bin/onnx-compile, P/bin/onnx-run
#   P/lib/libonnxc_runtime.a          the runtime shim; onnx-compile finds it
#                                     at <bindir>/../lib (codegen/Linker.cpp),
#                                     so bin and lib stay siblings
#   P/lib/aarch64/libonnxc_runtime.a  the shim cross-built for aarch64, and
#   P/bin/aarch64/onnx-run-lite       its runner (when the build found
#                                     aarch64-linux-gnu-gcc)
#   P/include/onnx-compile/onnxc_runtime.h
#   P/lib/cmake/OnnxCompile/          find_package(OnnxCompile) and
#                                     onnx_compile_model()
#   P/lib/pkgconfig/onnxc-runtime.pc
#
# The directories are fixed rather than taken from GNUInstallDirs: on Debian
# with prefix /usr that would put the archive in lib/<multiarch>, where the
# compiler does not look.

include(CMakePackageConfigHelpers)

set(ONNXC_INSTALL_CMAKEDIR lib/cmake/OnnxCompile)

install(TARGETS onnx-compile onnx-run RUNTIME DESTINATION bin)
install(TARGETS onnxc_runtime ARCHIVE DESTINATION lib)
install(FILES ${PROJECT_SOURCE_DIR}/include/onnx-compile/onnxc_runtime.h
        DESTINATION include/onnx-compile)
if(ONNXC_AARCH64_CROSS)
  install(FILES ${PROJECT_BINARY_DIR}/lib/aarch64/libonnxc_runtime.a
          DESTINATION lib/aarch64)
  install(PROGRAMS ${PROJECT_BINARY_DIR}/bin/aarch64/onnx-run-lite
          DESTINATION bin/aarch64)
endif()

# The tools load libMLIR.so and libLLVM.so from /usr/lib/llvm-22/lib (not on
# the loader's default path): keep that directory in the installed RUNPATH.
# An install therefore runs on a machine with the same LLVM 22 packages.
set_target_properties(onnx-compile onnx-run PROPERTIES
  INSTALL_RPATH_USE_LINK_PATH TRUE)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/OnnxCompileConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/OnnxCompileConfig.cmake
  INSTALL_DESTINATION ${ONNXC_INSTALL_CMAKEDIR})
# Before 1.0 a minor version may change the CLI or the runtime ABI.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/OnnxCompileConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/OnnxCompileConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/OnnxCompileConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/OnnxCompileModel.cmake
  DESTINATION ${ONNXC_INSTALL_CMAKEDIR})

configure_file(${PROJECT_SOURCE_DIR}/cmake/onnxc-runtime.pc.in
               ${PROJECT_BINARY_DIR}/cmake/onnxc-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/onnxc-runtime.pc
        DESTINATION lib/pkgconfig)
