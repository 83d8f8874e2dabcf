//===- VectorizeIntegerContractions.cpp - int8 products on dot products ---===//
//
// MatMulInteger with a constant int8 B and no zero points (what
// QuantizeDynamic emits) lowers to a linalg.generic
//
//   C[.., m, n] += zext(A[.., m, k]) * sext(W[k, n])      (i32)
//
// Elementwise fusion then moves the producer of A (DynamicQuantizeLinear's
// divide, round, saturate) into that body, where it would run once per
// column of the product. That producer may bring its own inputs along,
// indexed by rows only (the per-row scale and zero point QuantizeDynamic
// computes). This pass:
//
//  1. splits such a fused producer, with those inputs, back out into its
//     own elementwise generic over (rows, k) that writes A as i8 (always:
//     it is what makes the scalar fallback bearable too);
//  2. with a `dot-product` instruction set, replaces the contraction by a
//     register-blocked kernel on it. Every such instruction multiplies 4
//     adjacent bytes of one operand by 4 adjacent bytes of the other and
//     adds the 4 products to each i32 lane:
//       avx512-vnni   vpdpbusd on 512-bit vectors (16 lanes), u8 x s8;
//       avx-vnni      vpdpbusd on 256-bit vectors (8 lanes), u8 x s8
//                     (AVX-VNNI: CPUs with AVX2 but without AVX-512);
//       avx2          the same on AVX2 without VNNI (Zen 3, Haswell to
//                     Skylake): two vpmaddwd on the bytes widened to i16
//                     (the even bytes of each pair, then the odd ones),
//                     exact, about as fast as f32 FMAs; the portable
//                     form it replaces was 30x slower than f32 there;
//       neon-i8mm     usdot on 128-bit vectors (4 lanes), u8 x s8;
//       neon-dotprod  sdot (4 lanes), s8 x s8 only: A's bytes are flipped
//                     to a - 128 (xor 0x80) and 128 * sum_k W[k, n] is
//                     added back to each column, exactly, in i32.
//     W is repacked at compile time into panels of L = lanes columns:
//     P[nb, k4, 4 * j + t] = W[4 * k4 + t, L * nb + j] (zero-padded in k
//     and n). Each step of the kernel's reduction loop broadcasts 4 bytes of
//     each of `rows` rows of A to all lanes and issues rows x column-vectors
//     dot products on 4L-byte vectors of P; the block of C stays in
//     registers. All four wrap instead of saturating (vpdpbusds would
//     saturate), which is MatMulInteger's semantics: accumulation may
//     overflow only in i32.
//
// A u8 x s8 convolution of one group with a constant filter (ConvInteger's
// lowering) becomes such a contraction first, on a pixel-major im2col
// (IntegerProducts.h), one per image: its C is [channels, pixels], the
// image's NCHW result, so the kernel transposes each register block in
// registers before writing it (`transposedC`).
//
// A contraction whose K reshape propagation split into several trailing
// reductions (see collapseSplitReductions) is first collapsed back to one.
//
// The loop over rows is split into full blocks and a one-row tail, so the
// inner loop never needs a mask; the reduction's last group of 4 (when K is
// not a multiple of 4) is peeled with a zero-padded read of A. Columns past
// N read zeros of P and are masked off when C is written.
//
// With `parallel`, the loop over column panels (groups of `column-vectors`
// panels of L columns) is an scf.forall when there are at least two and
// M x K x N reaches `min-parallel-macs` (M as 1 when it is dynamic; with
// K x N alone, every int8 convolution of resnet50's first two stages, M =
// thousands of pixels, stayed serial): each iteration owns a slice of C's
// columns, so the threads share nothing but the read-only A and P, and the
// result is the same, bit for bit, at any thread count.
//
//===----------------------------------------------------------------------===//

#include "passes/ConstantBytes.h"
#include "passes/IntegerProducts.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZEINTEGERCONTRACTIONS
#include "passes/Passes.h.inc"

namespace {

/// An integer contraction C[r.., c..] += zext(f(A[r.., k])) * sext(W[k, c..])
/// (reshape propagation may have split the rows r or the columns c into
/// several dims; they are collapsed again into one M and one N).
struct IntegerContraction {
  linalg::GenericOp op;
  int64_t rowDims = 0; // j: C's first j dims are A's rows
  int64_t outRank = 0; // C's rank
  /// The inputs that index only rows and k: A itself (`a`, indexed
  /// (r.., k)) and, fused from A's producer, values per row or per tensor
  /// (the scale and zero point of a per-row quantization).
  SmallVector<OpOperand *> aSide;
  OpOperand *a = nullptr;
  OpOperand *w = nullptr; // the weight, indexed (k, c..)
  /// The i8 value of A's element in the body (A's block argument itself, or
  /// computed from the A-side arguments by its prologue, in body order).
  U8S8Body body;
  arith::ConstantOp weight; // [K, c..] i8, maybe reshaped on the way
  /// C is [N, M] (2-D products only): the kernel transposes each register
  /// block before it writes it.
  bool transposedC = false;
  /// The group-scaled form (onnx.onnxc.GroupScaledMatMulInteger): C is f32,
  /// the reduction is (g, k') with A (r.., g, k') and W (g, k', c..), and
  /// the body scales each group's sum by S[r.., g] after subtracting
  /// Z[r.., g] (`grouped`, computed from the `groupSide` inputs, which
  /// index rows and g only). `body` is then grouped->a.
  std::optional<GroupScaledBody> grouped;
  SmallVector<OpOperand *> groupSide;
  int64_t groupSize = 0;
  /// Trailing reduction loops: 1, or 2 for the group-scaled form.
  int64_t reductions() const { return grouped ? 2 : 1; }
};

std::optional<IntegerContraction> matchIntegerContraction(linalg::GenericOp op) {
  if (op.getNumDpsInputs() < 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !op.hasPureTensorSemantics())
    return std::nullopt;
  auto cType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!cType)
    return std::nullopt;
  // An i32 C: the plain product, one reduction k. An f32 C: the
  // group-scaled one, reductions (g, k').
  bool grouped = cType.getElementType().isF32();
  if (!grouped && !cType.getElementType().isInteger(32))
    return std::nullopt;
  int64_t reductions = grouped ? 2 : 1;
  // W: the one input that is a constant static i8 tensor of rank >= 2.
  IntegerContraction match;
  match.op = op;
  for (OpOperand *in : op.getDpsInputOperands()) {
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    if (!t || !t.getElementType().isInteger(8) || t.getRank() < 2 ||
        !t.hasStaticShape())
      continue;
    arith::ConstantOp cst = constantThroughReshapes(in->get());
    if (!cst)
      continue;
    if (match.w)
      return std::nullopt; // two candidate weights: not this form
    match.w = in;
    match.weight = cst;
  }
  if (!match.w)
    return std::nullopt;
  auto wType = cast<RankedTensorType>(match.w->get().getType());

  // Loops (r.., c.., red..): C identity, A (r.., red..), W (red.., c..).
  int64_t p = cType.getRank(), j = p - (wType.getRank() - reductions);
  if (j < 1 || j > p)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  if (int64_t(iterators.size()) != p + reductions)
    return std::nullopt;
  for (int64_t i = 0; i < p + reductions; ++i)
    if (iterators[i] != (i < p ? utils::IteratorType::parallel
                               : utils::IteratorType::reduction))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  int64_t loops = p + reductions;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> aExprs, wExprs, cExprs;
  for (int64_t i = 0; i < j; ++i)
    aExprs.push_back(d(i));
  for (int64_t i = p; i < loops; ++i) {
    aExprs.push_back(d(i));
    wExprs.push_back(d(i));
  }
  for (int64_t i = j; i < p; ++i)
    wExprs.push_back(d(i));
  for (int64_t i = 0; i < p; ++i)
    cExprs.push_back(d(i));
  AffineMap aMap = AffineMap::get(loops, 0, aExprs, ctx);
  if (op.getMatchingIndexingMap(match.w) != AffineMap::get(loops, 0, wExprs, ctx))
    return std::nullopt;
  // C [rows, columns], or C [columns, rows] for a 2-D product (the channels
  // x pixels result of a convolution, IntegerProducts.cpp).
  AffineMap cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!grouped && p == 2 && j == 1 &&
      cMap == AffineMap::get(3, 0, {d(1), d(0)}, ctx))
    match.transposedC = true;
  else if (cMap != AffineMap::get(loops, 0, cExprs, ctx))
    return std::nullopt;
  // Every other input indexes no column dim; the first indexed exactly
  // (r.., red..) is A. Those that index no k' either are the group side.
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (in == match.w)
      continue;
    AffineMap map = op.getMatchingIndexingMap(in);
    for (int64_t i = j; i < p; ++i)
      if (map.isFunctionOfDim(i))
        return std::nullopt;
    if (!match.a && map == aMap)
      match.a = in;
    match.aSide.push_back(in);
    if (grouped && !map.isFunctionOfDim(p + 1))
      match.groupSide.push_back(in);
  }
  if (!match.a)
    return std::nullopt;
  auto aType = dyn_cast<RankedTensorType>(match.a->get().getType());
  if (!aType || aType.getRank() != j + reductions)
    return std::nullopt;

  if (grouped) {
    std::optional<GroupScaledBody> body =
        matchGroupScaledBody(op, match.w, match.aSide, match.groupSide);
    if (!body)
      return std::nullopt;
    match.body = body->a;
    match.grouped = std::move(*body);
    match.groupSize = wType.getDimSize(1);
  } else {
    std::optional<U8S8Body> body =
        matchU8S8MulAddBody(op, match.w, match.aSide);
    if (!body)
      return std::nullopt;
    match.body = std::move(*body);
  }
  Value a8 = match.body.a8;
  // a8 straight from a block argument: it must be A's, of i8 elements.
  if (isa<BlockArgument>(a8) &&
      (a8 != op.getMatchingBlockArgument(match.a) ||
       !aType.getElementType().isInteger(8)))
    return std::nullopt;
  match.rowDims = j;
  match.outRank = p;
  return match;
}

/// `map`, over the contraction's loops (r.., c.., red..), as a map over
/// (r.., red..): the A-side maps use no column dim, so those map anywhere.
AffineMap withoutColumnDims(const IntegerContraction &m, AffineMap map) {
  MLIRContext *ctx = map.getContext();
  int64_t j = m.rowDims, p = m.outRank, reductions = m.reductions();
  SmallVector<AffineExpr> dims;
  for (int64_t i = 0; i < p + reductions; ++i)
    dims.push_back(getAffineDimExpr(i < j ? i : i < p ? j : j + (i - p), ctx));
  return map.replaceDimsAndSymbols(dims, {}, j + reductions, 0);
}

/// The group-scaled form's scale and zero point as f32 tensors [r.., G]:
/// one elementwise generic over (r.., g) computing them from the group
/// side (their producers were fused into the product's body).
std::pair<Value, Value> materializeGroupScaling(RewriterBase &rewriter,
                                                const IntegerContraction &m,
                                                Value a8) {
  linalg::GenericOp op = m.op;
  Location loc = op.getLoc();
  int64_t rank = m.rowDims + 1;
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : m.groupSide) {
    ins.push_back(in->get());
    // Over (r.., g, k') without k' (which no group-side map uses).
    maps.push_back(AffineMap::get(
        rank, 0, withoutColumnDims(m, op.getMatchingIndexingMap(in)).getResults(),
        rewriter.getContext()));
  }
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, a8);
  sizes.pop_back(); // a8 is [r.., G, group]
  Type f32 = rewriter.getF32Type();
  Value empty = tensor::EmptyOp::create(rewriter, loc, sizes, f32);
  maps.append(2, rewriter.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{empty.getType(), empty.getType()}, ins,
      ValueRange{empty, empty}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        const GroupScaledBody &g = *m.grouped;
        linalg::YieldOp::create(
            b, l,
            cloneComputation(b, op, m.groupSide, g.groupPrologue,
                             {g.scale, g.zeroPoint},
                             args.take_front(m.groupSide.size())));
      });
  return {generic.getResult(0), generic.getResult(1)};
}

/// A as an i8 tensor: the input itself, or an elementwise generic over
/// (r.., k) that computes the fused producer once per element.
Value materializeA8(RewriterBase &rewriter, const IntegerContraction &m) {
  linalg::GenericOp op = m.op;
  Value a = m.a->get();
  if (m.body.a8 == op.getMatchingBlockArgument(m.a))
    return a;
  Location loc = op.getLoc();
  int64_t rank = m.rowDims + m.reductions();
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : m.aSide) {
    ins.push_back(in->get());
    maps.push_back(withoutColumnDims(m, op.getMatchingIndexingMap(in)));
  }
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, a),
      rewriter.getI8Type());
  maps.push_back(rewriter.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      rewriter, loc, empty.getType(), ins, empty, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, cloneU8Producer(b, op, m.aSide, m.body, args));
      });
  return generic.getResult(0);
}

/// The plain contraction on the i8 A (the portable form).
void rebuildContraction(RewriterBase &rewriter, const IntegerContraction &m,
                        Value a8) {
  linalg::GenericOp op = m.op;
  SmallVector<AffineMap> maps{
      op.getMatchingIndexingMap(m.a), op.getMatchingIndexingMap(m.w),
      op.getMatchingIndexingMap(op.getDpsInitOperand(0))};
  auto product = linalg::GenericOp::create(
      rewriter, op.getLoc(), op->getResult(0).getType(),
      ValueRange{a8, m.w->get()}, op.getDpsInits(), maps,
      op.getIteratorTypesArray(),
      yieldU8S8MulAdd);
  rewriter.replaceOp(op, product.getResults());
}

/// sum_{k in group g} W[k, c] for W [K, N] (row-major bytes), as [G, N].
std::vector<int32_t> groupColumnSums(ArrayRef<int8_t> w, int64_t k, int64_t n,
                                     int64_t groupSize) {
  std::vector<int32_t> sums((k / groupSize) * n, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c)
      sums[(kk / groupSize) * n + c] += w[kk * n + c];
  return sums;
}

/// One group's contribution to a group-scaled accumulator, as the kernel
/// and the portable form both compute it (so that they agree bit for bit):
///
///   fma(colsum, -(S * Z), fma(sitofp(sum), S, acc))
///
/// `sum` and `colsum` are the group's exact i32 sum and the weight's column
/// sum over the group (as f32); scalars or vectors alike.
Value addGroupSum(OpBuilder &b, Location loc, Value acc, Value sum,
                  Value colsum, Value scale, Value negScaledZeroPoint) {
  Value sumF = arith::SIToFPOp::create(b, loc, acc.getType(), sum);
  Value scaled = isa<VectorType>(acc.getType())
                     ? vector::FMAOp::create(b, loc, sumF, scale, acc)
                           .getResult()
                     : math::FmaOp::create(b, loc, sumF, scale, acc).getResult();
  return isa<VectorType>(acc.getType())
             ? vector::FMAOp::create(b, loc, colsum, negScaledZeroPoint, scaled)
                   .getResult()
             : math::FmaOp::create(b, loc, colsum, negScaledZeroPoint, scaled)
                   .getResult();
}

/// -(S * Z), the second factor of addGroupSum.
Value negScaledZeroPoint(OpBuilder &b, Location loc, Value scale,
                         Value zeroPoint) {
  return arith::NegFOp::create(b, loc,
                               arith::MulFOp::create(b, loc, scale, zeroPoint));
}

/// The group-scaled product's portable form, exact in integers like the
/// kernel: the i32 sums of each group P[r.., g, c..] (a plain u8 x s8
/// contraction over k' on the i8 A [r.., G, group]), then one generic
/// reducing over g with addGroupSum. Fails, creating nothing, when the
/// weight's bytes cannot be read (the f32 generic then stays).
LogicalResult rebuildGroupScaled(RewriterBase &rewriter,
                                 const IntegerContraction &m, Value a8) {
  linalg::GenericOp op = m.op;
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  int64_t j = m.rowDims, p = m.outRank;
  auto wType = cast<RankedTensorType>(m.w->get().getType());
  int64_t groups = wType.getDimSize(0);
  int64_t k = groups * m.groupSize, n = wType.getNumElements() / k;
  std::vector<int8_t> w = constantBytes(m.weight);
  if (int64_t(w.size()) != k * n)
    return failure();
  auto [scale, zeroPoint] = materializeGroupScaling(rewriter, m, a8);
  // P: the contraction's loops (r.., c.., g, k') with g parallel.
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> pExprs;
  for (int64_t i = 0; i < j; ++i)
    pExprs.push_back(d(i));
  pExprs.push_back(d(p));
  for (int64_t i = j; i < p; ++i)
    pExprs.push_back(d(i));
  auto cType = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<OpFoldResult> pSizes =
      tensor::getMixedSizes(rewriter, loc, op.getDpsInits()[0]);
  pSizes.insert(pSizes.begin() + j, rewriter.getIndexAttr(groups));
  Type i32 = rewriter.getI32Type();
  Value pInit = linalg::FillOp::create(
                    rewriter, loc,
                    arith::ConstantOp::create(rewriter, loc, i32,
                                              rewriter.getZeroAttr(i32))
                        .getResult(),
                    tensor::EmptyOp::create(rewriter, loc, pSizes, i32)
                        .getResult())
                    .getResult(0);
  SmallVector<utils::IteratorType> pIterators(p + 1,
                                              utils::IteratorType::parallel);
  pIterators.push_back(utils::IteratorType::reduction);
  Value sums =
      linalg::GenericOp::create(
          rewriter, loc, pInit.getType(), ValueRange{a8, m.w->get()}, pInit,
          SmallVector<AffineMap>{op.getMatchingIndexingMap(m.a),
                                 op.getMatchingIndexingMap(m.w),
                                 AffineMap::get(p + 2, 0, pExprs, ctx)},
          pIterators, yieldU8S8MulAdd)
          .getResult(0);
  // The weight's column sums per group, [G, c..] f32.
  std::vector<int32_t> colSums = groupColumnSums(w, k, n, m.groupSize);
  SmallVector<int64_t> sumsShape{groups};
  for (int64_t i = 2; i < wType.getRank(); ++i)
    sumsShape.push_back(wType.getDimSize(i));
  auto sumsType = RankedTensorType::get(sumsShape, rewriter.getF32Type());
  Value colSumsValue = arith::ConstantOp::create(
      rewriter, loc, sumsType,
      DenseElementsAttr::get(
          sumsType, ArrayRef<float>(std::vector<float>(colSums.begin(),
                                                       colSums.end()))));
  // Over (r.., c.., g): P (r.., g, c..), S and Z (r.., g), the sums
  // (g, c..), C (r.., c..).
  SmallVector<AffineExpr> paramExprs, sumExprs{d(p)}, cExprs;
  for (int64_t i = 0; i < j; ++i)
    paramExprs.push_back(d(i));
  paramExprs.push_back(d(p));
  for (int64_t i = j; i < p; ++i)
    sumExprs.push_back(d(i));
  for (int64_t i = 0; i < p; ++i)
    cExprs.push_back(d(i));
  AffineMap paramMap = AffineMap::get(p + 1, 0, paramExprs, ctx);
  SmallVector<utils::IteratorType> iterators(p, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto combine = linalg::GenericOp::create(
      rewriter, loc, cType, ValueRange{sums, scale, zeroPoint, colSumsValue},
      op.getDpsInits(),
      SmallVector<AffineMap>{AffineMap::get(p + 1, 0, pExprs, ctx), paramMap,
                             paramMap, AffineMap::get(p + 1, 0, sumExprs, ctx),
                             AffineMap::get(p + 1, 0, cExprs, ctx)},
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l,
            addGroupSum(b, l, args[4], args[0], args[3], args[1],
                        negScaledZeroPoint(b, l, args[1], args[2])));
      });
  rewriter.replaceOp(op, combine.getResults());
  return success();
}

constexpr int64_t kGroup = 4; // bytes of k per lane and dot product
// Chunks of rows in the row-parallel form (one panel group, many rows):
// enough for a few threads to share evenly under a static schedule.
constexpr int64_t kRowChunks = 32;

/// A 4-byte dot-product instruction the kernel is built on (see the top of
/// the file).
struct DotProductIsa {
  StringLiteral name;      // the `dot-product` option's value
  int64_t lanes;           // i32 lanes of one vector
  StringLiteral intrinsic; // (acc <L x i32>, a <4L x i8>, b <4L x i8>)
  /// s8 x s8 only (sdot): A is flipped to a - 128 and corrected.
  bool signedOnly;
  /// No 4-byte instruction: the helper computes the same from 16-bit
  /// products (`intrinsic` is the i16 x i16 -> i32 pair product).
  bool fromPairs = false;
};

constexpr DotProductIsa kDotProductIsas[] = {
    {"avx512-vnni", 16, "llvm.x86.avx512.vpdpbusd.512", false},
    {"avx-vnni", 8, "llvm.x86.avx512.vpdpbusd.256", false},
    {"avx2", 8, "llvm.x86.avx2.pmadd.wd", false, /*fromPairs=*/true},
    {"neon-i8mm", 4, "llvm.aarch64.neon.usdot.v4i32.v16i8", false},
    {"neon-dotprod", 4, "llvm.aarch64.neon.sdot.v4i32.v16i8", true},
};

const DotProductIsa *findDotProductIsa(StringRef name) {
  for (const DotProductIsa &isa : kDotProductIsas)
    if (isa.name == name)
      return &isa;
  return nullptr;
}

/// W [K, N] repacked as P [NB, K4, 4 * lanes] (NB a multiple of `nv`).
std::vector<int8_t> packForDotProduct(ArrayRef<int8_t> w, int64_t k,
                                      int64_t n, int64_t nb, int64_t k4,
                                      int64_t lanes) {
  int64_t panelBytes = lanes * kGroup;
  std::vector<int8_t> p(nb * k4 * panelBytes, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      int64_t block = c / lanes, lane = c % lanes;
      p[(block * k4 + kk / kGroup) * panelBytes + lane * kGroup +
        kk % kGroup] = w[kk * n + c];
    }
  return p;
}

/// For s8 x s8 instructions: 128 * sum_k W[k, n] per column, as
/// [NB, lanes] i32 (zero past N). (a - 128) . w + 128 . w = a . w.
std::vector<int32_t> signFlipCorrection(ArrayRef<int8_t> w, int64_t k,
                                        int64_t n, int64_t nb,
                                        int64_t lanes) {
  std::vector<int32_t> corr(nb * lanes, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c)
      corr[c] += 128 * int32_t(w[kk * n + c]);
  return corr;
}

/// `llvm.func internal @onnxc_dot_<isa>(acc, a, b)`, always inlined: the
/// one place that calls the intrinsic. llvm.call_intrinsic declares no
/// memory effects, which the buffer deallocation pipeline refuses in a
/// func.func; an llvm.call has them and the helper's body is not analyzed.
LLVM::LLVMFuncOp getOrCreateDotHelper(ModuleOp module,
                                      const DotProductIsa &isa) {
  std::string name = ("onnxc_dot_" + isa.name).str();
  std::replace(name.begin(), name.end(), '-', '_');
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  auto b = OpBuilder::atBlockBegin(module.getBody());
  Location loc = module.getLoc();
  auto acc = VectorType::get({isa.lanes}, IntegerType::get(ctx, 32));
  auto bytes = VectorType::get({isa.lanes * kGroup}, IntegerType::get(ctx, 8));
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, name, LLVM::LLVMFunctionType::get(acc, {acc, bytes, bytes}),
      LLVM::Linkage::Internal);
  fn.setAlwaysInline(true);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  if (!isa.fromPairs) {
    Value r = LLVM::CallIntrinsicOp::create(b, loc, acc,
                                            b.getStringAttr(isa.intrinsic),
                                            entry->getArguments())
                  .getResult(0);
    LLVM::ReturnOp::create(b, loc, r);
    return fn;
  }
  // vpdpbusd from vpmaddwd: each 16-bit half of an i32 lane holds two of
  // its 4 bytes; the even bytes (zero-extended for u8 A, sign-extended for
  // s8 W) make one i16 x i16 pair product per lane, the odd ones another,
  // and the two sums add up to the 4-byte dot product. Exact: a pair sum
  // is at most 2 * 255 * 128. Inlined into the kernel, LLVM computes each
  // broadcast A's halves once for all its columns, and each W vector's
  // once for all rows.
  auto halves = VectorType::get({isa.lanes * 2}, IntegerType::get(ctx, 16));
  auto splat = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(
        b, loc, halves,
        DenseElementsAttr::get(halves, b.getIntegerAttr(
                                           IntegerType::get(ctx, 16), v)));
  };
  Value a16 = LLVM::BitcastOp::create(b, loc, halves, entry->getArgument(1));
  Value w16 = LLVM::BitcastOp::create(b, loc, halves, entry->getArgument(2));
  Value eight = splat(8);
  Value aEven = LLVM::AndOp::create(b, loc, a16, splat(0xff));
  Value aOdd = LLVM::LShrOp::create(b, loc, a16, eight);
  Value wEven = LLVM::AShrOp::create(
      b, loc, LLVM::ShlOp::create(b, loc, w16, eight), eight);
  Value wOdd = LLVM::AShrOp::create(b, loc, w16, eight);
  auto pairs = [&](Value x, Value y) -> Value {
    return LLVM::CallIntrinsicOp::create(b, loc, acc,
                                         b.getStringAttr(isa.intrinsic),
                                         ValueRange{x, y})
        .getResult(0);
  };
  // (Two statements: the order of function arguments' evaluation is
  // unspecified, and the IR must be the same with every compiler.)
  Value even = pairs(aEven, wEven);
  Value odd = pairs(aOdd, wOdd);
  Value sum = LLVM::AddOp::create(b, loc, even, odd);
  LLVM::ReturnOp::create(
      b, loc, LLVM::AddOp::create(b, loc, entry->getArgument(0), sum));
  return fn;
}

struct DotProductKernel {
  const DotProductIsa &isa;
  int64_t rowsPerBlock, columnVectors;
  LLVM::LLVMFuncOp helper;
  bool parallel;
  int64_t minParallelMacs;

  LogicalResult rewrite(RewriterBase &rewriter, const IntegerContraction &m,
                        Value a8) const {
    linalg::GenericOp op = m.op;
    Location loc = op.getLoc();
    arith::ConstantOp weight = m.weight;
    auto wType = cast<RankedTensorType>(m.w->get().getType());
    // W is [K, c..], or [G, group, c..] for the group-scaled form.
    int64_t k = wType.getDimSize(0) * (m.grouped ? m.groupSize : 1),
            n = wType.getNumElements() / k;
    // A group must be whole dot products.
    if (m.grouped && m.groupSize % kGroup != 0)
      return failure();
    std::vector<int8_t> w = constantBytes(weight);
    if (int64_t(w.size()) != k * n)
      return failure();
    if (w.empty() || k == 0 || n == 0)
      return failure();
    const int64_t kLanes = isa.lanes, kPanelBytes = kLanes * kGroup;
    int64_t blocks = llvm::divideCeil(n, kLanes);
    // The group-scaled form keeps an f32 accumulator beside each i32 one,
    // but only across groups: on BERT (AVX-512 VNNI, 4 x 4) the same block
    // measured faster than 6 x 2, 8 x 2 or 4 x 2 (76 against 77-81 ms).
    int64_t nv = std::min(columnVectors, blocks);
    int64_t paddedBlocks = llvm::divideCeil(blocks, nv) * nv;
    int64_t k4 = llvm::divideCeil(k, kGroup), fullK4 = k / kGroup;

    Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type();
    auto packedType =
        RankedTensorType::get({paddedBlocks, k4, kPanelBytes}, i8);
    std::vector<int8_t> packed =
        packForDotProduct(w, k, n, paddedBlocks, k4, kLanes);
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(reinterpret_cast<const char *>(packed.data()),
                       packed.size()),
        64);
    Value p = arith::ConstantOp::create(
        rewriter, loc, packedType,
        DenseResourceElementsAttr::get(packedType, "onnxc_int8_panels",
                                       std::move(blob)));
    // s8 x s8 instructions: the correction of A's sign flip, per column
    // (per group and column for the group-scaled form, below).
    Value correction;
    if (isa.signedOnly && !m.grouped) {
      std::vector<int32_t> corr =
          signFlipCorrection(w, k, n, paddedBlocks, kLanes);
      auto corrType = RankedTensorType::get(
          {paddedBlocks, kLanes}, rewriter.getI32Type());
      correction = arith::ConstantOp::create(
          rewriter, loc, corrType,
          DenseElementsAttr::get(corrType, ArrayRef<int32_t>(corr)));
    }

    // 2-D views: A [M, K], C [M, N] (row dims and column dims collapsed).
    int64_t j = m.rowDims, outRank = m.outRank;
    SmallVector<ReassociationIndices> aReassoc(2), cReassoc(2);
    for (int64_t i = 0; i < j; ++i) {
      aReassoc[0].push_back(i);
      cReassoc[0].push_back(i);
    }
    aReassoc[1].push_back(j);
    if (m.grouped)
      aReassoc[1].push_back(j + 1); // A [r.., G, group]
    for (int64_t i = j; i < outRank; ++i)
      cReassoc[1].push_back(i);
    // C filled with one constant (the lowering's zero accumulator): the
    // kernel starts its accumulators from that splat and writes every
    // element of the fill's destination, never reading C. Reading C would
    // be exact too, but one-shot bufferization misjudges the first write of
    // a vector<16xi32> at C[0, 0] when C has at most 16 rows as covering
    // the whole tensor (it pairs the vector's one dim with C's first), so
    // two kernels whose C is the same (CSE'd) fill could share a buffer
    // and the second would read the first one's sums.
    Value c2 = op.getDpsInits()[0];
    // C's elements: i32, or f32 for the group-scaled form.
    Type cElement = getElementTypeOrSelf(c2.getType());
    auto cVectorType = VectorType::get({kLanes}, cElement);
    Value splatInit;
    if (auto fill = c2.getDefiningOp<linalg::FillOp>()) {
      Value scalar = fill.getInputs()[0];
      if (matchPattern(scalar, m_Constant()) && scalar.getType() == cElement) {
        c2 = fill.getOutputs()[0];
        splatInit =
            vector::BroadcastOp::create(rewriter, loc, cVectorType, scalar);
      }
    }
    // A transposed C is written block by block, never read.
    if (m.transposedC && !splatInit)
      return failure();
    Value a2 = a8;
    if (j > 1 || m.grouped)
      a2 = tensor::CollapseShapeOp::create(rewriter, loc, a8, aReassoc);
    if (outRank > 2)
      c2 = tensor::CollapseShapeOp::create(rewriter, loc, c2, cReassoc);
    // The group-scaled form: S and Z as [M, G], and the weight's column
    // sums per group, f32 [G, NB * L] (exact: at most 127 * group; and,
    // for sdot, 128 times them in i32).
    Value scale2, zeroPoint2, groupSums, groupFlips;
    int64_t scaleGroups = m.grouped ? k / m.groupSize : 0;
    if (m.grouped) {
      auto [scale, zeroPoint] = materializeGroupScaling(rewriter, m, a8);
      scale2 = scale;
      zeroPoint2 = zeroPoint;
      if (j > 1) {
        SmallVector<ReassociationIndices> rowsAndGroup(2);
        for (int64_t i = 0; i < j; ++i)
          rowsAndGroup[0].push_back(i);
        rowsAndGroup[1].push_back(j);
        scale2 = tensor::CollapseShapeOp::create(rewriter, loc, scale2,
                                                 rowsAndGroup);
        zeroPoint2 = tensor::CollapseShapeOp::create(rewriter, loc,
                                                     zeroPoint2, rowsAndGroup);
      }
      int64_t width = paddedBlocks * kLanes;
      std::vector<int32_t> exact = groupColumnSums(w, k, n, m.groupSize);
      std::vector<float> sums(scaleGroups * width, 0.0f);
      std::vector<int32_t> flips(scaleGroups * width, 0);
      for (int64_t g = 0; g < scaleGroups; ++g)
        for (int64_t c = 0; c < n; ++c) {
          sums[g * width + c] = float(exact[g * n + c]);
          flips[g * width + c] = 128 * exact[g * n + c];
        }
      auto sumsType = RankedTensorType::get({scaleGroups, width},
                                            rewriter.getF32Type());
      groupSums = arith::ConstantOp::create(
          rewriter, loc, sumsType,
          DenseElementsAttr::get(sumsType, ArrayRef<float>(sums)));
      // s8 x s8 instructions: each group's sums are short of 128 * colsum.
      if (isa.signedOnly) {
        auto flipsType = RankedTensorType::get({scaleGroups, width}, i32);
        groupFlips = arith::ConstantOp::create(
            rewriter, loc, flipsType,
            DenseElementsAttr::get(flipsType, ArrayRef<int32_t>(flips)));
      }
    }

    auto idx = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value zero = idx(rewriter, 0), one = idx(rewriter, 1);
    Value rows = tensor::DimOp::create(rewriter, loc, a2, 0);
    Value mr = idx(rewriter, rowsPerBlock);
    Value fullRows = arith::MulIOp::create(
        rewriter, loc, arith::DivUIOp::create(rewriter, loc, rows, mr), mr);

    auto accType = VectorType::get({kLanes}, i32);
    auto bytesType = VectorType::get({kPanelBytes}, i8);
    auto groupType = VectorType::get({kGroup}, i8);
    Value padI8 = arith::ConstantOp::create(rewriter, loc, i8,
                                            rewriter.getIntegerAttr(i8, 0));
    Value padI32 = arith::ConstantOp::create(rewriter, loc, i32,
                                             rewriter.getIntegerAttr(i32, 0));
    Value padC = arith::ConstantOp::create(
        rewriter, loc, cElement, rewriter.getZeroAttr(cElement));
    // xor with 0x80 in each byte turns u8 a into the s8 a - 128.
    Value signFlip =
        isa.signedOnly
            ? arith::ConstantOp::create(
                  rewriter, loc, i32,
                  rewriter.getIntegerAttr(i32, int32_t(0x80808080u)))
                  .getResult()
            : Value();
    // Column blocks past N exist only when N is not a multiple of
    // 16 * nv; then C's reads and writes need masks.
    bool columnsInBounds = n % kLanes == 0 && paddedBlocks == blocks;
    MLIRContext *ctx = rewriter.getContext();
    AffineMap minor =
        AffineMap::get(2, 0, getAffineDimExpr(1, ctx), ctx);
    AffineMap panelMinor =
        AffineMap::get(3, 0, getAffineDimExpr(2, ctx), ctx);

    // The group-scaled form's reduction for a block of `r` rows (at
    // rowIdx) and the column blocks blockIdx: per group g, the i32 sums of
    // its group / 4 dot-product steps from zero (plus 128 * colsum_g where
    // A's bytes were flipped to a - 128 for sdot), then into the f32
    // accumulators `accs` by addGroupSum:
    //
    //   acc += S[m, g] * (sum - Z[m, g] * colsum_g[n])
    auto groupScaledReduction =
        [&](OpBuilder &b, ValueRange accs, ArrayRef<Value> rowIdx,
            ArrayRef<Value> blockIdx, int64_t r,
            llvm::function_ref<SmallVector<Value>(OpBuilder &, Value,
                                                  ValueRange, bool)>
                step) -> SmallVector<Value> {
      auto fType = VectorType::get({kLanes}, b.getF32Type());
      int64_t stepsPerGroup = m.groupSize / kGroup;
      Value zeroAcc = vector::BroadcastOp::create(b, loc, accType, padI32);
      auto groupLoop = scf::ForOp::create(
          b, loc, zero, idx(b, scaleGroups), one, accs,
          [&](OpBuilder &gb, Location l, Value g, ValueRange fAccs) {
            Value first = arith::MulIOp::create(gb, l, g, idx(gb, stepsPerGroup));
            Value last = arith::AddIOp::create(gb, l, first, idx(gb, stepsPerGroup));
            auto inner = scf::ForOp::create(
                gb, l, first, last, one,
                SmallVector<Value>(r * nv, zeroAcc),
                [&](OpBuilder &lb, Location ll, Value s, ValueRange in) {
                  scf::YieldOp::create(lb, ll, step(lb, s, in, true));
                });
            SmallVector<Value> sums, flips;
            for (int64_t jj = 0; jj < nv; ++jj) {
              Value col = arith::MulIOp::create(gb, l, blockIdx[jj],
                                                idx(gb, kLanes));
              sums.push_back(vector::TransferReadOp::create(
                  gb, l, fType, groupSums, ValueRange{g, col}, padC, minor,
                  ArrayRef<bool>{true}));
              if (groupFlips)
                flips.push_back(vector::TransferReadOp::create(
                    gb, l, accType, groupFlips, ValueRange{g, col}, padI32,
                    minor, ArrayRef<bool>{true}));
            }
            SmallVector<Value> out(fAccs);
            for (int64_t i = 0; i < r; ++i) {
              Value sc = tensor::ExtractOp::create(gb, l, scale2,
                                                   ValueRange{rowIdx[i], g});
              Value zp = tensor::ExtractOp::create(
                  gb, l, zeroPoint2, ValueRange{rowIdx[i], g});
              Value scVec = vector::BroadcastOp::create(gb, l, fType, sc);
              Value zpVec = vector::BroadcastOp::create(
                  gb, l, fType, negScaledZeroPoint(gb, l, sc, zp));
              for (int64_t jj = 0; jj < nv; ++jj) {
                Value sum = inner.getResult(i * nv + jj);
                if (groupFlips)
                  sum = arith::AddIOp::create(gb, l, sum, flips[jj]);
                out[i * nv + jj] = addGroupSum(gb, l, out[i * nv + jj], sum,
                                               sums[jj], scVec, zpVec);
              }
            }
            scf::YieldOp::create(gb, l, out);
          });
      return SmallVector<Value>(groupLoop.getResults());
    };

    // One block of `r` rows at row m0 and column blocks nb0..nb0+nv-1.
    // `relative`: c is the slice of C's columns from panel nb0 on (the
    // column-parallel form), so its column indices start at 0. c's rows
    // start at A's row `cRow0` (the row-parallel form's slice; else 0).
    auto block = [&](OpBuilder &b, Value c, Value m0, Value nb0, int64_t r,
                     bool relative, Value cRow0) {
      SmallVector<Value> rowIdx, cRowIdx, colIdx;
      for (int64_t i = 0; i < r; ++i) {
        rowIdx.push_back(arith::AddIOp::create(b, loc, m0, idx(b, i)));
        cRowIdx.push_back(
            arith::SubIOp::create(b, loc, rowIdx.back(), cRow0));
      }
      SmallVector<Value> blockIdx;
      for (int64_t j = 0; j < nv; ++j) {
        blockIdx.push_back(arith::AddIOp::create(b, loc, nb0, idx(b, j)));
        colIdx.push_back(relative ? idx(b, j * kLanes)
                                  : arith::MulIOp::create(b, loc,
                                                          blockIdx.back(),
                                                          idx(b, kLanes))
                                        .getResult());
      }
      SmallVector<Value> corrections;
      if (correction)
        for (int64_t j = 0; j < nv; ++j)
          corrections.push_back(vector::TransferReadOp::create(
              b, loc, accType, correction, ValueRange{blockIdx[j], zero},
              padI32, minor, ArrayRef<bool>{true}));
      SmallVector<Value> accs;
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < nv; ++j) {
          Value acc = splatInit
                          ? splatInit
                          : vector::TransferReadOp::create(
                                b, loc, cVectorType, c,
                                ValueRange{cRowIdx[i], colIdx[j]}, padC,
                                minor, ArrayRef<bool>{columnsInBounds})
                                .getResult();
          if (correction)
            acc = arith::AddIOp::create(b, loc, acc, corrections[j]);
          accs.push_back(acc);
        }

      // One reduction step at group g of k: A's bytes read in bounds or
      // zero-padded (the peeled last group).
      auto step = [&](OpBuilder &lb, Value g, ValueRange in,
                      bool aInBounds) {
        SmallVector<Value> panels;
        for (int64_t j = 0; j < nv; ++j)
          panels.push_back(vector::TransferReadOp::create(
              lb, loc, bytesType, p, ValueRange{blockIdx[j], g, zero},
              padI8, panelMinor, ArrayRef<bool>{true}));
        Value kk = arith::MulIOp::create(lb, loc, g, idx(lb, kGroup));
        SmallVector<Value> out(in);
        for (int64_t i = 0; i < r; ++i) {
          Value group = vector::TransferReadOp::create(
              lb, loc, groupType, a2, ValueRange{rowIdx[i], kk}, padI8, minor,
              ArrayRef<bool>{aInBounds});
          Value word = vector::BitCastOp::create(
              lb, loc, VectorType::get({1}, i32), group);
          Value scalar = vector::ExtractOp::create(lb, loc, word, 0);
          if (signFlip)
            scalar = arith::XOrIOp::create(lb, loc, scalar, signFlip);
          Value splat = vector::BroadcastOp::create(lb, loc, accType, scalar);
          Value bytes = vector::BitCastOp::create(lb, loc, bytesType, splat);
          for (int64_t j = 0; j < nv; ++j)
            out[i * nv + j] =
                LLVM::CallOp::create(
                    lb, loc, helper,
                    ValueRange{out[i * nv + j], bytes, panels[j]})
                    .getResult();
        }
        return out;
      };
      SmallVector<Value> result;
      if (m.grouped) {
        result = groupScaledReduction(b, accs, rowIdx, blockIdx, r, step);
      } else {
        auto loop = scf::ForOp::create(
            b, loc, zero, idx(b, fullK4), one, accs,
            [&](OpBuilder &lb, Location l, Value g, ValueRange in) {
              scf::YieldOp::create(lb, l, step(lb, g, in, true));
            });
        result = loop.getResults();
        if (k4 != fullK4)
          result = step(b, idx(b, fullK4), result, false);
      }
      if (m.transposedC) {
        // The r x L block of column vector j, transposed in registers, at
        // C[col.., row..]: r contiguous values for each of L columns.
        auto tileType = VectorType::get({r, kLanes}, i32);
        for (int64_t j = 0; j < nv; ++j) {
          Value tile = vector::BroadcastOp::create(b, loc, tileType, padI32);
          for (int64_t i = 0; i < r; ++i)
            tile = vector::InsertOp::create(b, loc, result[i * nv + j], tile,
                                            ArrayRef<int64_t>{i});
          Value t = vector::TransposeOp::create(b, loc, tile,
                                                ArrayRef<int64_t>{1, 0});
          c = vector::TransferWriteOp::create(
                  b, loc, t, c, ValueRange{colIdx[j], cRowIdx[0]},
                  b.getMultiDimIdentityMap(2),
                  ArrayRef<bool>{columnsInBounds, true})
                  .getResult();
        }
        return c;
      }
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < nv; ++j)
          c = vector::TransferWriteOp::create(
                  b, loc, result[i * nv + j], c,
                  ValueRange{cRowIdx[i], colIdx[j]}, minor,
                  ArrayRef<bool>{columnsInBounds})
                  .getResult();
      return c;
    };

    // Rows [first, fullEnd) in full blocks, then those up to `last` one by
    // one, over the column panels nb0..nb0+nv-1; cIn's rows start at A's
    // row `first`.
    auto sweepRowRange = [&](OpBuilder &b, Location l, Value cIn, Value nb0,
                             bool relative, Value first, Value fullEnd,
                             Value last) -> Value {
      auto full = scf::ForOp::create(
          b, l, first, fullEnd, mr, cIn,
          [&](OpBuilder &rb, Location rl, Value m0, ValueRange c) {
            scf::YieldOp::create(rb, rl,
                                 block(rb, c[0], m0, nb0, rowsPerBlock,
                                       relative, first));
          });
      auto tail = scf::ForOp::create(
          b, l, fullEnd, last, one, full.getResults(),
          [&](OpBuilder &rb, Location rl, Value m0, ValueRange c) {
            scf::YieldOp::create(
                rb, rl, block(rb, c[0], m0, nb0, 1, relative, first));
          });
      return tail.getResult(0);
    };
    // Every row.
    auto sweepRows = [&](OpBuilder &b, Location l, Value cIn, Value nb0,
                         bool relative) -> Value {
      return sweepRowRange(b, l, cIn, nb0, relative, zero, fullRows, rows);
    };

    // Column panels outside (a panel of P stays in cache while the rows
    // sweep over it). The panels write disjoint columns of C: with
    // `parallel`, they are an scf.forall, each iteration on its own slice
    // of C's columns (the last one narrower when N is not a multiple).
    int64_t groups = paddedBlocks / nv;
    Value result;
    int64_t staticRows = cast<ShapedType>(a2.getType()).getDimSize(0);
    uint64_t macs = llvm::SaturatingMultiply(
        llvm::SaturatingMultiply(uint64_t(k), uint64_t(n)),
        ShapedType::isDynamic(staticRows) ? uint64_t(1) : uint64_t(staticRows));
    // An scf.forall of `count` iterations, each computing its own slice of
    // C: `where` gives the slice's offsets and sizes (rows, then columns;
    // swapped here when C is transposed), `sweep` its value from the
    // extracted slice, which is inserted back.
    struct CSlice {
      SmallVector<OpFoldResult> offsets, sizes;
    };
    auto sliceForall =
        [&](int64_t count, llvm::function_ref<CSlice(OpBuilder &, Value)> where,
            llvm::function_ref<Value(OpBuilder &, Value)> sweep) -> Value {
      auto forall = scf::ForallOp::create(
          rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(count)},
          ValueRange{c2}, std::nullopt);
      OpBuilder b = OpBuilder::atBlockBegin(forall.getBody());
      Value shared = forall.getRegionIterArgs()[0];
      CSlice at = where(b, forall.getInductionVars()[0]);
      if (m.transposedC) {
        std::swap(at.offsets[0], at.offsets[1]);
        std::swap(at.sizes[0], at.sizes[1]);
      }
      SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(b, loc, shared, at.offsets,
                                                   at.sizes, strides);
      Value done = sweep(b, slice);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, done, shared, at.offsets,
                                            at.sizes, strides);
      return forall.getResult(0);
    };
    bool large = macs >= uint64_t(std::max<int64_t>(0, minParallelMacs));
    if (parallel && large && groups > 1) {
      // Each iteration: one group of panels, all rows.
      Value nb0;
      result = sliceForall(
          groups,
          [&](OpBuilder &b, Value group) {
            nb0 = arith::MulIOp::create(b, loc, group, idx(b, nv));
            Value col0 = arith::MulIOp::create(b, loc, nb0, idx(b, kLanes));
            Value width = arith::MinSIOp::create(
                b, loc, idx(b, nv * kLanes),
                arith::SubIOp::create(b, loc, idx(b, n), col0));
            return CSlice{{b.getIndexAttr(0), col0}, {rows, width}};
          },
          [&](OpBuilder &b, Value slice) {
            return sweepRows(b, loc, slice, nb0, true);
          });
    } else if (parallel && large && groups == 1 &&
               !ShapedType::isDynamic(staticRows) &&
               staticRows >= 2 * rowsPerBlock) {
      // One group of panels (N up to lanes x column-vectors: resnet50's
      // 64-channel convolutions) but many rows: the rows are split instead,
      // in chunks of whole blocks, each iteration its own slice of C's rows
      // over every panel.
      int64_t blocksOfRows = staticRows / rowsPerBlock;
      int64_t chunks = std::min<int64_t>(kRowChunks, blocksOfRows);
      int64_t chunkRows = llvm::divideCeil(blocksOfRows, chunks) * rowsPerBlock;
      chunks = llvm::divideCeil(staticRows, chunkRows);
      Value first, fullEnd, last;
      result = sliceForall(
          chunks,
          [&](OpBuilder &b, Value chunk) {
            first = arith::MulIOp::create(b, loc, chunk, idx(b, chunkRows));
            last = arith::MinSIOp::create(
                b, loc,
                arith::AddIOp::create(b, loc, first, idx(b, chunkRows)),
                idx(b, staticRows));
            Value count = arith::SubIOp::create(b, loc, last, first);
            // Chunks are whole blocks but the last: its tail goes row by
            // row.
            fullEnd = arith::AddIOp::create(
                b, loc, first,
                arith::MulIOp::create(
                    b, loc, arith::DivUIOp::create(b, loc, count, mr), mr));
            return CSlice{{first, b.getIndexAttr(0)},
                          {count, b.getIndexAttr(n)}};
          },
          [&](OpBuilder &b, Value slice) {
            return scf::ForOp::create(
                       b, loc, zero, idx(b, paddedBlocks), idx(b, nv),
                       ValueRange{slice},
                       [&](OpBuilder &cb, Location l, Value nb0,
                           ValueRange cIn) {
                         scf::YieldOp::create(
                             cb, l,
                             sweepRowRange(cb, l, cIn[0], nb0, false, first,
                                           fullEnd, last));
                       })
                .getResult(0);
          });
    } else {
      auto columns = scf::ForOp::create(
          rewriter, loc, zero, idx(rewriter, paddedBlocks), idx(rewriter, nv),
          ValueRange{c2},
          [&](OpBuilder &b, Location l, Value nb0, ValueRange cIn) {
            scf::YieldOp::create(b, l, sweepRows(b, l, cIn[0], nb0, false));
          });
      result = columns.getResult(0);
    }
    if (outRank > 2)
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, op->getResult(0).getType(), result, cReassoc);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Reshape propagation may split K into several reduction dims: an A
/// reshaped [.., M, H, D] -> [.., M, H * D] just before the product (the
/// attention output of a transformer, when nothing else reads the reshaped
/// value, as with a constant-scale quantization) folds into the
/// contraction as reductions over (H, D) with W viewed [H, D, N]. An i32
/// contraction whose trailing iterators are such reductions, contiguous in
/// every operand, becomes one with a single reduction over H * D again
/// (the operands collapsed by reshapes, which keep the row-major bytes of
/// the constant weight), which the matcher then sees.
void collapseSplitReductions(ModuleOp module) {
  SmallVector<linalg::GenericOp> candidates;
  module.walk([&](linalg::GenericOp op) {
    auto iterators = op.getIteratorTypesArray();
    int64_t reductions = 0;
    while (reductions < int64_t(iterators.size()) &&
           iterators[iterators.size() - 1 - reductions] ==
               utils::IteratorType::reduction)
      ++reductions;
    if (reductions < 2 || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() != unsigned(reductions))
      return;
    auto cType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
    if (!cType || !cType.getElementType().isInteger(32))
      return;
    // Only plain index maps whose reductions are adjacent in every operand:
    // a convolution's input reads oh + kh, which no reshape can collapse.
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (!llvm::all_of(maps, [](AffineMap m) {
          return m.isProjectedPermutation();
        }))
      return;
    ReassociationIndices folded;
    for (int64_t i = iterators.size() - reductions; i < int64_t(iterators.size()); ++i)
      folded.push_back(i);
    if (!linalg::areDimSequencesPreserved(maps, {folded}))
      return;
    candidates.push_back(op);
  });
  IRRewriter rewriter(module.getContext());
  for (linalg::GenericOp op : candidates) {
    int64_t loops = op.getNumLoops(), reductions = op.getNumReductionLoops();
    ReassociationIndices folded;
    for (int64_t i = loops - reductions; i < loops; ++i)
      folded.push_back(i);
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(op, {folded}, rewriter);
    if (succeeded(collapsed))
      rewriter.replaceOp(op, collapsed->results);
  }
}

/// Reshape propagation may also split a group-scaled product's group loop
/// g into (g, 1): its scale and zero point come from [.., G, 1] ranges
/// reshaped to [.., G]. An f32 contraction with an i8 constant operand and
/// more than two trailing reductions loses those of extent 1 (the operands
/// collapsed by reshapes), so that the matcher sees (g, k') again.
void dropUnitReductions(ModuleOp module) {
  SmallVector<std::pair<linalg::GenericOp, SmallVector<unsigned>>> candidates;
  module.walk([&](linalg::GenericOp op) {
    if (op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
        !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32() ||
        op.getNumReductionLoops() <= 2)
      return;
    if (!llvm::any_of(op.getDpsInputs(), [](Value v) {
          return getElementTypeOrSelf(v.getType()).isInteger(8) &&
                 constantThroughReshapes(v);
        }))
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto iterators = op.getIteratorTypesArray();
    SmallVector<unsigned> unitReductions;
    for (unsigned i = 0; i < ranges.size(); ++i)
      if (iterators[i] == utils::IteratorType::reduction && ranges[i] == 1)
        unitReductions.push_back(i);
    if (!unitReductions.empty())
      candidates.push_back({op, unitReductions});
  });
  IRRewriter rewriter(module.getContext());
  for (auto &[op, dims] : candidates) {
    linalg::ControlDropUnitDims options;
    options.controlFn = [dims = dims](Operation *) { return dims; };
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, op, options);
    if (succeeded(dropped))
      rewriter.replaceOp(op, dropped->replacements);
  }
}

struct VectorizeIntegerContractionsPass
    : impl::VectorizeIntegerContractionsBase<VectorizeIntegerContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    rewriteIntegerConvsAsProducts(module);
    collapseSplitReductions(module);
    dropUnitReductions(module);
    std::vector<IntegerContraction> matches;
    module.walk([&](linalg::GenericOp op) {
      if (auto m = matchIntegerContraction(op))
        matches.push_back(*m);
    });
    if (matches.empty())
      return;
    IRRewriter rewriter(&getContext());
    const DotProductIsa *isa = nullptr;
    if (dotProduct != "none") {
      isa = findDotProductIsa(dotProduct);
      if (!isa) {
        module.emitError() << "onnxc-vectorize-integer-contractions: unknown "
                              "dot-product '"
                           << dotProduct
                           << "' (none, avx512-vnni, avx-vnni, avx2, neon-i8mm, "
                              "neon-dotprod)";
        return signalPassFailure();
      }
    }
    std::optional<DotProductKernel> kernel;
    if (isa)
      kernel.emplace(DotProductKernel{
          *isa, std::max<int64_t>(1, rows),
          std::max<int64_t>(1, columnVectors),
          getOrCreateDotHelper(module, *isa), parallel, minParallelMacs});
    for (IntegerContraction &m : matches) {
      rewriter.setInsertionPoint(m.op);
      if (m.grouped) {
        Value a8 = materializeA8(rewriter, m);
        // Without a kernel, the exact portable form; failing that too, the
        // f32 generic stays (what was materialized for it is dead).
        if (!kernel || failed(kernel->rewrite(rewriter, m, a8)))
          (void)rebuildGroupScaled(rewriter, m, a8);
        continue;
      }
      Value a8 = materializeA8(rewriter, m);
      if (kernel && succeeded(kernel->rewrite(rewriter, m, a8)))
        continue;
      rebuildContraction(rewriter, m, a8);
    }
  }
};

} // namespace
} // namespace onnxc
