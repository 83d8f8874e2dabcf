/*===- onnxc_cuda.c - The runtime's CUDA driver layer ---------------------===
 *
 * See onnxc_cuda.h. The driver library is opened once per process, with
 * RTLD_LOCAL so that its symbols do not leak into the program, and never
 * closed (the driver does not support being unloaded while contexts
 * exist). Entry points are resolved by the names the driver exports, which
 * for some functions carry the _v2 suffix cuda.h's macros add.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* dlopen, snprintf in C11 mode */

#include "onnxc_cuda.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define CU_SUCCESS 0
/* CUjit_option values (cuda.h). */
#define CU_JIT_ERROR_LOG_BUFFER 5
#define CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES 6
/* CUdevice_attribute values (cuda.h). */
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

/* The driver's entry points the runtime uses. */
typedef struct cuda_api {
  onnxc_cu_result (*cuInit)(unsigned flags);
  onnxc_cu_result (*cuGetErrorName)(onnxc_cu_result error, const char **name);
  onnxc_cu_result (*cuDeviceGetCount)(int *count);
  onnxc_cu_result (*cuDeviceGet)(onnxc_cu_device *device, int ordinal);
  onnxc_cu_result (*cuDeviceGetName)(char *name, int length,
                                     onnxc_cu_device device);
  onnxc_cu_result (*cuDeviceGetAttribute)(int *value, int attribute,
                                          onnxc_cu_device device);
  onnxc_cu_result (*cuDevicePrimaryCtxRetain)(onnxc_cu_context *context,
                                              onnxc_cu_device device);
  onnxc_cu_result (*cuDevicePrimaryCtxRelease)(onnxc_cu_device device);
  onnxc_cu_result (*cuCtxSetCurrent)(onnxc_cu_context context);
  onnxc_cu_result (*cuModuleLoadDataEx)(onnxc_cu_module *module,
                                        const void *image, unsigned count,
                                        int *options, void **values);
  onnxc_cu_result (*cuModuleUnload)(onnxc_cu_module module);
  onnxc_cu_result (*cuModuleGetFunction)(onnxc_cu_function *function,
                                         onnxc_cu_module module,
                                         const char *name);
  onnxc_cu_result (*cuMemAlloc)(onnxc_cu_deviceptr *ptr, size_t bytes);
  onnxc_cu_result (*cuMemFree)(onnxc_cu_deviceptr ptr);
  onnxc_cu_result (*cuMemcpyHtoDAsync)(onnxc_cu_deviceptr dst,
                                       const void *src, size_t bytes,
                                       onnxc_cu_stream stream);
  onnxc_cu_result (*cuMemcpyDtoHAsync)(void *dst, onnxc_cu_deviceptr src,
                                       size_t bytes, onnxc_cu_stream stream);
  onnxc_cu_result (*cuLaunchKernel)(onnxc_cu_function f, unsigned gx,
                                    unsigned gy, unsigned gz, unsigned bx,
                                    unsigned by, unsigned bz,
                                    unsigned shared_bytes,
                                    onnxc_cu_stream stream, void **params,
                                    void **extra);
  onnxc_cu_result (*cuStreamCreate)(onnxc_cu_stream *stream, unsigned flags);
  onnxc_cu_result (*cuStreamSynchronize)(onnxc_cu_stream stream);
  onnxc_cu_result (*cuStreamDestroy)(onnxc_cu_stream stream);
} cuda_api;

/* Filled once by load_driver; read-only afterwards. */
static cuda_api api;
static int driver_ok;
static char driver_reason[ONNXC_CUDA_REASON_SIZE];
static pthread_once_t driver_once = PTHREAD_ONCE_INIT;

/* The driver's name for `error` ("CUDA_ERROR_NO_DEVICE"), or its number
 * when the driver does not know it. The returned pointer is the driver's
 * (static) or `buffer`'s. */
static const char *error_name(onnxc_cu_result error, char *buffer,
                              size_t size) {
  const char *name = NULL;
  if (api.cuGetErrorName && api.cuGetErrorName(error, &name) == CU_SUCCESS &&
      name)
    return name;
  snprintf(buffer, size, "CUDA error %d", error);
  return buffer;
}

/* Sets `reason` to "<what> failed: <error name>" and returns 0. */
static int cuda_fail(onnxc_cu_result error, const char *what, char *reason,
                     size_t size) {
  char number[32];
  snprintf(reason, size, "%s failed: %s", what,
           error_name(error, number, sizeof number));
  return 0;
}

static void load_driver(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    snprintf(driver_reason, sizeof driver_reason,
             "libcuda.so.1 not found (%s)", why ? why : "dlopen failed");
    return;
  }
  /* Every entry point or none: a driver too old to have one is as
   * unusable as no driver. */
  struct {
    void **slot;
    const char *name;
  } symbols[] = {
      {(void **)&api.cuGetErrorName, "cuGetErrorName"},
      {(void **)&api.cuInit, "cuInit"},
      {(void **)&api.cuDeviceGetCount, "cuDeviceGetCount"},
      {(void **)&api.cuDeviceGet, "cuDeviceGet"},
      {(void **)&api.cuDeviceGetName, "cuDeviceGetName"},
      {(void **)&api.cuDeviceGetAttribute, "cuDeviceGetAttribute"},
      {(void **)&api.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&api.cuDevicePrimaryCtxRelease,
       "cuDevicePrimaryCtxRelease_v2"},
      {(void **)&api.cuCtxSetCurrent, "cuCtxSetCurrent"},
      {(void **)&api.cuModuleLoadDataEx, "cuModuleLoadDataEx"},
      {(void **)&api.cuModuleUnload, "cuModuleUnload"},
      {(void **)&api.cuModuleGetFunction, "cuModuleGetFunction"},
      {(void **)&api.cuMemAlloc, "cuMemAlloc_v2"},
      {(void **)&api.cuMemFree, "cuMemFree_v2"},
      {(void **)&api.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2"},
      {(void **)&api.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2"},
      {(void **)&api.cuLaunchKernel, "cuLaunchKernel"},
      {(void **)&api.cuStreamCreate, "cuStreamCreate"},
      {(void **)&api.cuStreamSynchronize, "cuStreamSynchronize"},
      {(void **)&api.cuStreamDestroy, "cuStreamDestroy_v2"},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
    *symbols[i].slot = dlsym(lib, symbols[i].name);
    if (!*symbols[i].slot) {
      snprintf(driver_reason, sizeof driver_reason, "libcuda.so.1 lacks %s",
               symbols[i].name);
      memset(&api, 0, sizeof api);
      return;
    }
  }
  onnxc_cu_result r = api.cuInit(0);
  if (r != CU_SUCCESS) {
    cuda_fail(r, "cuInit", driver_reason, sizeof driver_reason);
    return;
  }
  driver_ok = 1;
}

ONNXC_INTERNAL int onnxc_cuda_driver_available(char *reason,
                                               size_t reason_size) {
  pthread_once(&driver_once, load_driver);
  if (!driver_ok)
    snprintf(reason, reason_size, "%s", driver_reason);
  return driver_ok;
}

ONNXC_INTERNAL void onnxc_cuda_session_close(onnxc_cuda_session *cs) {
  if (!cs || !cs->context)
    return;
  api.cuCtxSetCurrent(cs->context);
  if (cs->stream)
    api.cuStreamDestroy(cs->stream);
  if (cs->module)
    api.cuModuleUnload(cs->module);
  api.cuDevicePrimaryCtxRelease(cs->device);
  free(cs->kernels);
  memset(cs, 0, sizeof *cs);
}

ONNXC_INTERNAL int onnxc_cuda_session_open(onnxc_cuda_session *cs,
                                           const onnxc_model *model,
                                           char *reason, size_t reason_size) {
  memset(cs, 0, sizeof *cs);
  if (!onnxc_cuda_driver_available(reason, reason_size))
    return 0;
  int count = 0;
  onnxc_cu_result r = api.cuDeviceGetCount(&count);
  if (r != CU_SUCCESS)
    return cuda_fail(r, "cuDeviceGetCount", reason, reason_size);
  if (count < 1) {
    snprintf(reason, reason_size, "no CUDA device");
    return 0;
  }
  if ((r = api.cuDeviceGet(&cs->device, 0)) != CU_SUCCESS)
    return cuda_fail(r, "cuDeviceGet", reason, reason_size);
  if (api.cuDeviceGetName(cs->device_name, (int)sizeof cs->device_name,
                          cs->device) != CU_SUCCESS)
    snprintf(cs->device_name, sizeof cs->device_name, "device 0");
  api.cuDeviceGetAttribute(&cs->cc_major,
                           CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                           cs->device);
  api.cuDeviceGetAttribute(&cs->cc_minor,
                           CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                           cs->device);
  onnxc_cu_context context = NULL;
  if ((r = api.cuDevicePrimaryCtxRetain(&context, cs->device)) != CU_SUCCESS)
    return cuda_fail(r, "cuDevicePrimaryCtxRetain", reason, reason_size);
  cs->context = context; /* from here on, close() releases it */
  if ((r = api.cuCtxSetCurrent(context)) != CU_SUCCESS) {
    cuda_fail(r, "cuCtxSetCurrent", reason, reason_size);
    onnxc_cuda_session_close(cs);
    return 0;
  }
  /* The JIT's error log says which PTX line it rejects and why; keep as
   * much of it as the reason can hold. */
  char log[ONNXC_CUDA_REASON_SIZE] = "";
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, (void *)(uintptr_t)sizeof log};
  r = api.cuModuleLoadDataEx(&cs->module, model->cuda_ptx, 2, options, values);
  if (r != CU_SUCCESS) {
    char number[32];
    log[sizeof log - 1] = '\0';
    snprintf(reason, reason_size, "PTX JIT failed: %s%s%s",
             error_name(r, number, sizeof number), log[0] ? ": " : "", log);
    cs->module = NULL;
    onnxc_cuda_session_close(cs);
    return 0;
  }
  cs->num_kernels = model->num_cuda_kernels;
  cs->kernel_names = model->cuda_kernels;
  cs->kernels = calloc(cs->num_kernels ? cs->num_kernels : 1,
                       sizeof *cs->kernels);
  if (!cs->kernels) {
    snprintf(reason, reason_size, "out of memory");
    onnxc_cuda_session_close(cs);
    return 0;
  }
  for (uint32_t k = 0; k < cs->num_kernels; ++k) {
    r = api.cuModuleGetFunction(&cs->kernels[k], cs->module,
                                model->cuda_kernels[k]);
    if (r != CU_SUCCESS) {
      char number[32];
      snprintf(reason, reason_size, "cannot load kernel '%s': %s",
               model->cuda_kernels[k], error_name(r, number, sizeof number));
      onnxc_cuda_session_close(cs);
      return 0;
    }
  }
  if ((r = api.cuStreamCreate(&cs->stream, 0)) != CU_SUCCESS) {
    cs->stream = NULL;
    cuda_fail(r, "cuStreamCreate", reason, reason_size);
    onnxc_cuda_session_close(cs);
    return 0;
  }
  return 1;
}

ONNXC_INTERNAL int onnxc_cuda_alloc(onnxc_cuda_session *cs, size_t bytes,
                                    onnxc_cu_deviceptr *ptr, char *reason,
                                    size_t reason_size) {
  api.cuCtxSetCurrent(cs->context);
  onnxc_cu_result r = api.cuMemAlloc(ptr, bytes ? bytes : 1);
  return r == CU_SUCCESS ? 1 : cuda_fail(r, "cuMemAlloc", reason, reason_size);
}

ONNXC_INTERNAL void onnxc_cuda_free(onnxc_cuda_session *cs,
                                    onnxc_cu_deviceptr ptr) {
  if (!ptr)
    return;
  api.cuCtxSetCurrent(cs->context);
  api.cuMemFree(ptr);
}

ONNXC_INTERNAL int onnxc_cuda_upload(onnxc_cuda_session *cs,
                                     onnxc_cu_deviceptr dst, const void *src,
                                     size_t bytes, char *reason,
                                     size_t reason_size) {
  if (!bytes)
    return 1;
  api.cuCtxSetCurrent(cs->context);
  onnxc_cu_result r = api.cuMemcpyHtoDAsync(dst, src, bytes, cs->stream);
  return r == CU_SUCCESS ? 1
                         : cuda_fail(r, "cuMemcpyHtoDAsync", reason,
                                     reason_size);
}

ONNXC_INTERNAL int onnxc_cuda_download(onnxc_cuda_session *cs, void *dst,
                                       onnxc_cu_deviceptr src, size_t bytes,
                                       char *reason, size_t reason_size) {
  if (!bytes)
    return 1;
  api.cuCtxSetCurrent(cs->context);
  onnxc_cu_result r = api.cuMemcpyDtoHAsync(dst, src, bytes, cs->stream);
  return r == CU_SUCCESS ? 1
                         : cuda_fail(r, "cuMemcpyDtoHAsync", reason,
                                     reason_size);
}

ONNXC_INTERNAL int onnxc_cuda_launch(onnxc_cuda_session *cs, uint32_t index,
                                     unsigned gx, unsigned gy, unsigned gz,
                                     unsigned bx, unsigned by, unsigned bz,
                                     void **params, char *reason,
                                     size_t reason_size) {
  if (index >= cs->num_kernels) {
    snprintf(reason, reason_size, "kernel %u of %u", index, cs->num_kernels);
    return 0;
  }
  api.cuCtxSetCurrent(cs->context);
  onnxc_cu_result r = api.cuLaunchKernel(cs->kernels[index], gx, gy, gz, bx,
                                         by, bz, 0, cs->stream, params, NULL);
  if (r == CU_SUCCESS)
    return 1;
  char what[160];
  snprintf(what, sizeof what, "cuLaunchKernel of %s",
           cs->kernel_names ? cs->kernel_names[index] : "a kernel");
  return cuda_fail(r, what, reason, reason_size);
}

ONNXC_INTERNAL int onnxc_cuda_synchronize(onnxc_cuda_session *cs,
                                          char *reason, size_t reason_size) {
  api.cuCtxSetCurrent(cs->context);
  onnxc_cu_result r = api.cuStreamSynchronize(cs->stream);
  return r == CU_SUCCESS ? 1
                         : cuda_fail(r, "cuStreamSynchronize", reason,
                                     reason_size);
}
