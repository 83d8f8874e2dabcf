//===- fuzz-importer.cpp - libFuzzer target: ONNX bytes to the onnx dialect ===//
//
// Any bytes must import into a module or fail with an error message; never
// crash, hang, overflow or allocate what the input does not pay for. Runs
// the whole importer: parse, function inlining, opset bridging, sorting,
// ONNX shape inference, shape folding, op building and verification.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ModelImporter.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    onnxc::registerImportedDialects(*r);
    return r;
  }();
  // A fresh context per input: contexts never free attributes or resource
  // blobs, so one shared context would grow without bound and hide leaks.
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  // Keep MLIR's own diagnostics quiet; the importer reports through `error`.
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
  onnxc::ImportOptions options;
  // Small enough that the fuzzer's 2 GB RSS limit is never the first to
  // complain about a declared size.
  options.maxTensorBytes = uint64_t(256) << 20;
  std::string error;
  auto module = onnxc::importOnnxModelBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      context, options, error);
  if (!module && error.empty())
    __builtin_trap(); // a failure must always say why
  return 0;
}
