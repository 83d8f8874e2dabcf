//===- SimplifyGraph.cpp - Remove onnx ops that do nothing ----------------===//
//
// Exporters leave ops that compute nothing at inference: Identity, Cast to
// the type a value already has, Reshape to the shape it already has, the
// identity Transpose, Dropout outside training. Each one left in the graph
// becomes a copy after lowering (or blocks a fusion pattern, such as
// Conv -> Dropout -> BatchNormalization), so they go first.
//
// Identity goes through its folder (dialects/onnx/OnnxFolders.cpp), which
// the greedy driver applies; the patterns here cover the rest. Every
// replacement needs the replaced value's type to be the replacement's type
// exactly: nothing here refines or relaxes a type.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_SIMPLIFYGRAPH
#include "passes/Passes.h.inc"

namespace {

/// Replaces a one-result op by its operand `operand` when the types agree.
LogicalResult replaceByOperand(Operation *op, unsigned operand,
                               PatternRewriter &rewriter) {
  Value in = op->getOperand(operand);
  if (in.getType() != op->getResult(0).getType())
    return rewriter.notifyMatchFailure(op, "the type changes");
  rewriter.replaceOp(op, in);
  return success();
}

/// Cast (any version) and CastLike whose result type is its input's type.
struct RemoveNoOpCast : RewritePattern {
  RemoveNoOpCast(StringRef name, MLIRContext *ctx)
      : RewritePattern(name, /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    return replaceByOperand(op, 0, rewriter);
  }
};

/// Reshape (any version) of a statically shaped tensor to its own type.
/// A dynamic input is left alone: equal printed types such as
/// tensor<?x4xf32> do not mean equal run-time shapes.
struct RemoveNoOpReshape : RewritePattern {
  RemoveNoOpReshape(StringRef name, MLIRContext *ctx)
      : RewritePattern(name, /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    if (!type || !type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "input shape not static");
    return replaceByOperand(op, 0, rewriter);
  }
};

/// Transpose with perm = [0, 1, ..., n-1] (an absent perm reverses the
/// dims, which is the identity only up to rank 1).
struct RemoveIdentityTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getData().getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unranked input");
    if (std::optional<ArrayAttr> perm = op.getPerm()) {
      for (auto [i, p] : llvm::enumerate(*perm))
        if (cast<IntegerAttr>(p).getInt() != int64_t(i))
          return rewriter.notifyMatchFailure(op, "perm moves a dim");
    } else if (type.getRank() > 1) {
      return rewriter.notifyMatchFailure(op, "default perm reverses dims");
    }
    return replaceByOperand(op, 0, rewriter);
  }
};

/// Dropout (opset 12+) outside training: the output is the data; the mask,
/// if anything reads it, is all true.
struct RemoveInferenceDropout : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    Value training = op.getTrainingMode();
    if (!isa<NoneType>(training.getType())) {
      std::optional<double> t = scalarConstantValue(training);
      if (!t)
        return rewriter.notifyMatchFailure(op, "training_mode not constant");
      if (*t != 0)
        return rewriter.notifyMatchFailure(op, "training mode");
    }
    if (op.getData().getType() != op.getOutput().getType())
      return rewriter.notifyMatchFailure(op, "the type changes");
    Value mask = op.getMask();
    Value newMask = mask;
    if (!mask.use_empty()) {
      auto maskType = dyn_cast<RankedTensorType>(mask.getType());
      if (!maskType || !maskType.hasStaticShape())
        return rewriter.notifyMatchFailure(op, "used mask of dynamic shape");
      auto attr = DenseElementsAttr::get(maskType, true);
      newMask = ConstantOp::create(rewriter, op.getLoc(), maskType,
                                   ElementsAttr(), attr, FloatAttr(),
                                   ArrayAttr(), IntegerAttr(), ArrayAttr(),
                                   StringAttr(), ArrayAttr());
    }
    rewriter.replaceAllUsesWith(op.getOutput(), op.getData());
    if (newMask != mask)
      rewriter.replaceAllUsesWith(mask, newMask);
    rewriter.eraseOp(op);
    return success();
  }
};

/// Dropout before opset 12 at inference: v7 has no training switch; v1 and
/// v6 are at inference when is_test is set. Only with an unused mask (its
/// type there is the data's, and its meaning at inference unspecified).
struct RemoveOldInferenceDropout : RewritePattern {
  RemoveOldInferenceDropout(StringRef name, MLIRContext *ctx)
      : RewritePattern(name, /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getName().getStringRef() != "onnx.Dropout_v7") {
      auto isTest = op->getAttrOfType<IntegerAttr>("is_test");
      if (!isTest || isTest.getInt() == 0)
        return rewriter.notifyMatchFailure(op, "is_test not set");
    }
    for (unsigned i = 1; i < op->getNumResults(); ++i)
      if (!op->getResult(i).use_empty())
        return rewriter.notifyMatchFailure(op, "mask is used");
    if (op->getOperand(0).getType() != op->getResult(0).getType())
      return rewriter.notifyMatchFailure(op, "the type changes");
    rewriter.replaceAllUsesWith(op->getResult(0), op->getOperand(0));
    rewriter.eraseOp(op);
    return success();
  }
};

struct SimplifyGraphPass : impl::SimplifyGraphBase<SimplifyGraphPass> {
  using impl::SimplifyGraphBase<SimplifyGraphPass>::SimplifyGraphBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    for (StringRef name : {"onnx.Cast", "onnx.Cast_v1", "onnx.CastLike"})
      patterns.add<RemoveNoOpCast>(name, ctx);
    for (StringRef name : {"onnx.Reshape", "onnx.Reshape_v5", "onnx.Reshape_v1"})
      patterns.add<RemoveNoOpReshape>(name, ctx);
    for (StringRef name : {"onnx.Dropout_v7", "onnx.Dropout_v6", "onnx.Dropout_v1"})
      patterns.add<RemoveOldInferenceDropout>(name, ctx);
    patterns.add<RemoveIdentityTranspose, RemoveInferenceDropout>(ctx);

    int64_t removed = applyGraphRewrites(getOperation(), std::move(patterns));
    if (report)
      getOperation().emitRemark()
          << "onnxc-simplify-graph: removed " << removed << " onnx ops";
  }
};

} // namespace
} // namespace onnxc
