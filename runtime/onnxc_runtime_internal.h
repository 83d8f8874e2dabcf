/*===- onnxc_runtime_internal.h - Runtime entry points for generated code -===
 *
 * Internal to onnx-compile: what the runtime shim offers the code the
 * compiler generates (and the runtime's own tests). Not part of the public
 * ABI; nothing here is promised to stay.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ONNXC_RUNTIME_INTERNAL_H
#define ONNXC_RUNTIME_INTERNAL_H

#include "onnx-compile/onnxc_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The number of threads a run of `session` may use, already resolved: never
 * 0 (the default is ONNXC_NUM_THREADS when it is a positive integer, else
 * the number of online cores). 1 for a NULL session. */
int32_t onnxc_internal_session_num_threads(const onnxc_session *session);

/* Bytes of one element of `dtype`; 0 for an unknown one. */
size_t onnxc_internal_dtype_size(onnxc_dtype dtype);

/* Copies the `sizes` box of `rank` dims between two strided layouts
 * (strides in elements of `elem_size` bytes). */
void onnxc_internal_copy_strided(char *dst, const char *src,
                                 const int64_t *sizes,
                                 const int64_t *dst_strides,
                                 const int64_t *src_strides, int64_t rank,
                                 int64_t elem_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONNXC_RUNTIME_INTERNAL_H */
