//===- FuseAttention.cpp - Scaled dot-product attention as one op --------===//
//
// Transformer exporters write attention as
//
//   s = MatMul(Q, KT) scaled by a constant: Div(s, c) | Mul(s, c), or the
//       scale applied to Q or KT before the MatMul (torch's
//       nn.MultiheadAttention: MatMul(Div(Q, sqrt d), KT))
//   s = Add(s, Mask)                                     (optional)
//   y = MatMul(Softmax(s, axis = -1), V)
//
// which becomes one onnx.onnxc.Attention (dialects/onnx/OnnxExtensionOps.td)
// with the scale as an attribute. KT is whatever the graph multiplies by
// (usually a Transpose of K): the op takes the key transposed, so nothing
// about the transpose needs matching.
//
// Every intermediate (the scaled scores, the masked scores, the
// probabilities) must have no other user: a model that returns its
// attention probabilities still needs them. Scaling Q before the product
// and the scores after it differ only in rounding.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"

namespace {

/// If `v` is Div(x, c) or Mul(x, c) | Mul(c, x) with a scalar constant c,
/// of single use, returns x and sets `scale` to the factor it applies.
Value unscaled(Value v, double &scale) {
  Operation *op = v.getDefiningOp();
  if (!op || !v.hasOneUse())
    return {};
  if (isa<DivOp>(op)) {
    std::optional<double> c = scalarConstantValue(op->getOperand(1));
    if (!c || *c == 0 || op->getOperand(0).getType() != v.getType())
      return {};
    scale = 1.0 / *c;
    return op->getOperand(0);
  }
  if (!isa<MulOp>(op))
    return {};
  for (int i = 0; i < 2; ++i) {
    std::optional<double> c = scalarConstantValue(op->getOperand(1 - i));
    if (c && op->getOperand(i).getType() == v.getType()) {
      scale = *c;
      return op->getOperand(i);
    }
  }
  return {};
}

bool isAttentionType(Type t) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  return ranked && ranked.getRank() >= 2 &&
         (ranked.getElementType().isF32() || ranked.getElementType().isF64());
}

struct FuseScaledDotProductAttention : CountingPattern<SoftmaxOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(softmax.getInput().getType());
    if (!type || !isAttentionType(type))
      return rewriter.notifyMatchFailure(softmax, "not f32/f64 rank >= 2");
    int64_t axis = softmax.getAxis();
    if (axis != -1 && axis != type.getRank() - 1)
      return rewriter.notifyMatchFailure(softmax, "not over the last axis");
    Value probs = softmax.getOutput();
    auto pv = probs.hasOneUse() ? dyn_cast<MatMulOp>(*probs.getUsers().begin())
                                : MatMulOp();
    if (!pv || pv.getA() != probs)
      return rewriter.notifyMatchFailure(softmax, "no MatMul(probs, V) of single use");

    // Optional mask, then the scale on the scores or on an operand.
    Value s = softmax.getInput();
    Value mask;
    if (auto add = s.getDefiningOp<AddOp>(); add && s.hasOneUse()) {
      // The scores are the operand that is a (scaled) MatMul.
      for (int i = 0; i < 2 && !mask; ++i) {
        Value scores = add->getOperand(i);
        double ignored;
        Value product = unscaled(scores, ignored);
        if (!product)
          product = scores;
        if (product.getDefiningOp<MatMulOp>() && scores.getType() == type) {
          mask = add->getOperand(1 - i);
          s = add->getOperand(i);
        }
      }
      if (!mask)
        return rewriter.notifyMatchFailure(softmax, "Add of no scores");
    }
    double scale = 1.0;
    if (Value inner = unscaled(s, scale))
      s = inner;
    auto qk = s.getDefiningOp<MatMulOp>();
    if (!qk || !s.hasOneUse() || qk.getY().getType() != type)
      return rewriter.notifyMatchFailure(softmax, "no MatMul(Q, KT) of single use");
    Value q = qk.getA(), kt = qk.getB();
    if (scale == 1.0) {
      // The scale on one factor instead (it must be only there).
      double factor = 1.0;
      if (Value inner = unscaled(q, factor)) {
        q = inner;
        scale = factor;
      } else if (Value inner = unscaled(kt, factor)) {
        kt = inner;
        scale = factor;
      }
    }
    Value v = pv.getB();
    auto qType = dyn_cast<RankedTensorType>(q.getType());
    auto ktType = dyn_cast<RankedTensorType>(kt.getType());
    auto vType = dyn_cast<RankedTensorType>(v.getType());
    int64_t rank = type.getRank();
    if (!qType || !ktType || !vType || qType.getRank() != rank ||
        ktType.getRank() != rank || vType.getRank() != rank ||
        qType.getElementType() != type.getElementType())
      return rewriter.notifyMatchFailure(softmax, "Q, KT, V not of one rank");
    // Batch dims equal and static where they matter: no broadcasting in
    // either product.
    ArrayRef<int64_t> batch = type.getShape().drop_back(2);
    if (qType.getShape().drop_back(2) != batch ||
        ktType.getShape().drop_back(2) != batch ||
        vType.getShape().drop_back(2) != batch ||
        ShapedType::isDynamicShape(batch))
      return rewriter.notifyMatchFailure(softmax, "batch dims differ");
    rewriter.setInsertionPoint(pv);
    Value maskOperand =
        mask ? mask
             : NoValueOp::create(rewriter, pv.getLoc(), rewriter.getNoneType())
                   .getResult();
    auto attention = ExtAttentionOp::create(
        rewriter, pv.getLoc(), pv.getY().getType(), q, kt, v, maskOperand,
        rewriter.getF64FloatAttr(scale));
    rewriter.replaceOp(pv, attention.getY());
    ++count;
    return success();
  }
};

struct FuseAttentionPass : impl::FuseAttentionBase<FuseAttentionPass> {
  using impl::FuseAttentionBase<FuseAttentionPass>::FuseAttentionBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    int64_t attentions = 0;
    RewritePatternSet patterns(ctx);
    patterns.add<FuseScaledDotProductAttention>(ctx, attentions);
    int64_t removed = applyGraphRewrites(getOperation(), std::move(patterns));
    if (report)
      getOperation().emitRemark()
          << "onnxc-fuse-attention: " << attentions << " Attention; removed "
          << removed << " onnx ops";
  }
};

} // namespace
} // namespace onnxc
