//===- TensorImporter.cpp - ONNX tensors to MLIR attributes ---------------===//
//
// Weights must never become per-element attributes: a 100 MB model would
// then take minutes and gigabytes to import. They become dense resource
// blobs that own the bytes protobuf already read.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/TensorImporter.h"
#include "lib/importer/ExternalData.h"
#include "lib/importer/ImportError.h"
#include "lib/importer/Limits.h"
#include "lib/importer/TypeImporter.h"

#include "dialects/onnx/OnnxDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "onnx/onnx_pb.h"

#include <cstring>
#include <limits>

using namespace mlir;

namespace onnxc {
namespace {

/// Bytes one element takes in ONNX's raw_data, or 0 where that is not a
/// whole number of bytes.
size_t rawElementBytes(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case 17: case 18: case 19: case 20: // float8 variants
    return 1;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::FLOAT:
    return 4;
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::COMPLEX64:
    return 8;
  case onnx::TensorProto::COMPLEX128:
    return 16;
  default:
    return 0;
  }
}

/// A blob name MLIR's printer and parser accept: [A-Za-z0-9_.] only.
std::string blobNameFor(const std::string &tensorName) {
  std::string out;
  for (char c : tensorName)
    out += (isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || isdigit(static_cast<unsigned char>(out[0])))
    out = "t_" + out;
  return out;
}

/// Copies the elements of a repeated protobuf field into a byte buffer,
/// converting each to `Elem` (ONNX stores int8..uint16, bool and float16 in
/// int32_data, and uint32 in uint64_data).
template <typename Elem, typename Field>
std::string packField(const Field &field) {
  std::string bytes(size_t(field.size()) * sizeof(Elem), '\0');
  char *out = bytes.data();
  for (auto v : field) {
    Elem e = static_cast<Elem>(v);
    std::memcpy(out, &e, sizeof(Elem));
    out += sizeof(Elem);
  }
  return bytes;
}

/// Packs the typed-field form of a tensor into raw bytes.
std::string packTypedData(const onnx::TensorProto &t) {
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::COMPLEX64:
    return packField<float>(t.float_data());
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::COMPLEX128:
    return packField<double>(t.double_data());
  case onnx::TensorProto::INT64:
    return packField<int64_t>(t.int64_data());
  case onnx::TensorProto::UINT64:
    return packField<uint64_t>(t.uint64_data());
  case onnx::TensorProto::UINT32:
    return packField<uint32_t>(t.uint64_data());
  case onnx::TensorProto::INT32:
    return packField<int32_t>(t.int32_data());
  case onnx::TensorProto::INT16:
    return packField<int16_t>(t.int32_data());
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return packField<uint16_t>(t.int32_data());
  case onnx::TensorProto::INT8:
    return packField<int8_t>(t.int32_data());
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
  case 17: case 18: case 19: case 20:
    return packField<uint8_t>(t.int32_data());
  default:
    return {};
  }
}

} // namespace

ElementsAttr importTensor(onnx::TensorProto &tensor, MLIRContext *context,
                          const std::string &modelDir,
                          uint64_t maxTensorBytes) {
  const std::string &name = tensor.name();
  auto fail = [&](const std::string &why) {
    return ImportError("tensor '" + name + "': " + why);
  };

  Type element = importElementType(tensor.data_type(), context);
  if (!element)
    throw fail("has unsupported " + dataTypeName(tensor.data_type()));
  if (tensor.has_segment())
    throw fail("is segmented, which is not supported");

  // The declared shape is checked before any data is read or allocated: a
  // hostile model may declare dims whose product wraps around, or an
  // external range of terabytes.
  SmallVector<int64_t> shape;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      throw fail("has the negative dimension " + std::to_string(dim));
    shape.push_back(dim);
  }
  checkTensorSize(shape, element, maxTensorBytes, "tensor '" + name + "'");
  uint64_t numElements = uint64_t(*checkedElementCount(shape));
  auto type = RankedTensorType::get(shape, element);

  if (tensor.data_type() == onnx::TensorProto::STRING) {
    if (uint64_t(tensor.string_data_size()) != numElements)
      throw fail("has " + std::to_string(tensor.string_data_size()) +
                 " strings for " + std::to_string(numElements) + " elements");
    SmallVector<StringRef> strings(tensor.string_data().begin(),
                                   tensor.string_data().end());
    return DenseStringElementsAttr::get(type, strings);
  }

  size_t elemBytes = rawElementBytes(tensor.data_type());
  if (elemBytes == 0)
    throw fail("has " + dataTypeName(tensor.data_type()) +
               " elements, which are not supported in constants");
  uint64_t expectedBytes = numElements * elemBytes;

  // Take ownership of the bytes: move raw_data, read external data, or pack
  // the typed repeated field.
  auto owned = std::make_unique<std::string>();
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    *owned = readExternalData(modelDir, tensor, expectedBytes);
  } else if (tensor.has_raw_data()) {
    owned->swap(*tensor.mutable_raw_data());
  } else {
    *owned = packTypedData(tensor);
  }
  if (owned->size() != expectedBytes)
    throw fail("holds " + std::to_string(owned->size()) + " bytes of data, "
               "but its shape and type need " + std::to_string(expectedBytes));

  // The blob owns the string. Its buffer comes from operator new and so is
  // aligned for any element; short strings live inside the std::string
  // object instead, so check and copy then.
  const size_t alignment = alignof(std::max_align_t);
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(owned->data()) % alignment == 0 &&
      !owned->empty()) {
    std::string *raw = owned.release();
    blob = AsmResourceBlob(
        ArrayRef<char>(raw->data(), raw->size()), alignment,
        [raw](void *, size_t, size_t) { delete raw; },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(owned->data(), owned->size()), alignment);
  }
  return DenseResourceElementsAttr::get(type, blobNameFor(name),
                                        std::move(blob));
}

} // namespace onnxc
