//===- IntegerProducts.cpp - What the int8 kernel's matchers share --------===//
//
// See IntegerProducts.h. The convolution rewrite is the integer twin of the
// f32 im2col in VectorizeContractions, with the roles of the operands
// swapped: the integer kernel wants the activation as the rows of its A
// (u8, broadcast 4 bytes at a time) and the constant weight as its
// columns, so the im2col matrix here is pixel-major, [pixels, taps]. The
// product is [pixels, channels] in the kernel's registers, and the kernel
// writes it transposed, as the image's NCHW [channels, pixels] result; a
// batch loops over its images.
//
// The taps run (k_1..k_ns, c) with the channel innermost, on a channels-last
// copy of the input: every tap of a window is then a run of C contiguous
// bytes in both the copy and the im2col matrix, where an NCHW gather would
// move one byte at a time. The channels-last copy is also where the fused
// quantization of the input (elementwise fusion moves it into the
// convolution when nothing pads the input) runs, once per element.
//
//===----------------------------------------------------------------------===//

#include "passes/IntegerProducts.h"
#include "passes/ConstantBytes.h"
#include "passes/ConvForm.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cstring>

using namespace mlir;

namespace onnxc {

arith::ConstantOp constantThroughReshapes(Value v) {
  while (true) {
    if (auto e = v.getDefiningOp<tensor::ExpandShapeOp>())
      v = e.getSrc();
    else if (auto c = v.getDefiningOp<tensor::CollapseShapeOp>())
      v = c.getSrc();
    else
      return v.getDefiningOp<arith::ConstantOp>();
  }
}

std::vector<int8_t> constantBytes(arith::ConstantOp cst) {
  auto type = cast<RankedTensorType>(cst.getType());
  std::vector<int8_t> out(type.getNumElements());
  ArrayRef<char> raw = rawConstantBytes(cst.getValue());
  if (!raw.empty() && raw.size() == out.size()) {
    std::memcpy(out.data(), raw.data(), raw.size());
    return out;
  }
  auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue());
  if (!dense)
    return {};
  size_t i = 0;
  for (const APInt &v : dense.getValues<APInt>())
    out[i++] = int8_t(v.getSExtValue());
  return out;
}

namespace {

/// `v`, looking through one `extOp` of an i8 value.
template <typename ExtOp>
Value throughExtension(Value v) {
  auto ext = v.getDefiningOp<ExtOp>();
  if (!ext || !ext.getIn().getType().isInteger(8))
    return {};
  return ext.getIn();
}

} // namespace

std::optional<U8S8Body> matchU8S8MulAddBody(linalg::GenericOp op, OpOperand *w,
                                            ArrayRef<OpOperand *> aSide) {
  Block &body = *op.getBlock();
  Value wArg = op.getMatchingBlockArgument(w),
        acc = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return std::nullopt;
  auto mul = (add.getLhs() == acc ? add.getRhs() : add.getLhs())
                 .getDefiningOp<arith::MulIOp>();
  if (!mul)
    return std::nullopt;
  Value lhs = mul.getLhs(), rhs = mul.getRhs();
  if (throughExtension<arith::ExtSIOp>(lhs) == wArg)
    std::swap(lhs, rhs);
  if (throughExtension<arith::ExtSIOp>(rhs) != wArg)
    return std::nullopt;
  U8S8Body match;
  match.a8 = throughExtension<arith::ExtUIOp>(lhs);
  if (!match.a8)
    return std::nullopt;
  std::optional<SmallVector<Operation *>> prologue =
      computedFrom(op, aSide, {match.a8});
  if (!prologue)
    return std::nullopt;
  match.prologue = std::move(*prologue);
  return match;
}

std::optional<SmallVector<Operation *>>
computedFrom(linalg::GenericOp op, ArrayRef<OpOperand *> inputs,
             ArrayRef<Value> values) {
  // Every body op that reads only those arguments and values from above
  // (so neither W nor the accumulator, even indirectly), in body order.
  Block &body = *op.getBlock();
  DenseSet<Value> known;
  for (OpOperand *in : inputs)
    known.insert(op.getMatchingBlockArgument(in));
  SmallVector<Operation *> ops;
  for (Operation &inner : body.without_terminator()) {
    bool clean = llvm::all_of(inner.getOperands(), [&](Value v) {
      return known.contains(v) || v.getParentBlock() != &body;
    });
    if (!clean)
      continue;
    if (inner.getNumRegions() || isa<linalg::IndexOp>(inner) ||
        !isPure(&inner))
      return std::nullopt;
    for (Value r : inner.getResults())
      known.insert(r);
    ops.push_back(&inner);
  }
  for (Value v : values)
    if (!known.contains(v) && v.getParentBlock() == &body)
      return std::nullopt;
  return ops;
}

std::optional<GroupScaledBody>
matchGroupScaledBody(linalg::GenericOp op, OpOperand *w,
                     ArrayRef<OpOperand *> aSide,
                     ArrayRef<OpOperand *> groupSide) {
  Block &body = *op.getBlock();
  Value wArg = op.getMatchingBlockArgument(w),
        acc = op.getMatchingBlockArgument(op.getDpsInitOperand(0));
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  // yield(acc + S * ((uitofp(a8) - Z) * sitofp(w))), each add and mul in
  // either operand order.
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return std::nullopt;
  auto scaled = (add.getLhs() == acc ? add.getRhs() : add.getLhs())
                    .getDefiningOp<arith::MulFOp>();
  if (!scaled)
    return std::nullopt;
  // The product term: a mulf one of whose operands is sitofp(w).
  auto isTerm = [&](Value v) -> arith::MulFOp {
    auto mul = v.getDefiningOp<arith::MulFOp>();
    if (!mul)
      return {};
    for (Value x : {mul.getLhs(), mul.getRhs()}) {
      auto conv = x.getDefiningOp<arith::SIToFPOp>();
      if (conv && conv.getIn() == wArg && wArg.getType().isInteger(8))
        return mul;
    }
    return {};
  };
  GroupScaledBody match;
  arith::MulFOp term = isTerm(scaled.getRhs());
  match.scale = scaled.getLhs();
  if (!term) {
    term = isTerm(scaled.getLhs());
    match.scale = scaled.getRhs();
  }
  if (!term)
    return std::nullopt;
  // The term's other operand: uitofp(a8) - Z.
  auto rhsConv = term.getRhs().getDefiningOp<arith::SIToFPOp>();
  Value other = rhsConv && rhsConv.getIn() == wArg ? term.getLhs()
                                                   : term.getRhs();
  auto centered = other.getDefiningOp<arith::SubFOp>();
  if (!centered)
    return std::nullopt;
  auto aConv = centered.getLhs().getDefiningOp<arith::UIToFPOp>();
  if (!aConv || !aConv.getIn().getType().isInteger(8))
    return std::nullopt;
  match.zeroPoint = centered.getRhs();
  match.a.a8 = aConv.getIn();
  std::optional<SmallVector<Operation *>> aPrologue =
      computedFrom(op, aSide, {match.a.a8});
  std::optional<SmallVector<Operation *>> groupPrologue =
      computedFrom(op, groupSide, {match.scale, match.zeroPoint});
  if (!aPrologue || !groupPrologue)
    return std::nullopt;
  match.a.prologue = std::move(*aPrologue);
  match.groupPrologue = std::move(*groupPrologue);
  return match;
}

SmallVector<Value> cloneComputation(OpBuilder &b, linalg::GenericOp op,
                                    ArrayRef<OpOperand *> inputs,
                                    ArrayRef<Operation *> prologue,
                                    ArrayRef<Value> values, ValueRange args) {
  IRMapping mapping;
  for (auto [in, arg] : llvm::zip(inputs, args))
    mapping.map(op.getMatchingBlockArgument(in), arg);
  for (Operation *inner : prologue)
    b.clone(*inner, mapping);
  SmallVector<Value> results;
  for (Value v : values)
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

Value cloneU8Producer(OpBuilder &b, linalg::GenericOp op,
                      ArrayRef<OpOperand *> aSide, const U8S8Body &body,
                      ValueRange args) {
  return cloneComputation(b, op, aSide, body.prologue, {body.a8}, args)[0];
}

void yieldU8S8MulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Type i32 = b.getI32Type();
  Value a = arith::ExtUIOp::create(b, loc, i32, args[0]);
  Value w = arith::ExtSIOp::create(b, loc, i32, args[1]);
  Value prod = arith::MulIOp::create(b, loc, a, w);
  linalg::YieldOp::create(b, loc,
                          arith::AddIOp::create(b, loc, args[2], prod).getResult());
}

namespace {

/// A u8 x s8 convolution generic of one group (ConvForm's loops and maps):
/// Y[n, 0, m, o..] += zext(f(X[n, 0, c, o*s + k*d], scalars)) * sext(W[0, m,
/// c, k..]) with W a constant.
struct IntegerConv {
  linalg::GenericOp op;
  ConvForm form;
  OpOperand *x = nullptr; // the first input read through the window map
  OpOperand *w = nullptr;
  /// Every input but W: x, the inputs read through the same map, and
  /// scalars (maps of constants only), all fused from x's producer.
  SmallVector<OpOperand *> xSide;
  U8S8Body body;
  arith::ConstantOp weight;
};

bool readsOneElement(AffineMap map) {
  return llvm::all_of(map.getResults(),
                      [](AffineExpr e) { return isa<AffineConstantExpr>(e); });
}

std::optional<IntegerConv> matchIntegerConv(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return std::nullopt;
  auto yType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!yType || !yType.getElementType().isInteger(32) || yType.getRank() < 4 ||
      !yType.hasStaticShape() || yType.getDimSize(1) != 1)
    return std::nullopt;
  IntegerConv match;
  match.op = op;
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    if (!t || !t.getElementType().isInteger(8) || !t.hasStaticShape() ||
        t.getRank() != yType.getRank())
      continue;
    arith::ConstantOp cst = constantThroughReshapes(in->get());
    if (!cst)
      continue;
    if (match.w)
      return std::nullopt;
    match.w = in;
    match.weight = cst;
  }
  if (!match.w)
    return std::nullopt;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == match.w)
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    if (!readsOneElement(map)) {
      if (!match.x)
        match.x = in;
      else if (map != op.getMatchingIndexingMap(match.x))
        return std::nullopt;
    }
    match.xSide.push_back(in);
  }
  if (!match.x)
    return std::nullopt;
  std::optional<ConvForm> form = matchConvIndexing(op, match.x, match.w);
  if (!form)
    return std::nullopt;
  match.form = *form;
  std::optional<U8S8Body> body =
      matchU8S8MulAddBody(op, match.w, match.xSide);
  if (!body)
    return std::nullopt;
  // a8 straight from a block argument: it must be x's, of i8 elements.
  if (isa<BlockArgument>(body->a8) &&
      (body->a8 != op.getMatchingBlockArgument(match.x) ||
       !getElementTypeOrSelf(match.x->get().getType()).isInteger(8)))
    return std::nullopt;
  match.body = std::move(*body);
  return match;
}

/// Whether `v` is a linalg.fill of the constant 0.
bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

ReassociationIndices range(int64_t from, int64_t count) {
  ReassociationIndices r;
  for (int64_t i = 0; i < count; ++i)
    r.push_back(from + i);
  return r;
}

/// Xt[n, h.., c] (i8): X[n, 0, c, h..] with the fused producer applied.
Value channelsLastInput(RewriterBase &rewriter, const IntegerConv &m) {
  linalg::GenericOp op = m.op;
  MLIRContext *ctx = rewriter.getContext();
  Location loc = op.getLoc();
  int64_t ns = m.form.ns;
  auto xType = cast<RankedTensorType>(m.x->get().getType());
  SmallVector<int64_t> shape{xType.getDimSize(0)};
  for (int64_t i = 0; i < ns; ++i)
    shape.push_back(xType.getDimSize(3 + i));
  shape.push_back(xType.getDimSize(2));
  int64_t rank = ns + 2;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> xExprs{d(0), getAffineConstantExpr(0, ctx),
                                 d(ns + 1)};
  for (int64_t i = 0; i < ns; ++i)
    xExprs.push_back(d(1 + i));
  AffineMap xMap = AffineMap::get(rank, 0, xExprs, ctx);
  AffineMap convXMap = op.getMatchingIndexingMap(m.x);
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : m.xSide) {
    ins.push_back(in->get());
    AffineMap map = op.getMatchingIndexingMap(in);
    maps.push_back(map == convXMap
                       ? xMap
                       : AffineMap::get(rank, 0, map.getResults(), ctx));
  }
  maps.push_back(rewriter.getMultiDimIdentityMap(rank));
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, shape, rewriter.getI8Type());
  return linalg::GenericOp::create(
             rewriter, loc, empty.getType(), ins, empty, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   b, l, cloneU8Producer(b, op, m.xSide, m.body, args));
             })
      .getResult(0);
}

LogicalResult rewriteIntegerConv(RewriterBase &rewriter, const IntegerConv &m) {
  linalg::GenericOp op = m.op;
  MLIRContext *ctx = rewriter.getContext();
  Location loc = op.getLoc();
  int64_t ns = m.form.ns;
  auto wType = cast<RankedTensorType>(m.w->get().getType());
  auto yType = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t n = yType.getDimSize(0), outChannels = wType.getDimSize(1),
          channels = wType.getDimSize(2);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(3);
  ArrayRef<int64_t> outSpatial = yType.getShape().drop_front(3);
  int64_t taps = 1, pixels = 1;
  for (int64_t i = 0; i < ns; ++i) {
    taps *= kernel[i];
    pixels *= outSpatial[i];
  }
  // W'[(k.., c), m] = W[0, m, c, k..].
  std::vector<int8_t> w = constantBytes(m.weight);
  if (int64_t(w.size()) != outChannels * channels * taps)
    return failure();
  int64_t depth = taps * channels;
  std::vector<int8_t> wt(w.size());
  for (int64_t oc = 0; oc < outChannels; ++oc)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < taps; ++t)
        wt[(t * channels + c) * outChannels + oc] =
            w[(oc * channels + c) * taps + t];

  rewriter.setInsertionPoint(op);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  Value xt = channelsLastInput(rewriter, m);
  auto xtType = cast<RankedTensorType>(xt.getType());

  // col[n, o.., k.., c] = Xt[n, o*s + k*d, c], or Xt itself for 1x1 windows
  // with unit strides over the whole input.
  bool identity = true;
  for (int64_t i = 0; i < ns; ++i)
    identity &= kernel[i] == 1 && m.form.strides[i] == 1 &&
                xtType.getDimSize(1 + i) == outSpatial[i];
  Value col3;
  if (identity) {
    col3 = tensor::CollapseShapeOp::create(
        rewriter, loc, xt,
        SmallVector<ReassociationIndices>{{0}, range(1, ns), {ns + 1}});
  } else {
    SmallVector<int64_t> colShape{n};
    colShape.append(outSpatial.begin(), outSpatial.end());
    colShape.append(kernel.begin(), kernel.end());
    colShape.push_back(channels);
    int64_t colRank = colShape.size();
    SmallVector<AffineExpr> exprs{d(0)};
    for (int64_t i = 0; i < ns; ++i)
      exprs.push_back(d(1 + i) * m.form.strides[i] +
                      d(1 + ns + i) * m.form.dilations[i]);
    exprs.push_back(d(colRank - 1));
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, colShape, rewriter.getI8Type());
    Value col = buildMappedCopy(rewriter, loc, xt,
                                AffineMap::get(colRank, 0, exprs, ctx), empty);
    col3 = tensor::CollapseShapeOp::create(
        rewriter, loc, col,
        SmallVector<ReassociationIndices>{{0}, range(1, ns),
                                          range(1 + ns, ns + 1)});
  }

  auto wtType = RankedTensorType::get({depth, outChannels}, rewriter.getI8Type());
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(wt.data()), wt.size()),
      alignof(std::max_align_t));
  Value wtValue = arith::ConstantOp::create(
      rewriter, loc, wtType,
      DenseResourceElementsAttr::get(wtType, "onnxc_int8_conv_filter",
                                     std::move(blob)));

  Type i32 = rewriter.getI32Type();
  Value init = op.getDpsInits()[0];
  int64_t yRank = yType.getRank();

  // Per image: C[m, p] += zext(col[p, k]) * sext(W'[k, m]), loops p m | k,
  // which the kernel writes transposed, block by block: C is then the
  // image's NCHW result itself. A batch loops over its images.
  auto imageProduct = [&](OpBuilder &b, Value col2) -> Value {
    auto cType = RankedTensorType::get({outChannels, pixels}, i32);
    Value product =
        linalg::GenericOp::create(
            b, loc, cType, ValueRange{col2, wtValue},
            createFilled(b, loc, cType, 0.0),
            ArrayRef<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                AffineMap::get(3, 0, {d(2), d(1)}, ctx),
                                AffineMap::get(3, 0, {d(1), d(0)}, ctx)},
            {utils::IteratorType::parallel, utils::IteratorType::parallel,
             utils::IteratorType::reduction},
            yieldU8S8MulAdd)
            .getResult(0);
    // [M, P] -> [1, 1, M, O..]: one image of the result.
    SmallVector<int64_t> imageShape(yType.getShape());
    imageShape[0] = 1;
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(imageShape, i32), product,
        SmallVector<ReassociationIndices>{{0, 1, 2}, range(3, ns)});
  };
  Value result;
  if (n == 1) {
    result = imageProduct(
        rewriter, tensor::CollapseShapeOp::create(
                      rewriter, loc, col3,
                      SmallVector<ReassociationIndices>{{0, 1}, {2}}));
  } else {
    auto cst = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value empty = tensor::EmptyOp::create(rewriter, loc, yType.getShape(), i32);
    auto images = scf::ForOp::create(
        rewriter, loc, cst(rewriter, 0), cst(rewriter, n), cst(rewriter, 1),
        ValueRange{empty},
        [&](OpBuilder &b, Location, Value i, ValueRange acc) {
          auto colType = cast<RankedTensorType>(col3.getType());
          Value col2 = tensor::ExtractSliceOp::create(
              b, loc, RankedTensorType::get({pixels, depth}, colType.getElementType()),
              col3, ArrayRef<OpFoldResult>{i, b.getIndexAttr(0), b.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(pixels),
                                     b.getIndexAttr(depth)},
              SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
          SmallVector<OpFoldResult> offsets(yRank, b.getIndexAttr(0)), sizes,
              strides(yRank, b.getIndexAttr(1));
          offsets[0] = i;
          sizes.push_back(b.getIndexAttr(1));
          for (int64_t dim : yType.getShape().drop_front())
            sizes.push_back(b.getIndexAttr(dim));
          scf::YieldOp::create(
              b, loc,
              tensor::InsertSliceOp::create(b, loc, imageProduct(b, col2),
                                            acc[0], offsets, sizes, strides)
                  .getResult());
        });
    result = images.getResult(0);
  }
  if (!isZeroFill(init))
    result = linalg::GenericOp::create(
                 rewriter, loc, yType, ValueRange{result, init},
                 tensor::EmptyOp::create(rewriter, loc, yType.getShape(), i32)
                     .getResult(),
                 SmallVector<AffineMap>(3, rewriter.getMultiDimIdentityMap(yRank)),
                 SmallVector<utils::IteratorType>(yRank,
                                                  utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange a) {
                   linalg::YieldOp::create(
                       b, l, arith::AddIOp::create(b, l, a[1], a[0]).getResult());
                 })
                 .getResult(0);
  rewriter.replaceOp(op, result);
  return success();
}

} // namespace

void rewriteIntegerConvsAsProducts(ModuleOp module) {
  SmallVector<IntegerConv, 4> convs;
  module.walk([&](linalg::GenericOp op) {
    if (auto m = matchIntegerConv(op))
      convs.push_back(*m);
  });
  IRRewriter rewriter(module.getContext());
  for (const IntegerConv &m : convs)
    (void)rewriteIntegerConv(rewriter, m);
}

} // namespace onnxc
