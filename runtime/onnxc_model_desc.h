/*===- onnxc_model_desc.h - What the compiler emits for the runtime -------===
 *
 * Internal contract between onnx-compile's code generator and the runtime
 * shim; not part of the public ABI. The code generator emits, as LLVM
 * globals, one `struct onnxc_model` per model library, laid out exactly as
 * below, plus the entry point it points to.
 *
 * Calling convention of `run_packed(void **args)`:
 *   args[0]            points to storage for the results: the memref
 *                      descriptors of every output, one after the other;
 *   args[1 + i]        points to the memref descriptor of input i;
 *   args[1 + n]        (n inputs) points to the memref descriptor (rank 1,
 *                      bytes) of the session's scratch arena: at least
 *                      `scratch_bytes` bytes, 64-byte aligned, which the
 *                      model uses for its temporaries and the runtime
 *                      never touches.
 * A memref descriptor of rank r is (all 8-byte fields):
 *   { void *allocated; void *aligned; int64_t offset;
 *     int64_t sizes[r]; int64_t strides[r]; }
 * Inputs are passed dense row-major: allocated == aligned == the caller's
 * data, offset 0, strides the row-major ones. Every result is a fresh
 * buffer from malloc(), dense row-major, owned by the caller of run_packed
 * (the runtime frees `allocated`).
 *
 *===----------------------------------------------------------------------===*/

#ifndef ONNXC_MODEL_DESC_H
#define ONNXC_MODEL_DESC_H

#include "onnx-compile/onnxc_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct onnxc_metadata_entry {
  const char *key;
  const char *value;
} onnxc_metadata_entry;

struct onnxc_model {
  uint32_t abi_version; /* ONNXC_ABI_VERSION of the compiler */
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t num_metadata;
  const char *name;
  const onnxc_tensor_info *inputs;   /* num_inputs entries */
  const onnxc_tensor_info *outputs;  /* num_outputs entries */
  const onnxc_metadata_entry *metadata;
  void (*run_packed)(void **args);
  uint64_t scratch_bytes; /* size of the per-session scratch arena */
};

/* Words (int64) in a memref descriptor of `rank`. */
#define ONNXC_DESCRIPTOR_WORDS(rank) (3 + 2 * (size_t)(rank))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONNXC_MODEL_DESC_H */
