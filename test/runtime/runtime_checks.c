/*===- runtime_checks.c - Checks of the runtime shim on fake_model.c ------===
 *
 * Linked with runtime/onnxc_runtime.c and test/runtime/fake_model.c. Prints
 * one line per check (the status and the session's message, for FileCheck)
 * and exits 1 when any check fails.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L /* setenv */

#include "runtime/onnxc_model_desc.h"
#include "runtime/onnxc_runtime_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const onnxc_model *fake_model_model(void);

static int failures;

/* Bad calls tried, by the status they must give (for the summary line). */
#define NUM_STATUSES 13
static int tried[NUM_STATUSES];
static const char *const status_names[NUM_STATUSES] = {
    "ok", "invalid argument", "dtype mismatch", "shape mismatch",
    "out of memory", "abi mismatch", "runtime", "unsupported",
    "null pointer", "count mismatch", "invalid dim", "size mismatch",
    "out of range"};

static void check(int ok, const char *what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    ++failures;
  }
}

/* Prints "NAME: status N: MESSAGE" and checks the status. The message is
 * the session's, or with no session the thread's (onnxc_last_error). A
 * failure must come with a message, a success without one. */
static void expect_status(const char *name, onnxc_status got,
                          onnxc_status want, const onnxc_session *s) {
  const char *message = s ? onnxc_session_last_error(s) : onnxc_last_error();
  printf("%s: status %d: %s\n", name, (int)got, message);
  if (got != want) {
    printf("FAIL: %s: expected status %d\n", name, (int)want);
    ++failures;
  }
  if ((got == ONNXC_OK) != (message[0] == '\0')) {
    printf("FAIL: %s: %s\n", name,
           got == ONNXC_OK ? "a message on success" : "no message");
    ++failures;
  }
  if (want != ONNXC_OK && (int)want < NUM_STATUSES)
    ++tried[want];
}

/* Inputs of the fake model at one batch size, with their own storage. */
typedef struct inputs {
  float x[64 * 3];
  int64_t y[2];
  float z[64];
  onnxc_tensor t[3];
} inputs;

static void make_inputs(inputs *in, int64_t batch, int seed) {
  for (int64_t i = 0; i < batch * 3; ++i)
    in->x[i] = (float)(i + seed) * 0.5f;
  for (int64_t b = 0; b < batch; ++b)
    in->z[b] = (float)(b * 10 + seed);
  in->y[0] = 40 + seed;
  in->y[1] = 2;
  memset(in->t, 0, sizeof in->t);
  in->t[0] = (onnxc_tensor){ONNXC_DTYPE_FLOAT32, 2, {batch, 3}, in->x,
                            sizeof(float) * (size_t)(batch * 3)};
  in->t[1] = (onnxc_tensor){ONNXC_DTYPE_INT64, 1, {2}, in->y,
                            sizeof in->y};
  in->t[2] = (onnxc_tensor){ONNXC_DTYPE_FLOAT32, 1, {batch}, in->z,
                            sizeof(float) * (size_t)batch};
}

/* Whether `out` holds the fake model's results for `in` at `batch`. */
static int results_ok(const inputs *in, int64_t batch,
                      const onnxc_tensor *out) {
  if (out[0].dtype != ONNXC_DTYPE_FLOAT32 || out[0].rank != 2 ||
      out[0].dims[0] != batch || out[0].dims[1] != 3 ||
      out[0].size_bytes != sizeof(float) * (size_t)(batch * 3))
    return 0;
  if (out[1].dtype != ONNXC_DTYPE_INT64 || out[1].rank != 1 ||
      out[1].dims[0] != 1 || out[1].size_bytes != sizeof(int64_t) ||
      *(const int64_t *)out[1].data != in->y[0] + in->y[1])
    return 0;
  if (out[2].dtype != ONNXC_DTYPE_FLOAT32 || out[2].rank != 1 ||
      out[2].dims[0] != batch ||
      out[2].size_bytes != sizeof(float) * (size_t)batch)
    return 0;
  const float *x2 = out[0].data, *w = out[2].data;
  for (int64_t b = 0; b < batch; ++b) {
    float row = 0;
    for (int j = 0; j < 3; ++j) {
      if (x2[b * 3 + j] != in->x[b * 3 + j] * 2)
        return 0;
      row += in->x[b * 3 + j];
    }
    if (fabsf(w[b] - (row + in->z[b])) > 1e-5f)
      return 0;
  }
  return 1;
}

static void check_model_info(const onnxc_model *m) {
  const char *name = NULL, *value = NULL, *key = NULL;
  size_t n_in = 0, n_out = 0, n_meta = 0;
  onnxc_tensor_info info;
  check(onnxc_abi_version() == ONNXC_ABI_VERSION, "onnxc_abi_version");
  check(onnxc_dtype_size(ONNXC_DTYPE_FLOAT16) == 2 &&
            onnxc_dtype_size(ONNXC_DTYPE_INT64) == 8 &&
            onnxc_dtype_size(ONNXC_DTYPE_UNDEFINED) == 0,
        "onnxc_dtype_size");
  check(onnxc_model_name(m, &name) == ONNXC_OK &&
            strcmp(name, "fake_model") == 0,
        "model name");
  check(onnxc_model_num_inputs(m, &n_in) == ONNXC_OK && n_in == 3,
        "num inputs");
  check(onnxc_model_num_outputs(m, &n_out) == ONNXC_OK && n_out == 3,
        "num outputs");
  check(onnxc_model_input_info(m, 0, &info) == ONNXC_OK &&
            strcmp(info.name, "x") == 0 && info.rank == 2 &&
            info.dims[0] == -1 && strcmp(info.dim_names[0], "batch") == 0,
        "input info");
  check(onnxc_model_output_info(m, 1, &info) == ONNXC_OK &&
            strcmp(info.name, "ysum") == 0 &&
            info.dtype == ONNXC_DTYPE_INT64,
        "output info");
  check(onnxc_model_metadata(m, "producer", &value) == ONNXC_OK && value &&
            strcmp(value, "fake_model.c") == 0,
        "metadata");
  check(onnxc_model_metadata(m, "absent", &value) == ONNXC_OK && !value,
        "absent metadata");
  check(onnxc_model_num_metadata(m, &n_meta) == ONNXC_OK && n_meta == 2 &&
            onnxc_model_metadata_at(m, 1, &key, &value) == ONNXC_OK &&
            strcmp(key, "description") == 0,
        "metadata by index");
  /* Compile info is its own table: no key leaks from one to the other. */
  check(onnxc_model_compile_info(m, "compiler_flags", &value) == ONNXC_OK &&
            value && strcmp(value, "-O3") == 0,
        "compile info");
  check(onnxc_model_compile_info(m, "producer", &value) == ONNXC_OK && !value,
        "metadata key absent from compile info");
  check(onnxc_model_metadata(m, "model_sha256", &value) == ONNXC_OK && !value,
        "compile info key absent from metadata");
  check(onnxc_model_num_compile_info(m, &n_meta) == ONNXC_OK && n_meta == 2 &&
            onnxc_model_compile_info_at(m, 0, &key, &value) == ONNXC_OK &&
            strcmp(key, "model_sha256") == 0 && strcmp(value, "00") == 0,
        "compile info by index");
  check(onnxc_model_compile_info_at(m, 2, &key, &value) ==
            ONNXC_ERROR_OUT_OF_RANGE,
        "compile info index out of range");
  check(onnxc_model_compile_info(m, NULL, &value) ==
            ONNXC_ERROR_NULL_POINTER,
        "compile info null key");

  onnxc_model other = *m;
  other.abi_version = ONNXC_ABI_VERSION + 1;
  onnxc_session *s = NULL;
  expect_status("abi mismatch", onnxc_model_num_inputs(&other, &n_in),
                ONNXC_ERROR_ABI_MISMATCH, NULL);
  expect_status("abi mismatch compile info",
                onnxc_model_num_compile_info(&other, &n_meta),
                ONNXC_ERROR_ABI_MISMATCH, NULL);
  expect_status("abi mismatch create", onnxc_session_create(&other, &s),
                ONNXC_ERROR_ABI_MISMATCH, NULL);
  check(s == NULL, "no session on abi mismatch");

  /* Every description call: a NULL model, each NULL out-pointer, each
   * index one past the end (and the largest). A failed call must leave
   * its out-pointers alone. */
  expect_status("name of NULL model", onnxc_model_name(NULL, &name),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("name NULL", onnxc_model_name(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("num inputs NULL", onnxc_model_num_inputs(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("num outputs of NULL model",
                onnxc_model_num_outputs(NULL, &n_out),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("num outputs NULL", onnxc_model_num_outputs(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("input info NULL", onnxc_model_input_info(m, 0, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("output info NULL", onnxc_model_output_info(m, 0, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("metadata NULL key", onnxc_model_metadata(m, NULL, &value),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("metadata NULL value",
                onnxc_model_metadata(m, "producer", NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("num metadata NULL", onnxc_model_num_metadata(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("metadata at NULL key",
                onnxc_model_metadata_at(m, 0, NULL, &value),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("metadata at NULL value",
                onnxc_model_metadata_at(m, 0, &key, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("weights path of NULL model",
                onnxc_model_set_weights_path(NULL, "/x.weights"),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("weights path NULL", onnxc_model_set_weights_path(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("weights path empty", onnxc_model_set_weights_path(m, ""),
                ONNXC_ERROR_INVALID_ARGUMENT, NULL);
  expect_status("create NULL session", onnxc_session_create(m, NULL),
                ONNXC_ERROR_NULL_POINTER, NULL);

  memset(&info, 0xab, sizeof info);
  onnxc_tensor_info untouched;
  memset(&untouched, 0xab, sizeof untouched);
  expect_status("input index 3", onnxc_model_input_info(m, 3, &info),
                ONNXC_ERROR_OUT_OF_RANGE, NULL);
  expect_status("input index SIZE_MAX",
                onnxc_model_input_info(m, SIZE_MAX, &info),
                ONNXC_ERROR_OUT_OF_RANGE, NULL);
  expect_status("output index 3", onnxc_model_output_info(m, 3, &info),
                ONNXC_ERROR_OUT_OF_RANGE, NULL);
  check(memcmp(&info, &untouched, sizeof info) == 0,
        "info untouched by a failed call");
  key = value = "untouched";
  expect_status("metadata index 2",
                onnxc_model_metadata_at(m, 2, &key, &value),
                ONNXC_ERROR_OUT_OF_RANGE, NULL);
  check(strcmp(key, "untouched") == 0 && strcmp(value, "untouched") == 0,
        "metadata untouched by a failed call");
  /* A later success clears the thread's message. */
  expect_status("good call clears the message",
                onnxc_model_num_inputs(m, &n_in), ONNXC_OK, NULL);
  printf("model info: done\n");
}

/* Whether the `n` tensors at `t` are all bytes `fill`: a failed run must
 * not write its outputs. */
static int all_bytes(const onnxc_tensor *t, size_t n, unsigned char fill) {
  const unsigned char *p = (const unsigned char *)t;
  for (size_t i = 0; i < n * sizeof *t; ++i)
    if (p[i] != fill)
      return 0;
  return 1;
}

static void check_errors(const onnxc_model *m) {
  onnxc_session *s = NULL;
  inputs in;
  onnxc_tensor out[3];
  make_inputs(&in, 4, 0);
  expect_status("null session", onnxc_session_run(NULL, in.t, 3, out, 3),
                ONNXC_ERROR_NULL_POINTER, NULL);
  expect_status("null model", onnxc_session_create(NULL, &s),
                ONNXC_ERROR_NULL_POINTER, NULL);
  check(s == NULL, "no session for a NULL model");
  expect_status("threads of null session",
                onnxc_session_set_num_threads(NULL, 2),
                ONNXC_ERROR_NULL_POINTER, NULL);
  check(onnxc_session_last_error(NULL) != NULL, "last error of NULL");
  expect_status("create", onnxc_session_create(m, &s), ONNXC_OK, s);

  /* Each bad run: fresh inputs for batch 4, one change, and outputs that
   * are a heap array of exactly the room the call claims (so ASan sees any
   * write past it) filled with a byte the run must not overwrite. */
#define BAD_RUN(name, status, mutate, n_in, n_out)                            \
  do {                                                                        \
    make_inputs(&in, 4, 0);                                                   \
    mutate;                                                                   \
    onnxc_tensor *o = malloc(sizeof(onnxc_tensor) * ((n_out) ? (n_out) : 1)); \
    memset(o, 0x5a, sizeof(onnxc_tensor) * (n_out));                          \
    expect_status(name, onnxc_session_run(s, in.t, n_in, o, n_out), status,   \
                  s);                                                         \
    check(all_bytes(o, n_out, 0x5a), name ": outputs untouched");             \
    free(o);                                                                  \
  } while (0)

  /* Counts. */
  BAD_RUN("wrong input count", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 2, 3);
  BAD_RUN("too many inputs", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 4, 3);
  BAD_RUN("no inputs", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 0, 3);
  BAD_RUN("wrong output count", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 3, 2);
  BAD_RUN("too many outputs", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 3, 4);
  BAD_RUN("no outputs", ONNXC_ERROR_COUNT_MISMATCH, (void)0, 3, 0);
  /* NULL arrays and data. */
  expect_status("null inputs", onnxc_session_run(s, NULL, 3, out, 3),
                ONNXC_ERROR_NULL_POINTER, s);
  expect_status("null outputs", onnxc_session_run(s, in.t, 3, NULL, 3),
                ONNXC_ERROR_NULL_POINTER, s);
  BAD_RUN("null data", ONNXC_ERROR_NULL_POINTER, in.t[0].data = NULL, 3, 3);
  BAD_RUN("null data of last input", ONNXC_ERROR_NULL_POINTER,
          in.t[2].data = NULL, 3, 3);
  /* Dtypes. */
  BAD_RUN("wrong dtype", ONNXC_ERROR_DTYPE_MISMATCH,
          in.t[1].dtype = ONNXC_DTYPE_FLOAT32, 3, 3);
  BAD_RUN("same size, other dtype", ONNXC_ERROR_DTYPE_MISMATCH,
          in.t[0].dtype = ONNXC_DTYPE_INT32, 3, 3);
  BAD_RUN("undefined dtype", ONNXC_ERROR_DTYPE_MISMATCH,
          in.t[0].dtype = ONNXC_DTYPE_UNDEFINED, 3, 3);
  BAD_RUN("unknown dtype", ONNXC_ERROR_DTYPE_MISMATCH,
          in.t[2].dtype = (onnxc_dtype)999, 3, 3);
  /* Ranks and dims. */
  BAD_RUN("wrong rank", ONNXC_ERROR_SHAPE_MISMATCH, in.t[0].rank = 3, 3, 3);
  BAD_RUN("rank 0", ONNXC_ERROR_SHAPE_MISMATCH, in.t[1].rank = 0, 3, 3);
  BAD_RUN("negative rank", ONNXC_ERROR_SHAPE_MISMATCH, in.t[2].rank = -1, 3,
          3);
  BAD_RUN("rank past ONNXC_MAX_RANK", ONNXC_ERROR_SHAPE_MISMATCH,
          in.t[0].rank = INT32_MAX, 3, 3);
  BAD_RUN("wrong static dim", ONNXC_ERROR_SHAPE_MISMATCH,
          (in.t[0].dims[0] = 3, in.t[0].dims[1] = 4), 3, 3);
  BAD_RUN("zero static dim", ONNXC_ERROR_SHAPE_MISMATCH,
          (in.t[1].dims[0] = 0, in.t[1].size_bytes = 0), 3, 3);
  BAD_RUN("inconsistent symbolic dim", ONNXC_ERROR_SHAPE_MISMATCH,
          (in.t[2].dims[0] = 3, in.t[2].size_bytes = 12), 3, 3);
  BAD_RUN("negative dim", ONNXC_ERROR_INVALID_DIM, in.t[2].dims[0] = -4, 3,
          3);
  BAD_RUN("negative static dim", ONNXC_ERROR_INVALID_DIM,
          in.t[0].dims[1] = -3, 3, 3);
  BAD_RUN("INT64_MIN dim", ONNXC_ERROR_INVALID_DIM,
          in.t[0].dims[0] = INT64_MIN, 3, 3);
  BAD_RUN("huge dims", ONNXC_ERROR_INVALID_DIM,
          (in.t[0].dims[0] = INT64_MAX / 2, in.t[2].dims[0] = INT64_MAX / 2),
          3, 3);
  /* Elements fit an int64 (INT64_MAX / 4 * 3), bytes do not. */
  BAD_RUN("bytes overflow", ONNXC_ERROR_INVALID_DIM,
          (in.t[0].dims[0] = INT64_MAX / 4, in.t[2].dims[0] = INT64_MAX / 4),
          3, 3);
  /* size_bytes. */
  BAD_RUN("size_bytes mismatch", ONNXC_ERROR_SIZE_MISMATCH,
          in.t[0].size_bytes -= 4, 3, 3);
  BAD_RUN("size_bytes one short", ONNXC_ERROR_SIZE_MISMATCH,
          in.t[1].size_bytes -= 1, 3, 3);
  BAD_RUN("size_bytes zero", ONNXC_ERROR_SIZE_MISMATCH,
          in.t[2].size_bytes = 0, 3, 3);
  BAD_RUN("size_bytes too large", ONNXC_ERROR_SIZE_MISMATCH,
          in.t[0].size_bytes += 4, 3, 3);
  BAD_RUN("size_bytes SIZE_MAX", ONNXC_ERROR_SIZE_MISMATCH,
          in.t[0].size_bytes = SIZE_MAX, 3, 3);
#undef BAD_RUN

  /* A failed run leaves the previous outputs alone. */
  make_inputs(&in, 2, 1);
  expect_status("good run", onnxc_session_run(s, in.t, 3, out, 3), ONNXC_OK,
                s);
  in.t[1].dtype = ONNXC_DTYPE_INT32;
  onnxc_session_run(s, in.t, 3, out, 3);
  in.t[1].dtype = ONNXC_DTYPE_INT64;
  check(results_ok(&in, 2, out), "outputs survive a failed run");
  check(onnxc_session_last_error(s)[0] != '\0', "message kept");

  expect_status("negative threads", onnxc_session_set_num_threads(s, -1),
                ONNXC_ERROR_INVALID_ARGUMENT, s);
  expect_status("threads", onnxc_session_set_num_threads(s, 3), ONNXC_OK, s);
  check(onnxc_internal_session_num_threads(s) == 3, "3 threads");
  setenv("ONNXC_NUM_THREADS", "5", 1);
  onnxc_session_set_num_threads(s, 0);
  check(onnxc_internal_session_num_threads(s) == 5, "ONNXC_NUM_THREADS=5");
  setenv("ONNXC_NUM_THREADS", "zero", 1);
  onnxc_session_set_num_threads(s, 0);
  check(onnxc_internal_session_num_threads(s) >= 1, "default threads");
  unsetenv("ONNXC_NUM_THREADS");
  onnxc_session_destroy(s);
  /* NULL is ignored, however often. */
  onnxc_session_destroy(NULL);
  onnxc_session_destroy(NULL);
}

static void check_results(const onnxc_model *m) {
  onnxc_session *s = NULL;
  inputs in;
  onnxc_tensor out[3];
  check(onnxc_session_create(m, &s) == ONNXC_OK, "create");
  static const int64_t batches[] = {1, 4, 0, 64, 1};
  for (size_t i = 0; i < sizeof batches / sizeof batches[0]; ++i) {
    int64_t batch = batches[i];
    make_inputs(&in, batch, (int)i);
    if (batch == 0)
      in.t[0].data = in.t[2].data = NULL; /* no elements: no data needed */
    onnxc_status st = onnxc_session_run(s, in.t, 3, out, 3);
    int ok = st == ONNXC_OK && results_ok(&in, batch, out);
    printf("batch %lld: %s\n", (long long)batch, ok ? "ok" : "WRONG");
    if (!ok) {
      printf("FAIL: batch %lld: status %d: %s\n", (long long)batch, (int)st,
             onnxc_session_last_error(s));
      ++failures;
    }
  }
  onnxc_session_destroy(s);
}

typedef struct worker {
  const onnxc_model *model;
  int seed;
  int wrong;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  onnxc_session *s = NULL;
  inputs in;
  onnxc_tensor out[3];
  if (onnxc_session_create(w->model, &s) != ONNXC_OK) {
    w->wrong = -1;
    return NULL;
  }
  onnxc_session_set_num_threads(s, 1);
  for (int i = 0; i < 2000; ++i) {
    int64_t batch = 1 + (i * 7 + w->seed) % 16;
    make_inputs(&in, batch, w->seed + i % 5);
    if (onnxc_session_run(s, in.t, 3, out, 3) != ONNXC_OK ||
        !results_ok(&in, batch, out))
      ++w->wrong;
  }
  onnxc_session_destroy(s);
  return NULL;
}

static void check_threads(const onnxc_model *m) {
  worker w[2] = {{m, 1, 0}, {m, 2, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; ++i)
    if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
      w[i].wrong = -1;
  for (int i = 0; i < 2; ++i)
    pthread_join(t[i], NULL);
  int ok = w[0].wrong == 0 && w[1].wrong == 0;
  printf("two threads: %s\n", ok ? "ok" : "WRONG");
  check(ok, "two sessions on two threads");
}

int main(void) {
  const onnxc_model *m = fake_model_model();
  check_model_info(m);
  check_errors(m);
  check_results(m);
  check_threads(m);
  printf("bad calls tried, by status:");
  int total = 0;
  for (int i = 1; i < NUM_STATUSES; ++i)
    if (tried[i]) {
      printf(" %s %d,", status_names[i], tried[i]);
      total += tried[i];
    }
  printf(" %d in all\n", total);
  if (failures) {
    printf("%d checks failed\n", failures);
    return 1;
  }
  printf("all checks passed\n");
  return 0;
}
