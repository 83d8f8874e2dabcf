//===- VectorizeWindows.cpp - Copies and pooling windows as vector rows ---===//
//
// Several generics between the kernels read one input through a linear
// map, row by row along the output's innermost dim:
//  - the im2col copies of VectorizeContractions and IntegerProducts
//    (col[c, kh, kw, oh, ow] = X[c, oh * s + kh, ow * s + kw]) and the
//    run-time panel packing of ColumnPanels: a body that yields the input;
//  - MaxPool and AveragePool (passes/lowering/Conv.cpp): a window
//    reduction, Y[n, c, oh, ow] = max over kh, kw of X[n, c, oh * s + kh,
//    ow * s + kw], whose body combines the input with the accumulator.
// Lowered to loops, each element is a scalar load and store (and a max):
// LLVM does not vectorize them, since it cannot tell that source and
// destination do not overlap. Here the other parallel dims are tiled by
// 1 (scf.for, inside the parallel loop of onnxc-parallelize-elementwise
// where there is one), and each row is computed in pieces of one vector:
// per window position (unrolled) one read of the input (contiguous for a
// stride of 1; twice the lanes and a shuffle of the even ones for 2), the
// body's ops applied to whole vectors, and one write, the last piece
// masked.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ConvForm.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZEWINDOWS
#include "passes/Passes.h.inc"

namespace {

/// What the pass found in a generic it handles.
struct RowWindow {
  int64_t rowDim;      ///< the loop dim along the output's rows
  int64_t stride;      ///< the input's last index moves by this per lane
  SmallVector<int64_t> reductionDims; ///< the window's loop dims
};

/// Whether `op` reads its first input along `row` as the pass needs: only
/// the map's last result reads it, with a stride of 1 or 2, and every
/// result is linear in the loop dims. Returns the stride.
std::optional<int64_t> rowStride(AffineMap map, int64_t row) {
  int64_t stride = 0;
  for (auto [pos, e] : llvm::enumerate(map.getResults())) {
    SmallVector<int64_t> coeffs(map.getNumDims(), 0);
    int64_t constant = 0;
    if (!linearCoefficients(e, 1, coeffs, constant))
      return std::nullopt;
    if (int64_t(pos) + 1 == map.getNumResults())
      stride = coeffs[row];
    else if (coeffs[row] != 0)
      return std::nullopt;
  }
  if (stride != 1 && stride != 2)
    return std::nullopt;
  return stride;
}

/// Whether `op` is a row copy or window reduction the pass handles (see
/// the pass description).
std::optional<RowWindow> matchRowWindow(linalg::GenericOp op,
                                        int64_t maxLanes, int64_t maxTaps) {
  if (op.getNumDpsInputs() < 1 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !op.hasPureTensorSemantics() ||
      op.getNumLoops() == 0)
    return std::nullopt;
  auto inType = dyn_cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto outType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (!inType || !outType || inType.getRank() == 0 || outType.getRank() == 0)
    return std::nullopt;
  // Element types the vector lowering handles as is: f32, f64 and
  // integers (bf16 and f16 conversions are left to the scalar path, where
  // onnxc-expand-bfloat16 sees them; index values are not vector lanes).
  auto plainType = [](Type t) {
    return t.isF32() || t.isF64() || isa<IntegerType>(t);
  };
  for (Type t : {inType.getElementType(), outType.getElementType()})
    if (!plainType(t) || t.getIntOrFloatBitWidth() % 8 != 0)
      return std::nullopt;
  // The row and the window need static sizes; the other dims are tiled by
  // 1 and may be dynamic (a parallel loop's chunk of rows).
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();

  // The body: ops that map elementwise onto vectors, on the first input's
  // element and the accumulator; other inputs only give the window its
  // shape (their elements are unused).
  Block &body = *op.getBlock();
  for (unsigned i = 1, e = op.getNumDpsInputs(); i < e; ++i)
    if (!body.getArgument(i).use_empty())
      return std::nullopt;
  for (Operation &inner : body.without_terminator())
    if (!inner.hasTrait<OpTrait::Elementwise>() || inner.getNumRegions() ||
        inner.getNumResults() != 1 ||
        !isa<arith::ArithDialect>(inner.getDialect()) ||
        !llvm::all_of(inner.getOperandTypes(), plainType) ||
        !plainType(inner.getResult(0).getType()))
      return std::nullopt;

  RowWindow window;
  auto iterators = op.getIteratorTypesArray();
  for (auto [dim, it] : llvm::enumerate(iterators))
    if (it == utils::IteratorType::reduction)
      window.reductionDims.push_back(dim);
  int64_t taps = 1;
  for (int64_t dim : window.reductionDims) {
    if (ShapedType::isDynamic(ranges[dim]))
      return std::nullopt;
    taps *= ranges[dim];
  }
  if (taps > maxTaps)
    return std::nullopt;
  // Without a window the accumulator's old value must not matter (a copy
  // overwrites it); with one it is the window's running value.
  if (window.reductionDims.empty() &&
      !body.getArgument(op.getNumDpsInputs()).use_empty())
    return std::nullopt;

  // Output: its parallel dims in any order, the row dim last.
  AffineMap outMap = op.getIndexingMapsArray().back();
  if (!outMap.isProjectedPermutation(/*allowZeroInResults=*/false) ||
      outMap.getNumResults() != op.getNumParallelLoops())
    return std::nullopt;
  window.rowDim =
      cast<AffineDimExpr>(outMap.getResults().back()).getPosition();
  int64_t lanes = ranges[window.rowDim];
  if (ShapedType::isDynamic(lanes) || lanes < 2 || lanes > maxLanes)
    return std::nullopt;
  std::optional<int64_t> stride =
      rowStride(op.getIndexingMapsArray()[0], window.rowDim);
  if (!stride)
    return std::nullopt;
  window.stride = *stride;
  return window;
}

/// Constant indices of the tile's input for loop dims at `at` (all 0 but
/// the row dim and the window's).
SmallVector<Value> indicesAt(OpBuilder &b, Location loc, AffineMap map,
                             ArrayRef<int64_t> at) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> dims;
  for (int64_t v : at)
    dims.push_back(getAffineConstantExpr(v, ctx));
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    auto folded = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(e.replaceDims(dims), 0, 0));
    indices.push_back(
        arith::ConstantIndexOp::create(b, loc, folded ? folded.getValue() : 0));
  }
  return indices;
}

/// The body's ops applied to `width`-lane vectors: the first input's
/// element is `in`, the accumulator `acc` (null when unused).
Value applyBody(OpBuilder &b, Block &body, unsigned accArg, Value in,
                Value acc, int64_t width) {
  IRMapping mapping;
  mapping.map(body.getArgument(0), in);
  if (acc)
    mapping.map(body.getArgument(accArg), acc);
  for (Operation &inner : body.without_terminator()) {
    // A scalar from outside the body (a ReLU's zero) is the same in every
    // lane.
    for (Value operand : inner.getOperands())
      if (!mapping.contains(operand))
        mapping.map(operand,
                    vector::BroadcastOp::create(
                        b, inner.getLoc(),
                        VectorType::get({width}, operand.getType()), operand));
    // A clone keeps the op's attributes and properties (a compare's
    // predicate, fastmath flags); only its result becomes a vector.
    Operation *vectorOp = b.clone(inner, mapping);
    vectorOp->getResult(0).setType(
        VectorType::get({width}, inner.getResult(0).getType()));
  }
  return mapping.lookup(body.getTerminator()->getOperand(0));
}

/// Replaces `tile` (its parallel loop dims other than the row dim have
/// extent 1) by vector code of `width` lanes per piece of the row.
void emitRows(RewriterBase &rewriter, linalg::GenericOp tile,
              const RowWindow &window, int64_t width) {
  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  Value in = tile.getDpsInputs()[0], out = tile.getDpsInits()[0];
  auto inType = cast<RankedTensorType>(in.getType());
  auto outType = cast<RankedTensorType>(out.getType());
  AffineMap inMap = tile.getIndexingMapsArray()[0];
  SmallVector<int64_t> ranges = tile.getStaticLoopRanges();
  int64_t lanes = ranges[window.rowDim];
  Block &body = *tile.getBlock();
  unsigned accArg = tile.getNumDpsInputs();
  auto padFor = [&](Type elem) {
    return arith::ConstantOp::create(rewriter, loc, elem,
                                     rewriter.getZeroAttr(elem));
  };
  Value inPad = padFor(inType.getElementType());
  Value outPad = padFor(outType.getElementType());
  auto minor = [&](int64_t rank) {
    return AffineMap::getMinorIdentityMap(rank, 1, rewriter.getContext());
  };
  // A transfer of `size` lanes at `start` along a dim of `extent` lanes is
  // in bounds when it ends inside.
  auto fits = [](int64_t start, int64_t size, int64_t extent) {
    return !ShapedType::isDynamic(extent) && start + size <= extent;
  };
  // Every position of the window, as values of its loop dims.
  SmallVector<SmallVector<int64_t>> taps{{}};
  for (int64_t dim : window.reductionDims) {
    SmallVector<SmallVector<int64_t>> next;
    for (const auto &tap : taps)
      for (int64_t v = 0; v < ranges[dim]; ++v) {
        next.push_back(tap);
        next.back().push_back(v);
      }
    taps = std::move(next);
  }

  Value written = out;
  for (int64_t first = 0; first < lanes; first += width) {
    SmallVector<Value> to(outType.getRank(),
                          arith::ConstantIndexOp::create(rewriter, loc, 0));
    to.back() = arith::ConstantIndexOp::create(rewriter, loc, first);
    SmallVector<bool> outInBounds{
        fits(first, width, outType.getDimSize(outType.getRank() - 1))};
    Value acc;
    if (!window.reductionDims.empty())
      acc = vector::TransferReadOp::create(
          rewriter, loc, VectorType::get({width}, outType.getElementType()),
          written, to, outPad, minor(outType.getRank()), outInBounds);
    Value result;
    for (const auto &tap : taps) {
      SmallVector<int64_t> at(tile.getNumLoops(), 0);
      at[window.rowDim] = first;
      for (auto [dim, v] : llvm::zip(window.reductionDims, tap))
        at[dim] = v;
      SmallVector<Value> from = indicesAt(rewriter, loc, inMap, at);
      int64_t readLanes = width * window.stride;
      int64_t start = getConstantIntValue(from.back()).value_or(0);
      Value row = vector::TransferReadOp::create(
          rewriter, loc, VectorType::get({readLanes}, inType.getElementType()),
          in, from, inPad, minor(inType.getRank()),
          ArrayRef<bool>{fits(start, readLanes,
                              inType.getDimSize(inType.getRank() - 1))});
      if (window.stride != 1) {
        SmallVector<int64_t> even;
        for (int64_t i = 0; i < width; ++i)
          even.push_back(i * window.stride);
        row = vector::ShuffleOp::create(rewriter, loc, row, row, even);
      }
      result = applyBody(rewriter, body, accArg, row, acc, width);
      acc = result;
    }
    written = vector::TransferWriteOp::create(rewriter, loc, result, written,
                                              to, minor(outType.getRank()),
                                              outInBounds)
                  .getResult();
  }
  rewriter.replaceOp(tile, written);
}

LogicalResult vectorizeWindow(RewriterBase &rewriter, linalg::GenericOp op,
                              int64_t vectorBytes, int64_t maxLanes,
                              int64_t maxTaps) {
  std::optional<RowWindow> window = matchRowWindow(op, maxLanes, maxTaps);
  if (!window)
    return failure();
  // Lanes per vector: by the wider of the two element types.
  int64_t bytes = 1;
  for (Value v : {op.getDpsInputs()[0], op.getDpsInits()[0]})
    bytes = std::max<int64_t>(
        bytes, getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth() / 8);
  int64_t width = std::max<int64_t>(1, vectorBytes / bytes);
  // Tiles: 1 along the other parallel dims, the row and the window whole.
  SmallVector<OpFoldResult> sizes;
  bool anyTiled = false;
  auto iterators = op.getIteratorTypesArray();
  for (auto [dim, it] : llvm::enumerate(iterators)) {
    bool tiled = it == utils::IteratorType::parallel &&
                 int64_t(dim) != window->rowDim;
    anyTiled |= tiled;
    sizes.push_back(rewriter.getIndexAttr(tiled ? 1 : 0));
  }
  linalg::GenericOp tile = op;
  if (anyTiled) {
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    options.setTileSizes(sizes);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    tile = cast<linalg::GenericOp>(tiled->tiledOps.back());
  }
  emitRows(rewriter, tile, *window, width);
  return success();
}

struct VectorizeWindowsPass
    : impl::VectorizeWindowsBase<VectorizeWindowsPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      (void)vectorizeWindow(rewriter, op, vectorBytes, maxLanes, maxTaps);
  }
};

} // namespace
} // namespace onnxc
