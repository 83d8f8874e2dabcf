//===- Linker.h - Model objects into libraries ------------------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_LINKER_H
#define ONNXC_CODEGEN_LINKER_H

#include <string>

namespace onnxc {

/// Links the model object and the runtime archive into a shared library
/// with the system C compiler driver (`cc -shared`). Only linking is done
/// outside the process; code generation never is.
bool linkSharedLibrary(const std::string &objectBytes,
                       const std::string &runtimeArchive,
                       const std::string &outPath, std::string &error);

/// Writes a static archive holding the model object and the runtime's
/// objects, in-process.
bool writeStaticLibrary(const std::string &objectBytes,
                        const std::string &runtimeArchive,
                        const std::string &outPath, std::string &error);

/// The runtime archive next to the running compiler
/// (`<bindir>/../lib/libonnxc_runtime.a`), or "" when absent.
std::string findRuntimeArchive(const char *argv0);

} // namespace onnxc

#endif // ONNXC_CODEGEN_LINKER_H
