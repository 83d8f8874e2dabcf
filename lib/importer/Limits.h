//===- Limits.h - Bounds on what a model may make the importer do -*- C++ -*-===//
//
// A model is untrusted input. Its declared sizes must not turn into an
// allocation of terabytes, a shape product that wraps around int64, or a
// recursion deep enough to exhaust the stack. Every such bound lives here so
// the messages that name them stay alike.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_LIB_IMPORTER_LIMITS_H
#define ONNXC_LIB_IMPORTER_LIMITS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace onnx {
class GraphProto;
} // namespace onnx

namespace onnxc {

/// Default for `--max-tensor-bytes`: larger than any real model's weight or
/// activation, far below what would exhaust a machine by accident.
constexpr uint64_t kDefaultMaxTensorBytes = uint64_t(16) << 30;

/// How deep If/Loop/Scan bodies may nest. Real models nest a handful deep.
constexpr int kMaxSubgraphDepth = 64;

/// The product of `dims`, or nullopt when it does not fit in int64. Negative
/// (dynamic) dims are skipped. A zero dim does not hide an overflow of the
/// others: strides are products of the trailing dims and must fit too.
std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> dims);

/// `dims` as "[2,3,4]" ("?" for dynamic), for messages.
std::string shapeText(llvm::ArrayRef<int64_t> dims);

/// Throws ImportError when a tensor of `shape` (static dims only; dynamic
/// ones are skipped) and `element` type overflows int64 or needs more than
/// `maxBytes` bytes. `what` starts the message ("tensor 'W'").
void checkTensorSize(llvm::ArrayRef<int64_t> shape, mlir::Type element,
                     uint64_t maxBytes, const std::string &what);

/// Throws ImportError naming the node whose subgraph lies deeper than
/// kMaxSubgraphDepth. Run it before anything else recurses into subgraphs.
void checkSubgraphDepth(const onnx::GraphProto &graph);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_LIMITS_H
