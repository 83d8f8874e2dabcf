//===- PrepackWeights.cpp - Weights in the layout the kernels read -------===//
//
// The register-blocked kernels (VectorizeContractions) load rows of the B
// operand of a contraction as vectors along the output's last dim, n. A
// weight stored [n, k] (Gemm with transB=1, which every PyTorch Linear
// exports) is then read one element per lane: a gather per vector, every
// run. When that operand is a constant, this pass stores it transposed,
// [k, n], at compile time instead, and the contraction reads it with the
// swapped indexing map: the same values, contiguous vectors, no work at
// run time.
//
//===----------------------------------------------------------------------===//

#include "passes/ConstantBytes.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_PREPACKWEIGHTS
#include "passes/Passes.h.inc"

namespace {

/// `bytes` (elements of `elementBytes` bytes, row-major in `shape`) with
/// the last two axes swapped.
std::vector<char> swapLastTwoAxes(ArrayRef<char> bytes,
                                  ArrayRef<int64_t> shape,
                                  int64_t elementBytes) {
  int64_t rows = shape[shape.size() - 2], cols = shape.back();
  int64_t matrix = rows * cols * elementBytes;
  std::vector<char> out(bytes.size());
  for (int64_t base = 0; base < int64_t(bytes.size()); base += matrix)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        std::memcpy(&out[base + (c * rows + r) * elementBytes],
                    &bytes[base + (r * cols + c) * elementBytes],
                    elementBytes);
  return out;
}

struct PrepackWeightsPass : impl::PrepackWeightsBase<PrepackWeightsPass> {
  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) { prepack(op); });
  }

  static void prepack(linalg::GenericOp op) {
    if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
      return;
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (outMap.getNumResults() == 0)
      return;
    auto outLast = dyn_cast<AffineDimExpr>(outMap.getResults().back());
    if (!outLast)
      return;
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();

    for (OpOperand *operand : op.getDpsInputOperands()) {
      auto cst = operand->get().getDefiningOp<arith::ConstantOp>();
      auto type = dyn_cast<RankedTensorType>(operand->get().getType());
      if (!cst || !type || type.getRank() < 2 || !type.hasStaticShape() ||
          !(type.getElementType().isF32() || type.getElementType().isF64()))
        continue;
      // Another user would read the transposed values with its own map.
      if (!cst->hasOneUse())
        continue;
      AffineMap map = op.getMatchingIndexingMap(operand);
      if (!map.isProjectedPermutation() || map.getNumResults() < 2)
        continue;
      unsigned rank = map.getNumResults();
      auto n = dyn_cast<AffineDimExpr>(map.getResult(rank - 2));
      auto k = dyn_cast<AffineDimExpr>(map.getResult(rank - 1));
      // [.., n, k]: n the output's last (vector) dim, k a reduction dim.
      if (!n || !k || n.getPosition() != outLast.getPosition() ||
          iterators[k.getPosition()] != utils::IteratorType::reduction)
        continue;
      ArrayRef<char> bytes = rawConstantBytes(cst.getValue());
      int64_t elementBytes = constantElementBytes(type.getElementType());
      if (bytes.empty() || !elementBytes)
        continue;

      SmallVector<int64_t> shape(type.getShape());
      std::vector<char> packed = swapLastTwoAxes(bytes, shape, elementBytes);
      std::swap(shape[rank - 2], shape[rank - 1]);
      auto packedType = RankedTensorType::get(shape, type.getElementType());
      OpBuilder b(cst);
      auto packedCst = arith::ConstantOp::create(
          b, cst.getLoc(), packedType,
          constantWithBytes(cst.getValue(), packedType, packed, "_kn"));

      SmallVector<AffineExpr> results(map.getResults());
      std::swap(results[rank - 2], results[rank - 1]);
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      maps[operand->getOperandNumber()] =
          AffineMap::get(map.getNumDims(), 0, results, op.getContext());
      op.setIndexingMapsAttr(
          b.getAffineMapArrayAttr(maps));
      operand->set(packedCst);
      cst->erase();
    }
  }
};

} // namespace
} // namespace onnxc
