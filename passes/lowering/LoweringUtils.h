//===- LoweringUtils.h - Shared helpers of the ONNX lowerings ---*- C++ -*-===//

#ifndef ONNXC_PASSES_LOWERING_LOWERINGUTILS_H
#define ONNXC_PASSES_LOWERING_LOWERINGUTILS_H

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>

namespace onnxc {

/// Unsigned integer tensors become signless ones (arith has no unsigned
/// types); everything else is unchanged. Ops that care about signedness
/// look at the type before conversion.
class OnnxTypeConverter : public mlir::TypeConverter {
public:
  OnnxTypeConverter();
};

/// A lowering registered by op name: several versioned ops (onnx.Foo,
/// onnx.Foo_v7) often share one lowering.
struct NamedOpConversion : mlir::ConversionPattern {
  NamedOpConversion(const mlir::TypeConverter &converter,
                    mlir::MLIRContext *context, llvm::StringRef name)
      : ConversionPattern(converter, name, /*benefit=*/1, context) {}
};

/// Registers the lowering patterns of each op family.
void populateElementwiseLoweringPatterns(OnnxTypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
void populateMatMulLoweringPatterns(OnnxTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateTensorLoweringPatterns(OnnxTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateConvLoweringPatterns(OnnxTypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
void populateIndexingLoweringPatterns(OnnxTypeConverter &converter,
                                      mlir::RewritePatternSet &patterns);
void populateArgReduceLoweringPatterns(OnnxTypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
void populateLossLoweringPatterns(OnnxTypeConverter &converter,
                                  mlir::RewritePatternSet &patterns);
void populateResizeLoweringPatterns(OnnxTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateNormalizationLoweringPatterns(OnnxTypeConverter &converter,
                                           mlir::RewritePatternSet &patterns);
void populateTfIdfLoweringPatterns(OnnxTypeConverter &converter,
                                   mlir::RewritePatternSet &patterns);
void populateControlFlowLoweringPatterns(OnnxTypeConverter &converter,
                                         mlir::RewritePatternSet &patterns);
void populateTrainingLoweringPatterns(OnnxTypeConverter &converter,
                                      mlir::RewritePatternSet &patterns);
void populateGridSampleLoweringPatterns(OnnxTypeConverter &converter,
                                        mlir::RewritePatternSet &patterns);
void populateEinsumLoweringPatterns(OnnxTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateSignalLoweringPatterns(OnnxTypeConverter &converter,
                                    mlir::RewritePatternSet &patterns);
void populateSelectionLoweringPatterns(OnnxTypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
void populateQuantizationLoweringPatterns(OnnxTypeConverter &converter,
                                          mlir::RewritePatternSet &patterns);
void populateRecurrentLoweringPatterns(OnnxTypeConverter &converter,
                                       mlir::RewritePatternSet &patterns);
void populateScatterLoweringPatterns(OnnxTypeConverter &converter,
                                     mlir::RewritePatternSet &patterns);

/// The element type before type conversion; unsigned ints stay unsigned.
mlir::Type originalElementType(mlir::Value value);
bool isUnsignedInt(mlir::Type elementType);

/// The converted result type of `op`'s result `index` as a ranked tensor,
/// or null (the pattern then fails) when the shape is unknown.
mlir::RankedTensorType
convertedResultType(const mlir::TypeConverter &converter, mlir::Operation *op,
                    unsigned index = 0);

/// True for the value of an absent optional input.
inline bool isNoValue(mlir::Value v) {
  return !v || mlir::isa<mlir::NoneType>(v.getType());
}

/// A tensor.empty of `type` whose dynamic dims are taken from `sources`
/// following multidirectional broadcasting: the first operand whose
/// (right-aligned) dim is not a static 1 gives the size.
mlir::Value createBroadcastEmpty(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::RankedTensorType type,
                                 mlir::ValueRange sources);

/// The indexing map reading `operand` (right-aligned, size-1 dims
/// broadcast) from an iteration space of rank `outRank`.
mlir::AffineMap broadcastIndexingMap(mlir::RankedTensorType operand,
                                     mlir::RankedTensorType result,
                                     mlir::MLIRContext *context);

/// Builds a linalg.generic over `resultType`, reading every input with
/// multidirectional broadcasting; `body` computes one element.
using ElementBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;
mlir::Value buildBroadcastElementwise(mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::RankedTensorType resultType,
                                      mlir::ValueRange inputs,
                                      ElementBody body);

/// softmax (or log-softmax, with `isLog`) of `x` along `axis`.
mlir::Value buildSoftmax(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         int64_t axis, bool isLog);

/// An integer or float attribute of `op`, or `deflt` where it is absent.
int64_t intAttrOr(mlir::Operation *op, llvm::StringRef name, int64_t deflt);
double floatAttrOr(mlir::Operation *op, llvm::StringRef name, double deflt);
/// A string attribute of `op`, or `deflt` where it is absent.
llvm::StringRef stringAttrOr(mlir::Operation *op, llvm::StringRef name,
                             llvm::StringRef deflt);

/// A scalar constant of `type` (float or integer).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// The integer values of a constant tensor operand (from onnx.Constant or
/// arith.constant, dense or dense_resource), or nullopt.
std::optional<llvm::SmallVector<int64_t>> constantIntValues(mlir::Value v);

/// The first element of a numeric constant, as a double.
std::optional<double> firstElementValue(mlir::ElementsAttr attr);

/// Normalizes a possibly negative axis against `rank`; nullopt if out of
/// range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The element of a one-element tensor (rank 0, or every dim 1), read at
/// index 0 of every dim.
mlir::Value extractScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value t);

/// An integer (or index) scalar as an index.
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);

/// `i < 0 ? i + n : i` on index values: a negative index (or axis) counted
/// from the end of a dim (or rank) `n`.
mlir::Value wrapNegative(mlir::OpBuilder &b, mlir::Location loc, mlir::Value i,
                         mlir::Value n);

/// A zero-filled (or `value`-filled) tensor of `type` with dynamic dims
/// from `dynamicSizes`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, double value,
                         mlir::ValueRange dynamicSizes = {});

/// dst[i...] = src[srcMap(i...)] for every index of `dst`: an all-parallel
/// linalg.generic that reads `src` through `srcMap` (a broadcast, a
/// gather of windows, a relayout) and yields the element.
mlir::Value buildMappedCopy(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value src, mlir::AffineMap srcMap,
                            mlir::Value dst);

/// For an axis known only at run time (`axisTensor`, a scalar or 1-element
/// integer tensor, possibly negative): builds `build(axis)` for every axis of
/// a rank-`rank` tensor in the cases of an scf.index_switch and returns the
/// one the run-time value picks. An axis out of range picks the last one
/// (ONNX calls that an invalid model; this keeps every read in bounds).
mlir::Value buildSwitchOnAxis(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value axisTensor,
    int64_t rank, mlir::Type resultType,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, int64_t)>
        build);

/// The loop structure of a numpy-style matmul of `a` and `b` into
/// `resultType` (MatMul, MatMulInteger, QLinearMatMul): the loops are the
/// result dims then k; batch dims broadcast; 1-D operands have no m (or n)
/// dim. `dynamicSizes` are the result's dynamic dims (batch dims from
/// whichever operand has them, M from A, N from B). Fails on inconsistent
/// ranks.
struct MatMulLayout {
  int64_t numLoops = 0, resultRank = 0;
  llvm::SmallVector<mlir::AffineExpr> aExprs, bExprs, outExprs;
  llvm::SmallVector<mlir::Value> dynamicSizes;
};
mlir::FailureOr<MatMulLayout> matMulLayout(mlir::OpBuilder &b,
                                           mlir::Location loc, mlir::Value a,
                                           mlir::Value bv,
                                           mlir::RankedTensorType resultType);

} // namespace onnxc

#endif // ONNXC_PASSES_LOWERING_LOWERINGUTILS_H
