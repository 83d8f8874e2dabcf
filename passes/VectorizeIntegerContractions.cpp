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
// K x N reaches `min-parallel-macs`: each iteration owns a slice of C's
// columns, so the threads share nothing but the read-only A and P, and the
// result is the same, bit for bit, at any thread count.
//
//===----------------------------------------------------------------------===//

#include "passes/ConstantBytes.h"
#include "passes/IntegerProducts.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
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
};

std::optional<IntegerContraction> matchIntegerContraction(linalg::GenericOp op) {
  if (op.getNumDpsInputs() < 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !op.hasPureTensorSemantics())
    return std::nullopt;
  auto cType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!cType || !cType.getElementType().isInteger(32))
    return std::nullopt;
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

  // Loops (r.., c.., k): C identity, A (r.., k), W (k, c..).
  int64_t p = cType.getRank(), j = p - (wType.getRank() - 1);
  if (j < 1)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  if (int64_t(iterators.size()) != p + 1)
    return std::nullopt;
  for (int64_t i = 0; i < p; ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      return std::nullopt;
  if (iterators[p] != utils::IteratorType::reduction)
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> aExprs, wExprs{d(p)}, cExprs;
  for (int64_t i = 0; i < j; ++i)
    aExprs.push_back(d(i));
  aExprs.push_back(d(p));
  for (int64_t i = j; i < p; ++i)
    wExprs.push_back(d(i));
  for (int64_t i = 0; i < p; ++i)
    cExprs.push_back(d(i));
  AffineMap aMap = AffineMap::get(p + 1, 0, aExprs, ctx);
  if (op.getMatchingIndexingMap(match.w) != AffineMap::get(p + 1, 0, wExprs, ctx))
    return std::nullopt;
  // C [rows, columns], or C [columns, rows] for a 2-D product (the channels
  // x pixels result of a convolution, IntegerProducts.cpp).
  AffineMap cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (p == 2 && j == 1 && cMap == AffineMap::get(3, 0, {d(1), d(0)}, ctx))
    match.transposedC = true;
  else if (cMap != AffineMap::get(p + 1, 0, cExprs, ctx))
    return std::nullopt;
  // Every other input indexes no column dim; the first indexed exactly
  // (r.., k) is A.
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
  }
  if (!match.a)
    return std::nullopt;
  auto aType = dyn_cast<RankedTensorType>(match.a->get().getType());
  if (!aType || aType.getRank() != j + 1)
    return std::nullopt;

  std::optional<U8S8Body> body = matchU8S8MulAddBody(op, match.w, match.aSide);
  if (!body)
    return std::nullopt;
  match.body = std::move(*body);
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

/// A as an i8 tensor: the input itself, or an elementwise generic over
/// (r.., k) that computes the fused producer once per element.
Value materializeA8(RewriterBase &rewriter, const IntegerContraction &m) {
  linalg::GenericOp op = m.op;
  Value a = m.a->get();
  if (m.body.a8 == op.getMatchingBlockArgument(m.a))
    return a;
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  int64_t j = m.rowDims, p = m.outRank;
  // The contraction's dims (r.., c.., k) -> the new loop's (r.., k); the
  // A-side maps use no column dim, so those map anywhere.
  SmallVector<AffineExpr> dims;
  for (int64_t i = 0; i < p + 1; ++i)
    dims.push_back(getAffineDimExpr(i < j ? i : j, ctx));
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  for (OpOperand *in : m.aSide) {
    ins.push_back(in->get());
    maps.push_back(op.getMatchingIndexingMap(in).replaceDimsAndSymbols(
        dims, {}, j + 1, 0));
  }
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, a),
      rewriter.getI8Type());
  maps.push_back(rewriter.getMultiDimIdentityMap(j + 1));
  auto generic = linalg::GenericOp::create(
      rewriter, loc, empty.getType(), ins, empty, maps,
      SmallVector<utils::IteratorType>(j + 1, utils::IteratorType::parallel),
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

constexpr int64_t kGroup = 4; // bytes of k per lane and dot product

/// A 4-byte dot-product instruction the kernel is built on (see the top of
/// the file).
struct DotProductIsa {
  StringLiteral name;      // the `dot-product` option's value
  int64_t lanes;           // i32 lanes of one vector
  StringLiteral intrinsic; // (acc <L x i32>, a <4L x i8>, b <4L x i8>)
  /// s8 x s8 only (sdot): A is flipped to a - 128 and corrected.
  bool signedOnly;
};

constexpr DotProductIsa kDotProductIsas[] = {
    {"avx512-vnni", 16, "llvm.x86.avx512.vpdpbusd.512", false},
    {"avx-vnni", 8, "llvm.x86.avx512.vpdpbusd.256", false},
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
  Value r = LLVM::CallIntrinsicOp::create(b, loc, acc,
                                          b.getStringAttr(isa.intrinsic),
                                          entry->getArguments())
                .getResult(0);
  LLVM::ReturnOp::create(b, loc, r);
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
    int64_t k = wType.getDimSize(0), n = wType.getNumElements() / k;
    std::vector<int8_t> w = constantBytes(weight);
    if (int64_t(w.size()) != k * n)
      return failure();
    if (w.empty() || k == 0 || n == 0)
      return failure();
    const int64_t kLanes = isa.lanes, kPanelBytes = kLanes * kGroup;
    int64_t blocks = llvm::divideCeil(n, kLanes);
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
    // s8 x s8 instructions: the correction of A's sign flip, per column.
    Value correction;
    if (isa.signedOnly) {
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
    Value splatInit;
    if (auto fill = c2.getDefiningOp<linalg::FillOp>()) {
      Value scalar = fill.getInputs()[0];
      if (matchPattern(scalar, m_Constant()) &&
          scalar.getType() == rewriter.getI32Type()) {
        c2 = fill.getOutputs()[0];
        splatInit = vector::BroadcastOp::create(
            rewriter, loc, VectorType::get({kLanes}, rewriter.getI32Type()),
            scalar);
      }
    }
    // A transposed C is written block by block, never read.
    if (m.transposedC && !splatInit)
      return failure();
    Value a2 = a8;
    if (j > 1)
      a2 = tensor::CollapseShapeOp::create(rewriter, loc, a8, aReassoc);
    if (outRank > 2)
      c2 = tensor::CollapseShapeOp::create(rewriter, loc, c2, cReassoc);

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

    // One block of `r` rows at row m0 and column blocks nb0..nb0+nv-1.
    // `relative`: c is the slice of C's columns from panel nb0 on (the
    // parallel form), so its column indices start at 0.
    auto block = [&](OpBuilder &b, Value c, Value m0, Value nb0, int64_t r,
                     bool relative) {
      SmallVector<Value> rowIdx, colIdx;
      for (int64_t i = 0; i < r; ++i)
        rowIdx.push_back(arith::AddIOp::create(b, loc, m0, idx(b, i)));
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
                                b, loc, accType, c,
                                ValueRange{rowIdx[i], colIdx[j]}, padI32,
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
      auto loop = scf::ForOp::create(
          b, loc, zero, idx(b, fullK4), one, accs,
          [&](OpBuilder &lb, Location l, Value g, ValueRange in) {
            scf::YieldOp::create(lb, l, step(lb, g, in, true));
          });
      SmallVector<Value> result(loop.getResults());
      if (k4 != fullK4)
        result = step(b, idx(b, fullK4), result, false);
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
                  b, loc, t, c, ValueRange{colIdx[j], rowIdx[0]},
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
                  ValueRange{rowIdx[i], colIdx[j]}, minor,
                  ArrayRef<bool>{columnsInBounds})
                  .getResult();
      return c;
    };

    // Full row blocks, then the rows left one by one, over the column
    // panels nb0..nb0+nv-1.
    auto sweepRows = [&](OpBuilder &b, Location l, Value cIn, Value nb0,
                         bool relative) -> Value {
      auto full = scf::ForOp::create(
          b, l, zero, fullRows, mr, cIn,
          [&](OpBuilder &rb, Location rl, Value m0, ValueRange c) {
            scf::YieldOp::create(
                rb, rl, block(rb, c[0], m0, nb0, rowsPerBlock, relative));
          });
      auto tail = scf::ForOp::create(
          b, l, fullRows, rows, one, full.getResults(),
          [&](OpBuilder &rb, Location rl, Value m0, ValueRange c) {
            scf::YieldOp::create(rb, rl,
                                 block(rb, c[0], m0, nb0, 1, relative));
          });
      return tail.getResult(0);
    };

    // Column panels outside (a panel of P stays in cache while the rows
    // sweep over it). The panels write disjoint columns of C: with
    // `parallel`, they are an scf.forall, each iteration on its own slice
    // of C's columns (the last one narrower when N is not a multiple).
    int64_t groups = paddedBlocks / nv;
    Value result;
    if (parallel && groups > 1 &&
        llvm::SaturatingMultiply(uint64_t(k), uint64_t(n)) >=
            uint64_t(std::max<int64_t>(0, minParallelMacs))) {
      auto forall = scf::ForallOp::create(
          rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(groups)},
          ValueRange{c2}, std::nullopt);
      OpBuilder b = OpBuilder::atBlockBegin(forall.getBody());
      Value shared = forall.getRegionIterArgs()[0];
      Value nb0 = arith::MulIOp::create(b, loc, forall.getInductionVars()[0],
                                        idx(b, nv));
      Value col0 = arith::MulIOp::create(b, loc, nb0, idx(b, kLanes));
      Value width = arith::MinSIOp::create(
          b, loc, idx(b, nv * kLanes),
          arith::SubIOp::create(b, loc, idx(b, n), col0));
      SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), col0},
          sizes{rows, width}, strides{b.getIndexAttr(1), b.getIndexAttr(1)};
      if (m.transposedC) {
        std::swap(offsets[0], offsets[1]);
        std::swap(sizes[0], sizes[1]);
      }
      Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                   sizes, strides);
      Value done = sweepRows(b, loc, slice, nb0, true);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, done, shared, offsets,
                                            sizes, strides);
      result = forall.getResult(0);
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

struct VectorizeIntegerContractionsPass
    : impl::VectorizeIntegerContractionsBase<VectorizeIntegerContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    rewriteIntegerConvsAsProducts(module);
    collapseSplitReductions(module);
    SmallVector<IntegerContraction> matches;
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
                           << "' (none, avx512-vnni, avx-vnni, neon-i8mm, "
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
      Value a8 = materializeA8(rewriter, m);
      if (kernel && succeeded(kernel->rewrite(rewriter, m, a8)))
        continue;
      rebuildContraction(rewriter, m, a8);
    }
  }
};

} // namespace
} // namespace onnxc
