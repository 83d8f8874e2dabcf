//===- TfIdf.cpp - TfIdfVectorizer -------------------------------------===//
//
// Counts n-grams of integer token ids against a fixed pool and weights them.
//
// Semantics (those of the ONNX reference, itself a port of onnxruntime):
// for every skip distance d = 1 .. max_skip_count + 1 and every start s, the
// n-gram of length n is X[s], X[s + d], ..., X[s + d*(n-1)] (all inside the
// row), for n in [min_gram_length, max_gram_length]; unigrams are only taken
// with d = 1 (so they count once per position, not once per skip). Only the
// pool levels whose length lies in [min, max] are looked up. Every n-gram
// found in the pool adds one to Y[ngram_indexes[its ordinal in the pool]].
// Then TF keeps the count, IDF gives weights[o] where the count is > 0 and
// TFIDF gives count * weights[o]; the reference indexes the weights by the
// output coordinate o (not by the pool ordinal), and so does this lowering.
//
// The pool is an attribute, so it is compiled into constant tables:
//   1. counts[r, k] (i64) for each loaded pool n-gram k: a linalg.generic
//      over (row, k, skip, start) reducing the last two dims; the body
//      compares the (masked) n-gram with the pool entry's columns.
//   2. Y[r, o]: the pool n-grams are grouped by output coordinate at compile
//      time (CSR: offsets[o] .. offsets[o+1] into a member list), so each
//      output sums its own counts in an scf.for and applies the mode.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <set>
#include <string>

using namespace mlir;

namespace onnxc {
namespace {

enum class Weighting { TF, IDF, TFIDF };

/// The pool n-grams that take part (length in [min, max]), decoded from the
/// attributes at compile time.
struct Pool {
  SmallVector<int64_t> lengths;              // n of each entry
  SmallVector<SmallVector<int64_t>> columns; // columns[j][k]: j-th token
  SmallVector<int64_t> outputs;              // ngram_indexes[ordinal]
  int64_t maxLength = 0;
};

SmallVector<int64_t> intsOf(ArrayAttr attr) {
  SmallVector<int64_t> v;
  for (Attribute a : attr)
    v.push_back(cast<IntegerAttr>(a).getInt());
  return v;
}

/// Decodes the pool levels as the reference does: level i holds n-grams of
/// length i+1 from ngram_counts[i] to the next level's start (or the pool's
/// end); ordinals count every n-gram of every level in order, also those of
/// levels outside [minLen, maxLen] which are not loaded. Returns a failure
/// reason, or an empty string.
std::string decodePool(ArrayRef<int64_t> pool, ArrayRef<int64_t> counts,
                       ArrayRef<int64_t> indexes, int64_t minLen,
                       int64_t maxLen, Pool &out) {
  int64_t total = pool.size();
  int64_t ordinal = 0;
  std::set<SmallVector<int64_t>> seen;
  SmallVector<SmallVector<int64_t>> grams;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t n = int64_t(i) + 1;
    int64_t begin = counts[i];
    int64_t end = i + 1 < counts.size() ? counts[i + 1] : total;
    if (begin < 0 || end > total || begin > end)
      return "ngram_counts are not increasing offsets into the pool";
    int64_t items = end - begin;
    if (items % n != 0)
      return "a pool level is not a whole number of n-grams";
    int64_t ngrams = items / n;
    if (n < minLen || n > maxLen) {
      ordinal += ngrams;
      continue;
    }
    for (int64_t g = 0; g < ngrams; ++g, ++ordinal) {
      if (ordinal >= int64_t(indexes.size()))
        return "ngram_indexes is shorter than the pool";
      SmallVector<int64_t> gram(pool.begin() + begin + g * n,
                                pool.begin() + begin + (g + 1) * n);
      // onnxruntime rejects a pool holding the same n-gram twice.
      if (!seen.insert(gram).second)
        return "the pool holds the same n-gram twice";
      out.lengths.push_back(n);
      out.outputs.push_back(indexes[ordinal]);
      out.maxLength = std::max(out.maxLength, n);
      grams.push_back(std::move(gram));
    }
  }
  // Columns are padded with zeros past each entry's length (masked in the
  // generated code).
  out.columns.assign(out.maxLength, SmallVector<int64_t>(grams.size(), 0));
  for (size_t e = 0; e < grams.size(); ++e)
    for (size_t j = 0; j < grams[e].size(); ++j)
      out.columns[j][e] = grams[e][j];
  return "";
}

Value constantTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> values,
                     Type elem) {
  auto type = RankedTensorType::get({int64_t(values.size())}, elem);
  unsigned width = isa<IndexType>(elem) ? IndexType::kInternalStorageBitWidth
                                        : elem.getIntOrFloatBitWidth();
  SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(width, v, /*isSigned=*/true));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, ints));
}

struct TfIdfVectorizerLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op->getLoc();
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !resultType)
      return rewriter.notifyMatchFailure(op, "unranked input or result");
    auto xElem = dyn_cast<IntegerType>(xType.getElementType());
    if (op->getAttr("pool_strings") || !xElem)
      return rewriter.notifyMatchFailure(
          op, "only integer token ids (pool_int64s) are supported, not "
              "string pools");
    if (xElem.getWidth() != 32 && xElem.getWidth() != 64)
      return rewriter.notifyMatchFailure(op, "input must be int32 or int64");
    int64_t rank = xType.getRank();
    if (rank != 1 && rank != 2)
      return rewriter.notifyMatchFailure(op, "input must be 1-D or 2-D");

    auto poolAttr = op->getAttrOfType<ArrayAttr>("pool_int64s");
    auto countsAttr = op->getAttrOfType<ArrayAttr>("ngram_counts");
    auto indexesAttr = op->getAttrOfType<ArrayAttr>("ngram_indexes");
    auto modeAttr = op->getAttrOfType<StringAttr>("mode");
    if (!poolAttr || !countsAttr || !indexesAttr || !modeAttr ||
        !op->getAttr("min_gram_length") || !op->getAttr("max_gram_length") ||
        !op->getAttr("max_skip_count"))
      return rewriter.notifyMatchFailure(op, "a required attribute is missing");
    int64_t minLen = intAttrOr(op, "min_gram_length", 0);
    int64_t maxLen = intAttrOr(op, "max_gram_length", 0);
    int64_t maxSkip = intAttrOr(op, "max_skip_count", 0);
    // The reference's unigram rule depends on min_gram_length being >= 1;
    // anything else is not a meaningful model.
    if (minLen < 1 || maxLen < minLen || maxSkip < 0)
      return rewriter.notifyMatchFailure(
          op, "needs 1 <= min_gram_length <= max_gram_length and "
              "max_skip_count >= 0");
    Weighting mode;
    if (modeAttr.getValue() == "TF")
      mode = Weighting::TF;
    else if (modeAttr.getValue() == "IDF")
      mode = Weighting::IDF;
    else if (modeAttr.getValue() == "TFIDF")
      mode = Weighting::TFIDF;
    else
      return rewriter.notifyMatchFailure(op, "unknown mode");

    SmallVector<int64_t> indexes = intsOf(indexesAttr);
    if (indexes.empty() ||
        llvm::any_of(indexes, [](int64_t i) { return i < 0; }))
      return rewriter.notifyMatchFailure(
          op, "ngram_indexes must be non-empty and non-negative");
    int64_t outSize = *llvm::max_element(indexes) + 1;

    SmallVector<double> weights;
    if (auto w = op->getAttrOfType<ArrayAttr>("weights"))
      for (Attribute a : w)
        weights.push_back(cast<FloatAttr>(a).getValueAsDouble());
    // The reference reads weights[o] for every output coordinate o; an
    // empty list means all ones.
    if (!weights.empty() && int64_t(weights.size()) < outSize)
      return rewriter.notifyMatchFailure(
          op, "weights are fewer than the output coordinates");

    Pool pool;
    std::string why = decodePool(intsOf(poolAttr), intsOf(countsAttr), indexes,
                                 minLen, maxLen, pool);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);

    if (resultType.getRank() != rank ||
        !isa<Float32Type>(resultType.getElementType()) ||
        (!ShapedType::isDynamic(resultType.getShape().back()) &&
         resultType.getShape().back() != outSize))
      return rewriter.notifyMatchFailure(op, "unexpected result type");

    // Work on [N, C] throughout.
    Value x = operands[0];
    if (rank == 1) {
      auto type2 = RankedTensorType::get({1, xType.getDimSize(0)}, xElem);
      x = tensor::ExpandShapeOp::create(
          rewriter, loc, type2, x, SmallVector<ReassociationIndices>{{0, 1}});
    }
    auto x2Type = cast<RankedTensorType>(x.getType());
    Type i64 = rewriter.getI64Type();
    Type f32 = rewriter.getF32Type();
    Type indexType = rewriter.getIndexType();
    SmallVector<Value> rowDyn;
    if (x2Type.isDynamicDim(0))
      rowDyn.push_back(tensor::DimOp::create(rewriter, loc, x, 0));
    Value cols = tensor::DimOp::create(rewriter, loc, x, 1);
    int64_t rows = x2Type.getDimSize(0);
    int64_t numEntries = pool.lengths.size();
    MLIRContext *ctx = rewriter.getContext();

    // 1. counts[r, k] over (r, k, d, s).
    SmallVector<int64_t> skipDistances;
    for (int64_t d = 1; d <= maxSkip + 1; ++d)
      skipDistances.push_back(d);
    SmallVector<Value> inputs{x,
                              constantTensor(rewriter, loc, skipDistances, i64),
                              constantTensor(rewriter, loc, pool.lengths, i64)};
    for (auto &col : pool.columns)
      inputs.push_back(constantTensor(rewriter, loc, col, i64));
    AffineExpr r = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx),
               d = getAffineDimExpr(2, ctx), s = getAffineDimExpr(3, ctx);
    SmallVector<AffineMap> maps{AffineMap::get(4, 0, {r, s}, ctx),
                                AffineMap::get(4, 0, {d}, ctx)};
    for (size_t i = 2; i < inputs.size(); ++i)
      maps.push_back(AffineMap::get(4, 0, {k}, ctx));
    maps.push_back(AffineMap::get(4, 0, {r, k}, ctx));
    auto countsType = RankedTensorType::get({rows, numEntries}, i64);
    Value countsInit = createFilled(rewriter, loc, countsType, 0, rowDyn);
    int64_t maxLength = pool.maxLength;
    // With no n-gram of the wanted lengths in the pool every count is 0.
    Value counts = countsInit;
    if (numEntries > 0)
      counts =
          linalg::GenericOp::create(
              rewriter, loc, countsType, inputs, countsInit, maps,
              {utils::IteratorType::parallel, utils::IteratorType::parallel,
               utils::IteratorType::reduction, utils::IteratorType::reduction},
              [&](OpBuilder &b, Location l, ValueRange a) {
                auto cmpI = [&](arith::CmpIPredicate p, Value lhs, Value rhs) {
                  return arith::CmpIOp::create(b, l, p, lhs, rhs).getResult();
                };
                auto andI = [&](Value lhs, Value rhs) {
                  return arith::AndIOp::create(b, l, lhs, rhs).getResult();
                };
                auto orI = [&](Value lhs, Value rhs) {
                  return arith::OrIOp::create(b, l, lhs, rhs).getResult();
                };
                auto widen = [&](Value v) -> Value {
                  return xElem.getWidth() == 64
                             ? v
                             : arith::ExtSIOp::create(b, l, i64, v).getResult();
                };
                Value dist = a[1], len = a[2];
                Value row = linalg::IndexOp::create(b, l, 0);
                Value start = linalg::IndexOp::create(b, l, 3);
                Value one =
                    arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1));
                Value distIdx = toIndex(b, l, dist);
                // The last token s + d*(n-1) must lie inside the row, and
                // unigrams are only taken at the first skip distance.
                Value lenMinus1 =
                    toIndex(b, l, arith::SubIOp::create(b, l, len, one));
                Value last = arith::AddIOp::create(
                    b, l, start,
                    arith::MulIOp::create(b, l, distIdx, lenMinus1));
                Value match =
                    andI(cmpI(arith::CmpIPredicate::ult, last, cols),
                         orI(cmpI(arith::CmpIPredicate::ne, len, one),
                             cmpI(arith::CmpIPredicate::eq, dist, one)));
                Value valid = match;
                match = andI(match,
                             cmpI(arith::CmpIPredicate::eq, widen(a[0]), a[3]));
                for (int64_t j = 1; j < maxLength; ++j) {
                  Value jc =
                      arith::ConstantOp::create(b, l, b.getI64IntegerAttr(j));
                  Value needed = cmpI(arith::CmpIPredicate::slt, jc, len);
                  Value pos = arith::AddIOp::create(
                      b, l, start,
                      arith::MulIOp::create(
                          b, l, distIdx,
                          arith::ConstantIndexOp::create(b, l, j)));
                  // Read in bounds even where the token is not needed.
                  Value safe = arith::SelectOp::create(
                      b, l, andI(needed, valid), pos, start);
                  Value tok =
                      tensor::ExtractOp::create(b, l, x, ValueRange{row, safe});
                  Value same =
                      cmpI(arith::CmpIPredicate::eq, widen(tok), a[3 + j]);
                  Value unneeded = cmpI(arith::CmpIPredicate::sge, jc, len);
                  match = andI(match, orI(unneeded, same));
                }
                Value add = arith::ExtUIOp::create(b, l, i64, match);
                linalg::YieldOp::create(
                    b, l,
                    ValueRange{arith::AddIOp::create(b, l, a.back(), add)});
              })
              .getResult(0);

    // 2. Y[r, o]: sum the counts of the pool entries mapped to o, weight.
    SmallVector<int64_t> offsets(outSize + 1, 0), members;
    for (int64_t o : pool.outputs)
      ++offsets[o + 1];
    for (int64_t o = 0; o < outSize; ++o)
      offsets[o + 1] += offsets[o];
    members.resize(numEntries);
    {
      SmallVector<int64_t> fill(offsets.begin(), offsets.end() - 1);
      for (int64_t e = 0; e < numEntries; ++e)
        members[fill[pool.outputs[e]]++] = e;
    }
    Value offsetsT = constantTensor(rewriter, loc, offsets, indexType);
    Value membersT = constantTensor(rewriter, loc, members, indexType);
    SmallVector<float> w(outSize, 1.0f);
    for (int64_t o = 0; o < outSize && !weights.empty(); ++o)
      w[o] = float(weights[o]);
    Value weightsT = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({outSize}, f32),
                               ArrayRef<float>(w)));
    auto yType = RankedTensorType::get({rows, outSize}, f32);
    Value yInit = tensor::EmptyOp::create(rewriter, loc, yType, rowDyn);
    AffineExpr yr = getAffineDimExpr(0, ctx), yo = getAffineDimExpr(1, ctx);
    Value y =
        linalg::GenericOp::create(
            rewriter, loc, yType, ValueRange{weightsT}, yInit,
            ArrayRef<AffineMap>{AffineMap::get(2, 0, {yo}, ctx),
                                AffineMap::get(2, 0, {yr, yo}, ctx)},
            {utils::IteratorType::parallel, utils::IteratorType::parallel},
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value row = linalg::IndexOp::create(b, l, 0);
              Value o = linalg::IndexOp::create(b, l, 1);
              Value oNext = arith::AddIOp::create(
                  b, l, o, arith::ConstantIndexOp::create(b, l, 1));
              Value lo = tensor::ExtractOp::create(b, l, offsetsT, o);
              Value hi = tensor::ExtractOp::create(b, l, offsetsT, oNext);
              Value zero =
                  arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
              auto loop = scf::ForOp::create(
                  b, l, lo, hi, arith::ConstantIndexOp::create(b, l, 1),
                  ValueRange{zero},
                  [&](OpBuilder &lb, Location ll, Value i, ValueRange acc) {
                    Value e = tensor::ExtractOp::create(lb, ll, membersT, i);
                    Value c = tensor::ExtractOp::create(lb, ll, counts,
                                                        ValueRange{row, e});
                    scf::YieldOp::create(
                        lb, ll,
                        ValueRange{arith::AddIOp::create(lb, ll, acc[0], c)});
                  });
              Value count = loop.getResult(0);
              Value f = arith::SIToFPOp::create(b, l, f32, count);
              Value weight = a[0];
              Value result;
              switch (mode) {
              case Weighting::TF:
                result = f;
                break;
              case Weighting::IDF:
                result = arith::SelectOp::create(
                    b, l,
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                          count, zero),
                    weight, scalarConstant(b, l, f32, 0.0));
                break;
              case Weighting::TFIDF:
                result = arith::MulFOp::create(b, l, f, weight);
                break;
              }
              linalg::YieldOp::create(b, l, result);
            })
            .getResult(0);

    if (rank == 1)
      y = tensor::CollapseShapeOp::create(
          rewriter, loc, y, SmallVector<ReassociationIndices>{{0, 1}});
    if (y.getType() != resultType)
      y = tensor::CastOp::create(rewriter, loc, resultType, y);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void populateTfIdfLoweringPatterns(OnnxTypeConverter &converter,
                                   RewritePatternSet &patterns) {
  patterns.add<TfIdfVectorizerLowering>(converter, patterns.getContext(),
                                        "onnx.TfIdfVectorizer");
}

} // namespace onnxc
