//===- ConvWindow.cpp - Sliding windows of convolutions and pools ---------===//

#include "passes/lowering/ConvWindow.h"

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace onnxc {

SmallVector<int64_t> intsAttr(Operation *op, StringRef name, size_t n,
                              int64_t deflt) {
  SmallVector<int64_t> out;
  if (auto a = op->getAttrOfType<ArrayAttr>(name))
    for (Attribute v : a)
      out.push_back(cast<IntegerAttr>(v).getInt());
  if (out.empty())
    out.assign(n, deflt);
  return out;
}

FailureOr<ConvWindow>
readConvWindow(Operation *op, ArrayRef<int64_t> inSpatial,
               ArrayRef<int64_t> kernel,
               std::optional<ArrayRef<int64_t>> outSpatial) {
  size_t n = inSpatial.size();
  ConvWindow w;
  w.strides = intsAttr(op, "strides", n, 1);
  w.dilations = intsAttr(op, "dilations", n, 1);
  SmallVector<int64_t> pads = intsAttr(op, "pads", 2 * n, 0);
  if (w.strides.size() != n || w.dilations.size() != n ||
      pads.size() != 2 * n)
    return failure();
  StringRef autoPad = stringAttrOr(op, "auto_pad", "NOTSET");
  for (size_t i = 0; i < n; ++i) {
    if (w.strides[i] <= 0 || w.dilations[i] <= 0)
      return failure();
    int64_t span = (kernel[i] - 1) * w.dilations[i] + 1;
    int64_t begin = pads[i], end = pads[n + i];
    if (autoPad == "VALID") {
      begin = end = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (inSpatial[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.strides[i] + span - inSpatial[i]);
      begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    } else if (autoPad != "NOTSET") {
      return failure();
    }
    if (outSpatial) {
      int64_t needed = ((*outSpatial)[i] - 1) * w.strides[i] + span;
      int64_t have = inSpatial[i] + begin + end;
      if (needed > have)
        end += needed - have; // ceil_mode: windows running past the end
    }
    w.padBegin.push_back(begin);
    w.padEnd.push_back(end);
  }
  return w;
}

Value padSpatial(OpBuilder &b, Location loc, Value x, const ConvWindow &w,
                 double value) {
  auto type = cast<RankedTensorType>(x.getType());
  if (llvm::all_of(w.padBegin, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(w.padEnd, [](int64_t p) { return p == 0; }))
    return x;
  return padSpatial(b, loc, x, w,
                    scalarConstant(b, loc, type.getElementType(), value));
}

Value padSpatial(OpBuilder &b, Location loc, Value x, const ConvWindow &w,
                 Value pad) {
  auto type = cast<RankedTensorType>(x.getType());
  bool any = false;
  SmallVector<int64_t> low(2, 0), high(2, 0), shape(type.getShape());
  for (size_t i = 0; i < w.padBegin.size(); ++i) {
    low.push_back(w.padBegin[i]);
    high.push_back(w.padEnd[i]);
    shape[2 + i] += w.padBegin[i] + w.padEnd[i];
    any |= w.padBegin[i] || w.padEnd[i];
  }
  if (!any)
    return x;
  auto padded = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, padded, x,
                               getAsIndexOpFoldResult(b.getContext(), low),
                               getAsIndexOpFoldResult(b.getContext(), high),
                               pad);
}

Value expandGroupDim(OpBuilder &b, Location loc, Value v, int64_t at,
                     int64_t groups, int64_t per) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape[at] = per;
  shape.insert(shape.begin() + at, groups);
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t i = 0, j = 0; i < t.getRank(); ++i) {
    if (i == at) {
      reassoc.push_back({j, j + 1});
      j += 2;
    } else {
      reassoc.push_back({j++});
    }
  }
  return tensor::ExpandShapeOp::create(
             b, loc, RankedTensorType::get(shape, t.getElementType()), v,
             reassoc)
      .getResult();
}

Value collapseGroupDim(OpBuilder &b, Location loc, Value grouped,
                       RankedTensorType resultType) {
  SmallVector<ReassociationIndices> collapse{{0}, {1, 2}};
  for (int64_t i = 2; i < resultType.getRank(); ++i)
    collapse.push_back({i + 1});
  return tensor::CollapseShapeOp::create(b, loc, resultType, grouped, collapse)
      .getResult();
}

Value buildGroupedConv(OpBuilder &b, Location loc, Value xg, Value wg,
                       Value init, const ConvWindow &w, bool xUnsigned) {
  MLIRContext *ctx = b.getContext();
  int64_t ns = w.strides.size();
  // Loops: n g m o_1..o_ns | c k_1..k_ns
  int64_t numLoops = 3 + ns + 1 + ns;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> xExprs{d(0), d(1), d(3 + ns)};
  SmallVector<AffineExpr> wExprs{d(1), d(2), d(3 + ns)};
  SmallVector<AffineExpr> yExprs{d(0), d(1), d(2)};
  for (int64_t i = 0; i < ns; ++i) {
    xExprs.push_back(d(3 + i) * w.strides[i] + d(4 + ns + i) * w.dilations[i]);
    wExprs.push_back(d(4 + ns + i));
    yExprs.push_back(d(3 + i));
  }
  SmallVector<utils::IteratorType> iterators(3 + ns,
                                             utils::IteratorType::parallel);
  iterators.append(1 + ns, utils::IteratorType::reduction);
  Type accType = getElementTypeOrSelf(init.getType());
  bool isFloat = isa<FloatType>(accType);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{xg, wg}, init,
             ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, xExprs, ctx),
                                 AffineMap::get(numLoops, 0, wExprs, ctx),
                                 AffineMap::get(numLoops, 0, yExprs, ctx)},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange a) {
               Value sum;
               if (isFloat) {
                 Value prod = arith::MulFOp::create(nb, l, a[0], a[1]);
                 sum = arith::AddFOp::create(nb, l, a[2], prod);
               } else {
                 Value x = a[0], w = a[1];
                 if (x.getType() != accType)
                   x = xUnsigned ? arith::ExtUIOp::create(nb, l, accType, x)
                                       .getResult()
                                 : arith::ExtSIOp::create(nb, l, accType, x)
                                       .getResult();
                 if (w.getType() != accType)
                   w = arith::ExtSIOp::create(nb, l, accType, w);
                 Value prod = arith::MulIOp::create(nb, l, x, w);
                 sum = arith::AddIOp::create(nb, l, a[2], prod);
               }
               linalg::YieldOp::create(nb, l, sum);
             })
      .getResult(0);
}

} // namespace onnxc
