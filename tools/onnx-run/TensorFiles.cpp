//===- TensorFiles.cpp - onnx-run's host tensors and their files ---------===//

#include "tools/onnx-run/TensorFiles.h"

#include "onnx-compile/onnxc_runtime.h"
#include "onnx/onnx_pb.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>

namespace onnxrun {

void fail(int code, const std::string &message) {
  throw Fatal(code, message);
}

size_t dtypeSize(int dtype) {
  switch (dtype) {
  case ONNXC_DTYPE_UINT8:
  case ONNXC_DTYPE_INT8:
  case ONNXC_DTYPE_BOOL:
    return 1;
  case ONNXC_DTYPE_UINT16:
  case ONNXC_DTYPE_INT16:
  case ONNXC_DTYPE_FLOAT16:
  case ONNXC_DTYPE_BFLOAT16:
    return 2;
  case ONNXC_DTYPE_FLOAT32:
  case ONNXC_DTYPE_INT32:
  case ONNXC_DTYPE_UINT32:
    return 4;
  case ONNXC_DTYPE_INT64:
  case ONNXC_DTYPE_FLOAT64:
  case ONNXC_DTYPE_UINT64:
    return 8;
  default:
    return 0;
  }
}

std::string dtypeName(int dtype) {
  switch (dtype) {
  case ONNXC_DTYPE_FLOAT32: return "float32";
  case ONNXC_DTYPE_UINT8: return "uint8";
  case ONNXC_DTYPE_INT8: return "int8";
  case ONNXC_DTYPE_UINT16: return "uint16";
  case ONNXC_DTYPE_INT16: return "int16";
  case ONNXC_DTYPE_INT32: return "int32";
  case ONNXC_DTYPE_INT64: return "int64";
  case ONNXC_DTYPE_BOOL: return "bool";
  case ONNXC_DTYPE_FLOAT16: return "float16";
  case ONNXC_DTYPE_FLOAT64: return "float64";
  case ONNXC_DTYPE_UINT32: return "uint32";
  case ONNXC_DTYPE_UINT64: return "uint64";
  case ONNXC_DTYPE_BFLOAT16: return "bfloat16";
  default: return "dtype " + std::to_string(dtype);
  }
}

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i)
    s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

void AlignedBytes::resize(size_t bytes) {
  void *p = std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64));
  if (!p)
    fail(kUsage, "out of memory allocating " + std::to_string(bytes) +
                     " bytes");
  std::memset(p, 0, bytes);
  ptr.reset(static_cast<uint8_t *>(p));
  size = bytes;
}

size_t HostTensor::byteSize(const std::string &what) const {
  size_t esize = dtypeSize(dtype);
  if (!esize)
    fail(kUsage, what + ": unsupported " + dtypeName(dtype));
  if (dims.size() > ONNXC_MAX_RANK)
    fail(kUsage, what + ": rank " + std::to_string(dims.size()) +
                     " is above the runtime's limit of " +
                     std::to_string(ONNXC_MAX_RANK));
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d != 0 && n > (uint64_t(1) << 48) / uint64_t(d)))
      fail(kUsage, what + ": bad shape " + shapeString(dims.data(), dims.size()));
    n *= uint64_t(d);
  }
  return size_t(n) * esize;
}

void HostTensor::allocate(const std::string &what) {
  bytes.resize(byteSize(what));
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(kUsage, path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

/// Copies `count` typed values narrowed to the tensor's element width.
template <typename T>
void copyTyped(HostTensor &t, const T *values, size_t count,
               const std::string &what) {
  if (count != t.elements())
    fail(kUsage, what + ": holds " + std::to_string(count) +
                     " values, its shape needs " +
                     std::to_string(t.elements()));
  size_t esize = dtypeSize(t.dtype);
  for (size_t i = 0; i < count; ++i) {
    // Little-endian: the low bytes of the wider field are the element.
    uint64_t bits = 0;
    if constexpr (std::is_floating_point_v<T> && sizeof(T) == 4) {
      float f = values[i];
      std::memcpy(&bits, &f, 4);
    } else if constexpr (std::is_floating_point_v<T>) {
      double d = values[i];
      std::memcpy(&bits, &d, 8);
    } else {
      bits = uint64_t(values[i]);
    }
    std::memcpy(t.bytes.data() + i * esize, &bits, esize);
  }
}

} // namespace

HostTensor parseTensorProto(const std::string &content,
                            const std::string &path) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(content))
    fail(kUsage, path + ": not a TensorProto");
  HostTensor t;
  t.name = proto.name();
  t.dtype = proto.data_type();
  t.dims.assign(proto.dims().begin(), proto.dims().end());
  if (proto.data_location() == onnx::TensorProto::EXTERNAL)
    fail(kUsage, path + ": external data is not supported");
  if (proto.has_segment())
    fail(kUsage, path + ": segmented tensors are not supported");
  // Compare what the file holds with what the shape needs before
  // allocating: a few bytes may declare a shape of terabytes.
  size_t needed = t.byteSize(path);
  if (!proto.raw_data().empty()) {
    if (proto.raw_data().size() != needed)
      fail(kUsage, path + ": raw_data has " +
                       std::to_string(proto.raw_data().size()) +
                       " bytes, the shape needs " + std::to_string(needed));
    t.allocate(path);
    std::memcpy(t.bytes.data(), proto.raw_data().data(), t.bytes.size);
    return t;
  }
  size_t count = 0;
  switch (t.dtype) {
  case ONNXC_DTYPE_FLOAT32: count = size_t(proto.float_data_size()); break;
  case ONNXC_DTYPE_FLOAT64: count = size_t(proto.double_data_size()); break;
  case ONNXC_DTYPE_INT64: count = size_t(proto.int64_data_size()); break;
  case ONNXC_DTYPE_UINT32:
  case ONNXC_DTYPE_UINT64: count = size_t(proto.uint64_data_size()); break;
  default: count = size_t(proto.int32_data_size()); break;
  }
  if (count != needed / dtypeSize(t.dtype))
    fail(kUsage, path + ": holds " + std::to_string(count) +
                     " values, its shape needs " +
                     std::to_string(needed / dtypeSize(t.dtype)));
  t.allocate(path);
  switch (t.dtype) {
  case ONNXC_DTYPE_FLOAT32:
    copyTyped(t, proto.float_data().data(), proto.float_data_size(), path);
    break;
  case ONNXC_DTYPE_FLOAT64:
    copyTyped(t, proto.double_data().data(), proto.double_data_size(), path);
    break;
  case ONNXC_DTYPE_INT64:
    copyTyped(t, proto.int64_data().data(), proto.int64_data_size(), path);
    break;
  case ONNXC_DTYPE_UINT32:
  case ONNXC_DTYPE_UINT64:
    copyTyped(t, proto.uint64_data().data(), proto.uint64_data_size(), path);
    break;
  default: // int32 and narrower, bool, float16 and bfloat16 bits
    copyTyped(t, proto.int32_data().data(), proto.int32_data_size(), path);
    break;
  }
  return t;
}

HostTensor readTensorProto(const std::string &path) {
  return parseTensorProto(readFile(path), path);
}

/// A small .npy reader: format 1.0 to 3.0, C order, little-endian.
HostTensor parseNpy(const std::string &content, const std::string &path) {
  auto bad = [&](const std::string &why) -> HostTensor {
    fail(kUsage, path + ": " + why);
  };
  if (content.size() < 10 || content.compare(0, 6, "\x93NUMPY") != 0)
    bad("not a .npy file");
  unsigned major = uint8_t(content[6]);
  size_t headerLen, start;
  if (major == 1) {
    headerLen = uint8_t(content[8]) | size_t(uint8_t(content[9])) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (content.size() < 12)
      bad("truncated header");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | uint8_t(content[8 + i]);
    start = 12;
  } else {
    return bad(".npy version " + std::to_string(major) + " is not supported");
  }
  if (content.size() < start + headerLen)
    bad("truncated header");
  std::string header = content.substr(start, headerLen);
  auto field = [&](const std::string &key) {
    size_t at = header.find("'" + key + "'");
    if (at == std::string::npos)
      bad("header has no '" + key + "'");
    at = header.find(':', at);
    if (at == std::string::npos)
      bad("bad header");
    return at + 1;
  };

  size_t at = header.find('\'', field("descr"));
  size_t end = at == std::string::npos ? at : header.find('\'', at + 1);
  if (end == std::string::npos)
    bad("bad descr");
  std::string descr = header.substr(at + 1, end - at - 1);
  static const std::map<std::string, int> kDescrs = {
      {"f4", ONNXC_DTYPE_FLOAT32}, {"f8", ONNXC_DTYPE_FLOAT64},
      {"f2", ONNXC_DTYPE_FLOAT16}, {"i1", ONNXC_DTYPE_INT8},
      {"u1", ONNXC_DTYPE_UINT8},   {"b1", ONNXC_DTYPE_BOOL},
      {"i2", ONNXC_DTYPE_INT16},   {"u2", ONNXC_DTYPE_UINT16},
      {"i4", ONNXC_DTYPE_INT32},   {"u4", ONNXC_DTYPE_UINT32},
      {"i8", ONNXC_DTYPE_INT64},   {"u8", ONNXC_DTYPE_UINT64}};
  auto it = descr.size() == 3 ? kDescrs.find(descr.substr(1)) : kDescrs.end();
  bool oneByte = it != kDescrs.end() && dtypeSize(it->second) == 1;
  if (it == kDescrs.end() ||
      !(descr[0] == '<' || descr[0] == '|' || (descr[0] == '=' && !oneByte) ||
        (oneByte && descr[0] == '>')))
    bad("dtype '" + descr + "' is not supported (little-endian numeric only)");

  size_t fortran = header.find_first_not_of(' ', field("fortran_order"));
  if (fortran != std::string::npos && header.compare(fortran, 4, "True") == 0)
    bad("Fortran-order arrays are not supported; save with C order");

  HostTensor t;
  t.dtype = it->second;
  size_t open = header.find('(', field("shape"));
  size_t close = open == std::string::npos ? open : header.find(')', open);
  if (close == std::string::npos)
    bad("bad shape");
  std::string shape = header.substr(open + 1, close - open - 1);
  std::stringstream ss(shape);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.find_first_not_of(" L") == std::string::npos)
      continue; // the empty item after "(3,"
    char *endp;
    long long d = std::strtoll(item.c_str(), &endp, 10);
    if (d < 0 || endp == item.c_str())
      bad("bad shape (" + shape + ")");
    t.dims.push_back(d);
  }
  // The data must be there before the storage is allocated.
  size_t needed = t.byteSize(path);
  if (content.size() - start - headerLen != needed)
    bad("holds " + std::to_string(content.size() - start - headerLen) +
        " data bytes, its shape needs " + std::to_string(needed));
  t.allocate(path);
  std::memcpy(t.bytes.data(), content.data() + start + headerLen,
              t.bytes.size);
  return t;
}

HostTensor readNpy(const std::string &path) {
  return parseNpy(readFile(path), path);
}

HostTensor readTensorFile(const std::string &path) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0)
    return readNpy(path);
  return readTensorProto(path);
}


} // namespace onnxrun
