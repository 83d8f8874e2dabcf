//===- Selection.cpp - TopK, Unique, NonZero, Compress, NonMaxSuppression ---===//
//
// Ops that select elements, several with an output size known only at run
// time. Those are sequential algorithms written as scf.for loops carrying
// tensors: NonZero and Compress count first, allocate exactly what they
// need (a tensor.empty with a dynamic dim) and fill it in a second loop;
// Unique and NonMaxSuppression work in scratch tensors and slice the result
// out. Where the imported result type is static (a model that declares its
// output shape), the dynamic result is tensor.cast to it; the memref
// descriptor under the cast keeps the run-time size.
//
// Comparisons follow one total order so that ties and NaNs give a
// deterministic answer: NaN is larger than every number and equal to NaN
// (as numpy sorts), and among equal values the lower index comes first.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

using Values = SmallVector<Value>;
using LoopBody =
    llvm::function_ref<Values(OpBuilder &, Location, Value, ValueRange)>;
using BranchBody = llvm::function_ref<Values(OpBuilder &, Location)>;

Value cIdx(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

Value cBool(OpBuilder &b, Location l, bool v) {
  return arith::ConstantIntOp::create(b, l, b.getI1Type(), v ? 1 : 0);
}

/// for iv in [lb, ub) carrying `inits`; `body` returns the next values.
Values forLoop(OpBuilder &b, Location l, Value lb, Value ub, ValueRange inits,
               LoopBody body) {
  auto loop = scf::ForOp::create(
      b, l, lb, ub, cIdx(b, l, 1), inits,
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
        scf::YieldOp::create(nb, nl, body(nb, nl, iv, args));
      });
  return Values(loop.getResults());
}

/// An scf.if whose result types are those both branches yield.
Values ifElse(OpBuilder &b, Location l, Value cond, BranchBody thenBody,
              BranchBody elseBody) {
  auto op = scf::IfOp::create(
      b, l, cond,
      [&](OpBuilder &nb, Location nl) {
        scf::YieldOp::create(nb, nl, thenBody(nb, nl));
      },
      [&](OpBuilder &nb, Location nl) {
        scf::YieldOp::create(nb, nl, elseBody(nb, nl));
      });
  return Values(op.getResults());
}

Value andI(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AndIOp::create(b, l, x, y);
}
Value orI(OpBuilder &b, Location l, Value x, Value y) {
  return arith::OrIOp::create(b, l, x, y);
}
Value notI(OpBuilder &b, Location l, Value x) {
  return arith::XOrIOp::create(b, l, x, cBool(b, l, true));
}
Value cmpIdx(OpBuilder &b, Location l, arith::CmpIPredicate p, Value x,
             Value y) {
  return arith::CmpIOp::create(b, l, p, x, y);
}
/// x * y on index values, folded when both are constants (so that sizes
/// stay static where they can).
Value mulIdx(OpBuilder &b, Location l, Value x, Value y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return cIdx(b, l, *cx * *cy);
  return arith::MulIOp::create(b, l, x, y);
}

Value toI64(OpBuilder &b, Location l, Value index) {
  return arith::IndexCastOp::create(b, l, b.getI64Type(), index);
}

/// Element types the comparisons below know (no complex, no strings).
bool isComparable(Type t) { return isa<FloatType, IntegerType>(t); }

/// a > b in the total order (NaN above every number).
Value greater(OpBuilder &b, Location l, Value x, Value y, bool isUnsigned) {
  if (isa<FloatType>(x.getType())) {
    Value gt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, y);
    Value xNan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
    Value yNan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, y, y);
    return orI(b, l, gt, andI(b, l, xNan, notI(b, l, yNan)));
  }
  // Bools compare unsigned: false < true.
  bool asUnsigned = isUnsigned || x.getType().isInteger(1);
  return cmpIdx(
      b, l, asUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
      x, y);
}

/// a == b in the total order (NaN equals NaN).
Value equal(OpBuilder &b, Location l, Value x, Value y) {
  if (isa<FloatType>(x.getType())) {
    Value eq = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, y);
    Value xNan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x);
    Value yNan = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, y, y);
    return orI(b, l, eq, andI(b, l, xNan, yNan));
  }
  return cmpIdx(b, l, arith::CmpIPredicate::eq, x, y);
}

/// x != 0 (NaN counts as nonzero, as in ONNX Runtime).
Value isNonZero(OpBuilder &b, Location l, Value x) {
  Value zero = scalarConstant(b, l, x.getType(), 0);
  if (isa<FloatType>(x.getType()))
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x, zero);
  return cmpIdx(b, l, arith::CmpIPredicate::ne, x, zero);
}

/// Size of dim `d` of `v`, folded to a constant where static.
Value dimOf(OpBuilder &b, Location l, Value v, int64_t d) {
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.isDynamicDim(d))
    return cIdx(b, l, t.getDimSize(d));
  return tensor::DimOp::create(b, l, v, d);
}

/// The row-major 1-D view of `v` (a scalar becomes one element).
Value flatten(OpBuilder &b, Location l, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getRank() == 1)
    return v;
  if (t.getRank() == 0)
    return tensor::FromElementsOp::create(
        b, l, RankedTensorType::get({1}, t.getElementType()),
        ValueRange{tensor::ExtractOp::create(b, l, v, ValueRange{})});
  ReassociationIndices all;
  for (int64_t d = 0; d < t.getRank(); ++d)
    all.push_back(d);
  return tensor::CollapseShapeOp::create(b, l, v,
                                         ArrayRef<ReassociationIndices>{all});
}

/// A tensor.empty of the given sizes; constant ones become static dims.
Value emptyTensor(OpBuilder &b, Location l, ArrayRef<OpFoldResult> sizes,
                  Type elem) {
  SmallVector<OpFoldResult> folded;
  for (OpFoldResult s : sizes) {
    if (auto c = getConstantIntValue(s))
      folded.push_back(b.getIndexAttr(*c));
    else
      folded.push_back(s);
  }
  return tensor::EmptyOp::create(b, l, folded, elem);
}

/// A tensor.empty like `like` (dims), with dim `axis` replaced by `size`
/// and element type `elem`.
Value emptyWithAxis(OpBuilder &b, Location l, Value like, int64_t axis,
                    OpFoldResult size, Type elem) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, like);
  sizes[axis] = size;
  return emptyTensor(b, l, sizes, elem);
}

/// The slice of `src` at position `at` of `axis` (that dim kept, size 1).
Value sliceAt(OpBuilder &b, Location l, Value src, int64_t axis, Value at) {
  int64_t rank = cast<RankedTensorType>(src.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, src);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[axis] = at;
  sizes[axis] = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(b, l, src, offsets, sizes, strides);
}

/// `slice` (size 1 along `axis`) written into `dest` at position `at`.
Value insertAt(OpBuilder &b, Location l, Value slice, Value dest, int64_t axis,
               Value at) {
  int64_t rank = cast<RankedTensorType>(dest.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, l, slice);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  offsets[axis] = at;
  return tensor::InsertSliceOp::create(b, l, slice, dest, offsets, sizes,
                                       strides);
}

using IndexPredicate =
    llvm::function_ref<Value(OpBuilder &, Location, Value)>;

/// The number of i in [0, n) where `pred(i)` holds.
Value countWhere(OpBuilder &b, Location l, Value n, IndexPredicate pred) {
  Value zero = cIdx(b, l, 0), one = cIdx(b, l, 1);
  return forLoop(b, l, zero, n, {zero},
                 [&](OpBuilder &b, Location l, Value i,
                     ValueRange acc) -> Values {
                   return {arith::AddIOp::create(
                       b, l, acc[0],
                       arith::SelectOp::create(b, l, pred(b, l, i), one,
                                               zero))};
                 })[0];
}

/// Visits, in order, each i in [0, n) where `pred(i)` holds and lets
/// `write(i, acc, pos)` put it at the next output position `pos` of `acc`
/// (starting from `init` and 0); returns the final `acc`.
Value appendWhere(
    OpBuilder &b, Location l, Value n, Value init, IndexPredicate pred,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value, Value)>
        write) {
  Value zero = cIdx(b, l, 0);
  return forLoop(
      b, l, zero, n, {init, zero},
      [&](OpBuilder &b, Location l, Value i, ValueRange st) -> Values {
        return ifElse(
            b, l, pred(b, l, i),
            [&](OpBuilder &b, Location l) -> Values {
              return {write(b, l, i, st[0], st[1]),
                      arith::AddIOp::create(b, l, st[1], cIdx(b, l, 1))};
            },
            [&](OpBuilder &, Location) -> Values {
              return {st[0], st[1]};
            });
      })[0];
}

/// `v` as the converted type of `op`'s result `index` (a static or
/// unranked one included), or null when they cannot agree.
Value castToResult(OpBuilder &b, Location l, Value v,
                   const TypeConverter &converter, Operation *op,
                   unsigned index = 0) {
  Type resultType = converter.convertType(op->getResult(index).getType());
  if (!resultType)
    return {};
  if (v.getType() == resultType)
    return v;
  if (!tensor::CastOp::areCastCompatible(v.getType(), resultType))
    return {};
  return tensor::CastOp::create(b, l, resultType, v);
}

//===----------------------------------------------------------------------===//
// TopK
//===----------------------------------------------------------------------===//

/// TopK-1 (k attribute), 10 and 11+ (k input: a constant gives a static
/// output, a run-time one a dynamic dim along the axis). For each row along
/// the axis, the i-th output is the best element that comes after the (i-1)-th
/// in the order (value, then lower index first): O(n*k) compares, no scratch
/// mask. The output is always sorted, which `sorted = 0` (order unspecified)
/// allows.
struct TopKLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Value x = operands[0];
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    if (!xType || xType.getRank() == 0)
      return rewriter.notifyMatchFailure(op, "needs a ranked input");
    Type elem = xType.getElementType();
    if (!isComparable(elem))
      return rewriter.notifyMatchFailure(op, "element type");
    bool isUnsigned =
        isUnsignedInt(getElementTypeOrSelf(op->getOperand(0).getType()));
    auto axis = normalizeAxis(intAttrOr(op, "axis", -1), xType.getRank());
    if (!axis)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    int64_t a = *axis;
    if (xType.isDynamicDim(a))
      return rewriter.notifyMatchFailure(op, "dynamic size along the axis");
    int64_t n = xType.getDimSize(a);
    // A constant K gives a static output; a run-time one a dynamic dim (a
    // declared static output shape is then checked by the runtime).
    OpFoldResult k;
    if (auto attr = op->getAttrOfType<IntegerAttr>("k")) {
      k = rewriter.getIndexAttr(attr.getInt());
    } else if (auto kv = constantIntValues(operands[1])) {
      if (kv->size() != 1)
        return rewriter.notifyMatchFailure(op, "K must have one element");
      k = rewriter.getIndexAttr((*kv)[0]);
    } else {
      // K beyond [0, n] is invalid; clamping it keeps every read in bounds.
      Value kr =
          arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                     extractScalar(rewriter, loc, operands[1]));
      kr = arith::MaxSIOp::create(rewriter, loc, kr, cIdx(rewriter, loc, 0));
      k = arith::MinSIOp::create(rewriter, loc, kr, cIdx(rewriter, loc, n))
              .getResult();
    }
    if (auto kc = getConstantIntValue(k); kc && (*kc < 0 || *kc > n))
      return rewriter.notifyMatchFailure(op, "K outside [0, axis size]");
    bool largest = intAttrOr(op, "largest", 1) != 0;

    Value values = emptyWithAxis(rewriter, loc, x, a, k, elem);
    Value indices =
        emptyWithAxis(rewriter, loc, x, a, k, rewriter.getI64Type());
    Value kIndex = getValueOrCreateConstantIndexOp(rewriter, loc, k);
    // `better(p, q)`: p comes before q (ignoring indices).
    auto better = [&](OpBuilder &b, Location l, Value p, Value q) {
      return largest ? greater(b, l, p, q, isUnsigned)
                     : greater(b, l, q, p, isUnsigned);
    };

    // One loop per dim other than the axis.
    Values lbs, ubs, steps;
    for (int64_t d = 0; d < xType.getRank(); ++d) {
      if (d == a)
        continue;
      lbs.push_back(cIdx(rewriter, loc, 0));
      ubs.push_back(dimOf(rewriter, loc, x, d));
      steps.push_back(cIdx(rewriter, loc, 1));
    }
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{values, indices},
        [&](OpBuilder &b, Location l, ValueRange ivs,
            ValueRange args) -> scf::ValueVector {
          auto coordsAt = [&](Value along) {
            Values c(ivs.begin(), ivs.end());
            c.insert(c.begin() + a, along);
            return c;
          };
          Value zeroV = scalarConstant(b, l, elem, 0);
          Value none = cIdx(b, l, -1);
          Values out = forLoop(
              b, l, cIdx(b, l, 0), kIndex, {args[0], args[1], zeroV, none},
              [&](OpBuilder &b, Location l, Value i, ValueRange st) -> Values {
                Value prevV = st[2], prevI = st[3];
                Value first = cmpIdx(b, l, arith::CmpIPredicate::slt, prevI,
                                     cIdx(b, l, 0));
                Values best = forLoop(
                    b, l, cIdx(b, l, 0), cIdx(b, l, n), {zeroV, none},
                    [&](OpBuilder &b, Location l, Value j,
                        ValueRange bs) -> Values {
                      Value v = tensor::ExtractOp::create(b, l, x, coordsAt(j));
                      // Not yet output: after the previous pick in the order.
                      Value after =
                          orI(b, l, better(b, l, prevV, v),
                              andI(b, l, equal(b, l, prevV, v),
                                   cmpIdx(b, l, arith::CmpIPredicate::sgt, j,
                                          prevI)));
                      Value eligible = orI(b, l, first, after);
                      // j grows, so a strict "better" keeps the lower index
                      // among equal values.
                      Value improves =
                          orI(b, l,
                              cmpIdx(b, l, arith::CmpIPredicate::slt, bs[1],
                                     cIdx(b, l, 0)),
                              better(b, l, v, bs[0]));
                      Value take = andI(b, l, eligible, improves);
                      return {arith::SelectOp::create(b, l, take, v, bs[0]),
                              arith::SelectOp::create(b, l, take, j, bs[1])};
                    });
                Values at = coordsAt(i);
                Value vals = tensor::InsertOp::create(b, l, best[0], st[0], at);
                Value idxs = tensor::InsertOp::create(
                    b, l, toI64(b, l, best[1]), st[1], at);
                return {vals, idxs, best[0], best[1]};
              });
          return {out[0], out[1]};
        });
    Value resV = nest.results.empty() ? values : nest.results[0];
    Value resI = nest.results.empty() ? indices : nest.results[1];
    Value v0 = castToResult(rewriter, loc, resV, *getTypeConverter(), op, 0);
    Value v1 = castToResult(rewriter, loc, resI, *getTypeConverter(), op, 1);
    if (!v0 || !v1)
      return rewriter.notifyMatchFailure(op, "result types");
    rewriter.replaceOp(op, {v0, v1});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// NonZero, Compress
//===----------------------------------------------------------------------===//

/// NonZero-9/13: [rank, count] int64 coordinates in row-major order.
struct NonZeroLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Value x = operands[0];
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    if (!xType || xType.getRank() == 0)
      return rewriter.notifyMatchFailure(op,
                                         "needs a ranked, non-scalar input");
    if (!isComparable(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "element type");
    int64_t rank = xType.getRank();
    Value flat = flatten(rewriter, loc, x);
    Value total = dimOf(rewriter, loc, flat, 0);

    auto nonZeroAt = [&](OpBuilder &b, Location l, Value i) -> Value {
      return isNonZero(b, l, tensor::ExtractOp::create(b, l, flat, i));
    };
    // Pass 1: how many.
    Value count = countWhere(rewriter, loc, total, nonZeroAt);

    // Pass 2: write the coordinates of each, in order.
    Values dims;
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(dimOf(rewriter, loc, x, d));
    Value init =
        tensor::EmptyOp::create(rewriter, loc, {rank, ShapedType::kDynamic},
                                rewriter.getI64Type(), ValueRange{count});
    Value result = appendWhere(
        rewriter, loc, total, init, nonZeroAt,
        [&](OpBuilder &b, Location l, Value i, Value t, Value pos) {
          Value rest = i;
          for (int64_t d = rank - 1; d >= 0; --d) {
            Value c = arith::RemUIOp::create(b, l, rest, dims[d]);
            rest = arith::DivUIOp::create(b, l, rest, dims[d]);
            t = tensor::InsertOp::create(b, l, toI64(b, l, c), t,
                                         ValueRange{cIdx(b, l, d), pos});
          }
          return t;
        });
    Value v = castToResult(rewriter, loc, result, *getTypeConverter(), op);
    if (!v)
      return rewriter.notifyMatchFailure(op, "result type");
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Compress-9/11: the slices along `axis` (the flattened input without
/// one) whose condition is true. A condition shorter than the axis leaves
/// the remaining slices out; a longer one is read only as far as the axis.
struct CompressLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Value input = operands[0], cond = operands[1];
    auto inType = dyn_cast<RankedTensorType>(input.getType());
    auto condType = dyn_cast<RankedTensorType>(cond.getType());
    if (!inType || !condType || condType.getRank() != 1)
      return rewriter.notifyMatchFailure(op,
                                         "needs a ranked input, 1-D condition");
    if (isa<ComplexType>(inType.getElementType()) ||
        !inType.getElementType().isIntOrIndexOrFloat())
      return rewriter.notifyMatchFailure(op, "element type");
    int64_t a = 0;
    Value data = input;
    if (auto axisAttr = op->getAttrOfType<IntegerAttr>("axis")) {
      auto axis = normalizeAxis(axisAttr.getInt(), inType.getRank());
      if (!axis)
        return rewriter.notifyMatchFailure(op, "axis out of range");
      a = *axis;
    } else {
      data = flatten(rewriter, loc, input);
    }
    Value limit =
        arith::MinUIOp::create(rewriter, loc, dimOf(rewriter, loc, data, a),
                               dimOf(rewriter, loc, cond, 0));
    auto condAt = [&](OpBuilder &b, Location l, Value j) -> Value {
      return tensor::ExtractOp::create(b, l, cond, j);
    };
    Value count = countWhere(rewriter, loc, limit, condAt);
    Value init =
        emptyWithAxis(rewriter, loc, data, a, count, inType.getElementType());
    Value result = appendWhere(
        rewriter, loc, limit, init, condAt,
        [&](OpBuilder &b, Location l, Value j, Value acc, Value pos) {
          return insertAt(b, l, sliceAt(b, l, data, a, j), acc, a, pos);
        });
    Value v = castToResult(rewriter, loc, result, *getTypeConverter(), op);
    if (!v)
      return rewriter.notifyMatchFailure(op, "result type");
    rewriter.replaceOp(op, v);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Unique
//===----------------------------------------------------------------------===//

/// Unique-11. The input is seen as [outer, n, inner] around the axis (the
/// flattened input, [1, N, 1], without one); slice j is X[:, j, :], read in
/// row-major order, which is the order `sorted` compares slices in
/// (lexicographically, as numpy does). O(n^2) slice comparisons:
///  1. first[j]: the first slice equal to slice j;
///  2. pos[j] for each first occurrence: its output position (the number
///     of unique slices before it in input order, or below it when sorted);
///     their count is the run-time output size;
///  3. one pass writes Y, indices, inverse_indices and counts.
struct UniqueLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Value x = operands[0];
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    if (!xType)
      return rewriter.notifyMatchFailure(op, "needs a ranked input");
    Type elem = xType.getElementType();
    if (!isComparable(elem))
      return rewriter.notifyMatchFailure(op, "element type");
    bool isUnsigned =
        isUnsignedInt(getElementTypeOrSelf(op->getOperand(0).getType()));
    bool sorted = intAttrOr(op, "sorted", 1) != 0;
    int64_t a = 0;
    Value data = x;
    if (auto axisAttr = op->getAttrOfType<IntegerAttr>("axis")) {
      auto axis = normalizeAxis(axisAttr.getInt(), xType.getRank());
      if (!axis)
        return rewriter.notifyMatchFailure(op, "axis out of range");
      a = *axis;
    } else {
      data = flatten(rewriter, loc, x);
    }
    int64_t rank = cast<RankedTensorType>(data.getType()).getRank();
    Value zero = cIdx(rewriter, loc, 0), one = cIdx(rewriter, loc, 1);
    Value outer = one, inner = one;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < a)
        outer = mulIdx(rewriter, loc, outer, dimOf(rewriter, loc, data, d));
      if (d > a)
        inner = mulIdx(rewriter, loc, inner, dimOf(rewriter, loc, data, d));
    }
    Value n = dimOf(rewriter, loc, data, a);
    Value sliceSize = mulIdx(rewriter, loc, outer, inner);
    Value flat = flatten(rewriter, loc, data);

    // Element e of slice j.
    auto element = [&](OpBuilder &b, Location l, Value e, Value j) -> Value {
      Value o = arith::DivUIOp::create(b, l, e, inner);
      Value i = arith::RemUIOp::create(b, l, e, inner);
      Value lin = arith::AddIOp::create(
          b, l,
          arith::MulIOp::create(
              b, l,
              arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, o, n), j),
              inner),
          i);
      return tensor::ExtractOp::create(b, l, flat, lin);
    };
    // {slice p == slice q, slice p < slice q}: the first differing element
    // decides.
    auto compare = [&](OpBuilder &b, Location l, Value p,
                       Value q) -> std::pair<Value, Value> {
      Values r = forLoop(
          b, l, cIdx(b, l, 0), sliceSize,
          {cBool(b, l, false), cBool(b, l, false)},
          [&](OpBuilder &b, Location l, Value e, ValueRange st) -> Values {
            Value u = element(b, l, e, p), v = element(b, l, e, q);
            Value differ = notI(b, l, equal(b, l, u, v));
            Value less = arith::SelectOp::create(
                b, l, st[0], st[1], greater(b, l, v, u, isUnsigned));
            return {orI(b, l, st[0], differ), less};
          });
      return {notI(b, l, r[0]), r[1]};
    };
    auto indexTensor = [&](Value size) {
      return emptyTensor(rewriter, loc, {size}, rewriter.getIndexType());
    };

    // 1. first occurrences.
    Value first = forLoop(
        rewriter, loc, zero, n, {indexTensor(n)},
        [&](OpBuilder &b, Location l, Value j, ValueRange st) -> Values {
          Value f = forLoop(
              b, l, cIdx(b, l, 0), j, {j},
              [&](OpBuilder &b, Location l, Value jp, ValueRange fs) -> Values {
                Value notFound =
                    cmpIdx(b, l, arith::CmpIPredicate::eq, fs[0], j);
                return ifElse(
                    b, l, notFound,
                    [&](OpBuilder &b, Location l) -> Values {
                      Value same = compare(b, l, jp, j).first;
                      return {arith::SelectOp::create(b, l, same, jp, fs[0])};
                    },
                    [&](OpBuilder &, Location) -> Values { return {fs[0]}; });
              })[0];
          return {tensor::InsertOp::create(b, l, f, st[0], j)};
        })[0];
    auto isFirst = [&](OpBuilder &b, Location l, Value j) {
      return cmpIdx(b, l, arith::CmpIPredicate::eq,
                    tensor::ExtractOp::create(b, l, first, j), j);
    };

    // 2. output positions and the unique count.
    Values posCount = forLoop(
        rewriter, loc, zero, n, {indexTensor(n), zero},
        [&](OpBuilder &b, Location l, Value j, ValueRange st) -> Values {
          Value unique = isFirst(b, l, j);
          Value p = st[1];
          if (sorted)
            p = ifElse(
                b, l, unique,
                [&](OpBuilder &b, Location l) -> Values {
                  return forLoop(b, l, cIdx(b, l, 0), n, {cIdx(b, l, 0)},
                                 [&](OpBuilder &b, Location l, Value jp,
                                     ValueRange acc) -> Values {
                                   return ifElse(
                                       b, l, isFirst(b, l, jp),
                                       [&](OpBuilder &b, Location l) -> Values {
                                         Value less =
                                             compare(b, l, jp, j).second;
                                         return {arith::AddIOp::create(
                                             b, l, acc[0],
                                             arith::SelectOp::create(
                                                 b, l, less, cIdx(b, l, 1),
                                                 cIdx(b, l, 0)))};
                                       },
                                       [&](OpBuilder &, Location) -> Values {
                                         return {acc[0]};
                                       });
                                 });
                },
                [&](OpBuilder &b, Location l) -> Values {
                  return {cIdx(b, l, 0)};
                })[0];
          Value next = arith::AddIOp::create(
              b, l, st[1],
              arith::SelectOp::create(b, l, unique, cIdx(b, l, 1),
                                      cIdx(b, l, 0)));
          return {tensor::InsertOp::create(b, l, p, st[0], j), next};
        });
    Value pos = posCount[0], count = posCount[1];

    // 3. the outputs.
    Type i64 = rewriter.getI64Type();
    auto vecType = RankedTensorType::get({ShapedType::kDynamic}, i64);
    Value y = emptyWithAxis(rewriter, loc, data, a, count, elem);
    Value indices = tensor::EmptyOp::create(rewriter, loc, vecType.getShape(),
                                            i64, ValueRange{count});
    Value inverse = emptyTensor(rewriter, loc, {n}, i64);
    Value counts = createFilled(rewriter, loc, vecType, 0, ValueRange{count});
    Values outs = forLoop(
        rewriter, loc, zero, n, {y, indices, inverse, counts},
        [&](OpBuilder &b, Location l, Value j, ValueRange st) -> Values {
          Value f = tensor::ExtractOp::create(b, l, first, j);
          Value p = tensor::ExtractOp::create(b, l, pos, f);
          Value inv = tensor::InsertOp::create(b, l, toI64(b, l, p), st[2], j);
          Value c = tensor::ExtractOp::create(b, l, st[3], p);
          Value cnt = tensor::InsertOp::create(
              b, l,
              arith::AddIOp::create(b, l, c, scalarConstant(b, l, i64, 1)),
              st[3], p);
          Values yi = ifElse(
              b, l, cmpIdx(b, l, arith::CmpIPredicate::eq, f, j),
              [&](OpBuilder &b, Location l) -> Values {
                Value slice = sliceAt(b, l, data, a, j);
                return {
                    insertAt(b, l, slice, st[0], a, p),
                    tensor::InsertOp::create(b, l, toI64(b, l, j), st[1], p)};
              },
              [&](OpBuilder &, Location) -> Values {
                return {st[0], st[1]};
              });
          return {yi[0], yi[1], inv, cnt};
        });

    SmallVector<Value> results;
    for (unsigned r = 0; r < 4; ++r) {
      if (isa<NoneType>(op->getResult(r).getType())) {
        results.push_back(Value());
        continue;
      }
      Value v =
          castToResult(rewriter, loc, outs[r], *getTypeConverter(), op, r);
      if (!v)
        return rewriter.notifyMatchFailure(op, "result types");
      results.push_back(v);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// NonMaxSuppression
//===----------------------------------------------------------------------===//

/// NonMaxSuppression-10/11, as ONNX Runtime does it: per batch and class,
/// candidates (score > score_threshold when given) are taken by score,
/// highest first, the lower box index first among equal scores; one is
/// kept when its IoU with every box kept so far in the class is at most
/// iou_threshold, until max_output_boxes_per_class are kept (absent or 0:
/// none). Rather than sort, each step picks the best candidate after the
/// previous one (O(N^2) per class). Results go to a [B*C*N, 3] scratch
/// tensor whose first `total` rows are the output.
struct NonMaxSuppressionLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    Value boxes = operands[0], scores = operands[1];
    auto boxesType = dyn_cast<RankedTensorType>(boxes.getType());
    auto scoresType = dyn_cast<RankedTensorType>(scores.getType());
    if (!boxesType || !scoresType || boxesType.getRank() != 3 ||
        scoresType.getRank() != 3 || boxesType.getDimSize(2) != 4)
      return rewriter.notifyMatchFailure(
          op, "needs boxes [B, N, 4] and scores [B, C, N]");
    Type f = boxesType.getElementType();
    if (!isa<FloatType>(f) || scoresType.getElementType() != f)
      return rewriter.notifyMatchFailure(op, "element type");
    int64_t center = intAttrOr(op, "center_point_box", 0);
    if (center != 0 && center != 1)
      return rewriter.notifyMatchFailure(op, "center_point_box not 0 or 1");

    Value zero = cIdx(rewriter, loc, 0);
    Value none = cIdx(rewriter, loc, -1);
    Value maxOut = zero;
    if (operands.size() > 2 && !isNoValue(operands[2]))
      maxOut = arith::MaxSIOp::create(
          rewriter, loc,
          arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                     extractScalar(rewriter, loc, operands[2])),
          zero);
    Value iouThreshold = scalarConstant(rewriter, loc, f, 0);
    if (operands.size() > 3 && !isNoValue(operands[3]))
      iouThreshold = extractScalar(rewriter, loc, operands[3]);
    Value scoreThreshold;
    if (operands.size() > 4 && !isNoValue(operands[4]))
      scoreThreshold = extractScalar(rewriter, loc, operands[4]);

    Value numBatches = dimOf(rewriter, loc, boxes, 0);
    Value numBoxes = dimOf(rewriter, loc, boxes, 1);
    Value numClasses = dimOf(rewriter, loc, scores, 1);
    Value capacity = mulIdx(
        rewriter, loc, mulIdx(rewriter, loc, numBatches, numClasses), numBoxes);
    Type i64 = rewriter.getI64Type();
    Value out =
        emptyTensor(rewriter, loc, {capacity, rewriter.getIndexAttr(3)}, i64);
    // Box indices kept so far in the current class.
    Value kept =
        emptyTensor(rewriter, loc, {numBoxes}, rewriter.getIndexType());

    // {ymin, xmin, ymax, xmax} of box `i` of batch `batch`.
    auto corners = [&](OpBuilder &b, Location l, Value batch,
                       Value i) -> std::array<Value, 4> {
      Value c[4];
      for (int64_t k = 0; k < 4; ++k)
        c[k] = tensor::ExtractOp::create(b, l, boxes,
                                         ValueRange{batch, i, cIdx(b, l, k)});
      if (center == 0) // [y1, x1, y2, x2], either corner first
        return {arith::MinimumFOp::create(b, l, c[0], c[2]),
                arith::MinimumFOp::create(b, l, c[1], c[3]),
                arith::MaximumFOp::create(b, l, c[0], c[2]),
                arith::MaximumFOp::create(b, l, c[1], c[3])};
      // [x_center, y_center, width, height]
      Value two = scalarConstant(b, l, f, 2);
      Value halfW = arith::DivFOp::create(b, l, c[2], two);
      Value halfH = arith::DivFOp::create(b, l, c[3], two);
      return {arith::SubFOp::create(b, l, c[1], halfH),
              arith::SubFOp::create(b, l, c[0], halfW),
              arith::AddFOp::create(b, l, c[1], halfH),
              arith::AddFOp::create(b, l, c[0], halfW)};
    };
    // IoU(p, q) > iou_threshold; empty intersections and degenerate boxes
    // never suppress.
    auto suppresses = [&](OpBuilder &b, Location l, Value batch, Value p,
                          Value q) -> Value {
      auto [ay0, ax0, ay1, ax1] = corners(b, l, batch, p);
      auto [by0, bx0, by1, bx1] = corners(b, l, batch, q);
      Value zeroF = scalarConstant(b, l, f, 0);
      auto positive = [&](Value v) {
        return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, zeroF)
            .getResult();
      };
      Value iw =
          arith::SubFOp::create(b, l, arith::MinimumFOp::create(b, l, ax1, bx1),
                                arith::MaximumFOp::create(b, l, ax0, bx0));
      Value ih =
          arith::SubFOp::create(b, l, arith::MinimumFOp::create(b, l, ay1, by1),
                                arith::MaximumFOp::create(b, l, ay0, by0));
      Value inter = arith::MulFOp::create(b, l, iw, ih);
      Value areaA =
          arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, ax1, ax0),
                                arith::SubFOp::create(b, l, ay1, ay0));
      Value areaB =
          arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, bx1, bx0),
                                arith::SubFOp::create(b, l, by1, by0));
      Value uni = arith::SubFOp::create(
          b, l, arith::AddFOp::create(b, l, areaA, areaB), inter);
      Value valid = andI(b, l, andI(b, l, positive(iw), positive(ih)),
                         andI(b, l, andI(b, l, positive(inter), positive(uni)),
                              andI(b, l, positive(areaA), positive(areaB))));
      Value iou = arith::DivFOp::create(b, l, inter, uni);
      return andI(b, l, valid,
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, iou,
                                        iouThreshold));
    };

    auto perClass = [&](OpBuilder &b, Location l, Value batch, Value cls,
                        ValueRange st) -> Values {
      // state: out, total, kept, numKept, prevScore, prevIndex
      Value zeroF = scalarConstant(b, l, f, 0);
      Values init{st[0], st[1], st[2], cIdx(b, l, 0), zeroF, none};
      Values r = forLoop(
          b, l, cIdx(b, l, 0), numBoxes, init,
          [&](OpBuilder &b, Location l, Value, ValueRange s) -> Values {
            Value prevS = s[4], prevI = s[5];
            Value hasPrev =
                cmpIdx(b, l, arith::CmpIPredicate::sge, prevI, cIdx(b, l, 0));
            Values best = forLoop(
                b, l, cIdx(b, l, 0), numBoxes, {zeroF, cIdx(b, l, -1)},
                [&](OpBuilder &b, Location l, Value j,
                    ValueRange bs) -> Values {
                  Value sc = tensor::ExtractOp::create(
                      b, l, scores, ValueRange{batch, cls, j});
                  Value candidate = cBool(b, l, true);
                  if (scoreThreshold)
                    candidate = arith::CmpFOp::create(
                        b, l, arith::CmpFPredicate::OGT, sc, scoreThreshold);
                  Value after = orI(
                      b, l,
                      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, sc,
                                            prevS),
                      andI(b, l,
                           arith::CmpFOp::create(
                               b, l, arith::CmpFPredicate::OEQ, sc, prevS),
                           cmpIdx(b, l, arith::CmpIPredicate::sgt, j, prevI)));
                  Value eligible = andI(b, l, candidate,
                                        orI(b, l, notI(b, l, hasPrev), after));
                  Value improves =
                      orI(b, l,
                          cmpIdx(b, l, arith::CmpIPredicate::slt, bs[1],
                                 cIdx(b, l, 0)),
                          arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                                sc, bs[0]));
                  Value take = andI(b, l, eligible, improves);
                  return {arith::SelectOp::create(b, l, take, sc, bs[0]),
                          arith::SelectOp::create(b, l, take, j, bs[1])};
                });
            Value found =
                cmpIdx(b, l, arith::CmpIPredicate::sge, best[1], cIdx(b, l, 0));
            Value room = cmpIdx(b, l, arith::CmpIPredicate::slt, s[3], maxOut);
            Values added = ifElse(
                b, l, andI(b, l, found, room),
                [&](OpBuilder &b, Location l) -> Values {
                  Value suppressed = forLoop(
                      b, l, cIdx(b, l, 0), s[3], {cBool(b, l, false)},
                      [&](OpBuilder &b, Location l, Value q,
                          ValueRange sup) -> Values {
                        Value other = tensor::ExtractOp::create(b, l, s[2], q);
                        return {orI(b, l, sup[0],
                                    suppresses(b, l, batch, other, best[1]))};
                      })[0];
                  return ifElse(
                      b, l, suppressed,
                      [&](OpBuilder &, Location) -> Values {
                        return {s[0], s[1], s[2], s[3]};
                      },
                      [&](OpBuilder &b, Location l) -> Values {
                        Value o = s[0];
                        Value row[3] = {batch, cls, best[1]};
                        for (int64_t c = 0; c < 3; ++c)
                          o = tensor::InsertOp::create(
                              b, l, toI64(b, l, row[c]), o,
                              ValueRange{s[1], cIdx(b, l, c)});
                        Value k =
                            tensor::InsertOp::create(b, l, best[1], s[2], s[3]);
                        Value inc = cIdx(b, l, 1);
                        return {o, arith::AddIOp::create(b, l, s[1], inc), k,
                                arith::AddIOp::create(b, l, s[3], inc)};
                      });
                },
                [&](OpBuilder &, Location) -> Values {
                  return {s[0], s[1], s[2], s[3]};
                });
            // Once nothing is found, later steps find nothing either.
            Value nextS = arith::SelectOp::create(b, l, found, best[0], prevS);
            Value nextI = arith::SelectOp::create(b, l, found, best[1], prevI);
            return {added[0], added[1], added[2], added[3], nextS, nextI};
          });
      return {r[0], r[1], r[2]};
    };

    Values res = forLoop(
        rewriter, loc, zero, numBatches, {out, zero, kept},
        [&](OpBuilder &b, Location l, Value batch, ValueRange st) -> Values {
          return forLoop(b, l, cIdx(b, l, 0), numClasses, st,
                         [&](OpBuilder &b, Location l, Value cls,
                             ValueRange st2) -> Values {
                           return perClass(b, l, batch, cls, st2);
                         });
        });
    SmallVector<OpFoldResult> offsets(2, rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{res[1], rewriter.getIndexAttr(3)};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    Value selected = tensor::ExtractSliceOp::create(rewriter, loc, res[0],
                                                    offsets, sizes, strides);
    Value v = castToResult(rewriter, loc, selected, *getTypeConverter(), op);
    if (!v)
      return rewriter.notifyMatchFailure(op, "result type");
    rewriter.replaceOp(op, v);
    return success();
  }
};

} // namespace

void populateSelectionLoweringPatterns(OnnxTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.TopK", "onnx.TopK_v10", "onnx.TopK_v1"})
    patterns.add<TopKLowering>(converter, ctx, name);
  patterns.add<NonZeroLowering>(converter, ctx, "onnx.NonZero");
  patterns.add<CompressLowering>(converter, ctx, "onnx.Compress");
  patterns.add<UniqueLowering>(converter, ctx, "onnx.Unique");
  patterns.add<NonMaxSuppressionLowering>(converter, ctx,
                                          "onnx.NonMaxSuppression");
}

} // namespace onnxc
