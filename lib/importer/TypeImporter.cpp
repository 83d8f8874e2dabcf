//===- TypeImporter.cpp - ONNX types to MLIR types ------------------------===//

#include "lib/importer/TypeImporter.h"
#include "lib/importer/ImportError.h"
#include "lib/importer/Limits.h"

#include "dialects/onnx/OnnxDialect.h"
#include "onnx/onnx_pb.h"

using namespace mlir;

namespace onnxc {

// TensorProto.DataType values newer than libonnx 1.12's enum (IR 9+).
enum : int32_t {
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
};

Type importElementType(int32_t dataType, MLIRContext *context) {
  Builder b(context);
  auto unsignedInt = [&](unsigned width) {
    return IntegerType::get(context, width, IntegerType::Unsigned);
  };
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
    return b.getIntegerType(64);
  case onnx::TensorProto::UINT8:
    return unsignedInt(8);
  case onnx::TensorProto::UINT16:
    return unsignedInt(16);
  case onnx::TensorProto::UINT32:
    return unsignedInt(32);
  case onnx::TensorProto::UINT64:
    return unsignedInt(64);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::STRING:
    return StringType::get(context);
  case onnx::TensorProto::COMPLEX64:
    return ComplexType::get(b.getF32Type());
  case onnx::TensorProto::COMPLEX128:
    return ComplexType::get(b.getF64Type());
  case kFloat8E4M3FN:
    return Float8E4M3FNType::get(context);
  case kFloat8E4M3FNUZ:
    return Float8E4M3FNUZType::get(context);
  case kFloat8E5M2:
    return Float8E5M2Type::get(context);
  case kFloat8E5M2FNUZ:
    return Float8E5M2FNUZType::get(context);
  case kUInt4:
    return unsignedInt(4);
  case kInt4:
    return b.getIntegerType(4);
  case kFloat4E2M1:
    return Float4E2M1FNType::get(context);
  default:
    return {};
  }
}

std::string dataTypeName(int32_t dataType) {
  static const char *names[] = {
      "undefined", "float",   "uint8",     "int8",          "uint16",
      "int16",     "int32",   "int64",     "string",        "bool",
      "float16",   "double",  "uint32",    "uint64",        "complex64",
      "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
      "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1"};
  if (dataType >= 0 && dataType < int32_t(sizeof(names) / sizeof(names[0])))
    return names[dataType];
  return "data type " + std::to_string(dataType);
}

Type importType(const onnx::TypeProto &type, MLIRContext *context,
                const std::map<std::string, int64_t> &dimValues,
                uint64_t maxTensorBytes, std::vector<std::string> *dimNames) {
  switch (type.value_case()) {
  case onnx::TypeProto::kTensorType: {
    const auto &tensor = type.tensor_type();
    Type element = importElementType(tensor.elem_type(), context);
    if (!element)
      return {};
    if (!tensor.has_shape())
      return UnrankedTensorType::get(element);
    SmallVector<int64_t> shape;
    for (const auto &dim : tensor.shape().dim()) {
      std::string name;
      if (dim.has_dim_value()) {
        if (dim.dim_value() < 0)
          throw ImportError("a tensor type has the negative dimension " +
                            std::to_string(dim.dim_value()));
        shape.push_back(dim.dim_value());
      } else if (dim.has_dim_param()) {
        name = dim.dim_param();
        auto fixed = dimValues.find(name);
        if (fixed != dimValues.end() && fixed->second < 0)
          throw ImportError("dim '" + name + "' is set to the negative value " +
                            std::to_string(fixed->second));
        shape.push_back(fixed != dimValues.end() ? fixed->second
                                                 : ShapedType::kDynamic);
      } else {
        shape.push_back(ShapedType::kDynamic);
      }
      if (dimNames)
        dimNames->push_back(name);
    }
    // Every later stage multiplies these dims (sizes, strides): refuse
    // a product that overflows or an absurd size here, once.
    checkTensorSize(shape, element, maxTensorBytes, "a tensor type");
    return RankedTensorType::get(shape, element);
  }
  case onnx::TypeProto::kSequenceType: {
    Type element = importType(type.sequence_type().elem_type(), context,
                              dimValues, maxTensorBytes);
    return element ? SeqType::get(context, element) : Type();
  }
  case onnx::TypeProto::kOptionalType: {
    Type element = importType(type.optional_type().elem_type(), context,
                              dimValues, maxTensorBytes);
    return element ? OptType::get(context, element) : Type();
  }
  default:
    // Sparse tensors and ML maps are not supported yet.
    return {};
  }
}

} // namespace onnxc
