//===- FoldBatchNorm.cpp - BatchNormalization into its Conv or Gemm -------===//
//
// At inference BatchNormalization is an affine map per channel,
//   y = (x - mean) * s + bias,  s = scale / sqrt(var + epsilon),
// and when x is a Conv (channels: the output's dim 1, the weights' dim 0) or
// a Gemm (channels: the output's columns) with constant weights, the map
// goes into the weights at compile time:
//   W'[c, ...] = W[c, ...] * s[c],  B'[c] = (B[c] - mean[c]) * s[c] + bias[c].
// The Conv or Gemm must have the BatchNormalization as its only user (else
// the other users would see the scaled result), and every parameter must be
// a constant. New values are computed in double and rounded once to the
// weights' element type; the weights keep the form they had (dense or
// dense_resource).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "passes/Passes.h.inc"

namespace {

/// The per-channel affine map of an inference BatchNormalization:
/// y = x * mul[c] + add[c] (with add = bias - mean * s).
struct ChannelAffine {
  std::vector<double> mul, add;
};

/// Reads the BatchNormalization `bn` (opset 14/15, or opset 9-13) as a
/// per-channel affine map over `channels` channels; failure (with the
/// reason) when it is in training mode, uses its statistics outputs, or has
/// a non-constant parameter.
FailureOr<ChannelAffine> readBatchNorm(Operation *bn, int64_t channels,
                                       PatternRewriter &rewriter) {
  if (auto t = bn->getAttrOfType<IntegerAttr>("training_mode"))
    if (t.getInt() != 0)
      return rewriter.notifyMatchFailure(bn, "training mode");
  for (unsigned i = 1; i < bn->getNumResults(); ++i)
    if (!bn->getResult(i).use_empty())
      return rewriter.notifyMatchFailure(bn, "running statistics are used");
  if (bn->getNumOperands() != 5)
    return rewriter.notifyMatchFailure(bn, "expected 5 operands");
  double eps = 1e-5;
  if (auto e = bn->getAttrOfType<FloatAttr>("epsilon"))
    eps = e.getValueAsDouble();
  std::vector<double> params[4];
  for (int i = 0; i < 4; ++i) {
    std::optional<std::vector<double>> v =
        floatConstantValues(bn->getOperand(i + 1));
    if (!v)
      return rewriter.notifyMatchFailure(bn, "a parameter is not a constant");
    auto type = cast<RankedTensorType>(bn->getOperand(i + 1).getType());
    if (type.getRank() != 1 || int64_t(v->size()) != channels)
      return rewriter.notifyMatchFailure(
          bn, "a parameter is not one value per channel");
    params[i] = std::move(*v);
  }
  const std::vector<double> &scale = params[0], &bias = params[1],
                            &mean = params[2], &var = params[3];
  ChannelAffine affine;
  affine.mul.resize(channels);
  affine.add.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    double s = scale[c] / std::sqrt(var[c] + eps);
    if (!std::isfinite(s))
      return rewriter.notifyMatchFailure(bn, "a channel's scale is not finite");
    affine.mul[c] = s;
    affine.add[c] = bias[c] - mean[c] * s;
  }
  return affine;
}

/// The BatchNormalization (opset 9 and later, whose semantics agree at
/// inference) that is the only user of `producer`'s result, with the same
/// result type; null otherwise.
Operation *soleBatchNormUser(Operation *producer, PatternRewriter &rewriter) {
  Value y = producer->getResult(0);
  if (!y.hasOneUse()) {
    (void)rewriter.notifyMatchFailure(producer, "result has several users");
    return nullptr;
  }
  Operation *user = *y.getUsers().begin();
  StringRef name = user->getName().getStringRef();
  if ((name != "onnx.BatchNormalization" &&
       name != "onnx.BatchNormalization_v9") ||
      user->getOperand(0) != y || user->getResult(0).getType() != y.getType())
    return nullptr;
  return user;
}

/// Conv -> BatchNormalization.
struct FoldIntoConv : OpRewritePattern<ConvOp> {
  FoldIntoConv(MLIRContext *ctx, int64_t &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    Operation *bn = soleBatchNormUser(conv, rewriter);
    if (!bn)
      return rewriter.notifyMatchFailure(conv, "no BatchNormalization user");
    auto wType = dyn_cast<RankedTensorType>(conv.getW().getType());
    if (!wType || !wType.hasStaticShape() || wType.getRank() < 1)
      return rewriter.notifyMatchFailure(conv, "weights not static");
    int64_t channels = wType.getDimSize(0);
    std::optional<std::vector<double>> w = floatConstantValues(conv.getW());
    if (!w)
      return rewriter.notifyMatchFailure(conv, "weights not a constant");
    std::vector<double> b(channels, 0.0);
    bool hasBias = !isa<NoneType>(conv.getB().getType());
    if (hasBias) {
      std::optional<std::vector<double>> given =
          floatConstantValues(conv.getB());
      if (!given || int64_t(given->size()) != channels)
        return rewriter.notifyMatchFailure(conv, "bias not a constant");
      b = std::move(*given);
    }
    FailureOr<ChannelAffine> affine = readBatchNorm(bn, channels, rewriter);
    if (failed(affine))
      return failure();

    int64_t perChannel = wType.getNumElements() / channels;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < perChannel; ++i)
        (*w)[c * perChannel + i] *= affine->mul[c];
      b[c] = b[c] * affine->mul[c] + affine->add[c];
    }
    bool resource = isa<DenseResourceElementsAttr>(constantAttr(conv.getW()));
    Location loc = conv.getLoc();
    rewriter.setInsertionPoint(conv);
    Value newW = createFloatConstant(rewriter, loc, wType, *w, resource);
    auto bType = RankedTensorType::get({channels}, wType.getElementType());
    Value newB = createFloatConstant(rewriter, loc, bType, b, resource);
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getWMutable().assign(newW);
      conv.getBMutable().assign(newB);
    });
    rewriter.replaceAllUsesWith(bn->getResult(0), conv.getY());
    rewriter.eraseOp(bn);
    ++folded;
    return success();
  }

  int64_t &folded;
};

/// Gemm -> BatchNormalization: the BatchNormalization's channels (dim 1 of
/// its 2-D input) are the Gemm's output columns, i.e. B's columns (rows
/// with transB). C becomes a per-column vector, so only a C that does not
/// vary along the rows (absent, scalar, [N], [1, N]) is accepted.
struct FoldIntoGemm : OpRewritePattern<GemmOp> {
  FoldIntoGemm(MLIRContext *ctx, int64_t &folded)
      : OpRewritePattern(ctx), folded(folded) {}

  LogicalResult matchAndRewrite(GemmOp gemm,
                                PatternRewriter &rewriter) const override {
    Operation *bn = soleBatchNormUser(gemm, rewriter);
    if (!bn)
      return rewriter.notifyMatchFailure(gemm, "no BatchNormalization user");
    auto yType = dyn_cast<RankedTensorType>(gemm.getY().getType());
    auto bType = dyn_cast<RankedTensorType>(gemm.getB().getType());
    if (!yType || !bType || !bType.hasStaticShape() || bType.getRank() != 2 ||
        !isa<FloatType>(bType.getElementType()))
      return rewriter.notifyMatchFailure(gemm, "B not a static float matrix");
    bool transB = gemm.getTransB() != 0;
    int64_t n = bType.getDimSize(transB ? 0 : 1);
    int64_t k = bType.getDimSize(transB ? 1 : 0);
    std::optional<std::vector<double>> b = floatConstantValues(gemm.getB());
    if (!b)
      return rewriter.notifyMatchFailure(gemm, "B not a constant");

    // beta * C as one value per column.
    std::vector<double> c(n, 0.0);
    double beta = gemm.getBeta().convertToDouble();
    if (!isa<NoneType>(gemm.getC().getType())) {
      auto cType = dyn_cast<RankedTensorType>(gemm.getC().getType());
      std::optional<std::vector<double>> given =
          floatConstantValues(gemm.getC());
      if (!cType || !given)
        return rewriter.notifyMatchFailure(gemm, "C not a constant");
      bool rowInvariant =
          cType.getRank() == 0 ||
          (cType.getRank() == 1 && (cType.getDimSize(0) == n ||
                                    cType.getDimSize(0) == 1)) ||
          (cType.getRank() == 2 && cType.getDimSize(0) == 1 &&
           (cType.getDimSize(1) == n || cType.getDimSize(1) == 1));
      if (!rowInvariant)
        return rewriter.notifyMatchFailure(gemm, "C varies along the rows");
      for (int64_t j = 0; j < n; ++j)
        c[j] = beta * (*given)[given->size() == 1 ? 0 : j];
    }
    FailureOr<ChannelAffine> affine = readBatchNorm(bn, n, rewriter);
    if (failed(affine))
      return failure();

    for (int64_t j = 0; j < n; ++j) {
      for (int64_t i = 0; i < k; ++i)
        (*b)[transB ? j * k + i : i * n + j] *= affine->mul[j];
      c[j] = c[j] * affine->mul[j] + affine->add[j];
    }
    bool resource = isa<DenseResourceElementsAttr>(constantAttr(gemm.getB()));
    Location loc = gemm.getLoc();
    rewriter.setInsertionPoint(gemm);
    Value newB = createFloatConstant(rewriter, loc, bType, *b, resource);
    auto cType = RankedTensorType::get({n}, bType.getElementType());
    Value newC = createFloatConstant(rewriter, loc, cType, c, resource);
    rewriter.modifyOpInPlace(gemm, [&] {
      gemm.getBMutable().assign(newB);
      gemm.getCMutable().assign(newC);
      gemm.setBetaAttr(rewriter.getF32FloatAttr(1.0f));
    });
    rewriter.replaceAllUsesWith(bn->getResult(0), gemm.getY());
    rewriter.eraseOp(bn);
    ++folded;
    return success();
  }

  int64_t &folded;
};

struct FoldBatchNormPass : impl::FoldBatchNormBase<FoldBatchNormPass> {
  using impl::FoldBatchNormBase<FoldBatchNormPass>::FoldBatchNormBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    int64_t folded = 0;
    RewritePatternSet patterns(ctx);
    patterns.add<FoldIntoConv, FoldIntoGemm>(ctx, folded);
    int64_t removed = applyGraphRewrites(getOperation(), std::move(patterns));
    if (report)
      getOperation().emitRemark()
          << "onnxc-fold-batchnorm: folded " << folded
          << " BatchNormalization ops, removed " << removed << " onnx ops";
  }
};

} // namespace
} // namespace onnxc
