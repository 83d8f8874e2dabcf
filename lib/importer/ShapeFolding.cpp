//===- ShapeFolding.cpp - Fold shape computations before import -----------===//
//
// A small evaluator over the ops that shape computations are made of
// (Shape, Gather, Concat, Unsqueeze, Slice, Cast, integer arithmetic, ...)
// working on the ModelProto before it becomes MLIR. It only ever folds
// tensors of at most kMaxFoldedElements elements: it is for shapes and
// scalars, not for weights.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ShapeFolding.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace onnxc {
namespace {

using onnx::TensorProto;

/// The largest tensor folded; bigger ones stay computations.
constexpr int64_t kMaxFoldedElements = 4096;
/// Folding and inference alternate until nothing changes, at most this
/// often (each round sees through one more Shape-of-a-Reshape).
constexpr int kMaxRounds = 8;

/// A small constant: integer and bool elements in `ints`, floating-point
/// elements in `reals`, in row-major order.
struct SmallTensor {
  int32_t dtype = TensorProto::INT64;
  std::vector<int64_t> dims;
  std::vector<int64_t> ints;
  std::vector<double> reals;
  /// Set when a value could not be stored exactly (an integer element given
  /// a double that is not an integer in int64's range, or beyond 2^53 where
  /// the double may already be rounded). Such a result is not folded: the
  /// computation stays, and runs exactly at run time.
  bool inexact = false;

  bool isReal() const {
    return dtype == TensorProto::FLOAT || dtype == TensorProto::DOUBLE;
  }
  int64_t size() const {
    return std::accumulate(dims.begin(), dims.end(), int64_t{1},
                           std::multiplies<int64_t>());
  }
  double at(int64_t i) const { return isReal() ? reals[i] : double(ints[i]); }
  int64_t intAt(int64_t i) const {
    return isReal() ? int64_t(reals[i]) : ints[i];
  }
  void resizeLike(int32_t type, std::vector<int64_t> shape) {
    dtype = type;
    dims = std::move(shape);
    ints.clear();
    reals.clear();
    if (isReal())
      reals.resize(size());
    else
      ints.resize(size());
  }
  void set(int64_t i, double v) {
    if (isReal()) {
      reals[i] = dtype == TensorProto::FLOAT ? double(float(v)) : v;
      return;
    }
    // 2^53: every integer below is exact in a double, and the conversion
    // below is defined.
    if (!(std::fabs(v) <= 9007199254740992.0)) {
      inexact = true;
      return;
    }
    ints[i] = normalizeInt(int64_t(v));
  }
  /// Element `j` of `from` into element `i`; exact between integer types.
  void copyFrom(int64_t i, const SmallTensor &from, int64_t j) {
    if (!isReal() && !from.isReal())
      setInt(i, from.ints[j]);
    else
      set(i, from.at(j));
  }
  void setInt(int64_t i, int64_t v) {
    if (isReal())
      set(i, double(v));
    else
      ints[i] = normalizeInt(v);
  }
  /// Wraps or clamps an integer into this tensor's element type.
  int64_t normalizeInt(int64_t v) const {
    if (dtype == TensorProto::INT32)
      return int64_t(int32_t(uint32_t(uint64_t(v))));
    if (dtype == TensorProto::BOOL)
      return v != 0;
    return v;
  }
};

bool isFoldableType(int32_t t) {
  return t == TensorProto::INT64 || t == TensorProto::INT32 ||
         t == TensorProto::FLOAT || t == TensorProto::DOUBLE ||
         t == TensorProto::BOOL;
}

/// The element count of a foldable shape, or -1. Every dim, and the product
/// of the non-zero ones, must be at most kMaxFoldedElements: then no index
/// or stride computed from the dims can overflow, and no loop over an
/// empty tensor's outer dims can run for long.
int64_t elementCount(const std::vector<int64_t> &dims) {
  int64_t n = 1, nonZero = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > kMaxFoldedElements)
      return -1;
    if (d == 0) {
      n = 0;
      continue;
    }
    nonZero *= d;
    if (nonZero > kMaxFoldedElements)
      return -1;
    n = n ? nonZero : 0;
  }
  return n;
}

/// Reads a small TensorProto with inline data; nullopt for anything else.
std::optional<SmallTensor> readTensor(const TensorProto &t) {
  if (!isFoldableType(t.data_type()) ||
      t.data_location() == TensorProto::EXTERNAL)
    return std::nullopt;
  SmallTensor s;
  s.dims.assign(t.dims().begin(), t.dims().end());
  int64_t n = elementCount(s.dims);
  if (n < 0 || n > kMaxFoldedElements)
    return std::nullopt;
  s.resizeLike(t.data_type(), s.dims);
  const std::string &raw = t.raw_data();
  auto readRaw = [&](auto sample) -> bool {
    using T = decltype(sample);
    if (raw.size() != size_t(n) * sizeof(T))
      return false;
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
      if constexpr (std::is_floating_point_v<T>)
        s.reals[i] = double(v);
      else
        s.ints[i] = int64_t(v);
    }
    return true;
  };
  bool ok = false;
  if (t.has_raw_data()) {
    switch (t.data_type()) {
    case TensorProto::INT64: ok = readRaw(int64_t{}); break;
    case TensorProto::INT32: ok = readRaw(int32_t{}); break;
    case TensorProto::BOOL: ok = readRaw(uint8_t{}); break;
    case TensorProto::FLOAT: ok = readRaw(float{}); break;
    case TensorProto::DOUBLE: ok = readRaw(double{}); break;
    }
    return ok ? std::optional(s) : std::nullopt;
  }
  auto copy = [&](const auto &field) -> bool {
    if (field.size() != n)
      return false;
    for (int64_t i = 0; i < n; ++i)
      s.set(i, double(field.Get(i)));
    if (!s.isReal())
      for (int64_t i = 0; i < n; ++i)
        s.ints[i] = int64_t(field.Get(i));
    return true;
  };
  switch (t.data_type()) {
  case TensorProto::INT64: ok = copy(t.int64_data()); break;
  case TensorProto::INT32:
  case TensorProto::BOOL: ok = copy(t.int32_data()); break;
  case TensorProto::FLOAT: ok = copy(t.float_data()); break;
  case TensorProto::DOUBLE: ok = copy(t.double_data()); break;
  }
  return ok ? std::optional(s) : std::nullopt;
}

TensorProto writeTensor(const SmallTensor &s) {
  TensorProto t;
  t.set_data_type(s.dtype);
  for (int64_t d : s.dims)
    t.add_dims(d);
  for (int64_t i = 0, e = s.size(); i < e; ++i) {
    switch (s.dtype) {
    case TensorProto::INT64: t.add_int64_data(s.ints[i]); break;
    case TensorProto::INT32:
    case TensorProto::BOOL: t.add_int32_data(int32_t(s.ints[i])); break;
    case TensorProto::FLOAT: t.add_float_data(float(s.reals[i])); break;
    case TensorProto::DOUBLE: t.add_double_data(s.reals[i]); break;
    }
  }
  return t;
}

const onnx::AttributeProto *findAttr(const onnx::NodeProto &node,
                                     const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t intAttr(const onnx::NodeProto &node, const std::string &name,
                int64_t deflt) {
  const auto *a = findAttr(node, name);
  return a ? a->i() : deflt;
}

std::optional<std::vector<int64_t>> intsAttr(const onnx::NodeProto &node,
                                             const std::string &name) {
  const auto *a = findAttr(node, name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

/// The value of a Constant node, in any of its attribute forms.
std::optional<SmallTensor> constantNodeValue(const onnx::NodeProto &node) {
  for (const auto &a : node.attribute()) {
    SmallTensor s;
    if (a.name() == "value")
      return readTensor(a.t());
    if (a.name() == "value_int") {
      s.resizeLike(TensorProto::INT64, {});
      s.ints[0] = a.i();
      return s;
    }
    if (a.name() == "value_ints") {
      s.resizeLike(TensorProto::INT64, {int64_t(a.ints_size())});
      for (int i = 0; i < a.ints_size(); ++i)
        s.ints[i] = a.ints(i);
      return s;
    }
    if (a.name() == "value_float") {
      s.resizeLike(TensorProto::FLOAT, {});
      s.reals[0] = a.f();
      return s;
    }
    if (a.name() == "value_floats") {
      s.resizeLike(TensorProto::FLOAT, {int64_t(a.floats_size())});
      for (int i = 0; i < a.floats_size(); ++i)
        s.reals[i] = a.floats(i);
      return s;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> normalizedAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

/// Row-major strides of `dims`.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t i = int64_t(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

/// Elementwise op of several inputs with numpy broadcasting. `fn` sets
/// element `i` of the result from the inputs' elements at `flat` (one
/// index per input); false stops the fold.
std::optional<SmallTensor> broadcastMap(
    const std::vector<const SmallTensor *> &in, int32_t resultType,
    const std::function<bool(SmallTensor &, int64_t,
                             const std::vector<int64_t> &)> &fn) {
  size_t rank = 0;
  for (const auto *t : in)
    rank = std::max(rank, t->dims.size());
  std::vector<int64_t> dims(rank, 1);
  for (const auto *t : in) {
    size_t off = rank - t->dims.size();
    for (size_t i = 0; i < t->dims.size(); ++i) {
      int64_t d = t->dims[i];
      if (dims[off + i] == 1)
        dims[off + i] = d;
      else if (d != 1 && d != dims[off + i])
        return std::nullopt;
    }
  }
  if (elementCount(dims) < 0)
    return std::nullopt;
  SmallTensor out;
  out.resizeLike(resultType, dims);
  std::vector<int64_t> outStrides = stridesOf(dims);
  std::vector<int64_t> flat(in.size());
  for (int64_t i = 0, e = out.size(); i < e; ++i) {
    for (size_t k = 0; k < in.size(); ++k) {
      const SmallTensor &t = *in[k];
      std::vector<int64_t> strides = stridesOf(t.dims);
      size_t off = rank - t.dims.size();
      flat[k] = 0;
      for (size_t d = 0; d < t.dims.size(); ++d) {
        int64_t idx = (i / outStrides[off + d]) % dims[off + d];
        flat[k] += (t.dims[d] == 1 ? 0 : idx) * strides[d];
      }
    }
    if (!fn(out, i, flat))
      return std::nullopt;
  }
  return out;
}

/// Integer elementwise arithmetic is exact in int64 (a result that
/// overflows is not folded); reals go through double.
std::optional<SmallTensor> binaryArith(const std::string &op,
                                       const SmallTensor &a,
                                       const SmallTensor &b) {
  if (a.dtype != b.dtype)
    return std::nullopt;
  bool real = a.isReal();
  return broadcastMap(
      {&a, &b}, a.dtype,
      [&](SmallTensor &out, int64_t i, const std::vector<int64_t> &at) {
        if (real) {
          double x = a.reals[at[0]], y = b.reals[at[1]], r;
          if (op == "Add") r = x + y;
          else if (op == "Sub") r = x - y;
          else if (op == "Mul") r = x * y;
          else if (op == "Div") r = x / y;
          else if (op == "Min") r = std::min(x, y);
          else if (op == "Max") r = std::max(x, y);
          else return false;
          out.set(i, r);
          return true;
        }
        int64_t x = a.ints[at[0]], y = b.ints[at[1]], r;
        bool overflow = false;
        if (op == "Add")
          overflow = __builtin_add_overflow(x, y, &r);
        else if (op == "Sub")
          overflow = __builtin_sub_overflow(x, y, &r);
        else if (op == "Mul")
          overflow = __builtin_mul_overflow(x, y, &r);
        else if (op == "Div") {
          if (y == 0 || (x == INT64_MIN && y == -1))
            return false;
          r = x / y; // truncates toward zero, as ONNX's integer Div
        } else if (op == "Min")
          r = std::min(x, y);
        else if (op == "Max")
          r = std::max(x, y);
        else
          return false;
        if (overflow)
          return false;
        out.setInt(i, r);
        return true;
      });
}

/// A list of integers from a 0-D or 1-D constant.
std::vector<int64_t> asInts(const SmallTensor &t) {
  std::vector<int64_t> v(t.size());
  for (int64_t i = 0; i < t.size(); ++i)
    v[i] = t.intAt(i);
  return v;
}

std::optional<SmallTensor> evalGather(const onnx::NodeProto &node,
                                      const SmallTensor &data,
                                      const SmallTensor &indices) {
  int64_t rank = data.dims.size();
  auto axis = normalizedAxis(intAttr(node, "axis", 0), rank);
  if (!axis || indices.isReal())
    return std::nullopt;
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + *axis);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + *axis + 1, data.dims.end());
  int64_t outer = 1, inner = 1, axisDim = data.dims[*axis];
  for (int64_t i = 0; i < *axis; ++i)
    outer *= data.dims[i];
  for (int64_t i = *axis + 1; i < rank; ++i)
    inner *= data.dims[i];
  SmallTensor out;
  out.resizeLike(data.dtype, dims);
  int64_t n = indices.size(), pos = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < n; ++k) {
      int64_t idx = indices.ints[k];
      if (idx < 0)
        idx += axisDim;
      if (idx < 0 || idx >= axisDim)
        return std::nullopt;
      for (int64_t in = 0; in < inner; ++in)
        out.copyFrom(pos++, data, (o * axisDim + idx) * inner + in);
    }
  return out;
}

std::optional<SmallTensor>
evalConcat(const onnx::NodeProto &node,
           const std::vector<const SmallTensor *> &in) {
  if (in.empty())
    return std::nullopt;
  int64_t rank = in[0]->dims.size();
  auto axis = normalizedAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return std::nullopt;
  std::vector<int64_t> dims = in[0]->dims;
  dims[*axis] = 0;
  for (const auto *t : in) {
    if (t->dtype != in[0]->dtype || int64_t(t->dims.size()) != rank)
      return std::nullopt;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && t->dims[d] != dims[d])
        return std::nullopt;
    if (__builtin_add_overflow(dims[*axis], t->dims[*axis], &dims[*axis]))
      return std::nullopt;
  }
  if (elementCount(dims) < 0 || elementCount(dims) > kMaxFoldedElements)
    return std::nullopt;
  int64_t outer = 1;
  for (int64_t i = 0; i < *axis; ++i)
    outer *= dims[i];
  SmallTensor out;
  out.resizeLike(in[0]->dtype, dims);
  int64_t pos = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const auto *t : in) {
      int64_t chunk = t->size() / std::max<int64_t>(outer, 1);
      for (int64_t k = 0; k < chunk; ++k)
        out.copyFrom(pos++, *t, o * chunk + k);
    }
  return out;
}

/// Same elements, new dims (Reshape, Unsqueeze, Squeeze, Identity).
SmallTensor withDims(const SmallTensor &t, std::vector<int64_t> dims) {
  SmallTensor out = t;
  out.dims = std::move(dims);
  return out;
}

std::optional<SmallTensor> evalUnsqueeze(const SmallTensor &data,
                                         std::vector<int64_t> axes) {
  int64_t outRank = data.dims.size() + axes.size();
  for (int64_t &a : axes) {
    auto n = normalizedAxis(a, outRank);
    if (!n)
      return std::nullopt;
    a = *n;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return std::nullopt;
  std::vector<int64_t> dims;
  size_t src = 0, ax = 0;
  for (int64_t d = 0; d < outRank; ++d) {
    if (ax < axes.size() && axes[ax] == d) {
      dims.push_back(1);
      ++ax;
    } else {
      dims.push_back(data.dims[src++]);
    }
  }
  return withDims(data, dims);
}

std::optional<SmallTensor>
evalSqueeze(const SmallTensor &data,
            const std::optional<std::vector<int64_t>> &axes) {
  int64_t rank = data.dims.size();
  std::set<int64_t> drop;
  if (axes) {
    for (int64_t a : *axes) {
      auto n = normalizedAxis(a, rank);
      if (!n || data.dims[*n] != 1)
        return std::nullopt;
      drop.insert(*n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      if (data.dims[d] == 1)
        drop.insert(d);
  }
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop.count(d))
      dims.push_back(data.dims[d]);
  return withDims(data, dims);
}

std::optional<SmallTensor> evalReshape(const onnx::NodeProto &node,
                                       const SmallTensor &data,
                                       const SmallTensor &shape) {
  bool allowZero = intAttr(node, "allowzero", 0) != 0;
  std::vector<int64_t> dims = asInts(shape);
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && !allowZero) {
      if (i >= data.dims.size())
        return std::nullopt;
      dims[i] = data.dims[i];
    }
    if (dims[i] == -1) {
      if (inferred >= 0)
        return std::nullopt;
      inferred = i;
      continue;
    }
    if (dims[i] < 0 || __builtin_mul_overflow(known, dims[i], &known))
      return std::nullopt;
  }
  if (inferred >= 0) {
    if (known == 0 || data.size() % known)
      return std::nullopt;
    dims[inferred] = data.size() / known;
  }
  if (elementCount(dims) != data.size())
    return std::nullopt;
  return withDims(data, dims);
}

/// Slice with starts/ends/axes/steps already read (opset 1 attributes or
/// opset 10+ inputs).
std::optional<SmallTensor> evalSlice(const SmallTensor &data,
                                     const std::vector<int64_t> &starts,
                                     const std::vector<int64_t> &ends,
                                     std::optional<std::vector<int64_t>> axes,
                                     std::optional<std::vector<int64_t>> steps) {
  int64_t rank = data.dims.size();
  if (starts.size() != ends.size())
    return std::nullopt;
  if (!axes) {
    axes.emplace(starts.size());
    std::iota(axes->begin(), axes->end(), 0);
  }
  if (!steps)
    steps.emplace(starts.size(), 1);
  if (axes->size() != starts.size() || steps->size() != starts.size())
    return std::nullopt;
  std::vector<int64_t> begin(rank, 0), step(rank, 1), dims = data.dims;
  for (size_t k = 0; k < starts.size(); ++k) {
    auto axis = normalizedAxis((*axes)[k], rank);
    int64_t s = (*steps)[k];
    if (!axis || s == 0)
      return std::nullopt;
    int64_t dim = data.dims[*axis];
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return s > 0 ? std::clamp<int64_t>(v, 0, dim)
                   : std::clamp<int64_t>(v, -1, dim - 1);
    };
    int64_t b = clampIndex(starts[k]), e = clampIndex(ends[k]);
    int64_t len = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
    begin[*axis] = b;
    step[*axis] = s;
    dims[*axis] = std::max<int64_t>(len, 0);
  }
  SmallTensor out;
  out.resizeLike(data.dtype, dims);
  std::vector<int64_t> inStrides = stridesOf(data.dims),
                       outStrides = stridesOf(dims);
  for (int64_t i = 0, e = out.size(); i < e; ++i) {
    int64_t flat = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t idx = (i / outStrides[d]) % dims[d];
      flat += (begin[d] + idx * step[d]) * inStrides[d];
    }
    out.copyFrom(i, data, flat);
  }
  return out;
}

std::optional<SmallTensor> evalCast(const SmallTensor &in, int32_t to) {
  if (!isFoldableType(to))
    return std::nullopt;
  SmallTensor out;
  out.resizeLike(to, in.dims);
  for (int64_t i = 0; i < in.size(); ++i) {
    if (in.isReal() && !out.isReal()) {
      double v = in.reals[i];
      if (to == TensorProto::BOOL) {
        out.ints[i] = v != 0;
        continue;
      }
      if (!std::isfinite(v) || std::fabs(v) > 9.2e18)
        return std::nullopt;
      out.setInt(i, int64_t(v)); // truncation toward zero, as C casts do
    } else if (!in.isReal()) {
      out.setInt(i, in.ints[i]);
    } else {
      out.set(i, in.reals[i]);
    }
  }
  return out;
}

std::optional<SmallTensor> evalRange(const SmallTensor &start,
                                     const SmallTensor &limit,
                                     const SmallTensor &delta) {
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1 ||
      start.dtype != limit.dtype || start.dtype != delta.dtype)
    return std::nullopt;
  SmallTensor out;
  if (start.isReal()) {
    double s = start.at(0), l = limit.at(0), d = delta.at(0);
    if (d == 0)
      return std::nullopt;
    double count = std::max(std::ceil((l - s) / d), 0.0);
    if (!(count <= double(kMaxFoldedElements)))
      return std::nullopt;
    out.resizeLike(start.dtype, {int64_t(count)});
    for (int64_t i = 0; i < int64_t(count); ++i)
      out.set(i, s + double(i) * d);
    return out;
  }
  // Integers: the count and every element exactly, or no fold.
  int64_t s = start.ints[0], l = limit.ints[0], d = delta.ints[0], span;
  if (d == 0 || __builtin_sub_overflow(l, s, &span))
    return std::nullopt;
  int64_t count = 0;
  if (span == INT64_MIN && d == -1)
    return std::nullopt; // 2^63 elements; the division would overflow
  if ((span > 0 && d > 0) || (span < 0 && d < 0)) {
    // ceil(span / d) with both of one sign, without overflow.
    count = span / d + (span % d != 0);
  }
  if (count > kMaxFoldedElements)
    return std::nullopt;
  out.resizeLike(start.dtype, {count});
  for (int64_t i = 0; i < count; ++i) {
    int64_t step, value;
    if (__builtin_mul_overflow(i, d, &step) ||
        __builtin_add_overflow(s, step, &value))
      return std::nullopt;
    out.setInt(i, value);
  }
  return out;
}

std::optional<SmallTensor> evalConstantOfShape(const onnx::NodeProto &node,
                                               const SmallTensor &shape) {
  std::vector<int64_t> dims = asInts(shape);
  int64_t n = elementCount(dims);
  if (n < 0 || n > kMaxFoldedElements)
    return std::nullopt;
  SmallTensor fill;
  fill.resizeLike(TensorProto::FLOAT, {});
  if (const auto *a = findAttr(node, "value")) {
    auto v = readTensor(a->t());
    if (!v || v->size() != 1)
      return std::nullopt;
    fill = *v;
  }
  SmallTensor out;
  out.resizeLike(fill.dtype, dims);
  for (int64_t i = 0; i < n; ++i)
    out.copyFrom(i, fill, 0);
  return out;
}

/// Static dims of a value from the inferred or declared types, or nullopt.
using TypeTable = std::map<std::string, const onnx::TypeProto *>;

std::optional<std::vector<int64_t>> knownDims(const TypeTable &types,
                                              const std::string &name,
                                              bool requireAll) {
  auto it = types.find(name);
  if (it == types.end() || !it->second->has_tensor_type() ||
      !it->second->tensor_type().has_shape())
    return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto &d : it->second->tensor_type().shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0)
      dims.push_back(d.dim_value());
    else if (requireAll)
      return std::nullopt;
    else
      dims.push_back(-1);
  }
  return dims;
}

/// Shape (opset 15's start/end included) and Size need only the input type.
std::optional<SmallTensor> evalShapeOf(const onnx::NodeProto &node,
                                       const TypeTable &types) {
  auto dims = knownDims(types, node.input(0), /*requireAll=*/false);
  if (!dims)
    return std::nullopt;
  int64_t rank = dims->size();
  SmallTensor out;
  if (node.op_type() == "Size") {
    if (std::find(dims->begin(), dims->end(), -1) != dims->end())
      return std::nullopt;
    out.resizeLike(TensorProto::INT64, {});
    out.ints[0] = 1;
    for (int64_t d : *dims)
      if (__builtin_mul_overflow(out.ints[0], d, &out.ints[0]))
        return std::nullopt;
    return out;
  }
  auto clampAxis = [&](int64_t a) {
    if (a < 0)
      a += rank;
    return std::clamp<int64_t>(a, 0, rank);
  };
  int64_t start = clampAxis(intAttr(node, "start", 0));
  int64_t end = clampAxis(intAttr(node, "end", rank));
  std::vector<int64_t> picked;
  for (int64_t d = start; d < end; ++d) {
    if ((*dims)[d] < 0)
      return std::nullopt;
    picked.push_back((*dims)[d]);
  }
  out.resizeLike(TensorProto::INT64, {int64_t(picked.size())});
  out.ints = picked;
  return out;
}

/// Evaluates one node from its constant inputs; nullopt where it cannot
/// (or should not) be folded. `in[i]` is null for an input that is absent.
std::optional<SmallTensor>
evaluate(const onnx::NodeProto &node,
         const std::vector<const SmallTensor *> &in) {
  const std::string &op = node.op_type();
  auto input = [&](size_t i) -> const SmallTensor * {
    return i < in.size() ? in[i] : nullptr;
  };
  if (op == "Identity")
    return *in[0];
  if (op == "Cast")
    return evalCast(*in[0], int32_t(intAttr(node, "to", 0)));
  if (op == "Neg" || op == "Abs") {
    SmallTensor out = *in[0];
    for (int64_t i = 0; i < out.size(); ++i) {
      double v = op == "Neg" ? -in[0]->at(i) : std::fabs(in[0]->at(i));
      if (out.isReal())
        out.set(i, v);
      else if (in[0]->ints[i] == INT64_MIN)
        return std::nullopt; // its negation does not fit
      else
        out.setInt(i, op == "Neg" ? -in[0]->ints[i]
                                  : std::llabs(in[0]->ints[i]));
    }
    return out;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    if (in.size() != 2)
      return std::nullopt;
    return binaryArith(op, *in[0], *in[1]);
  }
  if (op == "Min" || op == "Max") {
    std::optional<SmallTensor> acc = *in[0];
    for (size_t i = 1; i < in.size() && acc; ++i)
      acc = binaryArith(op, *acc, *in[i]);
    return acc;
  }
  if (op == "Equal" || op == "Less" || op == "Greater") {
    if (in.size() != 2 || in[0]->dtype != in[1]->dtype)
      return std::nullopt;
    const SmallTensor &a = *in[0], &b = *in[1];
    return broadcastMap(
        {in[0], in[1]}, TensorProto::BOOL,
        [&](SmallTensor &out, int64_t i, const std::vector<int64_t> &at) {
          // Integers compare exactly, not through double.
          int c = a.isReal()
                      ? (a.reals[at[0]] < b.reals[at[1]]    ? -1
                         : a.reals[at[0]] > b.reals[at[1]]  ? 1
                         : a.reals[at[0]] == b.reals[at[1]] ? 0
                                                            : 2)
                      : (a.ints[at[0]] < b.ints[at[1]]   ? -1
                         : a.ints[at[0]] > b.ints[at[1]] ? 1
                                                         : 0);
          bool r = op == "Equal" ? c == 0 : op == "Less" ? c == -1 : c == 1;
          out.setInt(i, r);
          return true;
        });
  }
  if (op == "Where") {
    if (in.size() != 3 || in[1]->dtype != in[2]->dtype)
      return std::nullopt;
    const SmallTensor &c = *in[0], &x = *in[1], &y = *in[2];
    return broadcastMap(
        {in[0], in[1], in[2]}, in[1]->dtype,
        [&](SmallTensor &out, int64_t i, const std::vector<int64_t> &at) {
          if (c.at(at[0]) != 0)
            out.copyFrom(i, x, at[1]);
          else
            out.copyFrom(i, y, at[2]);
          return true;
        });
  }
  if (op == "Gather")
    return evalGather(node, *in[0], *in[1]);
  if (op == "Concat")
    return evalConcat(node, in);
  if (op == "Unsqueeze") {
    if (auto axes = intsAttr(node, "axes"))
      return evalUnsqueeze(*in[0], *axes);
    if (!input(1))
      return std::nullopt;
    return evalUnsqueeze(*in[0], asInts(*in[1]));
  }
  if (op == "Squeeze") {
    std::optional<std::vector<int64_t>> axes = intsAttr(node, "axes");
    if (!axes && input(1))
      axes = asInts(*in[1]);
    return evalSqueeze(*in[0], axes);
  }
  if (op == "Reshape") {
    if (!input(1))
      return std::nullopt; // opset 1-4 kept the shape in an attribute
    return evalReshape(node, *in[0], *in[1]);
  }
  if (op == "Slice") {
    if (auto starts = intsAttr(node, "starts")) {
      auto ends = intsAttr(node, "ends");
      if (!ends)
        return std::nullopt;
      return evalSlice(*in[0], *starts, *ends, intsAttr(node, "axes"),
                       std::nullopt);
    }
    if (!input(1) || !input(2))
      return std::nullopt;
    std::optional<std::vector<int64_t>> axes, steps;
    if (input(3))
      axes = asInts(*in[3]);
    if (input(4))
      steps = asInts(*in[4]);
    return evalSlice(*in[0], asInts(*in[1]), asInts(*in[2]), axes, steps);
  }
  if (op == "Range")
    return evalRange(*in[0], *in[1], *in[2]);
  if (op == "ConstantOfShape")
    return evalConstantOfShape(node, *in[0]);
  return std::nullopt;
}

bool isDefaultDomain(const onnx::NodeProto &node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

/// Turns `node` into a Constant node producing `value`.
void replaceWithConstant(onnx::NodeProto &node, const SmallTensor &value) {
  std::string output = node.output(0);
  std::string name = node.name();
  node.Clear();
  node.set_op_type("Constant");
  node.set_name(name);
  node.add_output(output);
  onnx::AttributeProto *attr = node.add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  *attr->mutable_t() = writeTensor(value);
}

/// One pass over the main graph in topological order; true if it folded
/// anything.
bool foldOnce(onnx::GraphProto &graph) {
  TypeTable types;
  for (const auto &v : graph.input())
    types[v.name()] = &v.type();
  for (const auto &v : graph.value_info())
    types[v.name()] = &v.type();
  for (const auto &v : graph.output())
    types.emplace(v.name(), &v.type());

  // Initializers that are also graph inputs are defaults a caller may
  // override: not constants.
  std::set<std::string> inputs;
  for (const auto &v : graph.input())
    inputs.insert(v.name());
  std::map<std::string, SmallTensor> constants;
  for (const auto &init : graph.initializer())
    if (!inputs.count(init.name()))
      if (auto value = readTensor(init))
        constants.emplace(init.name(), std::move(*value));

  static const std::set<std::string> kFoldable = {
      "Identity", "Cast",  "Neg",       "Abs",     "Add",     "Sub",
      "Mul",      "Div",   "Min",       "Max",     "Equal",   "Less",
      "Greater",  "Where", "Gather",    "Concat",  "Unsqueeze", "Squeeze",
      "Reshape",  "Slice", "Range",     "ConstantOfShape"};
  bool changed = false;
  for (auto &node : *graph.mutable_node()) {
    if (!isDefaultDomain(node) || node.output_size() != 1)
      continue;
    const std::string &op = node.op_type();
    if (op == "Constant") {
      if (auto value = constantNodeValue(node))
        constants[node.output(0)] = std::move(*value);
      continue;
    }
    std::optional<SmallTensor> value;
    if (op == "Shape" || op == "Size") {
      if (node.input_size() == 1)
        value = evalShapeOf(node, types);
    } else if (kFoldable.count(op) && node.input_size() > 0) {
      std::vector<const SmallTensor *> in;
      bool allConstant = true;
      for (const auto &name : node.input()) {
        if (name.empty()) {
          in.push_back(nullptr);
          continue;
        }
        auto it = constants.find(name);
        if (it == constants.end()) {
          allConstant = false;
          break;
        }
        in.push_back(&it->second);
      }
      if (allConstant && in[0])
        value = evaluate(node, in);
    }
    if (!value || value->inexact || elementCount(value->dims) < 0)
      continue;
    replaceWithConstant(node, *value);
    constants[node.output(0)] = std::move(*value);
    changed = true;
  }
  return changed;
}

void inferShapes(onnx::ModelProto &model) {
  // Best effort: with error_mode 0 inference skips nodes it cannot handle;
  // a throw for the whole model leaves the declared types.
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false,
                                        /*error_mode=*/0,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &) {
  }
}

} // namespace

void inferShapesAndFoldConstants(onnx::ModelProto &model) {
  // Types inferred before a fold may be less precise than those after it
  // (a dim named 'unk__0' instead of 4); each round starts again from the
  // types the model declared.
  const auto declared = model.graph().value_info();
  inferShapes(model);
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!foldOnce(*model.mutable_graph()))
      return;
    *model.mutable_graph()->mutable_value_info() = declared;
    inferShapes(model);
  }
}

} // namespace onnxc
