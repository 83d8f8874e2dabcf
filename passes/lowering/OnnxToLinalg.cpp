//===- OnnxToLinalg.cpp - The convert-onnx-to-linalg pass -----------------===//
//
// Drives the family patterns (Elementwise.cpp, MatMul.cpp, Tensor.cpp,
// Normalization.cpp) with a dialect conversion. Every onnx op is illegal
// afterwards; one that no pattern handles is reported at its location,
// which carries the ONNX node name.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/lowering/ExtensionOps.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_CONVERTONNXTOLINALG
#include "passes/Passes.h.inc"

namespace {

/// Constants up to this many elements become plain dense attributes, which
/// upstream folders understand; larger ones stay resource blobs.
constexpr int64_t kMaxDenseConstantElements = 1024;

/// A small resource blob as a DenseElementsAttr of `type`, or null.
DenseElementsAttr smallConstantAsDense(DenseResourceElementsAttr res,
                                       RankedTensorType type) {
  AsmResourceBlob *blob = res.getRawHandle().getBlob();
  if (!blob || type.getNumElements() > kMaxDenseConstantElements)
    return {};
  ArrayRef<char> data = blob->getData();
  if (type.getElementType().isInteger(1)) {
    // ONNX stores a byte per bool; dense attributes pack bits.
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    if (int64_t(bits.size()) != type.getNumElements())
      return {};
    return DenseElementsAttr::get(type, bits);
  }
  bool splat = false; // a one-element buffer counts as a splat: fine
  if (!DenseElementsAttr::isValidRawBuffer(type, data, splat))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

/// onnx.Constant (every version with a `value`) -> arith.constant, keeping
/// dense_resource blobs as they are (re-typed when unsigned ints become
/// signless).
struct ConstantLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value>,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = op->getAttrOfType<ElementsAttr>("value");
    auto type = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op->getResult(0).getType()));
    if (!value || !type)
      return rewriter.notifyMatchFailure(op, "only the tensor form");
    TypedAttr attr;
    if (auto res = dyn_cast<DenseResourceElementsAttr>(value))
      attr = smallConstantAsDense(res, type);
    if (auto res = dyn_cast<DenseResourceElementsAttr>(value); res && !attr)
      attr = DenseResourceElementsAttr::get(type, res.getRawHandle());
    else if (auto dense = dyn_cast<DenseElementsAttr>(value))
      attr = dense.getType() == type ? dense : dense.bitcast(type.getElementType());
    if (!attr || isa<StringType>(type.getElementType()))
      return rewriter.notifyMatchFailure(op, "unsupported constant");
    rewriter.replaceOp(op, arith::ConstantOp::create(rewriter, op->getLoc(),
                                                     type, attr));
    return success();
  }
};

struct ConvertOnnxToLinalgPass
    : impl::ConvertOnnxToLinalgBase<ConvertOnnxToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    OnnxTypeConverter converter;

    ConversionTarget target(*context);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           scf::SCFDialect,
                           bufferization::BufferizationDialect>();
    target.addIllegalDialect<OnnxDialect>();
    // NoValue has no lowering of its own: its users drop it.
    target.addLegalOp<NoValueOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return converter.isSignatureLegal(f.getFunctionType()) &&
             converter.isLegal(&f.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [&](func::ReturnOp r) { return converter.isLegal(r); });

    RewritePatternSet patterns(context);
    for (StringRef name : {"onnx.Constant", "onnx.Constant_v11",
                           "onnx.Constant_v1"})
      patterns.add<ConstantLowering>(converter, context, name);
    populateElementwiseLoweringPatterns(converter, patterns);
    populateMatMulLoweringPatterns(converter, patterns);
    populateTensorLoweringPatterns(converter, patterns);
    populateNormalizationLoweringPatterns(converter, patterns);
    populateConvLoweringPatterns(converter, patterns);
    populateIndexingLoweringPatterns(converter, patterns);
    populateArgReduceLoweringPatterns(converter, patterns);
    populateLossLoweringPatterns(converter, patterns);
    populateResizeLoweringPatterns(converter, patterns);
    populateTfIdfLoweringPatterns(converter, patterns);
    populateControlFlowLoweringPatterns(converter, patterns);
    populateTrainingLoweringPatterns(converter, patterns);
    populateGridSampleLoweringPatterns(converter, patterns);
    populateEinsumLoweringPatterns(converter, patterns);
    populateSignalLoweringPatterns(converter, patterns);
    populateSelectionLoweringPatterns(converter, patterns);
    populateQuantizationLoweringPatterns(converter, patterns);
    populateRecurrentLoweringPatterns(converter, patterns);
    populateScatterLoweringPatterns(converter, patterns);
    populateExtensionOpsLoweringPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    // An op no pattern lowers fails the conversion with an error at its
    // location ("failed to legalize operation 'onnx.X'").
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns)))) {
      signalPassFailure();
      return;
    }
    // Absent optional inputs are dead once their users are lowered.
    getOperation()->walk([](NoValueOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};

} // namespace
} // namespace onnxc
