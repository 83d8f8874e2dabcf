/*===- onnxc_cuda.h - The runtime's CUDA driver layer ----------------------===
 *
 * Internal to the runtime shim: the CUDA driver API, reached through
 * dlopen("libcuda.so.1") at run time so that no model library depends on
 * CUDA at link time (it loads, and runs on the CPU, where there is none).
 * Only the handful of driver entry points the runtime uses are declared,
 * with the driver's C types spelled out here: nothing from cuda.h is
 * needed to build the runtime.
 *
 * Every failure is reported as a reason string that names the CUDA error
 * (CUDA_ERROR_NO_DEVICE, ...) through the driver's own cuGetErrorName.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ONNXC_CUDA_H
#define ONNXC_CUDA_H

#include "onnxc_model_desc.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How onnxc_cuda.c and onnxc_cuda_run.c define their functions: internal
 * to the shim. Hidden, so a shared model library keeps them to itself, and
 * weak, so that two static model libraries linked into one program (each
 * with its copy of the shim) do not clash. */
#define ONNXC_INTERNAL __attribute__((weak, visibility("hidden")))

/* The size of the reason buffers the functions below fill. */
#define ONNXC_CUDA_REASON_SIZE 256

/* The driver's handles, as opaque as cuda.h declares them. */
typedef int onnxc_cu_result;          /* CUresult; 0 is CUDA_SUCCESS */
typedef int onnxc_cu_device;          /* CUdevice */
typedef void *onnxc_cu_context;       /* CUcontext */
typedef void *onnxc_cu_module;        /* CUmodule */
typedef void *onnxc_cu_function;      /* CUfunction */
typedef void *onnxc_cu_stream;        /* CUstream */
typedef unsigned long long onnxc_cu_deviceptr; /* CUdeviceptr */

/* The per-session GPU state: the device's primary context, the model's
 * PTX loaded as a module with every kernel looked up, and one stream. */
typedef struct onnxc_cuda_session {
  onnxc_cu_device device;
  onnxc_cu_context context;
  onnxc_cu_module module;
  onnxc_cu_stream stream;
  onnxc_cu_function *kernels; /* model->num_cuda_kernels entries */
  const char *const *kernel_names; /* the model's, for messages */
  uint32_t num_kernels;
  char device_name[96];
  int cc_major, cc_minor; /* compute capability */
} onnxc_cuda_session;

/* Loads libcuda.so.1 and runs cuInit(0), once per process (thread-safe).
 * 1 when the driver is usable; 0 with `reason` set otherwise:
 * "libcuda.so.1 not found (...)", "libcuda.so.1 lacks cuXxx",
 * "cuInit failed: CUDA_ERROR_...". */
int onnxc_cuda_driver_available(char *reason, size_t reason_size);

/* Makes `cs` ready to run `model` on device 0: the driver (above), a
 * device ("no CUDA device" when there is none), its primary context, the
 * model's PTX JIT-compiled and loaded ("PTX JIT failed: CUDA_ERROR_...:
 * <the JIT's log>"), every kernel looked up, a stream. 1 on success; 0
 * with `reason` set and nothing held. The model must carry CUDA code
 * (model->cuda_ptx). */
int onnxc_cuda_session_open(onnxc_cuda_session *cs, const onnxc_model *model,
                            char *reason, size_t reason_size);

/* Releases what onnxc_cuda_session_open took. A zeroed `cs` is ignored. */
void onnxc_cuda_session_close(onnxc_cuda_session *cs);

/* Device memory and copies on the session's stream; 1 on success, 0 with
 * `reason` naming the CUDA error. The copies are asynchronous:
 * onnxc_cuda_synchronize waits for them (and for launched kernels). */
int onnxc_cuda_alloc(onnxc_cuda_session *cs, size_t bytes,
                     onnxc_cu_deviceptr *ptr, char *reason,
                     size_t reason_size);
void onnxc_cuda_free(onnxc_cuda_session *cs, onnxc_cu_deviceptr ptr);
int onnxc_cuda_upload(onnxc_cuda_session *cs, onnxc_cu_deviceptr dst,
                      const void *src, size_t bytes, char *reason,
                      size_t reason_size);
int onnxc_cuda_download(onnxc_cuda_session *cs, void *dst,
                        onnxc_cu_deviceptr src, size_t bytes, char *reason,
                        size_t reason_size);
/* Launches kernel `index` (of model->cuda_kernels) on the session's
 * stream; `params` as cuLaunchKernel takes them. */
int onnxc_cuda_launch(onnxc_cuda_session *cs, uint32_t index, unsigned gx,
                      unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, void **params, char *reason,
                      size_t reason_size);
int onnxc_cuda_synchronize(onnxc_cuda_session *cs, char *reason,
                           size_t reason_size);

/* A session's CUDA side when its runs go to the GPU (onnxc_cuda_run.c):
 * the driver session above, the weights on the device and an arena of
 * device memory for the runs. */
typedef struct onnxc_cuda_state onnxc_cuda_state;

/* Opens the driver session and uploads the weights (the model's
 * cuda_weight_table). 1 with `*out` set; 0 with `reason` set and nothing
 * held. */
int onnxc_cuda_state_open(onnxc_cuda_state **out, const onnxc_model *model,
                          char *reason, size_t reason_size);
void onnxc_cuda_state_close(onnxc_cuda_state *st);
const onnxc_cuda_session *onnxc_cuda_state_session(const onnxc_cuda_state *st);

/* One run on the GPU. `args` as run_packed takes them, the input
 * descriptors filled for the caller's (host, dense) data; `results` is
 * args[0]. The inputs are uploaded, model->cuda_run_packed runs, and each
 * result is downloaded into a fresh malloc() block, dense, which its
 * descriptor then describes (the caller frees `allocated`). 1 on success;
 * 0 with `reason` set and the result descriptors zeroed. */
int onnxc_cuda_state_run(onnxc_cuda_state *st, void **args, int64_t *results,
                         char *reason, size_t reason_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONNXC_CUDA_H */
