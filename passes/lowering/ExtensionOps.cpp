//===- ExtensionOps.cpp - Lower the hand-written onnx.onnxc.* ops ---------===//
//
// onnx.onnxc.Gelu becomes one elementwise linalg.generic computing the
// ai.onnx Gelu-20 formula with math.erf or math.tanh.
//
// The fused contractions (FusedConv, FusedGemm, FusedMatMul) become the
// contraction exactly as the plain op lowers (the pattern creates the plain
// onnx op, which the same conversion then lowers with its own pattern, so
// the contraction kernels see the IR they always saw), followed by ONE
// elementwise linalg.generic that adds the bias or residual still to be
// added and applies the activation. That "contraction, then one
// elementwise generic on its result" shape is what epilogue fusion into the
// vector kernels looks for.
//
// onnx.onnxc.Attention becomes the same two batch matmuls, one generic for
// scale and mask (the scale on Q when there is no mask), and the softmax
// of Normalization.cpp (buildSoftmax); not yet a streaming (flash) kernel.
//
// onnx.onnxc.GroupScaledMatMulInteger becomes one contraction generic over
// (rows.., n, g, k') with A viewed [.., M, G, group] and B viewed [G,
// group, N], whose body dequantizes each product term in f32:
//
//   Y[r.., n] += S[r.., g] * ((uitofp(A[r.., g, k']) - Z[r.., g]) *
//                             sitofp(B[g, k', n]))
//
// That is the op's meaning, and what runs where no int8 kernel takes it;
// the int8 kernel (VectorizeIntegerContractions) recognizes this body and
// sums the integer products of each group exactly in i32 instead.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/ExtensionOps.h"

#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
namespace {

Value fconst(OpBuilder &b, Location l, Value like, double v) {
  return scalarConstant(b, l, like.getType(), v);
}

/// One element of ai.onnx Gelu-20.
Value geluElement(OpBuilder &b, Location l, Value x, bool tanhForm) {
  Value half = arith::MulFOp::create(b, l, x, fconst(b, l, x, 0.5));
  Value inner;
  if (tanhForm) {
    // sqrt(2/pi) * (x + 0.044715 x^3)
    Value x3 = arith::MulFOp::create(b, l, arith::MulFOp::create(b, l, x, x), x);
    Value sum = arith::AddFOp::create(
        b, l, x, arith::MulFOp::create(b, l, x3, fconst(b, l, x, 0.044715)));
    inner = math::TanhOp::create(
        b, l,
        arith::MulFOp::create(b, l, sum,
                              fconst(b, l, x, std::sqrt(2.0 / M_PI))));
  } else {
    inner = math::ErfOp::create(
        b, l, arith::MulFOp::create(b, l, x, fconst(b, l, x, M_SQRT1_2)));
  }
  return arith::MulFOp::create(
      b, l, half, arith::AddFOp::create(b, l, inner, fconst(b, l, x, 1.0)));
}

/// One element of the activation a fused contraction applies; the formulas
/// are those of the ONNX ops' own lowerings (Elementwise.cpp).
Value activationElement(OpBuilder &b, Location l, Value x, StringRef name,
                        ArrayRef<double> p) {
  auto hardSigmoid = [&](double alpha, double beta) -> Value {
    Value v = arith::AddFOp::create(
        b, l, arith::MulFOp::create(b, l, x, fconst(b, l, x, alpha)),
        fconst(b, l, x, beta));
    v = arith::MaximumFOp::create(b, l, v, fconst(b, l, x, 0));
    return arith::MinimumFOp::create(b, l, v, fconst(b, l, x, 1));
  };
  if (name.empty())
    return x;
  if (name == "Relu") // nsz as the Relu op's own lowering (Elementwise.cpp)
    return arith::MaximumFOp::create(b, l, x, fconst(b, l, x, 0),
                                     arith::FastMathFlags::nsz);
  if (name == "LeakyRelu") {
    Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                      fconst(b, l, x, 0));
    return arith::SelectOp::create(
        b, l, neg, arith::MulFOp::create(b, l, x, fconst(b, l, x, p[0])), x);
  }
  if (name == "Clip") {
    // ONNX Clip: min(max(x, lo), hi); NaN in x stays NaN.
    auto nsz = arith::FastMathFlags::nsz;
    Value v = arith::MaximumFOp::create(b, l, x, fconst(b, l, x, p[0]), nsz);
    return arith::MinimumFOp::create(b, l, v, fconst(b, l, x, p[1]), nsz);
  }
  if (name == "Sigmoid") {
    Value one = fconst(b, l, x, 1);
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
    return arith::DivFOp::create(b, l, one,
                                 arith::AddFOp::create(b, l, one, e));
  }
  if (name == "HardSigmoid")
    return hardSigmoid(p[0], p[1]);
  if (name == "HardSwish")
    return arith::MulFOp::create(b, l, x, hardSigmoid(1.0 / 6, 0.5));
  if (name == "Tanh")
    return math::TanhOp::create(b, l, x);
  if (name == "Gelu" || name == "GeluTanh")
    return geluElement(b, l, x, name == "GeluTanh");
  return {};
}

struct GeluLowering : OpConversionPattern<ExtGeluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExtGeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedResultType(*getTypeConverter(), op);
    if (!type)
      return rewriter.notifyMatchFailure(op, "needs a ranked result");
    bool tanhForm = op.getApproximate() == "tanh";
    rewriter.replaceOp(
        op, buildBroadcastElementwise(
                rewriter, op.getLoc(), type, adaptor.getX(),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  return geluElement(b, l, a[0], tanhForm);
                }));
    return success();
  }
};

/// A fused contraction: the plain op `PlainOp` on the first `numOperands`
/// operands with every attribute but the activation's, then one generic
/// adding `extra` (the bias or residual the plain op does not take; may be
/// absent) and applying the activation.
template <typename FusedOp, typename PlainOp>
struct FusedContractionLowering : OpConversionPattern<FusedOp> {
  FusedContractionLowering(const TypeConverter &converter, MLIRContext *ctx,
                           unsigned numOperands)
      : OpConversionPattern<FusedOp>(converter, ctx),
        numOperands(numOperands) {}

  LogicalResult
  matchAndRewrite(FusedOp op, typename FusedOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedResultType(*this->getTypeConverter(), op);
    if (!type || !isa<FloatType>(type.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a ranked float result");
    Location loc = op.getLoc();
    ValueRange operands = adaptor.getOperands();
    SmallVector<NamedAttribute> attrs;
    for (NamedAttribute a : op->getAttrs())
      if (a.getName() != op.getActivationAttrName() &&
          a.getName() != op.getActivationParamsAttrName())
        attrs.push_back(a);
    // The plain op is illegal too: the conversion lowers it next, with the
    // lowering every unfused Conv/Gemm/MatMul gets.
    Value product =
        PlainOp::create(rewriter, loc, TypeRange{type},
                        operands.take_front(numOperands), attrs)
            ->getResult(0);
    SmallVector<Value> inputs{product};
    for (Value extra : operands.drop_front(numOperands))
      if (!isNoValue(extra))
        inputs.push_back(extra);
    StringRef activation = op.getActivation();
    SmallVector<double> params;
    for (Attribute p : op.getActivationParams())
      params.push_back(cast<FloatAttr>(p).getValueAsDouble());
    if (inputs.size() == 1 && activation.empty()) {
      rewriter.replaceOp(op, product);
      return success();
    }
    rewriter.replaceOp(
        op, buildBroadcastElementwise(
                rewriter, loc, type, inputs,
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value v = a[0];
                  if (a.size() == 2)
                    v = arith::AddFOp::create(b, l, v, a[1]);
                  return activationElement(b, l, v, activation, params);
                }));
    return success();
  }

  unsigned numOperands;
};

/// softmax(scale * Q KT + Mask) V: the batch matmul as onnx.MatMul lowers
/// it, one generic scaling and adding the mask, the softmax over the last
/// axis, the second batch matmul.
struct AttentionLowering : OpConversionPattern<ExtAttentionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExtAttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedResultType(*getTypeConverter(), op);
    auto q = dyn_cast<RankedTensorType>(adaptor.getQ().getType());
    auto kt = dyn_cast<RankedTensorType>(adaptor.getKT().getType());
    if (!type || !q || !kt)
      return rewriter.notifyMatchFailure(op, "needs ranked Q, KT and result");
    Location loc = op.getLoc();
    int64_t rank = q.getRank();
    SmallVector<int64_t> scoresShape(q.getShape().drop_back());
    scoresShape.push_back(kt.getDimSize(rank - 1));
    auto scoresType = RankedTensorType::get(scoresShape, q.getElementType());
    double scale = op.getScale().convertToDouble();
    auto scaleBy = [&](OpBuilder &b, Location l, Value v) -> Value {
      return scale == 1.0 ? v
                          : arith::MulFOp::create(b, l, v, fconst(b, l, v, scale))
                                .getResult();
    };
    // Without a mask the scale goes on Q, as exporters write it: Q is
    // smaller than the scores ([.., Sq, D] against [.., Sq, Sk]), and its
    // generic fuses into whatever produces Q (the head split).
    Value query = adaptor.getQ();
    bool masked = !isNoValue(adaptor.getMask());
    if (!masked && scale != 1.0)
      query = buildBroadcastElementwise(
          rewriter, loc, q, query,
          [&](OpBuilder &b, Location l, ValueRange a) {
            return scaleBy(b, l, a[0]);
          });
    // Lowered next by MatMul.cpp, like any batch matmul.
    Value scaled =
        MatMulOp::create(rewriter, loc, scoresType, query, adaptor.getKT());
    // With a mask: one generic scaling the scores and adding it.
    if (masked)
      scaled = buildBroadcastElementwise(
          rewriter, loc, scoresType, {scaled, adaptor.getMask()},
          [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::AddFOp::create(b, l, scaleBy(b, l, a[0]), a[1])
                .getResult();
          });
    Value probs = buildSoftmax(rewriter, loc, scaled, rank - 1, /*isLog=*/false);
    rewriter.replaceOp(op, MatMulOp::create(rewriter, loc, type, probs,
                                            adaptor.getV())
                               .getY());
    return success();
  }
};

struct GroupScaledMatMulIntegerLowering
    : OpConversionPattern<ExtGroupScaledMatMulIntegerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExtGroupScaledMatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = convertedResultType(*getTypeConverter(), op);
    auto aType = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    auto bType = dyn_cast<RankedTensorType>(adaptor.getB().getType());
    if (!type || !aType || !bType || !bType.hasStaticShape() ||
        bType.getRank() != 2 || aType.getRank() < 2)
      return rewriter.notifyMatchFailure(
          op, "needs a ranked A [.., M, K] and a static B [K, N]");
    int64_t group = op.getGroupSize(), k = bType.getDimSize(0),
            n = bType.getDimSize(1);
    if (k % group != 0 || aType.getDimSize(aType.getRank() - 1) != k)
      return rewriter.notifyMatchFailure(op, "K is not whole groups");
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    int64_t rows = aType.getRank() - 1, groups = k / group;
    // A [.., M, K] -> [.., M, G, group]; B [K, N] -> [G, group, N].
    SmallVector<ReassociationIndices> aGroups;
    for (int64_t i = 0; i < rows; ++i)
      aGroups.push_back({i});
    aGroups.push_back({rows, rows + 1});
    SmallVector<int64_t> aShape(aType.getShape().drop_back());
    aShape.append({groups, group});
    Value a = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(aShape, aType.getElementType()),
        adaptor.getA(), aGroups);
    Value b = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({groups, group, n}, bType.getElementType()),
        adaptor.getB(), SmallVector<ReassociationIndices>{{0, 1}, {2}});
    SmallVector<Value> dynamicRows;
    for (int64_t i = 0; i < rows; ++i)
      if (type.isDynamicDim(i))
        dynamicRows.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getA(), i));
    Value init = createFilled(rewriter, loc, type, 0.0, dynamicRows);
    // Loops (r.., n, g, k').
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t loops = rows + 3, nDim = rows, gDim = rows + 1, kDim = rows + 2;
    SmallVector<AffineExpr> aExprs, paramExprs, yExprs;
    for (int64_t i = 0; i < rows; ++i) {
      aExprs.push_back(d(i));
      paramExprs.push_back(d(i));
      yExprs.push_back(d(i));
    }
    aExprs.append({d(gDim), d(kDim)});
    paramExprs.push_back(d(gDim));
    yExprs.push_back(d(nDim));
    AffineMap paramMap = AffineMap::get(loops, 0, paramExprs, ctx);
    SmallVector<AffineMap> maps{
        AffineMap::get(loops, 0, aExprs, ctx),
        AffineMap::get(loops, 0, {d(gDim), d(kDim), d(nDim)}, ctx), paramMap,
        paramMap, AffineMap::get(loops, 0, yExprs, ctx)};
    SmallVector<utils::IteratorType> iterators(rows + 1,
                                               utils::IteratorType::parallel);
    iterators.append(2, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type,
        ValueRange{a, b, adaptor.getScale(), adaptor.getZeroPoint()}, init,
        maps, iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
          Type f32 = nb.getF32Type();
          Value av = arith::UIToFPOp::create(nb, l, f32, args[0]);
          Value wv = arith::SIToFPOp::create(nb, l, f32, args[1]);
          Value centered = arith::SubFOp::create(nb, l, av, args[3]);
          Value term = arith::MulFOp::create(
              nb, l, args[2], arith::MulFOp::create(nb, l, centered, wv));
          linalg::YieldOp::create(
              nb, l, arith::AddFOp::create(nb, l, args[4], term).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateExtensionOpsLoweringPatterns(OnnxTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<GeluLowering, AttentionLowering,
               GroupScaledMatMulIntegerLowering>(converter, ctx);
  // Conv(X, W, B) + Z; Gemm(A, B, C); MatMul(A, B) + Bias.
  patterns.add<FusedContractionLowering<ExtFusedConvOp, ConvOp>>(converter,
                                                                 ctx, 3);
  patterns.add<FusedContractionLowering<ExtFusedGemmOp, GemmOp>>(converter,
                                                                 ctx, 3);
  patterns.add<FusedContractionLowering<ExtFusedMatMulOp, MatMulOp>>(
      converter, ctx, 2);
}

} // namespace onnxc
