//===- ColumnPanels.cpp - B operands packed into column panels ------------===//

#include "passes/ColumnPanels.h"
#include "passes/ConstantBytes.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;

namespace onnxc {
namespace {

/// Positions of `k` and `n` among the results of `map`, and of the other
/// results, when every result is a distinct loop dim.
struct PanelAxes {
  int64_t kPos = -1, nPos = -1;
  SmallVector<int64_t> others;
};

std::optional<PanelAxes> panelAxes(AffineMap map, int64_t k, int64_t n) {
  if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
    return std::nullopt;
  PanelAxes axes;
  for (auto [pos, e] : llvm::enumerate(map.getResults())) {
    int64_t dim = cast<AffineDimExpr>(e).getPosition();
    if (dim == k)
      axes.kPos = pos;
    else if (dim == n)
      axes.nPos = pos;
    else
      axes.others.push_back(pos);
  }
  if (axes.kPos < 0 || axes.nPos < 0)
    return std::nullopt;
  return axes;
}

/// Bp[others..., j, k, c] = B[..., k, j * nr + c] for every j of `dst` (B's
/// n extent must be at least dst's panels times nr).
Value copyIntoPanels(OpBuilder &b, Location loc, Value src, Value dst,
                     const PanelAxes &axes, int64_t nr) {
  MLIRContext *ctx = b.getContext();
  int64_t numOthers = axes.others.size();
  int64_t rank = numOthers + 3;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  int64_t srcRank = cast<RankedTensorType>(src.getType()).getRank();
  SmallVector<AffineExpr> srcExprs(srcRank);
  for (auto [i, pos] : llvm::enumerate(axes.others))
    srcExprs[pos] = d(i);
  srcExprs[axes.kPos] = d(numOthers + 1);
  srcExprs[axes.nPos] = d(numOthers) * nr + d(numOthers + 2);
  return buildMappedCopy(b, loc, src, AffineMap::get(rank, 0, srcExprs, ctx),
                         dst);
}

/// The bytes of the packed constant: panels of `nr` columns, zeros past N.
std::vector<char> packConstantBytes(ArrayRef<char> bytes,
                                    ArrayRef<int64_t> shape,
                                    int64_t elementBytes,
                                    const PanelAxes &axes, int64_t nr) {
  int64_t rank = shape.size();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  int64_t kSize = shape[axes.kPos], nSize = shape[axes.nPos];
  int64_t panels = llvm::divideCeil(nSize, nr);
  int64_t outer = 1;
  for (int64_t pos : axes.others)
    outer *= shape[pos];
  std::vector<char> out(size_t(outer * panels * kSize * nr * elementBytes), 0);
  SmallVector<int64_t> index(axes.others.size(), 0); // odometer over others
  char *dst = out.data();
  for (int64_t o = 0; o < outer; ++o) {
    int64_t base = 0;
    for (auto [i, pos] : llvm::enumerate(axes.others))
      base += index[i] * strides[pos];
    for (int64_t j = 0; j < panels; ++j)
      for (int64_t kk = 0; kk < kSize; ++kk)
        for (int64_t c = 0; c < nr; ++c, dst += elementBytes) {
          int64_t col = j * nr + c;
          if (col >= nSize)
            continue;
          int64_t at = base + kk * strides[axes.kPos] + col * strides[axes.nPos];
          std::memcpy(dst, &bytes[at * elementBytes], elementBytes);
        }
    for (int64_t i = int64_t(index.size()) - 1; i >= 0; --i) {
      if (++index[i] < shape[axes.others[i]])
        break;
      index[i] = 0;
    }
  }
  return out;
}

/// Whether packColumnPanels packs operand `bIndex` at compile time.
bool isPackableConstant(linalg::LinalgOp op, unsigned bIndex) {
  Value b = op.getDpsInputs()[bIndex];
  // Another user would keep the unpacked copy alive: twice the weights.
  arith::ConstantOp cst = soleConstantSource(b);
  auto type = dyn_cast<RankedTensorType>(b.getType());
  return cst && type && type.hasStaticShape() &&
         !rawConstantBytes(cst.getValue()).empty() &&
         constantElementBytes(type.getElementType()) > 0;
}

} // namespace

FailureOr<ColumnPanels> packColumnPanels(RewriterBase &rewriter,
                                         linalg::LinalgOp op, unsigned bIndex,
                                         int64_t k, int64_t n, int64_t nr,
                                         bool atRunTime) {
  std::optional<PanelAxes> axes =
      panelAxes(op.getIndexingMapsArray()[bIndex], k, n);
  Value b = op.getDpsInputs()[bIndex];
  auto bType = dyn_cast<RankedTensorType>(b.getType());
  if (!axes || !bType || nr <= 0)
    return failure();
  int64_t kSize = bType.getDimSize(axes->kPos),
          nSize = bType.getDimSize(axes->nPos);
  if (ShapedType::isDynamic(kSize) || ShapedType::isDynamic(nSize))
    return failure();
  int64_t panels = llvm::divideCeil(nSize, nr);
  Type elem = bType.getElementType();
  Location loc = op.getLoc();
  ColumnPanels result;
  result.otherPositions = axes->others;
  result.nPosition = axes->nPos;
  result.kPosition = axes->kPos;
  result.nr = nr;

  if (isPackableConstant(op, bIndex)) {
    arith::ConstantOp cst = soleConstantSource(b);
    SmallVector<int64_t> shape;
    for (int64_t pos : axes->others)
      shape.push_back(bType.getDimSize(pos));
    shape.append({panels, kSize, nr});
    auto packedType = RankedTensorType::get(shape, elem);
    std::vector<char> bytes = packConstantBytes(
        rawConstantBytes(cst.getValue()), bType.getShape(),
        constantElementBytes(elem), *axes, nr);
    rewriter.setInsertionPoint(cst);
    result.packed = arith::ConstantOp::create(
        rewriter, cst.getLoc(), packedType,
        constantWithBytes(cst.getValue(), packedType, bytes,
                          "_panels" + std::to_string(nr)));
    return result;
  }
  if (!atRunTime)
    return failure();

  rewriter.setInsertionPoint(op);
  SmallVector<OpFoldResult> packedSizes;
  for (int64_t pos : axes->others)
    packedSizes.push_back(tensor::getMixedSize(rewriter, loc, b, pos));
  packedSizes.append({rewriter.getIndexAttr(panels),
                      rewriter.getIndexAttr(kSize), rewriter.getIndexAttr(nr)});
  Value packed = tensor::EmptyOp::create(rewriter, loc, packedSizes, elem);
  int64_t full = nSize / nr, rem = nSize % nr;
  int64_t panelPos = axes->others.size();
  int64_t packedRank = packedSizes.size();
  SmallVector<OpFoldResult> zeros(packedRank, rewriter.getIndexAttr(0)),
      ones(packedRank, rewriter.getIndexAttr(1));
  // Panels [from, from + count) of `packed`, filled from `src`.
  auto fill = [&](Value src, int64_t from, int64_t count) {
    if (count == panels) {
      packed = copyIntoPanels(rewriter, loc, src, packed, *axes, nr);
      return;
    }
    SmallVector<OpFoldResult> offsets(zeros), sizes(packedSizes);
    offsets[panelPos] = rewriter.getIndexAttr(from);
    sizes[panelPos] = rewriter.getIndexAttr(count);
    Value part = tensor::ExtractSliceOp::create(rewriter, loc, packed, offsets,
                                                sizes, ones);
    part = copyIntoPanels(rewriter, loc, src, part, *axes, nr);
    packed = tensor::InsertSliceOp::create(rewriter, loc, part, packed,
                                           offsets, sizes, ones);
  };
  if (full > 0)
    fill(b, 0, full);
  if (rem > 0) {
    // The last columns, zero-padded to a whole panel.
    int64_t bRank = bType.getRank();
    SmallVector<OpFoldResult> offsets(bRank, rewriter.getIndexAttr(0)),
        sizes = tensor::getMixedSizes(rewriter, loc, b),
        strides(bRank, rewriter.getIndexAttr(1));
    offsets[axes->nPos] = rewriter.getIndexAttr(full * nr);
    sizes[axes->nPos] = rewriter.getIndexAttr(rem);
    Value tail =
        tensor::ExtractSliceOp::create(rewriter, loc, b, offsets, sizes, strides);
    SmallVector<int64_t> paddedShape(bType.getShape());
    paddedShape[axes->nPos] = nr;
    SmallVector<OpFoldResult> low(bRank, rewriter.getIndexAttr(0)),
        high(bRank, rewriter.getIndexAttr(0));
    high[axes->nPos] = rewriter.getIndexAttr(nr - rem);
    Value zero = arith::ConstantOp::create(rewriter, loc, elem,
                                           rewriter.getZeroAttr(elem));
    Value padded = tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get(paddedShape, elem), tail, low,
        high, zero);
    fill(padded, full, 1);
  }
  result.packed = packed;
  return result;
}

SmallVector<Value> panelRowIndices(OpBuilder &b, Location loc,
                                   const ColumnPanels &panels,
                                   ArrayRef<OpFoldResult> bOffsets, Value kIv) {
  SmallVector<Value> indices;
  for (int64_t pos : panels.otherPositions)
    indices.push_back(getValueOrCreateConstantIndexOp(b, loc, bOffsets[pos]));
  AffineExpr d0 = b.getAffineDimExpr(0);
  indices.push_back(getValueOrCreateConstantIndexOp(
      b, loc,
      affine::makeComposedFoldedAffineApply(
          b, loc, d0.floorDiv(panels.nr), {bOffsets[panels.nPosition]})));
  indices.push_back(getValueOrCreateConstantIndexOp(
      b, loc,
      affine::makeComposedFoldedAffineApply(
          b, loc, d0 + b.getAffineDimExpr(1),
          {bOffsets[panels.kPosition], kIv})));
  indices.push_back(arith::ConstantIndexOp::create(b, loc, 0));
  return indices;
}

Value readPanelRow(OpBuilder &b, Location loc, const ColumnPanels &panels,
                   ArrayRef<OpFoldResult> bOffsets, Value kIv,
                   int64_t width) {
  SmallVector<Value> indices = panelRowIndices(b, loc, panels, bOffsets, kIv);
  auto type = cast<RankedTensorType>(panels.packed.getType());
  Value pad = arith::ConstantOp::create(
      b, loc, type.getElementType(), b.getZeroAttr(type.getElementType()));
  return vector::TransferReadOp::create(
      b, loc,
      VectorType::get({width > 0 ? width : panels.nr}, type.getElementType()),
      panels.packed, indices, pad,
      AffineMap::getMinorIdentityMap(type.getRank(), 1, b.getContext()),
      ArrayRef<bool>{true});
}

} // namespace onnxc
