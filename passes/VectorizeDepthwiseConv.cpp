//===- VectorizeDepthwiseConv.cpp - Direct depthwise convolution kernels --===//
//
// A depthwise convolution (one input channel per group: mobilenet's 3x3
// layers) has nothing to share between output channels, so the im2col +
// matrix product of VectorizeContractions is a poor fit: the product's
// reduction is only kh*kw long and the im2col copy is kh*kw times the
// input. This pass computes it directly, per output plane:
//
//   for each (n, g, m) plane             (scf.forall when large, else scf.for)
//     w[ky][kx] broadcast to vectors     (kh*kw registers, once per plane)
//     for each output row oy
//       for each group of up to U vectors along the output width
//         acc_j = Y[oy, o_j .. o_j+V)                (the bias, or zeros)
//         acc_j += w[ky][kx] * X[oy*s + ky*d, (o_j..)*s + kx*d]  (all taps)
//
// The U accumulators are independent, so their FMA chains overlap. Along
// the width a vector is a contiguous load (stride 1), or s times as many
// contiguous elements deinterleaved by a vector.shuffle (stride s > 1).
// Vectors that would run past the output row or the input row are
// out-of-bounds transfers (masked loads and stores), so any width works.
//
// Zero padding is not copied: when X is a tensor.pad with 0.0 of the
// spatial dims, the kernel reads the pad's source and treats the border as
// zeros itself. Output rows whose window reaches above or below the input
// (the first and last rows of a 3x3, pad 1 convolution) skip those kernel
// rows (scf.if per kernel row, in separate row loops, so the inner rows
// carry no test); past the right edge the masked reads give zeros; the
// vectors that start left of the input (the first one of each row) read
// from column 0 and shift right, zeros coming in. The padded copy, an
// alloc, a fill and a strided copy of every input plane, was ~15% of
// mobilenet_v2.
//
// An elementwise consumer of Y that reads nothing else of it (the ReLU6 of
// every mobilenet_v2 block, passes/ContractionEpilogue.h) is applied to
// each vector just before it is stored: as its own pass it read and wrote
// the whole output again (about 5% of mobilenet_v2 on AVX2).
//
// The planes write disjoint parts of Y; with `parallel` a large
// convolution's planes are one scf.forall, which the CPU pipeline runs on
// the session's threads, as for the contraction kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/AccumulatorInit.h"
#include "passes/BlockLoops.h"
#include "passes/ContractionEpilogue.h"
#include "passes/ConvForm.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZEDEPTHWISECONV
#include "passes/Passes.h.inc"

namespace {

/// Independent accumulators per step along the width.
constexpr int64_t kVectorsPerStep = 4;
/// Taps are unrolled; larger kernels stay with the im2col kernels.
constexpr int64_t kMaxTaps = 64;
/// Larger strides would load (and discard) too much per vector.
constexpr int64_t kMaxStride = 4;

struct DepthwisePlan {
  int64_t sy, sx, dy, dx;
  /// Rows above and columns left of X where the window starts (the zero
  /// padding the kernel reads around X, see findZeroPaddedSource).
  int64_t padTop = 0, padLeft = 0;
};

FailureOr<DepthwisePlan> matchDepthwise(RewriterBase &rewriter,
                                        linalg::GenericOp op) {
  std::optional<ConvForm> form = matchConv(op);
  if (!form)
    return rewriter.notifyMatchFailure(op, "not a convolution generic");
  if (form->ns != 2)
    return rewriter.notifyMatchFailure(op, "not a 2-D convolution");
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
  auto xType = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto wType = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  if (xType.getDimSize(2) != 1)
    return rewriter.notifyMatchFailure(
        op, "more than one input channel per group (not depthwise)");
  if (wType.getDimSize(3) * wType.getDimSize(4) > kMaxTaps)
    return rewriter.notifyMatchFailure(op, "kernel too large to unroll");
  if (form->strides[0] > kMaxStride || form->strides[1] > kMaxStride)
    return rewriter.notifyMatchFailure(op, "stride too large");
  return DepthwisePlan{form->strides[0], form->strides[1], form->dilations[0],
                       form->dilations[1], 0, 0};
}

/// The kernel on one plane: X [hx, wx] (the input before padding), Y
/// [oh, ow] (2-D tensors), taps already broadcast; the window starts
/// `plan.padTop` rows above and `plan.padLeft` columns left of X, and
/// whatever of it lies outside X reads as 0 (the zero padding). With
/// `start`, the accumulators start from it (Y's initial value, the same in
/// every element of the plane: a broadcast bias) instead of reading Y.
/// With `epilogue`, each vector goes through it before its store;
/// `planeOffsets` are the plane's (n, g, m) in the convolution's output,
/// where the epilogue's other inputs are read. Returns the new Y.
Value emitPlane(OpBuilder &b, Location loc, Value x, Value y,
                ArrayRef<SmallVector<Value>> taps, const DepthwisePlan &plan,
                int64_t lanes, Value start,
                const ContractionEpilogue *epilogue,
                ArrayRef<OpFoldResult> planeOffsets) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto yType = cast<RankedTensorType>(y.getType());
  int64_t hx = xType.getDimSize(0), wx = xType.getDimSize(1);
  int64_t oh = yType.getDimSize(0), ow = yType.getDimSize(1);
  int64_t kh = taps.size(), kw = taps.front().size();
  Type f32 = b.getF32Type();
  // The narrowest power-of-two vector that covers a short row (7 columns:
  // 8 lanes, not 16 mostly masked ones).
  int64_t vl = std::min<int64_t>(lanes, llvm::PowerOf2Ceil(ow));
  int64_t loadLen = plan.sx * vl;
  auto vecType = VectorType::get({vl}, f32);
  auto loadType = VectorType::get({loadLen}, f32);
  SmallVector<int64_t> deinterleave;
  for (int64_t i = 0; i < vl; ++i)
    deinterleave.push_back(i * plan.sx);

  // The input column that lane 0 of output vector v reads for tap kx.
  auto firstColumn = [&](int64_t v, int64_t kx) {
    return v * vl * plan.sx + kx * plan.dx - plan.padLeft;
  };
  // Vectors along the width: the first `head` may start left of X (left
  // padding: straight-line code with the columns known); from there up to
  // `full` every read and write is in bounds (plain loads and stores);
  // the rest are masked.
  int64_t total = llvm::divideCeil(ow, vl), head = 0;
  while (head < total && firstColumn(head, 0) < 0)
    ++head;
  int64_t full = head;
  while (full < total && (full + 1) * vl <= ow &&
         firstColumn(full, kw - 1) + loadLen <= wx)
    ++full;

  Value pad = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0.0));
  Value zeros = arith::ConstantOp::create(
      b, loc, loadType, DenseElementsAttr::get(loadType, 0.0f));
  auto cst = [&](OpBuilder &bb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(bb, loc, v);
  };
  // `count` vectors from column `col0` (`staticCol0` when it is known), the
  // ones from `firstMasked` on masked; with `checkRows`, the taps of a
  // kernel row that falls outside X (top or bottom padding) are skipped.
  // Returns the new Y.
  auto emitVectors = [&](OpBuilder &bb, Value yt, Value oy, Value col0,
                         std::optional<int64_t> staticCol0, int64_t count,
                         int64_t firstMasked, bool checkRows) -> Value {
    SmallVector<Value> cols, accs;
    for (int64_t j = 0; j < count; ++j) {
      Value col = arith::AddIOp::create(bb, loc, col0, cst(bb, j * vl));
      cols.push_back(col);
      accs.push_back(start ? start
                           : vector::TransferReadOp::create(
                                 bb, loc, vecType, yt, ValueRange{oy, col},
                                 pad, ArrayRef<bool>{j < firstMasked})
                                 .getResult());
    }
    for (int64_t ky = 0; ky < kh; ++ky) {
      // iy = oy*sy + ky*dy - padTop
      Value iy = arith::AddIOp::create(
          bb, loc, arith::MulIOp::create(bb, loc, oy, cst(bb, plan.sy)),
          cst(bb, ky * plan.dy - plan.padTop));
      auto row = [&](OpBuilder &tb, SmallVector<Value> in) {
        for (int64_t kx = 0; kx < kw; ++kx) {
          for (int64_t j = 0; j < count; ++j) {
            Value lanesRead;
            int64_t start =
                staticCol0 ? (*staticCol0 + j * vl) * plan.sx + kx * plan.dx -
                                 plan.padLeft
                           : 0;
            if (staticCol0 && start < 0) {
              // Starts -start columns left of X: read from column 0 and
              // shift right, zeros coming in.
              if (-start >= loadLen)
                continue; // all padding
              Value at0 = vector::TransferReadOp::create(
                  tb, loc, loadType, x, ValueRange{iy, cst(tb, 0)}, pad,
                  ArrayRef<bool>{false});
              SmallVector<int64_t> shift;
              for (int64_t l = 0; l < loadLen; ++l)
                shift.push_back(l < -start ? 0 : loadLen + l + start);
              lanesRead =
                  vector::ShuffleOp::create(tb, loc, zeros, at0, shift);
            } else {
              Value ix =
                  staticCol0
                      ? cst(tb, start)
                      : arith::AddIOp::create(
                            tb, loc,
                            arith::MulIOp::create(tb, loc, cols[j],
                                                  cst(tb, plan.sx)),
                            cst(tb, kx * plan.dx - plan.padLeft))
                            .getResult();
              lanesRead = vector::TransferReadOp::create(
                  tb, loc, loadType, x, ValueRange{iy, ix}, pad,
                  ArrayRef<bool>{j < firstMasked});
            }
            if (plan.sx > 1)
              lanesRead = vector::ShuffleOp::create(tb, loc, lanesRead,
                                                    lanesRead, deinterleave);
            in[j] = vector::FMAOp::create(tb, loc, taps[ky][kx], lanesRead,
                                          in[j]);
          }
        }
        return in;
      };
      if (!checkRows) {
        accs = row(bb, accs);
        continue;
      }
      Value inside = arith::AndIOp::create(
          bb, loc,
          arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::sge, iy,
                                cst(bb, 0)),
          arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::slt, iy,
                                cst(bb, hx)));
      auto ifOp = scf::IfOp::create(
          bb, loc, inside,
          [&](OpBuilder &tb, Location) {
            scf::YieldOp::create(tb, loc, row(tb, accs));
          },
          [&](OpBuilder &eb, Location) { scf::YieldOp::create(eb, loc, accs); });
      accs.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    }
    if (epilogue)
      for (int64_t j = 0; j < count; ++j) {
        EpilogueBlock where;
        where.offsets.assign(planeOffsets.begin(), planeOffsets.end());
        where.offsets.push_back(oy);
        where.offsets.push_back(cols[j]);
        where.colPos = 4;
        where.cols = vl;
        where.wholeCols = ow % vl == 0;
        accs[j] =
            emitContractionEpilogue(bb, loc, *epilogue, where, {accs[j]})
                .front();
      }
    for (int64_t j = 0; j < count; ++j)
      yt = vector::TransferWriteOp::create(bb, loc, accs[j], yt,
                                           ValueRange{oy, cols[j]},
                                           ArrayRef<bool>{j < firstMasked})
               .getResult();
    return yt;
  };

  // One output row: the head vectors, the full ones in steps of
  // kVectorsPerStep, then the rest (straight-line, at most kVectorsPerStep
  // at a time).
  int64_t steps = (full - head) / kVectorsPerStep;
  auto emitRow = [&](OpBuilder &rb, Value oy, Value yt, bool checkRows) {
    for (int64_t v = 0; v < head; v += kVectorsPerStep) {
      int64_t count = std::min(kVectorsPerStep, head - v);
      yt = emitVectors(rb, yt, oy, cst(rb, v * vl), v * vl, count, 0,
                       checkRows);
    }
    if (steps > 0) {
      auto loop = scf::ForOp::create(
          rb, loc, cst(rb, head * vl),
          cst(rb, (head + steps * kVectorsPerStep) * vl),
          cst(rb, kVectorsPerStep * vl), ValueRange{yt},
          [&](OpBuilder &sb, Location, Value col0, ValueRange args) {
            scf::YieldOp::create(
                sb, loc,
                emitVectors(sb, args[0], oy, col0, std::nullopt,
                            kVectorsPerStep, kVectorsPerStep, checkRows));
          });
      yt = loop.getResult(0);
    }
    for (int64_t v = head + steps * kVectorsPerStep; v < total;
         v += kVectorsPerStep) {
      int64_t count = std::min(kVectorsPerStep, total - v);
      yt = emitVectors(rb, yt, oy, cst(rb, v * vl), v * vl, count,
                       std::max<int64_t>(0, full - v), checkRows);
    }
    return yt;
  };

  // Rows whose window lies inside X vertically, [rowLo, rowHi), need no
  // checks; those above and below (top and bottom padding) do.
  int64_t rowLo = std::min<int64_t>(oh, llvm::divideCeil(plan.padTop, plan.sy));
  int64_t lastInside = hx - 1 + plan.padTop - (kh - 1) * plan.dy;
  int64_t rowHi =
      lastInside < 0 ? rowLo
                     : std::clamp<int64_t>(lastInside / plan.sy + 1, rowLo, oh);
  Value yt = y;
  for (auto [from, to, check] : {std::tuple<int64_t, int64_t, bool>{0, rowLo, true},
                                 {rowLo, rowHi, false},
                                 {rowHi, oh, true}}) {
    if (from >= to)
      continue;
    bool checkRows = check;
    auto rows = scf::ForOp::create(
        b, loc, cst(b, from), cst(b, to), cst(b, 1), ValueRange{yt},
        [&](OpBuilder &rb, Location, Value oy, ValueRange rowArgs) {
          scf::YieldOp::create(rb, loc,
                               emitRow(rb, oy, rowArgs[0], checkRows));
        });
    yt = rows.getResult(0);
  }
  return yt;
}

/// X without its zero padding: when the convolution's input is a
/// tensor.pad with 0.0 of the two spatial dims only (through reshapes of
/// the dims before them, as the lowering and elementwise fusion leave it),
/// the pad's source viewed as [N, G, 1, H, W] and the padding before it.
/// The kernel then reads the source itself and treats what lies outside it
/// as zeros: no padded copy (an alloc, a fill and a strided copy) is made.
struct UnpaddedInput {
  Value x;
  int64_t top = 0, left = 0;
};

std::optional<UnpaddedInput> findZeroPaddedSource(OpBuilder &b, Location loc,
                                                  Value x) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  Value v = x;
  // Reshapes that keep the last two dims as they are.
  auto keepsSpatial = [&](RankedTensorType from, RankedTensorType to,
                          ArrayRef<ReassociationIndices> groups) {
    return from.getRank() >= 2 && to.getRank() >= 2 && groups.size() >= 2 &&
           from.getShape().take_back(2) == to.getShape().take_back(2) &&
           groups[groups.size() - 1].size() == 1 &&
           groups[groups.size() - 2].size() == 1;
  };
  while (true) {
    if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>()) {
      if (!keepsSpatial(e.getSrcType(), e.getResultType(),
                        e.getReassociationIndices()))
        return std::nullopt;
      v = e.getSrc();
    } else if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>()) {
      if (!keepsSpatial(c.getSrcType(), c.getResultType(),
                        c.getReassociationIndices()))
        return std::nullopt;
      v = c.getSrc();
    } else {
      break;
    }
  }
  auto padOp = v.getDefiningOp<tensor::PadOp>();
  if (!padOp || !padOp.getSourceType().hasStaticShape())
    return std::nullopt;
  Value padValue = padOp.getConstantPaddingValue();
  if (!padValue || !matchPattern(padValue, m_AnyZeroFloat()))
    return std::nullopt;
  std::optional<SmallVector<int64_t>> low =
      getConstantIntValues(padOp.getMixedLowPad());
  std::optional<SmallVector<int64_t>> high =
      getConstantIntValues(padOp.getMixedHighPad());
  if (!low || !high)
    return std::nullopt;
  int64_t srcRank = padOp.getSourceType().getRank();
  for (int64_t i = 0; i < srcRank; ++i)
    if (((*low)[i] || (*high)[i]) && i < srcRank - 2)
      return std::nullopt;
  // The source as [N, G, 1, H, W]: all leading dims into one, then split as
  // X's (the reshapes above only regroup them, in row-major order).
  Value src = padOp.getSource();
  auto srcType = padOp.getSourceType();
  SmallVector<int64_t> shape(xType.getShape().drop_back(2));
  shape.append(srcType.getShape().take_back(2).begin(),
               srcType.getShape().take_back(2).end());
  ReassociationIndices lead;
  for (int64_t i = 0; i < srcRank - 2; ++i)
    lead.push_back(i);
  Value flat = src;
  if (srcRank != 3)
    flat = tensor::CollapseShapeOp::create(
        b, loc, src,
        SmallVector<ReassociationIndices>{lead, {srcRank - 2}, {srcRank - 1}});
  ReassociationIndices split;
  for (int64_t i = 0; i < rank - 2; ++i)
    split.push_back(i);
  Value viewed = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, srcType.getElementType()), flat,
      SmallVector<ReassociationIndices>{split, {rank - 2}, {rank - 1}});
  return UnpaddedInput{viewed, (*low)[srcRank - 2], (*low)[srcRank - 1]};
}

LogicalResult rewriteDepthwise(RewriterBase &rewriter, linalg::GenericOp op,
                               DepthwisePlan plan, int64_t lanes,
                               bool parallel, int64_t minParallelMacs,
                               DominanceInfo &dominance) {
  Location loc = op.getLoc();
  Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
  // An elementwise consumer in Y's own shape (not through a reshape: the
  // kernel's vectors are indexed in Y's dims).
  std::optional<ContractionEpilogue> epilogue =
      matchContractionEpilogue(op, dominance);
  if (epilogue && epilogue->throughExpand)
    epilogue.reset();
  if (epilogue)
    hoistEpilogueInputs(*epilogue, op);
  rewriter.setInsertionPoint(op);
  // A broadcast bias (or a fill) as Y's initial value: the accumulators
  // start from it, and nothing writes or reads Y before the kernel
  // (passes/AccumulatorInit.h). Y's dims are [n, g, m, oh, ow]: the value
  // is the same across a plane (oh, ow) or the init is kept.
  std::optional<AccumulatorInit> start = matchAccumulatorInit(op);
  if (start && start->source &&
      llvm::any_of(start->map.getResults(), [](AffineExpr e) {
        auto d = dyn_cast<AffineDimExpr>(e);
        return d && d.getPosition() >= 3;
      }))
    start.reset();
  if (start)
    detachAccumulatorInit(rewriter, op);
  Value init = op.getDpsInits()[0];
  if (std::optional<UnpaddedInput> source =
          findZeroPaddedSource(rewriter, loc, x)) {
    x = source->x;
    plan.padTop = source->top;
    plan.padLeft = source->left;
  }
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto yType = cast<RankedTensorType>(init.getType());
  int64_t n = yType.getDimSize(0), g = yType.getDimSize(1),
          mg = yType.getDimSize(2), oh = yType.getDimSize(3),
          ow = yType.getDimSize(4);
  int64_t hx = xType.getDimSize(3), wx = xType.getDimSize(4);
  int64_t kh = wType.getDimSize(3), kw = wType.getDimSize(4);
  Type f32 = rewriter.getF32Type();
  auto xPlaneType = RankedTensorType::get({hx, wx}, f32);
  auto yPlaneType = RankedTensorType::get({oh, ow}, f32);

  // One plane (n, g, m) of Y, computed from `out` (the whole Y so far);
  // returns the new plane.
  auto plane = [&](OpBuilder &b, Value ni, Value gi, Value mi,
                   Value out) -> Value {
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    auto i = [&](int64_t v) { return b.getIndexAttr(v); };
    Value xs = tensor::ExtractSliceOp::create(
        b, loc, xPlaneType, x,
        ArrayRef<OpFoldResult>{ni, gi, i(0), i(0), i(0)},
        ArrayRef<OpFoldResult>{i(1), i(1), i(1), i(hx), i(wx)},
        ArrayRef<OpFoldResult>{i(1), i(1), i(1), i(1), i(1)});
    Value ys = tensor::ExtractSliceOp::create(
        b, loc, yPlaneType, out,
        ArrayRef<OpFoldResult>{ni, gi, mi, i(0), i(0)},
        ArrayRef<OpFoldResult>{i(1), i(1), i(1), i(oh), i(ow)},
        ArrayRef<OpFoldResult>{i(1), i(1), i(1), i(1), i(1)});
    int64_t vl = std::min<int64_t>(lanes, llvm::PowerOf2Ceil(ow));
    auto vecType = VectorType::get({vl}, f32);
    SmallVector<SmallVector<Value>> taps(kh);
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t kx = 0; kx < kw; ++kx) {
        Value tap = tensor::ExtractOp::create(
            b, loc, w,
            ValueRange{gi, mi, zero,
                       arith::ConstantIndexOp::create(b, loc, ky),
                       arith::ConstantIndexOp::create(b, loc, kx)});
        taps[ky].push_back(vector::BroadcastOp::create(b, loc, vecType, tap));
      }
    Value startVector;
    if (start) {
      auto i = [&](int64_t v) { return b.getIndexAttr(v); };
      startVector = readAccumulatorInit(
          b, loc, *start, ArrayRef<OpFoldResult>{ni, gi, mi, i(0), i(0)},
          /*vectorDims=*/{4}, vecType);
    }
    return emitPlane(b, loc, xs, ys, taps, plan, lanes, startVector,
                     epilogue ? &*epilogue : nullptr,
                     ArrayRef<OpFoldResult>{ni, gi, mi});
  };
  uint64_t macs = 1;
  for (int64_t v : {n, g, mg, oh, ow, kh, kw})
    macs = llvm::SaturatingMultiply(macs, uint64_t(v));
  bool inParallel = parallel && n * g * mg > 1 &&
                    macs >= uint64_t(std::max<int64_t>(minParallelMacs, 0));
  Value result = buildBlockLoops(
      rewriter, loc, {n, g, mg}, init, inParallel,
      [&](OpBuilder &b, ValueRange ivs, Value out) -> OutputBlock {
        auto i = [&](int64_t v) { return b.getIndexAttr(v); };
        return {plane(b, ivs[0], ivs[1], ivs[2], out),
                {ivs[0], ivs[1], ivs[2], i(0), i(0)},
                {i(1), i(1), i(1), i(oh), i(ow)}};
      });
  rewriter.replaceOp(op, result);
  if (epilogue)
    foldContractionEpilogue(rewriter, *epilogue);
  return success();
}

struct VectorizeDepthwiseConvPass
    : impl::VectorizeDepthwiseConvBase<VectorizeDepthwiseConvPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Convolutions only: a rewrite erases its epilogue, another generic.
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      if (matchConv(op))
        generics.push_back(op);
    });
    int64_t lanes = std::max<int64_t>(1, vectorBytes / 4);
    for (linalg::GenericOp op : generics) {
      FailureOr<DepthwisePlan> plan = matchDepthwise(rewriter, op);
      if (failed(plan))
        continue;
      DominanceInfo dominance(getOperation());
      (void)rewriteDepthwise(rewriter, op, *plan, lanes, parallel,
                             minParallelMacs, dominance);
    }
  }
};

} // namespace
} // namespace onnxc
