//===- TensorFiles.h - onnx-run's host tensors and their files --*- C++ -*-===//
//
// Reading test inputs and expected outputs (ONNX TensorProto .pb files and
// NumPy .npy files) into host tensors. Kept apart from the tool's main so
// that a fuzz target (test/fuzz/) can drive the readers from memory: these
// files come from anywhere, and a bad one must end in a Fatal, never in a
// crash or an allocation its bytes do not pay for.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_TOOLS_ONNX_RUN_TENSORFILES_H
#define ONNXC_TOOLS_ONNX_RUN_TENSORFILES_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace onnxrun {

enum ExitCode { kOk = 0, kMismatch = 1, kUsage = 2 };

/// Thrown for anything that ends the run; main prints it as one line.
struct Fatal : std::runtime_error {
  int code;
  Fatal(int code, const std::string &message)
      : std::runtime_error(message), code(code) {}
};

[[noreturn]] void fail(int code, const std::string &message);

/// Bytes of one element of an ONNXC_DTYPE_*, 0 for one onnx-run lacks.
size_t dtypeSize(int dtype);
std::string dtypeName(int dtype);
std::string shapeString(const int64_t *dims, size_t rank);

/// Byte storage aligned for any vector unit, so benchmarks do not depend on
/// where the heap happened to put an input.
struct AlignedBytes {
  std::unique_ptr<uint8_t, decltype(&std::free)> ptr{nullptr, &std::free};
  size_t size = 0;
  void resize(size_t bytes);
  uint8_t *data() const { return ptr.get(); }
};

struct HostTensor {
  std::string name; // the name stored in the file, or ""
  int dtype = 0;
  std::vector<int64_t> dims;
  AlignedBytes bytes;

  /// The bytes `dims` and `dtype` need; fails (Fatal) for an unsupported
  /// dtype, a rank above the runtime's or an absurd shape. Allocates nothing.
  size_t byteSize(const std::string &what) const;
  /// Sets dims and sizes the storage; `what` names the tensor in errors.
  void allocate(const std::string &what);
  size_t elements() const { return bytes.size / dtypeSize(dtype); }
};

std::string readFile(const std::string &path);

/// Parses the bytes of a TensorProto / a .npy file; `what` names them in
/// errors. Throw Fatal for anything malformed.
HostTensor parseTensorProto(const std::string &content,
                            const std::string &what);
HostTensor parseNpy(const std::string &content, const std::string &what);

HostTensor readTensorProto(const std::string &path);
HostTensor readNpy(const std::string &path);
/// .npy by extension, TensorProto otherwise.
HostTensor readTensorFile(const std::string &path);

} // namespace onnxrun

#endif // ONNXC_TOOLS_ONNX_RUN_TENSORFILES_H
