//===- Limits.cpp - Bounds on what a model may make the importer do -------===//

#include "lib/importer/Limits.h"
#include "lib/importer/ImportError.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/MathExtras.h"
#include "onnx/onnx_pb.h"

using namespace mlir;

namespace onnxc {

std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> dims) {
  int64_t product = 1, nonZero = 1;
  for (int64_t d : dims) {
    if (d < 0)
      continue;
    if (d == 0) {
      product = 0;
      continue;
    }
    if (llvm::MulOverflow(nonZero, d, nonZero))
      return std::nullopt;
    product = product == 0 ? 0 : nonZero;
  }
  return product;
}

std::string shapeText(llvm::ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") + (dims[i] < 0 ? std::string("?")
                                       : std::to_string(dims[i]));
  return s + "]";
}

/// Bytes per element as the compiled code stores it; sub-byte types count
/// as one byte (they are stored unpacked), strings as a pointer.
static uint64_t storageBytes(Type element) {
  if (auto complex = dyn_cast<ComplexType>(element))
    return 2 * storageBytes(complex.getElementType());
  if (element.isIntOrFloat())
    return std::max<uint64_t>(1, (element.getIntOrFloatBitWidth() + 7) / 8);
  return sizeof(void *);
}

void checkTensorSize(llvm::ArrayRef<int64_t> shape, Type element,
                     uint64_t maxBytes, const std::string &what) {
  std::optional<int64_t> count = checkedElementCount(shape);
  if (!count)
    throw ImportError(what + ": shape " + shapeText(shape) +
                      " has more elements than a 64-bit integer can count");
  uint64_t bytes = 0;
  bool overflows =
      __builtin_mul_overflow(uint64_t(*count), storageBytes(element), &bytes);
  if (overflows || bytes > maxBytes)
    throw ImportError(what + ": shape " + shapeText(shape) + " needs " +
                      (overflows ? std::string("more than 2^64")
                                 : std::to_string(bytes)) +
                      " bytes, above the limit of " +
                      std::to_string(maxBytes) +
                      " bytes (--max-tensor-bytes)");
}

namespace {

void checkDepth(const onnx::GraphProto &graph, int depth) {
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const auto &attr : node.attribute()) {
      if (!attr.has_g() && attr.graphs_size() == 0)
        continue;
      if (depth + 1 > kMaxSubgraphDepth)
        throw ImportError(node.name().empty()
                              ? node.op_type() + "_" + std::to_string(i)
                              : node.name(),
                          node.op_type(),
                          "subgraphs nest more than " +
                              std::to_string(kMaxSubgraphDepth) +
                              " deep; this node's body would be level " +
                              std::to_string(depth + 1));
      if (attr.has_g())
        checkDepth(attr.g(), depth + 1);
      for (const auto &g : attr.graphs())
        checkDepth(g, depth + 1);
    }
  }
}

} // namespace

void checkSubgraphDepth(const onnx::GraphProto &graph) {
  checkDepth(graph, 0);
}

} // namespace onnxc
