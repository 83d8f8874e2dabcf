//===- RecognizeDecomposedOps.cpp - Exporters' decompositions as one op ---===//
//
// Exporters targeting opsets without LayerNormalization (before 17), and
// some that write Softmax out by hand, leave chains of elementwise ops and
// reductions. Lowered one by one they cost a pass over the tensor each (the
// reductions stop elementwise fusion); as one op they lower to the fused
// kernels of passes/lowering/Normalization.cpp.
//
//   LayerNormalization over the trailing axes A (keepdims everywhere):
//     mean = ReduceMean(x, A); d = Sub(x, mean)
//     var  = ReduceMean(Pow(d, 2) | Mul(d, d), A)
//     n    = Div(d, Sqrt(Add(var, eps)))
//     y    = Add(Mul(n, scale), bias)       (Mul and Add optional)
//   Softmax over one axis a:
//     e = Exp(Sub(x, ReduceMax(x, a)));  y = Div(e, ReduceSum(e, a))
//   LogSoftmax over one axis a:
//     d = Sub(x, ReduceMax(x, a));  y = Sub(d, Log(ReduceSum(Exp(d), a)))
//
// Each intermediate value must have exactly the uses the chain gives it:
// another user would still need it, and the chain would be computed twice.
//   GELU (ai.onnx Gelu-20, as the hand-written onnx.onnxc.Gelu):
//     e = Erf(Div(x, sqrt 2) | Mul(x, 1/sqrt 2));  t = Add(e, 1)
//     t = Add(Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, x^3)))), 1)
//       with x^3 = Pow(x, 3) | Mul(x, Mul(x, x))
//     y = the product of x, 0.5 and t, in any association and order
//   The GELU chain is elementwise and would fuse into one loop anyway; as
//   one op it is what onnxc-fuse-contractions folds into the MatMul or Gemm
//   before it (BERT's intermediate layers), and it is evaluated with the
//   exact constants instead of the exporter's rounded ones.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"
#include "passes/lowering/LoweringUtils.h"

#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_RECOGNIZEDECOMPOSEDOPS
#include "passes/Passes.h.inc"

namespace {

/// The sorted, non-negative axes a keepdims reduction (ReduceMean,
/// ReduceMax, ReduceSum in both forms) reduces over a rank-`rank` input;
/// nullopt for keepdims=0, absent or non-constant axes.
std::optional<SmallVector<int64_t>> keepdimsReductionAxes(Operation *op,
                                                          int64_t rank) {
  auto keep = op->getAttrOfType<IntegerAttr>("keepdims");
  if (keep && keep.getInt() == 0)
    return std::nullopt;
  SmallVector<int64_t> axes;
  if (auto attr = op->getAttrOfType<ArrayAttr>("axes")) {
    for (Attribute a : attr)
      axes.push_back(cast<IntegerAttr>(a).getInt());
  } else if (isa<ReduceSumOp>(op)) {
    std::optional<SmallVector<int64_t>> given =
        constantIntValues(op->getOperand(1));
    if (!given)
      return std::nullopt;
    axes = *given;
  }
  if (axes.empty())
    return std::nullopt;
  for (int64_t &a : axes) {
    std::optional<int64_t> n = normalizeAxis(a, rank);
    if (!n)
      return std::nullopt;
    a = *n;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return std::nullopt;
  return axes;
}

/// The other operand of the binary op `op` when one of them is `v`.
Value otherOperand(Operation *op, Value v) {
  if (op->getOperand(0) == v)
    return op->getOperand(1);
  if (op->getOperand(1) == v)
    return op->getOperand(0);
  return {};
}

/// The single user of `v` if it is an `OpT` (and `v` has no other use).
template <typename OpT> OpT soleUser(Value v) {
  if (!v.hasOneUse())
    return {};
  return dyn_cast<OpT>(*v.getUsers().begin());
}

/// A float element type the recognized ops compute in the same precision
/// as the chain: f32 and f64 (f16 chains compute every step in f16, the
/// fused ops in f32, which would change the results).
bool isExactFloat(Type t) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  return ranked && (ranked.getElementType().isF32() ||
                    ranked.getElementType().isF64());
}

struct RecognizeLayerNorm : CountingPattern<DivOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto sqrt = div.getB().getDefiningOp<SqrtOp>();
    auto d = div.getA().getDefiningOp<SubOp>();
    if (!sqrt || !d)
      return rewriter.notifyMatchFailure(div, "not Div(Sub, Sqrt)");
    auto addEps = sqrt.getX().getDefiningOp<AddOp>();
    if (!addEps || !sqrt->hasOneUse() || !addEps->hasOneUse())
      return rewriter.notifyMatchFailure(div, "not Sqrt(Add) of single use");
    ReduceMeanOp var;
    std::optional<double> eps;
    for (int i = 0; i < 2 && !var; ++i) {
      var = addEps->getOperand(i).getDefiningOp<ReduceMeanOp>();
      eps = scalarConstantValue(addEps->getOperand(1 - i));
      if (!eps)
        var = {};
    }
    if (!var || !var->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no ReduceMean + epsilon");
    // The square: Pow(d, 2) or Mul(d, d).
    Operation *square = var.getData().getDefiningOp();
    if (!square || square->getNumResults() != 1 || !square->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no square of single use");
    unsigned dUses;
    if (auto pow = dyn_cast<PowOp>(square)) {
      std::optional<double> e = scalarConstantValue(pow.getY());
      if (pow.getX() != d.getC() || !e || *e != 2.0)
        return rewriter.notifyMatchFailure(div, "Pow is not the square");
      dUses = 2;
    } else if (auto mul = dyn_cast<MulOp>(square)) {
      if (mul.getA() != d.getC() || mul.getB() != d.getC())
        return rewriter.notifyMatchFailure(div, "Mul is not the square");
      dUses = 3;
    } else {
      return rewriter.notifyMatchFailure(div, "no Pow or Mul square");
    }
    if (!hasNUses(d.getC(), dUses))
      return rewriter.notifyMatchFailure(div, "centered value has other users");
    auto mean = d.getB().getDefiningOp<ReduceMeanOp>();
    Value x = d.getA();
    if (!mean || mean.getData() != x || !mean->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no Sub(x, ReduceMean(x))");

    auto xType = dyn_cast<RankedTensorType>(x.getType());
    if (!isExactFloat(x.getType()) || div.getC().getType() != xType)
      return rewriter.notifyMatchFailure(div, "not f32/f64 of x's type");
    int64_t rank = xType.getRank();
    auto axes = keepdimsReductionAxes(mean, rank);
    auto varAxes = keepdimsReductionAxes(var, rank);
    if (!axes || !varAxes || *axes != *varAxes)
      return rewriter.notifyMatchFailure(div, "reductions differ");
    // The normalized axes must be the trailing ones, statically sized.
    int64_t axis = axes->front();
    for (auto [i, a] : llvm::enumerate(*axes))
      if (a != axis + int64_t(i) || axes->back() != rank - 1)
        return rewriter.notifyMatchFailure(div, "axes not the trailing ones");
    ArrayRef<int64_t> normalized = xType.getShape().drop_front(axis);
    if (ShapedType::isDynamicShape(normalized))
      return rewriter.notifyMatchFailure(div, "normalized dims not static");
    auto paramType =
        RankedTensorType::get(normalized, xType.getElementType());

    // Optional scale and bias, each of the normalized shape, each the only
    // user of the value before it.
    Operation *last = div;
    Value scale, bias;
    if (auto mul = soleUser<MulOp>(div.getC())) {
      Value g = otherOperand(mul, div.getC());
      if (g && g.getType() == paramType && mul.getC().getType() == xType) {
        scale = g;
        last = mul;
        if (auto add = soleUser<AddOp>(mul.getC())) {
          Value b = otherOperand(add, mul.getC());
          if (b && b.getType() == paramType && add.getC().getType() == xType) {
            bias = b;
            last = add;
          }
        }
      }
    }
    Location loc = last->getLoc();
    rewriter.setInsertionPoint(last);
    if (!scale) {
      std::vector<double> ones(paramType.getNumElements(), 1.0);
      scale = createFloatConstant(rewriter, loc, paramType, ones,
                                  /*asResource=*/false);
    }
    if (!bias)
      bias = NoValueOp::create(rewriter, loc, rewriter.getNoneType());
    Type none = rewriter.getNoneType();
    auto ln = LayerNormalizationOp::create(
        rewriter, loc, xType, none, none, x, scale, bias, uint64_t(axis),
        llvm::APFloat(float(*eps)));
    rewriter.replaceOp(last, ln.getY());
    ++count;
    return success();
  }
};

/// x - ReduceMax(x, [a]) over one axis, where the max has no other use;
/// the axis, or nullopt.
std::optional<int64_t> maxShiftedAxis(SubOp sub) {
  auto max = sub.getB().getDefiningOp<ReduceMaxOp>();
  if (!max || max.getData() != sub.getA() || !max->hasOneUse())
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(sub.getA().getType());
  if (!type || sub.getC().getType() != type)
    return std::nullopt;
  auto axes = keepdimsReductionAxes(max, type.getRank());
  if (!axes || axes->size() != 1)
    return std::nullopt;
  return axes->front();
}

/// ReduceSum (either form) of `v` over exactly `axis`.
bool isSumOver(Operation *op, Value v, int64_t axis, int64_t rank) {
  if (!op || !isa<ReduceSumOp, ReduceSumV1Op>(op) || op->getOperand(0) != v)
    return false;
  auto axes = keepdimsReductionAxes(op, rank);
  return axes && axes->size() == 1 && axes->front() == axis;
}

struct RecognizeSoftmax : CountingPattern<DivOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto exp = div.getA().getDefiningOp<ExpOp>();
    if (!exp || !hasNUses(exp.getOutput(), 2))
      return rewriter.notifyMatchFailure(div, "no Exp used twice");
    auto sub = exp.getInput().getDefiningOp<SubOp>();
    if (!sub || !sub->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no Exp(Sub) of single use");
    std::optional<int64_t> axis = maxShiftedAxis(sub);
    Value x = sub.getA();
    if (!axis || !isExactFloat(x.getType()) ||
        div.getC().getType() != x.getType())
      return rewriter.notifyMatchFailure(div, "no x - ReduceMax(x) of x's type");
    Operation *sum = div.getB().getDefiningOp();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    if (!isSumOver(sum, exp.getOutput(), *axis, rank) || !sum->hasOneUse())
      return rewriter.notifyMatchFailure(div, "no ReduceSum over the axis");
    rewriter.replaceOpWithNewOp<SoftmaxOp>(div, x.getType(), x,
                                           rewriter.getI64IntegerAttr(*axis));
    ++count;
    return success();
  }
};

struct RecognizeLogSoftmax : CountingPattern<SubOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(SubOp outer,
                                PatternRewriter &rewriter) const override {
    auto d = outer.getA().getDefiningOp<SubOp>();
    auto log = outer.getB().getDefiningOp<LogOp>();
    if (!d || !log || !log->hasOneUse() || !hasNUses(d.getC(), 2))
      return rewriter.notifyMatchFailure(outer, "not Sub(Sub, Log)");
    std::optional<int64_t> axis = maxShiftedAxis(d);
    Value x = d.getA();
    if (!axis || !isExactFloat(x.getType()) ||
        outer.getC().getType() != x.getType())
      return rewriter.notifyMatchFailure(outer, "no x - ReduceMax(x)");
    Operation *sum = log.getInput().getDefiningOp();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    if (!sum || !sum->hasOneUse() || sum->getNumOperands() < 1)
      return rewriter.notifyMatchFailure(outer, "no Log(ReduceSum)");
    auto exp = sum->getOperand(0).getDefiningOp<ExpOp>();
    if (!exp || exp.getInput() != d.getC() || !exp->hasOneUse() ||
        !isSumOver(sum, exp.getOutput(), *axis, rank))
      return rewriter.notifyMatchFailure(outer, "no ReduceSum(Exp(d)) over the axis");
    rewriter.replaceOpWithNewOp<LogSoftmaxOp>(
        outer, x.getType(), x, rewriter.getI64IntegerAttr(*axis));
    ++count;
    return success();
  }
};

/// True if `v` is a one-element constant equal to `expected` within the
/// rounding exporters apply to it (they write f32, some only 5 digits).
bool isConstantNear(Value v, double expected) {
  std::optional<double> c = scalarConstantValue(v);
  return c && std::abs(*c - expected) <= 1e-5 * std::abs(expected);
}

/// The operand of the binary op `op` other than the constant `expected`.
Value operandBesideConstant(Operation *op, double expected) {
  if (isConstantNear(op->getOperand(1), expected))
    return op->getOperand(0);
  if (isConstantNear(op->getOperand(0), expected))
    return op->getOperand(1);
  return {};
}

/// The `t + 1` that follows Erf or Tanh in both GELU forms, if `v` (of
/// single use) feeds only it: its result, or null.
Value plusOne(Value v) {
  auto add = soleUser<AddOp>(v);
  if (!add || otherOperand(add, v) == Value() ||
      !isConstantNear(otherOperand(add, v), 1.0))
    return {};
  return add.getC();
}

/// The op computing `x * 0.5 * t` from `t` (single use) in any of the
/// orders exporters write: (x * t) * 0.5, (t * 0.5) * x, (x * 0.5) * t,
/// (0.5 * x) * t; the inner product must have no other user.
Operation *geluProduct(Value t, Value x) {
  auto inner = soleUser<MulOp>(t);
  if (!inner)
    return nullptr;
  Value other = otherOperand(inner, t);
  if (other == x || isConstantNear(other, 0.5)) {
    // (t * a) * b with {a, b} = {x, 0.5}.
    auto outer = soleUser<MulOp>(inner.getC());
    if (!outer)
      return nullptr;
    Value last = otherOperand(outer, inner.getC());
    bool complement = other == x ? isConstantNear(last, 0.5) : last == x;
    return complement ? outer.getOperation() : nullptr;
  }
  // (x * 0.5) * t, the half product computed on its own.
  auto half = other.getDefiningOp<MulOp>();
  if (!half || !half->hasOneUse() || operandBesideConstant(half, 0.5) != x)
    return nullptr;
  return inner;
}

/// Replaces the GELU chain ending at `root` by one onnx.onnxc.Gelu of `x`.
LogicalResult replaceByGelu(PatternRewriter &rewriter, Operation *anchor,
                            Operation *root, Value x, StringRef approximate) {
  if (!root)
    return rewriter.notifyMatchFailure(anchor, "no x * 0.5 * (1 + ...)");
  if (!isExactFloat(x.getType()) || root->getResult(0).getType() != x.getType())
    return rewriter.notifyMatchFailure(anchor, "not f32/f64 of x's type");
  rewriter.setInsertionPoint(root);
  rewriter.replaceOp(root, ExtGeluOp::create(rewriter, root->getLoc(),
                                             x.getType(), x,
                                             rewriter.getStringAttr(approximate))
                               .getY());
  return success();
}

struct RecognizeGeluErf : CountingPattern<ErfOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(ErfOp erf,
                                PatternRewriter &rewriter) const override {
    Operation *scale = erf.getInput().getDefiningOp();
    if (!scale || !scale->hasOneUse())
      return rewriter.notifyMatchFailure(erf, "no scaling of single use");
    Value x;
    if (auto div = dyn_cast<DivOp>(scale)) {
      if (isConstantNear(div.getB(), M_SQRT2))
        x = div.getA();
    } else if (isa<MulOp>(scale)) {
      x = operandBesideConstant(scale, M_SQRT1_2);
    }
    if (!x)
      return rewriter.notifyMatchFailure(erf, "not Erf(x / sqrt 2)");
    Value t = plusOne(erf.getOutput());
    if (!t)
      return rewriter.notifyMatchFailure(erf, "no 1 + erf of single use");
    if (failed(replaceByGelu(rewriter, erf, geluProduct(t, x), x, "none")))
      return failure();
    ++count;
    return success();
  }
};

/// x^3 written as Pow(x, 3), x * (x * x) or (x * x) * x, each
/// intermediate of single use; x, or null.
Value cubedValue(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op || !op->hasOneUse())
    return {};
  if (auto pow = dyn_cast<PowOp>(op))
    return isConstantNear(pow.getY(), 3.0) ? pow.getX() : Value();
  auto mul = dyn_cast<MulOp>(op);
  if (!mul)
    return {};
  for (int i = 0; i < 2; ++i) {
    Value x = mul->getOperand(i);
    auto square = mul->getOperand(1 - i).getDefiningOp<MulOp>();
    if (square && square->hasOneUse() && square.getA() == x &&
        square.getB() == x)
      return x;
  }
  return {};
}

struct RecognizeGeluTanh : CountingPattern<TanhOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(TanhOp tanh,
                                PatternRewriter &rewriter) const override {
    // tanh(sqrt(2/pi) * (x + 0.044715 * x^3))
    auto scale = tanh.getInput().getDefiningOp<MulOp>();
    if (!scale || !scale->hasOneUse())
      return rewriter.notifyMatchFailure(tanh, "no Mul of single use");
    Value inner = operandBesideConstant(scale, std::sqrt(2.0 / M_PI));
    auto sum = inner ? inner.getDefiningOp<AddOp>() : AddOp();
    if (!sum || !sum->hasOneUse())
      return rewriter.notifyMatchFailure(tanh, "no sqrt(2/pi) * Add");
    Value x;
    for (int i = 0; i < 2 && !x; ++i) {
      auto cubic = sum->getOperand(1 - i).getDefiningOp<MulOp>();
      if (!cubic || !cubic->hasOneUse())
        continue;
      Value cube = operandBesideConstant(cubic, 0.044715);
      if (cube && cubedValue(cube) == sum->getOperand(i))
        x = sum->getOperand(i);
    }
    if (!x)
      return rewriter.notifyMatchFailure(tanh, "no x + 0.044715 * x^3");
    Value t = plusOne(tanh.getOutput());
    if (!t)
      return rewriter.notifyMatchFailure(tanh, "no 1 + tanh of single use");
    if (failed(replaceByGelu(rewriter, tanh, geluProduct(t, x), x, "tanh")))
      return failure();
    ++count;
    return success();
  }
};

struct RecognizeDecomposedOpsPass
    : impl::RecognizeDecomposedOpsBase<RecognizeDecomposedOpsPass> {
  using impl::RecognizeDecomposedOpsBase<RecognizeDecomposedOpsPass>::RecognizeDecomposedOpsBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    int64_t layerNorms = 0, softmaxes = 0, logSoftmaxes = 0, gelus = 0;
    RewritePatternSet patterns(ctx);
    patterns.add<RecognizeLayerNorm>(ctx, layerNorms);
    patterns.add<RecognizeSoftmax>(ctx, softmaxes);
    patterns.add<RecognizeLogSoftmax>(ctx, logSoftmaxes);
    patterns.add<RecognizeGeluErf, RecognizeGeluTanh>(ctx, gelus);
    int64_t removed = applyGraphRewrites(getOperation(), std::move(patterns));
    if (report)
      getOperation().emitRemark()
          << "onnxc-recognize-decomposed-ops: " << layerNorms
          << " LayerNormalization, " << softmaxes << " Softmax, "
          << logSoftmaxes << " LogSoftmax, " << gelus
          << " Gelu; removed " << removed
          << " onnx ops";
  }
};

} // namespace
} // namespace onnxc
