//===- Elementwise.cpp - Lower elementwise ONNX ops to linalg.generic -----===//
//
// One pattern serves every elementwise op: operands are read with
// multidirectional broadcasting into a linalg.generic, and a per-op body
// computes one element. Each body returns null for an element type it does
// not handle, which leaves the op unlowered (and reported).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "llvm/ADT/StringSet.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
namespace {

/// Computes one element. `in` is the element type of the first operand
/// before conversion (so unsigned ints are visible).
using BodyFn = Value (*)(OpBuilder &b, Location loc, Operation *op, Type in,
                         ValueRange args);

bool isFloat(Type t) { return isa<FloatType>(t); }
bool isInt(Type t) { return isa<IntegerType>(t); }

Value fconst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConstant(b, loc, like.getType(), v);
}

//===----------------------------------------------------------------------===//
// Binary and variadic arithmetic
//===----------------------------------------------------------------------===//

template <typename FOp, typename IOp>
Value arith2(OpBuilder &b, Location loc, Type in, ValueRange a) {
  Value acc = a[0];
  for (Value v : a.drop_front()) {
    if (isFloat(in))
      acc = FOp::create(b, loc, acc, v);
    else if (isInt(in))
      acc = IOp::create(b, loc, acc, v);
    else
      return {};
  }
  return acc;
}

Value addBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  return arith2<arith::AddFOp, arith::AddIOp>(b, l, in, a);
}
Value subBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  return arith2<arith::SubFOp, arith::SubIOp>(b, l, in, a);
}
Value mulBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  return arith2<arith::MulFOp, arith::MulIOp>(b, l, in, a);
}
Value divBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isUnsignedInt(in))
    return arith::DivUIOp::create(b, l, a[0], a[1]);
  return arith2<arith::DivFOp, arith::DivSIOp>(b, l, in, a);
}
Value maxBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isUnsignedInt(in))
    return arith2<arith::MaximumFOp, arith::MaxUIOp>(b, l, in, a);
  return arith2<arith::MaximumFOp, arith::MaxSIOp>(b, l, in, a);
}
Value minBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isUnsignedInt(in))
    return arith2<arith::MinimumFOp, arith::MinUIOp>(b, l, in, a);
  return arith2<arith::MinimumFOp, arith::MinSIOp>(b, l, in, a);
}
Value meanBody(OpBuilder &b, Location l, Operation *op, Type in,
               ValueRange a) {
  if (!isFloat(in))
    return {};
  Value sum = addBody(b, l, op, in, a);
  return arith::DivFOp::create(b, l, sum, fconst(b, l, sum, a.size()));
}
Value powBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isInt(in)) {
    // Integer base: exponentiation by squaring (math.ipowi); a float
    // exponent is applied in double and truncated, as ONNX Runtime does.
    Value exponent = a[1];
    Type baseType = a[0].getType();
    if (isa<FloatType>(exponent.getType())) {
      Value fb = arith::SIToFPOp::create(b, l, b.getF64Type(), a[0]);
      Value fe = exponent.getType().isF64()
                     ? exponent
                     : (Value)arith::ExtFOp::create(b, l, b.getF64Type(),
                                                    exponent);
      return arith::FPToSIOp::create(b, l, baseType,
                                     math::PowFOp::create(b, l, fb, fe));
    }
    unsigned bw = baseType.getIntOrFloatBitWidth(),
             ew = exponent.getType().getIntOrFloatBitWidth();
    if (ew < bw)
      exponent = arith::ExtSIOp::create(b, l, baseType, exponent);
    else if (ew > bw)
      exponent = arith::TruncIOp::create(b, l, baseType, exponent);
    return math::IPowIOp::create(b, l, a[0], exponent);
  }
  if (!isFloat(in))
    return {};
  Value exponent = a[1];
  Type expType = exponent.getType();
  if (isa<IntegerType>(expType))
    exponent = arith::SIToFPOp::create(b, l, a[0].getType(), exponent);
  else if (expType != a[0].getType())
    exponent = arith::TruncFOp::create(b, l, a[0].getType(), exponent);
  return math::PowFOp::create(b, l, a[0], exponent);
}
Value modBody(OpBuilder &b, Location l, Operation *op, Type in, ValueRange a) {
  bool fmod = intAttrOr(op, "fmod", 0) != 0;
  if (isFloat(in))
    return fmod ? arith::RemFOp::create(b, l, a[0], a[1]) : Value();
  if (!isInt(in))
    return {};
  if (isUnsignedInt(in))
    return arith::RemUIOp::create(b, l, a[0], a[1]);
  Value rem = arith::RemSIOp::create(b, l, a[0], a[1]);
  if (fmod)
    return rem;
  // Python-style: the result takes the divisor's sign.
  Value zero = fconst(b, l, rem, 0);
  Value remNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, rem, zero);
  Value divNeg =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, a[1], zero);
  Value nonZero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, rem, zero);
  Value differ = arith::XOrIOp::create(b, l, remNeg, divNeg);
  Value fix = arith::AndIOp::create(b, l, differ, nonZero);
  Value adjusted = arith::AddIOp::create(b, l, rem, a[1]);
  return arith::SelectOp::create(b, l, fix, adjusted, rem);
}
Value bitShiftBody(OpBuilder &b, Location l, Operation *op, Type in,
                   ValueRange a) {
  auto dir = op->getAttrOfType<StringAttr>("direction");
  if (!isInt(in) || !dir)
    return {};
  // Shifting by the width or more gives 0 in ONNX; arith leaves it poison.
  unsigned width = in.getIntOrFloatBitWidth();
  Value shifted = dir.getValue() == "LEFT"
                      ? (Value)arith::ShLIOp::create(b, l, a[0], a[1])
                      : (Value)arith::ShRUIOp::create(b, l, a[0], a[1]);
  Value tooFar = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, a[1],
                                       fconst(b, l, a[1], width));
  return arith::SelectOp::create(b, l, tooFar, fconst(b, l, shifted, 0),
                                 shifted);
}
Value bitwiseAndBody(OpBuilder &b, Location l, Operation *, Type in,
                     ValueRange a) {
  return isInt(in) ? arith::AndIOp::create(b, l, a[0], a[1]) : Value();
}
Value bitwiseOrBody(OpBuilder &b, Location l, Operation *, Type in,
                    ValueRange a) {
  return isInt(in) ? arith::OrIOp::create(b, l, a[0], a[1]) : Value();
}
Value bitwiseXorBody(OpBuilder &b, Location l, Operation *, Type in,
                     ValueRange a) {
  return isInt(in) ? arith::XOrIOp::create(b, l, a[0], a[1]) : Value();
}
Value preluBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (!isFloat(in))
    return {};
  Value zero = fconst(b, l, a[0], 0);
  Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a[0], zero);
  Value scaled = arith::MulFOp::create(b, l, a[0], a[1]);
  return arith::SelectOp::create(b, l, neg, scaled, a[0]);
}

//===----------------------------------------------------------------------===//
// Comparisons and logic
//===----------------------------------------------------------------------===//

template <arith::CmpFPredicate F, arith::CmpIPredicate S,
          arith::CmpIPredicate U>
Value compareBody(OpBuilder &b, Location l, Operation *, Type in,
                  ValueRange a) {
  if (isFloat(in))
    return arith::CmpFOp::create(b, l, F, a[0], a[1]);
  if (isInt(in))
    return arith::CmpIOp::create(b, l, isUnsignedInt(in) ? U : S, a[0], a[1]);
  return {};
}
Value whereBody(OpBuilder &b, Location l, Operation *, Type, ValueRange a) {
  return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
}
Value notBody(OpBuilder &b, Location l, Operation *, Type, ValueRange a) {
  return arith::XOrIOp::create(b, l, a[0], fconst(b, l, a[0], 1));
}

//===----------------------------------------------------------------------===//
// Unary math and activations (float)
//===----------------------------------------------------------------------===//

template <typename MathOp>
Value unaryFloat(OpBuilder &b, Location l, Operation *, Type in,
                 ValueRange a) {
  return isFloat(in) ? MathOp::create(b, l, a[0]).getResult() : Value();
}
Value absBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isFloat(in))
    return math::AbsFOp::create(b, l, a[0]);
  if (isUnsignedInt(in))
    return a[0];
  return isInt(in) ? math::AbsIOp::create(b, l, a[0]).getResult() : Value();
}
Value negBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (isFloat(in))
    return arith::NegFOp::create(b, l, a[0]);
  return isInt(in) ? arith::SubIOp::create(b, l, fconst(b, l, a[0], 0), a[0])
                         .getResult()
                   : Value();
}
Value reciprocalBody(OpBuilder &b, Location l, Operation *, Type in,
                     ValueRange a) {
  if (!isFloat(in))
    return {};
  return arith::DivFOp::create(b, l, fconst(b, l, a[0], 1), a[0]);
}
Value reluBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  Value zero = fconst(b, l, a[0], 0);
  // nsz: NaN still propagates, but Relu(-0) may be -0. Ordering the zeros
  // costs LLVM's x86 llvm.maximum a sign test and two blends per vector,
  // in every convolution's epilogue.
  if (isFloat(in))
    return arith::MaximumFOp::create(b, l, a[0], zero,
                                     arith::FastMathFlags::nsz);
  return isInt(in) ? arith::MaxSIOp::create(b, l, a[0], zero).getResult()
                   : Value();
}
Value sigmoidFloat(OpBuilder &b, Location l, Value x) {
  Value one = fconst(b, l, x, 1);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}
Value sigmoidBody(OpBuilder &b, Location l, Operation *, Type in,
                  ValueRange a) {
  return isFloat(in) ? sigmoidFloat(b, l, a[0]) : Value();
}
Value leakyReluBody(OpBuilder &b, Location l, Operation *op, Type in,
                    ValueRange a) {
  if (!isFloat(in))
    return {};
  Value x = a[0];
  Value alpha = fconst(b, l, x, floatAttrOr(op, "alpha", 0.01f));
  Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                    fconst(b, l, x, 0));
  return arith::SelectOp::create(b, l, neg, arith::MulFOp::create(b, l, x, alpha),
                                 x);
}
/// alpha * (exp(x) - 1) for x < 0, else x; shared by Elu, Selu and Celu.
Value expLinear(OpBuilder &b, Location l, Value x, double alpha) {
  Value em1 = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, x),
                                    fconst(b, l, x, 1));
  Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                    fconst(b, l, x, 0));
  return arith::SelectOp::create(
      b, l, neg, arith::MulFOp::create(b, l, em1, fconst(b, l, x, alpha)), x);
}
Value eluBody(OpBuilder &b, Location l, Operation *op, Type in, ValueRange a) {
  return isFloat(in) ? expLinear(b, l, a[0], floatAttrOr(op, "alpha", 1.0f))
                     : Value();
}
Value seluBody(OpBuilder &b, Location l, Operation *op, Type in,
               ValueRange a) {
  if (!isFloat(in))
    return {};
  double alpha = floatAttrOr(op, "alpha", 1.67326319217681884765625f);
  double gamma = floatAttrOr(op, "gamma", 1.05070102214813232421875f);
  return arith::MulFOp::create(b, l, expLinear(b, l, a[0], alpha),
                               fconst(b, l, a[0], gamma));
}
Value celuBody(OpBuilder &b, Location l, Operation *op, Type in,
               ValueRange a) {
  if (!isFloat(in))
    return {};
  // max(0,x) + min(0, alpha*(exp(x/alpha)-1))
  Value x = a[0];
  double alpha = floatAttrOr(op, "alpha", 1.0f);
  Value scaled = arith::DivFOp::create(b, l, x, fconst(b, l, x, alpha));
  Value em1 = arith::SubFOp::create(b, l, math::ExpOp::create(b, l, scaled),
                                    fconst(b, l, x, 1));
  Value neg = arith::MinimumFOp::create(
      b, l, fconst(b, l, x, 0),
      arith::MulFOp::create(b, l, em1, fconst(b, l, x, alpha)));
  Value pos = arith::MaximumFOp::create(b, l, fconst(b, l, x, 0), x);
  return arith::AddFOp::create(b, l, pos, neg);
}
Value hardSigmoidFloat(OpBuilder &b, Location l, Value x, double alpha,
                       double beta) {
  Value v = arith::AddFOp::create(
      b, l, arith::MulFOp::create(b, l, x, fconst(b, l, x, alpha)),
      fconst(b, l, x, beta));
  v = arith::MaximumFOp::create(b, l, v, fconst(b, l, x, 0));
  return arith::MinimumFOp::create(b, l, v, fconst(b, l, x, 1));
}
Value hardSigmoidBody(OpBuilder &b, Location l, Operation *op, Type in,
                      ValueRange a) {
  return isFloat(in) ? hardSigmoidFloat(b, l, a[0], floatAttrOr(op, "alpha", 0.2f),
                                        floatAttrOr(op, "beta", 0.5f))
                     : Value();
}
Value hardSwishBody(OpBuilder &b, Location l, Operation *, Type in,
                    ValueRange a) {
  if (!isFloat(in))
    return {};
  return arith::MulFOp::create(b, l, a[0],
                               hardSigmoidFloat(b, l, a[0], 1.0 / 6, 0.5));
}
Value thresholdedReluBody(OpBuilder &b, Location l, Operation *op, Type in,
                          ValueRange a) {
  if (!isFloat(in))
    return {};
  Value x = a[0];
  Value above = arith::CmpFOp::create(
      b, l, arith::CmpFPredicate::OGT, x,
      fconst(b, l, x, floatAttrOr(op, "alpha", 1.0f)));
  return arith::SelectOp::create(b, l, above, x, fconst(b, l, x, 0));
}
Value softplusFloat(OpBuilder &b, Location l, Value x) {
  // log(1 + exp(x)), computed as max(x,0) + log1p(exp(-|x|)) so large x
  // does not overflow.
  Value absx = math::AbsFOp::create(b, l, x);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, absx));
  Value lp = math::Log1pOp::create(b, l, e);
  Value pos = arith::MaximumFOp::create(b, l, x, fconst(b, l, x, 0));
  return arith::AddFOp::create(b, l, pos, lp);
}
Value softplusBody(OpBuilder &b, Location l, Operation *, Type in,
                   ValueRange a) {
  return isFloat(in) ? softplusFloat(b, l, a[0]) : Value();
}
Value softsignBody(OpBuilder &b, Location l, Operation *, Type in,
                   ValueRange a) {
  if (!isFloat(in))
    return {};
  Value denom = arith::AddFOp::create(b, l, fconst(b, l, a[0], 1),
                                      math::AbsFOp::create(b, l, a[0]));
  return arith::DivFOp::create(b, l, a[0], denom);
}
Value mishBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  if (!isFloat(in))
    return {};
  return arith::MulFOp::create(
      b, l, a[0], math::TanhOp::create(b, l, softplusFloat(b, l, a[0])));
}
Value signBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  Value x = a[0];
  Value zero = fconst(b, l, x, 0), one = fconst(b, l, x, 1),
        minus = fconst(b, l, x, -1);
  Value pos, neg;
  if (isFloat(in)) {
    pos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, zero);
    neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, zero);
  } else if (isInt(in)) {
    pos = arith::CmpIOp::create(b, l,
                                isUnsignedInt(in) ? arith::CmpIPredicate::ugt
                                                  : arith::CmpIPredicate::sgt,
                                x, zero);
    neg = isUnsignedInt(in)
              ? (Value)arith::ConstantOp::create(b, l, b.getBoolAttr(false))
              : (Value)arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                             x, zero);
  } else {
    return {};
  }
  Value r = arith::SelectOp::create(b, l, neg, minus, zero);
  return arith::SelectOp::create(b, l, pos, one, r);
}
Value isNaNBody(OpBuilder &b, Location l, Operation *, Type in, ValueRange a) {
  return isFloat(in) ? arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO,
                                             a[0], a[0])
                           .getResult()
                     : Value();
}
Value isInfBody(OpBuilder &b, Location l, Operation *op, Type in,
                ValueRange a) {
  if (!isFloat(in))
    return {};
  Value x = a[0];
  Value inf = fconst(b, l, x, INFINITY), ninf = fconst(b, l, x, -INFINITY);
  Value isPos = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, inf);
  Value isNeg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, ninf);
  Value no = arith::ConstantOp::create(b, l, b.getBoolAttr(false));
  if (intAttrOr(op, "detect_positive", 1) == 0)
    isPos = no;
  if (intAttrOr(op, "detect_negative", 1) == 0)
    isNeg = no;
  return arith::OrIOp::create(b, l, isPos, isNeg);
}
Value shrinkBody(OpBuilder &b, Location l, Operation *op, Type in,
                 ValueRange a) {
  if (!isFloat(in))
    return {};
  Value x = a[0];
  double lambd = floatAttrOr(op, "lambd", 0.5f), bias = floatAttrOr(op, "bias", 0.0f);
  Value below = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x,
                                      fconst(b, l, x, -lambd));
  Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x,
                                      fconst(b, l, x, lambd));
  Value r = arith::SelectOp::create(
      b, l, above, arith::SubFOp::create(b, l, x, fconst(b, l, x, bias)),
      fconst(b, l, x, 0));
  return arith::SelectOp::create(
      b, l, below, arith::AddFOp::create(b, l, x, fconst(b, l, x, bias)), r);
}
Value identityBody(OpBuilder &, Location, Operation *, Type, ValueRange a) {
  return a[0];
}

//===----------------------------------------------------------------------===//
// Clip: bounds come from attributes (v1, v6) or optional inputs (v11+).
//===----------------------------------------------------------------------===//

Value clipBody(OpBuilder &b, Location l, Operation *op, Type in,
               ValueRange a) {
  Value x = a[0];
  Value lo, hi;
  if (a.size() == 3) { // min and max inputs, both present
    lo = a[1];
    hi = a[2];
  } else if (op->getAttr("min") || op->getAttr("max") ||
             op->getName().getStringRef() != "onnx.Clip") {
    if (!isFloat(in))
      return {};
    lo = fconst(b, l, x, floatAttrOr(op, "min", -INFINITY));
    hi = fconst(b, l, x, floatAttrOr(op, "max", INFINITY));
  } else if (a.size() == 1) {
    return x; // Clip-11+ with neither bound: the identity
  } else {
    return {}; // handled by ClipLowering, which knows which input is which
  }
  if (isFloat(in)) {
    // ONNX Clip: min(max(x, lo), hi); NaN in x stays NaN, as in numpy and
    // ONNX Runtime (maxnumf would return the bound). nsz as Relu's.
    auto nsz = arith::FastMathFlags::nsz;
    Value v = arith::MaximumFOp::create(b, l, x, lo, nsz);
    return arith::MinimumFOp::create(b, l, v, hi, nsz);
  }
  if (!isInt(in))
    return {};
  bool u = isUnsignedInt(in);
  Value v = u ? (Value)arith::MaxUIOp::create(b, l, x, lo)
              : (Value)arith::MaxSIOp::create(b, l, x, lo);
  return u ? (Value)arith::MinUIOp::create(b, l, v, hi)
           : (Value)arith::MinSIOp::create(b, l, v, hi);
}

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

/// The model's ai.onnx opset (module attribute onnx.opset_import); a large
/// value when unknown, so the current semantics apply.
int64_t modelOpset(Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  auto opsets =
      module ? module->getAttrOfType<DictionaryAttr>("onnx.opset_import")
             : DictionaryAttr();
  if (auto v = opsets ? opsets.getAs<IntegerAttr>("ai.onnx") : IntegerAttr())
    return v.getInt();
  return INT64_MAX;
}

/// A 1-D per-channel slope reshaped to [C, 1, ..., 1] so that it lines up
/// with dim 1 of `x` under numpy broadcasting.
Value alignChannelSlope(OpBuilder &b, Location loc, Value x, Value slope) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto sType = cast<RankedTensorType>(slope.getType());
  int64_t trailing = xType.getRank() - 2;
  SmallVector<int64_t> shape{sType.getDimSize(0)};
  shape.append(trailing, 1);
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i <= trailing; ++i)
    groups[0].push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, sType.getElementType()), slope,
      groups);
}

/// B reshaped to A's rank for the legacy broadcast of opsets 1-6: B's dims
/// sit at A's dims `axis`.. (default: A's trailing dims), size-1 dims
/// elsewhere. Null when that does not fit.
Value alignLegacyBroadcast(OpBuilder &b, Location loc, Value a, Value bValue,
                           Operation *op) {
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  auto bType = dyn_cast<RankedTensorType>(bValue.getType());
  if (!aType || !bType || !bType.hasStaticShape())
    return {};
  int64_t rankA = aType.getRank(), rankB = bType.getRank();
  if (rankB > rankA)
    return {};
  int64_t axis = intAttrOr(op, "axis", rankA - rankB);
  if (axis < 0)
    axis += rankA;
  if (axis < 0 || axis + rankB > rankA)
    return {};
  if (rankA == rankB)
    return bValue;
  SmallVector<int64_t> shape(rankA, 1);
  for (int64_t d = 0; d < rankB; ++d)
    shape[axis + d] = bType.getDimSize(d);
  // Each dim of B takes the 1s before it (the first) or after it (the
  // last) into its reassociation group.
  SmallVector<ReassociationIndices> groups;
  if (rankB > 0) {
    for (int64_t d = 0; d < rankB; ++d)
      groups.push_back({axis + d});
    for (int64_t i = axis - 1; i >= 0; --i)
      groups.front().insert(groups.front().begin(), i);
    for (int64_t i = axis + rankB; i < rankA; ++i)
      groups.back().push_back(i);
  }
  auto type = RankedTensorType::get(shape, bType.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, type, bValue, groups);
}

struct ElementwiseLowering : ConversionPattern {
  ElementwiseLowering(const TypeConverter &converter, MLIRContext *context,
                      StringRef opName, BodyFn body)
      : ConversionPattern(converter, opName, /*benefit=*/1, context),
        body(body) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType =
        convertedResultType(*getTypeConverter(), op);
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result shape is unknown");
    SmallVector<Value> inputs;
    Type in;
    for (auto [original, converted] : llvm::zip(op->getOperands(), operands)) {
      if (isNoValue(converted))
        continue;
      auto type = dyn_cast<RankedTensorType>(converted.getType());
      if (!type)
        return rewriter.notifyMatchFailure(op, "operand is not ranked");
      // Strings and other non-numeric elements have no arith lowering.
      if (!isa<FloatType, IntegerType>(type.getElementType()))
        return rewriter.notifyMatchFailure(op, "non-numeric elements");
      if (!in)
        in = getElementTypeOrSelf(original.getType());
      inputs.push_back(converted);
    }
    if (inputs.empty())
      return failure();
    // Opset-1..6 binary ops broadcast only with `broadcast = 1`, and then
    // align B with A at `axis` (default: the trailing dims).
    if (auto legacy = op->getAttrOfType<IntegerAttr>("broadcast");
        legacy && legacy.getInt() != 0 && inputs.size() == 2) {
      Value aligned = alignLegacyBroadcast(rewriter, op->getLoc(), inputs[0],
                                           inputs[1], op);
      if (!aligned)
        return rewriter.notifyMatchFailure(op, "legacy broadcast axis");
      inputs[1] = aligned;
    }
    // PRelu before opset 7 applies a per-channel slope to dim 1 (PyTorch's
    // PReLU exports it so); from opset 7 the slope broadcasts numpy-style.
    StringRef name = op->getName().getStringRef();
    if ((name == "onnx.PRelu" || name == "onnx.PRelu_v1") &&
        inputs.size() == 2 && modelOpset(op) < 7) {
      auto x = cast<RankedTensorType>(inputs[0].getType());
      auto slope = cast<RankedTensorType>(inputs[1].getType());
      if (x.getRank() >= 2 && slope.getRank() == 1 &&
          slope.getDimSize(0) != 1 && slope.getDimSize(0) == x.getDimSize(1)) {
        Value aligned = alignChannelSlope(rewriter, op->getLoc(), inputs[0],
                                          inputs[1]);
        if (!aligned)
          return rewriter.notifyMatchFailure(op, "PRelu slope shape");
        inputs[1] = aligned;
      }
    }
    // Clip-11+ with only one bound: materialize the missing one.
    if (op->getName().getStringRef() == "onnx.Clip" && inputs.size() == 2) {
      return rewriter.notifyMatchFailure(op, "handled by ClipLowering");
    }
    Location loc = op->getLoc();
    bool supported = true;
    Value result = buildBroadcastElementwise(
        rewriter, loc, resultType, inputs,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value v = body(b, l, op, in, args);
          if (!v) {
            supported = false;
            return args[0];
          }
          return v;
        });
    if (!supported) {
      // Remove what was built; the op stays and is reported.
      rewriter.eraseOp(result.getDefiningOp());
      return rewriter.notifyMatchFailure(op, "element type not supported");
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  BodyFn body;
};

/// Clip-11+ with one of min/max absent: the absent bound is +-infinity (or
/// the integer type's extreme), so a single comparison suffices.
struct ClipLowering : OpConversionPattern<ClipOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ClipOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    bool hasMin = !isNoValue(adaptor.getMin());
    bool hasMax = !isNoValue(adaptor.getMax());
    if (hasMin == hasMax)
      return failure(); // both or neither: the generic pattern
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType)
      return failure();
    Type in = getElementTypeOrSelf(op.getInput().getType());
    if (!isFloat(in) && !isInt(in))
      return failure();
    bool u = isUnsignedInt(in);
    Value bound = hasMin ? adaptor.getMin() : adaptor.getMax();
    Value result = buildBroadcastElementwise(
        rewriter, op.getLoc(), resultType, {adaptor.getInput(), bound},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // NaN in x stays NaN (see clipBody).
          auto nsz = arith::FastMathFlags::nsz;
          if (isFloat(in))
            return hasMin
                       ? (Value)arith::MaximumFOp::create(b, l, a[0], a[1], nsz)
                       : (Value)arith::MinimumFOp::create(b, l, a[0], a[1], nsz);
          if (hasMin)
            return u ? (Value)arith::MaxUIOp::create(b, l, a[0], a[1])
                     : (Value)arith::MaxSIOp::create(b, l, a[0], a[1]);
          return u ? (Value)arith::MinUIOp::create(b, l, a[0], a[1])
                   : (Value)arith::MinSIOp::create(b, l, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CastLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !isa<RankedTensorType>(operands[0].getType()))
      return failure();
    Type from = getElementTypeOrSelf(op->getOperand(0).getType());
    Type to = getElementTypeOrSelf(op->getResult(0).getType());
    auto isNumeric = [](Type t) { return isa<FloatType, IntegerType>(t); };
    if (!isNumeric(from) || !isNumeric(to))
      return rewriter.notifyMatchFailure(op, "only numeric casts");
    Type toConverted = resultType.getElementType();
    Value result = buildBroadcastElementwise(
        rewriter, op->getLoc(), resultType, {operands[0]},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value x = a[0];
          bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
          bool toBool = to.isInteger(1);
          if (toBool) {
            if (fromFloat)
              return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x,
                                           fconst(b, l, x, 0));
            return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x,
                                         fconst(b, l, x, 0));
          }
          if (fromFloat && toFloat) {
            unsigned fw = from.getIntOrFloatBitWidth(),
                     tw = to.getIntOrFloatBitWidth();
            if (fw < tw)
              return arith::ExtFOp::create(b, l, toConverted, x);
            if (fw > tw || from != to)
              return arith::TruncFOp::create(b, l, toConverted, x);
            return x;
          }
          if (fromFloat)
            return isUnsignedInt(to)
                       ? (Value)arith::FPToUIOp::create(b, l, toConverted, x)
                       : (Value)arith::FPToSIOp::create(b, l, toConverted, x);
          bool fromUnsigned = isUnsignedInt(from) || from.isInteger(1);
          if (toFloat)
            return fromUnsigned
                       ? (Value)arith::UIToFPOp::create(b, l, toConverted, x)
                       : (Value)arith::SIToFPOp::create(b, l, toConverted, x);
          unsigned fw = from.getIntOrFloatBitWidth(),
                   tw = to.getIntOrFloatBitWidth();
          if (fw < tw)
            return fromUnsigned
                       ? (Value)arith::ExtUIOp::create(b, l, toConverted, x)
                       : (Value)arith::ExtSIOp::create(b, l, toConverted, x);
          if (fw > tw)
            return arith::TruncIOp::create(b, l, toConverted, x);
          return x;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwiseLoweringPatterns(OnnxTypeConverter &converter,
                                         RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  const std::pair<const char *, BodyFn> table[] = {
      {"onnx.Add", addBody},
      {"onnx.Sub", subBody},
      {"onnx.Mul", mulBody},
      {"onnx.Div", divBody},
      {"onnx.Sum", addBody},
      {"onnx.Max", maxBody},
      {"onnx.Min", minBody},
      {"onnx.Mean", meanBody},
      {"onnx.Pow", powBody},
      {"onnx.Mod", modBody},
      {"onnx.BitShift", bitShiftBody},
      {"onnx.BitwiseAnd", bitwiseAndBody},
      {"onnx.BitwiseOr", bitwiseOrBody},
      {"onnx.BitwiseXor", bitwiseXorBody},
      {"onnx.PRelu", preluBody},
      {"onnx.Equal", compareBody<P::OEQ, I::eq, I::eq>},
      {"onnx.Less", compareBody<P::OLT, I::slt, I::ult>},
      {"onnx.LessOrEqual", compareBody<P::OLE, I::sle, I::ule>},
      {"onnx.Greater", compareBody<P::OGT, I::sgt, I::ugt>},
      {"onnx.GreaterOrEqual", compareBody<P::OGE, I::sge, I::uge>},
      {"onnx.And", bitwiseAndBody},
      {"onnx.Or", bitwiseOrBody},
      {"onnx.Xor", bitwiseXorBody},
      {"onnx.Not", notBody},
      {"onnx.Where", whereBody},
      {"onnx.Abs", absBody},
      {"onnx.Neg", negBody},
      {"onnx.Reciprocal", reciprocalBody},
      {"onnx.Exp", unaryFloat<math::ExpOp>},
      {"onnx.Log", unaryFloat<math::LogOp>},
      {"onnx.Sqrt", unaryFloat<math::SqrtOp>},
      {"onnx.Ceil", unaryFloat<math::CeilOp>},
      {"onnx.Floor", unaryFloat<math::FloorOp>},
      {"onnx.Round", unaryFloat<math::RoundEvenOp>},
      {"onnx.Sin", unaryFloat<math::SinOp>},
      {"onnx.Cos", unaryFloat<math::CosOp>},
      {"onnx.Tan", unaryFloat<math::TanOp>},
      {"onnx.Asin", unaryFloat<math::AsinOp>},
      {"onnx.Acos", unaryFloat<math::AcosOp>},
      {"onnx.Atan", unaryFloat<math::AtanOp>},
      {"onnx.Sinh", unaryFloat<math::SinhOp>},
      {"onnx.Cosh", unaryFloat<math::CoshOp>},
      {"onnx.Asinh", unaryFloat<math::AsinhOp>},
      {"onnx.Acosh", unaryFloat<math::AcoshOp>},
      {"onnx.Atanh", unaryFloat<math::AtanhOp>},
      {"onnx.Tanh", unaryFloat<math::TanhOp>},
      {"onnx.Erf", unaryFloat<math::ErfOp>},
      {"onnx.Relu", reluBody},
      {"onnx.Sigmoid", sigmoidBody},
      {"onnx.LeakyRelu", leakyReluBody},
      {"onnx.Elu", eluBody},
      {"onnx.Selu", seluBody},
      {"onnx.Celu", celuBody},
      {"onnx.HardSigmoid", hardSigmoidBody},
      {"onnx.HardSwish", hardSwishBody},
      {"onnx.ThresholdedRelu", thresholdedReluBody},
      {"onnx.Softplus", softplusBody},
      {"onnx.Softsign", softsignBody},
      {"onnx.Mish", mishBody},
      {"onnx.Sign", signBody},
      {"onnx.IsNaN", isNaNBody},
      {"onnx.IsInf", isInfBody},
      {"onnx.Identity", identityBody},
      {"onnx.Shrink", shrinkBody},
      {"onnx.Clip", clipBody},
      {"onnx.Clip_v6", clipBody},
      {"onnx.Clip_v1", clipBody},
  };
  llvm::StringSet<> listed;
  for (const auto &[name, body] : table)
    listed.insert(name);
  for (const auto &[name, body] : table) {
    patterns.add<ElementwiseLowering>(converter, ctx, name, body);
    // The older versions of the op (onnx.Add_v6, onnx.Relu_v1, ...) compute
    // the same function; their extra attributes are the legacy broadcast
    // (handled in the pattern) and consumed_inputs (a memory hint).
    std::string prefix = std::string(name) + "_v";
    for (RegisteredOperationName opName : ctx->getRegisteredOperations()) {
      StringRef n = opName.getStringRef();
      if (n.starts_with(prefix) && !listed.contains(n) &&
          llvm::all_of(n.drop_front(prefix.size()), llvm::isDigit))
        patterns.add<ElementwiseLowering>(converter, ctx, n, body);
    }
  }
  patterns.add<ClipLowering>(converter, ctx);
  patterns.add<CastLowering>(converter, ctx, "onnx.Cast");
  patterns.add<CastLowering>(converter, ctx, "onnx.Cast_v1");
  // CastLike casts to its second operand's element type: the result type.
  patterns.add<CastLowering>(converter, ctx, "onnx.CastLike");
}

} // namespace onnxc
