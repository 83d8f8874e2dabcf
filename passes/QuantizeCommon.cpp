//===- QuantizeCommon.cpp - What dynamic and static int8 share ------------===//
//
// See QuantizeCommon.h and, for the arithmetic, QuantizeDynamic.cpp.
//
//===----------------------------------------------------------------------===//

#include "passes/QuantizeCommon.h"
#include "passes/ConstantBytes.h"

#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

using namespace mlir;

namespace onnxc {
namespace {

// TensorProto.DataType values for Cast's `to`.
constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxUint8 = 2;

/// The f32 values of a constant of rank `rank`, row-major, or nullopt when
/// `v` is not such a constant.
std::optional<std::vector<float>> constantF32Values(Value v, int64_t rank) {
  auto cst = v.getDefiningOp<ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || type.getRank() != rank || !type.hasStaticShape() ||
      !type.getElementType().isF32() || !cst.getValueAttr())
    return std::nullopt;
  ElementsAttr value = cst.getValueAttr();
  if (value.getType() != type)
    return std::nullopt;
  std::vector<float> out(type.getNumElements());
  ArrayRef<char> bytes = rawConstantBytes(value);
  if (!bytes.empty()) {
    if (bytes.size() != out.size() * sizeof(float))
      return std::nullopt;
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return std::nullopt;
  size_t i = 0;
  for (float f : dense.getValues<float>())
    out[i++] = f;
  return out;
}

/// Smoothing of an activation that a LayerNormalization over the last axis
/// produces, with constant scale (gamma) and bias (beta) of K values.
///
/// Such activations have a few channels far larger than the rest (large
/// |gamma_k| or |beta_k|: BERT's "outlier dimensions"), and a row's
/// quantization grid must span them, which leaves the other channels few
/// levels. A[m, k] W[k, n] = (A[m, k] / s_k) (s_k W[k, n]) for any s_k > 0,
/// so dividing channel k by s_k and multiplying row k of W by it moves
/// range from the activation to the weight (whose columns are quantized
/// separately, so a larger row costs less). The channel's typical
/// magnitude is estimated from the normalization itself: its normalized
/// values have unit variance, so |gamma_k| + |beta_k|; and
/// s_k = sqrt(that / max_n |W[k, n]|) balances the two (SmoothQuant's
/// alpha = 1/2). Empty when A has no such producer: nothing is smoothed.
std::vector<float> layerNormSmoothing(Value a, const std::vector<float> &w,
                                      int64_t k, int64_t n, bool transposed) {
  auto ln = a.getDefiningOp<LayerNormalizationOp>();
  if (!ln || ln.getY() != a)
    return {};
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t axis = int64_t(ln.getAxis());
  if (axis != -1 && axis != aType.getRank() - 1)
    return {};
  std::optional<std::vector<float>> gamma = constantF32Values(ln.getScale(), 1);
  std::optional<std::vector<float>> beta =
      isa<NoneType>(ln.getB().getType())
          ? std::optional<std::vector<float>>(std::vector<float>(k, 0.0f))
          : constantF32Values(ln.getB(), 1);
  if (!gamma || !beta || int64_t(gamma->size()) != k ||
      int64_t(beta->size()) != k)
    return {};
  std::vector<float> s(k, 1.0f);
  for (int64_t r = 0; r < k; ++r) {
    float act = std::fabs((*gamma)[r]) + std::fabs((*beta)[r]);
    float wMax = 0;
    for (int64_t c = 0; c < n; ++c)
      wMax = std::max(wMax, std::fabs(transposed ? w[c * k + r] : w[r * n + c]));
    if (act > 0 && wMax > 0 && std::isfinite(act) && std::isfinite(wMax))
      s[r] = std::sqrt(act / wMax);
  }
  return s;
}

/// Multiplies row k of `w` by s_k (see layerNormSmoothing), in place.
void smoothWeight(std::vector<float> &w, int64_t k, int64_t n,
                  bool transposed, const std::vector<float> &s) {
  if (s.empty())
    return; // not smoothed
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      (transposed ? w[c * k + r] : w[r * n + c]) *= s[r];
}

/// Per column, symmetric:
///
///   s_w[n] = max_k |w[k, n]| / 127,  q[k, n] = round_half_even(w / s_w[n])
///
/// in [-127, 127] (never -128: the u8 x s8 dot products then cannot reach
/// the i32 wrap-around for any K below 2^16). `w` is [k, n] row-major
/// (`transposed`: [n, k]); `alpha` is folded into the scales. Nullopt for a
/// non-finite weight.
std::optional<QuantizedWeight> quantizeColumns(const std::vector<float> &w,
                                               int64_t k, int64_t n,
                                               bool transposed, float alpha) {
  auto at = [&](int64_t r, int64_t c) {
    return transposed ? w[c * k + r] : w[r * n + c];
  };
  QuantizedWeight out;
  out.q.resize(k * n);
  out.scale.resize(n);
  out.columnSum.resize(n);
  for (int64_t c = 0; c < n; ++c) {
    float maxAbs = 0;
    for (int64_t r = 0; r < k; ++r) {
      float x = at(r, c);
      if (!std::isfinite(x))
        return std::nullopt;
      maxAbs = std::max(maxAbs, std::fabs(x));
    }
    // An all-zero column: any scale gives q = 0; 1 keeps it finite.
    float s = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
    int32_t sum = 0;
    for (int64_t r = 0; r < k; ++r) {
      float qf = std::nearbyint(at(r, c) / s); // half to even (default mode)
      int8_t qi = int8_t(std::clamp(qf, -127.0f, 127.0f));
      out.q[r * n + c] = qi;
      sum += qi;
    }
    out.scale[c] = s * alpha;
    out.columnSum[c] = sum;
  }
  return out;
}

/// An int8 weight as an onnx.Constant blob, like the importer's weights
/// (the object emitter embeds those without translating them element by
/// element).
Value int8Weight(OpBuilder &b, Location loc, RankedTensorType type,
                 const std::vector<int8_t> &q) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(q.data()), q.size()),
      alignof(std::max_align_t));
  return onnxConstant(
      b, loc, DenseResourceElementsAttr::get(type, "onnxc_q8", std::move(blob)));
}

std::optional<QuantizableProduct> reject(std::string &why, const char *reason) {
  why = reason;
  return std::nullopt;
}

} // namespace

std::optional<QuantizableProduct>
matchQuantizableProduct(Operation *op, std::string &why, bool topLevelOnly) {
  auto matmul = dyn_cast<MatMulOp>(op);
  auto gemm = dyn_cast<GemmOp>(op);
  if (!matmul && !gemm)
    return reject(why, "not a MatMul or Gemm");
  if (topLevelOnly && !isa_and_nonnull<func::FuncOp>(op->getParentOp()))
    return reject(why, "inside a subgraph");
  QuantizableProduct p;
  p.op = op;
  p.a = matmul ? matmul.getA() : gemm.getA();
  Value b = matmul ? matmul.getB() : gemm.getB();
  auto aType = dyn_cast<RankedTensorType>(p.a.getType());
  p.resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!aType || !p.resultType || !aType.getElementType().isF32() ||
      !p.resultType.getElementType().isF32())
    return reject(why, "needs ranked f32 A and result");
  if (aType.getRank() < 2)
    return reject(why, "A of rank < 2 is left in f32");
  bool transB = false;
  float alpha = 1.0f;
  if (gemm) {
    if (gemm.getTransA() != 0)
      return reject(why, "transA is left in f32");
    transB = gemm.getTransB() != 0;
    alpha = gemm.getAlpha().convertToFloat();
    p.beta = gemm.getBeta().convertToFloat();
    if (!std::isfinite(alpha) || !std::isfinite(p.beta))
      return reject(why, "non-finite alpha or beta");
    Value c = gemm.getC();
    if (c && !isa<NoneType>(c.getType())) {
      auto cType = dyn_cast<RankedTensorType>(c.getType());
      if (!cType || !cType.getElementType().isF32())
        return reject(why, "needs a ranked f32 C");
      p.c = c;
    }
  }
  std::optional<std::vector<float>> w = constantF32Values(b, 2);
  if (!w)
    return reject(why, "B is not a constant 2-D f32 weight");
  auto bType = cast<RankedTensorType>(b.getType());
  p.k = bType.getDimSize(transB ? 1 : 0);
  p.n = bType.getDimSize(transB ? 0 : 1);
  p.smoothing = layerNormSmoothing(p.a, *w, p.k, p.n, transB);
  smoothWeight(*w, p.k, p.n, transB, p.smoothing);
  std::optional<QuantizedWeight> q =
      quantizeColumns(*w, p.k, p.n, transB, alpha);
  if (!q)
    return reject(why, "non-finite weight");
  p.weight = std::move(*q);
  return p;
}

std::optional<QuantizableConv> matchQuantizableConv(Operation *op,
                                                    std::string &why) {
  auto conv = dyn_cast<ConvOp>(op);
  auto reject = [&](const char *reason) {
    why = reason;
    return std::nullopt;
  };
  if (!conv)
    return reject("not a Conv");
  QuantizableConv p;
  p.op = op;
  p.x = conv.getX();
  auto xType = dyn_cast<RankedTensorType>(p.x.getType());
  p.resultType = dyn_cast<RankedTensorType>(conv.getResult().getType());
  p.filterType = dyn_cast<RankedTensorType>(conv.getW().getType());
  if (!xType || !p.resultType || !p.filterType || xType.getRank() < 3 ||
      !xType.getElementType().isF32() || !p.resultType.hasStaticShape())
    return reject("needs a ranked f32 input of rank >= 3 and a static result");
  // A grouped (depthwise) convolution does few MACs per byte it reads: int8
  // saves little there, and the integer kernel takes group 1 only.
  if (conv.getGroup() != 1)
    return reject("grouped convolutions are left in f32");
  std::optional<std::vector<float>> w =
      constantF32Values(conv.getW(), xType.getRank());
  if (!w)
    return reject("W is not a constant f32 filter");
  int64_t m = p.filterType.getDimSize(0);
  int64_t k = p.filterType.getNumElements() / std::max<int64_t>(m, 1);
  if (m < 1 || k < 1)
    return reject("empty filter");
  Value bias = conv.getB();
  if (bias && !isa<NoneType>(bias.getType())) {
    std::optional<std::vector<float>> values = constantF32Values(bias, 1);
    if (!values || int64_t(values->size()) != m)
      return reject("a bias that is not a constant of M values");
    p.bias = std::move(*values);
  }
  // W is [M, K] row-major: the [K, N = M] weight of the product, transposed.
  std::optional<QuantizedWeight> q =
      quantizeColumns(*w, k, m, /*transposed=*/true, 1.0f);
  if (!q)
    return reject("non-finite weight");
  // Back to the filter's own [M, K] order for ConvInteger.
  std::vector<int8_t> filter(q->q.size());
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < m; ++c)
      filter[c * k + r] = q->q[r * m + c];
  q->q = std::move(filter);
  p.weight = std::move(*q);
  return p;
}

Value buildIntegerConv(OpBuilder &b, Location loc, Value qX, Value scale,
                       Value zeroPoint, const QuantizableConv &p) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  RankedTensorType resultType = p.resultType;
  int64_t rank = resultType.getRank();
  int64_t m = p.filterType.getDimSize(0);
  Value qFilter = int8Weight(
      b, loc, RankedTensorType::get(p.filterType.getShape(), b.getI8Type()),
      p.weight.q);
  Value none = NoValueOp::create(b, loc, b.getNoneType());
  // The Conv's window attributes carry over unchanged (same names).
  SmallVector<NamedAttribute> attrs;
  for (NamedAttribute attr : p.op->getAttrs())
    if (llvm::is_contained({"auto_pad", "dilations", "group", "kernel_shape",
                            "pads", "strides"},
                           attr.getName().strref()))
      attrs.push_back(attr);
  Value acc = ConvIntegerOp::create(b, loc, TypeRange{resultType.clone(i32)},
                                    ValueRange{qX, qFilter, zeroPoint, none},
                                    attrs)
                  .getResult();
  Value accF = CastOp::create(b, loc, resultType, acc,
                              b.getI64IntegerAttr(kOnnxFloat));
  // Per-channel values as [M, 1, ...], broadcasting over the spatial dims.
  SmallVector<int64_t> channelShape(rank - 1, 1);
  channelShape[0] = m;
  auto channelType = RankedTensorType::get(channelShape, f32);
  Value wScale = onnxConstant(
      b, loc, DenseElementsAttr::get(channelType, ArrayRef<float>(p.weight.scale)));
  Value y = MulOp::create(b, loc, resultType,
                          MulOp::create(b, loc, resultType, accF, scale),
                          wScale);
  if (p.bias.empty())
    return y;
  Value bias = onnxConstant(
      b, loc, DenseElementsAttr::get(channelType, ArrayRef<float>(p.bias)));
  return AddOp::create(b, loc, resultType, y, bias);
}

bool QuantizeOps::includes(Operation *op) const {
  if (isa<MatMulOp, GemmOp>(op))
    return matmul;
  if (isa<ConvOp>(op))
    return conv;
  return true;
}

std::vector<CalibrationSite> calibrationSites(Operation *func,
                                              QuantizeOps ops) {
  std::vector<CalibrationSite> sites;
  std::string why;
  for (Region &region : func->getRegions())
    for (Block &block : region)
      for (Operation &op : block) {
        if (!ops.includes(&op))
          continue;
        if (std::optional<QuantizableProduct> p =
                matchQuantizableProduct(&op, why, /*topLevelOnly=*/true))
          sites.push_back({&op, std::move(*p)});
        else if (matchQuantizableConv(&op, why))
          sites.push_back({&op, std::nullopt});
      }
  return sites;
}

Value calibratedActivation(OpBuilder &b, const CalibrationSite &site) {
  if (site.product)
    return smoothedActivation(b, site.op->getLoc(), *site.product);
  return cast<ConvOp>(site.op).getX();
}

Value onnxConstant(OpBuilder &b, Location loc, ElementsAttr attr) {
  return ConstantOp::create(b, loc, attr.getType(), ElementsAttr(), attr,
                            FloatAttr(), ArrayAttr(), IntegerAttr(),
                            ArrayAttr(), StringAttr(), ArrayAttr());
}

Value scalarF32(OpBuilder &b, Location loc, float v) {
  return onnxConstant(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), v));
}

Value smoothedActivation(OpBuilder &b, Location loc,
                         const QuantizableProduct &p) {
  if (p.smoothing.empty())
    return p.a;
  // A / s_k as an elementwise Mul by 1 / s_k, which fuses into the
  // activation's quantization.
  std::vector<float> inverse;
  for (float x : p.smoothing)
    inverse.push_back(1.0f / x);
  auto vecType =
      RankedTensorType::get({int64_t(inverse.size())}, b.getF32Type());
  Value inv = onnxConstant(
      b, loc, DenseElementsAttr::get(vecType, ArrayRef<float>(inverse)));
  return MulOp::create(b, loc, p.a.getType(), p.a, inv);
}

Value quantizeToU8(OpBuilder &b, Location loc, Value a, Value scale,
                   Value zeroPoint, Value zero, Value hi255) {
  auto aType = cast<RankedTensorType>(a.getType());
  if (!zero)
    zero = scalarF32(b, loc, 0.0f);
  if (!hi255)
    hi255 = scalarF32(b, loc, 255.0f);
  Value scaled = DivOp::create(b, loc, aType, a, scale);
  Value shifted = AddOp::create(
      b, loc, aType, RoundOp::create(b, loc, aType, scaled), zeroPoint);
  Value clipped = ClipOp::create(b, loc, aType, shifted, zero, hi255);
  Type u8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  return CastOp::create(b, loc, aType.clone(u8), clipped,
                        b.getI64IntegerAttr(kOnnxUint8));
}

namespace {

/// y * s_w[n], then + beta * C for a Gemm: the end of every quantized
/// product, once y (f32, the product's type) is dequantized on A's side.
Value scaleByWeightAndAddC(OpBuilder &b, Location loc, Value y,
                           const QuantizableProduct &p) {
  auto scaleType = RankedTensorType::get({p.n}, b.getF32Type());
  Value wScale = onnxConstant(
      b, loc,
      DenseElementsAttr::get(scaleType, ArrayRef<float>(p.weight.scale)));
  y = MulOp::create(b, loc, p.resultType, y, wScale);
  if (!p.c)
    return y;
  Value c = p.c;
  if (p.beta != 1.0f)
    c = MulOp::create(b, loc, c.getType(), c, scalarF32(b, loc, p.beta));
  return AddOp::create(b, loc, p.resultType, y, c);
}

} // namespace

Value buildIntegerProduct(OpBuilder &b, Location loc, Value qA, Value scale,
                          Value zeroPoint, const QuantizableProduct &p) {
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  int64_t k = p.k, n = p.n;
  const QuantizedWeight &w = p.weight;
  RankedTensorType resultType = p.resultType;
  Value qWeight = int8Weight(b, loc, RankedTensorType::get({k, n}, i8), w.q);
  Value none = NoValueOp::create(b, loc, b.getNoneType());
  auto accType = resultType.clone(i32);
  Value acc = MatMulIntegerOp::create(b, loc, accType, qA, qWeight, none, none);
  // acc - zp_a * c[n], in i32 (exact: |zp_a * c| <= 255 * 127 * K; f32
  // would round it from K = 518 on).
  auto vecType = [&](Type t) { return RankedTensorType::get({n}, t); };
  Value colSum = onnxConstant(
      b, loc, DenseElementsAttr::get(vecType(i32), ArrayRef<int32_t>(w.columnSum)));
  // zp_a * c[n] broadcasts to [.., M, N] for a per-row zero point but
  // stays [N] for a per-tensor one: its type is the broadcast shape, the
  // Sub below broadcasts it against the accumulator.
  SmallVector<int64_t> correctionShape;
  auto zpType = cast<RankedTensorType>(zeroPoint.getType());
  if (!OpTrait::util::getBroadcastedShape(zpType.getShape(), {n},
                                          correctionShape))
    correctionShape = llvm::to_vector(accType.getShape());
  Value correction =
      MulOp::create(b, loc, RankedTensorType::get(correctionShape, i32),
                    zeroPoint, colSum);
  Value corrected = SubOp::create(b, loc, accType, acc, correction);
  Value accF = CastOp::create(b, loc, resultType, corrected,
                              b.getI64IntegerAttr(kOnnxFloat));
  Value aScaled = MulOp::create(b, loc, resultType, accF, scale);
  return scaleByWeightAndAddC(b, loc, aScaled, p);
}

Value buildGroupScaledProduct(OpBuilder &b, Location loc, Value qA,
                              Value scale, Value zeroPoint, int64_t group,
                              const QuantizableProduct &p) {
  Value qWeight = int8Weight(
      b, loc, RankedTensorType::get({p.k, p.n}, b.getI8Type()), p.weight.q);
  Value aScaled = ExtGroupScaledMatMulIntegerOp::create(
      b, loc, p.resultType, qA, qWeight, scale, zeroPoint,
      b.getI64IntegerAttr(group));
  return scaleByWeightAndAddC(b, loc, aScaled, p);
}

} // namespace onnxc
