//===- CudaTiledContraction.cpp - matmul-shaped ops with shared memory ----===//
//
// A contraction (MatMul, Gemm, batched MatMul: a generic with one K
// dimension whose payload adds a product of its inputs to the output)
// mapped one thread per output reads each input
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
// Not here yet: register blocking (several outputs per thread), tensor
// cores (mma.sync for f16/bf16), and convolutions (which stay one thread
// per output).
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaTiledContraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace onnxc {

namespace {

/// The loop dims of a contraction this file tiles: M (in the first input
/// and the output, not the second), N (in the second input and the output,
/// not the first) and the K dims (reduced, in both inputs; several, as
/// reshapes leave a [heads, head size] reduction, are walked as one); every
/// other loop dim is
/// "outer" and enumerated by the grid's z: batch dims, and the M and N dims
/// other than the innermost ones of the output (a [B, S, K] x [K, N]
/// product has M dims B and S, of which S is tiled).
struct ContractionDims {
  unsigned m, n;
  SmallVector<unsigned> k; ///< one linear K, the last dim varying fastest
  SmallVector<unsigned> outer;
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
  for (OpOperand &operand : op->getOpOperands()) {
    if (!op.getMatchingIndexingMap(&operand).isProjectedPermutation())
      return std::nullopt;
    if (!isa<FloatType>(getElementTypeOrSelf(operand.get().getType())))
      return std::nullopt;
  }
  AffineMap lhs = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap rhs = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto uses = [](AffineMap map, unsigned d) {
    return map.isFunctionOfDim(d);
  };
  ContractionDims dims{0, 0, {}, {}};
  SmallVector<unsigned> ms, ns;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (op.getIteratorTypesArray()[d] == utils::IteratorType::reduction) {
      if (!uses(lhs, d) || !uses(rhs, d) || uses(out, d))
        return std::nullopt;
      dims.k.push_back(d);
    } else if (uses(lhs, d) && !uses(rhs, d)) {
      ms.push_back(d);
    } else if (uses(rhs, d) && !uses(lhs, d)) {
      ns.push_back(d);
    } else if (uses(lhs, d) && uses(rhs, d)) {
      dims.outer.push_back(d);
    } else {
      return std::nullopt; // an output dim no input has
    }
  }
  if (ms.empty() || ns.empty())
    return std::nullopt;
  // Tile the M and N dims innermost in the output, among those not known
  // to be 1 (a [S, 1, K] activation has M dims S and 1).
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  auto innermost = [&](ArrayRef<unsigned> candidates) {
    auto position = [&](unsigned d) {
      return *out.getResultPosition(getAffineDimExpr(d, op.getContext()));
    };
    unsigned best = candidates.front();
    for (unsigned d : candidates) {
      bool unit = sizes[d] == 1, bestUnit = sizes[best] == 1;
      if (unit != bestUnit ? bestUnit : position(d) > position(best))
        best = d;
    }
    return best;
  };
  dims.m = innermost(ms);
  dims.n = innermost(ns);
  for (unsigned d : ms)
    if (d != dims.m)
      dims.outer.push_back(d);
  for (unsigned d : ns)
    if (d != dims.n)
      dims.outer.push_back(d);
  llvm::sort(dims.outer);
  // A product too narrow to fill a tile runs better one thread per output
  // (a matrix-vector product: most of each tile's threads would idle).
  for (unsigned d : {dims.m, dims.n})
    if (!ShapedType::isDynamic(sizes[d]) && sizes[d] < tile)
      return std::nullopt;
  int64_t outer = 1;
  for (unsigned d : dims.outer)
    if (!ShapedType::isDynamic(sizes[d]))
      outer *= sizes[d];
  if (outer > 65535) // the grid's z limit
    return std::nullopt;
  return dims;
}

/// The indices of `operand` at the loop point `ivs` (its map is a
/// projected permutation: each result is one loop dim).
SmallVector<Value> operandIndices(linalg::LinalgOp op, OpOperand &operand,
                                  ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults())
    indices.push_back(ivs[cast<AffineDimExpr>(e).getPosition()]);
  return indices;
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
  auto cst = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };
  SmallVector<Value> sizes;
  for (Range range : op.createLoopRanges(rewriter, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
  Value one = cst(1), tileSize = cst(tile), tileMinusOne = cst(tile - 1);
  auto tilesOf = [&](Value extent) {
    return arith::DivUIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, extent, tileMinusOne),
        tileSize);
  };
  Value outerCount = one;
  for (unsigned d : dims->outer)
    outerCount = arith::MulIOp::create(rewriter, loc, outerCount, sizes[d]);

  OpOperand *lhs = op.getDpsInputOperand(0);
  OpOperand *rhs = op.getDpsInputOperand(1);
  OpOperand *out = op.getDpsInitOperand(0);
  auto workgroup = gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                              gpu::AddressSpace::Workgroup);
  auto tileType = [&](Value buffer) {
    return MemRefType::get({tile, tile}, getElementTypeOrSelf(buffer.getType()),
                           MemRefLayoutAttrInterface(), workgroup);
  };
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, tilesOf(sizes[dims->n]), tilesOf(sizes[dims->m]),
      outerCount, tileSize, tileSize, one, /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
      TypeRange{tileType(lhs->get()), tileType(rhs->get())});
  Value lhsTile = launch.getWorkgroupAttributions()[0];
  Value rhsTile = launch.getWorkgroupAttributions()[1];

  OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value oneB0 = arith::ConstantIndexOp::create(b, loc, 1);
  Value tileB = arith::ConstantIndexOp::create(b, loc, tile);
  Value row = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().y, tileB), ty);
  Value col = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, tileB), tx);
  // The loop point of this thread's output; K is filled in per element.
  SmallVector<Value> ivs(sizes.size(), zero);
  ivs[dims->m] = row;
  ivs[dims->n] = col;
  Value rest = launch.getBlockIds().z;
  for (unsigned d : llvm::reverse(dims->outer)) {
    ivs[d] = arith::RemUIOp::create(b, loc, rest, sizes[d]);
    rest = arith::DivUIOp::create(b, loc, rest, sizes[d]);
  }
  Value rowOk = lessThan(b, loc, row, sizes[dims->m]);
  Value colOk = lessThan(b, loc, col, sizes[dims->n]);
  Value inside = andI1(b, loc, rowOk, colOk);
  Value init = loadOrZero(b, loc, inside, out->get(),
                          operandIndices(op, *out, ivs));

  Value kSize = oneB0;
  for (unsigned d : dims->k)
    kSize = arith::MulIOp::create(b, loc, kSize, sizes[d]);
  // The K dims' indices of linear index `linear` (the last one fastest).
  auto setK = [&](OpBuilder &kb, Location l, SmallVector<Value> &at,
                  Value linear) {
    for (unsigned d : llvm::reverse(dims->k)) {
      if (d == dims->k.front()) {
        at[d] = linear;
        break;
      }
      at[d] = arith::RemUIOp::create(kb, l, linear, sizes[d]);
      linear = arith::DivUIOp::create(kb, l, linear, sizes[d]);
    }
  };
  Value kTiles = arith::DivUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, kSize,
                            arith::ConstantIndexOp::create(b, loc, tile - 1)),
      tileB);
  Value oneB = oneB0;
  Block *payload = op.getBlock();
  auto tiles = scf::ForOp::create(
      b, loc, zero, kTiles, oneB, ValueRange{init},
      [&](OpBuilder &fb, Location l, Value t, ValueRange acc) {
        Value k0 = arith::MulIOp::create(fb, l, t, tileB);
        // This thread's element of each tile: A(row, k0 + tx) and
        // B(k0 + ty, col), zero outside the op, at [ty, tx] of the tile.
        auto stage = [&](OpOperand *input, Value tileBuffer, Value kOffset,
                         Value otherOk) {
          SmallVector<Value> at(ivs);
          Value kIndex = arith::AddIOp::create(fb, l, k0, kOffset);
          setK(fb, l, at, kIndex);
          Value valid = andI1(fb, l, otherOk, lessThan(fb, l, kIndex, kSize));
          Value v = loadOrZero(fb, l, valid, input->get(),
                               operandIndices(op, *input, at));
          memref::StoreOp::create(fb, l, v, tileBuffer, ValueRange{ty, tx});
        };
        stage(lhs, lhsTile, tx, rowOk);
        stage(rhs, rhsTile, ty, colOk);
        gpu::BarrierOp::create(fb, l);
        auto inner = scf::ForOp::create(
            fb, l, zero, tileB, oneB, acc,
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
                          operandIndices(op, *out, ivs));
  gpu::TerminatorOp::create(b, loc);
  rewriter.eraseOp(op);
  return success();
}

} // namespace onnxc
