/*===- onnxc_runtime.c - The runtime shim of every model library ----------===
 *
 * Implements onnxc_runtime.h on top of what the compiler emits (see
 * onnxc_model_desc.h): checks the caller's tensors against the model, turns
 * them into memref descriptors, calls the model's run_packed entry point and
 * turns the result descriptors back into tensors.
 *
 * Plain C11: no printing, and no global mutable state but one message
 * buffer per thread (onnxc_last_error) and, for models whose weights are
 * external, the per-model loading state the compiler reserves in the model
 * itself (see "External weights" below). Everything a run needs is
 * allocated once, when the session is created, since the model fixes every
 * rank; a run itself allocates nothing (the model mallocs its outputs, and
 * the session frees them at the next run or at destroy).
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* dladdr (in glibc's libc since 2.34), sysconf, pread */

#include "onnxc_cuda.h"
#include "onnxc_model_desc.h"
#include "onnxc_runtime_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every model library carries its own copy of this shim, so two static
 * model libraries linked into one program define every public symbol twice.
 * Weak definitions let the linker keep one copy instead of failing; the
 * copies agree as long as their ONNXC_ABI_VERSION does, which every entry
 * point that takes a model checks. */
#define ONNXC_API __attribute__((weak, visibility("default")))

#define ONNXC_ERROR_SIZE 384

/* Where a symbolic input dim was first seen: input `input`, dim `dim`.
 * `input == NO_INPUT` marks a dim that is static, unnamed or the first use
 * of its name. */
typedef struct sym_ref {
  uint32_t input;
  uint32_t dim;
} sym_ref;
#define NO_INPUT UINT32_MAX

struct onnxc_session {
  const onnxc_model *model;
  int32_t num_threads; /* resolved, never 0 */
  void **args;         /* run_packed's args: results, inputs, arena */
  int64_t arena_desc[ONNXC_DESCRIPTOR_WORDS(1)]; /* the scratch arena */
  void *arena;         /* model->scratch_bytes, 64-byte aligned */
  void *dynamic_arena; /* run-time-sized temporaries, grown on demand */
  size_t dynamic_capacity;
  int64_t *results;    /* every output's descriptor, back to back */
  size_t result_words;
  void **owned;        /* `allocated` of the last run's outputs, to free */
  sym_ref *first_use;  /* one per input dim, inputs back to back */
  onnxc_device device; /* where runs go: CPU or CUDA */
  onnxc_cuda_state *cuda; /* the GPU side, when device is CUDA */
  char device_reason[ONNXC_CUDA_REASON_SIZE];
  char last_error[ONNXC_ERROR_SIZE];
};

static const char *dtype_name(onnxc_dtype dtype) {
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
  default: return "an unknown dtype";
  }
}

ONNXC_API uint32_t onnxc_abi_version(void) { return ONNXC_ABI_VERSION; }

/* The shim calls its own copies of its helpers, never a weak public symbol
 * that another library's copy may have won. */
static size_t dtype_size(onnxc_dtype dtype) {
  switch (dtype) {
  case ONNXC_DTYPE_UINT8:
  case ONNXC_DTYPE_INT8:
  case ONNXC_DTYPE_BOOL: return 1;
  case ONNXC_DTYPE_UINT16:
  case ONNXC_DTYPE_INT16:
  case ONNXC_DTYPE_FLOAT16:
  case ONNXC_DTYPE_BFLOAT16: return 2;
  case ONNXC_DTYPE_FLOAT32:
  case ONNXC_DTYPE_INT32:
  case ONNXC_DTYPE_UINT32: return 4;
  case ONNXC_DTYPE_INT64:
  case ONNXC_DTYPE_FLOAT64:
  case ONNXC_DTYPE_UINT64: return 8;
  default: return 0;
  }
}

__attribute__((weak, visibility("hidden"))) size_t
onnxc_internal_dtype_size(onnxc_dtype dtype) {
  return dtype_size(dtype);
}

ONNXC_API size_t onnxc_dtype_size(onnxc_dtype dtype) {
  return dtype_size(dtype);
}

/* The message of the last failed call without a session on this thread. */
static _Thread_local char thread_error[ONNXC_ERROR_SIZE];

ONNXC_API const char *onnxc_last_error(void) { return thread_error; }

__attribute__((format(printf, 2, 3))) static onnxc_status
fail_thread(onnxc_status status, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vsnprintf(thread_error, sizeof thread_error, format, ap);
  va_end(ap);
  return status;
}

__attribute__((format(printf, 3, 4))) static onnxc_status
fail(onnxc_session *s, onnxc_status status, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  vsnprintf(s->last_error, sizeof s->last_error, format, ap);
  va_end(ap);
  return status;
}

/* Elements times `elem_size` of `dims`, with *overflow set when that passes
 * PTRDIFF_MAX (so strides and offsets fit an int64 too). Every dim is
 * already known non-negative. */
static size_t byte_size(const int64_t *dims, int32_t rank, size_t elem_size,
                        size_t *elements, int *overflow) {
  const uint64_t limit = PTRDIFF_MAX;
  uint64_t n = 1;
  *overflow = 0;
  for (int32_t d = 0; d < rank; ++d) {
    uint64_t dim = (uint64_t)dims[d];
    if (dim != 0 && n > limit / dim) {
      *overflow = 1;
      return 0;
    }
    n *= dim;
  }
  *elements = (size_t)n;
  if (n > limit / elem_size) {
    *overflow = 1;
    return 0;
  }
  return (size_t)(n * elem_size);
}

/* ------------------------------------------------------------------------ */
/* Model description.                                                       */

/* The checks every call that takes a model starts with; they clear the
 * thread's message first, so onnxc_last_error() describes this call. */
static onnxc_status check_model(const onnxc_model *model) {
  thread_error[0] = '\0';
  if (!model)
    return fail_thread(ONNXC_ERROR_NULL_POINTER, "the model is NULL");
  if (model->abi_version != ONNXC_ABI_VERSION)
    return fail_thread(ONNXC_ERROR_ABI_MISMATCH,
                       "the model was built for runtime ABI version %u, this "
                       "runtime is version %d",
                       model->abi_version, ONNXC_ABI_VERSION);
  return ONNXC_OK;
}

/* A NULL pointer argument `what` of `function`. */
static onnxc_status null_argument(const char *function, const char *what) {
  return fail_thread(ONNXC_ERROR_NULL_POINTER, "%s: %s is NULL", function,
                     what);
}

/* An `index` past the `count` entries of `what` ("inputs", ...). */
static onnxc_status index_out_of_range(const char *function, size_t index,
                                       uint32_t count, const char *what) {
  return fail_thread(ONNXC_ERROR_OUT_OF_RANGE,
                     "%s: index %zu is out of range; the model has %u %s",
                     function, index, count, what);
}

ONNXC_API onnxc_status onnxc_model_name(const onnxc_model *model,
                                        const char **name) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!name)
    return null_argument("onnxc_model_name", "name");
  *name = model->name ? model->name : "";
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_model_num_inputs(const onnxc_model *model,
                                              size_t *count) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!count)
    return null_argument("onnxc_model_num_inputs", "count");
  *count = model->num_inputs;
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_model_num_outputs(const onnxc_model *model,
                                               size_t *count) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!count)
    return null_argument("onnxc_model_num_outputs", "count");
  *count = model->num_outputs;
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_model_input_info(const onnxc_model *model,
                                              size_t index,
                                              onnxc_tensor_info *info) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!info)
    return null_argument("onnxc_model_input_info", "info");
  if (index >= model->num_inputs)
    return index_out_of_range("onnxc_model_input_info", index,
                              model->num_inputs, "inputs");
  *info = model->inputs[index];
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_model_output_info(const onnxc_model *model,
                                               size_t index,
                                               onnxc_tensor_info *info) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!info)
    return null_argument("onnxc_model_output_info", "info");
  if (index >= model->num_outputs)
    return index_out_of_range("onnxc_model_output_info", index,
                              model->num_outputs, "outputs");
  *info = model->outputs[index];
  return ONNXC_OK;
}

/* The two key/value tables of a model (metadata_props and compile info)
 * share their lookups. */
static onnxc_status find_entry(const char *function,
                               const onnxc_metadata_entry *entries,
                               uint32_t count, const char *key,
                               const char **value) {
  if (!key || !value)
    return null_argument(function, !key ? "key" : "value");
  *value = NULL;
  for (uint32_t i = 0; i < count; ++i)
    if (strcmp(entries[i].key, key) == 0) {
      *value = entries[i].value;
      break;
    }
  return ONNXC_OK;
}

static onnxc_status entry_at(const char *function,
                             const onnxc_metadata_entry *entries,
                             uint32_t count, const char *what, size_t index,
                             const char **key, const char **value) {
  if (!key || !value)
    return null_argument(function, !key ? "key" : "value");
  if (index >= count)
    return index_out_of_range(function, index, count, what);
  *key = entries[index].key;
  *value = entries[index].value;
  return ONNXC_OK;
}

static onnxc_status entry_count(const char *function, uint32_t count,
                                size_t *out) {
  if (!out)
    return null_argument(function, "count");
  *out = count;
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_model_metadata(const onnxc_model *model,
                                            const char *key,
                                            const char **value) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK ? st
                        : find_entry("onnxc_model_metadata", model->metadata,
                                     model->num_metadata, key, value);
}

ONNXC_API onnxc_status onnxc_model_num_metadata(const onnxc_model *model,
                                                size_t *count) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK ? st
                        : entry_count("onnxc_model_num_metadata",
                                      model->num_metadata, count);
}

ONNXC_API onnxc_status onnxc_model_metadata_at(const onnxc_model *model,
                                               size_t index, const char **key,
                                               const char **value) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK
             ? st
             : entry_at("onnxc_model_metadata_at", model->metadata,
                        model->num_metadata, "metadata entries", index, key,
                        value);
}

ONNXC_API onnxc_status onnxc_model_compile_info(const onnxc_model *model,
                                                const char *key,
                                                const char **value) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK
             ? st
             : find_entry("onnxc_model_compile_info", model->compile_info,
                          model->num_compile_info, key, value);
}

ONNXC_API onnxc_status onnxc_model_num_compile_info(const onnxc_model *model,
                                                    size_t *count) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK ? st
                        : entry_count("onnxc_model_num_compile_info",
                                      model->num_compile_info, count);
}

ONNXC_API onnxc_status onnxc_model_compile_info_at(const onnxc_model *model,
                                                   size_t index,
                                                   const char **key,
                                                   const char **value) {
  onnxc_status st = check_model(model);
  return st != ONNXC_OK
             ? st
             : entry_at("onnxc_model_compile_info_at", model->compile_info,
                        model->num_compile_info, "compile info entries",
                        index, key, value);
}

/* ------------------------------------------------------------------------ */
/* External weights.                                                        */

/* What the runtime keeps in the model's weights_state bytes, which the
 * compiler emits zeroed: so each model (not each copy of this shim) loads
 * its weights once per process. */
typedef struct weights_state {
  _Atomic uint32_t phase; /* one of the WEIGHTS_* below */
  char *path;             /* onnxc_model_set_weights_path's copy, or NULL */
} weights_state;

enum { WEIGHTS_UNLOADED = 0, WEIGHTS_BUSY = 1, WEIGHTS_LOADED = 2 };

_Static_assert(sizeof(weights_state) <= ONNXC_WEIGHTS_STATE_BYTES &&
                   _Alignof(weights_state) <= 16,
               "weights_state must fit the bytes the compiler reserves");

static weights_state *weights_of(const onnxc_model *model) {
  return (weights_state *)model->weights_state;
}

/* Takes the state from UNLOADED to BUSY for the caller: 1 when it did,
 * 0 when the weights are loaded already. Waits while another thread holds
 * it; loading is rare and short, so yielding beats a lock (and needs
 * nothing beyond libc). */
static int weights_acquire(weights_state *st) {
  for (;;) {
    uint32_t expected = WEIGHTS_UNLOADED;
    if (atomic_compare_exchange_weak_explicit(&st->phase, &expected,
                                              WEIGHTS_BUSY,
                                              memory_order_acquire,
                                              memory_order_acquire))
      return 1;
    if (expected == WEIGHTS_LOADED)
      return 0;
    if (expected == WEIGHTS_BUSY)
      sched_yield();
  }
}

static uint64_t read_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | p[i];
  return v;
}

static const char *model_name(const onnxc_model *model) {
  return model->name ? model->name : "";
}

/* `<file of the object that holds the model>.weights`, malloc'd into
 * *path. */
static onnxc_status default_weights_path(const onnxc_model *model,
                                         char **path) {
  Dl_info info;
  if (!dladdr((const void *)model, &info) || !info.dli_fname ||
      !info.dli_fname[0])
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "model '%s': cannot tell which file holds the library, "
                       "so cannot find its weights file; call "
                       "onnxc_model_set_weights_path",
                       model_name(model));
  const char *library = info.dli_fname;
  char exe[PATH_MAX];
  /* glibc names the main program by its argv[0], which has no slash when
   * it was found on PATH. */
  if (!strchr(library, '/')) {
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
      exe[n] = '\0';
      library = exe;
    }
  }
  size_t length = strlen(library);
  *path = malloc(length + sizeof ".weights");
  if (!*path)
    return fail_thread(ONNXC_ERROR_OUT_OF_MEMORY, "out of memory");
  memcpy(*path, library, length);
  memcpy(*path + length, ".weights", sizeof ".weights");
  return ONNXC_OK;
}

/* Checks the weights file at `path` against the model and maps it
 * read-only; on success *payload is the payload's address. Every size comes
 * from fstat and the header is read with pread, so a short or hostile file
 * is refused before anything is mapped. */
static onnxc_status map_weights(const onnxc_model *model, const char *path,
                                void **payload) {
  const char *name = model_name(model);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "model '%s': cannot open its weights file '%s': %s",
                       name, path, strerror(errno));
  onnxc_status status = ONNXC_ERROR_INVALID_ARGUMENT;
  struct stat sb;
  unsigned char header[ONNXC_WEIGHTS_HEADER_BYTES];
  size_t got = 0;
  if (fstat(fd, &sb) != 0) {
    fail_thread(status, "model '%s': cannot stat its weights file '%s': %s",
                name, path, strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode)) {
    fail_thread(status, "model '%s': its weights file '%s' is not a regular "
                "file", name, path);
    goto done;
  }
  while (got < sizeof header) {
    ssize_t n = pread(fd, header + got, sizeof header - got, (off_t)got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fail_thread(status, "model '%s': cannot read its weights file '%s': %s",
                  name, path, strerror(errno));
      goto done;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  if (got < 8 || memcmp(header, ONNXC_WEIGHTS_MAGIC, 8) != 0) {
    fail_thread(status, "model '%s': '%s' is not an onnx-compile weights file "
                "(%s)", name, path,
                got < 8 ? "it is shorter than the magic" : "wrong magic");
    goto done;
  }
  if (got < sizeof header) {
    fail_thread(status, "model '%s': the weights file '%s' is truncated: %zu "
                "bytes, shorter than its %d-byte header",
                name, path, got, ONNXC_WEIGHTS_HEADER_BYTES);
    goto done;
  }
  uint32_t version = (uint32_t)(read_le64(header + 8) & 0xffffffffu);
  uint64_t offset = read_le64(header + 16);
  uint64_t size = read_le64(header + 24);
  uint64_t id = read_le64(header + 32);
  if (version != ONNXC_WEIGHTS_FORMAT_VERSION) {
    fail_thread(status, "model '%s': the weights file '%s' has format version "
                "%u; this runtime reads version %d",
                name, path, version, ONNXC_WEIGHTS_FORMAT_VERSION);
    goto done;
  }
  if (id != model->weights_id || size != model->weights_size) {
    fail_thread(status, "model '%s': the weights file '%s' belongs to another "
                "compilation (id %016llx, %llu bytes of weights; the library "
                "expects id %016llx, %llu bytes)",
                name, path, (unsigned long long)id, (unsigned long long)size,
                (unsigned long long)model->weights_id,
                (unsigned long long)model->weights_size);
    goto done;
  }
  if (offset < ONNXC_WEIGHTS_HEADER_BYTES ||
      offset % ONNXC_WEIGHTS_ALIGNMENT != 0 || size > UINT64_MAX - offset ||
      offset + size > SIZE_MAX || offset + size > (uint64_t)INT64_MAX) {
    fail_thread(status, "model '%s': the weights file '%s' is corrupt "
                "(payload at offset %llu)",
                name, path, (unsigned long long)offset);
    goto done;
  }
  if ((uint64_t)sb.st_size != offset + size) {
    fail_thread(status, "model '%s': the weights file '%s' is %s: %lld "
                "bytes, its header says %llu",
                name, path,
                (uint64_t)sb.st_size < offset + size ? "truncated" : "too long",
                (long long)sb.st_size, (unsigned long long)(offset + size));
    goto done;
  }
  void *map = mmap(NULL, (size_t)(offset + size), PROT_READ, MAP_PRIVATE, fd,
                   0);
  if (map == MAP_FAILED) {
    fail_thread(errno == ENOMEM ? ONNXC_ERROR_OUT_OF_MEMORY : status,
                "model '%s': cannot map its weights file '%s': %s", name,
                path, strerror(errno));
    goto done;
  }
  /* The mapping lives as long as the process: every session of the model
   * shares it, and the model has no destructor to unmap it. */
  *payload = (char *)map + offset;
  status = ONNXC_OK;
done:
  close(fd);
  return status;
}

/* ------------------------------------------------------------------------ */
/* Mapping the weights' pages before the first run.                         */

/* Maps the pages of [begin, begin + bytes) into the process in one call.
 * The first run would otherwise take a page fault for every 64 KiB of
 * weights it reads (what the kernel maps around a fault of a file's page),
 * and faults are dear, in a virtual machine most of all: on this
 * project's 2-vCPU hosts, mobilenet_v2's first run took 22.8 ms without
 * this and 14.0 ms with it, resnet50's 100 and 58 ms, for 0.2-0.5 ms more
 * at session creation. Advice only: a kernel before 5.14 refuses it, and
 * nothing changes. */
static void populate_pages(const void *begin, size_t bytes) {
#ifdef MADV_POPULATE_READ
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || bytes == 0)
    return;
  uintptr_t start = (uintptr_t)begin & ~((uintptr_t)page - 1);
  (void)madvise((void *)start, (uintptr_t)begin + bytes - start,
                MADV_POPULATE_READ);
#else
  (void)begin;
  (void)bytes;
#endif
}

/* dl_iterate_phdr's callback: for the loaded object whose segments hold
 * the address `data` (the model's code), populates its read-only,
 * non-executable segments (.rodata: the embedded weights) and stops. */
static int populate_rodata_of(struct dl_phdr_info *info, size_t size,
                              void *data) {
  (void)size;
  uintptr_t code = (uintptr_t)data;
  int holds_code = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && code >= begin && code - begin < ph->p_memsz)
      holds_code = 1;
  }
  if (!holds_code)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && ph->p_flags == PF_R)
      populate_pages((const void *)(info->dlpi_addr + ph->p_vaddr),
                     ph->p_memsz);
  }
  return 1;
}

/* Populates the embedded weights of `model` once per process: a later
 * session finds them mapped (populating again would only walk the page
 * tables). Past 16 models it populates at every session creation. */
static void populate_embedded_weights(const onnxc_model *model) {
  static _Atomic(const onnxc_model *) done[16];
  for (size_t i = 0; i < sizeof done / sizeof done[0]; ++i) {
    const onnxc_model *seen = NULL;
    if (atomic_compare_exchange_strong(&done[i], &seen, model))
      break; /* this slot is ours now */
    if (seen == model)
      return;
  }
  dl_iterate_phdr(populate_rodata_of, (void *)(uintptr_t)model->run_packed);
}

/* Makes sure the model's weights are mapped: a no-op for embedded weights
 * and after the first success. */
static onnxc_status ensure_weights(const onnxc_model *model) {
  if (!model->weights_size)
    return ONNXC_OK;
  weights_state *st = weights_of(model);
  if (!st || !model->weights_base)
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "model '%s': its descriptor names external weights but "
                       "no place to put them",
                       model_name(model));
  if (atomic_load_explicit(&st->phase, memory_order_acquire) ==
          WEIGHTS_LOADED ||
      !weights_acquire(st))
    return ONNXC_OK;
  char *path = st->path;
  onnxc_status status = path ? ONNXC_OK : default_weights_path(model, &path);
  if (status == ONNXC_OK) {
    void *payload = NULL;
    status = map_weights(model, path, &payload);
    if (status == ONNXC_OK) {
      *model->weights_base = payload;
      populate_pages(payload, (size_t)model->weights_size);
    }
    if (path != st->path)
      free(path);
  }
  /* Failure leaves the state unloaded: a later call may set another path
   * and try again. */
  atomic_store_explicit(&st->phase,
                        status == ONNXC_OK ? WEIGHTS_LOADED : WEIGHTS_UNLOADED,
                        memory_order_release);
  return status;
}

ONNXC_API onnxc_status onnxc_model_set_weights_path(const onnxc_model *model,
                                                    const char *path) {
  onnxc_status checked = check_model(model);
  if (checked != ONNXC_OK)
    return checked;
  if (!path)
    return fail_thread(ONNXC_ERROR_NULL_POINTER, "the weights path is NULL");
  if (!path[0])
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "the weights path is empty");
  weights_state *st = weights_of(model);
  if (!model->weights_size || !st)
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "model '%s' has its weights embedded; it reads no "
                       "weights file",
                       model_name(model));
  if (!weights_acquire(st))
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "model '%s': its weights are loaded already; set the "
                       "path before its first session is created",
                       model_name(model));
  size_t length = strlen(path);
  char *copy = malloc(length + 1);
  onnxc_status status = ONNXC_OK;
  if (copy) {
    memcpy(copy, path, length + 1);
    free(st->path);
    st->path = copy;
  } else {
    status = fail_thread(ONNXC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  atomic_store_explicit(&st->phase, WEIGHTS_UNLOADED, memory_order_release);
  return status;
}

/* ------------------------------------------------------------------------ */
/* Sessions.                                                                */

static const char *dim_name(const onnxc_tensor_info *info, int32_t d) {
  if (!info->dim_names || !info->dim_names[d])
    return "";
  return info->dim_names[d];
}

static int32_t default_num_threads(void) {
  const char *env = getenv("ONNXC_NUM_THREADS");
  if (env && *env) {
    char *end;
    errno = 0;
    long n = strtol(env, &end, 10);
    if (errno == 0 && *end == '\0' && n > 0)
      return n > INT32_MAX ? INT32_MAX : (int32_t)n;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  if (cores < 1)
    return 1;
  return cores > INT32_MAX ? INT32_MAX : (int32_t)cores;
}

/* A model the compiler emitted is well formed; this guards against a
 * mismatched or corrupt one before the session trusts its ranks. */
static int tensor_infos_ok(const onnxc_tensor_info *infos, uint32_t count) {
  if (count && !infos)
    return 0;
  for (uint32_t i = 0; i < count; ++i)
    if (infos[i].rank < 0 || infos[i].rank > ONNXC_MAX_RANK ||
        (infos[i].rank > 0 && !infos[i].dims) ||
        dtype_size(infos[i].dtype) == 0)
      return 0;
  return 1;
}

/* Scratch memory for a session's temporaries (`bytes` a multiple of 64).
 * An arena of megabytes is touched page by page on the first run; with
 * 4 KiB pages that is tens of thousands of page faults (mobilenet_v2's
 * first run took 3x its steady time). Large arenas are therefore 2 MiB
 * aligned and offered to the kernel for transparent huge pages: a few
 * dozen faults, and fewer TLB misses on every run. */
static void *alloc_scratch(size_t bytes) {
  const size_t huge = (size_t)2 << 20;
  if (bytes >= huge) {
    size_t rounded = (bytes + huge - 1) & ~(huge - 1);
    void *p = rounded >= bytes ? aligned_alloc(huge, rounded) : NULL;
    if (p) {
#ifdef MADV_HUGEPAGE
      (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice: may be refused */
#endif
      return p;
    }
  }
  return aligned_alloc(64, bytes);
}

/* Where a new session of `model` runs (onnxc_runtime.h, "Devices"):
 * `*chosen` and, in `reason`, why. Fails only for a bad request: an
 * unknown device or ONNXC_DEVICE value, or CUDA asked for and not usable
 * (UNSUPPORTED, with the reason). */
static onnxc_status select_device(const onnxc_model *model,
                                  onnxc_device requested,
                                  onnxc_device *chosen,
                                  onnxc_cuda_state **cuda, char *reason,
                                  size_t size) {
  *cuda = NULL;
  char origin[64] = "the caller";
  if (requested == ONNXC_DEVICE_AUTO) {
    const char *env = getenv("ONNXC_DEVICE");
    if (env && *env) {
      if (strcmp(env, "cpu") == 0)
        requested = ONNXC_DEVICE_CPU;
      else if (strcmp(env, "cuda") == 0)
        requested = ONNXC_DEVICE_CUDA;
      else if (strcmp(env, "auto") != 0)
        return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                           "ONNXC_DEVICE is '%.64s'; it must be cpu, cuda or "
                           "auto",
                           env);
      snprintf(origin, sizeof origin, "ONNXC_DEVICE=%s", env);
    }
  } else if (requested != ONNXC_DEVICE_CPU && requested != ONNXC_DEVICE_CUDA) {
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "onnxc_session_create_on_device: unknown device %d",
                       (int)requested);
  }
  *chosen = ONNXC_DEVICE_CPU;
  if (requested == ONNXC_DEVICE_CPU) {
    /* Not even a probe: a CPU session never touches the driver. */
    snprintf(reason, size, "%s asked for the CPU", origin);
    return ONNXC_OK;
  }
  char why[ONNXC_CUDA_REASON_SIZE];
  if (!model->cuda_ptx) {
    snprintf(why, sizeof why, "the library has no CUDA code (compiled "
                              "without --target=x86_64,cuda)");
  } else if (onnxc_cuda_state_open(cuda, model, why, sizeof why)) {
    /* Driver, device, PTX JIT, kernels and weights: all there. */
    const onnxc_cuda_session *cs = onnxc_cuda_state_session(*cuda);
    *chosen = ONNXC_DEVICE_CUDA;
    snprintf(reason, size,
             "%s: %s, compute capability %d.%d, the %u kernels of the %s "
             "PTX",
             requested == ONNXC_DEVICE_CUDA ? origin : "a usable GPU",
             cs->device_name, cs->cc_major, cs->cc_minor, cs->num_kernels,
             model->cuda_arch ? model->cuda_arch : "?");
    return ONNXC_OK;
  }
  if (requested == ONNXC_DEVICE_CUDA)
    return fail_thread(ONNXC_ERROR_UNSUPPORTED,
                       "%s asked for the GPU, which cannot be used: %s",
                       origin, why);
  snprintf(reason, size, "%s", why);
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_session_create(const onnxc_model *model,
                                            onnxc_session **session) {
  return onnxc_session_create_on_device(model, ONNXC_DEVICE_AUTO, session);
}

ONNXC_API onnxc_status onnxc_session_create_on_device(const onnxc_model *model,
                                                      onnxc_device requested,
                                                      onnxc_session **session) {
  thread_error[0] = '\0';
  if (!session)
    return null_argument("onnxc_session_create", "session");
  *session = NULL;
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!model->run_packed || !tensor_infos_ok(model->inputs, model->num_inputs) ||
      !tensor_infos_ok(model->outputs, model->num_outputs) ||
      (model->cuda_ptx && model->num_cuda_kernels && !model->cuda_kernels))
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "the model's descriptor is malformed");
  /* The weights first: the GPU side uploads them. */
  st = ensure_weights(model);
  if (st != ONNXC_OK)
    return st;
  if (!model->weights_size)
    populate_embedded_weights(model);
  onnxc_device device;
  onnxc_cuda_state *cuda;
  char device_reason[ONNXC_CUDA_REASON_SIZE];
  st = select_device(model, requested, &device, &cuda, device_reason,
                     sizeof device_reason);
  if (st != ONNXC_OK)
    return st;

  size_t input_words = 0, input_dims = 0, result_words = 0;
  for (uint32_t i = 0; i < model->num_inputs; ++i) {
    input_words += ONNXC_DESCRIPTOR_WORDS(model->inputs[i].rank);
    input_dims += (size_t)model->inputs[i].rank;
  }
  for (uint32_t i = 0; i < model->num_outputs; ++i)
    result_words += ONNXC_DESCRIPTOR_WORDS(model->outputs[i].rank);

  /* One block: the session, then its arrays, 8-byte ones first. */
  size_t head = (sizeof(onnxc_session) + 7) & ~(size_t)7;
  size_t size = head + sizeof(void *) * (2 + (size_t)model->num_inputs) +
                sizeof(int64_t) * (input_words + result_words) +
                sizeof(void *) * model->num_outputs +
                sizeof(sym_ref) * input_dims;
  char *block = calloc(1, size);
  if (!block) {
    onnxc_cuda_state_close(cuda);
    return fail_thread(ONNXC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  onnxc_session *s = (onnxc_session *)block;
  char *p = block + head;
  s->model = model;
  s->num_threads = default_num_threads();
  s->device = device;
  s->cuda = cuda;
  memcpy(s->device_reason, device_reason, sizeof s->device_reason);
  s->args = (void **)p;
  p += sizeof(void *) * (2 + (size_t)model->num_inputs);
  s->results = (int64_t *)p;
  s->result_words = result_words;
  p += sizeof(int64_t) * result_words;
  s->args[0] = s->results;
  for (uint32_t i = 0; i < model->num_inputs; ++i) {
    s->args[1 + i] = p;
    p += sizeof(int64_t) * ONNXC_DESCRIPTOR_WORDS(model->inputs[i].rank);
  }
  /* The model's temporaries live in one arena per session, planned at
   * compile time (passes/PlanScratchArena.cpp). */
  if (model->scratch_bytes) {
    size_t bytes = (size_t)((model->scratch_bytes + 63) & ~(uint64_t)63);
    if ((uint64_t)bytes < model->scratch_bytes ||
        !(s->arena = alloc_scratch(bytes))) {
      onnxc_cuda_state_close(cuda);
      free(block);
      return fail_thread(ONNXC_ERROR_OUT_OF_MEMORY,
                         "out of memory for a %llu-byte scratch arena",
                         (unsigned long long)model->scratch_bytes);
    }
  }
  /* `allocated` is never used by the model for an argument (it frees
   * nothing it was given): it carries the session to
   * onnxc_scratch_reserve. */
  s->arena_desc[0] = (int64_t)(intptr_t)s;        /* allocated */
  s->arena_desc[1] = (int64_t)(intptr_t)s->arena; /* aligned */
  s->arena_desc[2] = 0;                           /* offset */
  s->arena_desc[3] = (int64_t)model->scratch_bytes;
  s->arena_desc[4] = 1;                           /* stride */
  s->args[1 + model->num_inputs] = s->arena_desc;
  s->owned = (void **)p;
  p += sizeof(void *) * model->num_outputs;
  s->first_use = (sym_ref *)p;

  /* Link each named dynamic dim to the first input dim with its name, so a
   * run checks consistency with one comparison per dim. */
  size_t k = 0;
  for (uint32_t i = 0; i < model->num_inputs; ++i) {
    const onnxc_tensor_info *info = &model->inputs[i];
    for (int32_t d = 0; d < info->rank; ++d, ++k) {
      sym_ref first = {NO_INPUT, 0};
      const char *name = dim_name(info, d);
      if (info->dims[d] == -1 && name[0]) {
        for (uint32_t j = 0; j <= i && first.input == NO_INPUT; ++j) {
          const onnxc_tensor_info *other = &model->inputs[j];
          int32_t end = j == i ? d : other->rank;
          for (int32_t e = 0; e < end; ++e)
            if (other->dims[e] == -1 && strcmp(dim_name(other, e), name) == 0) {
              first.input = j;
              first.dim = (uint32_t)e;
              break;
            }
        }
      }
      s->first_use[k] = first;
    }
  }
  *session = s;
  return ONNXC_OK;
}

static void release_outputs(onnxc_session *s) {
  for (uint32_t i = 0; i < s->model->num_outputs; ++i) {
    free(s->owned[i]);
    s->owned[i] = NULL;
  }
}

/* Called by the model (passes/PlanScratchArena.cpp) once per run with the
 * total size of its temporaries sized at run time; returns, as a rank-1
 * byte memref descriptor in `result`, a 64-byte-aligned block of at least
 * `bytes` bytes that the session keeps for later runs. `arena` is the
 * session's arena descriptor, whose `allocated` field is the session. */
/* Hidden: the model's call must bind to the runtime linked beside it,
 * never to another library's copy with another session layout. */
__attribute__((weak, visibility("hidden"))) void
_mlir_ciface_onnxc_scratch_reserve(int64_t *result,
                                                  const int64_t *arena,
                                                  int64_t bytes) {
  onnxc_session *s = (onnxc_session *)(intptr_t)arena[0];
  size_t need = bytes > 0 ? (size_t)bytes : 1;
  if (need > s->dynamic_capacity) {
    /* Grow by half again, so a slowly growing batch does not reallocate
     * on every run. Nothing lives in the old block between runs. */
    size_t grown = s->dynamic_capacity + s->dynamic_capacity / 2;
    size_t size = need > grown ? need : grown;
    size = (size + 63) & ~(size_t)63;
    free(s->dynamic_arena);
    s->dynamic_arena = alloc_scratch(size);
    s->dynamic_capacity = s->dynamic_arena ? size : 0;
    if (!s->dynamic_arena) {
      /* The compiled code cannot take an error here: stop cleanly rather
       * than let it write through a null pointer. */
      fprintf(stderr, "onnxc: out of memory for %zu bytes of temporaries\n",
              need);
      abort();
    }
  }
  result[0] = (int64_t)(intptr_t)s->dynamic_arena; /* allocated */
  result[1] = (int64_t)(intptr_t)s->dynamic_arena; /* aligned */
  result[2] = 0;                                   /* offset */
  result[3] = bytes;                               /* size */
  result[4] = 1;                                   /* stride */
}

ONNXC_API void onnxc_session_destroy(onnxc_session *session) {
  if (!session)
    return;
  release_outputs(session);
  onnxc_cuda_state_close(session->cuda);
  free(session->arena);
  free(session->dynamic_arena);
  free(session);
}

ONNXC_API onnxc_status onnxc_session_set_num_threads(onnxc_session *session,
                                                     int32_t num_threads) {
  if (!session)
    return null_argument("onnxc_session_set_num_threads", "session");
  session->last_error[0] = '\0';
  if (num_threads < 0)
    return fail(session, ONNXC_ERROR_INVALID_ARGUMENT,
                "num_threads is %d; it must be positive, or 0 for the default",
                (int)num_threads);
  session->num_threads = num_threads ? num_threads : default_num_threads();
  return ONNXC_OK;
}

ONNXC_API int32_t
onnxc_internal_session_num_threads(const onnxc_session *session) {
  return session ? session->num_threads : 1;
}

ONNXC_API int32_t onnxc_session_num_threads(const onnxc_session *session) {
  return session ? session->num_threads : 0;
}

/* libomp's, when the program has it (every model library with parallel
 * code links it); weak, so that the runtime itself needs no libomp. */
extern int omp_in_parallel(void) __attribute__((weak));

/* Called by the model (passes/OpenMPRegions.cpp) once per run: the number
 * of threads each of its parallel regions may use. `arena` is the session's
 * arena descriptor, whose `allocated` field is the session. A run started
 * from inside an OpenMP parallel region of the host gets one thread: the
 * host has already spread its work over the cores, and nesting would
 * multiply the threads. Hidden, as onnxc_scratch_reserve. */
__attribute__((weak, visibility("hidden"))) int32_t
_mlir_ciface_onnxc_run_num_threads(const int64_t *arena) {
  const onnxc_session *s = (const onnxc_session *)(intptr_t)arena[0];
  if (omp_in_parallel && omp_in_parallel())
    return 1;
  return s->num_threads;
}

ONNXC_API onnxc_status onnxc_model_has_device(const onnxc_model *model,
                                              onnxc_device device, int *has) {
  onnxc_status st = check_model(model);
  if (st != ONNXC_OK)
    return st;
  if (!has)
    return null_argument("onnxc_model_has_device", "has");
  if (device != ONNXC_DEVICE_CPU && device != ONNXC_DEVICE_CUDA)
    return fail_thread(ONNXC_ERROR_INVALID_ARGUMENT,
                       "onnxc_model_has_device: device %d is not CPU or CUDA",
                       (int)device);
  *has = device == ONNXC_DEVICE_CPU || model->cuda_ptx != NULL;
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_session_device(const onnxc_session *session,
                                            onnxc_device *device) {
  thread_error[0] = '\0';
  if (!session)
    return null_argument("onnxc_session_device", "session");
  if (!device)
    return null_argument("onnxc_session_device", "device");
  *device = session->device;
  return ONNXC_OK;
}

ONNXC_API const char *
onnxc_session_device_reason(const onnxc_session *session) {
  return session ? session->device_reason : "";
}

ONNXC_API const char *onnxc_session_last_error(const onnxc_session *session) {
  return session ? session->last_error : "the session is NULL";
}

/* Checks input `i`; `sym` points at its dims in first_use. */
static onnxc_status check_input(onnxc_session *s, uint32_t i,
                                const onnxc_tensor *inputs,
                                const sym_ref *sym) {
  const onnxc_tensor_info *info = &s->model->inputs[i];
  const onnxc_tensor *t = &inputs[i];
  const char *name = info->name ? info->name : "";
  if (t->dtype != info->dtype) {
    if (dtype_size(t->dtype) == 0)
      return fail(s, ONNXC_ERROR_DTYPE_MISMATCH,
                  "input '%s': dtype %d is not a dtype; the model expects %s",
                  name, (int)t->dtype, dtype_name(info->dtype));
    return fail(s, ONNXC_ERROR_DTYPE_MISMATCH,
                "input '%s': dtype is %s, the model expects %s", name,
                dtype_name(t->dtype), dtype_name(info->dtype));
  }
  if (t->rank != info->rank)
    return fail(s, ONNXC_ERROR_SHAPE_MISMATCH,
                "input '%s': rank is %d, the model expects %d", name,
                (int)t->rank, (int)info->rank);
  for (int32_t d = 0; d < t->rank; ++d) {
    if (t->dims[d] < 0)
      return fail(s, ONNXC_ERROR_INVALID_DIM,
                  "input '%s': dim %d is %lld; dims must not be negative",
                  name, (int)d, (long long)t->dims[d]);
    if (info->dims[d] != -1 && t->dims[d] != info->dims[d])
      return fail(s, ONNXC_ERROR_SHAPE_MISMATCH,
                  "input '%s': dim %d is %lld, the model expects %lld", name,
                  (int)d, (long long)t->dims[d], (long long)info->dims[d]);
    if (sym[d].input != NO_INPUT) {
      /* The first use was checked already: earlier input or earlier dim. */
      int64_t want = inputs[sym[d].input].dims[sym[d].dim];
      if (t->dims[d] != want)
        return fail(s, ONNXC_ERROR_SHAPE_MISMATCH,
                    "input '%s': dim %d ('%s') is %lld, but dim %u of input "
                    "'%s' gave '%s' the value %lld",
                    name, (int)d, dim_name(info, d), (long long)t->dims[d],
                    sym[d].dim, s->model->inputs[sym[d].input].name,
                    dim_name(info, d), (long long)want);
    }
  }
  size_t elements = 0;
  int overflow;
  size_t bytes = byte_size(t->dims, t->rank, dtype_size(info->dtype),
                           &elements, &overflow);
  if (overflow)
    return fail(s, ONNXC_ERROR_INVALID_DIM,
                "input '%s': its shape is too large to address (more than "
                "%lld bytes)",
                name, (long long)PTRDIFF_MAX);
  /* Exactly: a smaller buffer would be read past its end, and a larger one
   * most likely means the dims are not the ones the caller meant. */
  if (t->size_bytes != bytes)
    return fail(s, ONNXC_ERROR_SIZE_MISMATCH,
                "input '%s': size_bytes is %zu, but %zu elements of %s take "
                "%zu",
                name, t->size_bytes, elements, dtype_name(info->dtype), bytes);
  if (elements > 0 && !t->data)
    return fail(s, ONNXC_ERROR_NULL_POINTER,
                "input '%s': data is NULL but the tensor has %zu elements",
                name, elements);
  return ONNXC_OK;
}

static void fill_descriptor(int64_t *desc, const onnxc_tensor *t) {
  desc[0] = (int64_t)(intptr_t)t->data; /* allocated */
  desc[1] = (int64_t)(intptr_t)t->data; /* aligned */
  desc[2] = 0;                          /* offset */
  int64_t stride = 1;
  for (int32_t d = t->rank - 1; d >= 0; --d) {
    desc[3 + d] = t->dims[d];
    desc[3 + t->rank + d] = stride;
    stride *= t->dims[d];
  }
}

/* Turns output `o`'s descriptor into a tensor, checking that the model kept
 * its side of the contract. */
static onnxc_status read_output(onnxc_session *s, uint32_t o,
                                const int64_t *desc, onnxc_tensor *out) {
  const onnxc_tensor_info *info = &s->model->outputs[o];
  const char *name = info->name ? info->name : "";
  int32_t rank = info->rank;
  const int64_t *sizes = desc + 3, *strides = desc + 3 + rank;
  size_t elem_size = dtype_size(info->dtype);
  for (int32_t d = 0; d < rank; ++d)
    if (sizes[d] < 0 || (info->dims[d] != -1 && sizes[d] != info->dims[d]))
      return fail(s, ONNXC_ERROR_RUNTIME,
                  "output '%s': dim %d is %lld, the model declares %lld", name,
                  (int)d, (long long)sizes[d], (long long)info->dims[d]);
  size_t elements = 0;
  int overflow;
  size_t bytes = byte_size(sizes, rank, elem_size, &elements, &overflow);
  char *aligned = (char *)(intptr_t)desc[1];
  if (overflow || (elements > 0 && !aligned))
    return fail(s, ONNXC_ERROR_RUNTIME,
                "output '%s': the model returned no data (out of memory?)",
                name);
  int64_t expected_stride = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    /* Strides of dims of size 0 or 1 do not matter to the layout. */
    if (sizes[d] > 1 && strides[d] != expected_stride)
      return fail(s, ONNXC_ERROR_RUNTIME,
                  "output '%s': the model returned a strided result (dim %d "
                  "has stride %lld, not %lld)",
                  name, (int)d, (long long)strides[d],
                  (long long)expected_stride);
    expected_stride *= sizes[d];
  }
  out->dtype = info->dtype;
  out->rank = rank;
  memset(out->dims, 0, sizeof out->dims);
  memcpy(out->dims, sizes, sizeof(int64_t) * (size_t)rank);
  out->data = aligned ? aligned + desc[2] * (int64_t)elem_size : NULL;
  out->size_bytes = bytes;
  return ONNXC_OK;
}

ONNXC_API onnxc_status onnxc_session_run(onnxc_session *session,
                                         const onnxc_tensor *inputs,
                                         size_t num_inputs,
                                         onnxc_tensor *outputs,
                                         size_t num_outputs) {
  if (!session)
    return null_argument("onnxc_session_run", "session");
  onnxc_session *s = session;
  const onnxc_model *m = s->model;
  s->last_error[0] = '\0';
  if (num_inputs != m->num_inputs)
    return fail(s, ONNXC_ERROR_COUNT_MISMATCH,
                "got %zu inputs, the model has %u", num_inputs,
                m->num_inputs);
  if (num_outputs != m->num_outputs)
    return fail(s, ONNXC_ERROR_COUNT_MISMATCH,
                "got room for %zu outputs, the model has %u", num_outputs,
                m->num_outputs);
  /* A model without inputs (or outputs) may be given a NULL array. */
  if ((num_inputs && !inputs) || (num_outputs && !outputs))
    return fail(s, ONNXC_ERROR_NULL_POINTER, "%s is NULL",
                num_inputs && !inputs ? "inputs" : "outputs");

  const sym_ref *sym = s->first_use;
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    onnxc_status st = check_input(s, i, inputs, sym);
    if (st != ONNXC_OK)
      return st;
    sym += m->inputs[i].rank;
  }

  for (uint32_t i = 0; i < m->num_inputs; ++i)
    fill_descriptor((int64_t *)s->args[1 + i], &inputs[i]);
  release_outputs(s);
  memset(s->results, 0, sizeof(int64_t) * s->result_words);
  if (s->cuda) {
    char why[ONNXC_CUDA_REASON_SIZE];
    if (!onnxc_cuda_state_run(s->cuda, s->args, s->results, why, sizeof why))
      return fail(s, ONNXC_ERROR_RUNTIME, "on the GPU: %s", why);
  } else {
    m->run_packed(s->args);
  }

  /* Take ownership of every result first, so that all of them are freed
   * even when one is rejected. A buffer returned twice, or an input handed
   * back, must not be freed twice or at all. */
  const int64_t *desc = s->results;
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    void *allocated = (void *)(intptr_t)desc[0];
    for (uint32_t j = 0; allocated && j < o; ++j)
      if (s->owned[j] == allocated)
        allocated = NULL;
    for (uint32_t i = 0; allocated && i < m->num_inputs; ++i)
      if (inputs[i].data == allocated)
        allocated = NULL;
    s->owned[o] = allocated;
    desc += ONNXC_DESCRIPTOR_WORDS(m->outputs[o].rank);
  }
  desc = s->results;
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    onnxc_status st = read_output(s, o, desc, &outputs[o]);
    if (st != ONNXC_OK) {
      memset(outputs, 0, sizeof(onnxc_tensor) * num_outputs);
      return st;
    }
    desc += ONNXC_DESCRIPTOR_WORDS(m->outputs[o].rank);
  }
  return ONNXC_OK;
}

/* memrefCopy: what MLIR's memref.copy lowers to when source and target
 * layouts differ (e.g. copying a strided view). Upstream provides it in
 * mlir_c_runner_utils; model libraries must not depend on that, so the
 * shim carries its own: a strided copy of `elem_size`-byte elements. */
typedef struct onnxc_unranked_memref {
  int64_t rank;
  void *descriptor;
} onnxc_unranked_memref;

/* Copies the `sizes` box between two strided layouts (strides in
 * elements). The innermost dims that are dense in both layouts form one
 * contiguous run, copied with one memcpy (the common case: a padded
 * tensor's interior row by row); the outer dims are walked with an index
 * counter. */
__attribute__((weak, visibility("hidden"))) void
onnxc_internal_copy_strided(char *dst, const char *src, const int64_t *sizes,
                            const int64_t *dst_strides,
                            const int64_t *src_strides, int64_t rank,
                            int64_t elem_size) {
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0)
      return;
  /* Fold dense inner dims into one run of `run` elements. */
  int64_t outer = rank, run = 1;
  while (outer > 0 && dst_strides[outer - 1] == run &&
         src_strides[outer - 1] == run) {
    run *= sizes[outer - 1];
    --outer;
  }
  /* No dense run: copy the innermost dim element by element. */
  int64_t inner_count = 1, inner_dst = 0, inner_src = 0;
  if (run == 1 && outer > 0) {
    --outer;
    inner_count = sizes[outer];
    inner_dst = dst_strides[outer] * elem_size;
    inner_src = src_strides[outer] * elem_size;
  }
  size_t run_bytes = (size_t)(run * elem_size);
  int64_t index[64] = {0};
  if (outer > 64) {
    /* No compiled model has such ranks; copying nothing would be a silent
     * wrong result, so stop as onnxc_scratch_reserve does. */
    fprintf(stderr, "onnxc: memref copy of rank %lld is not supported\n",
            (long long)rank);
    abort();
  }
  for (;;) {
    char *d = dst;
    const char *s = src;
    for (int64_t i = 0; i < outer; ++i) {
      d += index[i] * dst_strides[i] * elem_size;
      s += index[i] * src_strides[i] * elem_size;
    }
    if (run_bytes == 4) /* constant sizes: inlined moves, no calls */
      for (int64_t j = 0; j < inner_count; ++j)
        memcpy(d + j * inner_dst, s + j * inner_src, 4);
    else if (run_bytes == 8)
      for (int64_t j = 0; j < inner_count; ++j)
        memcpy(d + j * inner_dst, s + j * inner_src, 8);
    else
      for (int64_t j = 0; j < inner_count; ++j)
        memcpy(d + j * inner_dst, s + j * inner_src, run_bytes);
    /* Next outer index, last dim fastest. */
    int64_t i = outer - 1;
    while (i >= 0 && ++index[i] == sizes[i])
      index[i--] = 0;
    if (i < 0)
      return;
  }
}

__attribute__((weak)) void memrefCopy(int64_t elem_size,
                                      onnxc_unranked_memref *src,
                                      onnxc_unranked_memref *dst) {
  /* Descriptor: allocated, aligned, offset, sizes[rank], strides[rank]. */
  int64_t rank = src->rank;
  const int64_t *s = (const int64_t *)src->descriptor;
  int64_t *d = (int64_t *)dst->descriptor;
  const char *src_base = *(char *const *)(s + 1) + s[2] * elem_size;
  char *dst_base = *(char **)(d + 1) + d[2] * elem_size;
  onnxc_internal_copy_strided(dst_base, src_base, s + 3, d + 3 + rank,
                              s + 3 + rank, rank, elem_size);
}
