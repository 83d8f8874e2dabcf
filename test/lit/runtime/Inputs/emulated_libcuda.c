/* A CUDA driver that runs the kernels on the CPU: built as libcuda.so.1
 * and put first on LD_LIBRARY_PATH by the cuda-emulated tests, so that a
 * --target=x86_64,cuda library takes its GPU path for real on a machine
 * without a GPU: the runtime's driver calls, the weights' upload, the
 * device arena, the generated host code's launches and argument slots,
 * the copies back.
 *
 * The kernels themselves come from ONNXC_EMULATED_KERNELS, the shared
 * library `onnx-compile --cuda-emulation-kernels` wrote beside the model
 * library: one `void NAME(void **params, const int64_t *ids)` per kernel,
 * which a launch calls once per thread (blocks and threads in order). A
 * kernel with barriers (`NAME.barriers`) runs each block's threads as
 * coroutines that switch at every barrier, sharing the kernel's shared
 * memory (one buffer per kernel, as one block runs at a time).
 *
 * What it checks, as a GPU would fail where the host code is wrong:
 * - the loaded PTX's `.entry NAME(...)` parameter list has as many
 *   parameters as the host kernel reads (`NAME.param_count`);
 * - every parameter the PTX marks `.ptr` holds an address inside a live
 *   device allocation (a host address there is what a GPU reports as
 *   CUDA_ERROR_ILLEGAL_ADDRESS);
 * - copies and frees touch only live device allocations;
 * - grid and block sizes are within CUDA's limits.
 * Device memory is host memory from malloc, recorded in a table.
 *
 * ONNXC_EMULATOR_LOG=FILE appends one line per process at exit: the
 * number of launches, threads and allocations. ONNXC_EMULATOR_FAIL=launch
 * makes every launch fail with CUDA_ERROR_LAUNCH_FAILED. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

enum {
  OK = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  INVALID_IMAGE = 200,
  NOT_FOUND = 500,
  ILLEGAL_ADDRESS = 700,
  LAUNCH_FAILED = 719
};

typedef void (*kernel_fn)(void **params, const int64_t *ids);

typedef struct kernel {
  char name[128];
  int params;       /* in the PTX's .entry */
  uint64_t pointers; /* bit i: parameter i is `.ptr` (first 64) */
  kernel_fn fn;
  int barriers;     /* the kernel synchronizes its block's threads */
} kernel;

/* A block whose kernel has barriers runs each thread on its own stack (a
 * ucontext): a thread runs until it reaches a barrier or ends, then the
 * next one; when every thread has reached the barrier, all go on. */
#define THREAD_STACK_BYTES (64 * 1024)
#define MAX_THREADS 1024
/* A thread starts on its stack through makecontext/swapcontext; after
 * that, switches are _setjmp/_longjmp, which save no signal mask (glibc's
 * swapcontext makes a system call for it on every switch, which made BERT's
 * tiled products several times slower to emulate). */
typedef struct emulated_thread {
  ucontext_t start;
  jmp_buf resume;
  int started;
  int64_t ids[12];
  int done;
} emulated_thread;
static emulated_thread block_threads[MAX_THREADS];
static char *block_stacks;
static ucontext_t scheduler_start;
static jmp_buf scheduler;
static emulated_thread *running;
static kernel *running_kernel;
static void **running_params;

static void emulator_barrier(void) {
  if (!_setjmp(running->resume))
    _longjmp(scheduler, 1);
}

static void thread_main(void) {
  running_kernel->fn(running_params, running->ids);
  running->done = 1;
  _longjmp(scheduler, 1);
}

/* Runs `th` until it reaches a barrier or ends. */
static void resume_thread(emulated_thread *th) {
  running = th;
  if (_setjmp(scheduler))
    return;
  if (!th->started) {
    th->started = 1;
    swapcontext(&scheduler_start, &th->start);
  }
  _longjmp(th->resume, 1);
}

/* Runs one block of a kernel with barriers; 0 when its threads did not
 * all reach the same barriers (a deadlock on a GPU). */
static int run_block(kernel *k, void **params, const int64_t *block_ids,
                     unsigned threads) {
  if (!block_stacks &&
      !(block_stacks = malloc((size_t)MAX_THREADS * THREAD_STACK_BYTES)))
    return 0;
  running_kernel = k;
  running_params = params;
  unsigned bx = (unsigned)block_ids[9], by = (unsigned)block_ids[10];
  for (unsigned t = 0; t < threads; ++t) {
    emulated_thread *th = &block_threads[t];
    memcpy(th->ids, block_ids, sizeof th->ids);
    th->ids[3] = t % bx;
    th->ids[4] = t / bx % by;
    th->ids[5] = t / bx / by;
    th->done = 0;
    th->started = 0;
    getcontext(&th->start);
    th->start.uc_stack.ss_sp = block_stacks + (size_t)t * THREAD_STACK_BYTES;
    th->start.uc_stack.ss_size = THREAD_STACK_BYTES;
    th->start.uc_link = NULL; /* thread_main never returns */
    makecontext(&th->start, thread_main, 0);
  }
  for (;;) {
    unsigned finished = 0;
    for (unsigned t = 0; t < threads; ++t) {
      if (!block_threads[t].done)
        resume_thread(&block_threads[t]);
      finished += block_threads[t].done;
    }
    if (finished == threads)
      return 1;
    if (finished) {
      fprintf(stderr, "emulator: kernel %s: %u of %u threads ended while "
                      "the others wait at a barrier\n",
              k->name, finished, threads);
      return 0;
    }
  }
}

#define MAX_KERNELS 4096
#define MAX_ALLOCS 65536

static kernel kernels[MAX_KERNELS];
static int num_kernels;
static void *library;
static struct {
  uintptr_t base;
  size_t size;
} allocs[MAX_ALLOCS];
static int num_allocs;
static unsigned long long launches, threads, total_allocs;
static int dummy;

int cuGetErrorName(int error, const char **name) {
  switch (error) {
  case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; return OK;
  case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return OK;
  case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; return OK;
  case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; return OK;
  case ILLEGAL_ADDRESS: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; return OK;
  case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; return OK;
  default: return INVALID_VALUE;
  }
}

static void write_log(void) {
  const char *path = getenv("ONNXC_EMULATOR_LOG");
  if (!path)
    return;
  FILE *f = fopen(path, "a");
  if (!f)
    return;
  fprintf(f, "emulator: %llu launches, %llu threads, %llu allocations\n",
          launches, threads, total_allocs);
  fclose(f);
}

int cuInit(unsigned flags) {
  (void)flags;
  static int once;
  if (!once++)
    atexit(write_log);
  return OK;
}
int cuDeviceGetCount(int *count) {
  *count = 1;
  return OK;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return OK;
}
int cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  snprintf(name, (size_t)length, "CUDA emulator");
  return OK;
}
int cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  *value = attribute == 75 ? 8 : 0; /* compute capability 8.0 */
  return OK;
}
int cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &dummy;
  return OK;
}
int cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return OK;
}
int cuCtxSetCurrent(void *context) {
  (void)context;
  return OK;
}

/* Reads every `.entry NAME(` of the PTX and its `.param` list. */
static int parse_ptx(const char *ptx) {
  num_kernels = 0;
  for (const char *p = strstr(ptx, ".entry "); p; p = strstr(p, ".entry ")) {
    p += 7;
    const char *open = strchr(p, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    if (!close || num_kernels == MAX_KERNELS || open - p >= 128)
      return 0;
    kernel *k = &kernels[num_kernels++];
    memset(k, 0, sizeof *k);
    memcpy(k->name, p, (size_t)(open - p));
    for (const char *q = strstr(open, ".param"); q && q < close;
         q = strstr(q, ".param")) {
      const char *end = strpbrk(q, ",)");
      const char *ptr = strstr(q, ".ptr");
      if (ptr && ptr < end && k->params < 64)
        k->pointers |= (uint64_t)1 << k->params;
      ++k->params;
      q += 6;
    }
    p = close;
  }
  return 1;
}

int cuModuleLoadDataEx(void **module, const void *data, unsigned count,
                       int *options, void **values) {
  const char *path = getenv("ONNXC_EMULATED_KERNELS");
  const char *why = NULL;
  if (!path)
    why = "ONNXC_EMULATED_KERNELS is not set";
  else if (!library && !(library = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
    why = dlerror();
  else if (!parse_ptx(data))
    why = "unreadable PTX";
  if (why) {
    for (unsigned i = 0; i < count; ++i)
      if (options[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
        snprintf((char *)values[i], 200, "emulator: %s", why);
    return INVALID_IMAGE;
  }
  *module = &dummy;
  return OK;
}
int cuModuleUnload(void *module) {
  (void)module;
  return OK;
}
int cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  for (int i = 0; i < num_kernels; ++i) {
    kernel *k = &kernels[i];
    if (strcmp(k->name, name) != 0)
      continue;
    char count_name[160], barriers_name[160];
    snprintf(count_name, sizeof count_name, "%s.param_count", name);
    snprintf(barriers_name, sizeof barriers_name, "%s.barriers", name);
    const int64_t *count = dlsym(library, count_name);
    const int64_t *barriers = dlsym(library, barriers_name);
    void (**hook)(void) = dlsym(library, "onnxc_emulator_barrier_hook");
    k->fn = (kernel_fn)dlsym(library, name);
    if (!k->fn || !count || !barriers || !hook)
      return NOT_FOUND;
    k->barriers = (int)*barriers;
    *hook = emulator_barrier;
    if (*count != k->params) {
      fprintf(stderr,
              "emulator: kernel %s takes %d parameters in the PTX but %lld "
              "on the host\n",
              name, k->params, (long long)*count);
      return INVALID_VALUE;
    }
    *function = k;
    return OK;
  }
  return NOT_FOUND;
}
int cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = &dummy;
  return OK;
}
int cuStreamDestroy_v2(void *stream) {
  (void)stream;
  return OK;
}
int cuStreamSynchronize(void *stream) {
  (void)stream;
  return OK;
}

/* The live allocation holding [p, p + bytes), or -1. */
static int find_alloc(uintptr_t p, size_t bytes) {
  for (int i = 0; i < num_allocs; ++i)
    if (p >= allocs[i].base && p - allocs[i].base <= allocs[i].size &&
        bytes <= allocs[i].size - (p - allocs[i].base))
      return i;
  return -1;
}

int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  if (num_allocs == MAX_ALLOCS)
    return OUT_OF_MEMORY;
  void *p = aligned_alloc(256, (bytes + 255) & ~(size_t)255);
  if (!p)
    return OUT_OF_MEMORY;
  /* Garbage, as fresh device memory may hold: nothing may rely on it. */
  memset(p, 0xA5, bytes);
  allocs[num_allocs].base = (uintptr_t)p;
  allocs[num_allocs].size = bytes;
  ++num_allocs;
  ++total_allocs;
  *ptr = (uintptr_t)p;
  return OK;
}
int cuMemFree_v2(unsigned long long ptr) {
  for (int i = 0; i < num_allocs; ++i)
    if (allocs[i].base == ptr) {
      free((void *)(uintptr_t)ptr);
      allocs[i] = allocs[--num_allocs];
      return OK;
    }
  fprintf(stderr, "emulator: cuMemFree of %#llx, not a device allocation\n",
          ptr);
  return INVALID_VALUE;
}
int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void *src,
                         size_t bytes, void *stream) {
  (void)stream;
  if (find_alloc(dst, bytes) < 0) {
    fprintf(stderr, "emulator: copy to %#llx (%zu bytes) outside device "
                    "memory\n", dst, bytes);
    return INVALID_VALUE;
  }
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return OK;
}
int cuMemcpyDtoHAsync_v2(void *dst, unsigned long long src, size_t bytes,
                         void *stream) {
  (void)stream;
  if (find_alloc(src, bytes) < 0) {
    fprintf(stderr, "emulator: copy from %#llx (%zu bytes) outside device "
                    "memory\n", src, bytes);
    return INVALID_VALUE;
  }
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return OK;
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void *stream, void **params, void **extra) {
  (void)stream;
  kernel *k = f;
  const char *fail = getenv("ONNXC_EMULATOR_FAIL");
  if (fail && strcmp(fail, "launch") == 0)
    return LAUNCH_FAILED;
  if (!k || !k->fn || extra || shared || !gx || !gy || !gz || !bx || !by ||
      !bz || gx > 2147483647u || gy > 65535 || gz > 65535 ||
      (unsigned long long)bx * by * bz > 1024)
    return INVALID_VALUE;
  for (int i = 0; i < k->params && i < 64; ++i) {
    if (!(k->pointers >> i & 1))
      continue;
    uintptr_t p = *(const uintptr_t *)params[i];
    if (find_alloc(p, 0) < 0) {
      fprintf(stderr,
              "emulator: kernel %s, parameter %d: %#lx is not device "
              "memory\n",
              k->name, i, (unsigned long)p);
      return ILLEGAL_ADDRESS;
    }
  }
  int64_t ids[12] = {0, 0, 0, 0, 0, 0, gx, gy, gz, bx, by, bz};
  for (ids[2] = 0; ids[2] < gz; ++ids[2])
    for (ids[1] = 0; ids[1] < gy; ++ids[1])
      for (ids[0] = 0; ids[0] < gx; ++ids[0]) {
        if (k->barriers) {
          if (!run_block(k, params, ids, bx * by * bz))
            return LAUNCH_FAILED;
          continue;
        }
        for (ids[5] = 0; ids[5] < bz; ++ids[5])
          for (ids[4] = 0; ids[4] < by; ++ids[4])
            for (ids[3] = 0; ids[3] < bx; ++ids[3])
              k->fn(params, ids);
      }
  ++launches;
  threads += (unsigned long long)gx * gy * gz * bx * by * bz;
  return OK;
}
