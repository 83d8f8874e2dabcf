//===- ControlFlow.cpp - If, Loop and Scan to scf ----------------------===//
//
// ONNX's control-flow ops carry their bodies as regions; they become
// scf.if / scf.while / scf.for with the body's ops moved in; those onnx
// ops are then converted like any other (and reported at their own
// location when they cannot be). Values a body captures from the outer
// scope are used directly.
//
// Types. ONNX's shape inference clears the shapes of loop-carried values
// (they may change between iterations), so Loop bodies often come with
// unranked block arguments and results. The body's arguments get the types
// of the values fed to them, and the results of shape-preserving and
// broadcasting ops (and nested Ifs) are refined from their operands. A
// loop-carried value must keep one static shape across iterations (checked
// on the refined body); anything else is refused.
//
// Bufferization. One-shot bufferization (as the CPU pipeline runs it,
// without allow-return-allocs-from-loops) wants every loop-carried tensor
// that a loop yields to be equivalent to its iter bbArg. So each carried
// value's new contents are linalg.copy'd into its iter arg, and scan outputs
// go with tensor.insert_slice into preallocated iter args, both of which
// bufferize in place. The rows of scan outputs are inserted before the
// carried values are overwritten (a row may be the old carried value), and
// where several carried values change, all are copied out to fresh tensors
// before any is copied in (a new value may be another slot's old one). The
// scf.while keeps its tensors before its scalars, since one-shot
// bufferization pairs the condition's forwarded values with the before
// block's arguments by position.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "llvm/ADT/StringSet.h"

#include <limits>

using namespace mlir;

namespace onnxc {
namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

/// A Loop whose scan outputs have no static length runs at most this many
/// times when its trip count is a constant (the rows are preallocated).
constexpr int64_t kMaxConstantTripRows = int64_t(1) << 20;

//===----------------------------------------------------------------------===//
// Refining the types inside bodies
//===----------------------------------------------------------------------===//

/// `op`'s ONNX op type: its name without "onnx." and any "_vN" suffix.
StringRef onnxOpType(Operation *op) {
  StringRef name = op->getName().getStringRef();
  name.consume_front("onnx.");
  size_t pos = name.rfind("_v");
  if (pos != StringRef::npos && pos + 2 < name.size() &&
      llvm::all_of(name.drop_front(pos + 2),
                   [](char c) { return c >= '0' && c <= '9'; }))
    name = name.take_front(pos);
  return name;
}

/// Ops whose result has the shape of their first operand.
const llvm::StringSet<> &sameShapeOps() {
  static const llvm::StringSet<> ops = {
      "Identity",  "Neg",         "Abs",      "Relu",       "Sigmoid",
      "Tanh",      "Exp",         "Log",      "Sqrt",       "Reciprocal",
      "Floor",     "Ceil",        "Round",    "Cast",       "CastLike",
      "Not",       "Sign",        "Erf",      "Sin",        "Cos",
      "Tan",       "Asin",        "Acos",     "Atan",       "Sinh",
      "Cosh",      "Asinh",       "Acosh",    "Atanh",      "Softplus",
      "Softsign",  "LeakyRelu",   "Elu",      "Selu",       "Celu",
      "HardSigmoid", "HardSwish", "Mish",     "Gelu",       "IsNaN",
      "IsInf",     "BitwiseNot",  "Clip",     "Softmax",    "LogSoftmax",
      "Hardmax",   "ThresholdedRelu", "Shrink"};
  return ops;
}

/// Ops whose result has the multidirectional broadcast of their operands'
/// shapes.
const llvm::StringSet<> &broadcastOps() {
  static const llvm::StringSet<> ops = {
      "Add",   "Sub",   "Mul",   "Div",       "Pow",         "Mod",
      "And",   "Or",    "Xor",   "Equal",     "Less",        "LessOrEqual",
      "Greater", "GreaterOrEqual", "Max", "Min", "Sum",       "Mean",
      "Where", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "PRelu"};
  return ops;
}

/// The multidirectional broadcast of `shapes`, or nullopt where two static
/// sizes other than 1 clash.
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> out(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t size = 1;
    bool dynamic = false;
    for (ArrayRef<int64_t> s : shapes) {
      int64_t i = int64_t(d) - int64_t(rank - s.size());
      if (i < 0)
        continue;
      if (s[i] == kDynamic)
        dynamic = true;
      else if (s[i] != 1) {
        if (size != 1 && size != s[i])
          return std::nullopt;
        size = s[i];
      }
    }
    // A run-time size against static 1s may be anything; against a static
    // size other than 1 it must be that size.
    out[d] = size != 1 ? size : (dynamic ? kDynamic : 1);
  }
  return out;
}

/// The shape of `op`'s single result as far as its operands tell, or
/// nullopt for ops this file does not know.
std::optional<SmallVector<int64_t>>
inferShape(Operation *op, llvm::function_ref<Type(Value)> typeOf) {
  auto shapeOf = [&](Value v) -> std::optional<ArrayRef<int64_t>> {
    if (auto t = dyn_cast<RankedTensorType>(typeOf(v)))
      return t.getShape();
    return std::nullopt;
  };
  StringRef type = onnxOpType(op);
  if (op->getNumOperands() == 0)
    return std::nullopt;
  if (sameShapeOps().contains(type)) {
    if (auto s = shapeOf(op->getOperand(0)))
      return SmallVector<int64_t>(*s);
    return std::nullopt;
  }
  if (broadcastOps().contains(type)) {
    SmallVector<ArrayRef<int64_t>> shapes;
    for (Value v : op->getOperands()) {
      if (isNoValue(v))
        continue;
      auto s = shapeOf(v);
      if (!s)
        return std::nullopt;
      shapes.push_back(*s);
    }
    return broadcastShapes(shapes);
  }
  if (type == "Slice") {
    // The rank is kept; dims no axis slices keep their size.
    auto data = shapeOf(op->getOperand(0));
    if (!data)
      return std::nullopt;
    int64_t rank = data->size();
    std::optional<SmallVector<int64_t>> axes;
    if (op->getNumOperands() == 1) { // Slice-1: attributes
      if (auto a = op->getAttrOfType<ArrayAttr>("axes")) {
        axes.emplace();
        for (Attribute x : a)
          axes->push_back(cast<IntegerAttr>(x).getInt());
      } else if (auto s = op->getAttrOfType<ArrayAttr>("starts")) {
        axes.emplace();
        for (int64_t i = 0; i < int64_t(s.size()); ++i)
          axes->push_back(i);
      }
    } else if (op->getNumOperands() > 3 && !isNoValue(op->getOperand(3))) {
      axes = constantIntValues(op->getOperand(3));
    } else if (auto starts = dyn_cast<RankedTensorType>(
                   typeOf(op->getOperand(1)));
               starts && starts.getRank() == 1 && starts.hasStaticShape()) {
      axes.emplace();
      for (int64_t i = 0; i < starts.getDimSize(0); ++i)
        axes->push_back(i);
    }
    SmallVector<int64_t> shape(*data);
    if (!axes)
      return SmallVector<int64_t>(rank, kDynamic);
    for (int64_t a : *axes) {
      auto axis = normalizeAxis(a, rank);
      if (!axis)
        return std::nullopt;
      shape[*axis] = kDynamic;
    }
    return shape;
  }
  return std::nullopt;
}

/// `declared` with its unknown dims (or its unknown rank) taken from
/// `shape`.
Type refineType(Type declared, ArrayRef<int64_t> shape) {
  if (auto u = dyn_cast<UnrankedTensorType>(declared))
    return RankedTensorType::get(shape, u.getElementType());
  auto r = dyn_cast<RankedTensorType>(declared);
  if (!r || r.getRank() != int64_t(shape.size()))
    return declared;
  SmallVector<int64_t> dims(r.getShape());
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] == kDynamic)
      dims[d] = shape[d];
  return r.clone(dims);
}

/// The type a body argument declared as `declared` gets when fed values of
/// type `given`: the more static of the two, or null where they disagree.
RankedTensorType mergeArgType(Type declared, RankedTensorType given) {
  if (getElementTypeOrSelf(declared) != given.getElementType())
    return {};
  if (isa<UnrankedTensorType>(declared))
    return given;
  auto r = dyn_cast<RankedTensorType>(declared);
  if (!r || failed(verifyCompatibleShape(r, given)))
    return {};
  SmallVector<int64_t> dims(given.getShape());
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] == kDynamic)
      dims[d] = r.getDimSize(d);
  return given.clone(dims);
}

/// The refined types of a body's values; values not in the map keep their
/// own type.
struct BodyTypes {
  DenseMap<Value, Type> types;
  const BodyTypes *parent = nullptr; // of the enclosing body, if any
  Type of(Value v) const {
    auto it = types.find(v);
    if (it != types.end())
      return it->second;
    return parent ? parent->of(v) : v.getType();
  }
  RankedTensorType ranked(Value v) const {
    return dyn_cast<RankedTensorType>(of(v));
  }
};

BodyTypes refineBodyTypes(Block &body, TypeRange argTypes,
                          const BodyTypes *parent = nullptr);

/// The result types of a nested If: where ONNX left one open, the
/// branches' common shape.
void refineNestedIf(Operation &op, BodyTypes &types) {
  Block &elseBlock = op.getRegion(0).front();
  Block &thenBlock = op.getRegion(1).front();
  BodyTypes elseTypes = refineBodyTypes(elseBlock, {}, &types);
  BodyTypes thenTypes = refineBodyTypes(thenBlock, {}, &types);
  for (OpResult r : op.getResults()) {
    unsigned i = r.getResultNumber();
    auto thenType = thenTypes.ranked(thenBlock.getTerminator()->getOperand(i));
    auto elseType = elseTypes.ranked(elseBlock.getTerminator()->getOperand(i));
    if (!thenType || !elseType || !isa<TensorType>(r.getType()) ||
        thenType.getRank() != elseType.getRank())
      continue;
    SmallVector<int64_t> shape;
    for (auto [x, y] : llvm::zip(thenType.getShape(), elseType.getShape()))
      shape.push_back(x == y ? x : kDynamic);
    types.types[r] = refineType(r.getType(), shape);
  }
}

/// Gives `body`'s arguments `argTypes` and refines the results ONNX left
/// without a static shape; values of enclosing bodies take their types
/// from `parent`.
BodyTypes refineBodyTypes(Block &body, TypeRange argTypes,
                          const BodyTypes *parent) {
  BodyTypes types;
  types.parent = parent;
  for (auto [arg, type] : llvm::zip(body.getArguments(), argTypes))
    types.types[arg] = type;
  for (Operation &op : body.without_terminator()) {
    if (onnxOpType(&op) == "If" && op.getNumRegions() == 2) {
      refineNestedIf(op, types);
      continue;
    }
    if (op.getNumResults() != 1)
      continue;
    Type declared = op.getResult(0).getType();
    auto ranked = dyn_cast<RankedTensorType>(declared);
    if (!isa<TensorType>(declared) || (ranked && ranked.hasStaticShape()))
      continue;
    if (auto shape =
            inferShape(&op, [&](Value v) { return types.of(v); }))
      types.types[op.getResult(0)] = refineType(declared, *shape);
  }
  return types;
}

/// A body moved into a new region: what its onnx.Yield yielded, and its
/// (now detached) arguments, which the conversion replaces.
struct MovedBody {
  SmallVector<Value> yields;
  SmallVector<Value> args;
};

/// Moves `body`'s ops but its onnx.Yield to the end of `dest`, giving its
/// values their refined types; its arguments are replaced by `legalArgs`
/// (values of the converted types). The ops stay the same ops, so the
/// conversion lowers them (and reports the ones it cannot) as any other.
/// An argument whose refined type differs from its legal one (unsigned
/// elements) is replaced through the conversion, which casts, so that the
/// ops still see the original element type. The body is erased with its
/// op, so retyping its values in place is safe.
MovedBody moveBody(ConversionPatternRewriter &rewriter, Block &body,
                   Block *dest, ValueRange legalArgs,
                   const BodyTypes &types) {
  for (BlockArgument arg : body.getArguments())
    arg.setType(types.of(arg));
  for (Operation &op : body.without_terminator())
    for (OpResult r : op.getResults())
      r.setType(types.of(r));
  Operation *yield = body.getTerminator();
  MovedBody moved{SmallVector<Value>(yield->getOperands()),
                  SmallVector<Value>(body.getArguments())};
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, dest, dest->end(), legalArgs);
  return moved;
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

/// True for a ranked tensor that holds one element (or may, at run time).
bool isSingleElement(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && llvm::all_of(t.getShape(), [](int64_t d) {
           return d == 1 || d == kDynamic;
         });
}

/// A copy of `v` in a fresh tensor, so that loops never write into the
/// buffers of their inputs.
Value freshCopy(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, v, d));
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(),
                                        type.getElementType(), dynamicSizes);
  return linalg::CopyOp::create(b, loc, v, empty)->getResult(0);
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d).getResult();
}

/// The offsets, sizes and strides of the slice of `v` at `index` along
/// `axis` and at `batch` along dim 0 (each where given): the whole of every
/// other dim.
struct SliceBounds {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
SliceBounds sliceBounds(OpBuilder &b, Location loc, Value v, int64_t axis,
                        Value index, Value batch) {
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
      strides(rank, b.getIndexAttr(1)), sizes;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(dimOf(b, loc, v, d));
  if (index) {
    offsets[axis] = index;
    sizes[axis] = b.getIndexAttr(1);
  }
  if (batch) {
    offsets[0] = batch;
    sizes[0] = b.getIndexAttr(1);
  }
  return {offsets, sizes, strides};
}

/// The slice of `src` at `index` along `axis` (and at `batch` along dim 0
/// where given), without those dims.
Value sliceAt(OpBuilder &b, Location loc, Value src, RankedTensorType type,
              int64_t axis, Value index, Value batch) {
  auto srcType = cast<RankedTensorType>(src.getType());
  int64_t rank = srcType.getRank();
  auto [offsets, sizes, strides] = sliceBounds(b, loc, src, axis, index, batch);
  // The slice's own type (run-time sizes stay unknown), cast to `type`.
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if ((index && d == axis) || (batch && d == 0))
      continue;
    std::optional<int64_t> size = getConstantIntValue(sizes[d]);
    shape.push_back(size ? *size : kDynamic);
  }
  auto sliceType = type.clone(shape);
  Value v = tensor::ExtractSliceOp::create(b, loc, sliceType, src, offsets,
                                           sizes, strides);
  if (sliceType != type)
    v = tensor::CastOp::create(b, loc, type, v);
  return v;
}

/// Inserts `row` into `dest` at `index` along `axis` (and at `batch` along
/// dim 0 where given); `row` has `dest`'s shape without those dims.
Value insertAt(OpBuilder &b, Location loc, Value row, Value dest,
               int64_t axis, Value index, Value batch) {
  auto [offsets, sizes, strides] =
      sliceBounds(b, loc, dest, axis, index, batch);
  return tensor::InsertSliceOp::create(b, loc, row, dest, offsets, sizes,
                                       strides);
}

/// `shape` without dim `drop`.
SmallVector<int64_t> dropDim(ArrayRef<int64_t> shape, int64_t drop) {
  SmallVector<int64_t> out(shape);
  out.erase(out.begin() + drop);
  return out;
}

/// The shape of both where they agree, unknown where they do not; nullopt
/// for different ranks.
std::optional<SmallVector<int64_t>> joinShapes(ArrayRef<int64_t> a,
                                               ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return std::nullopt;
  SmallVector<int64_t> out;
  for (auto [x, y] : llvm::zip(a, b))
    out.push_back(x == y ? x : kDynamic);
  return out;
}

/// The more static of two compatible shapes, or nullopt.
std::optional<SmallVector<int64_t>> meetShapes(ArrayRef<int64_t> a,
                                               ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return std::nullopt;
  SmallVector<int64_t> out;
  for (auto [x, y] : llvm::zip(a, b)) {
    if (x != kDynamic && y != kDynamic && x != y)
      return std::nullopt;
    out.push_back(x == kDynamic ? y : x);
  }
  return out;
}

/// Shared by the three lowerings: moving values between the converted
/// (legal) types and the original ones the moved body ops still have, and
/// updating loop-carried tensors in place.
struct ControlFlowLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  RankedTensorType legalType(Type t) const {
    return dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(t));
  }

  /// A body value `v` as a legal value of (shape-compatible) `target`.
  Value toLegal(ConversionPatternRewriter &rewriter, Location loc, Value v,
                RankedTensorType target) const {
    v = rewriter.getRemappedValue(v);
    if (v.getType() != target)
      v = tensor::CastOp::create(rewriter, loc, target, v);
    return v;
  }

  /// A loop result as the converted type of `result` where that is ranked
  /// (the conversion casts to anything else).
  Value asResult(OpBuilder &b, Location loc, Value v, Value result) const {
    auto type = legalType(result.getType());
    if (!type || type == v.getType())
      return v;
    return tensor::CastOp::create(b, loc, type, v);
  }

  /// The new contents of carried values: `yields[i]` (body values) copied
  /// into `iterArgs[i]` so that each loop yield is equivalent to its iter
  /// bbArg. `bodyArgs[i]` is what the body saw of `iterArgs[i]`.
  SmallVector<Value> updateCarried(ConversionPatternRewriter &b, Location loc,
                                   ValueRange yields, ValueRange bodyArgs,
                                   ValueRange iterArgs) const {
    SmallVector<Value> sources;
    size_t changed = 0;
    for (auto [i, y] : llvm::enumerate(yields)) {
      if (y == bodyArgs[i]) {
        sources.push_back(iterArgs[i]); // unchanged
        continue;
      }
      sources.push_back(
          toLegal(b, loc, y, cast<RankedTensorType>(iterArgs[i].getType())));
      ++changed;
    }
    // A new value may be (a view of) another slot's old value, which a
    // copy-in would overwrite before it is read: with several values
    // changing, all are copied out before any is copied in.
    if (changed > 1)
      for (auto [src, dest] : llvm::zip(sources, iterArgs))
        if (src != dest)
          src = freshCopy(b, loc, src);
    SmallVector<Value> out;
    for (auto [src, dest] : llvm::zip(sources, iterArgs))
      out.push_back(src == dest ? dest
                                : linalg::CopyOp::create(b, loc, src, dest)
                                      ->getResult(0));
    return out;
  }
};

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

/// If -> scf.if on the condition's element; both branches are moved in.
/// A result ONNX left unranked takes the branches' common shape.
struct IfLowering : ControlFlowLowering {
  using ControlFlowLowering::ControlFlowLowering;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    // ODS orders the regions by attribute name: else_branch, then_branch.
    Block &elseBlock = op->getRegion(0).front();
    Block &thenBlock = op->getRegion(1).front();
    Operation *elseYield = elseBlock.getTerminator();
    Operation *thenYield = thenBlock.getTerminator();
    if (elseYield->getNumOperands() != op->getNumResults() ||
        thenYield->getNumOperands() != op->getNumResults())
      return rewriter.notifyMatchFailure(op, "branch outputs do not match");
    if (!isSingleElement(operands[0].getType()))
      return rewriter.notifyMatchFailure(op, "condition is not one element");
    BodyTypes elseTypes = refineBodyTypes(elseBlock, {});
    BodyTypes thenTypes = refineBodyTypes(thenBlock, {});

    SmallVector<Type> resultTypes;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      Type declared = op->getResult(i).getType();
      if (!isa<TensorType>(declared))
        return rewriter.notifyMatchFailure(op,
                                           "sequence or optional result");
      auto thenType = thenTypes.ranked(thenYield->getOperand(i));
      auto elseType = elseTypes.ranked(elseYield->getOperand(i));
      if (!thenType || !elseType)
        return rewriter.notifyMatchFailure(op,
                                           "a branch output of unknown rank");
      auto type = dyn_cast<RankedTensorType>(declared);
      if (!type) {
        auto shape = joinShapes(thenType.getShape(), elseType.getShape());
        if (!shape)
          return rewriter.notifyMatchFailure(
              op, "branches yield tensors of different ranks");
        type = RankedTensorType::get(*shape, thenType.getElementType());
      }
      if (failed(verifyCompatibleShape(type, thenType)) ||
          failed(verifyCompatibleShape(type, elseType)))
        return rewriter.notifyMatchFailure(
            op, "a branch yields a shape that differs from the If result");
      auto legal = legalType(type);
      if (!legal)
        return rewriter.notifyMatchFailure(op, "unsupported result type");
      resultTypes.push_back(legal);
    }

    Value cond = extractScalar(rewriter, loc, operands[0]);
    auto ifOp = scf::IfOp::create(rewriter, loc, resultTypes, cond,
                                  /*withElseRegion=*/true);
    auto fill = [&](Region &region, Block &branch, const BodyTypes &types) {
      SmallVector<Value> yields =
          moveBody(rewriter, branch, &region.front(), {}, types).yields;
      rewriter.setInsertionPointToEnd(&region.front());
      SmallVector<Value> legal;
      for (auto [v, t] : llvm::zip(yields, resultTypes))
        legal.push_back(toLegal(rewriter, loc, v, cast<RankedTensorType>(t)));
      scf::YieldOp::create(rewriter, loc, legal);
    };
    fill(ifOp.getThenRegion(), thenBlock, thenTypes);
    fill(ifOp.getElseRegion(), elseBlock, elseTypes);
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

/// Loop -> scf.while over (iteration, condition, carried values, scan
/// buffers): it goes on while iteration < M and the condition holds (the
/// body's condition output is ignored where the cond input is absent, as
/// ONNX says). Scan outputs are preallocated with the static length of
/// their result type, or with a constant M rows (then sliced to the
/// iterations that ran); the loop never runs past the rows it has.
struct LoopLowering : ControlFlowLowering {
  using ControlFlowLowering::ControlFlowLowering;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Block &body = op->getRegion(0).front();
    Operation *yieldOp = body.getTerminator();
    size_t numCarried = op->getNumOperands() - 2;
    if (body.getNumArguments() != numCarried + 2 ||
        yieldOp->getNumOperands() < numCarried + 1 ||
        op->getNumResults() + 1 != yieldOp->getNumOperands())
      return rewriter.notifyMatchFailure(op, "body does not match the op");
    size_t numScans = op->getNumResults() - numCarried;
    bool hasTripCount = !isNoValue(op->getOperand(0));
    bool hasCond = !isNoValue(op->getOperand(1));
    if (!hasTripCount && !hasCond)
      return rewriter.notifyMatchFailure(
          op, "neither a trip count nor a condition: the loop never ends");
    if ((hasTripCount && !isSingleElement(operands[0].getType())) ||
        (hasCond && !isSingleElement(operands[1].getType())))
      return rewriter.notifyMatchFailure(op, "M or cond is not one element");

    Type i64 = rewriter.getI64Type(), i1 = rewriter.getI1Type();
    auto iterType = RankedTensorType::get({}, i64);
    auto condType = RankedTensorType::get({}, i1);
    SmallVector<Type> argTypes{iterType, condType};
    SmallVector<RankedTensorType> carried; // original element types
    for (size_t j = 0; j < numCarried; ++j) {
      auto init = dyn_cast<RankedTensorType>(op->getOperand(2 + j).getType());
      if (!init)
        return rewriter.notifyMatchFailure(
            op, "a loop-carried value is not a tensor of known rank");
      auto type = mergeArgType(body.getArgument(2 + j).getType(), init);
      if (!type)
        return rewriter.notifyMatchFailure(
            op, "a loop-carried value does not fit its body argument");
      if (!type.hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "a loop-carried value has a dynamic shape");
      carried.push_back(type);
      argTypes.push_back(type);
    }
    BodyTypes types = refineBodyTypes(body, argTypes);
    auto condOut = types.ranked(yieldOp->getOperand(0));
    if (!condOut || !isSingleElement(condOut))
      return rewriter.notifyMatchFailure(op, "body condition of unknown shape");
    for (size_t j = 0; j < numCarried; ++j) {
      auto y = types.ranked(yieldOp->getOperand(1 + j));
      if (!y || y.getShape() != carried[j].getShape())
        return rewriter.notifyMatchFailure(
            op, "a loop-carried value changes shape across iterations (or "
                "its shape is unknown)");
    }

    // Scan outputs: rows of a static shape, as many as the result says or
    // as a constant trip count allows.
    std::optional<int64_t> constTrip;
    if (hasTripCount)
      if (auto m = constantIntValues(op->getOperand(0)); m && m->size() == 1)
        constTrip = std::max<int64_t>((*m)[0], 0);
    std::optional<int64_t> rows;
    SmallVector<RankedTensorType> rowTypes; // legal
    for (size_t k = 0; k < numScans; ++k) {
      auto result =
          dyn_cast<RankedTensorType>(op->getResult(numCarried + k).getType());
      auto y = types.ranked(yieldOp->getOperand(1 + numCarried + k));
      if (!result || result.getRank() == 0 || !y)
        return rewriter.notifyMatchFailure(op,
                                           "a scan output of unknown rank");
      auto rowShape = meetShapes(result.getShape().drop_front(), y.getShape());
      if (!rowShape)
        return rewriter.notifyMatchFailure(
            op, "a scan output row disagrees with the result shape");
      auto rowType = legalType(RankedTensorType::get(*rowShape,
                                                     y.getElementType()));
      if (!rowType || !rowType.hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "a scan output row has a dynamic shape");
      rowTypes.push_back(rowType);
      int64_t n = result.getDimSize(0);
      if (n != kDynamic) {
        if (rows && *rows != n)
          return rewriter.notifyMatchFailure(
              op, "scan outputs of different lengths");
        rows = n;
      }
    }
    bool sliceRows = false;
    if (numScans && !rows) {
      if (!constTrip || *constTrip > kMaxConstantTripRows)
        return rewriter.notifyMatchFailure(
            op, "scan outputs need a static length or a constant trip count");
      rows = *constTrip;
      sliceRows = true;
    }

    // Initial state.
    Value limit = hasTripCount
                      ? extractScalar(rewriter, loc, operands[0])
                      : arith::ConstantIntOp::create(
                            rewriter, loc, i64,
                            std::numeric_limits<int64_t>::max())
                            .getResult();
    if (rows)
      limit = arith::MinSIOp::create(
          rewriter, loc, limit,
          arith::ConstantIntOp::create(rewriter, loc, i64, *rows));
    Value keep = hasCond ? extractScalar(rewriter, loc, operands[1])
                         : arith::ConstantIntOp::create(rewriter, loc, i1, 1)
                               .getResult();
    // The loop state: carried values, scan buffers, then the iteration
    // and the condition. Tensors come first: one-shot bufferization pairs
    // the condition's forwarded values with the before-block arguments by
    // position, and canonicalization drops the condition from the
    // forwarded values (it is true in the after block).
    SmallVector<Value> inits;
    for (size_t j = 0; j < numCarried; ++j) {
      Value v = operands[2 + j];
      auto legal = legalType(carried[j]);
      if (v.getType() != legal)
        v = tensor::CastOp::create(rewriter, loc, legal, v);
      inits.push_back(freshCopy(rewriter, loc, v));
    }
    SmallVector<RankedTensorType> bufferTypes;
    for (RankedTensorType rowType : rowTypes) {
      SmallVector<int64_t> shape{*rows};
      llvm::append_range(shape, rowType.getShape());
      // Zeros: rows a wrongly typed model would leave unwritten.
      bufferTypes.push_back(rowType.clone(shape));
      inits.push_back(createFilled(rewriter, loc, bufferTypes.back(), 0));
    }
    size_t iterPos = numCarried + numScans, keepPos = iterPos + 1;
    inits.push_back(arith::ConstantIntOp::create(rewriter, loc, i64, 0));
    inits.push_back(keep);
    SmallVector<Type> loopTypes = llvm::to_vector(ValueRange(inits).getTypes());
    SmallVector<Location> locs(loopTypes.size(), loc);

    auto whileOp = scf::WhileOp::create(rewriter, loc, loopTypes, inits);
    Block *before = rewriter.createBlock(&whileOp.getBefore(), {}, loopTypes,
                                         locs);
    Value inRange = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::slt,
        before->getArgument(iterPos), limit);
    Value go = arith::AndIOp::create(rewriter, loc, inRange,
                                     before->getArgument(keepPos));
    scf::ConditionOp::create(rewriter, loc, go, before->getArguments());

    Block *after = rewriter.createBlock(&whileOp.getAfter(), {}, loopTypes,
                                        locs);
    ValueRange iter = after->getArguments();
    SmallVector<Value> bodyArgs{
        tensor::FromElementsOp::create(rewriter, loc, iterType, iter[iterPos]),
        tensor::FromElementsOp::create(rewriter, loc, condType,
                                       iter[keepPos])};
    llvm::append_range(bodyArgs, iter.take_front(numCarried));
    MovedBody moved = moveBody(rewriter, body, rewriter.getInsertionBlock(),
                               bodyArgs, types);
    rewriter.setInsertionPointToEnd(rewriter.getInsertionBlock());
    ArrayRef<Value> yields = moved.yields;

    // Scan rows first: a row may be a carried value's old contents.
    Value row = arith::IndexCastOp::create(rewriter, loc,
                                           rewriter.getIndexType(),
                                           iter[iterPos]);
    SmallVector<Value> buffers;
    for (size_t k = 0; k < numScans; ++k)
      buffers.push_back(insertAt(
          rewriter, loc,
          toLegal(rewriter, loc, yields[1 + numCarried + k], rowTypes[k]),
          iter[numCarried + k], 0, row, Value()));
    SmallVector<Value> next =
        updateCarried(rewriter, loc, yields.slice(1, numCarried),
                      ArrayRef(moved.args).slice(2, numCarried),
                      iter.take_front(numCarried));
    llvm::append_range(next, buffers);
    next.push_back(arith::AddIOp::create(
        rewriter, loc, iter[iterPos],
        arith::ConstantIntOp::create(rewriter, loc, i64, 1)));
    next.push_back(hasCond ? extractScalar(rewriter, loc,
                                           rewriter.getRemappedValue(yields[0]))
                           : iter[keepPos]);
    scf::YieldOp::create(rewriter, loc, next);

    rewriter.setInsertionPointAfter(whileOp);
    SmallVector<Value> results;
    for (size_t j = 0; j < numCarried; ++j)
      results.push_back(asResult(rewriter, loc, whileOp.getResult(j),
                                 op->getResult(j)));
    for (size_t k = 0; k < numScans; ++k) {
      Value buffer = whileOp.getResult(numCarried + k);
      if (sliceRows) {
        // Only the iterations that ran.
        Value count = arith::IndexCastOp::create(
            rewriter, loc, rewriter.getIndexType(),
            whileOp.getResult(iterPos));
        SmallVector<OpFoldResult> offsets(bufferTypes[k].getRank(),
                                          rewriter.getIndexAttr(0));
        SmallVector<OpFoldResult> strides(bufferTypes[k].getRank(),
                                          rewriter.getIndexAttr(1));
        SmallVector<OpFoldResult> sizes{count};
        for (int64_t d : rowTypes[k].getShape())
          sizes.push_back(rewriter.getIndexAttr(d));
        buffer = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                                offsets, sizes, strides);
      }
      results.push_back(
          asResult(rewriter, loc, buffer, op->getResult(numCarried + k)));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

/// Scan -> scf.for over the sequence. Scan-9+ scans each input along its
/// scan_input_axes entry (forward or, per scan_input_directions, backward)
/// and stacks each output along its scan_output_axes entry (in the order
/// of scan_output_directions). Scan-8 has a batch axis 0 on every input,
/// state and output, the sequence on axis 1 of inputs and outputs, and
/// `directions` for its inputs; it runs an outer scf.for over the batch.
struct ScanLowering : ControlFlowLowering {
  ScanLowering(const TypeConverter &converter, MLIRContext *ctx,
               StringRef name, bool batched)
      : ControlFlowLowering(converter, ctx, name), batched(batched) {}
  bool batched; // Scan-8

  /// The attribute `name` with `count` entries, or `deflt` everywhere
  /// where it is absent; nullopt for a wrong length.
  static std::optional<SmallVector<int64_t>>
  listAttr(Operation *op, StringRef name, size_t count, int64_t deflt) {
    auto attr = op->getAttrOfType<ArrayAttr>(name);
    if (!attr)
      return SmallVector<int64_t>(count, deflt);
    if (attr.size() != count)
      return std::nullopt;
    SmallVector<int64_t> out;
    for (Attribute a : attr)
      out.push_back(cast<IntegerAttr>(a).getInt());
    return out;
  }

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Block &body = op->getRegion(0).front();
    Operation *yieldOp = body.getTerminator();
    size_t first = batched ? 1 : 0;
    size_t total = op->getNumOperands() - first;
    int64_t numInputs = intAttrOr(op, "num_scan_inputs", -1);
    if (numInputs < 1 || size_t(numInputs) > total)
      return rewriter.notifyMatchFailure(op, "bad num_scan_inputs");
    size_t numInputsU = numInputs;
    size_t numStates = total - numInputsU;
    if (op->getNumResults() < numStates ||
        body.getNumArguments() != total ||
        yieldOp->getNumOperands() != op->getNumResults())
      return rewriter.notifyMatchFailure(op, "body does not match the op");
    size_t numOutputs = op->getNumResults() - numStates;
    int64_t b0 = batched ? 1 : 0; // dims before the scanned ones

    std::optional<SmallVector<int64_t>> inAxes, inDirs, outAxes, outDirs;
    if (batched) {
      inAxes = SmallVector<int64_t>(numInputsU, 1);
      inDirs = listAttr(op, "directions", numInputsU, 0);
      outAxes = SmallVector<int64_t>(numOutputs, 1);
      outDirs = SmallVector<int64_t>(numOutputs, 0);
    } else {
      inAxes = listAttr(op, "scan_input_axes", numInputsU, 0);
      inDirs = listAttr(op, "scan_input_directions", numInputsU, 0);
      outAxes = listAttr(op, "scan_output_axes", numOutputs, 0);
      outDirs = listAttr(op, "scan_output_directions", numOutputs, 0);
    }
    if (!inAxes || !inDirs || !outAxes || !outDirs)
      return rewriter.notifyMatchFailure(op, "attribute of a wrong length");

    // Batch size (Scan-8) and sequence length.
    int64_t batch = 1;
    if (batched) {
      batch = kDynamic;
      for (size_t i = 0; i < total; ++i) {
        auto t = dyn_cast<RankedTensorType>(operands[first + i].getType());
        if (!t || t.getRank() < 1)
          return rewriter.notifyMatchFailure(op, "operand without a batch");
        if (!t.isDynamicDim(0))
          batch = t.getDimSize(0);
      }
      if (batch == kDynamic)
        return rewriter.notifyMatchFailure(op, "dynamic batch size");
    }
    int64_t steps = kDynamic;
    SmallVector<RankedTensorType> sliceTypes; // original element types
    for (size_t k = 0; k < numInputsU; ++k) {
      auto t = dyn_cast<RankedTensorType>(
          op->getOperand(first + numStates + k).getType());
      if (!t || t.getRank() < 1 + b0)
        return rewriter.notifyMatchFailure(op, "scan input of unknown rank");
      auto axis = normalizeAxis((*inAxes)[k], t.getRank());
      if (!axis || *axis < b0 || (*inDirs)[k] < 0 || (*inDirs)[k] > 1)
        return rewriter.notifyMatchFailure(op, "bad scan input axis");
      (*inAxes)[k] = *axis;
      int64_t len = t.getDimSize(*axis);
      if (len != kDynamic) {
        if (steps != kDynamic && steps != len)
          return rewriter.notifyMatchFailure(
              op, "scan inputs of different lengths");
        steps = len;
      }
      SmallVector<int64_t> shape = dropDim(t.getShape(), *axis);
      if (batched)
        shape.erase(shape.begin());
      sliceTypes.push_back(t.clone(shape));
    }
    if (batched && !isNoValue(op->getOperand(0))) {
      // Per-batch lengths: only all-full ones are the plain scan.
      auto lens = constantIntValues(op->getOperand(0));
      if (!lens || steps == kDynamic ||
          llvm::any_of(*lens, [&](int64_t l) { return l != steps; }))
        return rewriter.notifyMatchFailure(
            op, "sequence_lens other than the full length");
    }

    // Body argument types: states, then one slice per input.
    SmallVector<Type> argTypes;
    SmallVector<RankedTensorType> stateTypes;
    for (size_t j = 0; j < numStates + numInputsU; ++j) {
      RankedTensorType given;
      if (j < numStates) {
        given = dyn_cast<RankedTensorType>(
            op->getOperand(first + j).getType());
        if (!given)
          return rewriter.notifyMatchFailure(op, "state of unknown rank");
        if (batched)
          given = given.clone(given.getShape().drop_front());
      } else {
        given = sliceTypes[j - numStates];
      }
      auto type = mergeArgType(body.getArgument(j).getType(), given);
      if (!type)
        return rewriter.notifyMatchFailure(
            op, "an input does not fit its body argument");
      if (j < numStates) {
        if (!type.hasStaticShape())
          return rewriter.notifyMatchFailure(op,
                                             "a state has a dynamic shape");
        stateTypes.push_back(type);
      } else {
        sliceTypes[j - numStates] = type;
      }
      argTypes.push_back(type);
    }
    BodyTypes types = refineBodyTypes(body, argTypes);
    for (size_t j = 0; j < numStates; ++j) {
      auto y = types.ranked(yieldOp->getOperand(j));
      if (!y || y.getShape() != stateTypes[j].getShape())
        return rewriter.notifyMatchFailure(
            op, "a state changes shape across iterations (or its shape is "
                "unknown)");
    }

    // Output buffers: [batch,] rows stacked along the output axis.
    SmallVector<RankedTensorType> bufferTypes; // legal
    for (size_t l = 0; l < numOutputs; ++l) {
      auto result = dyn_cast<RankedTensorType>(
          op->getResult(numStates + l).getType());
      auto y = types.ranked(yieldOp->getOperand(numStates + l));
      if (!result || !y || result.getRank() != y.getRank() + 1 + b0)
        return rewriter.notifyMatchFailure(op,
                                           "a scan output of unknown rank");
      auto axis = normalizeAxis((*outAxes)[l], result.getRank());
      if (!axis || *axis < b0 || (*outDirs)[l] < 0 || (*outDirs)[l] > 1)
        return rewriter.notifyMatchFailure(op, "bad scan output axis");
      (*outAxes)[l] = *axis;
      SmallVector<int64_t> declaredRow = dropDim(result.getShape(), *axis);
      if (batched)
        declaredRow.erase(declaredRow.begin());
      auto rowShape = meetShapes(declaredRow, y.getShape());
      if (!rowShape)
        return rewriter.notifyMatchFailure(
            op, "a scan output row disagrees with the result shape");
      auto rowType =
          legalType(RankedTensorType::get(*rowShape, y.getElementType()));
      if (!rowType || !rowType.hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "a scan output row has a dynamic shape");
      SmallVector<int64_t> shape(*rowShape);
      shape.insert(shape.begin() + (*axis - b0), steps);
      if (batched)
        shape.insert(shape.begin(), batch);
      bufferTypes.push_back(rowType.clone(shape));
    }

    // The sequence length at run time.
    Value numSteps;
    if (steps != kDynamic)
      numSteps = arith::ConstantIndexOp::create(rewriter, loc, steps);
    else if (numInputsU)
      numSteps = tensor::DimOp::create(rewriter, loc,
                                       operands[first + numStates],
                                       (*inAxes)[0]);
    SmallVector<Value> dynamicSizes;
    if (steps == kDynamic)
      dynamicSizes.push_back(numSteps);
    SmallVector<Value> buffers;
    for (RankedTensorType t : bufferTypes)
      buffers.push_back(tensor::EmptyOp::create(
          rewriter, loc, t.getShape(), t.getElementType(), dynamicSizes));
    SmallVector<Value> inputs;
    for (size_t k = 0; k < numInputsU; ++k)
      inputs.push_back(operands[first + numStates + k]);

    SmallVector<Value> finals;
    if (!batched) {
      SmallVector<Value> states;
      for (size_t j = 0; j < numStates; ++j) {
        Value v = operands[j];
        auto legal = legalType(stateTypes[j]);
        if (v.getType() != legal)
          v = tensor::CastOp::create(rewriter, loc, legal, v);
        states.push_back(freshCopy(rewriter, loc, v));
      }
      finals = buildTimeLoop(rewriter, loc, body, types, numSteps, states,
                             buffers, inputs, sliceTypes, *inAxes,
                             *inDirs, *outAxes, *outDirs, Value());
    } else {
      // The final states of every batch entry, and the scan buffers.
      SmallVector<Value> outerInits;
      for (size_t j = 0; j < numStates; ++j) {
        auto legal = legalType(stateTypes[j]);
        SmallVector<int64_t> shape{batch};
        llvm::append_range(shape, legal.getShape());
        outerInits.push_back(tensor::EmptyOp::create(
            rewriter, loc, shape, legal.getElementType()));
      }
      llvm::append_range(outerInits, buffers);
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      Value batchSize = arith::ConstantIndexOp::create(rewriter, loc, batch);
      auto outer =
          scf::ForOp::create(rewriter, loc, zero, batchSize, one, outerInits);
      rewriter.setInsertionPointToStart(outer.getBody());
      Value bIdx = outer.getInductionVar();
      ValueRange outerIter = outer.getRegionIterArgs();
      SmallVector<Value> states;
      for (size_t j = 0; j < numStates; ++j) {
        auto legal = legalType(stateTypes[j]);
        Value v = sliceAt(rewriter, loc, operands[first + j], legal, 0,
                          Value(), bIdx);
        states.push_back(freshCopy(rewriter, loc, v));
      }
      SmallVector<Value> inner = buildTimeLoop(
          rewriter, loc, body, types, numSteps, states,
          outerIter.drop_front(numStates), inputs, sliceTypes,
          *inAxes, *inDirs, *outAxes, *outDirs, bIdx);
      SmallVector<Value> yields;
      for (size_t j = 0; j < numStates; ++j)
        yields.push_back(insertAt(rewriter, loc, inner[j], outerIter[j], 0,
                                  Value(), bIdx));
      llvm::append_range(yields, ArrayRef(inner).drop_front(numStates));
      scf::YieldOp::create(rewriter, loc, yields);
      rewriter.setInsertionPointAfter(outer);
      finals = SmallVector<Value>(outer.getResults());
    }

    SmallVector<Value> results;
    for (auto [v, r] : llvm::zip(finals, op->getResults()))
      results.push_back(asResult(rewriter, loc, v, r));
    rewriter.replaceOp(op, results);
    return success();
  }

  /// The loop over the sequence (for batch entry `batchIndex` of Scan-8):
  /// carries `states` and the scan `buffers`, returns their final values.
  SmallVector<Value>
  buildTimeLoop(ConversionPatternRewriter &rewriter, Location loc,
                Block &body, const BodyTypes &types, Value numSteps,
                ValueRange states, ValueRange buffers, ValueRange inputs,
                ArrayRef<RankedTensorType> sliceTypes,
                ArrayRef<int64_t> inAxes, ArrayRef<int64_t> inDirs,
                ArrayRef<int64_t> outAxes, ArrayRef<int64_t> outDirs,
                Value batchIndex) const {
    SmallVector<Value> inits(states);
    llvm::append_range(inits, buffers);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(rewriter, loc, zero, numSteps, one, inits);
    rewriter.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    Value backward = arith::SubIOp::create(
        rewriter, loc, arith::SubIOp::create(rewriter, loc, numSteps, one), t);
    ValueRange iter = loop.getRegionIterArgs();
    size_t numStates = states.size();

    SmallVector<Value> bodyArgs;
    llvm::append_range(bodyArgs, iter.take_front(numStates));
    for (size_t k = 0; k < inputs.size(); ++k) {
      Value slice = sliceAt(rewriter, loc, inputs[k],
                            legalType(sliceTypes[k]), inAxes[k],
                            inDirs[k] ? backward : t, batchIndex);
      bodyArgs.push_back(slice);
    }
    MovedBody moved = moveBody(rewriter, body, rewriter.getInsertionBlock(),
                               bodyArgs, types);
    rewriter.setInsertionPointToEnd(rewriter.getInsertionBlock());
    ArrayRef<Value> yields = moved.yields;

    // Output rows first: a row may be a state's old contents.
    SmallVector<Value> newBuffers;
    for (size_t l = 0; l < buffers.size(); ++l) {
      auto bufferType = cast<RankedTensorType>(buffers[l].getType());
      auto rowType = RankedTensorType::get(
          dropDim(bufferType.getShape(), outAxes[l]),
          bufferType.getElementType());
      if (batchIndex)
        rowType = rowType.clone(rowType.getShape().drop_front());
      newBuffers.push_back(insertAt(
          rewriter, loc, toLegal(rewriter, loc, yields[numStates + l], rowType),
          iter[numStates + l], outAxes[l], outDirs[l] ? backward : t,
          batchIndex));
    }
    SmallVector<Value> next = updateCarried(
        rewriter, loc, ArrayRef(yields).take_front(numStates),
        ArrayRef(moved.args).take_front(numStates),
        iter.take_front(numStates));
    llvm::append_range(next, newBuffers);
    scf::YieldOp::create(rewriter, loc, next);
    rewriter.setInsertionPointAfter(loop);
    return SmallVector<Value>(loop.getResults());
  }
};

} // namespace

void populateControlFlowLoweringPatterns(OnnxTypeConverter &converter,
                                         RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<IfLowering>(converter, ctx, "onnx.If");
  patterns.add<LoopLowering>(converter, ctx, "onnx.Loop");
  patterns.add<ScanLowering>(converter, ctx, "onnx.Scan", /*batched=*/false);
  patterns.add<ScanLowering>(converter, ctx, "onnx.Scan_v8",
                             /*batched=*/true);
}

} // namespace onnxc
