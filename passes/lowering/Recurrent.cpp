//===- Recurrent.cpp - RNN, GRU and LSTM ---===//
//
// The recurrences run as an scf.for over the time steps; each step's gate
// matmuls are linalg ops on the step's slice.
//
// Per direction, the input projection X*W^T (plus the biases that do not
// depend on the state) is one contraction over all time steps before the
// loop. Each step adds H*R^T to its slice of the projection and applies the
// gate equations in a linalg.generic. The states are carried in tensors of
// slots that the loop only updates with tensor.insert_slice (slot s+1 of
// the hidden state is the state after step s, which makes the slots Y), so
// one-shot bufferization keeps them in place across iterations. A reverse
// direction runs forward over time-reversed sequences (each batch entry
// reversed within its own sequence_lens) and reverses its outputs back, so
// every direction shares one loop.
//
// sequence_lens: steps at or past a batch entry's length leave its Y rows
// zero and its state unchanged, so Y_h/Y_c hold the last valid state; an
// entry of length 0 gets zero Y_h/Y_c (as onnxruntime does).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringExtras.h"

#include <string>

using namespace mlir;

namespace onnxc {
namespace {

enum class Cell { Rnn, Gru, Lstm };

/// Gates stacked in W, R and each half of B: RNN [i], GRU [zrh], LSTM
/// [iofc].
int64_t numGates(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
}

/// Activation functions per direction: RNN f, GRU f g, LSTM f g h.
unsigned numActivations(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 2 : 3;
}

//===----------------------------------------------------------------------===//
// Activation functions
//===----------------------------------------------------------------------===//

struct Activation {
  std::string name; // lower case
  double alpha = 0, beta = 0;
};

/// Parses `activations` with `activation_alpha`/`activation_beta`. The
/// lists are consumed in the order of the functions (forward f g h, then
/// reverse f g h); a function that takes an alpha (beta) takes the next
/// value, or its ONNX operator's default when the list is exhausted.
FailureOr<SmallVector<Activation>> parseActivations(Operation *op, Cell cell,
                                                    int64_t numDirections,
                                                    std::string &why) {
  unsigned perDirection = numActivations(cell);
  SmallVector<std::string> names;
  if (auto attr = op->getAttrOfType<ArrayAttr>("activations")) {
    for (Attribute a : attr) {
      auto s = dyn_cast<StringAttr>(a);
      if (!s) {
        why = "activations is not a list of strings";
        return failure();
      }
      names.push_back(s.getValue().lower());
    }
  }
  if (names.empty()) {
    const char *defaults[] = {"sigmoid", "tanh", "tanh"};
    for (int64_t d = 0; d < numDirections; ++d)
      for (unsigned i = 0; i < perDirection; ++i)
        names.push_back(cell == Cell::Rnn ? "tanh" : defaults[i]);
  }
  size_t needed = perDirection * numDirections;
  // RNN's schema default lists Tanh twice (one per possible direction); a
  // unidirectional RNN uses the first.
  if (cell == Cell::Rnn && numDirections == 1 && names.size() == 2)
    names.resize(1);
  // One direction's functions given for a bidirectional op serve both.
  if (numDirections == 2 && names.size() == perDirection)
    names.append(SmallVector<std::string>(names));
  if (names.size() != needed) {
    why = "activations has " + std::to_string(names.size()) +
          " functions, expected " + std::to_string(needed);
    return failure();
  }

  SmallVector<double> alphas, betas;
  for (auto [list, attrName] : {std::pair{&alphas, "activation_alpha"},
                                std::pair{&betas, "activation_beta"}})
    if (auto attr = op->getAttrOfType<ArrayAttr>(attrName))
      for (Attribute a : attr)
        if (auto f = dyn_cast<FloatAttr>(a))
          list->push_back(f.getValueAsDouble());
  size_t nextAlpha = 0, nextBeta = 0;
  SmallVector<Activation> result;
  for (const std::string &name : names) {
    // Which parameters each function takes, and their ONNX defaults (NaN:
    // no default, the model must give it).
    bool takesAlpha = false, takesBeta = false;
    double alphaDefault = 0, betaDefault = 0;
    if (name == "affine") {
      takesAlpha = takesBeta = true;
      alphaDefault = 1.0;
      betaDefault = 0.0;
    } else if (name == "leakyrelu") {
      takesAlpha = true;
      alphaDefault = 0.01;
    } else if (name == "thresholdedrelu" || name == "elu") {
      takesAlpha = true;
      alphaDefault = 1.0;
    } else if (name == "scaledtanh") {
      takesAlpha = takesBeta = true;
      alphaDefault = betaDefault = std::nan("");
    } else if (name == "hardsigmoid") {
      takesAlpha = takesBeta = true;
      alphaDefault = 0.2;
      betaDefault = 0.5;
    } else if (name != "relu" && name != "tanh" && name != "sigmoid" &&
               name != "softsign" && name != "softplus") {
      why = "unknown activation function '" + name + "'";
      return failure();
    }
    Activation act{name, 0, 0};
    if (takesAlpha)
      act.alpha =
          nextAlpha < alphas.size() ? alphas[nextAlpha++] : alphaDefault;
    if (takesBeta)
      act.beta = nextBeta < betas.size() ? betas[nextBeta++] : betaDefault;
    if (std::isnan(act.alpha) || std::isnan(act.beta)) {
      why = "activation '" + name + "' needs activation_alpha/beta values";
      return failure();
    }
    result.push_back(act);
  }
  return result;
}

/// `act`(x), with x first clipped to [-clip, clip] when `clip` is set (the
/// spec clips the input of every activation).
Value activate(OpBuilder &b, Location l, const Activation &act, Value x,
               std::optional<double> clip) {
  auto c = [&](double v) { return scalarConstant(b, l, x.getType(), v); };
  if (clip)
    x = arith::MinimumFOp::create(
        b, l, arith::MaximumFOp::create(b, l, x, c(-*clip)), c(*clip));
  const std::string &n = act.name;
  if (n == "tanh")
    return math::TanhOp::create(b, l, x);
  if (n == "sigmoid") {
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
    return arith::DivFOp::create(b, l, c(1),
                                 arith::AddFOp::create(b, l, c(1), e));
  }
  if (n == "relu")
    return arith::MaximumFOp::create(b, l, x, c(0));
  if (n == "affine")
    return arith::AddFOp::create(
        b, l, arith::MulFOp::create(b, l, x, c(act.alpha)), c(act.beta));
  if (n == "leakyrelu" || n == "elu") {
    Value neg =
        n == "elu"
            ? arith::MulFOp::create(
                  b, l,
                  arith::SubFOp::create(b, l, math::ExpOp::create(b, l, x),
                                        c(1)),
                  c(act.alpha))
            : arith::MulFOp::create(b, l, x, c(act.alpha));
    Value nonNeg =
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, x, c(0));
    return arith::SelectOp::create(b, l, nonNeg, x, neg);
  }
  if (n == "thresholdedrelu") {
    // As the ThresholdedRelu operator: x where x > alpha.
    Value above =
        arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, c(act.alpha));
    return arith::SelectOp::create(b, l, above, x, c(0));
  }
  if (n == "scaledtanh")
    return arith::MulFOp::create(
        b, l,
        math::TanhOp::create(b, l,
                             arith::MulFOp::create(b, l, x, c(act.beta))),
        c(act.alpha));
  if (n == "hardsigmoid") {
    Value v = arith::AddFOp::create(
        b, l, arith::MulFOp::create(b, l, x, c(act.alpha)), c(act.beta));
    v = arith::MaximumFOp::create(b, l, v, c(0));
    return arith::MinimumFOp::create(b, l, v, c(1));
  }
  if (n == "softsign")
    return arith::DivFOp::create(
        b, l, x,
        arith::AddFOp::create(b, l, c(1), math::AbsFOp::create(b, l, x)));
  // softplus: log(1 + e^x) as max(x, 0) + log1p(e^-|x|), which does not
  // overflow for large x.
  Value e = math::ExpOp::create(
      b, l, arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, x)));
  return arith::AddFOp::create(b, l, arith::MaximumFOp::create(b, l, x, c(0)),
                               math::Log1pOp::create(b, l, e));
}

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

/// The static-size slice of `v` at `offsets` with `sizes`, as `shape` (a
/// rank-reduced result drops unit dims).
Value slice(OpBuilder &b, Location loc, Value v,
            ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes,
            ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> sz, strides(sizes.size(), b.getIndexAttr(1));
  for (int64_t s : sizes)
    sz.push_back(b.getIndexAttr(s));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v, offsets,
      sz, strides);
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> r;
  for (int64_t v : values)
    r.push_back(b.getIndexAttr(v));
  return r;
}

/// Columns [start, start + count) of the 2-D `v`.
Value columns(OpBuilder &b, Location loc, Value v, int64_t start,
              int64_t count) {
  int64_t rows = cast<RankedTensorType>(v.getType()).getDimSize(0);
  return slice(b, loc, v, indexAttrs(b, {0, start}), {rows, count},
               {rows, count});
}

/// Rows [start, start + count) of the 2-D `v`.
Value rowRange(OpBuilder &b, Location loc, Value v, int64_t start,
               int64_t count) {
  int64_t cols = cast<RankedTensorType>(v.getType()).getDimSize(1);
  return slice(b, loc, v, indexAttrs(b, {start, 0}), {count, cols},
               {count, cols});
}

/// Elements [start, start + count) of the 1-D `v`.
Value segment(OpBuilder &b, Location loc, Value v, int64_t start,
              int64_t count) {
  return slice(b, loc, v, indexAttrs(b, {start}), {count}, {count});
}

/// Row `index` of `v` (dropping the leading dim).
Value row(OpBuilder &b, Location loc, Value v, int64_t index) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[0] = b.getIndexAttr(index);
  SmallVector<int64_t> sizes(type.getShape());
  sizes[0] = 1;
  return slice(b, loc, v, offsets, sizes, type.getShape().drop_front());
}

/// Inserts `src` (the shape of `dest` without dim `dim`) into `dest` at
/// `index` along `dim`.
Value insertAt(OpBuilder &b, Location loc, Value src, Value dest, int64_t dim,
               OpFoldResult index) {
  auto type = cast<RankedTensorType>(dest.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[dim] = index;
  SmallVector<int64_t> sizes(type.getShape());
  sizes[dim] = 1;
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, src, dest, offsets,
                                       indexAttrs(b, sizes), strides);
}

Value transpose(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm)->getResult(0);
}

/// init[m, n] + sum_k a[m, k] * w[n, k]: the weights keep their gates by
/// rows, as ONNX stores them, and are read transposed in place.
Value matmulTransposedB(OpBuilder &b, Location loc, Value a, Value w,
                        Value init) {
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto par = utils::IteratorType::parallel;
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{a, w}, init,
             AffineMap::inferFromExprList(
                 ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {n, k}, {m, n}}, ctx),
             ArrayRef<utils::IteratorType>{par, par,
                                           utils::IteratorType::reduction},
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value prod = arith::MulFOp::create(nb, l, args[0], args[1]);
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2],
                                                           prod)});
             })
      .getResult(0);
}

/// `vector` ([N]) repeated over `rows` rows: [rows, N].
Value broadcastRows(OpBuilder &b, Location loc, Value vector, int64_t rows) {
  auto vType = cast<RankedTensorType>(vector.getType());
  SmallVector<int64_t> shape{rows, vType.getDimSize(0)};
  Value init = tensor::EmptyOp::create(b, loc, shape, vType.getElementType());
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n;
  bindDims(ctx, m, n);
  return buildMappedCopy(b, loc, vector, AffineMap::get(2, 0, {n}, ctx), init);
}

using MultiBody = llvm::function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                        ValueRange)>;

/// A linalg.generic over `type` ([B, H]) with `numResults` results of that
/// type. Each input is read through its map in `maps`.
SmallVector<Value> pointwise(OpBuilder &b, Location loc, RankedTensorType type,
                             unsigned numResults, ValueRange inputs,
                             ArrayRef<AffineMap> maps, MultiBody body) {
  SmallVector<Value> inits;
  for (unsigned i = 0; i < numResults; ++i)
    inits.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                            type.getElementType()));
  SmallVector<AffineMap> allMaps(maps);
  allMaps.append(numResults, b.getMultiDimIdentityMap(type.getRank()));
  auto generic = linalg::GenericOp::create(
      b, loc, SmallVector<Type>(numResults, type), inputs, inits, allMaps,
      SmallVector<utils::IteratorType>(type.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  return SmallVector<Value>(generic.getResults());
}

/// out[s, b, n] = v[len_b - 1 - s, b, n] for s < len_b, else 0: each batch
/// entry's sequence reversed within its length. Without `lens` every length
/// is T.
Value reverseTime(OpBuilder &b, Location loc, Value v, Value lens) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t steps = type.getDimSize(0);
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (lens) {
    inputs.push_back(lens);
    maps.push_back(AffineMap::get(3, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(3));
  return linalg::GenericOp::create(
             b, loc, type, inputs, init, maps,
             SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value s = linalg::IndexOp::create(nb, l, 0);
               Value bi = linalg::IndexOp::create(nb, l, 1);
               Value n = linalg::IndexOp::create(nb, l, 2);
               Value zero = arith::ConstantIndexOp::create(nb, l, 0);
               Value one = arith::ConstantIndexOp::create(nb, l, 1);
               Value total = arith::ConstantIndexOp::create(nb, l, steps);
               Value len = total;
               if (lens) {
                 // Clamped to [0, T] so a bad length cannot read out of
                 // bounds.
                 len = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                                  args[0]);
                 len = arith::MinSIOp::create(
                     nb, l, arith::MaxSIOp::create(nb, l, len, zero), total);
               }
               Value valid = arith::CmpIOp::create(
                   nb, l, arith::CmpIPredicate::slt, s, len);
               Value src = arith::SubIOp::create(
                   nb, l, arith::SubIOp::create(nb, l, len, one), s);
               src = arith::SelectOp::create(nb, l, valid, src, zero);
               Value x = tensor::ExtractOp::create(nb, l, v,
                                                   ValueRange{src, bi, n});
               Value z = scalarConstant(nb, l, x.getType(), 0);
               linalg::YieldOp::create(
                   nb, l,
                   ValueRange{arith::SelectOp::create(nb, l, valid, x, z)});
             })
      .getResult(0);
}

/// The new states (h, and c for LSTM) computed by `body` from `inputs` and
/// the previous states `old`. With `lens` ([B] i32), a batch entry whose
/// length is not past step `s32` keeps its old state.
using StateBody = llvm::function_ref<SmallVector<Value>(
    OpBuilder &, Location, ValueRange inputs, ValueRange old)>;
SmallVector<Value> updateStates(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> maps, ValueRange old,
                                Value lens, Value s32, StateBody body) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(old[0].getType());
  AffineMap id = b.getMultiDimIdentityMap(2);
  SmallVector<Value> ins(inputs);
  ins.append(old.begin(), old.end());
  SmallVector<AffineMap> allMaps(maps);
  allMaps.append(old.size(), id);
  if (lens) {
    ins.push_back(lens);
    allMaps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx));
  }
  unsigned numIn = inputs.size(), numOld = old.size();
  return pointwise(
      b, loc, type, numOld, ins, allMaps,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        ValueRange prev = a.slice(numIn, numOld);
        SmallVector<Value> fresh = body(nb, l, a.take_front(numIn), prev);
        if (lens) {
          Value valid = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::slt, s32, a[numIn + numOld]);
          for (unsigned j = 0; j < fresh.size(); ++j)
            fresh[j] = arith::SelectOp::create(nb, l, valid, fresh[j], prev[j]);
        }
        return fresh;
      });
}

//===----------------------------------------------------------------------===//
// The lowering
//===----------------------------------------------------------------------===//

/// Everything one direction's loop needs, sliced for that direction.
struct DirectionParams {
  Value w, r;           // [G*H, I], [G*H, H]
  Value xBias;          // [G*H] added to the input projection, or null
  Value recurrentBiasH; // GRU linear_before_reset: Rbh over [B, H]
  Value peephole;       // LSTM: [3H] (i, o, f) or null
  Value h0, c0;         // [B, H]
  const Activation *acts;
};

struct RecurrentLowering : NamedOpConversion {
  RecurrentLowering(const TypeConverter &converter, MLIRContext *ctx,
                    StringRef name, Cell cell)
      : NamedOpConversion(converter, ctx, name), cell(cell) {}

  Cell cell;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto operand = [&](unsigned i) {
      return i < operands.size() && !isNoValue(operands[i]) ? operands[i]
                                                            : Value();
    };
    Value x = operand(0), w = operand(1), r = operand(2), bias = operand(3),
          lens = operand(4), h0 = operand(5);
    Value c0 = cell == Cell::Lstm ? operand(6) : Value();
    Value peephole = cell == Cell::Lstm ? operand(7) : Value();
    if (!x || !w || !r)
      return rewriter.notifyMatchFailure(op, "missing X, W or R");
    for (Value v : {x, w, r, bias, lens, h0, c0, peephole}) {
      auto t = v ? dyn_cast<RankedTensorType>(v.getType()) : nullptr;
      if (v && (!t || !t.hasStaticShape()))
        return rewriter.notifyMatchFailure(
            op, "dynamic shapes are not supported by the recurrent lowering");
    }
    auto xType = cast<RankedTensorType>(x.getType());
    Type elem = xType.getElementType();
    if (!isa<FloatType>(elem))
      return rewriter.notifyMatchFailure(op, "X is not floating point");

    int64_t layout = intAttrOr(op, "layout", 0);
    if (layout != 0 && layout != 1)
      return rewriter.notifyMatchFailure(op, "layout must be 0 or 1");
    StringRef direction = stringAttrOr(op, "direction", "forward");
    int64_t numDirections;
    // "foward" is GRU-1's schema default, a misspelling of forward.
    if (direction == "forward" || direction == "foward" ||
        direction == "reverse")
      numDirections = 1;
    else if (direction == "bidirectional")
      numDirections = 2;
    else
      return rewriter.notifyMatchFailure(op, "unknown direction");

    // Shapes: X [T, B, I], W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H],
    // sequence_lens [B], initial_h/c [D, B, H], P [D, 3H]; layout 1 swaps
    // the first two dims of X and initial_h/c.
    auto wType = cast<RankedTensorType>(w.getType());
    auto rType = cast<RankedTensorType>(r.getType());
    if (xType.getRank() != 3 || wType.getRank() != 3 || rType.getRank() != 3)
      return rewriter.notifyMatchFailure(op, "X, W and R must be 3-D");
    int64_t steps = xType.getDimSize(layout),
            batch = xType.getDimSize(1 - layout),
            inputSize = xType.getDimSize(2), hidden = rType.getDimSize(2);
    int64_t gates = numGates(cell), gh = gates * hidden;
    if (hidden <= 0 || steps <= 0 || batch <= 0)
      return rewriter.notifyMatchFailure(op, "empty X or R");
    if (op->getAttrOfType<IntegerAttr>("hidden_size") &&
        intAttrOr(op, "hidden_size", hidden) != hidden)
      return rewriter.notifyMatchFailure(op, "hidden_size does not match R");
    SmallVector<int64_t> stateShape{numDirections, batch, hidden};
    if (layout == 1)
      std::swap(stateShape[0], stateShape[1]);
    auto hasShape = [](Value v, ArrayRef<int64_t> shape) {
      return !v || cast<RankedTensorType>(v.getType()).getShape() == shape;
    };
    if (!hasShape(w, {numDirections, gh, inputSize}) ||
        !hasShape(r, {numDirections, gh, hidden}) ||
        !hasShape(bias, {numDirections, 2 * gh}) || !hasShape(lens, {batch}) ||
        !hasShape(h0, stateShape) || !hasShape(c0, stateShape) ||
        !hasShape(peephole, {numDirections, 3 * hidden}))
      return rewriter.notifyMatchFailure(op, "operand shapes do not agree");
    if (lens && !cast<RankedTensorType>(lens.getType())
                     .getElementType()
                     .isInteger(32))
      return rewriter.notifyMatchFailure(op, "sequence_lens must be int32");

    std::string why;
    auto acts = parseActivations(op, cell, numDirections, why);
    if (failed(acts))
      return rewriter.notifyMatchFailure(op, why);
    std::optional<double> clip;
    if (auto a = op->getAttrOfType<FloatAttr>("clip"))
      clip = a.getValueAsDouble();
    bool linearBeforeReset =
        cell == Cell::Gru && intAttrOr(op, "linear_before_reset", 0) != 0;
    bool inputForget =
        cell == Cell::Lstm && intAttrOr(op, "input_forget", 0) != 0;

    // The expected (converted) result types; absent outputs are none.
    SmallVector<RankedTensorType> resultTypes;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      if (isa<NoneType>(op->getResult(i).getType())) {
        resultTypes.push_back(nullptr);
        continue;
      }
      RankedTensorType t = convertedResultType(*getTypeConverter(), op, i);
      if (!t)
        return rewriter.notifyMatchFailure(op, "result shape unknown");
      resultTypes.push_back(t);
    }
    bool wantY = !resultTypes.empty() && resultTypes[0];
    SmallVector<int64_t> yShape{steps, numDirections, batch, hidden};
    if (layout == 1)
      yShape = {batch, steps, numDirections, hidden};
    for (unsigned i = 0; i < resultTypes.size(); ++i)
      if (resultTypes[i] &&
          resultTypes[i] != RankedTensorType::get(
                                i == 0 ? ArrayRef<int64_t>(yShape)
                                       : ArrayRef<int64_t>(stateShape),
                                elem))
        return rewriter.notifyMatchFailure(op, "unexpected result type");

    // Checks done: from here on the pattern only builds IR.
    Location loc = op->getLoc();
    // Batch-major (layout 1) operands become time-major.
    if (layout == 1) {
      x = transpose(rewriter, loc, x, {1, 0, 2});
      for (Value *v : {&h0, &c0})
        if (*v)
          *v = transpose(rewriter, loc, *v, {1, 0, 2});
    }
    auto stateType = RankedTensorType::get({batch, hidden}, elem);
    // Every direction fills its part of Y.
    Value yAll = wantY ? tensor::EmptyOp::create(
                             rewriter, loc,
                             ArrayRef<int64_t>{steps, numDirections, batch,
                                               hidden},
                             elem)
                       : Value();
    SmallVector<int64_t> finalShape{numDirections, batch, hidden};
    Value hAll = tensor::EmptyOp::create(rewriter, loc, finalShape, elem);
    Value cAll = tensor::EmptyOp::create(rewriter, loc, finalShape, elem);

    for (int64_t d = 0; d < numDirections; ++d) {
      bool reverse = direction == "reverse" || d == 1;
      DirectionParams p;
      p.w = row(rewriter, loc, w, d);
      p.r = row(rewriter, loc, r, d);
      if (bias) {
        Value bd = row(rewriter, loc, bias, d);
        Value wb = segment(rewriter, loc, bd, 0, gh);
        Value rb = segment(rewriter, loc, bd, gh, gh);
        // Wb + Rb, except that GRU with linear_before_reset keeps Rbh for
        // inside the reset product.
        int64_t summed = linearBeforeReset ? 2 * hidden : gh;
        Value init =
            tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{gh}, elem);
        AffineMap id = rewriter.getMultiDimIdentityMap(1);
        p.xBias =
            linalg::GenericOp::create(
                rewriter, loc, init.getType(), ValueRange{wb, rb}, init,
                ArrayRef<AffineMap>{id, id, id},
                ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value i = linalg::IndexOp::create(nb, l, 0);
                  Value inSum = arith::CmpIOp::create(
                      nb, l, arith::CmpIPredicate::slt, i,
                      arith::ConstantIndexOp::create(nb, l, summed));
                  Value sum = arith::AddFOp::create(nb, l, a[0], a[1]);
                  linalg::YieldOp::create(
                      nb, l,
                      ValueRange{arith::SelectOp::create(nb, l, inSum, sum,
                                                         a[0])});
                })
                .getResult(0);
        if (linearBeforeReset)
          p.recurrentBiasH = broadcastRows(
              rewriter, loc, segment(rewriter, loc, rb, 2 * hidden, hidden),
              batch);
      }
      if (linearBeforeReset && !p.recurrentBiasH)
        p.recurrentBiasH = createFilled(rewriter, loc, stateType, 0.0);
      if (peephole)
        p.peephole = row(rewriter, loc, peephole, d);
      p.h0 = h0 ? row(rewriter, loc, h0, d)
                : createFilled(rewriter, loc, stateType, 0.0);
      if (cell == Cell::Lstm)
        p.c0 = c0 ? row(rewriter, loc, c0, d)
                  : createFilled(rewriter, loc, stateType, 0.0);
      p.acts = &(*acts)[d * numActivations(cell)];

      // The input projection of every step: X*W^T + biases, [T, B, G*H].
      auto projType = RankedTensorType::get({steps * batch, gh}, elem);
      Value projInit =
          p.xBias ? broadcastRows(rewriter, loc, p.xBias, steps * batch)
                  : createFilled(rewriter, loc, projType, 0.0);
      Value x2d = tensor::CollapseShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({steps * batch, inputSize}, elem),
          x, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
      Value proj = matmulTransposedB(rewriter, loc, x2d, p.w, projInit);
      proj = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get({steps, batch, gh}, elem), proj,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
      if (reverse)
        proj = reverseTime(rewriter, loc, proj, lens);

      auto [yDir, hLast, cLast] =
          runDirection(rewriter, loc, p, proj, lens, wantY, stateType, clip,
                       linearBeforeReset, inputForget);
      if (lens) {
        // onnxruntime zeroes the final state of an empty sequence.
        for (Value *state : {&hLast, &cLast})
          if (*state)
            *state = zeroEmptySequences(rewriter, loc, *state, lens);
      }
      if (wantY) {
        if (reverse)
          yDir = reverseTime(rewriter, loc, yDir, lens);
        yAll = insertAt(rewriter, loc, yDir, yAll, 1, rewriter.getIndexAttr(d));
      }
      hAll = insertAt(rewriter, loc, hLast, hAll, 0, rewriter.getIndexAttr(d));
      if (cLast)
        cAll =
            insertAt(rewriter, loc, cLast, cAll, 0, rewriter.getIndexAttr(d));
    }

    if (layout == 1) {
      if (wantY)
        yAll = transpose(rewriter, loc, yAll, {2, 0, 1, 3});
      hAll = transpose(rewriter, loc, hAll, {1, 0, 2});
      cAll = transpose(rewriter, loc, cAll, {1, 0, 2});
    }
    SmallVector<Value> results{yAll, hAll, cAll};
    results.resize(op->getNumResults());
    for (unsigned i = 0; i < results.size(); ++i)
      if (!resultTypes[i])
        results[i] = Value();
    rewriter.replaceOp(op, results);
    return success();
  }

private:
  /// state[b, :] = 0 where lens[b] <= 0.
  static Value zeroEmptySequences(OpBuilder &b, Location loc, Value state,
                                  Value lens) {
    auto type = cast<RankedTensorType>(state.getType());
    MLIRContext *ctx = b.getContext();
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap rows = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
    return pointwise(b, loc, type, 1, ValueRange{state, lens}, {id, rows},
                     [](OpBuilder &nb, Location l, ValueRange a) {
                       Value zeroI = scalarConstant(nb, l, a[1].getType(), 0);
                       Value empty = arith::CmpIOp::create(
                           nb, l, arith::CmpIPredicate::sle, a[1], zeroI);
                       Value z = scalarConstant(nb, l, a[0].getType(), 0);
                       return SmallVector<Value>{
                           arith::SelectOp::create(nb, l, empty, z, a[0])};
                     })[0];
  }

  /// One step: the new hidden (and cell) state from the step's input
  /// projection `xs` [B, G*H] and the previous states `h` (and `c`).
  SmallVector<Value> step(OpBuilder &b, Location loc, const DirectionParams &p,
                          Value xs, Value h, Value c, Value lens, Value s32,
                          RankedTensorType stateType,
                          std::optional<double> clip, bool linearBeforeReset,
                          bool inputForget) const {
    MLIRContext *ctx = b.getContext();
    int64_t hidden = stateType.getDimSize(1);
    AffineMap id = b.getMultiDimIdentityMap(2);
    AffineMap cols = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    const Activation *acts = p.acts;

    if (cell == Cell::Rnn) {
      // Ht = f(Xt*W^T + Ht-1*R^T + Wb + Rb).
      Value pre = matmulTransposedB(b, loc, h, p.r, xs);
      return updateStates(b, loc, pre, {id}, h, lens, s32,
                        [&](OpBuilder &nb, Location l, ValueRange in,
                            ValueRange) {
                          return SmallVector<Value>{
                              activate(nb, l, acts[0], in[0], clip)};
                        });
    }

    if (cell == Cell::Lstm) {
      // Gates in [iofc] order; peepholes in [iof].
      Value pre = matmulTransposedB(b, loc, h, p.r, xs);
      SmallVector<Value> inputs;
      for (int64_t g = 0; g < 4; ++g)
        inputs.push_back(columns(b, loc, pre, g * hidden, hidden));
      SmallVector<AffineMap> maps(4, id);
      if (p.peephole) {
        for (int64_t g = 0; g < 3; ++g)
          inputs.push_back(segment(b, loc, p.peephole, g * hidden, hidden));
        maps.append(3, cols);
      }
      bool peep = bool(p.peephole);
      return updateStates(
          b, loc, inputs, maps, ValueRange{h, c}, lens, s32,
          [&](OpBuilder &nb, Location l, ValueRange a, ValueRange old) {
            Value gi = a[0], go = a[1], gf = a[2], gc = a[3], cPrev = old[1];
            auto mul = [&](Value u, Value v) {
              return arith::MulFOp::create(nb, l, u, v).getResult();
            };
            auto add = [&](Value u, Value v) {
              return arith::AddFOp::create(nb, l, u, v).getResult();
            };
            if (peep) {
              gi = add(gi, mul(a[4], cPrev));
              gf = add(gf, mul(a[6], cPrev));
            }
            Value i = activate(nb, l, acts[0], gi, clip);
            // input_forget couples the gates: f = 1 - i.
            Value f =
                inputForget
                    ? arith::SubFOp::create(
                          nb, l, scalarConstant(nb, l, i.getType(), 1), i)
                          .getResult()
                    : activate(nb, l, acts[0], gf, clip);
            Value cc = activate(nb, l, acts[1], gc, clip);
            Value cNew = add(mul(f, cPrev), mul(i, cc));
            if (peep)
              go = add(go, mul(a[5], cNew));
            Value o = activate(nb, l, acts[0], go, clip);
            Value hNew = mul(o, activate(nb, l, acts[2], cNew, clip));
            return SmallVector<Value>{hNew, cNew};
          });
    }

    // GRU, gates in [zrh] order.
    Value zrPre =
        matmulTransposedB(b, loc, h, rowRange(b, loc, p.r, 0, 2 * hidden),
                          columns(b, loc, xs, 0, 2 * hidden));
    Value gz = columns(b, loc, zrPre, 0, hidden);
    Value gr = columns(b, loc, zrPre, hidden, hidden);
    Value xh = columns(b, loc, xs, 2 * hidden, hidden);
    Value rh = rowRange(b, loc, p.r, 2 * hidden, hidden);
    // Ht = (1 - zt) ht + zt Ht-1.
    auto blend = [&](OpBuilder &nb, Location l, Value gzv, Value ht,
                     Value hPrev) {
      Value z = activate(nb, l, acts[0], gzv, clip);
      Value one = scalarConstant(nb, l, z.getType(), 1);
      Value keep = arith::MulFOp::create(nb, l, z, hPrev);
      Value fresh = arith::MulFOp::create(
          nb, l, arith::SubFOp::create(nb, l, one, z), ht);
      return SmallVector<Value>{arith::AddFOp::create(nb, l, fresh, keep)};
    };
    if (!linearBeforeReset) {
      // ht = g(Xt*Wh^T + (rt . Ht-1)*Rh^T + Rbh + Wbh); the biases are in
      // the projection.
      Value resetH =
          pointwise(b, loc, stateType, 1, ValueRange{gr, h}, {id, id},
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Value rt = activate(nb, l, acts[0], a[0], clip);
                      return SmallVector<Value>{
                          arith::MulFOp::create(nb, l, rt, a[1])};
                    })[0];
      Value hPre = matmulTransposedB(b, loc, resetH, rh, xh);
      return updateStates(b, loc, ValueRange{gz, hPre}, {id, id}, h, lens, s32,
                        [&](OpBuilder &nb, Location l, ValueRange a,
                            ValueRange old) {
                          Value ht = activate(nb, l, acts[1], a[1], clip);
                          return blend(nb, l, a[0], ht, old[0]);
                        });
    }
    // ht = g(Xt*Wh^T + Wbh + rt . (Ht-1*Rh^T + Rbh)).
    Value hr = matmulTransposedB(b, loc, h, rh, p.recurrentBiasH);
    return updateStates(
        b, loc, ValueRange{gz, gr, xh, hr}, {id, id, id, id}, h, lens, s32,
        [&](OpBuilder &nb, Location l, ValueRange a, ValueRange old) {
          Value rt = activate(nb, l, acts[0], a[1], clip);
          Value pre = arith::AddFOp::create(
              nb, l, a[2], arith::MulFOp::create(nb, l, rt, a[3]));
          Value ht = activate(nb, l, acts[1], pre, clip);
          return blend(nb, l, a[0], ht, old[0]);
        });
  }

  /// The time loop of one direction over the (already time-reversed, for
  /// a reverse direction) projection `proj` [T, B, G*H]. Returns the
  /// direction's Y [T, B, H] (null unless `wantY`), last hidden and last
  /// cell state (null but for LSTM).
  ///
  /// The states live in loop-carried tensors of slots that are only
  /// updated with tensor.insert_slice, which bufferizes in place: the
  /// hidden state's slot s+1 holds the state after step s (so the slots
  /// are Y) or, without Y, two slots alternate; the cell state alternates
  /// between two slots.
  std::tuple<Value, Value, Value>
  runDirection(OpBuilder &b, Location loc, const DirectionParams &p,
               Value proj, Value lens, bool wantY, RankedTensorType stateType,
               std::optional<double> clip, bool linearBeforeReset,
               bool inputForget) const {
    auto projType = cast<RankedTensorType>(proj.getType());
    int64_t steps = projType.getDimSize(0), batch = projType.getDimSize(1),
            gh = projType.getDimSize(2), hidden = stateType.getDimSize(1);
    Type elem = stateType.getElementType();
    MLIRContext *ctx = b.getContext();
    bool hasCell = bool(p.c0);
    int64_t hSlots = wantY ? steps + 1 : 2;
    auto slotsOf = [&](Value first, int64_t slots) {
      Value all = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{slots, batch, hidden}, elem);
      return insertAt(b, loc, first, all, 0, b.getIndexAttr(0));
    };
    SmallVector<Value> init{slotsOf(p.h0, hSlots)};
    if (hasCell)
      init.push_back(slotsOf(p.c0, 2));
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, steps);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, lb, ub, one, init,
        [&](OpBuilder &nb, Location l, Value s, ValueRange iter) {
          Value two = arith::ConstantIndexOp::create(nb, l, 2);
          Value next = arith::AddIOp::create(nb, l, s, one);
          Value sMod = arith::RemUIOp::create(nb, l, s, two);
          Value nextMod = arith::RemUIOp::create(nb, l, next, two);
          auto readSlot = [&](Value all, Value slot) {
            return slice(nb, l, all,
                         {slot, nb.getIndexAttr(0), nb.getIndexAttr(0)},
                         {1, batch, hidden}, {batch, hidden});
          };
          Value h = readSlot(iter[0], wantY ? s : sMod);
          Value c = hasCell ? readSlot(iter[1], sMod) : Value();
          Value xs = slice(nb, l, proj,
                           {s, nb.getIndexAttr(0), nb.getIndexAttr(0)},
                           {1, batch, gh}, {batch, gh});
          Value s32 =
              lens ? arith::IndexCastOp::create(nb, l, nb.getI32Type(), s)
                         .getResult()
                   : Value();
          SmallVector<Value> states = step(nb, l, p, xs, h, c, lens, s32,
                                           stateType, clip, linearBeforeReset,
                                           inputForget);
          SmallVector<Value> yields{
              insertAt(nb, l, states[0], iter[0], 0, wantY ? next : nextMod)};
          if (hasCell)
            yields.push_back(insertAt(nb, l, states[1], iter[1], 0, nextMod));
          scf::YieldOp::create(nb, l, yields);
        });
    auto lastSlot = [&](Value all, int64_t slot) {
      return slice(b, loc, all, indexAttrs(b, {slot, 0, 0}),
                   {1, batch, hidden}, {batch, hidden});
    };
    Value hLast = lastSlot(loop.getResult(0), wantY ? steps : steps % 2);
    Value cLast = hasCell ? lastSlot(loop.getResult(1), steps % 2) : Value();
    Value y;
    if (wantY) {
      y = slice(b, loc, loop.getResult(0), indexAttrs(b, {1, 0, 0}),
                {steps, batch, hidden}, {steps, batch, hidden});
      if (lens) {
        // Y rows past a sequence's end are zero (the slots repeat the
        // last state there).
        auto seqType = RankedTensorType::get({steps, batch, hidden}, elem);
        Value empty = tensor::EmptyOp::create(b, loc, seqType.getShape(), elem);
        y = linalg::GenericOp::create(
                b, loc, seqType, ValueRange{lens, y}, empty,
                ArrayRef<AffineMap>{
                    AffineMap::get(3, 0, {getAffineDimExpr(1, ctx)}, ctx),
                    b.getMultiDimIdentityMap(3), b.getMultiDimIdentityMap(3)},
                SmallVector<utils::IteratorType>(3,
                                                 utils::IteratorType::parallel),
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value t = arith::IndexCastOp::create(
                      nb, l, nb.getI32Type(),
                      linalg::IndexOp::create(nb, l, 0));
                  Value valid = arith::CmpIOp::create(
                      nb, l, arith::CmpIPredicate::slt, t, a[0]);
                  Value zero = scalarConstant(nb, l, a[1].getType(), 0);
                  linalg::YieldOp::create(
                      nb, l,
                      ValueRange{
                          arith::SelectOp::create(nb, l, valid, a[1], zero)});
                })
                .getResult(0);
      }
    }
    return {y, hLast, cLast};
  }
};

} // namespace

void populateRecurrentLoweringPatterns(OnnxTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.RNN", "onnx.RNN_v7", "onnx.RNN_v1"})
    patterns.add<RecurrentLowering>(converter, ctx, name, Cell::Rnn);
  for (StringRef name :
       {"onnx.GRU", "onnx.GRU_v7", "onnx.GRU_v3", "onnx.GRU_v1"})
    patterns.add<RecurrentLowering>(converter, ctx, name, Cell::Gru);
  for (StringRef name : {"onnx.LSTM", "onnx.LSTM_v7", "onnx.LSTM_v1"})
    patterns.add<RecurrentLowering>(converter, ctx, name, Cell::Lstm);
}

} // namespace onnxc
