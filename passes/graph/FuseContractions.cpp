//===- FuseContractions.cpp - Contraction + bias + activation as one op --===//
//
// A Conv, Gemm or MatMul followed by the bias add (MatMul) or residual add
// (Conv) and the activation becomes one onnx.onnxc.FusedConv, FusedGemm or
// FusedMatMul (dialects/onnx/OnnxExtensionOps.td):
//
//   Relu | LeakyRelu | Clip | Sigmoid | HardSigmoid | HardSwish | Tanh |
//   onnx.onnxc.Gelu  of  Conv | Gemm | MatMul          -> activation fused
//   Add(Conv, Z), Z of the Conv's type                 -> residual fused
//   Add(MatMul, Bias), the sum of the product's type   -> bias fused
//
// Each fused op lowers to the contraction followed by one elementwise
// linalg.generic (passes/lowering/ExtensionOps.cpp), whatever number of
// elementwise ops the graph had: the shape epilogue fusion into the
// contraction kernels works on, and the graph says in one op what the
// kernel must compute.
//
// A contraction whose result has another user is left alone: that user
// needs the value before the epilogue, and fusing would compute the
// contraction twice. Only f32 and f64 are fused (the activation parameters
// are f32 attributes).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_FUSECONTRACTIONS
#include "passes/Passes.h.inc"

namespace {

/// An activation as the fused ops spell it.
struct Activation {
  std::string name;
  SmallVector<double> params;
};

/// The activation `op` computes from its first operand, or nullopt.
std::optional<Activation> activationOf(Operation *op) {
  auto f32 = [](const APFloat &v) { return v.convertToDouble(); };
  if (isa<ReluOp>(op))
    return Activation{"Relu", {}};
  if (auto leaky = dyn_cast<LeakyReluOp>(op))
    return Activation{"LeakyRelu", {f32(leaky.getAlpha())}};
  if (isa<SigmoidOp>(op))
    return Activation{"Sigmoid", {}};
  if (auto hard = dyn_cast<HardSigmoidOp>(op))
    return Activation{"HardSigmoid", {f32(hard.getAlpha()), f32(hard.getBeta())}};
  if (isa<HardSwishOp>(op))
    return Activation{"HardSwish", {}};
  if (isa<TanhOp>(op))
    return Activation{"Tanh", {}};
  if (auto gelu = dyn_cast<ExtGeluOp>(op))
    return Activation{gelu.getApproximate() == "tanh" ? "GeluTanh" : "Gelu", {}};
  if (auto clip = dyn_cast<ClipOp>(op)) {
    // Constant bounds only, each exact in f32 (the attribute's type);
    // an absent bound is unbounded.
    double inf = std::numeric_limits<double>::infinity();
    SmallVector<double> bounds;
    for (auto [value, deflt] :
         {std::pair{clip.getMin(), -inf}, std::pair{clip.getMax(), inf}}) {
      if (isa<NoneType>(value.getType())) {
        bounds.push_back(deflt);
        continue;
      }
      std::optional<double> c = scalarConstantValue(value);
      if (!c || double(float(*c)) != *c)
        return std::nullopt;
      bounds.push_back(*c);
    }
    return Activation{"Clip", bounds};
  }
  return std::nullopt;
}

bool isFusableType(Type t) {
  auto ranked = dyn_cast<RankedTensorType>(t);
  return ranked && (ranked.getElementType().isF32() ||
                    ranked.getElementType().isF64());
}

/// Copies every attribute of `from` onto `to` (the fused op takes the
/// contraction's attributes under the same names).
void copyAttrs(Operation *from, Operation *to) {
  for (NamedAttribute a : from->getAttrs())
    to->setAttr(a.getName(), a.getValue());
}

void setActivation(Operation *op, OpBuilder &b, const Activation &act) {
  SmallVector<float> params(act.params.begin(), act.params.end());
  op->setAttr("activation", b.getStringAttr(act.name));
  op->setAttr("activation_params", b.getF32ArrayAttr(params));
}

/// True if `op` is a fused op with no activation yet.
bool hasNoActivation(Operation *op) {
  auto name = op->getAttrOfType<StringAttr>("activation");
  return !name || name.getValue().empty();
}

/// activation(contraction) -> fused contraction with that activation.
struct FuseActivation : RewritePattern {
  FuseActivation(MLIRContext *ctx, int64_t &count)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx), count(count) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() < 1 || op->getNumResults() != 1)
      return failure();
    std::optional<Activation> act = activationOf(op);
    if (!act)
      return failure();
    Value in = op->getOperand(0);
    Operation *producer = in.getDefiningOp();
    if (!producer || !in.hasOneUse())
      return rewriter.notifyMatchFailure(op, "input has other users");
    if (!isFusableType(in.getType()) || op->getResult(0).getType() != in.getType())
      return rewriter.notifyMatchFailure(op, "not f32/f64 of the input's type");
    if (!isa<ConvOp, GemmOp, MatMulOp>(producer) &&
        !(isa<ExtFusedConvOp, ExtFusedMatMulOp>(producer) &&
          hasNoActivation(producer)))
      return rewriter.notifyMatchFailure(op, "input is no contraction");
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    Operation *fused = nullptr;
    if (isa<ExtFusedConvOp, ExtFusedMatMulOp>(producer)) {
      fused = rewriter.clone(*producer);
    } else if (isa<GemmOp>(producer)) {
      fused = ExtFusedGemmOp::create(rewriter, loc, TypeRange{in.getType()},
                                     producer->getOperands());
    } else {
      // Conv and MatMul take one more operand (the residual, the bias).
      SmallVector<Value> operands(producer->getOperands());
      operands.push_back(
          NoValueOp::create(rewriter, loc, rewriter.getNoneType()));
      if (isa<ConvOp>(producer))
        fused = ExtFusedConvOp::create(rewriter, loc, TypeRange{in.getType()},
                                       operands);
      else
        fused = ExtFusedMatMulOp::create(rewriter, loc,
                                         TypeRange{in.getType()}, operands);
    }
    copyAttrs(producer, fused);
    setActivation(fused, rewriter, *act);
    rewriter.replaceOp(op, fused->getResults());
    ++count;
    return success();
  }

  int64_t &count;
};

/// Add(Conv, Z) -> FusedConv with residual Z; Add(MatMul, Bias) ->
/// FusedMatMul with that bias. The sum must have the contraction's type:
/// an add that broadcasts the product to a larger shape is no epilogue.
struct FuseAdd : CountingPattern<AddOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    Type type = add.getC().getType();
    if (!isFusableType(type))
      return rewriter.notifyMatchFailure(add, "not f32/f64");
    for (int i = 0; i < 2; ++i) {
      Value product = add->getOperand(i), other = add->getOperand(1 - i);
      Operation *producer = product.getDefiningOp();
      if (!producer || !product.hasOneUse() || product.getType() != type ||
          product == other)
        continue;
      bool isConv = isa<ConvOp>(producer);
      // The residual of a Conv is added elementwise, without broadcasting.
      if (!(isConv && other.getType() == type) && !isa<MatMulOp>(producer))
        continue;
      rewriter.setInsertionPoint(add);
      SmallVector<Value> operands(producer->getOperands());
      operands.push_back(other);
      Operation *fused =
          isConv ? ExtFusedConvOp::create(rewriter, add.getLoc(),
                                          TypeRange{type}, operands)
                       .getOperation()
                 : ExtFusedMatMulOp::create(rewriter, add.getLoc(),
                                            TypeRange{type}, operands)
                       .getOperation();
      copyAttrs(producer, fused);
      rewriter.replaceOp(add, fused->getResults());
      ++count;
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no single-use Conv or MatMul");
  }
};

struct FuseContractionsPass
    : impl::FuseContractionsBase<FuseContractionsPass> {
  using impl::FuseContractionsBase<FuseContractionsPass>::FuseContractionsBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    int64_t activations = 0, adds = 0;
    RewritePatternSet patterns(ctx);
    patterns.add<FuseActivation>(ctx, activations);
    patterns.add<FuseAdd>(ctx, adds);
    int64_t removed = applyGraphRewrites(getOperation(), std::move(patterns));
    if (report) {
      int64_t fused = 0;
      getOperation()->walk([&](Operation *op) {
        fused += isa<ExtFusedConvOp, ExtFusedGemmOp, ExtFusedMatMulOp>(op);
      });
      getOperation().emitRemark()
          << "onnxc-fuse-contractions: " << activations
          << " activations and " << adds << " bias/residual adds fused; "
          << fused << " fused contractions; removed " << removed
          << " onnx ops";
    }
  }
};

} // namespace
} // namespace onnxc
