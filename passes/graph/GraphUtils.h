//===- GraphUtils.h - Helpers of the onnx-dialect graph passes --*- C++ -*-===//
//
// The graph passes (simplify, fold BatchNormalization, recognize decomposed
// ops) read and build onnx.Constant values and check how many users an
// intermediate value has; these helpers do both for every form in which
// constants reach the passes: `dense` from hand-written IR and tests,
// `dense_resource` blobs from the importer.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_GRAPH_GRAPHUTILS_H
#define ONNXC_PASSES_GRAPH_GRAPHUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace onnxc {

/// A rewrite pattern of a graph pass that counts its rewrites into the
/// pass's `count` (for the pass's `report` remark); a pattern bumps
/// `count` once per rewrite.
template <typename OpT>
struct CountingPattern : mlir::OpRewritePattern<OpT> {
  CountingPattern(mlir::MLIRContext *ctx, int64_t &count)
      : mlir::OpRewritePattern<OpT>(ctx), count(count) {}

  int64_t &count;
};

/// The `value` attribute of the onnx.Constant (any version) defining `v`,
/// or null.
mlir::ElementsAttr constantAttr(mlir::Value v);

/// Every element of a floating-point constant (f16, bf16, f32, f64), in
/// row-major order, as doubles; nullopt if `v` is not such a constant or
/// has more than `maxElements` elements.
std::optional<std::vector<double>>
floatConstantValues(mlir::Value v, int64_t maxElements = int64_t(1) << 28);

/// Every element of an integer constant (8 to 64 bits, signless read as
/// signed, unsigned zero-extended), in row-major order; nullopt if `v` is
/// not such a constant or has more than `maxElements` elements.
std::optional<std::vector<int64_t>>
integerConstantValues(mlir::Value v, int64_t maxElements = int64_t(1) << 28);

/// The value of a one-element numeric constant (any rank with every dim 1),
/// integer or floating point, as a double; nullopt otherwise.
std::optional<double> scalarConstantValue(mlir::Value v);

/// An onnx.Constant of `type` (f16, bf16, f32 or f64 elements) holding
/// `values` rounded to the element type. With `asResource` the bytes go into
/// a `dense_resource` blob (as the importer stores weights, so nothing
/// uniques megabytes of data in the context); otherwise a `dense` attribute.
mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::RankedTensorType type,
                                llvm::ArrayRef<double> values,
                                bool asResource);

/// True if `v` has exactly `n` uses (an op using it twice counts twice).
bool hasNUses(mlir::Value v, unsigned n);

/// True if `op` is exactly the onnx op `name` ("Dropout_v7", "Cast"...):
/// versioned forms have their own semantics, so each is named.
bool isOnnxOp(mlir::Operation *op, llvm::StringRef name);

/// The number of onnx ops in `root` other than constants and absent-value
/// markers: what the graph passes report as removed.
int64_t countComputeOps(mlir::Operation *root);

/// Applies a graph pass's patterns to `root` with the greedy driver, keeping
/// constants where the importer put them (no constant CSE: hoisting and
/// merging them would only reorder the IR). Not converging within the
/// driver's iteration limit leaves a correct, only less rewritten, graph.
/// Returns how many compute ops (countComputeOps) the rewrites removed.
int64_t applyGraphRewrites(mlir::Operation *root,
                           mlir::RewritePatternSet &&patterns);

} // namespace onnxc

#endif // ONNXC_PASSES_GRAPH_GRAPHUTILS_H
