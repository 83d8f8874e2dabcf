//===- ConvWindow.h - Sliding windows of convolutions and pools -*- C++ -*-===//
//
// What the sliding-window ops (Conv, ConvInteger, QLinearConv, the pools)
// share: reading kernel/strides/dilations/pads/auto_pad into one window
// description, padding the spatial dims, and the grouped convolution over
// views whose channel dim is split into (group, channel-in-group) so that
// every indexing map stays affine.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_LOWERING_CONVWINDOW_H
#define ONNXC_PASSES_LOWERING_CONVWINDOW_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <optional>

namespace onnxc {

/// The window of a sliding-window op over its spatial dims.
struct ConvWindow {
  llvm::SmallVector<int64_t> strides, dilations, padBegin, padEnd;
};

/// An integer-list attribute of `op`; `n` copies of `deflt` where it is
/// absent or empty.
llvm::SmallVector<int64_t> intsAttr(mlir::Operation *op, llvm::StringRef name,
                                    size_t n, int64_t deflt);

/// Reads strides/dilations/pads/auto_pad of `op` over `inSpatial` with
/// `kernel`. With `outSpatial` (the result shape from shape inference,
/// ceil_mode included), the end is padded further where the result needs
/// more input than the padding gives. Fails on attributes of the wrong
/// length, non-positive strides or dilations, and unknown auto_pad values.
mlir::FailureOr<ConvWindow>
readConvWindow(mlir::Operation *op, llvm::ArrayRef<int64_t> inSpatial,
               llvm::ArrayRef<int64_t> kernel,
               std::optional<llvm::ArrayRef<int64_t>> outSpatial);

/// Pads the spatial dims (from dim 2) of `x` as `w` says, with `value`;
/// `x` itself where there is no padding.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       const ConvWindow &w, double value);

/// The same with a pad value computed at run time (a scalar of x's element
/// type).
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       const ConvWindow &w, mlir::Value padValue);

/// Splits dim `at` of `v` (of size groups * per) into [groups, per].
mlir::Value expandGroupDim(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, int64_t at, int64_t groups,
                           int64_t per);

/// Merges dims 1 and 2 of a grouped [N, G, Mg, O...] result into
/// `resultType` [N, M, O...].
mlir::Value collapseGroupDim(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value grouped,
                             mlir::RankedTensorType resultType);

/// Y[n, g, m, o...] = init + sum X[n, g, c, o*s + k*d] * W[g, m, c, k...]
/// over grouped views (X [N, G, Cg, H...] already padded, W [G, Mg, Cg,
/// K...]); `init` is [N, G, Mg, O...]. Float elements multiply-add as
/// floats, integers wrap. Integer operands narrower than `init`'s elements
/// are extended first: x zero-extended when `xUnsigned`, else sign-extended,
/// W always sign-extended.
mlir::Value buildGroupedConv(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value xg, mlir::Value wg, mlir::Value init,
                             const ConvWindow &w, bool xUnsigned = false);

} // namespace onnxc

#endif // ONNXC_PASSES_LOWERING_CONVWINDOW_H
