/* A stand-in for the CUDA driver, built as libcuda.so.1 and put on
 * LD_LIBRARY_PATH by cuda-fallback.test, so the runtime's probe can be
 * driven down each path on a machine without a GPU. FAKE_CUDA selects the
 * behaviour:
 *   nodevice  cuInit fails with CUDA_ERROR_NO_DEVICE (100)
 *   zero      cuInit succeeds, cuDeviceGetCount says 0
 *   badptx    the JIT rejects the PTX: CUDA_ERROR_INVALID_PTX (218) and a
 *             log line
 *   ok        the probe succeeds; cuModuleGetFunction finds a kernel only
 *             when the loaded image has `.entry NAME(`, so the library's
 *             kernel table is checked against its PTX; then device memory
 *             runs out (cuMemAlloc), at the weights' upload
 * Only what the runtime calls is defined; handles are dummies. */
#include <stdlib.h>
#include <string.h>

static const char *mode(void) {
  const char *m = getenv("FAKE_CUDA");
  return m ? m : "nodevice";
}

static const char *image;
static int dummy;

int cuGetErrorName(int error, const char **name) {
  switch (error) {
  case 2: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
  case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
  case 218: *name = "CUDA_ERROR_INVALID_PTX"; return 0;
  case 500: *name = "CUDA_ERROR_NOT_FOUND"; return 0;
  default: return 1;
  }
}
int cuInit(unsigned flags) {
  (void)flags;
  return strcmp(mode(), "nodevice") == 0 ? 100 : 0;
}
int cuDeviceGetCount(int *count) {
  *count = strcmp(mode(), "zero") == 0 ? 0 : 1;
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
int cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "Fake GPU", (size_t)length);
  return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  *value = attribute == 75 ? 8 : 0; /* compute capability 8.0 */
  return 0;
}
int cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &dummy;
  return 0;
}
int cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return 0;
}
int cuCtxSetCurrent(void *context) {
  (void)context;
  return 0;
}
int cuModuleLoadDataEx(void **module, const void *data, unsigned count,
                       int *options, void **values) {
  if (strcmp(mode(), "badptx") == 0) {
    for (unsigned i = 0; i < count; ++i)
      if (options[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
        strcpy((char *)values[i], "ptxas fatal: fake rejection");
    return 218;
  }
  image = data;
  *module = &dummy;
  return 0;
}
int cuModuleUnload(void *module) {
  (void)module;
  return 0;
}
int cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  char pattern[256];
  strcpy(pattern, ".entry ");
  strncat(pattern, name, sizeof pattern - 9);
  strcat(pattern, "(");
  if (!image || !strstr(image, pattern))
    return 500;
  *function = &dummy;
  return 0;
}
int cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = &dummy;
  return 0;
}
int cuStreamDestroy_v2(void *stream) {
  (void)stream;
  return 0;
}
int cuStreamSynchronize(void *stream) {
  (void)stream;
  return 0;
}
int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  (void)bytes;
  *ptr = 0;
  return 2; /* CUDA_ERROR_OUT_OF_MEMORY: nothing here runs kernels (the
             * emulated_libcuda.c of cuda-emulated.test does) */
}
int cuMemFree_v2(unsigned long long ptr) {
  (void)ptr;
  return 0;
}
int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void *src,
                         size_t bytes, void *stream) {
  (void)dst, (void)src, (void)bytes, (void)stream;
  return 0;
}
int cuMemcpyDtoHAsync_v2(void *dst, unsigned long long src, size_t bytes,
                         void *stream) {
  (void)dst, (void)src, (void)bytes, (void)stream;
  return 0;
}
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void *stream, void **params, void **extra) {
  (void)f, (void)gx, (void)gy, (void)gz, (void)bx, (void)by, (void)bz;
  (void)shared, (void)stream, (void)params, (void)extra;
  return 0;
}
