//===- Linker.h - Model objects into libraries ------------------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_LINKER_H
#define ONNXC_CODEGEN_LINKER_H

#include <string>

namespace onnxc {

/// Links the model object and the runtime archive into a shared library.
/// Only linking is done outside the process; code generation never is.
/// For the host (`triple` empty or of the host's architecture) the system C
/// compiler driver links (`cc -shared`); for another architecture, lld
/// (`ld.lld-22`) against Debian's cross libc in `/usr/<arch>-linux-gnu`
/// (libc6-dev-arm64-cross for aarch64), so no machine of that architecture
/// is needed.
bool linkSharedLibrary(const std::string &objectBytes,
                       const std::string &runtimeArchive,
                       const std::string &triple, const std::string &outPath,
                       std::string &error);

/// Writes a static archive holding the model object and the runtime's
/// objects, in-process.
bool writeStaticLibrary(const std::string &objectBytes,
                        const std::string &runtimeArchive,
                        const std::string &outPath, std::string &error);

/// The runtime archive for `triple` next to the running compiler:
/// `<bindir>/../lib/libonnxc_runtime.a` for the host's architecture,
/// `<bindir>/../lib/<arch>/libonnxc_runtime.a` (cross-built, see
/// runtime/CrossRuntime.cmake) for another. "" with `error` set when absent.
std::string findRuntimeArchive(const char *argv0, const std::string &triple,
                               std::string &error);

} // namespace onnxc

#endif // ONNXC_CODEGEN_LINKER_H
