//===- WeightEmbedding.h - Weights as raw bytes in the object ---*- C++ -*-===//
//
// After lowering, every weight is an llvm.mlir.global whose type nests one
// array per tensor dim ([256 x [64 x [1 x [1 x float]]]]). Translated as
// is, each innermost row becomes its own uniqued LLVM constant: millions of
// them for a ResNet-50, which made translation and code generation slow
// and memory-hungry. Instead the weights are taken out of the module
// before translation and put back afterwards as one flat byte buffer each,
// which the object writer copies out verbatim.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_WEIGHTEMBEDDING_H
#define ONNXC_CODEGEN_WEIGHTEMBEDDING_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"

#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace onnxc {

/// One weight taken out of the MLIR module: its symbol and its bytes, which
/// stay owned by the MLIR context (resource blob or attribute storage).
struct DetachedWeight {
  std::string symbol;
  llvm::ArrayRef<char> bytes;
};

/// Turns each llvm.mlir.global of at least `minBytes` bytes whose value is
/// a dense_resource blob or a non-splat dense attribute into an external
/// declaration, and returns what it removed. Bit-packed i1 attributes are
/// left alone (their bytes are not the in-memory layout).
std::vector<DetachedWeight> detachWeights(mlir::ModuleOp module,
                                          int64_t minBytes);

/// Defines each detached weight again in the translated module: a private
/// constant [N x i8] holding the raw bytes, aligned to 64 bytes (a cache
/// line, and enough for any vector load), replacing the declaration.
void attachWeights(llvm::Module &module,
                   llvm::ArrayRef<DetachedWeight> weights);

} // namespace onnxc

#endif // ONNXC_CODEGEN_WEIGHTEMBEDDING_H
