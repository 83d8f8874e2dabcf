/*===- onnxc_cuda_run.c - Running a model's CUDA code ---------------------===
 *
 * A CUDA session (onnxc_cuda_state) is the driver session of onnxc_cuda.c
 * plus what running the model needs:
 *
 * - the weights on the device, uploaded once when the session is created,
 *   in one allocation (the model's cuda_weight_table says where each is on
 *   the host and how large);
 * - one arena of device memory for everything a run allocates: the
 *   uploaded inputs, the temporaries, the results. A run bumps a pointer
 *   through it and resets it at the end. When a run needed more than the
 *   arena held, it took more chunks as it went; afterwards they are
 *   replaced by one chunk of the whole size, so later runs of that size
 *   allocate nothing;
 * - the functions the generated host code calls (codegen/CudaLowerHost.cpp):
 *   onnxc_cuda_rt_alloc, _weight, _launch, _read and _write. They find their session
 *   through a thread-local pointer set for the duration of a run. A failure
 *   is recorded there (the first one wins), later launches are skipped and
 *   the run reports it; the code never sees an error value.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* snprintf in C11 mode */

#include "onnxc_cuda.h"
#include "onnxc_runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Device buffers start on this boundary (what cudaMalloc gives, and more
 * than any vector access of the kernels needs). */
#define DEVICE_ALIGNMENT 256
/* The smallest chunk the arena takes from the driver. */
#define MIN_CHUNK_BYTES ((size_t)1 << 20)
#define MAX_CHUNKS 64

typedef struct device_chunk {
  onnxc_cu_deviceptr base;
  size_t size;
} device_chunk;

struct onnxc_cuda_state {
  onnxc_cuda_session cs;
  const onnxc_model *model;
  onnxc_cu_deviceptr weight_block;
  onnxc_cu_deviceptr *weights; /* model->num_cuda_weights entries */
  /* The arena: chunks[0 .. num_chunks), filled in order. */
  device_chunk chunks[MAX_CHUNKS];
  size_t num_chunks, current, used; /* used: bytes of chunks[current] */
  size_t run_bytes;                 /* everything this run allocated */
  void **params;                    /* cuLaunchKernel's, grown on demand */
  size_t params_capacity;
  int failed;
  char reason[ONNXC_CUDA_REASON_SIZE];
};

/* The state of the run in progress on this thread. */
static __thread onnxc_cuda_state *current_run;

static size_t round_up(size_t bytes) {
  return (bytes + DEVICE_ALIGNMENT - 1) & ~(size_t)(DEVICE_ALIGNMENT - 1);
}

/* Records the first failure of a run. */
static void run_failed(onnxc_cuda_state *st, const char *format,
                       const char *detail) {
  if (st->failed)
    return;
  st->failed = 1;
  snprintf(st->reason, sizeof st->reason, format, detail);
}

static onnxc_cu_deviceptr arena_alloc(onnxc_cuda_state *st, size_t bytes) {
  size_t size = round_up(bytes ? bytes : 1);
  if (size < bytes) {
    run_failed(st, "%s", "a device buffer's size overflows");
    return 0;
  }
  st->run_bytes += size;
  while (st->current < st->num_chunks) {
    device_chunk *c = &st->chunks[st->current];
    if (c->size - st->used >= size) {
      onnxc_cu_deviceptr p = c->base + st->used;
      st->used += size;
      return p;
    }
    ++st->current;
    st->used = 0;
  }
  if (st->num_chunks == MAX_CHUNKS) {
    run_failed(st, "%s", "the device arena has too many chunks");
    return 0;
  }
  /* Doubling keeps the chunk count logarithmic in the run's total. */
  size_t chunk = size;
  if (chunk < MIN_CHUNK_BYTES)
    chunk = MIN_CHUNK_BYTES;
  if (st->num_chunks && chunk < 2 * st->chunks[st->num_chunks - 1].size)
    chunk = 2 * st->chunks[st->num_chunks - 1].size;
  char why[ONNXC_CUDA_REASON_SIZE];
  device_chunk *c = &st->chunks[st->num_chunks];
  if (!onnxc_cuda_alloc(&st->cs, chunk, &c->base, why, sizeof why)) {
    run_failed(st, "out of device memory: %.200s", why);
    return 0;
  }
  c->size = chunk;
  st->current = st->num_chunks++;
  st->used = size;
  return c->base;
}

static void arena_free_all(onnxc_cuda_state *st) {
  for (size_t i = 0; i < st->num_chunks; ++i)
    onnxc_cuda_free(&st->cs, st->chunks[i].base);
  st->num_chunks = st->current = st->used = 0;
}

/* After a run (its kernels done): the next one starts at the beginning,
 * in one chunk that holds what this one needed. */
static void arena_reset(onnxc_cuda_state *st) {
  if (st->num_chunks > 1) {
    size_t total = st->run_bytes;
    arena_free_all(st);
    char why[ONNXC_CUDA_REASON_SIZE];
    if (onnxc_cuda_alloc(&st->cs, total, &st->chunks[0].base, why,
                         sizeof why)) {
      st->chunks[0].size = total;
      st->num_chunks = 1;
    } /* else the next run takes chunks as it goes again */
  }
  st->current = st->used = st->run_bytes = 0;
}

/* Rank-1 byte memref descriptor: allocated, aligned, offset, size, stride. */
static void byte_descriptor(int64_t *desc, onnxc_cu_deviceptr p,
                            int64_t bytes) {
  desc[0] = (int64_t)p;
  desc[1] = (int64_t)p;
  desc[2] = 0;
  desc[3] = bytes;
  desc[4] = 1;
}

ONNXC_INTERNAL void _mlir_ciface_onnxc_cuda_rt_alloc(int64_t *result,
                                                     int64_t bytes) {
  onnxc_cuda_state *st = current_run;
  onnxc_cu_deviceptr p = 0;
  if (bytes < 0)
    run_failed(st, "%s", "a device buffer of negative size");
  else if (!st->failed)
    p = arena_alloc(st, (size_t)bytes);
  byte_descriptor(result, p, bytes);
}

ONNXC_INTERNAL void _mlir_ciface_onnxc_cuda_rt_weight(int64_t *result,
                                                      int64_t index) {
  onnxc_cuda_state *st = current_run;
  onnxc_cu_deviceptr p = 0;
  if (index < 0 || (uint64_t)index >= st->model->num_cuda_weights)
    run_failed(st, "%s", "the code asked for a weight the model lacks");
  else
    p = st->weights[index];
  byte_descriptor(result, p, 0);
}

ONNXC_INTERNAL void _mlir_ciface_onnxc_cuda_rt_launch(
    int64_t kernel, int64_t gx, int64_t gy, int64_t gz, int64_t bx,
    int64_t by, int64_t bz, const int64_t *slots) {
  onnxc_cuda_state *st = current_run;
  if (st->failed)
    return;
  /* An empty tensor's kernel has no blocks: nothing to do (the driver
   * would refuse a zero grid). */
  if (gx == 0 || gy == 0 || gz == 0)
    return;
  char detail[160];
  if (gx < 0 || gy < 0 || gz < 0 || gx > 2147483647 || gy > 65535 ||
      gz > 65535 || bx < 1 || by < 1 || bz < 1 || bx * by * bz > 1024) {
    snprintf(detail, sizeof detail,
             "grid (%lld, %lld, %lld) of blocks (%lld, %lld, %lld)",
             (long long)gx, (long long)gy, (long long)gz, (long long)bx,
             (long long)by, (long long)bz);
    run_failed(st, "a kernel launch beyond CUDA's limits: %s", detail);
    return;
  }
  int64_t *values = (int64_t *)(intptr_t)slots[1] + slots[2];
  size_t count = (size_t)slots[3];
  if (count > st->params_capacity) {
    void **grown = realloc(st->params, count * sizeof *grown);
    if (!grown) {
      run_failed(st, "%s", "out of memory");
      return;
    }
    st->params = grown;
    st->params_capacity = count;
  }
  for (size_t i = 0; i < count; ++i)
    st->params[i] = &values[i];
  char why[ONNXC_CUDA_REASON_SIZE];
  /* Launches are asynchronous: the slots need to live only until the
   * driver has copied the parameters, which cuLaunchKernel does. */
  if (!onnxc_cuda_launch(&st->cs, (uint32_t)kernel, (unsigned)gx,
                         (unsigned)gy, (unsigned)gz, (unsigned)bx,
                         (unsigned)by, (unsigned)bz, st->params, why,
                         sizeof why))
    run_failed(st, "%s", why);
}

/* A scalar the host code reads (an index, a bound, a count computed on
 * the device): waits for the kernels launched so far, then copies `bytes`
 * (at most 8) from device address `address`; the bits come back in the
 * low bytes. 0 once the run has failed. */
ONNXC_INTERNAL int64_t onnxc_cuda_rt_read(int64_t address, int64_t bytes) {
  onnxc_cuda_state *st = current_run;
  int64_t value = 0;
  if (st->failed)
    return 0;
  if (bytes < 1 || bytes > 8) {
    run_failed(st, "%s", "a host read of an unexpected size");
    return 0;
  }
  char why[ONNXC_CUDA_REASON_SIZE];
  if (!onnxc_cuda_download(&st->cs, &value, (onnxc_cu_deviceptr)address,
                           (size_t)bytes, why, sizeof why) ||
      !onnxc_cuda_synchronize(&st->cs, why, sizeof why))
    run_failed(st, "%s", why);
  return value;
}

/* An element the host code writes (a sequential algorithm's output kept
 * on the host: Unique, NonMaxSuppression, ...): its `bytes` low bytes of
 * `bits` copied to device address `address`, in order with the kernels
 * around it. */
ONNXC_INTERNAL void onnxc_cuda_rt_write(int64_t address, int64_t bits,
                                        int64_t bytes) {
  onnxc_cuda_state *st = current_run;
  if (st->failed)
    return;
  if (bytes < 1 || bytes > 8) {
    run_failed(st, "%s", "a host write of an unexpected size");
    return;
  }
  char why[ONNXC_CUDA_REASON_SIZE];
  /* The source is this frame's: wait until the copy has read it. */
  if (!onnxc_cuda_upload(&st->cs, (onnxc_cu_deviceptr)address, &bits,
                         (size_t)bytes, why, sizeof why) ||
      !onnxc_cuda_synchronize(&st->cs, why, sizeof why))
    run_failed(st, "%s", why);
}

ONNXC_INTERNAL void onnxc_cuda_state_close(onnxc_cuda_state *st) {
  if (!st)
    return;
  if (st->cs.context) {
    arena_free_all(st);
    onnxc_cuda_free(&st->cs, st->weight_block);
    onnxc_cuda_session_close(&st->cs);
  }
  free(st->weights);
  free(st->params);
  free(st);
}

/* The weights on the device: one block, each weight DEVICE_ALIGNMENT-
 * aligned in it, uploaded before the session is handed out. */
static int upload_weights(onnxc_cuda_state *st, char *reason, size_t size) {
  const onnxc_model *m = st->model;
  uint32_t n = m->num_cuda_weights;
  if (!n)
    return 1;
  int64_t *table = calloc(2 * (size_t)n, sizeof *table);
  st->weights = calloc(n, sizeof *st->weights);
  if (!table || !st->weights) {
    free(table);
    snprintf(reason, size, "out of memory");
    return 0;
  }
  int64_t desc[5];
  byte_descriptor(desc, (onnxc_cu_deviceptr)(intptr_t)table, 2 * (int64_t)n);
  m->cuda_weight_table(desc);
  size_t total = 0;
  for (uint32_t i = 0; i < n; ++i)
    total += round_up((size_t)table[2 * i + 1]);
  int ok = onnxc_cuda_alloc(&st->cs, total, &st->weight_block, reason, size);
  size_t offset = 0;
  for (uint32_t i = 0; ok && i < n; ++i) {
    st->weights[i] = st->weight_block + offset;
    ok = onnxc_cuda_upload(&st->cs, st->weights[i],
                           (const void *)(intptr_t)table[2 * i],
                           (size_t)table[2 * i + 1], reason, size);
    offset += round_up((size_t)table[2 * i + 1]);
  }
  free(table);
  return ok && onnxc_cuda_synchronize(&st->cs, reason, size);
}

ONNXC_INTERNAL int onnxc_cuda_state_open(onnxc_cuda_state **out,
                                         const onnxc_model *model,
                                         char *reason, size_t size) {
  *out = NULL;
  if (!model->cuda_run_packed || !model->cuda_weight_table) {
    snprintf(reason, size, "the library's CUDA code has no host part");
    return 0;
  }
  onnxc_cuda_state *st = calloc(1, sizeof *st);
  if (!st) {
    snprintf(reason, size, "out of memory");
    return 0;
  }
  st->model = model;
  if (!onnxc_cuda_session_open(&st->cs, model, reason, size)) {
    free(st);
    return 0;
  }
  if (!upload_weights(st, reason, size)) {
    char why[ONNXC_CUDA_REASON_SIZE];
    snprintf(why, sizeof why, "uploading the weights: %s", reason);
    snprintf(reason, size, "%s", why);
    onnxc_cuda_state_close(st);
    return 0;
  }
  *out = st;
  return 1;
}

ONNXC_INTERNAL const onnxc_cuda_session *
onnxc_cuda_state_session(const onnxc_cuda_state *st) {
  return &st->cs;
}

/* Output `o`'s descriptor `desc` (device addresses) becomes a dense host
 * copy in a fresh malloc() block, which `desc` then describes. */
static int download_output(onnxc_cuda_state *st, int64_t *desc, int32_t rank,
                           size_t elem_size, char *reason, size_t size) {
  const int64_t *sizes = desc + 3;
  int64_t *strides = desc + 3 + rank;
  size_t elements = 1;
  size_t span = 1; /* elements from the first to the last one, + 1 */
  int dense = 1;
  int64_t dense_strides[ONNXC_MAX_RANK]; /* row-major, of the host copy */
  int64_t expected = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    if (sizes[d] < 0 || strides[d] < 0) {
      snprintf(reason, size, "the code returned a result with a negative "
                             "size or stride");
      return 0;
    }
    elements *= (size_t)sizes[d];
    if (sizes[d] > 1 && strides[d] != expected)
      dense = 0;
    dense_strides[d] = expected;
    expected *= sizes[d];
    if (sizes[d] > 0)
      span += (size_t)(sizes[d] - 1) * (size_t)strides[d];
  }
  size_t bytes = elements * elem_size;
  char *host = malloc(bytes ? bytes : 1);
  char *staging = dense || !elements ? NULL : malloc(span * elem_size);
  if (!host || (!dense && elements && !staging)) {
    free(host);
    snprintf(reason, size, "out of memory");
    return 0;
  }
  onnxc_cu_deviceptr from =
      (onnxc_cu_deviceptr)desc[1] + (onnxc_cu_deviceptr)desc[2] * elem_size;
  int ok = 1;
  if (elements)
    ok = onnxc_cuda_download(&st->cs, dense ? host : staging, from,
                             (dense ? elements : span) * elem_size, reason,
                             size) &&
         onnxc_cuda_synchronize(&st->cs, reason, size);
  if (ok && staging)
    onnxc_internal_copy_strided(host, staging, sizes, dense_strides, strides,
                                rank, (int64_t)elem_size);
  free(staging);
  if (!ok) {
    free(host);
    return 0;
  }
  desc[0] = desc[1] = (int64_t)(intptr_t)host;
  desc[2] = 0;
  memcpy(strides, dense_strides, sizeof(int64_t) * (size_t)rank);
  return 1;
}

ONNXC_INTERNAL int onnxc_cuda_state_run(onnxc_cuda_state *st, void **args,
                                        int64_t *results, char *reason,
                                        size_t size) {
  const onnxc_model *m = st->model;
  st->failed = 0;
  st->reason[0] = '\0';
  /* The inputs: each descriptor points at the caller's data (dense); it
   * gets a device copy and points there instead. */
  int ok = 1;
  for (uint32_t i = 0; ok && i < m->num_inputs; ++i) {
    int64_t *desc = (int64_t *)args[1 + i];
    int32_t rank = m->inputs[i].rank;
    size_t bytes = onnxc_internal_dtype_size(m->inputs[i].dtype);
    for (int32_t d = 0; d < rank; ++d)
      bytes *= (size_t)desc[3 + d];
    onnxc_cu_deviceptr copy = arena_alloc(st, bytes);
    ok = !st->failed &&
         onnxc_cuda_upload(&st->cs, copy, (const void *)(intptr_t)desc[1],
                           bytes, reason, size);
    desc[0] = desc[1] = (int64_t)copy;
  }
  if (ok) {
    current_run = st;
    m->cuda_run_packed(args);
    current_run = NULL;
    ok = !st->failed && onnxc_cuda_synchronize(&st->cs, reason, size);
  }
  if (st->failed)
    snprintf(reason, size, "%s", st->reason);
  /* The results: downloaded, each into its own host block. */
  int64_t *desc = results;
  uint32_t done = 0; /* outputs now in host blocks */
  while (ok && done < m->num_outputs) {
    int32_t rank = m->outputs[done].rank;
    ok = download_output(st, desc, rank,
                         onnxc_internal_dtype_size(m->outputs[done].dtype),
                         reason, size);
    if (ok)
      ++done;
    desc += ONNXC_DESCRIPTOR_WORDS(rank);
  }
  if (!ok) {
    /* Free what was downloaded; nothing else points to the host. */
    desc = results;
    for (uint32_t o = 0; o < done; ++o) {
      free((void *)(intptr_t)desc[0]);
      desc += ONNXC_DESCRIPTOR_WORDS(m->outputs[o].rank);
    }
    desc = results;
    for (uint32_t o = 0; o < m->num_outputs; ++o) {
      memset(desc, 0, sizeof(int64_t) * ONNXC_DESCRIPTOR_WORDS(
                                            m->outputs[o].rank));
      desc += ONNXC_DESCRIPTOR_WORDS(m->outputs[o].rank);
    }
  }
  arena_reset(st);
  return ok;
}
