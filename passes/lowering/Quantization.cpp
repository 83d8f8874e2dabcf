//===- Quantization.cpp - QuantizeLinear, DequantizeLinear and friends ---===//
//
// Affine int8/uint8 quantization: (De)QuantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv.
//
// Quantized values travel as signless integers (the type converter drops
// signedness), so every extension and saturation range is chosen from the
// element type of the op before conversion. Integer products accumulate in
// i32 after the zero points are subtracted; the QLinear ops then requantize
// as ONNX Runtime does: acc * (scale_a * scale_b / scale_y) in f32, rounded
// half to even, plus the output zero point, saturated.
//
//===----------------------------------------------------------------------===//

#include "passes/IntegerProducts.h"
#include "passes/lowering/ConvWindow.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

//===----------------------------------------------------------------------===//
// Scalar helpers
//===----------------------------------------------------------------------===//

Type originalOperandElement(Operation *op, unsigned index) {
  return getElementTypeOrSelf(op->getOperand(index).getType());
}

/// An integer element widened to i32, zero- or sign-extended as the
/// original type says.
Value toI32(OpBuilder &b, Location loc, Value v, bool isUnsigned) {
  auto type = cast<IntegerType>(v.getType());
  if (type.getWidth() == 32)
    return v;
  Type i32 = b.getI32Type();
  if (type.getWidth() > 32)
    return arith::TruncIOp::create(b, loc, i32, v);
  if (isUnsigned)
    return arith::ExtUIOp::create(b, loc, i32, v);
  return arith::ExtSIOp::create(b, loc, i32, v);
}

/// A float element as f32 (parameters and inputs may be narrower).
Value toF32(OpBuilder &b, Location loc, Value v) {
  Type f32 = b.getF32Type();
  if (v.getType() == f32)
    return v;
  if (isa<FloatType>(v.getType()))
    return v.getType().getIntOrFloatBitWidth() < 32
               ? (Value)arith::ExtFOp::create(b, loc, f32, v)
               : (Value)arith::TruncFOp::create(b, loc, f32, v);
  return arith::SIToFPOp::create(b, loc, f32, v);
}

/// The range an integer type saturates to.
std::pair<double, double> saturationRange(unsigned width, bool isUnsigned) {
  if (isUnsigned)
    return {0.0, double((uint64_t(1) << width) - 1)};
  return {-double(int64_t(1) << (width - 1)),
          double((int64_t(1) << (width - 1)) - 1)};
}

/// saturate(round_half_even(scaled) + zeroPoint) in the (signless) integer
/// type `out`. `scaled` is f32, `zeroPoint` i32 (or null for 0). NaN
/// saturates to the low end instead of becoming poison.
Value roundAndSaturate(OpBuilder &b, Location loc, Value scaled,
                       Value zeroPoint, IntegerType out, bool isUnsigned) {
  Type f32 = b.getF32Type();
  Value v = math::RoundEvenOp::create(b, loc, scaled);
  if (zeroPoint)
    v = arith::AddFOp::create(b, loc, v,
                              arith::SIToFPOp::create(b, loc, f32, zeroPoint));
  auto [lo, hi] = saturationRange(out.getWidth(), isUnsigned);
  v = arith::MaxNumFOp::create(b, loc, v, scalarConstant(b, loc, f32, lo));
  v = arith::MinNumFOp::create(b, loc, v, scalarConstant(b, loc, f32, hi));
  Value i = arith::FPToSIOp::create(b, loc, b.getI32Type(), v);
  if (out.getWidth() == 32)
    return i;
  return arith::TruncIOp::create(b, loc, out, i);
}

/// Checks that a quantized element type is an 8- or 16-bit integer (float8
/// outputs and 4-bit types are not lowered).
bool isSupportedQuantType(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && (i.getWidth() == 8 || i.getWidth() == 16);
}

//===----------------------------------------------------------------------===//
// Parameter maps
//===----------------------------------------------------------------------===//

/// The map reading a parameter that holds a single value (rank 0 or every
/// dim a static 1) from a `numLoops` iteration space, or null.
AffineMap singleValueMap(Type type, int64_t numLoops, MLIRContext *ctx) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || !llvm::all_of(t.getShape(), [](int64_t d) { return d == 1; }))
    return {};
  return AffineMap::get(numLoops, 0,
                        SmallVector<AffineExpr>(t.getRank(),
                                                getAffineConstantExpr(0, ctx)),
                        ctx);
}

/// The map reading a (De)QuantizeLinear scale or zero point: a single value
/// (per tensor) or a 1-D tensor along `axis` (per axis). Null when the
/// parameter fits neither; `perAxisAllowed` is false for opset 10.
AffineMap quantParamMap(Type type, RankedTensorType xType, int64_t axis,
                        bool perAxisAllowed, MLIRContext *ctx) {
  int64_t rank = xType.getRank();
  if (AffineMap single = singleValueMap(type, rank, ctx))
    return single;
  auto t = dyn_cast<RankedTensorType>(type);
  if (!perAxisAllowed || !t || t.getRank() != 1)
    return {};
  std::optional<int64_t> a = normalizeAxis(axis, rank);
  if (!a)
    return {};
  int64_t size = t.getDimSize(0), dim = xType.getDimSize(*a);
  if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(dim) &&
      size != dim)
    return {};
  return AffineMap::get(rank, 0, getAffineDimExpr(*a, ctx), ctx);
}

//===----------------------------------------------------------------------===//
// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

/// The elementwise linalg.generic of (De)QuantizeLinear over x (operand 0),
/// its scale and, when present, its zero point, each per tensor or (from
/// opset 13) 1-D along `axis`. `body` gets (x, scale[, zero point]). The
/// zero point must have element type `zpElem`, the type of the tensor
/// named `zpMatches`.
FailureOr<Value> buildQuantizeGeneric(ConversionPatternRewriter &rewriter,
                                      Operation *op, ArrayRef<Value> operands,
                                      RankedTensorType resultType, Type zpElem,
                                      StringRef zpMatches, ElementBody body) {
  auto xType = cast<RankedTensorType>(operands[0].getType());
  Value scale = operands[1], zp = operands.size() > 2 ? operands[2] : Value();
  bool hasZp = !isNoValue(zp);
  if (hasZp && originalOperandElement(op, 2) != zpElem)
    return rewriter.notifyMatchFailure(
        op, "zero point type differs from " + zpMatches);
  auto scaleType = dyn_cast<RankedTensorType>(scale.getType());
  if (!scaleType || !isa<FloatType>(scaleType.getElementType()) ||
      scaleType.getElementType().getIntOrFloatBitWidth() > 32)
    return rewriter.notifyMatchFailure(op, "scale must be a float tensor");
  // Opset 10 is per tensor only; later opsets take a 1-D per-axis form.
  bool perAxis = !op->getName().getStringRef().ends_with("_v10");
  int64_t axis = intAttrOr(op, "axis", 1);
  MLIRContext *ctx = rewriter.getContext();
  AffineMap scaleMap = quantParamMap(scaleType, xType, axis, perAxis, ctx);
  AffineMap zpMap =
      hasZp ? quantParamMap(zp.getType(), xType, axis, perAxis, ctx)
            : AffineMap();
  if (!scaleMap || (hasZp && !zpMap))
    return rewriter.notifyMatchFailure(
        op, "scale/zero point neither per tensor nor 1-D along axis");

  Location loc = op->getLoc();
  int64_t rank = xType.getRank();
  SmallVector<Value> inputs{operands[0], scale};
  SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank), scaleMap};
  if (hasZp) {
    inputs.push_back(zp);
    maps.push_back(zpMap);
  }
  maps.push_back(rewriter.getMultiDimIdentityMap(rank));
  Value init = createBroadcastEmpty(rewriter, loc, resultType, operands[0]);
  return linalg::GenericOp::create(
             rewriter, loc, resultType, inputs, init, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &b, Location l, ValueRange a) {
               linalg::YieldOp::create(b, l, body(b, l, a.drop_back()));
             })
      .getResult(0);
}

/// y = saturate(round(x / y_scale) + y_zero_point), per tensor or per axis.
struct QuantizeLinearLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !resultType)
      return rewriter.notifyMatchFailure(op, "needs ranked tensors");
    if (intAttrOr(op, "block_size", 0) != 0)
      return rewriter.notifyMatchFailure(op,
                                         "blocked quantization not supported");
    Type outElem = getElementTypeOrSelf(op->getResult(0).getType());
    if (!isSupportedQuantType(outElem))
      return rewriter.notifyMatchFailure(
          op, "only 8- and 16-bit integer outputs (no float8/int4)");
    Type xElem = xType.getElementType();
    if (!(isa<FloatType>(xElem) && xElem.getIntOrFloatBitWidth() <= 32) &&
        !xElem.isSignlessInteger(32))
      return rewriter.notifyMatchFailure(op, "input must be float or int32");
    bool outUnsigned = isUnsignedInt(outElem);
    auto outType = cast<IntegerType>(resultType.getElementType());
    auto y = buildQuantizeGeneric(
        rewriter, op, operands, resultType, outElem, "y",
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // Divide (not multiply by the reciprocal), as ONNX Runtime does.
          Value q = arith::DivFOp::create(b, l, toF32(b, l, a[0]),
                                          toF32(b, l, a[1]));
          Value z = a.size() > 2 ? toI32(b, l, a[2], outUnsigned) : Value();
          return roundAndSaturate(b, l, q, z, outType, outUnsigned);
        });
    if (failed(y))
      return failure();
    rewriter.replaceOp(op, *y);
    return success();
  }
};

/// y = (x - x_zero_point) * x_scale, per tensor or per axis; the
/// subtraction is done in i32 like ONNX Runtime.
struct DequantizeLinearLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !resultType)
      return rewriter.notifyMatchFailure(op, "needs ranked tensors");
    if (intAttrOr(op, "block_size", 0) != 0)
      return rewriter.notifyMatchFailure(op,
                                         "blocked quantization not supported");
    Type xElem = originalOperandElement(op, 0);
    auto xInt = dyn_cast<IntegerType>(xElem);
    if (!xInt || (xInt.getWidth() != 8 && xInt.getWidth() != 16 &&
                  xInt.getWidth() != 32))
      return rewriter.notifyMatchFailure(
          op, "only 8-, 16- and 32-bit integer inputs (no float8/int4)");
    auto outElem = dyn_cast<FloatType>(resultType.getElementType());
    if (!outElem || outElem.getWidth() > 32)
      return rewriter.notifyMatchFailure(op, "result must be float");
    bool xUnsigned = isUnsignedInt(xElem);
    auto y = buildQuantizeGeneric(
        rewriter, op, operands, resultType, xElem, "x",
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = toI32(b, l, a[0], xUnsigned);
          if (a.size() > 2)
            v = arith::SubIOp::create(b, l, v, toI32(b, l, a[2], xUnsigned));
          Value f = arith::MulFOp::create(
              b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), v),
              toF32(b, l, a[1]));
          if (outElem.getWidth() < 32)
            f = arith::TruncFOp::create(b, l, outElem, f);
          return f;
        });
    if (failed(y))
      return failure();
    rewriter.replaceOp(op, *y);
    return success();
  }
};

/// uint8 only (the op's one form): the range [min(0, min x), max(0, max x)]
/// maps onto [0, 255]. A zero range uses scale 1/255 as the ONNX reference
/// does (every output is then 0).
struct DynamicQuantizeLinearLowering
    : OpConversionPattern<DynamicQuantizeLinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DynamicQuantizeLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getX();
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op, 0);
    RankedTensorType scaleType =
        convertedResultType(*getTypeConverter(), op, 1);
    RankedTensorType zpType = convertedResultType(*getTypeConverter(), op, 2);
    if (!xType || !yType || !scaleType || !zpType || scaleType.getRank() != 0 ||
        zpType.getRank() != 0 || !xType.getElementType().isF32() ||
        !isUnsignedInt(getElementTypeOrSelf(op.getY().getType())))
      return rewriter.notifyMatchFailure(op, "needs f32 input, uint8 output");
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t rank = xType.getRank();
    Type f32 = rewriter.getF32Type();

    // min(0, min x) and max(0, max x) in one pass: both start at 0.
    auto scalarF32 = RankedTensorType::get({}, f32);
    Value minInit = createFilled(rewriter, loc, scalarF32, 0.0);
    Value maxInit = createFilled(rewriter, loc, scalarF32, 0.0);
    AffineMap toScalar = AffineMap::get(rank, 0, {}, ctx);
    auto range = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scalarF32, scalarF32}, x,
        ValueRange{minInit, maxInit},
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank), toScalar,
                            toScalar},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::reduction),
        [](OpBuilder &b, Location l, ValueRange a) {
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::MinimumFOp::create(b, l, a[1], a[0]),
                         arith::MaximumFOp::create(b, l, a[2], a[0])});
        });
    Value lo = tensor::ExtractOp::create(rewriter, loc, range.getResult(0),
                                         ValueRange{});
    Value hi = tensor::ExtractOp::create(rewriter, loc, range.getResult(1),
                                         ValueRange{});
    Value zero = scalarConstant(rewriter, loc, f32, 0.0);
    Value width = arith::SubFOp::create(rewriter, loc, hi, lo);
    Value empty = arith::CmpFOp::create(rewriter, loc,
                                        arith::CmpFPredicate::OEQ, hi, lo);
    width = arith::SelectOp::create(rewriter, loc, empty,
                                    scalarConstant(rewriter, loc, f32, 1.0),
                                    width);
    Value scale = arith::DivFOp::create(
        rewriter, loc, width, scalarConstant(rewriter, loc, f32, 255.0));
    // zero point = saturate(round(0 - min / scale)).
    auto i8 = rewriter.getI8Type();
    Value zpF = arith::SubFOp::create(
        rewriter, loc, zero, arith::DivFOp::create(rewriter, loc, lo, scale));
    Value zp8 = roundAndSaturate(rewriter, loc, zpF, Value(), i8, true);
    Value zp32 = toI32(rewriter, loc, zp8, true);

    Value init = createBroadcastEmpty(rewriter, loc, yType, x);
    auto y = linalg::GenericOp::create(
        rewriter, loc, yType, x, init,
        SmallVector<AffineMap>(2, rewriter.getMultiDimIdentityMap(rank)),
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value q = arith::DivFOp::create(b, l, a[0], scale);
          linalg::YieldOp::create(b, l,
                                  roundAndSaturate(b, l, q, zp32, i8, true));
        });
    Value scaleTensor =
        tensor::FromElementsOp::create(rewriter, loc, scaleType, scale);
    Value zpTensor = tensor::FromElementsOp::create(rewriter, loc, zpType, zp8);
    rewriter.replaceOp(op, ValueRange{y.getResult(0), scaleTensor, zpTensor});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Integer matrix products
//===----------------------------------------------------------------------===//

/// The map reading a zero point or scale of a matmul operand (type
/// `operand`, read through `operandExprs`) from the loop space: a single
/// value; for A's 1-D form one value per row (per the spec, [M]); otherwise
/// numpy broadcasting against the operand ([..., M, 1] per row of A,
/// [N] or [..., 1, N] per column of B). Null when it fits none.
AffineMap matMulParamMap(Type type, RankedTensorType operand,
                         ArrayRef<AffineExpr> operandExprs, bool isA,
                         int64_t numLoops, MLIRContext *ctx) {
  if (AffineMap single = singleValueMap(type, numLoops, ctx))
    return single;
  auto t = dyn_cast<RankedTensorType>(type);
  int64_t rank = operand.getRank();
  if (!t || t.getRank() > rank)
    return {};
  auto fits = [](int64_t p, int64_t o) {
    return ShapedType::isDynamic(p) || ShapedType::isDynamic(o) || p == o;
  };
  if (isA && t.getRank() == 1) {
    if (rank < 2 || !fits(t.getDimSize(0), operand.getDimSize(rank - 2)))
      return {};
    return AffineMap::get(numLoops, 0, operandExprs[rank - 2], ctx);
  }
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < t.getRank(); ++i) {
    int64_t j = rank - t.getRank() + i;
    int64_t p = t.getDimSize(i), o = operand.getDimSize(j);
    if (p == 1) // broadcast (or a size-1 dim: index 0 either way)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else if (fits(p, o))
      exprs.push_back(operandExprs[j]);
    else
      return {};
  }
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// sum_k (A - a_zp) * (B - b_zp) in i32, wrapping on overflow.
FailureOr<Value> integerMatMul(OpBuilder &b, Location loc,
                               const MatMulLayout &layout, Value a,
                               bool aUnsigned, Value aZp, Value bv,
                               bool bUnsigned, Value bZp,
                               RankedTensorType accType) {
  MLIRContext *ctx = b.getContext();
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bv.getType());
  int64_t numLoops = layout.numLoops;
  SmallVector<Value> inputs{a, bv};
  SmallVector<AffineMap> maps{
      AffineMap::get(numLoops, 0, layout.aExprs, ctx),
      AffineMap::get(numLoops, 0, layout.bExprs, ctx)};
  bool hasAZp = !isNoValue(aZp), hasBZp = !isNoValue(bZp);
  if (hasAZp) {
    AffineMap map = matMulParamMap(aZp.getType(), aType, layout.aExprs, true,
                                   numLoops, ctx);
    if (!map)
      return failure();
    inputs.push_back(aZp);
    maps.push_back(map);
  }
  if (hasBZp) {
    AffineMap map = matMulParamMap(bZp.getType(), bType, layout.bExprs, false,
                                   numLoops, ctx);
    if (!map)
      return failure();
    inputs.push_back(bZp);
    maps.push_back(map);
  }
  maps.push_back(AffineMap::get(numLoops, 0, layout.outExprs, ctx));
  Value init = createFilled(b, loc, accType, 0.0, layout.dynamicSizes);
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, accType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value av = toI32(nb, l, args[0], aUnsigned);
        Value bval = toI32(nb, l, args[1], bUnsigned);
        unsigned next = 2;
        if (hasAZp)
          av = arith::SubIOp::create(nb, l, av,
                                     toI32(nb, l, args[next++], aUnsigned));
        if (hasBZp)
          bval = arith::SubIOp::create(nb, l, bval,
                                       toI32(nb, l, args[next++], bUnsigned));
        Value prod = arith::MulIOp::create(nb, l, av, bval);
        Value sum = arith::AddIOp::create(nb, l, args.back(), prod);
        linalg::YieldOp::create(nb, l, sum);
      });
  return generic.getResult(0);
}

bool isInt8(Type t) { return t.isInteger(8); }

struct MatMulIntegerLowering : OpConversionPattern<MatMulIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto aType = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    auto bType = dyn_cast<RankedTensorType>(adaptor.getB().getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!aType || !bType || !resultType ||
        !resultType.getElementType().isInteger(32) ||
        !isInt8(aType.getElementType()) || !isInt8(bType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs ranked 8-bit operands");
    Location loc = op.getLoc();
    auto layout =
        matMulLayout(rewriter, loc, adaptor.getA(), adaptor.getB(), resultType);
    if (failed(layout))
      return rewriter.notifyMatchFailure(op, "inconsistent ranks");
    auto acc = integerMatMul(
        rewriter, loc, *layout, adaptor.getA(),
        isUnsignedInt(originalOperandElement(op, 0)), adaptor.getAZeroPoint(),
        adaptor.getB(), isUnsignedInt(originalOperandElement(op, 1)),
        adaptor.getBZeroPoint(), resultType);
    if (failed(acc))
      return rewriter.notifyMatchFailure(
          op, "zero point neither per tensor, per row of A nor per column of B");
    rewriter.replaceOp(op, *acc);
    return success();
  }
};

/// The integer product, then requantized with the per-tensor/row/column
/// scales (which must not vary along k).
struct QLinearMatMulLowering : OpConversionPattern<QLinearMatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QLinearMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto aType = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    auto bType = dyn_cast<RankedTensorType>(adaptor.getB().getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!aType || !bType || !resultType ||
        !isInt8(aType.getElementType()) || !isInt8(bType.getElementType()) ||
        !isInt8(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs ranked 8-bit operands");
    for (Value s : {adaptor.getAScale(), adaptor.getBScale(),
                    adaptor.getYScale()})
      if (!getElementTypeOrSelf(s.getType()).isF32())
        return rewriter.notifyMatchFailure(op, "scales must be f32");
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    auto layout =
        matMulLayout(rewriter, loc, adaptor.getA(), adaptor.getB(), resultType);
    if (failed(layout))
      return rewriter.notifyMatchFailure(op, "inconsistent ranks");
    int64_t rr = layout->resultRank, numLoops = layout->numLoops;
    // Scale maps over the loop space must not use k; they then read the
    // same from the result space.
    auto resultMap = [&](AffineMap loopMap) -> AffineMap {
      if (!loopMap || loopMap.isFunctionOfDim(rr))
        return {};
      return AffineMap::get(rr, 0, loopMap.getResults(), ctx);
    };
    AffineMap aScaleMap =
        resultMap(matMulParamMap(adaptor.getAScale().getType(), aType,
                                 layout->aExprs, true, numLoops, ctx));
    AffineMap bScaleMap =
        resultMap(matMulParamMap(adaptor.getBScale().getType(), bType,
                                 layout->bExprs, false, numLoops, ctx));
    AffineMap yScaleMap = singleValueMap(adaptor.getYScale().getType(), rr, ctx);
    AffineMap yZpMap =
        singleValueMap(adaptor.getYZeroPoint().getType(), rr, ctx);
    if (!aScaleMap || !bScaleMap)
      return rewriter.notifyMatchFailure(
          op, "scale neither per tensor, per row of A nor per column of B");
    if (!yScaleMap || !yZpMap)
      return rewriter.notifyMatchFailure(
          op, "output scale and zero point must be per tensor");
    Type yElem = getElementTypeOrSelf(op.getY().getType());
    if (getElementTypeOrSelf(op.getYZeroPoint().getType()) != yElem)
      return rewriter.notifyMatchFailure(op, "zero point type differs from y");

    auto accType = RankedTensorType::get(resultType.getShape(),
                                         rewriter.getI32Type());
    auto acc = integerMatMul(
        rewriter, loc, *layout, adaptor.getA(),
        isUnsignedInt(originalOperandElement(op, 0)), adaptor.getAZeroPoint(),
        adaptor.getB(), isUnsignedInt(originalOperandElement(op, 3)),
        adaptor.getBZeroPoint(), accType);
    if (failed(acc))
      return rewriter.notifyMatchFailure(
          op, "zero point neither per tensor, per row of A nor per column of B");

    bool yUnsigned = isUnsignedInt(yElem);
    auto outType = cast<IntegerType>(resultType.getElementType());
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         outType, layout->dynamicSizes);
    AffineMap id = rewriter.getMultiDimIdentityMap(rr);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType,
        ValueRange{*acc, adaptor.getAScale(), adaptor.getBScale(),
                   adaptor.getYScale(), adaptor.getYZeroPoint()},
        init,
        ArrayRef<AffineMap>{id, aScaleMap, bScaleMap, yScaleMap, yZpMap, id},
        SmallVector<utils::IteratorType>(rr, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value multiplier = arith::DivFOp::create(
              b, l, arith::MulFOp::create(b, l, v[1], v[2]), v[3]);
          Value scaled = arith::MulFOp::create(
              b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), v[0]),
              multiplier);
          linalg::YieldOp::create(
              b, l,
              roundAndSaturate(b, l, scaled, toI32(b, l, v[4], yUnsigned),
                               outType, yUnsigned));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Integer convolutions
//===----------------------------------------------------------------------===//

/// `v` (any integer type) minus its zero point, as i32. `zpMap` reads the
/// zero point from v's index space (null: no zero point).
Value shiftToI32(OpBuilder &b, Location loc, Value v, bool isUnsigned,
                 Value zp, AffineMap zpMap) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  auto i32Type = RankedTensorType::get(type.getShape(), b.getI32Type());
  SmallVector<Value> inputs{v};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  if (zpMap) {
    inputs.push_back(zp);
    maps.push_back(zpMap);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getI32Type());
  return linalg::GenericOp::create(
             b, loc, i32Type, inputs, init, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value x = toI32(nb, l, a[0], isUnsigned);
               if (zpMap)
                 x = arith::SubIOp::create(nb, l, x,
                                           toI32(nb, l, a[1], isUnsigned));
               linalg::YieldOp::create(nb, l, x);
             })
      .getResult(0);
}

/// sum_{c, k} w[m, c, k] for each output channel m of an s8 filter `w`
/// that is a constant; nullopt when it is not one.
std::optional<std::vector<int32_t>> constantFilterSums(Value w) {
  auto cst = w.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(w.getType());
  if (!cst || !type || !type.hasStaticShape() || type.getDimSize(0) == 0)
    return std::nullopt;
  std::vector<int8_t> bytes = constantBytes(cst);
  int64_t m = type.getDimSize(0), per = type.getNumElements() / m;
  if (int64_t(bytes.size()) != m * per)
    return std::nullopt;
  std::vector<int32_t> sums(m, 0);
  for (int64_t i = 0; i < m * per; ++i)
    sums[i / per] += bytes[i];
  return sums;
}

/// The i32 convolution of (x - zp) and w for a u8 `x` with a per-tensor
/// zero point `zp` (null: none) and an s8 `w` without one: what
/// --quantize=dynamic-int8 emits, and ONNX Runtime's dynamic ConvInteger.
/// The product runs on the 8-bit values themselves (zero-extended x,
/// sign-extended w), which is the form the integer kernel
/// (VectorizeIntegerContractions) takes; padding reads zp, so that every
/// tap of every window carries the same zp * w share, and
/// zp * sum_{c,k} w[m, c, k] is subtracted from each output once.
Value u8s8Conv(OpBuilder &b, Location loc, Value x, Value zp, Value w,
               const ConvWindow &win, int64_t groups,
               ArrayRef<int64_t> yShape) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = xType.getRank();
  int64_t cg = xType.getDimSize(1) / groups, mg = wType.getDimSize(0) / groups;
  Value zp8;
  if (zp) {
    auto zpType = cast<RankedTensorType>(zp.getType());
    SmallVector<Value> zeros;
    if (zpType.getRank() > 0)
      zeros.assign(zpType.getRank(),
                   arith::ConstantIndexOp::create(b, loc, 0).getResult());
    zp8 = tensor::ExtractOp::create(b, loc, zp, zeros);
  } else {
    zp8 = scalarConstant(b, loc, xType.getElementType(), 0.0);
  }
  Value xg = expandGroupDim(b, loc, padSpatial(b, loc, x, win, zp8), 1, groups,
                            cg);
  Value wg = expandGroupDim(b, loc, w, 0, groups, mg);
  SmallVector<int64_t> ygShape{yShape[0], groups, mg};
  ygShape.append(yShape.begin() + 2, yShape.end());
  auto ygType = RankedTensorType::get(ygShape, i32);
  Value yg = buildGroupedConv(b, loc, xg, wg, createFilled(b, loc, ygType, 0.0),
                              win, /*xUnsigned=*/true);
  if (zp) {
    // wsum[g, m] = sum_{c, k} w[g, m, c, k], then y -= zp * wsum. Summed
    // here when W is a constant (as after --quantize=dynamic-int8): the
    // run-time sum would keep the unpacked filter alive in the library
    // beside the kernel's packed copy.
    int64_t wRank = rank + 1;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
    iterators.append(wRank - 2, utils::IteratorType::reduction);
    auto wsumType = RankedTensorType::get({groups, mg}, i32);
    Value wsum;
    if (std::optional<std::vector<int32_t>> sums = constantFilterSums(w)) {
      wsum = arith::ConstantOp::create(
          b, loc, wsumType,
          DenseElementsAttr::get(wsumType, ArrayRef<int32_t>(*sums)));
    } else {
      wsum = linalg::GenericOp::create(
                 b, loc, wsumType, ValueRange{wg},
                 createFilled(b, loc, wsumType, 0.0),
                 ArrayRef<AffineMap>{b.getMultiDimIdentityMap(wRank),
                                     AffineMap::get(wRank, 0, {d(0), d(1)}, ctx)},
                 iterators,
                 [](OpBuilder &nb, Location l, ValueRange a) {
                   Value v =
                       arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
                   linalg::YieldOp::create(
                       nb, l, arith::AddIOp::create(nb, l, a[1], v).getResult());
                 })
                 .getResult(0);
    }
    Value zp32 = arith::ExtUIOp::create(b, loc, i32, zp8);
    int64_t yRank = ygShape.size();
    yg = linalg::GenericOp::create(
             b, loc, ygType, ValueRange{yg, wsum},
             tensor::EmptyOp::create(b, loc, ygShape, i32).getResult(),
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(yRank),
                                 AffineMap::get(yRank, 0, {d(1), d(2)}, ctx),
                                 b.getMultiDimIdentityMap(yRank)},
             SmallVector<utils::IteratorType>(yRank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value share = arith::MulIOp::create(nb, l, zp32, a[1]);
               linalg::YieldOp::create(nb, l,
                                       arith::SubIOp::create(nb, l, a[0], share)
                                           .getResult());
             })
             .getResult(0);
  }
  return collapseGroupDim(b, loc, yg, RankedTensorType::get(yShape, i32));
}

/// The i32 convolution of (x - x_zp) and (w - w_zp): x_zp per tensor, w_zp
/// per tensor or per output channel. Padding is 0 after the shift, i.e. the
/// zero point before it. `yShape` is the (static) NCHW... result shape.
FailureOr<Value> integerConv(ConversionPatternRewriter &rewriter,
                             Operation *op, Value x, bool xUnsigned, Value xZp,
                             Value w, bool wUnsigned, Value wZp,
                             ArrayRef<int64_t> yShape) {
  MLIRContext *ctx = rewriter.getContext();
  Location loc = op->getLoc();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = xType.getRank();
  int64_t groups = intAttrOr(op, "group", 1);
  int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
  int64_t m = wType.getDimSize(0);
  if (wType.getRank() != rank || int64_t(yShape.size()) != rank ||
      groups <= 0 || c % groups || m % groups ||
      wType.getDimSize(1) != c / groups || yShape[1] != m || yShape[0] != n)
    return rewriter.notifyMatchFailure(op, "inconsistent conv shapes");
  auto kernel = wType.getShape().drop_front(2);
  if (op->getAttrOfType<ArrayAttr>("kernel_shape"))
    if (intsAttr(op, "kernel_shape", 0, 0) != SmallVector<int64_t>(kernel))
      return rewriter.notifyMatchFailure(op, "kernel_shape differs from W");
  auto win = readConvWindow(op, xType.getShape().drop_front(2), kernel,
                            yShape.drop_front(2));
  if (failed(win))
    return rewriter.notifyMatchFailure(op, "bad strides/dilations/pads");
  int64_t cg = c / groups, mg = m / groups;

  // Zero points: x's per tensor; w's per tensor or one per output channel.
  AffineMap xZpMap, wZpMap;
  if (!isNoValue(xZp)) {
    xZpMap = singleValueMap(xZp.getType(), rank, ctx);
    if (!xZpMap)
      return rewriter.notifyMatchFailure(op, "x zero point must be a scalar");
  }
  if (!isNoValue(wZp)) {
    wZpMap = singleValueMap(wZp.getType(), rank, ctx);
    auto t = dyn_cast<RankedTensorType>(wZp.getType());
    if (!wZpMap && t && t.getRank() == 1 && t.getDimSize(0) == m)
      wZpMap = AffineMap::get(rank, 0, getAffineDimExpr(0, ctx), ctx);
    if (!wZpMap)
      return rewriter.notifyMatchFailure(
          op, "w zero point neither per tensor nor per output channel");
  }
  Type i32 = rewriter.getI32Type();
  if (xUnsigned && !wUnsigned && !wZpMap)
    return u8s8Conv(rewriter, loc, x, xZpMap ? xZp : Value(), w, *win, groups,
                    yShape);
  Value xs = shiftToI32(rewriter, loc, x, xUnsigned, xZp, xZpMap);
  Value ws = shiftToI32(rewriter, loc, w, wUnsigned, wZp, wZpMap);

  // Zero padding of the shifted input, then views with the group dim
  // explicit: X as [N, G, Cg, H...], W as [G, Mg, Cg, K...], Y as
  // [N, G, Mg, O...].
  xs = padSpatial(rewriter, loc, xs, *win, 0.0);
  Value xg = expandGroupDim(rewriter, loc, xs, 1, groups, cg);
  Value wg = expandGroupDim(rewriter, loc, ws, 0, groups, mg);
  SmallVector<int64_t> ygShape{n, groups, mg};
  ygShape.append(yShape.begin() + 2, yShape.end());
  Value init =
      createFilled(rewriter, loc, RankedTensorType::get(ygShape, i32), 0.0);
  Value yg = buildGroupedConv(rewriter, loc, xg, wg, init, *win);
  return collapseGroupDim(rewriter, loc, yg,
                          RankedTensorType::get(yShape, i32));
}

/// Static 8-bit NC[D]HW operands, as the convolutions below need.
bool isStaticConvInput(Value x, Value w, RankedTensorType y) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  return xType && wType && y && xType.hasStaticShape() &&
         wType.hasStaticShape() && y.hasStaticShape() && xType.getRank() >= 3 &&
         isInt8(xType.getElementType()) && isInt8(wType.getElementType());
}

struct ConvIntegerLowering : OpConversionPattern<ConvIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!isStaticConvInput(adaptor.getX(), adaptor.getW(), yType))
      return rewriter.notifyMatchFailure(op, "needs static 8-bit NC... input");
    auto y = integerConv(
        rewriter, op, adaptor.getX(),
        isUnsignedInt(originalOperandElement(op, 0)), adaptor.getXZeroPoint(),
        adaptor.getW(), isUnsignedInt(originalOperandElement(op, 1)),
        adaptor.getWZeroPoint(), yType.getShape());
    if (failed(y))
      return failure();
    rewriter.replaceOp(op, *y);
    return success();
  }
};

/// The i32 convolution plus the i32 bias, requantized with
/// x_scale * w_scale[m] / y_scale.
struct QLinearConvLowering : OpConversionPattern<QLinearConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QLinearConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!isStaticConvInput(adaptor.getX(), adaptor.getW(), yType) ||
        !isInt8(yType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs static 8-bit NC... input");
    for (Value s : {adaptor.getXScale(), adaptor.getWScale(),
                    adaptor.getYScale()})
      if (!getElementTypeOrSelf(s.getType()).isF32())
        return rewriter.notifyMatchFailure(op, "scales must be f32");
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t rank = yType.getRank();
    int64_t m = yType.getDimSize(1);
    AffineMap perChannel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx);
    auto channelMap = [&](Type t) -> AffineMap {
      if (AffineMap single = singleValueMap(t, rank, ctx))
        return single;
      auto rt = dyn_cast<RankedTensorType>(t);
      if (rt && rt.getRank() == 1 && rt.getDimSize(0) == m)
        return perChannel;
      return {};
    };
    AffineMap xScaleMap = singleValueMap(adaptor.getXScale().getType(), rank, ctx);
    AffineMap wScaleMap = channelMap(adaptor.getWScale().getType());
    AffineMap yScaleMap = singleValueMap(adaptor.getYScale().getType(), rank, ctx);
    AffineMap yZpMap =
        singleValueMap(adaptor.getYZeroPoint().getType(), rank, ctx);
    if (!xScaleMap || !wScaleMap || !yScaleMap || !yZpMap)
      return rewriter.notifyMatchFailure(
          op, "scales/zero points must be per tensor (w's may be per channel)");
    Type yElem = getElementTypeOrSelf(op.getY().getType());
    if (getElementTypeOrSelf(op.getYZeroPoint().getType()) != yElem)
      return rewriter.notifyMatchFailure(op, "zero point type differs from y");
    bool hasBias = !isNoValue(adaptor.getB());
    AffineMap biasMap;
    if (hasBias) {
      biasMap = channelMap(adaptor.getB().getType());
      if (!biasMap)
        return rewriter.notifyMatchFailure(op, "bias must have M values");
    }

    auto acc = integerConv(
        rewriter, op, adaptor.getX(),
        isUnsignedInt(originalOperandElement(op, 0)), adaptor.getXZeroPoint(),
        adaptor.getW(), isUnsignedInt(originalOperandElement(op, 3)),
        adaptor.getWZeroPoint(), yType.getShape());
    if (failed(acc))
      return failure();

    bool yUnsigned = isUnsignedInt(yElem);
    auto outType = cast<IntegerType>(yType.getElementType());
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<Value> inputs{*acc, adaptor.getXScale(), adaptor.getWScale(),
                              adaptor.getYScale(), adaptor.getYZeroPoint()};
    SmallVector<AffineMap> maps{id, xScaleMap, wScaleMap, yScaleMap, yZpMap};
    if (hasBias) {
      inputs.push_back(adaptor.getB());
      maps.push_back(biasMap);
    }
    maps.push_back(id);
    Value init = tensor::EmptyOp::create(rewriter, loc, yType.getShape(),
                                         outType);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, yType, inputs, init, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value sum = v[0];
          if (hasBias)
            sum = arith::AddIOp::create(b, l, sum, v[5]);
          Value multiplier = arith::DivFOp::create(
              b, l, arith::MulFOp::create(b, l, v[1], v[2]), v[3]);
          Value scaled = arith::MulFOp::create(
              b, l, arith::SIToFPOp::create(b, l, b.getF32Type(), sum),
              multiplier);
          linalg::YieldOp::create(
              b, l,
              roundAndSaturate(b, l, scaled, toI32(b, l, v[4], yUnsigned),
                               outType, yUnsigned));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateQuantizationLoweringPatterns(OnnxTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.QuantizeLinear", "onnx.QuantizeLinear_v10"})
    patterns.add<QuantizeLinearLowering>(converter, ctx, name);
  for (StringRef name : {"onnx.DequantizeLinear", "onnx.DequantizeLinear_v10"})
    patterns.add<DequantizeLinearLowering>(converter, ctx, name);
  patterns.add<DynamicQuantizeLinearLowering, MatMulIntegerLowering,
               QLinearMatMulLowering, ConvIntegerLowering,
               QLinearConvLowering>(converter, ctx);
}

} // namespace onnxc
