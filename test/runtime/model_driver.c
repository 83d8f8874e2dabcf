/*===- model_driver.c - Drives a compiled model library through the C ABI --===
 *
 * Linked with one model object (onnx-compile --emit=obj, which defines
 * onnxc_model_get) and runtime/onnxc_runtime.c, often both built with
 * sanitizers (test/lit/runtime/sanitizers.test, threads.test, leaks.test).
 * Knows nothing about the model: it reads the model's inputs, gives every
 * dynamic dim the same value (the "batch") and fills float inputs with
 * fixed pseudo-random values in [-1, 1].
 *
 *   model_driver [--weights PATH] [--model-threads N] MODE ...
 *     checks           bad calls, one per kind, then good runs at batch 1,
 *                      3 and (when the model has a dynamic dim) 0 and 17
 *     loop N           N times: create, run at batches 1, 5, 2, destroy
 *     threads T R      T threads, each with its own session, R runs each
 *                      over 4 input sets; every output must be bit-identical
 *                      to the single-threaded run of the same inputs
 *
 * Input buffers end exactly at a PROT_NONE page, so the model code (which
 * the sanitizers do not instrument) cannot read past an input unnoticed.
 * Prints one line per check and "FAIL: ..." on any failure; exits 1 then.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* MAP_ANONYMOUS */

#include "onnx-compile/onnxc_runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const onnxc_model *onnxc_model_get(void);

static int failures;
static int32_t model_threads; /* 0: the session's default */

#define FAIL(...)                                                             \
  do {                                                                        \
    printf("FAIL: " __VA_ARGS__);                                             \
    printf("\n");                                                             \
    ++failures;                                                               \
  } while (0)

/* ------------------------------------------------------------------------ */
/* Guarded buffers: `bytes` bytes that end where an inaccessible page
 * starts.                                                                  */

typedef struct guarded {
  void *map;
  size_t map_bytes;
  void *data;
} guarded;

static void guarded_alloc(guarded *g, size_t bytes) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t body = (bytes + page - 1) / page * page;
  g->map_bytes = body + page;
  g->map = mmap(NULL, g->map_bytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g->map == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  mprotect((char *)g->map + body, page, PROT_NONE);
  /* Inputs need only their element alignment; bytes is a multiple of it. */
  g->data = (char *)g->map + body - bytes;
}

static void guarded_free(guarded *g) {
  if (g->map)
    munmap(g->map, g->map_bytes);
  g->map = NULL;
}

/* ------------------------------------------------------------------------ */
/* Inputs.                                                                  */

typedef struct input_set {
  size_t count;
  onnxc_tensor *t;
  guarded *buffers;
} input_set;

static size_t num_inputs, num_outputs;

static uint32_t next_random(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*state >> 33);
}

static int has_dynamic_dim(const onnxc_model *m) {
  for (size_t i = 0; i < num_inputs; ++i) {
    onnxc_tensor_info info;
    onnxc_model_input_info(m, i, &info);
    for (int32_t d = 0; d < info.rank; ++d)
      if (info.dims[d] == -1)
        return 1;
  }
  return 0;
}

static void make_inputs(const onnxc_model *m, input_set *in, int64_t batch,
                        uint64_t seed) {
  in->count = num_inputs;
  in->t = calloc(num_inputs ? num_inputs : 1, sizeof(onnxc_tensor));
  in->buffers = calloc(num_inputs ? num_inputs : 1, sizeof(guarded));
  uint64_t state = seed;
  for (size_t i = 0; i < num_inputs; ++i) {
    onnxc_tensor_info info;
    onnxc_model_input_info(m, i, &info);
    onnxc_tensor *t = &in->t[i];
    t->dtype = info.dtype;
    t->rank = info.rank;
    size_t elements = 1;
    for (int32_t d = 0; d < info.rank; ++d) {
      t->dims[d] = info.dims[d] == -1 ? batch : info.dims[d];
      elements *= (size_t)t->dims[d];
    }
    t->size_bytes = elements * onnxc_dtype_size(info.dtype);
    guarded_alloc(&in->buffers[i], t->size_bytes);
    t->data = in->buffers[i].data;
    if (info.dtype == ONNXC_DTYPE_FLOAT32) {
      float *f = t->data;
      for (size_t e = 0; e < elements; ++e)
        f[e] = (float)((int)(next_random(&state) % 2001) - 1000) / 1000.0f;
    } else {
      memset(t->data, 0, t->size_bytes); /* a safe index for any op */
    }
  }
}

static void free_inputs(input_set *in) {
  for (size_t i = 0; i < in->count; ++i)
    guarded_free(&in->buffers[i]);
  free(in->t);
  free(in->buffers);
}

/* ------------------------------------------------------------------------ */
/* Sessions and outputs.                                                    */

static onnxc_session *create(const onnxc_model *m) {
  onnxc_session *s = NULL;
  onnxc_status st = onnxc_session_create(m, &s);
  if (st != ONNXC_OK) {
    FAIL("create: status %d: %s", (int)st, onnxc_last_error());
    return NULL;
  }
  if (model_threads > 0 &&
      onnxc_session_set_num_threads(s, model_threads) != ONNXC_OK)
    FAIL("set_num_threads: %s", onnxc_session_last_error(s));
  return s;
}

/* Whether `out` fits the model's outputs: dtype, rank, static dims, size,
 * data present when not empty, floats finite. */
static int outputs_ok(const onnxc_model *m, const onnxc_tensor *out,
                      const char *what) {
  for (size_t o = 0; o < num_outputs; ++o) {
    onnxc_tensor_info info;
    onnxc_model_output_info(m, o, &info);
    const onnxc_tensor *t = &out[o];
    size_t elements = 1;
    if (t->dtype != info.dtype || t->rank != info.rank) {
      FAIL("%s: output %zu has dtype %d rank %d", what, o, (int)t->dtype,
           (int)t->rank);
      return 0;
    }
    for (int32_t d = 0; d < t->rank; ++d) {
      if (t->dims[d] < 0 || (info.dims[d] != -1 && t->dims[d] != info.dims[d])) {
        FAIL("%s: output %zu dim %d is %lld", what, o, (int)d,
             (long long)t->dims[d]);
        return 0;
      }
      elements *= (size_t)t->dims[d];
    }
    if (t->size_bytes != elements * onnxc_dtype_size(t->dtype) ||
        (elements && !t->data)) {
      FAIL("%s: output %zu: size_bytes %zu for %zu elements, data %p", what,
           o, t->size_bytes, elements, t->data);
      return 0;
    }
    if (t->dtype == ONNXC_DTYPE_FLOAT32)
      for (size_t e = 0; e < elements; ++e)
        if (!isfinite(((const float *)t->data)[e])) {
          FAIL("%s: output %zu element %zu is not finite", what, o, e);
          return 0;
        }
  }
  return 1;
}

/* The outputs' bytes, back to back (dims first), malloc'd: what the
 * threaded runs compare. */
typedef struct snapshot {
  size_t bytes;
  unsigned char *data;
} snapshot;

static snapshot take_snapshot(const onnxc_tensor *out) {
  snapshot snap = {0, NULL};
  for (size_t o = 0; o < num_outputs; ++o)
    snap.bytes += sizeof out[o].dims + out[o].size_bytes;
  snap.data = malloc(snap.bytes ? snap.bytes : 1);
  unsigned char *p = snap.data;
  for (size_t o = 0; o < num_outputs; ++o) {
    memcpy(p, out[o].dims, sizeof out[o].dims);
    p += sizeof out[o].dims;
    if (out[o].size_bytes)
      memcpy(p, out[o].data, out[o].size_bytes);
    p += out[o].size_bytes;
  }
  return snap;
}

static int same_as(const snapshot *want, const onnxc_tensor *out) {
  snapshot got = take_snapshot(out);
  int same = got.bytes == want->bytes &&
             memcmp(got.data, want->data, got.bytes) == 0;
  free(got.data);
  return same;
}

/* ------------------------------------------------------------------------ */
/* checks                                                                   */

static void expect(const char *name, onnxc_status got, onnxc_status want,
                   const onnxc_session *s) {
  const char *message = s ? onnxc_session_last_error(s) : onnxc_last_error();
  printf("%s: status %d: %s\n", name, (int)got, message);
  if (got != want)
    FAIL("%s: expected status %d", name, (int)want);
  else if (want != ONNXC_OK && !message[0])
    FAIL("%s: no message", name);
}

static void run_checks(const onnxc_model *m) {
  onnxc_session *s = create(m);
  if (!s)
    return;
  input_set in;
  make_inputs(m, &in, 2, 1);
  onnxc_tensor_info info;
  onnxc_model_input_info(m, 0, &info);
  /* Outputs are a heap array of exactly num_outputs tensors. */
  onnxc_tensor *out = calloc(num_outputs, sizeof(onnxc_tensor));

  expect("null session", onnxc_session_run(NULL, in.t, num_inputs, out,
                                           num_outputs),
         ONNXC_ERROR_NULL_POINTER, NULL);
  expect("null inputs",
         onnxc_session_run(s, NULL, num_inputs, out, num_outputs),
         ONNXC_ERROR_NULL_POINTER, s);
  expect("null outputs",
         onnxc_session_run(s, in.t, num_inputs, NULL, num_outputs),
         ONNXC_ERROR_NULL_POINTER, s);
  expect("one input too few",
         onnxc_session_run(s, in.t, num_inputs - 1, out, num_outputs),
         ONNXC_ERROR_COUNT_MISMATCH, s);
  expect("one output too few",
         onnxc_session_run(s, in.t, num_inputs, out, num_outputs - 1),
         ONNXC_ERROR_COUNT_MISMATCH, s);
  expect("one output too many",
         onnxc_session_run(s, in.t, num_inputs, out, num_outputs + 1),
         ONNXC_ERROR_COUNT_MISMATCH, s);

  /* One change to input 0 at a time, restored after. */
  onnxc_tensor saved = in.t[0];
#define BAD(name, status, mutate)                                             \
  do {                                                                        \
    mutate;                                                                   \
    expect(name, onnxc_session_run(s, in.t, num_inputs, out, num_outputs),    \
           status, s);                                                        \
    in.t[0] = saved;                                                          \
  } while (0)
  BAD("wrong dtype", ONNXC_ERROR_DTYPE_MISMATCH,
      in.t[0].dtype = info.dtype == ONNXC_DTYPE_INT8 ? ONNXC_DTYPE_UINT8
                                                     : ONNXC_DTYPE_INT8);
  BAD("rank one more", ONNXC_ERROR_SHAPE_MISMATCH,
      (in.t[0].dims[in.t[0].rank] = 1, ++in.t[0].rank));
  if (info.rank > 0) {
    BAD("rank one less", ONNXC_ERROR_SHAPE_MISMATCH, --in.t[0].rank);
    BAD("negative dim", ONNXC_ERROR_INVALID_DIM, in.t[0].dims[0] = -1);
    int32_t fixed = -1, dynamic = -1;
    for (int32_t d = 0; d < info.rank; ++d) {
      if (info.dims[d] > 0 && fixed < 0)
        fixed = d;
      if (info.dims[d] == -1 && dynamic < 0)
        dynamic = d;
    }
    /* Only a dynamic dim can take a value too large to address. */
    if (dynamic >= 0)
      BAD("dims overflow", ONNXC_ERROR_INVALID_DIM,
          for (int32_t d = 0; d < info.rank; ++d) in.t[0].dims[d] =
              info.dims[d] == -1 ? INT64_MAX / 2 : info.dims[d]);
    if (fixed >= 0)
      BAD("static dim one more", ONNXC_ERROR_SHAPE_MISMATCH,
          ++in.t[0].dims[fixed]);
  }
  if (saved.size_bytes) {
    BAD("size_bytes one short", ONNXC_ERROR_SIZE_MISMATCH,
        --in.t[0].size_bytes);
    BAD("size_bytes one element more", ONNXC_ERROR_SIZE_MISMATCH,
        in.t[0].size_bytes += onnxc_dtype_size(info.dtype));
    BAD("null data", ONNXC_ERROR_NULL_POINTER, in.t[0].data = NULL);
  }
#undef BAD
  free_inputs(&in);

  /* Good runs; a dynamic dim may also be 0 (an empty tensor, legal in
   * ONNX) or more than the compiler ever saw. */
  int dynamic = has_dynamic_dim(m);
  const int64_t batches[] = {1, 3, 0, 17};
  for (size_t b = 0; b < (dynamic ? 4u : 1u); ++b) {
    char what[32];
    if (dynamic)
      snprintf(what, sizeof what, "batch %lld", (long long)batches[b]);
    else
      snprintf(what, sizeof what, "static shapes");
    make_inputs(m, &in, batches[b], 7 + b);
    onnxc_status st = onnxc_session_run(s, in.t, num_inputs, out,
                                        num_outputs);
    if (st != ONNXC_OK)
      FAIL("%s: status %d: %s", what, (int)st, onnxc_session_last_error(s));
    else if (outputs_ok(m, out, what))
      printf("%s: ok\n", what);
    free_inputs(&in);
  }
  free(out);
  onnxc_session_destroy(s);
  onnxc_session_destroy(NULL);
}

/* ------------------------------------------------------------------------ */
/* loop                                                                     */

static void run_loop(const onnxc_model *m, int n) {
  const int64_t batches[] = {1, 5, 2};
  onnxc_tensor *out = calloc(num_outputs, sizeof(onnxc_tensor));
  for (int i = 0; i < n; ++i) {
    onnxc_session *s = create(m);
    if (!s)
      break;
    for (int r = 0; r < 3; ++r) {
      input_set in;
      make_inputs(m, &in, batches[r], (uint64_t)(i * 3 + r));
      onnxc_status st = onnxc_session_run(s, in.t, num_inputs, out,
                                          num_outputs);
      if (st != ONNXC_OK)
        FAIL("loop %d run %d: %s", i, r, onnxc_session_last_error(s));
      free_inputs(&in);
    }
    /* A bad run between good ones frees nothing it should not. */
    if (onnxc_session_run(s, NULL, 0, out, num_outputs) !=
        ONNXC_ERROR_COUNT_MISMATCH)
      FAIL("loop %d: a bad run passed", i);
    onnxc_session_destroy(s);
  }
  free(out);
  printf("loop %d: done\n", n);
}

/* ------------------------------------------------------------------------ */
/* threads                                                                  */

#define NUM_SETS 4

typedef struct shared {
  const onnxc_model *model;
  input_set sets[NUM_SETS];
  snapshot want[NUM_SETS];
  int runs;
  pthread_barrier_t ready; /* every session exists, the reference is made */
} shared;

typedef struct worker {
  shared *sh;
  int index;
  int wrong, errors;
  pthread_t thread;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  /* All sessions, the reference's too, are created at once: the first
   * creation of a model with external weights maps its file. */
  onnxc_session *s = NULL;
  if (onnxc_session_create(w->sh->model, &s) != ONNXC_OK)
    w->errors = -1;
  else if (model_threads > 0)
    onnxc_session_set_num_threads(s, model_threads);
  pthread_barrier_wait(&w->sh->ready);
  if (!s)
    return NULL;
  onnxc_tensor *out = calloc(num_outputs, sizeof(onnxc_tensor));
  for (int r = 0; r < w->sh->runs; ++r) {
    int k = (r + w->index) % NUM_SETS;
    if (onnxc_session_run(s, w->sh->sets[k].t, num_inputs, out,
                          num_outputs) != ONNXC_OK)
      ++w->errors;
    else if (!same_as(&w->sh->want[k], out))
      ++w->wrong;
  }
  free(out);
  onnxc_session_destroy(s);
  return NULL;
}

static void run_threads(const onnxc_model *m, int threads, int runs) {
  shared sh = {.model = m, .runs = runs};
  int dynamic = has_dynamic_dim(m);
  for (int k = 0; k < NUM_SETS; ++k)
    make_inputs(m, &sh.sets[k], dynamic ? 1 + 3 * k : 1, 100 + (uint64_t)k);
  pthread_barrier_init(&sh.ready, NULL, (unsigned)threads + 1);
  worker *w = calloc((size_t)threads, sizeof(worker));
  int started = 0;
  for (; started < threads; ++started) {
    w[started] = (worker){.sh = &sh, .index = started};
    if (pthread_create(&w[started].thread, NULL, work, &w[started]) != 0) {
      printf("pthread_create failed\n");
      exit(2); /* the barrier would never open */
    }
  }
  /* The reference: a session of this thread, run alone (the workers wait
   * at the barrier). */
  onnxc_session *s = create(m);
  onnxc_tensor *out = calloc(num_outputs, sizeof(onnxc_tensor));
  for (int k = 0; k < NUM_SETS; ++k) {
    if (!s || onnxc_session_run(s, sh.sets[k].t, num_inputs, out,
                                num_outputs) != ONNXC_OK ||
        !outputs_ok(m, out, "reference"))
      FAIL("reference run %d: %s", k, onnxc_session_last_error(s));
    sh.want[k] = take_snapshot(out);
  }
  onnxc_session_destroy(s);
  free(out);
  pthread_barrier_wait(&sh.ready);

  int wrong = 0, errors = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(w[t].thread, NULL);
    wrong += w[t].wrong;
    errors += w[t].errors;
  }
  printf("%d threads x %d runs: %d differ from the single-threaded "
         "results, %d failed\n",
         threads, runs, wrong, errors);
  if (wrong || errors)
    FAIL("threads");
  pthread_barrier_destroy(&sh.ready);
  free(w);
  for (int k = 0; k < NUM_SETS; ++k) {
    free_inputs(&sh.sets[k]);
    free(sh.want[k].data);
  }
}

/* ------------------------------------------------------------------------ */

static int usage(void) {
  fprintf(stderr, "usage: model_driver [--weights PATH] [--model-threads N] "
                  "checks | loop N | threads T R\n");
  return 2;
}

int main(int argc, char **argv) {
  const onnxc_model *m = onnxc_model_get();
  int a = 1;
  for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
    if (strcmp(argv[a], "--weights") == 0) {
      if (onnxc_model_set_weights_path(m, argv[a + 1]) != ONNXC_OK) {
        fprintf(stderr, "--weights: %s\n", onnxc_last_error());
        return 2;
      }
    } else if (strcmp(argv[a], "--model-threads") == 0) {
      model_threads = atoi(argv[a + 1]);
    } else {
      return usage();
    }
  }
  if (a >= argc)
    return usage();
  if (onnxc_model_num_inputs(m, &num_inputs) != ONNXC_OK ||
      onnxc_model_num_outputs(m, &num_outputs) != ONNXC_OK || !num_inputs ||
      !num_outputs) {
    fprintf(stderr, "model_driver: needs a model with inputs and outputs\n");
    return 2;
  }
  if (strcmp(argv[a], "checks") == 0)
    run_checks(m);
  else if (strcmp(argv[a], "loop") == 0 && a + 1 < argc)
    run_loop(m, atoi(argv[a + 1]));
  else if (strcmp(argv[a], "threads") == 0 && a + 2 < argc)
    run_threads(m, atoi(argv[a + 1]), atoi(argv[a + 2]));
  else
    return usage();
  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("all checks passed\n");
  return 0;
}
