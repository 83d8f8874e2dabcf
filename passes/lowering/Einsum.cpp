//===- Einsum.cpp - Einsum as one linalg.generic -----------------------===//
//
// An Einsum equation names the iteration space directly: each letter is a
// loop, output letters are parallel and the others are reductions. The
// body multiplies one element of every operand and adds the product into
// the zero-filled output.
//
// - Implicit form (no "->"): the output is the ellipsis dims, then the
//   letters that appear exactly once in the whole equation, in ASCII
//   order (numpy's rule, which the ONNX reference follows).
// - A letter repeated within one operand ("ii") reads a diagonal: that
//   operand's indexing map names the same loop twice.
// - "..." stands for the operand's leading dims beyond its letters; these
//   broadcast across operands like elementwise ops (right-aligned, size 1
//   stretches), so a size-1 ellipsis dim reads index 0.
//
// Shapes must be static: the sizes of matching letters are checked here.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;

namespace onnxc {
namespace {

/// One term of the equation: letters in order, and where "..." sits.
struct EinsumTerm {
  std::string letters;     // the letters, without the ellipsis
  int64_t ellipsisAt = -1; // letters before the ellipsis, -1 if none
};

/// Parses "ab...c" (spaces already removed); nullopt on anything else.
std::optional<EinsumTerm> parseTerm(StringRef text) {
  EinsumTerm term;
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with("...")) {
      if (term.ellipsisAt >= 0)
        return std::nullopt;
      term.ellipsisAt = term.letters.size();
      i += 3;
      continue;
    }
    if (!llvm::isAlpha(text[i]))
      return std::nullopt;
    term.letters.push_back(text[i]);
    ++i;
  }
  return term;
}

/// Loop labels: a letter is its character code; ellipsis dim k (of the
/// broadcast ellipsis, leftmost first) is kEllipsisLabel + k.
constexpr int kEllipsisLabel = 256;

/// The labels of each dim of an operand of rank `rank` that `term`
/// describes, given the broadcast ellipsis rank `maxEllipsis`.
SmallVector<int> operandLabels(const EinsumTerm &term, int64_t rank,
                               int64_t maxEllipsis) {
  SmallVector<int> labels;
  int64_t ellipsisRank = rank - int64_t(term.letters.size());
  for (int64_t i = 0; i <= int64_t(term.letters.size()); ++i) {
    if (i == term.ellipsisAt)
      for (int64_t k = 0; k < ellipsisRank; ++k)
        labels.push_back(kEllipsisLabel + maxEllipsis - ellipsisRank + k);
    if (i < int64_t(term.letters.size()))
      labels.push_back((unsigned char)term.letters[i]);
  }
  return labels;
}

struct EinsumLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto equationAttr = op->getAttrOfType<StringAttr>("equation");
    if (!resultType || !equationAttr || operands.empty())
      return rewriter.notifyMatchFailure(op, "needs a ranked result, an "
                                             "equation and operands");
    Type elem = resultType.getElementType();
    if (!isa<FloatType, IntegerType>(elem))
      return rewriter.notifyMatchFailure(op, "needs int or float tensors");
    SmallVector<RankedTensorType> types;
    for (Value v : operands) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || !t.hasStaticShape())
        return rewriter.notifyMatchFailure(
            op, "dynamic shapes are not supported: the sizes of matching "
                "letters are checked at compile time");
      if (t.getElementType() != elem)
        return rewriter.notifyMatchFailure(op, "operand types differ");
      types.push_back(t);
    }

    // Parse "lhs[->rhs]", ignoring spaces.
    std::string equation;
    for (char c : equationAttr.getValue())
      if (!llvm::isSpace(c))
        equation.push_back(c);
    StringRef eq(equation);
    auto [lhs, rhs] = eq.split("->");
    bool isExplicit = eq.contains("->");
    SmallVector<StringRef> termTexts;
    lhs.split(termTexts, ',');
    if (termTexts.size() != operands.size())
      return rewriter.notifyMatchFailure(
          op, "equation terms do not match the operand count");
    SmallVector<EinsumTerm> terms;
    int64_t maxEllipsis = 0;
    for (auto [text, type] : llvm::zip(termTexts, types)) {
      auto term = parseTerm(text);
      if (!term)
        return rewriter.notifyMatchFailure(op, "malformed equation term");
      int64_t ellipsisRank = type.getRank() - int64_t(term->letters.size());
      if (term->ellipsisAt < 0 ? ellipsisRank != 0 : ellipsisRank < 0)
        return rewriter.notifyMatchFailure(
            op, "equation term does not match the operand rank");
      if (term->ellipsisAt >= 0)
        maxEllipsis = std::max(maxEllipsis, ellipsisRank);
      terms.push_back(*term);
    }

    // Size of every label; letters must agree exactly, ellipsis dims
    // broadcast.
    std::map<int, int64_t> sizes;
    SmallVector<SmallVector<int>> labelsOf;
    std::map<int, int> letterCount;
    for (auto [term, type] : llvm::zip(terms, types)) {
      SmallVector<int> labels =
          operandLabels(term, type.getRank(), maxEllipsis);
      for (auto [d, label] : llvm::enumerate(labels)) {
        int64_t size = type.getDimSize(d);
        auto it = sizes.find(label);
        if (label >= kEllipsisLabel) {
          if (it == sizes.end() || it->second == 1)
            sizes[label] = size;
          else if (size != 1 && size != it->second)
            return rewriter.notifyMatchFailure(
                op, "ellipsis dims do not broadcast");
        } else {
          ++letterCount[label];
          if (it != sizes.end() && it->second != size)
            return rewriter.notifyMatchFailure(
                op, "sizes of a repeated letter differ");
          sizes[label] = size;
        }
      }
      labelsOf.push_back(labels);
    }

    // Output labels.
    SmallVector<int> outLabels;
    if (isExplicit) {
      auto outTerm = parseTerm(rhs);
      if (!outTerm)
        return rewriter.notifyMatchFailure(op, "malformed output term");
      // numpy (the reference) refuses an output that drops ellipsis dims.
      if (outTerm->ellipsisAt < 0 && maxEllipsis > 0)
        return rewriter.notifyMatchFailure(
            op, "the output must name the ellipsis dims with '...'");
      outLabels = operandLabels(*outTerm, outTerm->letters.size() + maxEllipsis,
                                maxEllipsis);
      for (auto [i, label] : llvm::enumerate(outLabels)) {
        if (label < kEllipsisLabel && !letterCount.count(label))
          return rewriter.notifyMatchFailure(
              op, "output letter missing from the inputs");
        if (llvm::is_contained(ArrayRef<int>(outLabels).take_front(i), label))
          return rewriter.notifyMatchFailure(op, "repeated output letter");
      }
    } else {
      for (int64_t k = 0; k < maxEllipsis; ++k)
        outLabels.push_back(kEllipsisLabel + k);
      for (auto [label, count] : letterCount) // std::map: ASCII order
        if (count == 1)
          outLabels.push_back(label);
    }

    // Loops: the output dims first, then the summed ones.
    SmallVector<int> loops(outLabels);
    for (const SmallVector<int> &labels : labelsOf)
      for (int label : labels)
        if (!llvm::is_contained(loops, label))
          loops.push_back(label);
    auto loopOf = [&](int label) {
      return int64_t(llvm::find(loops, label) - loops.begin());
    };

    SmallVector<int64_t> outShape;
    for (int label : outLabels)
      outShape.push_back(sizes[label]);
    auto staticOut = RankedTensorType::get(outShape, elem);
    if (failed(verifyCompatibleShape(staticOut, resultType)))
      return rewriter.notifyMatchFailure(
          op, "equation does not give the result shape");

    MLIRContext *ctx = rewriter.getContext();
    int64_t numLoops = loops.size();
    SmallVector<AffineMap> maps;
    for (auto [labels, type] : llvm::zip(labelsOf, types)) {
      SmallVector<AffineExpr> exprs;
      for (auto [d, label] : llvm::enumerate(labels)) {
        // A size-1 ellipsis dim broadcast against a larger one.
        if (type.getDimSize(d) == 1 && sizes[label] != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(loopOf(label), ctx));
      }
      maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
    }
    SmallVector<AffineExpr> outExprs;
    for (int label : outLabels)
      outExprs.push_back(getAffineDimExpr(loopOf(label), ctx));
    maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
    SmallVector<utils::IteratorType> iterators;
    for (int64_t i = 0; i < numLoops; ++i)
      iterators.push_back(i < int64_t(outLabels.size())
                              ? utils::IteratorType::parallel
                              : utils::IteratorType::reduction);

    Location loc = op->getLoc();
    Value init = createFilled(rewriter, loc, staticOut, 0.0);
    bool isFloat = isa<FloatType>(elem);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, staticOut, operands, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value product = args[0];
          for (Value v : args.drop_front().drop_back())
            product = isFloat ? (Value)arith::MulFOp::create(b, l, product, v)
                              : (Value)arith::MulIOp::create(b, l, product, v);
          Value acc = args.back();
          Value sum = isFloat
                          ? (Value)arith::AddFOp::create(b, l, acc, product)
                          : (Value)arith::AddIOp::create(b, l, acc, product);
          linalg::YieldOp::create(b, l, sum);
        });
    Value result = generic.getResult(0);
    if (staticOut != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateEinsumLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  patterns.add<EinsumLowering>(converter, patterns.getContext(), "onnx.Einsum");
}

} // namespace onnxc
