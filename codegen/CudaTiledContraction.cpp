//===- CudaTiledContraction.cpp - matmul-shaped ops with shared memory ----===//
//
// A contraction (MatMul, Gemm, batched MatMul, and convolutions as an
// implicit GEMM: a generic with K dims whose payload adds P * Q to the
// output, P computed from some inputs' elements and Q from the others')
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
// A producer fused into the product (BERT's bias and GELU before FFN2, the
// Softmax normalization before attention x V) is computed once per staged
// element, not once per multiply-add.
//
// Not here yet: register blocking (several outputs per thread) and tensor
// cores (mma.sync for f16/bf16). Depthwise convolutions (no N dim) stay one
// thread per output.
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
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

namespace onnxc {

namespace {


/// How a contraction's payload splits around its product: it yields
/// `acc + P * Q` (possibly times values that depend on no input element,
/// Gemm's alpha), where P is computed from the elements of some inputs
/// (the A side: an operand and, say, the bias and GELU fused into it) and
/// Q from the others (the B side). P and Q are what the tiles stage; the
/// rest of the payload (the tail) runs per step of K.
struct PayloadSplit {
  Value p, q;
  SmallVector<unsigned> aInputs, bInputs; ///< input numbers of each side
  llvm::SmallPtrSet<Operation *, 8> pSlice, qSlice; ///< ops computing P, Q
};

/// The block arguments `value` depends on, and the body ops on the way
/// (`slice`); false when one of those ops has side effects.
bool collectSlice(Value value, Block *body,
                  llvm::SmallPtrSetImpl<Operation *> &slice,
                  llvm::SmallSetVector<unsigned, 4> &args) {
  SmallVector<Value> work = {value};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() == body)
        args.insert(arg.getArgNumber());
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (def->getBlock() != body || !slice.insert(def).second)
      continue;
    if (!isPure(def) || def->getNumRegions() != 0)
      return false;
    llvm::append_range(work, def->getOperands());
  }
  return true;
}

std::optional<PayloadSplit> splitPayload(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  unsigned numInputs = op.getNumDpsInputs();
  BlockArgument acc = body->getArgument(numInputs);
  auto add = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value term = add.getLhs() == acc   ? add.getRhs()
               : add.getRhs() == acc ? add.getLhs()
                                     : Value();
  if (!term)
    return std::nullopt;
  auto dependsOnElements = [&](Value v) {
    llvm::SmallPtrSet<Operation *, 8> slice;
    llvm::SmallSetVector<unsigned, 4> args;
    return !collectSlice(v, body, slice, args) || !args.empty();
  };
  // Peel scalings by values that depend on no element.
  auto mul = term.getDefiningOp<arith::MulFOp>();
  while (mul && (!dependsOnElements(mul.getLhs()) ||
                 !dependsOnElements(mul.getRhs()))) {
    Value inner =
        dependsOnElements(mul.getLhs()) ? mul.getLhs() : mul.getRhs();
    mul = inner.getDefiningOp<arith::MulFOp>();
  }
  if (!mul || mul->getBlock() != body)
    return std::nullopt;
  PayloadSplit split;
  split.p = mul.getLhs();
  split.q = mul.getRhs();
  llvm::SmallSetVector<unsigned, 4> pArgs, qArgs;
  if (!collectSlice(split.p, body, split.pSlice, pArgs) ||
      !collectSlice(split.q, body, split.qSlice, qArgs) || pArgs.empty() ||
      qArgs.empty())
    return std::nullopt;
  for (unsigned arg : pArgs)
    if (arg >= numInputs || qArgs.contains(arg))
      return std::nullopt; // the accumulator, or an input on both sides
  for (unsigned arg : qArgs)
    if (arg >= numInputs)
      return std::nullopt;
  if (pArgs.size() + qArgs.size() != numInputs)
    return std::nullopt; // an input the product does not read
  split.aInputs.assign(pArgs.begin(), pArgs.end());
  split.bInputs.assign(qArgs.begin(), qArgs.end());
  // The tail may read P and Q but nothing else of their computation.
  for (Operation &tailOp : body->without_terminator()) {
    if (split.pSlice.contains(&tailOp) || split.qSlice.contains(&tailOp))
      continue;
    for (Value operand : tailOp.getOperands()) {
      if (auto arg = dyn_cast<BlockArgument>(operand))
        if (arg.getOwner() == body && arg != acc && operand != split.p &&
            operand != split.q)
          return std::nullopt; // an input element read outside P and Q
      Operation *def = operand.getDefiningOp();
      if (def && (split.pSlice.contains(def) || split.qSlice.contains(def)) &&
          operand != split.p && operand != split.q)
        return std::nullopt;
    }
  }
  // Zero padding adds nothing only if the padded P and Q are multiplied.
  if (!isa<FloatType>(split.p.getType()) || !isa<FloatType>(split.q.getType()))
    return std::nullopt;
  return split;
}

/// The loop dims of a contraction this file tiles, as one GEMM: M dims (in
/// the A side's inputs and the output, not the B side's), N dims (in the B
/// side's and the output, not the A side's) and K dims (reduced, on both
/// sides) are each walked as one linear index, the last dim varying
/// fastest (a [B, S, K] x [K, N] product has M dims B and S; a convolution
/// has M dims n, oh, ow, N dim f and K dims c, kh, kw: an implicit GEMM).
/// Dims in both inputs and the output ("outer": batch dims) are enumerated
/// by the grid's z.
struct ContractionDims {
  SmallVector<unsigned> m, n, k, outer;
  PayloadSplit split;
};

std::optional<ContractionDims> tileableDims(linalg::LinalgOp op,
                                            int64_t tile) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() < 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() < 1 ||
      op.hasIndexSemantics())
    return std::nullopt;
  std::optional<PayloadSplit> split = splitPayload(op);
  if (!split)
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (!isa<FloatType>(getElementTypeOrSelf(operand.get().getType())))
      return std::nullopt;
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  // Inputs may be read through any affine map (a convolution's oh + kh);
  // the output is written at one loop point per element.
  if (!out.isProjectedPermutation())
    return std::nullopt;
  auto usesMap = [](AffineMap map, unsigned d) {
    return map.isFunctionOfDim(d);
  };
  // A side reads a dim when any of its inputs does.
  auto sideUses = [&](ArrayRef<unsigned> inputs, unsigned d) {
    return llvm::any_of(inputs, [&](unsigned i) {
      return op.getMatchingIndexingMap(op.getDpsInputOperand(i))
          .isFunctionOfDim(d);
    });
  };
  ContractionDims dims;
  auto uses = [&](int side, unsigned d) {
    return side == 0   ? sideUses(split->aInputs, d)
           : side == 1 ? sideUses(split->bInputs, d)
                       : usesMap(out, d);
  };
  const int lhs = 0, rhs = 1;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (op.getIteratorTypesArray()[d] == utils::IteratorType::reduction) {
      if (!uses(lhs, d) || !uses(rhs, d) || uses(2, d))
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
  dims.split = std::move(*split);
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

  const PayloadSplit &split = dims->split;
  OpOperand *out = op.getDpsInitOperand(0);
  auto workgroup = gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                              gpu::AddressSpace::Workgroup);
  auto tileType = [&](Value staged) {
    return MemRefType::get({tile, tile}, staged.getType(),
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
      TypeRange{tileType(split.p), tileType(split.q)});
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
        auto stage = [&](ArrayRef<unsigned> inputs, Value staged,
                         const llvm::SmallPtrSetImpl<Operation *> &slice,
                         Value tileBuffer, Value kOffset, Value otherOk) {
          SmallVector<Value> point(ivs);
          Value kIndex = arith::AddIOp::create(fb, l, k0, kOffset);
          delinearize(fb, l, kIndex, dims->k, sizes, point);
          Value valid = andI1(fb, l, otherOk, lessThan(fb, l, kIndex, kSize));
          // The side's value at this point: its inputs loaded, the payload
          // ops that compute it from them cloned.
          auto ifOp = scf::IfOp::create(
              fb, l, valid,
              [&](OpBuilder &tb, Location tl) {
                IRMapping mapping;
                for (unsigned i : inputs) {
                  OpOperand *input = op.getDpsInputOperand(i);
                  mapping.map(payload->getArgument(i),
                              memref::LoadOp::create(
                                  tb, tl, input->get(),
                                  operandIndices(tb, tl, op, *input, point)));
                }
                for (Operation &bodyOp : payload->without_terminator())
                  if (slice.contains(&bodyOp))
                    tb.clone(bodyOp, mapping);
                scf::YieldOp::create(tb, tl, mapping.lookupOrDefault(staged));
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(
                    eb, el,
                    arith::ConstantOp::create(
                        eb, el, eb.getZeroAttr(staged.getType()))
                        .getResult());
              });
          memref::StoreOp::create(fb, l, ifOp.getResult(0), tileBuffer,
                                  ValueRange{ty, tx});
        };
        stage(split.aInputs, split.p, split.pSlice, lhsTile, tx, rowOk);
        stage(split.bInputs, split.q, split.qSlice, rhsTile, ty, colOk);
        gpu::BarrierOp::create(fb, l);
        auto inner = scf::ForOp::create(
            fb, l, zero, tileB, one, acc,
            [&](OpBuilder &ib, Location il, Value kk, ValueRange sum) {
              // The tail of the payload on the staged P and Q.
              IRMapping mapping;
              mapping.map(split.p, memref::LoadOp::create(
                                       ib, il, lhsTile, ValueRange{ty, kk}));
              mapping.map(split.q, memref::LoadOp::create(
                                       ib, il, rhsTile, ValueRange{kk, tx}));
              mapping.map(payload->getArgument(op.getNumDpsInputs()), sum[0]);
              for (Operation &bodyOp : payload->without_terminator())
                if (!split.pSlice.contains(&bodyOp) &&
                    !split.qSlice.contains(&bodyOp))
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
