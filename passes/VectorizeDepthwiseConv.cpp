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
// The planes write disjoint parts of Y; with `parallel` a large
// convolution's planes are one scf.forall, which the CPU pipeline runs on
// the session's threads, as for the contraction kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/ConvForm.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
                       form->dilations[1]};
}

/// The kernel on one plane: X [hx, wx], Y [oh, ow] (2-D tensors), taps
/// already broadcast. Returns the new Y.
Value emitPlane(OpBuilder &b, Location loc, Value x, Value y,
                ArrayRef<SmallVector<Value>> taps, const DepthwisePlan &plan,
                int64_t lanes) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto yType = cast<RankedTensorType>(y.getType());
  int64_t wx = xType.getDimSize(1);
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

  // Vectors along the width: the first `full` fit both rows entirely (plain
  // loads and stores), the rest are masked.
  int64_t total = llvm::divideCeil(ow, vl), full = 0;
  while (full < total && (full + 1) * vl <= ow &&
         full * vl * plan.sx + (kw - 1) * plan.dx + loadLen <= wx)
    ++full;

  Value pad = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0.0));
  auto cst = [&](OpBuilder &bb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(bb, loc, v);
  };
  // `count` vectors from column `col0`, the ones from `firstMasked` on
  // masked; returns the new Y.
  auto emitVectors = [&](OpBuilder &bb, Value yt, Value oy, Value col0,
                         int64_t count, int64_t firstMasked) -> Value {
    SmallVector<Value> cols, accs;
    for (int64_t j = 0; j < count; ++j) {
      Value col = arith::AddIOp::create(bb, loc, col0, cst(bb, j * vl));
      cols.push_back(col);
      accs.push_back(vector::TransferReadOp::create(
          bb, loc, vecType, yt, ValueRange{oy, col}, pad,
          ArrayRef<bool>{j < firstMasked}));
    }
    for (int64_t ky = 0; ky < kh; ++ky) {
      // iy = oy*sy + ky*dy
      Value iy = arith::AddIOp::create(
          bb, loc, arith::MulIOp::create(bb, loc, oy, cst(bb, plan.sy)),
          cst(bb, ky * plan.dy));
      for (int64_t kx = 0; kx < kw; ++kx) {
        for (int64_t j = 0; j < count; ++j) {
          Value ix = arith::AddIOp::create(
              bb, loc, arith::MulIOp::create(bb, loc, cols[j], cst(bb, plan.sx)),
              cst(bb, kx * plan.dx));
          Value row = vector::TransferReadOp::create(
              bb, loc, loadType, x, ValueRange{iy, ix}, pad,
              ArrayRef<bool>{j < firstMasked});
          if (plan.sx > 1)
            row = vector::ShuffleOp::create(bb, loc, row, row, deinterleave);
          accs[j] = vector::FMAOp::create(bb, loc, taps[ky][kx], row, accs[j]);
        }
      }
    }
    for (int64_t j = 0; j < count; ++j)
      yt = vector::TransferWriteOp::create(bb, loc, accs[j], yt,
                                           ValueRange{oy, cols[j]},
                                           ArrayRef<bool>{j < firstMasked})
               .getResult();
    return yt;
  };

  int64_t steps = full / kVectorsPerStep;
  auto rows = scf::ForOp::create(
      b, loc, cst(b, 0), cst(b, oh), cst(b, 1), ValueRange{y},
      [&](OpBuilder &rb, Location, Value oy, ValueRange rowArgs) {
        Value yt = rowArgs[0];
        if (steps > 0) {
          auto loop = scf::ForOp::create(
              rb, loc, cst(rb, 0), cst(rb, steps * kVectorsPerStep * vl),
              cst(rb, kVectorsPerStep * vl), ValueRange{yt},
              [&](OpBuilder &sb, Location, Value col0, ValueRange args) {
                scf::YieldOp::create(
                    sb, loc,
                    emitVectors(sb, args[0], oy, col0, kVectorsPerStep,
                                kVectorsPerStep));
              });
          yt = loop.getResult(0);
        }
        // The rest, straight-line: leftover full vectors, then masked ones
        // (a group of at most kVectorsPerStep at a time).
        for (int64_t v = steps * kVectorsPerStep; v < total;
             v += kVectorsPerStep) {
          int64_t count = std::min(kVectorsPerStep, total - v);
          yt = emitVectors(rb, yt, oy, cst(rb, v * vl), count,
                           std::max<int64_t>(0, full - v));
        }
        scf::YieldOp::create(rb, loc, yt);
      });
  return rows.getResult(0);
}

LogicalResult rewriteDepthwise(RewriterBase &rewriter, linalg::GenericOp op,
                               const DepthwisePlan &plan, int64_t lanes,
                               bool parallel, int64_t minParallelMacs) {
  Location loc = op.getLoc();
  Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
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
  rewriter.setInsertionPoint(op);

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
    return emitPlane(b, loc, xs, ys, taps, plan, lanes);
  };
  auto offsets = [&](OpBuilder &b, Value ni, Value gi, Value mi) {
    auto i = [&](int64_t v) { return b.getIndexAttr(v); };
    return SmallVector<OpFoldResult>{ni, gi, mi, i(0), i(0)};
  };
  auto sizes = [&](OpBuilder &b) {
    auto i = [&](int64_t v) { return b.getIndexAttr(v); };
    return SmallVector<OpFoldResult>{i(1), i(1), i(1), i(oh), i(ow)};
  };
  auto unitStrides = [&](OpBuilder &b) {
    return SmallVector<OpFoldResult>(5, b.getIndexAttr(1));
  };

  uint64_t macs = 1;
  for (int64_t v : {n, g, mg, oh, ow, kh, kw})
    macs = llvm::SaturatingMultiply(macs, uint64_t(v));
  Value result;
  if (parallel && n * g * mg > 1 &&
      macs >= uint64_t(std::max<int64_t>(minParallelMacs, 0))) {
    auto forall = scf::ForallOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(n),
                               rewriter.getIndexAttr(g),
                               rewriter.getIndexAttr(mg)},
        ValueRange{init}, std::nullopt,
        [&](OpBuilder &b, Location, ValueRange args) {
          Value out = args[3];
          Value ys = plane(b, args[0], args[1], args[2], out);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, loc, ys, out, offsets(b, args[0], args[1], args[2]),
              sizes(b), unitStrides(b));
        });
    result = forall.getResult(0);
  } else {
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto bound = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, ValueRange{zero, zero, zero},
        ValueRange{bound(n), bound(g), bound(mg)}, ValueRange{one, one, one},
        ValueRange{init},
        [&](OpBuilder &b, Location, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          Value ys = plane(b, ivs[0], ivs[1], ivs[2], args[0]);
          return {tensor::InsertSliceOp::create(
                      b, loc, ys, args[0], offsets(b, ivs[0], ivs[1], ivs[2]),
                      sizes(b), unitStrides(b))
                      .getResult()};
        });
    result = nest.results.front();
  }
  rewriter.replaceOp(op, result);
  return success();
}

struct VectorizeDepthwiseConvPass
    : impl::VectorizeDepthwiseConvBase<VectorizeDepthwiseConvPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    int64_t lanes = std::max<int64_t>(1, vectorBytes / 4);
    for (linalg::GenericOp op : generics) {
      FailureOr<DepthwisePlan> plan = matchDepthwise(rewriter, op);
      if (succeeded(plan))
        (void)rewriteDepthwise(rewriter, op, *plan, lanes, parallel,
                               minParallelMacs);
    }
  }
};

} // namespace
} // namespace onnxc
