//===- ConstantBytes.h - The raw bytes of a constant tensor -----*- C++ -*-===//
//
// Weights reach the back end as DenseResourceElementsAttr (the importer's
// blobs) or DenseElementsAttr (small ones, and what folders produce). Both
// the weight packing pass and the object emitter need their bytes as they
// lie in memory, one element after the other.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_CONSTANTBYTES_H
#define ONNXC_PASSES_CONSTANTBYTES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace onnxc {

/// The in-memory bytes of a dense constant's elements (bools one byte
/// each), or an empty range when they cannot be taken verbatim: a splat, a
/// released blob, strings, or data whose size does not fit the type.
llvm::ArrayRef<char> rawConstantBytes(mlir::Attribute value);

/// Bytes of one element as rawConstantBytes lays them out; 0 when the
/// element type has no fixed width in memory.
int64_t constantElementBytes(mlir::Type elementType);

/// A constant of `type` holding `bytes` (laid out as rawConstantBytes lays
/// them out), of the same kind as `like`: a blob named after `like`'s with
/// `suffix` appended for a DenseResourceElementsAttr, else a
/// DenseElementsAttr.
mlir::TypedAttr constantWithBytes(mlir::Attribute like,
                                  mlir::RankedTensorType type,
                                  llvm::ArrayRef<char> bytes,
                                  llvm::StringRef suffix);

/// The constant that `v` is, possibly through reshapes (which keep the
/// row-major order of the bytes: a convolution's weights reach its product
/// collapsed to [g, m, c*kh*kw]), when `v` is its only use (so that a
/// packed copy can replace it without keeping both); null otherwise.
mlir::arith::ConstantOp soleConstantSource(mlir::Value v);

} // namespace onnxc

#endif // ONNXC_PASSES_CONSTANTBYTES_H
