//===- VectorizeDirectConv.cpp - Convolutions without an im2col copy ------===//
//
// VectorizeContractions computes a convolution as an im2col copy and a
// matrix product whose vectors run along the output pixels. For a kernel
// larger than 1x1 that copy is kh*kw times the input (7.2 MB for
// resnet50's 3x3 layers at 56x56, 7.4 MB for its 7x7 stem): it is written
// and read back through the L3 cache, and resnet50's layer1 3x3
// convolutions ran at 140 GFLOP/s where ONNX Runtime's reach 200.
//
// This pass computes such a convolution directly, with the vectors along
// the output channels instead, as ONNX Runtime's NCHWc kernels do, but on
// the NCHW tensors the rest of the pipeline uses:
//
//   for each (n, g, block of MB output channels, block of MR pixels)
//     acc[r][v] = bias                       (MR x MB/lanes vector registers)
//     for c in input channels
//       for (kh, kw) in the window (unrolled)
//         w_v = Wp[g][m block][c, kh, kw][v*lanes ..]  (packed at compile time)
//         acc[r][v] += broadcast(X[n, g, c, oh_r*s + kh*d, ow_r*s + kw*d]) * w_v
//     epilogue (ReLU, Clip...) on the accumulators
//     Y[n, g, m block, pixels r] = transpose(acc)      (MR pixels per channel)
//
// The input element of pixel r for tap (c, kh, kw) lies at a fixed offset
// (c*Hx*Wx + kh*d*Wx + kw*d) from the pixel's window origin, so every
// broadcast reads the padded input itself: no copy, and what a block reads
// (a few rows of each channel) stays in L1/L2. The weights are packed at
// compile time as [g, m blocks, K, MB] so that a tap's vectors are one
// contiguous run. A C model of this loop reached 200 GFLOP/s on resnet50's
// 3x3 layers and 184 on its stem on the development machine.
//
// The accumulators are stored transposed (MR consecutive pixels per output
// channel), which costs a few instructions per element of the block: the
// pass only takes convolutions whose reduction (channels x taps) is long
// enough to hide that (`min-reduction`). 1x1 convolutions have no copy to
// save and stay matrix products, except on small planes (`max-1x1-pixels`),
// where the product's vectors along the pixels are partly empty (49 of 64
// lanes at 7x7) and these, along the channels, are full: with a long
// reduction only (`min-1x1-reduction`), and not where their epilogue adds
// a residual, which only the product fuses. The weights must be a
// constant.
//
// Every block of pixels reads its channel block's weights again (K x MB
// floats), where the im2col product reads each weight once per 64 output
// pixels. Inside a model, with the input and output competing for L2, that
// only pays while those weights stay in L2 (`max-panel-bytes`): resnet50's
// stem and 56x56 layers got 20-35% faster, its 28x28, 14x14 and 7x7 3x3
// layers (295 KB to 1.2 MB of weights per block) 8-35% slower, though
// faster alone.
//
//===----------------------------------------------------------------------===//

#include "passes/AccumulatorInit.h"
#include "passes/BlockLoops.h"
#include "passes/ConstantBytes.h"
#include "passes/ContractionEpilogue.h"
#include "passes/ConvForm.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZEDIRECTCONV
#include "passes/Passes.h.inc"

namespace {

struct Blocking {
  int64_t pixels;  ///< MR: pixels per block (accumulator rows)
  int64_t vectors; ///< vectors of output channels per block
  int64_t lanes;
  int64_t channels() const { return vectors * lanes; }
};

/// Whether blocks `width` channels wide spend at most a quarter of their
/// lanes past the last of `channels`.
bool wastesLittle(int64_t channels, int64_t width) {
  return int64_t(llvm::divideCeil(channels, width)) * width * 3 <=
         channels * 4;
}

/// The block for `channels` output channels: the most vectors (up to the
/// target's) whose blocks spend at most a quarter of their lanes past the
/// last channel (40 channels: 3 vectors of 16, not 4; 24: 2); std::nullopt
/// when even one vector would waste more (8 channels in 16 lanes), where
/// the im2col kernels, whose vectors run along the pixels, waste nothing
/// (at 3/4 of its lanes this kernel is about as fast as they are).
std::optional<Blocking> blockingFor(Blocking target, int64_t channels) {
  for (int64_t v = target.vectors; v >= 1; --v) {
    if (wastesLittle(channels, v * target.lanes))
      return Blocking{target.pixels, v, target.lanes};
  }
  return std::nullopt;
}

/// Narrow blocks for a convolution whose `wide` blocks hold too many
/// weights to stay in L2 across the pixels: half the vectors (at least
/// one), as many accumulators, so up to `wide.pixels * wide.vectors /
/// vectors` pixels per block; between 2/3 of that and that, the count that
/// leaves the fewest pixels unused in the last block (a 7x7 output: 10,
/// five blocks for 49 pixels, where 12 would leave 11 unused).
/// std::nullopt where the narrower width wastes more than a quarter of its
/// lanes (as in blockingFor), or `wide` has one vector.
std::optional<Blocking> narrowBlocking(Blocking wide, int64_t channels,
                                       int64_t pixels) {
  int64_t vectors = wide.vectors / 2;
  if (vectors < 1)
    return std::nullopt;
  if (!wastesLittle(channels, vectors * wide.lanes))
    return std::nullopt;
  int64_t most = wide.pixels * wide.vectors / vectors;
  int64_t least = std::max(wide.pixels, most * 2 / 3);
  auto unused = [&](int64_t p) {
    return int64_t(llvm::divideCeil(pixels, p)) * p - pixels;
  };
  int64_t best = most;
  for (int64_t p = most - 1; p >= least; --p)
    if (unused(p) < unused(best))
      best = p;
  return Blocking{best, vectors, wide.lanes};
}

/// The shape facts of a convolution this pass computes.
struct DirectConv {
  ConvForm form;
  int64_t n, g, cg, hx, wx, mg, kh, kw, oh, ow;
  Blocking blk{0, 0, 0};
  int64_t k() const { return cg * kh * kw; }
  int64_t pixels() const { return oh * ow; }
};

FailureOr<DirectConv> matchDirectConv(RewriterBase &rewriter,
                                      linalg::GenericOp op,
                                      int64_t minReduction,
                                      int64_t maxPanelBytes,
                                      int64_t maxNarrowPanelBytes,
                                      int64_t max1x1Pixels,
                                      int64_t min1x1Reduction,
                                      Blocking target) {
  std::optional<ConvForm> form = matchConv(op);
  if (!form || form->ns != 2)
    return rewriter.notifyMatchFailure(op, "not a 2-D convolution generic");
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
  auto xType = cast<RankedTensorType>(op.getDpsInputs()[0].getType());
  auto wType = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  auto yType = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  DirectConv conv{*form,
                  yType.getDimSize(0),
                  yType.getDimSize(1),
                  xType.getDimSize(2),
                  xType.getDimSize(3),
                  xType.getDimSize(4),
                  yType.getDimSize(2),
                  wType.getDimSize(3),
                  wType.getDimSize(4),
                  yType.getDimSize(3),
                  yType.getDimSize(4)};
  if (conv.kh * conv.kw == 1 && conv.pixels() > max1x1Pixels)
    return rewriter.notifyMatchFailure(
        op, "1x1 on a large plane: a matrix product already");
  if (conv.kh * conv.kw == 1 && conv.k() < min1x1Reduction)
    return rewriter.notifyMatchFailure(
        op, "1x1 with few input channels: a matrix product already");
  if (conv.cg == 1)
    return rewriter.notifyMatchFailure(op, "depthwise");
  if (conv.k() < minReduction)
    return rewriter.notifyMatchFailure(op, "reduction too short");
  std::optional<Blocking> blk = blockingFor(target, conv.mg);
  if (!blk)
    return rewriter.notifyMatchFailure(
        op, "too few output channels for a vector of them");
  conv.blk = *blk;
  if (conv.k() * blk->channels() * 4 > maxPanelBytes) {
    std::optional<Blocking> narrow =
        narrowBlocking(*blk, conv.mg, conv.pixels());
    if (!narrow || conv.k() * narrow->channels() * 4 > maxNarrowPanelBytes)
      return rewriter.notifyMatchFailure(
          op, "a block's weights would not stay in L2 across its pixels");
    conv.blk = *narrow;
  }
  arith::ConstantOp weights = soleConstantSource(op.getDpsInputs()[1]);
  if (!weights || rawConstantBytes(weights.getValue()).empty())
    return rewriter.notifyMatchFailure(op, "weights are not a constant");
  return conv;
}

/// The weights W[g, m, c, kh, kw] as Wp[g, mb, (c, kh, kw), j] =
/// W[g, mb * width + j, c, kh, kw], zero where mb * width + j is past the
/// last output channel.
Value packWeights(RewriterBase &rewriter, arith::ConstantOp weights,
                  const DirectConv &conv, int64_t width) {
  ArrayRef<char> bytes = rawConstantBytes(weights.getValue());
  int64_t blocks = llvm::divideCeil(conv.mg, width), k = conv.k();
  std::vector<char> packed(size_t(conv.g * blocks * k * width) * 4, 0);
  for (int64_t gi = 0; gi < conv.g; ++gi)
    for (int64_t m = 0; m < conv.mg; ++m)
      for (int64_t r = 0; r < k; ++r) {
        int64_t from = (gi * conv.mg + m) * k + r;
        int64_t to = ((gi * blocks + m / width) * k + r) * width + m % width;
        std::memcpy(&packed[to * 4], &bytes[from * 4], 4);
      }
  auto type = RankedTensorType::get({conv.g, blocks, k, width},
                                    rewriter.getF32Type());
  rewriter.setInsertionPoint(weights);
  return arith::ConstantOp::create(
      rewriter, weights.getLoc(), type,
      constantWithBytes(weights.getValue(), type, packed,
                        "_direct" + std::to_string(width)));
}

LogicalResult rewriteDirectConv(RewriterBase &rewriter, linalg::GenericOp op,
                                const DirectConv &conv, bool parallel,
                                int64_t minParallelMacs,
                                DominanceInfo &dominance) {
  const Blocking &blk = conv.blk;
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  Type f32 = rewriter.getF32Type();
  // What the kernel computes besides the product: the init (a fill or a
  // bias broadcast along the output channels) and an elementwise consumer
  // reading nothing else (ReLU, Clip). Anything else stays with the
  // im2col kernels.
  std::optional<AccumulatorInit> start = matchAccumulatorInit(op);
  if (!start)
    return rewriter.notifyMatchFailure(op, "init is not a fill or broadcast");
  if (start->source && llvm::any_of(start->map.getResults(), [](AffineExpr e) {
        auto d = dyn_cast<AffineDimExpr>(e);
        return d && d.getPosition() >= 3;
      }))
    return rewriter.notifyMatchFailure(op, "init varies across the pixels");
  std::optional<ContractionEpilogue> epilogue =
      matchContractionEpilogue(op, dominance);
  if (epilogue && (epilogue->throughExpand ||
                   epilogue->op.getNumDpsInputs() != 1)) {
    if (conv.kh * conv.kw == 1)
      return rewriter.notifyMatchFailure(
          op, "1x1 whose epilogue only the matrix product fuses");
    epilogue.reset();
  }
  if (epilogue)
    hoistEpilogueInputs(*epilogue, op);

  int64_t width = blk.channels();
  Value packed = packWeights(rewriter, soleConstantSource(op.getDpsInputs()[1]),
                             conv, width);
  rewriter.setInsertionPoint(op);
  detachAccumulatorInit(rewriter, op);
  Value x = op.getDpsInputs()[0];
  Value init = op.getDpsInits()[0];
  // X as [n, g, c*hx*wx]; Y as [n, g, m, oh*ow].
  Value xFlat = tensor::CollapseShapeOp::create(
      rewriter, loc, x,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  SmallVector<ReassociationIndices> yGroups{{0}, {1}, {2}, {3, 4}};
  Value yFlat = tensor::CollapseShapeOp::create(rewriter, loc, init, yGroups);

  int64_t pixels = conv.pixels();
  int64_t mBlocks = llvm::divideCeil(conv.mg, width);
  int64_t pBlocks = llvm::divideCeil(pixels, blk.pixels);
  int64_t sy = conv.form.strides[0], sx = conv.form.strides[1];
  int64_t dy = conv.form.dilations[0], dx = conv.form.dilations[1];
  auto vecType = VectorType::get({blk.lanes}, f32);
  auto blockType = VectorType::get({blk.pixels, blk.lanes}, f32);

  // One block: returns the written tile of Y and where it goes (offsets
  // and sizes of its slice).
  auto emitBlock = [&](OpBuilder &b, ValueRange ivs, Value out) -> OutputBlock {
    Value ni = ivs[0], gi = ivs[1], mbi = ivs[2], pbi = ivs[3];
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    AffineExpr d0 = b.getAffineDimExpr(0);
    Value m0 = affine::AffineApplyOp::create(b, loc, d0 * width, mbi);
    Value p0 = affine::AffineApplyOp::create(b, loc, d0 * blk.pixels, pbi);
    OpFoldResult mSize = affine::makeComposedFoldedAffineMin(
        b, loc, AffineMap::get(1, 0, {b.getAffineConstantExpr(width),
                                      b.getAffineConstantExpr(conv.mg) - d0},
                               ctx),
        {m0});
    OpFoldResult pSize = affine::makeComposedFoldedAffineMin(
        b, loc,
        AffineMap::get(1, 0, {b.getAffineConstantExpr(blk.pixels),
                              b.getAffineConstantExpr(pixels) - d0},
                       ctx),
        {p0});
    SmallVector<OpFoldResult> offsets{ni, gi, m0, p0};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(1), mSize,
                                    pSize};
    SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
    Value tile =
        tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, ones);

    // Each pixel's window origin in X's plane (pixels past the end repeat
    // the last one: computed twice, stored once).
    SmallVector<Value> origin, ohs, ows;
    for (int64_t r = 0; r < blk.pixels; ++r) {
      Value p = affine::AffineMinOp::create(
          b, loc,
          AffineMap::get(1, 0,
                         {d0 + r, b.getAffineConstantExpr(pixels - 1)}, ctx),
          ValueRange{p0});
      Value oy = arith::DivUIOp::create(b, loc, p, cst(conv.ow));
      Value ox = arith::RemUIOp::create(b, loc, p, cst(conv.ow));
      ohs.push_back(oy);
      ows.push_back(ox);
      origin.push_back(affine::AffineApplyOp::create(
          b, loc,
          AffineMap::get(2, 0,
                         {d0 * (sy * conv.wx) + b.getAffineDimExpr(1) * sx},
                         ctx),
          ValueRange{oy, ox}));
    }
    // The accumulators start from the bias (or fill value) of their
    // channels, the same for every pixel.
    SmallVector<Value> starts;
    for (int64_t v = 0; v < blk.vectors; ++v) {
      Value mv = affine::AffineApplyOp::create(b, loc, d0 + v * blk.lanes, m0);
      starts.push_back(readAccumulatorInit(
          b, loc, *start,
          ArrayRef<OpFoldResult>{ni, gi, mv, b.getIndexAttr(0),
                                 b.getIndexAttr(0)},
          /*vectorDims=*/{2}, vecType));
    }
    SmallVector<Value> accs;
    for (int64_t r = 0; r < blk.pixels; ++r)
      accs.append(starts);

    int64_t taps = conv.kh * conv.kw, plane = conv.hx * conv.wx;
    auto loop = scf::ForOp::create(
        b, loc, cst(0), cst(conv.cg), cst(1), accs,
        [&](OpBuilder &lb, Location, Value c, ValueRange iterArgs) {
          SmallVector<Value> acc(iterArgs);
          Value planeBase = arith::MulIOp::create(lb, loc, c, cst(plane));
          Value kBase = arith::MulIOp::create(lb, loc, c, cst(taps));
          Value zero = arith::ConstantOp::create(lb, loc, f32,
                                                 lb.getZeroAttr(f32));
          for (int64_t ty = 0; ty < conv.kh; ++ty)
            for (int64_t tx = 0; tx < conv.kw; ++tx) {
              Value kIdx = arith::AddIOp::create(
                  lb, loc, kBase, cst(ty * conv.kw + tx));
              SmallVector<Value> w;
              for (int64_t v = 0; v < blk.vectors; ++v)
                w.push_back(vector::TransferReadOp::create(
                    lb, loc, vecType, packed,
                    ValueRange{gi, mbi, kIdx, cst(v * blk.lanes)}, zero,
                    ArrayRef<bool>{true}));
              Value tapBase = arith::AddIOp::create(
                  lb, loc, planeBase, cst(ty * dy * conv.wx + tx * dx));
              for (int64_t r = 0; r < blk.pixels; ++r) {
                Value at = arith::AddIOp::create(lb, loc, tapBase, origin[r]);
                Value element = tensor::ExtractOp::create(
                    lb, loc, xFlat, ValueRange{ni, gi, at});
                Value a = vector::BroadcastOp::create(lb, loc, vecType, element);
                for (int64_t v = 0; v < blk.vectors; ++v) {
                  Value &sum = acc[r * blk.vectors + v];
                  sum = vector::FMAOp::create(lb, loc, a, w[v], sum);
                }
              }
            }
          scf::YieldOp::create(lb, loc, acc);
        });
    SmallVector<Value> results(loop.getResults());
    if (epilogue) {
      for (int64_t r = 0; r < blk.pixels; ++r)
        for (int64_t v = 0; v < blk.vectors; ++v) {
          EpilogueBlock where;
          Value mv =
              affine::AffineApplyOp::create(b, loc, d0 + v * blk.lanes, m0);
          where.offsets = {ni, gi, mv, ohs[r], ows[r]};
          where.colPos = 2;
          where.cols = blk.lanes;
          where.wholeRows = true;
          where.wholeCols = conv.mg % blk.lanes == 0;
          Value &value = results[r * blk.vectors + v];
          value = emitContractionEpilogue(b, loc, *epilogue, where, {value})
                      .front();
        }
    }
    // Stored transposed: per output channel, the block's pixels are
    // consecutive elements of Y's flattened plane.
    Value zeroBlock = arith::ConstantOp::create(
        b, loc, blockType, DenseElementsAttr::get(blockType, 0.0f));
    AffineMap transposed = AffineMap::get(
        4, 0, {b.getAffineDimExpr(3), b.getAffineDimExpr(2)}, ctx);
    SmallVector<Value> blocks;
    for (int64_t v = 0; v < blk.vectors; ++v) {
      Value block = zeroBlock;
      for (int64_t r = 0; r < blk.pixels; ++r)
        block = vector::InsertOp::create(b, loc, results[r * blk.vectors + v],
                                         block, ArrayRef<int64_t>{r});
      blocks.push_back(block);
    }
    auto store = [&](OpBuilder &sb, Value into, bool inBounds) -> Value {
      for (int64_t v = 0; v < blk.vectors; ++v)
        into = vector::TransferWriteOp::create(
                   sb, loc, blocks[v], into,
                   ValueRange{cst(0), cst(0), cst(v * blk.lanes), cst(0)},
                   transposed, ArrayRef<bool>{inBounds, inBounds})
                   .getResult();
      return into;
    };
    // Whole blocks are written with plain stores (per channel, the block's
    // pixels: a 4- and a 2-element store for 6 pixels); only the last
    // blocks along the pixels or channels, where the tile is smaller, need
    // masked ones. On AVX2 those are vmaskmovps, slow on AMD's cores: with
    // every block masked they were 10% of resnet50's stem kernel.
    if (pixels % blk.pixels == 0 && conv.mg % width == 0) {
      tile = store(b, tile, /*inBounds=*/true);
    } else {
      // (One statement each: argument evaluation order is unspecified, and
      // the IR must not depend on the compiler that built onnx-compile.)
      Value wholePixels = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          getValueOrCreateConstantIndexOp(b, loc, pSize), cst(blk.pixels));
      Value wholeChannels = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          getValueOrCreateConstantIndexOp(b, loc, mSize), cst(width));
      Value whole =
          arith::AndIOp::create(b, loc, wholePixels, wholeChannels);
      tile = scf::IfOp::create(
                 b, loc, whole,
                 [&](OpBuilder &tb, Location) {
                   scf::YieldOp::create(tb, loc, store(tb, tile, true));
                 },
                 [&](OpBuilder &eb, Location) {
                   scf::YieldOp::create(eb, loc, store(eb, tile, false));
                 })
                 .getResult(0);
    }
    return {tile, offsets, sizes};
  };

  uint64_t macs = 1;
  for (int64_t v : {conv.n, conv.g, conv.mg, pixels, conv.k()})
    macs = llvm::SaturatingMultiply(macs, uint64_t(v));
  SmallVector<int64_t> counts{conv.n, conv.g, mBlocks, pBlocks};
  bool inParallel = parallel && conv.n * conv.g * mBlocks * pBlocks > 1 &&
                    macs >= uint64_t(std::max<int64_t>(minParallelMacs, 0));
  Value result =
      buildBlockLoops(rewriter, loc, counts, yFlat, inParallel, emitBlock);
  Value expanded = tensor::ExpandShapeOp::create(
      rewriter, loc, op->getResult(0).getType(), result, yGroups);
  rewriter.replaceOp(op, expanded);
  if (epilogue)
    foldContractionEpilogue(rewriter, *epilogue);
  return success();
}

struct VectorizeDirectConvPass
    : impl::VectorizeDirectConvBase<VectorizeDirectConvPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Collect only convolutions: a rewrite erases the Relu/Clip it fuses,
    // so a list of every generic would hold freed ops afterwards.
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      if (matchConv(op))
        generics.push_back(op);
    });
    Blocking target{rows, columnVectors,
                    std::max<int64_t>(1, vectorBytes / 4)};
    for (linalg::GenericOp op : generics) {
      FailureOr<DirectConv> conv = matchDirectConv(
          rewriter, op, minReduction, maxPanelBytes, maxNarrowPanelBytes,
          max1x1Pixels, min1x1Reduction, target);
      if (failed(conv))
        continue;
      DominanceInfo dominance(getOperation());
      (void)rewriteDirectConv(rewriter, op, *conv, parallel, minParallelMacs,
                              dominance);
    }
  }
};

} // namespace
} // namespace onnxc
