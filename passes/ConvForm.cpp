//===- ConvForm.cpp - Recognizing the convolution generic -----------------===//

#include "passes/ConvForm.h"

using namespace mlir;

namespace onnxc {

namespace {
bool isFloat32Or64(Type t) { return t.isF32() || t.isF64(); }
} // namespace

bool isMulAddBody(Block &body) {
  if (body.getNumArguments() != 3 ||
      !llvm::hasNItems(body.without_terminator(), 2))
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value prodValue = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() != acc && add.getRhs() != acc) || prodValue == acc)
    return false;
  auto mul = prodValue.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

bool linearCoefficients(AffineExpr e, int64_t mult,
                        SmallVectorImpl<int64_t> &coeffs, int64_t &constant) {
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    coeffs[d.getPosition()] += mult;
    return true;
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    constant += mult * c.getValue();
    return true;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return false;
  if (e.getKind() == AffineExprKind::Add)
    return linearCoefficients(bin.getLHS(), mult, coeffs, constant) &&
           linearCoefficients(bin.getRHS(), mult, coeffs, constant);
  if (e.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
      return linearCoefficients(bin.getLHS(), mult * c.getValue(), coeffs,
                                constant);
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
      return linearCoefficients(bin.getRHS(), mult * c.getValue(), coeffs,
                                constant);
  }
  return false;
}

std::optional<ConvForm> matchConvIndexing(linalg::GenericOp op,
                                          OpOperand *x, OpOperand *w) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      !op.hasPureTensorSemantics() || op.hasDynamicShape())
    return std::nullopt;
  int64_t numLoops = op.getNumLoops();
  if (numLoops < 6 || numLoops % 2)
    return std::nullopt;
  int64_t ns = (numLoops - 4) / 2;
  auto iterators = op.getIteratorTypesArray();
  for (int64_t i = 0; i < numLoops; ++i)
    if ((i < 3 + ns) != (iterators[i] == utils::IteratorType::parallel))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> wExprs{d(1), d(2), d(3 + ns)}, yExprs{d(0), d(1), d(2)};
  for (int64_t i = 0; i < ns; ++i) {
    wExprs.push_back(d(4 + ns + i));
    yExprs.push_back(d(3 + i));
  }
  if (op.getMatchingIndexingMap(w) != AffineMap::get(numLoops, 0, wExprs, ctx) ||
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)) !=
          AffineMap::get(numLoops, 0, yExprs, ctx))
    return std::nullopt;
  AffineMap xMap = op.getMatchingIndexingMap(x);
  if (xMap.getNumResults() != 3 + ns || xMap.getResult(0) != d(0) ||
      xMap.getResult(1) != d(1) || xMap.getResult(2) != d(3 + ns))
    return std::nullopt;
  ConvForm form{ns, {}, {}};
  for (int64_t i = 0; i < ns; ++i) {
    SmallVector<int64_t> coeffs(numLoops, 0);
    int64_t constant = 0;
    if (!linearCoefficients(xMap.getResult(3 + i), 1, coeffs, constant) ||
        constant != 0)
      return std::nullopt;
    int64_t s = coeffs[3 + i], dl = coeffs[4 + ns + i];
    coeffs[3 + i] = coeffs[4 + ns + i] = 0;
    if (s < 1 || dl < 1 || llvm::any_of(coeffs, [](int64_t c) { return c; }))
      return std::nullopt;
    form.strides.push_back(s);
    form.dilations.push_back(dl);
  }
  return form;
}

std::optional<ConvForm> matchConv(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || !isMulAddBody(*op.getBlock()))
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!isFloat32Or64(getElementTypeOrSelf(v.getType())))
      return std::nullopt;
  return matchConvIndexing(op, op.getDpsInputOperand(0),
                           op.getDpsInputOperand(1));
}

} // namespace onnxc
