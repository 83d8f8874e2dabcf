//===- Signal.cpp - Window functions, DFT, STFT, MelWeightMatrix -------===//
//
// Signal processing ops: HannWindow, HammingWindow, BlackmanWindow, DFT,
// STFT and MelWeightMatrix.
//
// Sizes of these ops (window size, dft_length, frame_step, ...) are scalar
// tensors that may only be known at run time: they are read with
// tensor.extract and, where the result type leaves a dim open, size the
// result through tensor.empty's dynamic sizes.
//
// Everything is computed in f64 and rounded to the result type once at the
// end: the expected outputs come from numpy (float64 FFTs and window
// formulas), and float32 accumulation of an O(n^2) DFT drifts visibly.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace onnxc {
namespace {

constexpr double kPi = 3.14159265358979323846;

bool isOneElement(Value t) {
  auto type = dyn_cast<RankedTensorType>(t.getType());
  return type && type.hasStaticShape() && type.getNumElements() == 1;
}

/// A signed integer, index or float scalar as f64.
Value toF64(OpBuilder &b, Location loc, Value v) {
  Type f64 = b.getF64Type();
  Type t = v.getType();
  if (t == f64)
    return v;
  if (isa<FloatType>(t))
    return arith::ExtFOp::create(b, loc, f64, v);
  if (isa<IndexType>(t))
    v = arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  return arith::SIToFPOp::create(b, loc, f64, v);
}

/// An f64 scalar as `elem`. Integer results truncate toward zero like
/// numpy's astype; the values here are small, so fptosi serves unsigned
/// results too (and keeps a -1e-17 from Blackman's formula at 0).
Value fromF64(OpBuilder &b, Location loc, Value v, Type elem) {
  if (auto f = dyn_cast<FloatType>(elem)) {
    if (f.getWidth() < 64)
      return arith::TruncFOp::create(b, loc, elem, v);
    return v;
  }
  return arith::FPToSIOp::create(b, loc, elem, v);
}

Value f64Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
}

/// A size that is either known at compile time or only at run time.
struct Size {
  std::optional<int64_t> known;
  Value value; // index; always set
};

Size staticSize(OpBuilder &b, Location loc, int64_t v) {
  return {v, arith::ConstantIndexOp::create(b, loc, v)};
}

Size dimSize(OpBuilder &b, Location loc, Value t, int64_t d) {
  auto type = cast<RankedTensorType>(t.getType());
  if (!type.isDynamicDim(d))
    return staticSize(b, loc, type.getDimSize(d));
  return {std::nullopt, tensor::DimOp::create(b, loc, t, d)};
}

/// The value of a one-element integer tensor operand: folded when it is a
/// constant, read at run time otherwise.
Size scalarSize(OpBuilder &b, Location loc, Value t) {
  if (auto values = constantIntValues(t); values && values->size() == 1)
    return staticSize(b, loc, (*values)[0]);
  return {std::nullopt, toIndex(b, loc, extractScalar(b, loc, t))};
}

Size minSize(OpBuilder &b, Location loc, Size x, Size y) {
  if (x.known && y.known)
    return staticSize(b, loc, std::min(*x.known, *y.known));
  return {std::nullopt, arith::MinSIOp::create(b, loc, x.value, y.value)};
}

/// n // 2 + 1: the bins a onesided transform keeps.
Size onesidedSize(OpBuilder &b, Location loc, Size n) {
  if (n.known)
    return staticSize(b, loc, *n.known / 2 + 1);
  Value two = arith::ConstantIndexOp::create(b, loc, 2);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  return {std::nullopt,
          arith::AddIOp::create(
              b, loc, arith::DivSIOp::create(b, loc, n.value, two), one)};
}

/// tensor.empty of `type` whose dynamic dims take `sizes[d]`; fails (null)
/// where a static dim of `type` disagrees with a size known here.
Value emptyOfSizes(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<Size> sizes) {
  SmallVector<Value> dynamic;
  for (auto [d, s] : llvm::enumerate(sizes)) {
    if (type.isDynamicDim(d))
      dynamic.push_back(s.value);
    else if (s.known && *s.known != type.getDimSize(d))
      return {};
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType(),
                                 dynamic);
}

/// exp(-+2*pi*i*k*n/len) split in (cos, sin) of the angle 2*pi*m/len where
/// m = k*n mod len: reducing in integers first keeps the angle exact.
std::pair<Value, Value> twiddle(OpBuilder &b, Location loc, Value k, Value n,
                                Value len) {
  Value m =
      arith::RemUIOp::create(b, loc, arith::MulIOp::create(b, loc, k, n), len);
  Value angle = arith::DivFOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, f64Const(b, loc, 2 * kPi),
                            toF64(b, loc, m)),
      toF64(b, loc, len));
  return {math::CosOp::create(b, loc, angle),
          math::SinOp::create(b, loc, angle)};
}

/// (xr + i xi) * (cos -+ i sin): the forward transform multiplies by
/// exp(-i angle), the inverse by exp(+i angle). Returns the real part where
/// `component` (an index) is 0 and the imaginary part otherwise.
Value complexTerm(OpBuilder &b, Location loc, Value xr, Value xi, Value cos,
                  Value sin, bool inverse, Value component) {
  Value rc = arith::MulFOp::create(b, loc, xr, cos);
  Value is = arith::MulFOp::create(b, loc, xi, sin);
  Value ic = arith::MulFOp::create(b, loc, xi, cos);
  Value rs = arith::MulFOp::create(b, loc, xr, sin);
  Value re = inverse ? (Value)arith::SubFOp::create(b, loc, rc, is)
                     : (Value)arith::AddFOp::create(b, loc, rc, is);
  Value im = inverse ? (Value)arith::AddFOp::create(b, loc, ic, rs)
                     : (Value)arith::SubFOp::create(b, loc, ic, rs);
  Value isReal =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, component,
                            arith::ConstantIndexOp::create(b, loc, 0));
  return arith::SelectOp::create(b, loc, isReal, re, im);
}

/// Rounds an f64 tensor to the result type, optionally dividing by `divisor`
/// (an index) first.
Value finish(OpBuilder &b, Location loc, Value acc, Value init, Value divisor) {
  auto type = cast<RankedTensorType>(init.getType());
  int64_t rank = type.getRank();
  return linalg::GenericOp::create(
             b, loc, type, acc, init,
             SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(rank)),
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value v = a[0];
               if (divisor)
                 v = arith::DivFOp::create(nb, l, v, toF64(nb, l, divisor));
               linalg::YieldOp::create(
                   nb, l, fromF64(nb, l, v, type.getElementType()));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Window functions
//===----------------------------------------------------------------------===//

enum class Window { Hann, Hamming, Blackman };

/// w[n] for n in [0, size) with N = size (periodic) or size - 1 (symmetric):
///   Hann:     sin^2(pi n / N)
///   Hamming:  25/46 - 21/46 cos(2 pi n / N)
///   Blackman: 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)
struct WindowLowering : NamedOpConversion {
  WindowLowering(const TypeConverter &converter, MLIRContext *context,
                 StringRef name, Window kind)
      : NamedOpConversion(converter, context, name), kind(kind) {}
  Window kind;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || resultType.getRank() != 1 ||
        !resultType.getElementType().isIntOrFloat())
      return rewriter.notifyMatchFailure(op, "needs a 1-D numeric result");
    if (!isOneElement(operands[0]))
      return rewriter.notifyMatchFailure(op, "size must be a scalar");
    int64_t periodic = intAttrOr(op, "periodic", 1);
    if (periodic != 0 && periodic != 1)
      return rewriter.notifyMatchFailure(op, "periodic must be 0 or 1");
    Location loc = op->getLoc();
    Value size = extractScalar(rewriter, loc, operands[0]);
    Value sizeF = toF64(rewriter, loc, size);
    Value denom =
        periodic ? sizeF
                 : (Value)arith::SubFOp::create(rewriter, loc, sizeF,
                                                f64Const(rewriter, loc, 1.0));
    // A negative size gives an empty window, like numpy's arange.
    Value len = arith::MaxSIOp::create(
        rewriter, loc, toIndex(rewriter, loc, size),
        arith::ConstantIndexOp::create(rewriter, loc, 0));
    Value init =
        emptyOfSizes(rewriter, loc, resultType, {Size{std::nullopt, len}});
    Type elem = resultType.getElementType();
    Window k = kind;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{}, init,
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(1)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value n = toF64(b, l, linalg::IndexOp::create(b, l, 0));
          Value x = arith::DivFOp::create(b, l, n, denom);
          auto cosOf = [&](double scale) -> Value {
            return math::CosOp::create(
                b, l,
                arith::MulFOp::create(b, l, f64Const(b, l, scale * kPi), x));
          };
          Value w;
          switch (k) {
          case Window::Hann: {
            Value s = math::SinOp::create(
                b, l, arith::MulFOp::create(b, l, f64Const(b, l, kPi), x));
            w = arith::MulFOp::create(b, l, s, s);
            break;
          }
          case Window::Hamming:
            w = arith::SubFOp::create(
                b, l, f64Const(b, l, 25.0 / 46.0),
                arith::MulFOp::create(b, l, f64Const(b, l, 21.0 / 46.0),
                                      cosOf(2)));
            break;
          case Window::Blackman:
            w = arith::AddFOp::create(
                b, l,
                arith::SubFOp::create(
                    b, l, f64Const(b, l, 0.42),
                    arith::MulFOp::create(b, l, f64Const(b, l, 0.5), cosOf(2))),
                arith::MulFOp::create(b, l, f64Const(b, l, 0.08), cosOf(4)));
            break;
          }
          linalg::YieldOp::create(b, l, fromF64(b, l, w, elem));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// DFT (opset 17)
//===----------------------------------------------------------------------===//

/// input [batch, n1, ..., nk, 1|2] (real or (re, im) pairs); the transform
/// runs along `axis`, over dft_length points (zero-padded or truncated):
///   X[k] = sum_{n < min(N, L)} x[n] exp(-+2 pi i k n / L)  (/ L if inverse)
/// keeping bins [0, L/2] when onesided.
struct DftLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = operands[0];
    Value dftLength = operands.size() > 1 ? operands[1] : Value();
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !resultType || xType.getRank() < 2 ||
        resultType.getRank() != xType.getRank() ||
        !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a ranked float input");
    int64_t rank = xType.getRank();
    int64_t components = xType.getDimSize(rank - 1);
    if (components != 1 && components != 2)
      return rewriter.notifyMatchFailure(
          op, "the last input dim must be a static 1 or 2");
    // Axes count against the full rank, the component dim excluded:
    // [-r, -2] or [0, r - 2].
    std::optional<int64_t> axis = normalizeAxis(intAttrOr(op, "axis", 1), rank);
    if (!axis || *axis == rank - 1)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    bool inverse = intAttrOr(op, "inverse", 0) != 0;
    bool onesided = intAttrOr(op, "onesided", 0) != 0;
    // What onesided means for an inverse transform is not settled by the
    // spec (irfft would read a half spectrum); refuse rather than guess.
    if (inverse && onesided)
      return rewriter.notifyMatchFailure(op, "inverse onesided DFT");
    if (dftLength && !isNoValue(dftLength) && !isOneElement(dftLength))
      return rewriter.notifyMatchFailure(op, "dft_length must be a scalar");

    Location loc = op->getLoc();
    Size inLen = dimSize(rewriter, loc, x, *axis);
    Size len = dftLength && !isNoValue(dftLength)
                   ? scalarSize(rewriter, loc, dftLength)
                   : inLen;
    if (len.known && *len.known < 1)
      return rewriter.notifyMatchFailure(op, "dft_length must be positive");
    Size used = minSize(rewriter, loc, inLen, len);
    Size outLen = onesided ? onesidedSize(rewriter, loc, len) : len;

    SmallVector<Size> outSizes;
    for (int64_t d = 0; d < rank - 1; ++d)
      outSizes.push_back(d == *axis ? outLen : dimSize(rewriter, loc, x, d));
    outSizes.push_back(staticSize(rewriter, loc, 2));
    Value init = emptyOfSizes(rewriter, loc, resultType, outSizes);
    if (!init)
      return rewriter.notifyMatchFailure(op, "result shape does not match");
    auto accType =
        RankedTensorType::get(resultType.getShape(), rewriter.getF64Type());
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < rank; ++d)
      if (accType.isDynamicDim(d))
        dynamic.push_back(outSizes[d].value);
    Value acc = createFilled(rewriter, loc, accType, 0.0, dynamic);

    // Only the first min(N, L) samples contribute: the rest are padding
    // zeros or cut off. The slice also gives the reduction its extent.
    if (!(used.known && inLen.known && *used.known == *inLen.known)) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < rank; ++d) {
        if (d == *axis)
          sizes.push_back(used.known
                              ? OpFoldResult(rewriter.getIndexAttr(*used.known))
                              : OpFoldResult(used.value));
        else
          sizes.push_back(
              xType.isDynamicDim(d)
                  ? OpFoldResult(
                        tensor::DimOp::create(rewriter, loc, x, d).getResult())
                  : OpFoldResult(rewriter.getIndexAttr(xType.getDimSize(d))));
      }
      x = tensor::ExtractSliceOp::create(rewriter, loc, x, offsets, sizes,
                                         strides);
    }

    // Iteration space: the output dims, then the reduction over samples.
    MLIRContext *ctx = rewriter.getContext();
    int64_t loops = rank + 1;
    auto readComponent = [&](int64_t c) {
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < rank - 1; ++d)
        exprs.push_back(getAffineDimExpr(d == *axis ? rank : d, ctx));
      exprs.push_back(getAffineConstantExpr(c, ctx));
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    SmallVector<Value> inputs{x};
    SmallVector<AffineMap> maps{readComponent(0)};
    if (components == 2) {
      inputs.push_back(x);
      maps.push_back(readComponent(1));
    }
    maps.push_back(
        AffineMap::getMultiDimIdentityMap(loops, ctx).getMajorSubMap(rank));
    SmallVector<utils::IteratorType> iterators(loops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value lenValue = len.value;
    int64_t axisDim = *axis;
    auto sum = linalg::GenericOp::create(
        rewriter, loc, accType, inputs, acc, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xr = toF64(b, l, a[0]);
          Value xi = components == 2 ? toF64(b, l, a[1]) : f64Const(b, l, 0);
          Value k = linalg::IndexOp::create(b, l, axisDim);
          Value c = linalg::IndexOp::create(b, l, rank - 1);
          Value n = linalg::IndexOp::create(b, l, rank);
          auto [cos, sin] = twiddle(b, l, k, n, lenValue);
          Value term = complexTerm(b, l, xr, xi, cos, sin, inverse, c);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, a.back(), term).getResult());
        });
    rewriter.replaceOp(op, finish(rewriter, loc, sum.getResult(0), init,
                                  inverse ? lenValue : Value()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// STFT (opset 17)
//===----------------------------------------------------------------------===//

/// signal [batch, S, 1|2]; frame f starts at f * frame_step; with L the
/// frame length (frame_length, else the window's length, else S) and W the
/// window (ones when absent):
///   out[b, f, k] = sum_{n < min(|W|, L)} x[b, f*step + n] W[n]
///                                         exp(-2 pi i k n / L)
/// for f < 1 + (S - L) // step and k < L (L/2 + 1 when onesided).
struct StftLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Value signal = operands[0], step = operands[1];
    Value window = operands.size() > 2 ? operands[2] : Value();
    Value frameLength = operands.size() > 3 ? operands[3] : Value();
    bool hasWindow = window && !isNoValue(window);
    bool hasFrameLength = frameLength && !isNoValue(frameLength);
    auto sType = dyn_cast<RankedTensorType>(signal.getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!sType || !resultType || sType.getRank() != 3 ||
        resultType.getRank() != 4 || !isa<FloatType>(sType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a [batch, length, 1|2] "
                                             "float signal");
    int64_t components = sType.getDimSize(2);
    if (components != 1 && components != 2)
      return rewriter.notifyMatchFailure(
          op, "the last signal dim must be a static 1 or 2");
    auto wType = hasWindow ? dyn_cast<RankedTensorType>(window.getType())
                           : RankedTensorType();
    if (hasWindow && (!wType || wType.getRank() != 1))
      return rewriter.notifyMatchFailure(op, "window must be 1-D");
    if (!isOneElement(step) || (hasFrameLength && !isOneElement(frameLength)))
      return rewriter.notifyMatchFailure(
          op, "frame_step and frame_length must be scalars");
    bool onesided = intAttrOr(op, "onesided", 1) != 0;

    Location loc = op->getLoc();
    Size signalLen = dimSize(rewriter, loc, signal, 1);
    Size hop = scalarSize(rewriter, loc, step);
    Size len = hasFrameLength ? scalarSize(rewriter, loc, frameLength)
               : hasWindow    ? dimSize(rewriter, loc, window, 0)
                              : signalLen;
    if ((len.known && *len.known < 1) || (hop.known && *hop.known < 1))
      return rewriter.notifyMatchFailure(
          op, "frame_length and frame_step must be positive");
    Size windowLen = hasWindow ? dimSize(rewriter, loc, window, 0) : len;
    Size used = minSize(rewriter, loc, windowLen, len);

    Size frames;
    if (signalLen.known && len.known && hop.known) {
      int64_t span = *signalLen.known - *len.known;
      int64_t q = span >= 0 ? span / *hop.known
                            : -((-span + *hop.known - 1) / *hop.known);
      frames = staticSize(rewriter, loc, 1 + q);
    } else {
      Value span =
          arith::SubIOp::create(rewriter, loc, signalLen.value, len.value);
      Value q = arith::FloorDivSIOp::create(rewriter, loc, span, hop.value);
      // A signal shorter than a frame gives no frames, not a negative size.
      frames = {std::nullopt,
                arith::MaxSIOp::create(
                    rewriter, loc,
                    arith::AddIOp::create(
                        rewriter, loc, q,
                        arith::ConstantIndexOp::create(rewriter, loc, 1)),
                    arith::ConstantIndexOp::create(rewriter, loc, 0))};
    }
    if (frames.known && *frames.known < 0)
      return rewriter.notifyMatchFailure(op, "signal shorter than a frame");
    Size bins = onesided ? onesidedSize(rewriter, loc, len) : len;

    SmallVector<Size> outSizes{dimSize(rewriter, loc, signal, 0), frames, bins,
                               staticSize(rewriter, loc, 2)};
    Value init = emptyOfSizes(rewriter, loc, resultType, outSizes);
    if (!init)
      return rewriter.notifyMatchFailure(op, "result shape does not match");
    auto accType =
        RankedTensorType::get(resultType.getShape(), rewriter.getF64Type());
    SmallVector<Value> dynamic;
    for (int64_t d = 0; d < 4; ++d)
      if (accType.isDynamicDim(d))
        dynamic.push_back(outSizes[d].value);
    Value acc = createFilled(rewriter, loc, accType, 0.0, dynamic);

    // The window, cut to the samples that contribute, gives the reduction
    // its extent; without one, a window of ones does.
    Type elem = sType.getElementType();
    Value win;
    if (hasWindow) {
      win = window;
      if (!(used.known && windowLen.known && *used.known == *windowLen.known))
        win = tensor::ExtractSliceOp::create(
            rewriter, loc, window,
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{
                used.known ? OpFoldResult(rewriter.getIndexAttr(*used.known))
                           : OpFoldResult(used.value)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
    } else {
      auto onesType = RankedTensorType::get(
          {used.known ? *used.known : ShapedType::kDynamic}, elem);
      win = createFilled(rewriter, loc, onesType, 1.0,
                         used.known ? ValueRange{} : ValueRange{used.value});
    }

    // Iteration space (b, f, k, c, n), n the reduction over samples.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps{
        AffineMap::get(5, 0, {getAffineDimExpr(4, ctx)}, ctx),
        AffineMap::getMultiDimIdentityMap(5, ctx).getMajorSubMap(4)};
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value lenValue = len.value, hopValue = hop.value,
          signalLenValue = signalLen.value;
    auto sum = linalg::GenericOp::create(
        rewriter, loc, accType, win, acc, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value batch = linalg::IndexOp::create(b, l, 0);
          Value f = linalg::IndexOp::create(b, l, 1);
          Value k = linalg::IndexOp::create(b, l, 2);
          Value c = linalg::IndexOp::create(b, l, 3);
          Value n = linalg::IndexOp::create(b, l, 4);
          // The frame count keeps frames inside the signal; the guard only
          // protects against a result shape that promised more frames.
          Value pos = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, f, hopValue), n);
          Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                               pos, signalLenValue);
          Value safePos = arith::SelectOp::create(
              b, l, inside, pos, arith::ConstantIndexOp::create(b, l, 0));
          Value zero = f64Const(b, l, 0);
          auto sample = [&](int64_t comp) -> Value {
            Value v = tensor::ExtractOp::create(
                b, l, signal,
                ValueRange{batch, safePos,
                           arith::ConstantIndexOp::create(b, l, comp)});
            return arith::SelectOp::create(b, l, inside, toF64(b, l, v), zero);
          };
          Value w = toF64(b, l, a[0]);
          Value xr = arith::MulFOp::create(b, l, sample(0), w);
          Value xi = components == 2
                         ? (Value)arith::MulFOp::create(b, l, sample(1), w)
                         : zero;
          auto [cos, sin] = twiddle(b, l, k, n, lenValue);
          Value term = complexTerm(b, l, xr, xi, cos, sin, false, c);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, a.back(), term).getResult());
        });
    rewriter.replaceOp(op,
                       finish(rewriter, loc, sum.getResult(0), init, Value()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MelWeightMatrix
//===----------------------------------------------------------------------===//

/// numpy's float floor division (npy_divmod): fmod based, so that a
/// quotient that rounds up to an integer still floors below it.
Value floorDivF64(OpBuilder &b, Location l, Value a, Value d) {
  Value zero = f64Const(b, l, 0.0);
  Value mod = arith::RemFOp::create(b, l, a, d);
  Value div =
      arith::DivFOp::create(b, l, arith::SubFOp::create(b, l, a, mod), d);
  Value modNonZero =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, mod, zero);
  Value dNeg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, d, zero);
  Value modNeg =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, mod, zero);
  Value signsDiffer = arith::XOrIOp::create(b, l, dNeg, modNeg);
  Value adjust = arith::AndIOp::create(b, l, modNonZero, signsDiffer);
  div = arith::SelectOp::create(
      b, l, adjust, arith::SubFOp::create(b, l, div, f64Const(b, l, 1.0)), div);
  Value fl = math::FloorOp::create(b, l, div);
  Value roundUp = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                        arith::SubFOp::create(b, l, div, fl),
                                        f64Const(b, l, 0.5));
  return arith::SelectOp::create(
      b, l, roundUp, arith::AddFOp::create(b, l, fl, f64Const(b, l, 1.0)), fl);
}

/// out[j, i] for j < dft_length/2 + 1, i < num_mel_bins: triangular
/// filters over the bins edge[t] = int(((dft_length + 1) * hz(t)) //
/// sample_rate), where hz(t) = 700 (10^(mel(t)/2595) - 1) and mel(t) steps
/// evenly from mel(lower_edge_hertz) in (num_mel_bins + 2) steps towards
/// mel(upper_edge_hertz). Filter i rises on [edge[i], edge[i+1]] (a 1 at
/// edge[i+1] when both are equal) and falls on [edge[i+1], edge[i+2]).
struct MelWeightMatrixLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || resultType.getRank() != 2 ||
        !resultType.getElementType().isIntOrFloat())
      return rewriter.notifyMatchFailure(op, "needs a 2-D numeric result");
    for (Value v : operands.take_front(5))
      if (!isOneElement(v))
        return rewriter.notifyMatchFailure(op, "inputs must be scalars");
    auto edgeType = dyn_cast<FloatType>(
        cast<RankedTensorType>(operands[3].getType()).getElementType());
    if (!edgeType)
      return rewriter.notifyMatchFailure(op, "edges must be floats");
    Location loc = op->getLoc();
    OpBuilder &b = rewriter;

    Size numMel = scalarSize(b, loc, operands[0]);
    Size dftLength = scalarSize(b, loc, operands[1]);
    Value dftF = toF64(b, loc, extractScalar(b, loc, operands[1]));
    Value rateF = toF64(b, loc, extractScalar(b, loc, operands[2]));

    // The mel edges and their step are computed in the edges' own float
    // type, as numpy does for float32 inputs (half types go through f32,
    // which numpy would round after every operation).
    Type melType = edgeType.getWidth() < 32 ? b.getF32Type() : (Type)edgeType;
    auto inMelType = [&](Value v) -> Value {
      if (v.getType() == melType)
        return v;
      return arith::ExtFOp::create(b, loc, melType, v);
    };
    auto melConst = [&](double v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getFloatAttr(melType, v));
    };
    auto toMel = [&](Value hz) -> Value {
      Value ratio = arith::AddFOp::create(
          b, loc, melConst(1.0),
          arith::DivFOp::create(b, loc, hz, melConst(700)));
      return arith::MulFOp::create(b, loc, melConst(2595),
                                   math::Log10Op::create(b, loc, ratio));
    };
    Value lowMel = toMel(inMelType(extractScalar(b, loc, operands[3])));
    Value highMel = toMel(inMelType(extractScalar(b, loc, operands[4])));
    Value edges = arith::SIToFPOp::create(
        b, loc, melType,
        arith::IndexCastOp::create(
            b, loc, b.getI64Type(),
            arith::AddIOp::create(b, loc, numMel.value,
                                  arith::ConstantIndexOp::create(b, loc, 2))));
    Value melStep = arith::DivFOp::create(
        b, loc, arith::SubFOp::create(b, loc, highMel, lowMel), edges);
    Value lowMel64 = toF64(b, loc, lowMel);
    Value melStep64 = toF64(b, loc, melStep);
    Value dftPlusOne = arith::AddFOp::create(b, loc, dftF, f64Const(b, loc, 1));

    Size bins = onesidedSize(b, loc, dftLength);
    Value init = emptyOfSizes(b, loc, resultType, {bins, numMel});
    if (!init)
      return rewriter.notifyMatchFailure(op, "result shape does not match");
    Type elem = resultType.getElementType();
    auto generic = linalg::GenericOp::create(
        b, loc, resultType, ValueRange{}, init,
        ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange) {
          Value j = linalg::IndexOp::create(nb, l, 0);
          Value i = linalg::IndexOp::create(nb, l, 1);
          auto edge = [&](int64_t offset) -> Value {
            Value t = toF64(
                nb, l,
                arith::AddIOp::create(
                    nb, l, i, arith::ConstantIndexOp::create(nb, l, offset)));
            Value mel = arith::AddFOp::create(
                nb, l, arith::MulFOp::create(nb, l, t, melStep64), lowMel64);
            Value p = math::PowFOp::create(
                nb, l, f64Const(nb, l, 10.0),
                arith::DivFOp::create(nb, l, mel, f64Const(nb, l, 2595)));
            Value hz = arith::MulFOp::create(
                nb, l, f64Const(nb, l, 700),
                arith::SubFOp::create(nb, l, p, f64Const(nb, l, 1)));
            Value bin = floorDivF64(
                nb, l, arith::MulFOp::create(nb, l, dftPlusOne, hz), rateF);
            return arith::FPToSIOp::create(nb, l, nb.getI64Type(), bin);
          };
          Value left = edge(0), center = edge(1), right = edge(2);
          Value jj = arith::IndexCastOp::create(nb, l, nb.getI64Type(), j);
          auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
            return arith::CmpIOp::create(nb, l, p, x, y);
          };
          auto ratio = [&](Value num, Value den) -> Value {
            return arith::DivFOp::create(nb, l, toF64(nb, l, num),
                                         toF64(nb, l, den));
          };
          using P = arith::CmpIPredicate;
          Value zero = f64Const(nb, l, 0), one = f64Const(nb, l, 1);
          // Rising edge (written first).
          Value flat = cmp(P::eq, center, left);
          Value rising = arith::SelectOp::create(
              nb, l,
              arith::AndIOp::create(nb, l, cmp(P::sge, jj, left),
                                    cmp(P::sle, jj, center)),
              ratio(arith::SubIOp::create(nb, l, jj, left),
                    arith::SubIOp::create(nb, l, center, left)),
              zero);
          Value v = arith::SelectOp::create(
              nb, l, flat,
              arith::SelectOp::create(nb, l, cmp(P::eq, jj, center), one, zero),
              rising);
          // Falling edge (overwrites).
          Value falls = arith::AndIOp::create(
              nb, l, cmp(P::sgt, right, center),
              arith::AndIOp::create(nb, l, cmp(P::sge, jj, center),
                                    cmp(P::slt, jj, right)));
          v = arith::SelectOp::create(
              nb, l, falls,
              ratio(arith::SubIOp::create(nb, l, right, jj),
                    arith::SubIOp::create(nb, l, right, center)),
              v);
          linalg::YieldOp::create(nb, l, fromF64(nb, l, v, elem));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateSignalLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<WindowLowering>(converter, ctx, "onnx.HannWindow", Window::Hann);
  patterns.add<WindowLowering>(converter, ctx, "onnx.HammingWindow",
                               Window::Hamming);
  patterns.add<WindowLowering>(converter, ctx, "onnx.BlackmanWindow",
                               Window::Blackman);
  patterns.add<DftLowering>(converter, ctx, "onnx.DFT");
  patterns.add<StftLowering>(converter, ctx, "onnx.STFT");
  patterns.add<MelWeightMatrixLowering>(converter, ctx, "onnx.MelWeightMatrix");
}

} // namespace onnxc
