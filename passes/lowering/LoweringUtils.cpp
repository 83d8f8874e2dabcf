//===- LoweringUtils.cpp - Shared helpers of the ONNX lowerings -----------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace onnxc {

OnnxTypeConverter::OnnxTypeConverter() {
  addConversion([](Type t) { return t; });
  addConversion([](IntegerType t) -> Type {
    if (t.isUnsigned())
      return IntegerType::get(t.getContext(), t.getWidth());
    return t;
  });
  addConversion([this](RankedTensorType t) -> Type {
    return t.clone(convertType(t.getElementType()));
  });
  addConversion([this](UnrankedTensorType t) -> Type {
    return UnrankedTensorType::get(convertType(t.getElementType()));
  });
  // Values whose types change meet unconverted uses through casts that
  // later folds remove.
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs)
        .getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

Type originalElementType(Value value) {
  // A converted value reaches patterns through an unrealized cast whose
  // operand still has the original type.
  if (auto cast = value.getDefiningOp<UnrealizedConversionCastOp>())
    if (cast->getNumOperands() == 1)
      value = cast->getOperand(0);
  return getElementTypeOrSelf(value.getType());
}

bool isUnsignedInt(Type elementType) {
  auto i = dyn_cast<IntegerType>(elementType);
  return i && i.isUnsigned();
}

RankedTensorType convertedResultType(const TypeConverter &converter,
                                     Operation *op, unsigned index) {
  return dyn_cast_or_null<RankedTensorType>(
      converter.convertType(op->getResult(index).getType()));
}

Value createBroadcastEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                           ValueRange sources) {
  SmallVector<Value> dynamicSizes;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!type.isDynamicDim(d))
      continue;
    Value size;
    for (Value src : sources) {
      auto srcType = cast<RankedTensorType>(src.getType());
      int64_t srcDim = d - (rank - srcType.getRank());
      if (srcDim < 0 || srcType.getDimSize(srcDim) == 1)
        continue;
      size = tensor::DimOp::create(b, loc, src, srcDim);
      break;
    }
    if (!size)
      size = arith::ConstantIndexOp::create(b, loc, 1);
    dynamicSizes.push_back(size);
  }
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), dynamicSizes);
}

AffineMap broadcastIndexingMap(RankedTensorType operand,
                               RankedTensorType result, MLIRContext *context) {
  int64_t outRank = result.getRank();
  int64_t rank = operand.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t outDim = outRank - rank + i;
    // A static size-1 dim against a larger one is broadcast.
    if (operand.getDimSize(i) == 1 && result.getDimSize(outDim) != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(outDim, context));
  }
  return AffineMap::get(outRank, 0, exprs, context);
}

Value buildBroadcastElementwise(OpBuilder &b, Location loc,
                                RankedTensorType resultType, ValueRange inputs,
                                ElementBody body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastIndexingMap(cast<RankedTensorType>(in.getType()),
                                        resultType, context));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  Value init = createBroadcastEmpty(b, loc, resultType, inputs);
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  return generic.getResult(0);
}

int64_t intAttrOr(Operation *op, StringRef name, int64_t deflt) {
  if (auto a = op->getAttrOfType<IntegerAttr>(name))
    return a.getInt();
  return deflt;
}

double floatAttrOr(Operation *op, StringRef name, double deflt) {
  if (auto a = op->getAttrOfType<FloatAttr>(name))
    return a.getValueAsDouble();
  return deflt;
}

StringRef stringAttrOr(Operation *op, StringRef name, StringRef deflt) {
  if (auto a = op->getAttrOfType<StringAttr>(name))
    return a.getValue();
  return deflt;
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  if (isa<IndexType>(type))
    return arith::ConstantIndexOp::create(b, loc, int64_t(value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, APInt(type.getIntOrFloatBitWidth(),
                                           int64_t(value), /*isSigned=*/true)));
}

std::optional<SmallVector<int64_t>> constantIntValues(Value v) {
  if (auto cast = v.getDefiningOp<UnrealizedConversionCastOp>())
    if (cast->getNumOperands() == 1)
      v = cast->getOperand(0);
  Attribute attr;
  if (auto c = v.getDefiningOp<arith::ConstantOp>()) {
    attr = c.getValue();
  } else if (Operation *def = v.getDefiningOp()) {
    // onnx.Constant in every version (Constant_v1, Constant_v11, ...).
    StringRef name = def->getName().getStringRef();
    if (name == "onnx.Constant" || name.starts_with("onnx.Constant_v"))
      attr = def->getAttr("value");
  }
  if (!attr)
    return std::nullopt;
  SmallVector<int64_t> out;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &i : dense.getValues<APInt>())
      out.push_back(i.getSExtValue());
    return out;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    auto type = res.getType();
    auto blob = res.getRawHandle().getBlob();
    auto intType = dyn_cast<IntegerType>(type.getElementType());
    if (!blob || !intType)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    unsigned bytes = intType.getWidth() / 8;
    if (bytes == 0 || data.size() != size_t(type.getNumElements()) * bytes)
      return std::nullopt;
    for (int64_t i = 0; i < type.getNumElements(); ++i) {
      int64_t value = 0;
      switch (bytes) {
      case 1: value = int8_t(data[i]); break;
      case 2: value = reinterpret_cast<const int16_t *>(data.data())[i]; break;
      case 4: value = reinterpret_cast<const int32_t *>(data.data())[i]; break;
      case 8: value = reinterpret_cast<const int64_t *>(data.data())[i]; break;
      default: return std::nullopt;
      }
      out.push_back(value);
    }
    return out;
  }
  return std::nullopt;
}

std::optional<double> firstElementValue(ElementsAttr attr) {
  if (attr.empty())
    return std::nullopt;
  Type elem = attr.getElementType();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (isa<FloatType>(elem))
      return (*dense.getValues<APFloat>().begin()).convertToDouble();
    if (auto i = dyn_cast<IntegerType>(elem))
      return i.isUnsigned() || i.getWidth() == 1
                 ? double((*dense.getValues<APInt>().begin()).getZExtValue())
                 : double((*dense.getValues<APInt>().begin()).getSExtValue());
    return std::nullopt;
  }
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  auto blob = res ? res.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  const char *p = blob->getData().data();
  size_t bytes = blob->getData().size();
  auto read = [&](auto tag) -> std::optional<double> {
    using T = decltype(tag);
    if (bytes < sizeof(T))
      return std::nullopt;
    T v;
    std::memcpy(&v, p, sizeof(T));
    return double(v);
  };
  if (elem.isF32()) return read(float());
  if (elem.isF64()) return read(double());
  if (elem.isInteger(1) || elem.isUnsignedInteger(8)) return read(uint8_t());
  if (elem.isSignlessInteger(8)) return read(int8_t());
  if (elem.isSignlessInteger(16)) return read(int16_t());
  if (elem.isSignlessInteger(32)) return read(int32_t());
  if (elem.isSignlessInteger(64)) return read(int64_t());
  if (elem.isUnsignedInteger(32)) return read(uint32_t());
  return std::nullopt;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Value extractScalar(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return tensor::ExtractOp::create(b, loc, t,
                                   SmallVector<Value>(type.getRank(), zero));
}

Value toIndex(OpBuilder &b, Location loc, Value v) {
  if (isa<IndexType>(v.getType()))
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value wrapNegative(OpBuilder &b, Location loc, Value i, Value n) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  return arith::SelectOp::create(b, loc, negative,
                                 arith::AddIOp::create(b, loc, i, n), i);
}

Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   double value, ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType(), dynamicSizes);
  Value scalar = scalarConstant(b, loc, type.getElementType(), value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value buildMappedCopy(OpBuilder &b, Location loc, Value src, AffineMap srcMap,
                      Value dst) {
  int64_t rank = cast<RankedTensorType>(dst.getType()).getRank();
  return linalg::GenericOp::create(
             b, loc, dst.getType(), src, dst,
             ArrayRef<AffineMap>{srcMap, b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

Value buildSwitchOnAxis(
    OpBuilder &b, Location loc, Value axisTensor, int64_t rank,
    Type resultType,
    llvm::function_ref<Value(OpBuilder &, Location, int64_t)> build) {
  Value raw = extractScalar(b, loc, axisTensor);
  Value axis = wrapNegative(b, loc, toIndex(b, loc, raw),
                            arith::ConstantIndexOp::create(b, loc, rank));
  SmallVector<int64_t> cases;
  for (int64_t a = 0; a + 1 < rank; ++a)
    cases.push_back(a);
  auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{resultType}, axis,
                                       cases, cases.size());
  OpBuilder::InsertionGuard guard(b);
  auto fill = [&](Region &region, int64_t a) {
    Block *block = b.createBlock(&region);
    b.setInsertionPointToStart(block);
    scf::YieldOp::create(b, loc, build(b, loc, a));
  };
  for (int64_t a = 0; a + 1 < rank; ++a)
    fill(sw.getCaseRegions()[a], a);
  fill(sw.getDefaultRegion(), rank - 1);
  return sw.getResult(0);
}

} // namespace onnxc
