//===- CudaTiledContraction.cpp - matmul-shaped ops with shared memory ----===//
//
// A contraction (MatMul, Gemm, batched MatMul, and convolutions as an
// implicit GEMM: a generic with K dims whose payload adds a product of its
// inputs to the output) mapped one thread per output reads each input
// element from global memory once per output that needs it: K * N reads of
// A and K * M of B. Here a block of T x T threads computes a T x T tile of
// the output, and walks K in steps of T: each thread loads one element of
// the A tile and one of the B tile into shared memory, the block waits
// (barrier), every thread adds its row of the A tile times its column of
// the B tile, the block waits again. Each global element is then read by
// N/T (or M/T) blocks instead of by N (or M) threads. Loads are coalesced
// for the usual row-major layouts (consecutive threads x read consecutive
// elements of K in A and of N in B).
//
// Elements outside the op (the last, partial tiles) load as zero, which the
// multiply-add of a contraction ignores; outputs outside are not written.
// Each output still sums its K products in ascending order, starting from
// the output's initial value, as the per-thread mapping does.
//
// Not here yet: register blocking (several outputs per thread) and tensor
// cores (mma.sync for f16/bf16). Depthwise convolutions (no N dim) and
// products with a fused producer stay one thread per output.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaTiledContraction.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace onnxc {

namespace {

/// The loop dims of a contraction this file tiles, as one GEMM: M dims (in
/// the first input and the output, not the second), N dims (in the second
/// input and the output, not the first) and K dims (reduced, in both
/// inputs) are each walked as one linear index, the last dim varying
/// fastest (a [B, S, K] x [K, N] product has M dims B and S; a convolution
/// has M dims n, oh, ow, N dim f and K dims c, kh, kw: an implicit GEMM).
/// Dims in both inputs and the output ("outer": batch dims) are enumerated
/// by the grid's z.
struct ContractionDims {
  SmallVector<unsigned> m, n, k, outer;
};

/// True when `value` is computed from the block argument `arg` by casts
/// only (extf, truncf), or is `arg`.
bool castOf(Value value, BlockArgument arg) {
  while (value != arg) {
    Operation *def = value.getDefiningOp();
    if (!isa_and_nonnull<arith::ExtFOp, arith::TruncFOp>(def))
      return false;
    value = def->getOperand(0);
  }
  return true;
}

/// True when the payload yields `acc + X` with X the product of (casts of)
/// the two input elements, possibly scaled by values from outside the body
/// (Gemm's alpha): then a zero input element adds nothing, which is what
/// the zero padding of the last tiles relies on.
bool isMulAddPayload(Block *body) {
  if (body->getNumArguments() != 3)
    return false;
  auto add = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body->getArgument(2);
  Value term = add.getLhs() == acc   ? add.getRhs()
               : add.getRhs() == acc ? add.getLhs()
                                     : Value();
  if (!term)
    return false;
  // Peel scalings by values defined outside the body.
  auto mul = term.getDefiningOp<arith::MulFOp>();
  while (mul && (mul.getRhs().getParentBlock() != body ||
                 mul.getLhs().getParentBlock() != body)) {
    Value inner = mul.getRhs().getParentBlock() != body ? mul.getLhs()
                                                        : mul.getRhs();
    mul = inner.getDefiningOp<arith::MulFOp>();
  }
  if (!mul)
    return false;
  BlockArgument a = body->getArgument(0), b = body->getArgument(1);
  return (castOf(mul.getLhs(), a) && castOf(mul.getRhs(), b)) ||
         (castOf(mul.getLhs(), b) && castOf(mul.getRhs(), a));
}

std::optional<ContractionDims> tileableDims(linalg::LinalgOp op,
                                            int64_t tile) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() < 1 ||
      op.hasIndexSemantics() || !isMulAddPayload(op.getBlock()))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (!isa<FloatType>(getElementTypeOrSelf(operand.get().getType())))
      return std::nullopt;
  AffineMap lhs = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap rhs = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  // Inputs may be read through any affine map (a convolution's oh + kh);
  // the output is written at one loop point per element.
  if (!out.isProjectedPermutation())
    return std::nullopt;
  auto uses = [](AffineMap map, unsigned d) {
    return map.isFunctionOfDim(d);
  };
  ContractionDims dims;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (op.getIteratorTypesArray()[d] == utils::IteratorType::reduction) {
      if (!uses(lhs, d) || !uses(rhs, d) || uses(out, d))
        return std::nullopt;
      dims.k.push_back(d);
    } else if (uses(lhs, d) && !uses(rhs, d)) {
      dims.m.push_back(d);
    } else if (uses(rhs, d) && !uses(lhs, d)) {
      dims.n.push_back(d);
    } else if (uses(lhs, d) && uses(rhs, d)) {
      dims.outer.push_back(d);
    } else {
      return std::nullopt; // an output dim no input has
    }
  }
  if (dims.m.empty() || dims.n.empty())
    return std::nullopt;
  // A product too narrow to fill a tile runs better one thread per output
  // (a matrix-vector product: most of each tile's threads would idle).
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  auto staticProduct = [&](ArrayRef<unsigned> list) -> std::optional<int64_t> {
    int64_t product = 1;
    for (unsigned d : list) {
      if (ShapedType::isDynamic(sizes[d]))
        return std::nullopt;
      product *= sizes[d];
    }
    return product;
  };
  for (ArrayRef<unsigned> list : {ArrayRef(dims.m), ArrayRef(dims.n)})
    if (std::optional<int64_t> size = staticProduct(list); size && *size < tile)
      return std::nullopt;
  // The grid: M tiles in x (up to 2^31 - 1), N tiles in y and the outer
  // dims in z (up to 65,535 each).
  std::optional<int64_t> n = staticProduct(dims.n);
  std::optional<int64_t> outer = staticProduct(dims.outer);
  if ((n && llvm::divideCeil(*n, tile) > 65535) || (outer && *outer > 65535))
    return std::nullopt;
  return dims;
}

/// The indices of `operand` at the loop point `ivs`: a loop dim, or an
/// affine.apply of the map's result (lower-affine makes it arithmetic).
SmallVector<Value> operandIndices(OpBuilder &b, Location loc,
                                  linalg::LinalgOp op, OpOperand &operand,
                                  ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  AffineMap map = op.getMatchingIndexingMap(&operand);
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  }
  return indices;
}

/// Sets `ivs[d]` for the loop dims `dims` to the digits of `linear` (the
/// last dim varying fastest) in the loop sizes `sizes`.
void delinearize(OpBuilder &b, Location loc, Value linear,
                 ArrayRef<unsigned> dims, ArrayRef<Value> sizes,
                 SmallVectorImpl<Value> &ivs) {
  for (unsigned d : llvm::reverse(dims)) {
    if (d == dims.front()) {
      ivs[d] = linear;
      return;
    }
    ivs[d] = arith::RemUIOp::create(b, loc, linear, sizes[d]);
    linear = arith::DivUIOp::create(b, loc, linear, sizes[d]);
  }
}

/// `valid ? buffer[indices] : 0`.
Value loadOrZero(OpBuilder &b, Location loc, Value valid, Value buffer,
                 ValueRange indices) {
  Type elem = getElementTypeOrSelf(buffer.getType());
  auto ifOp = scf::IfOp::create(
      b, loc, valid,
      [&](OpBuilder &tb, Location l) {
        scf::YieldOp::create(
            tb, l, memref::LoadOp::create(tb, l, buffer, indices).getResult());
      },
      [&](OpBuilder &eb, Location l) {
        scf::YieldOp::create(
            eb, l,
            arith::ConstantOp::create(eb, l, eb.getZeroAttr(elem))
                .getResult());
      });
  return ifOp.getResult(0);
}

Value andI1(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}

Value lessThan(OpBuilder &b, Location loc, Value x, Value bound) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, bound);
}

} // namespace

bool isTileableContraction(linalg::LinalgOp op, int64_t tile) {
  return tileableDims(op, tile).has_value();
}

LogicalResult lowerContractionToTiledLaunch(IRRewriter &rewriter,
                                            linalg::LinalgOp op,
                                            int64_t tile) {
  std::optional<ContractionDims> dims = tileableDims(op, tile);
  if (!dims)
    return failure();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> sizes;
  for (Range range : op.createLoopRanges(rewriter, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
  auto product = [&](OpBuilder &b, ArrayRef<unsigned> list) {
    Value p = arith::ConstantIndexOp::create(b, loc, 1);
    for (unsigned d : list)
      p = arith::MulIOp::create(b, loc, p, sizes[d]);
    return p;
  };
  Value tileSize = arith::ConstantIndexOp::create(rewriter, loc, tile);
  auto tilesOf = [&](Value extent) {
    Value rounded = arith::AddIOp::create(
        rewriter, loc, extent,
        arith::ConstantIndexOp::create(rewriter, loc, tile - 1));
    return arith::DivUIOp::create(rewriter, loc, rounded, tileSize);
  };
  Value mSize = product(rewriter, dims->m);
  Value nSize = product(rewriter, dims->n);
  Value kSize = product(rewriter, dims->k);

  OpOperand *lhs = op.getDpsInputOperand(0);
  OpOperand *rhs = op.getDpsInputOperand(1);
  OpOperand *out = op.getDpsInitOperand(0);
  auto workgroup = gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                              gpu::AddressSpace::Workgroup);
  auto tileType = [&](Value buffer) {
    return MemRefType::get({tile, tile}, getElementTypeOrSelf(buffer.getType()),
                           MemRefLayoutAttrInterface(), workgroup);
  };
  // Blocks: M tiles in x (the largest count: pixels of a convolution),
  // N tiles in y, the outer dims in z. Threads: x along N, y along M.
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, tilesOf(mSize), tilesOf(nSize),
      product(rewriter, dims->outer), tileSize, tileSize,
      arith::ConstantIndexOp::create(rewriter, loc, 1),
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{},
      TypeRange{tileType(lhs->get()), tileType(rhs->get())});
  Value lhsTile = launch.getWorkgroupAttributions()[0];
  Value rhsTile = launch.getWorkgroupAttributions()[1];

  OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value tileB = arith::ConstantIndexOp::create(b, loc, tile);
  // This thread's output: linear M `row`, linear N `col`.
  Value row = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, tileB), ty);
  Value col = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().y, tileB), tx);
  Value rowOk = lessThan(b, loc, row, mSize);
  Value colOk = lessThan(b, loc, col, nSize);
  Value inside = andI1(b, loc, rowOk, colOk);
  // Its loop point; the K dims are set per element.
  SmallVector<Value> ivs(sizes.size(), zero);
  delinearize(b, loc, launch.getBlockIds().z, dims->outer, sizes, ivs);
  delinearize(b, loc, row, dims->m, sizes, ivs);
  delinearize(b, loc, col, dims->n, sizes, ivs);
  Value init = loadOrZero(b, loc, inside, out->get(),
                          operandIndices(b, loc, op, *out, ivs));

  // For the tiles, thread (tx, ty) loads A at its own row (M of `ivs`) and
  // B at its own column (N of `ivs`); only the K dims change.
  Value kTiles = arith::DivUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, kSize,
                            arith::ConstantIndexOp::create(b, loc, tile - 1)),
      tileB);
  Block *payload = op.getBlock();
  auto tiles = scf::ForOp::create(
      b, loc, zero, kTiles, one, ValueRange{init},
      [&](OpBuilder &fb, Location l, Value t, ValueRange acc) {
        Value k0 = arith::MulIOp::create(fb, l, t, tileB);
        // This thread's element of each tile, zero outside the op, at
        // [ty, tx] of the tile: A(row, k0 + tx) and B(k0 + ty, col).
        auto stage = [&](OpOperand *input, Value tileBuffer, Value kOffset,
                         Value otherOk) {
          SmallVector<Value> point(ivs);
          Value kIndex = arith::AddIOp::create(fb, l, k0, kOffset);
          delinearize(fb, l, kIndex, dims->k, sizes, point);
          Value valid = andI1(fb, l, otherOk, lessThan(fb, l, kIndex, kSize));
          Value v = loadOrZero(fb, l, valid, input->get(),
                               operandIndices(fb, l, op, *input, point));
          memref::StoreOp::create(fb, l, v, tileBuffer, ValueRange{ty, tx});
        };
        stage(lhs, lhsTile, tx, rowOk);
        stage(rhs, rhsTile, ty, colOk);
        gpu::BarrierOp::create(fb, l);
        auto inner = scf::ForOp::create(
            fb, l, zero, tileB, one, acc,
            [&](OpBuilder &ib, Location il, Value kk, ValueRange sum) {
              IRMapping mapping;
              mapping.map(payload->getArgument(0),
                          memref::LoadOp::create(ib, il, lhsTile,
                                                 ValueRange{ty, kk}));
              mapping.map(payload->getArgument(1),
                          memref::LoadOp::create(ib, il, rhsTile,
                                                 ValueRange{kk, tx}));
              mapping.map(payload->getArgument(2), sum[0]);
              for (Operation &bodyOp : payload->without_terminator())
                ib.clone(bodyOp, mapping);
              Value next = mapping.lookup(
                  payload->getTerminator()->getOperand(0));
              scf::YieldOp::create(ib, il, next);
            });
        gpu::BarrierOp::create(fb, l);
        scf::YieldOp::create(fb, l, inner.getResult(0));
      });
  auto store = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
  OpBuilder sb = store.getThenBodyBuilder();
  memref::StoreOp::create(sb, loc, tiles.getResult(0), out->get(),
                          operandIndices(sb, loc, op, *out, ivs));
  gpu::TerminatorOp::create(b, loc);
  rewriter.eraseOp(op);
  return success();
}

} // namespace onnxc
