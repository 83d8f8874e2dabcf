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
// With `onnx-compile --weights=external` they leave the library altogether:
// each use becomes the weights file's base address (a pointer the runtime
// fills in when it maps `<library>.weights`) plus a constant offset, and the
// bytes go to that file (format in runtime/onnxc_model_desc.h).
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_WEIGHTEMBEDDING_H
#define ONNXC_CODEGEN_WEIGHTEMBEDDING_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

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

/// The weights of a --weights=external compilation: where each lies in the
/// weights file's payload, the payload's size and the id that ties the file
/// to the library.
struct ExternalWeights {
  struct Piece {
    uint64_t offset; ///< from the payload's start, 64-byte aligned
    llvm::ArrayRef<char> bytes;
  };
  std::vector<Piece> pieces;
  uint64_t payloadSize = 0;
  uint64_t id = 0; ///< a hash of the payload, never 0
};

/// The symbol of the internal mutable pointer global the compiled code
/// reads the payload's address from.
constexpr llvm::StringLiteral kWeightsBaseSymbol = "onnxc.weights_base";

/// Moves the detached weights out of the module: assigns each an offset in
/// the payload, replaces every `llvm.mlir.addressof` of it by a load of
/// @onnxc.weights_base and an i8 getelementptr by that offset, and erases
/// its global. Creates @onnxc.weights_base (null until the runtime sets
/// it) when at least one weight moves. A weight whose address is needed in
/// another global's initializer, where no load can go, stays in `weights`
/// to be embedded as usual; the moved ones are removed from it.
ExternalWeights externalizeWeights(mlir::ModuleOp module,
                                   std::vector<DetachedWeight> &weights);

/// Writes the weights file (header and payload) to `path`, through a
/// temporary file renamed at the end so that a failure leaves no partial
/// file behind. False with `error` set on failure.
bool writeWeightsFile(llvm::StringRef path, const ExternalWeights &weights,
                      std::string &error);

} // namespace onnxc

#endif // ONNXC_CODEGEN_WEIGHTEMBEDDING_H
