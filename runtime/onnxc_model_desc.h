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
 *                      never touches. Its `allocated` field is the
 *                      session: the model passes the descriptor back to
 *                      _mlir_ciface_onnxc_scratch_reserve (runtime) for
 *                      its temporaries sized at run time.
 * A memref descriptor of rank r is (all 8-byte fields):
 *   { void *allocated; void *aligned; int64_t offset;
 *     int64_t sizes[r]; int64_t strides[r]; }
 * Inputs are passed dense row-major: allocated == aligned == the caller's
 * data, offset 0, strides the row-major ones. Every result is a fresh
 * buffer from malloc(), dense row-major, owned by the caller of run_packed
 * (the runtime frees `allocated`).
 *
 * Weights. By default every weight is a constant in the library. With
 * `onnx-compile --weights=external` the large ones live in a separate file
 * (below) instead, and the compiled code addresses each as
 * `*weights_base + offset`: the runtime maps the file and stores the
 * payload's address in `*weights_base` before the first session of the
 * model exists. `weights_size == 0` means there is nothing to load.
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
  /* External weights (all zero when the weights are embedded). */
  void **weights_base;   /* the slot the compiled code reads: the payload */
  uint64_t weights_size; /* payload bytes the weights file must hold */
  uint64_t weights_id;   /* id the weights file must carry */
  /* ONNXC_WEIGHTS_STATE_BYTES writable, zeroed bytes, 16-byte aligned,
   * that belong to the runtime (its once-per-process loading state). */
  void *weights_state;
  /* How the library was made: model_sha256, producer_name, ..., keys as in
   * onnxc_model_compile_info (docs/runtime-api.md). */
  uint32_t num_compile_info;
  const onnxc_metadata_entry *compile_info; /* num_compile_info entries */
  /* CUDA code (onnx-compile --target=x86_64,cuda; all zero without): the
   * model's kernels as one PTX module, NUL-terminated, for the GPU
   * architecture `cuda_arch` ("sm_80"), and the names of its kernels,
   * which the runtime looks up when it loads the module. */
  const char *cuda_ptx;
  uint64_t cuda_ptx_size; /* bytes of cuda_ptx, without the NUL */
  const char *cuda_arch;
  uint32_t num_cuda_kernels;
  const char *const *cuda_kernels; /* num_cuda_kernels entries */
  /* The CUDA path's host code (codegen/CudaLowerHost.cpp): run_packed's
   * convention without the scratch arena (args[0] results, args[1 + i]
   * input i), every buffer a device address. It calls the runtime's
   * onnxc_cuda_rt_* functions (runtime/onnxc_cuda_run.c) on the calling
   * thread's current CUDA run, and kernel i of `cuda_kernels` by index. */
  void (*cuda_run_packed)(void **args);
  /* Writes, for each of the num_cuda_weights weights the host code reads,
   * its host address and size in bytes into table[2i] and table[2i + 1];
   * `table` is a rank-1 int64 memref descriptor (allocated, aligned,
   * offset, size, stride). */
  void (*cuda_weight_table)(int64_t *table);
  uint32_t num_cuda_weights;
};

#define ONNXC_WEIGHTS_STATE_BYTES 64

/* The weights file, `<library>.weights` (all integers little-endian):
 *   0   char     magic[8]        "ONNXCWTS"
 *   8   uint32_t version         ONNXC_WEIGHTS_FORMAT_VERSION
 *   12  uint32_t reserved        0
 *   16  uint64_t payload_offset  ONNXC_WEIGHTS_HEADER_BYTES (a multiple of
 *                                ONNXC_WEIGHTS_ALIGNMENT)
 *   24  uint64_t payload_size    the model's weights_size
 *   32  uint64_t id              the model's weights_id: a hash of the
 *                                payload computed by the compiler
 *   40  reserved zeros up to payload_offset
 * then the payload: every weight at an offset from the payload's start
 * that is a multiple of ONNXC_WEIGHTS_ALIGNMENT, zeros between them. The
 * file ends exactly at payload_offset + payload_size. */
#define ONNXC_WEIGHTS_MAGIC "ONNXCWTS"
#define ONNXC_WEIGHTS_FORMAT_VERSION 1
#define ONNXC_WEIGHTS_HEADER_BYTES 64
#define ONNXC_WEIGHTS_ALIGNMENT 64

/* Words (int64) in a memref descriptor of `rank`. */
#define ONNXC_DESCRIPTOR_WORDS(rank) (3 + 2 * (size_t)(rank))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONNXC_MODEL_DESC_H */
