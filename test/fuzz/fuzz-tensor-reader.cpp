//===- fuzz-tensor-reader.cpp - libFuzzer target: onnx-run's tensor files ===//
//
// onnx-run reads test inputs and expected outputs from .pb (TensorProto)
// and .npy files. Any bytes must give a tensor or a Fatal; never a crash or
// an allocation larger than the file pays for. Inputs starting with .npy's
// magic go to the .npy reader, the rest to the TensorProto reader.
//
//===----------------------------------------------------------------------===//

#include "tools/onnx-run/TensorFiles.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string content(reinterpret_cast<const char *>(data), size);
  try {
    onnxrun::HostTensor t =
        size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0
            ? onnxrun::parseNpy(content, "fuzz.npy")
            : onnxrun::parseTensorProto(content, "fuzz.pb");
    // Whatever was read must be as large as its shape says.
    if (t.bytes.size != t.byteSize("fuzz"))
      __builtin_trap();
  } catch (const onnxrun::Fatal &) {
  }
  return 0;
}
