/* Drives a model library built from make_threads_model.py, linked with
 * -fopenmp (libomp): how many threads do its runs start?
 *
 *   threads_driver          prints what it sees; exits 1 on a wrong result
 *
 * libomp keeps the threads of a team alive after the region, so the number
 * of threads of the process (/proc/self/task) after a run is how many the
 * run used, or the largest team before it. */

#include "onnx-compile/onnxc_runtime.h"

#include <dirent.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* onnxc_model_get of a shared library, or -DMODEL_GET=<name>_model for a
 * static one. */
#ifndef MODEL_GET
#define MODEL_GET onnxc_model_get
#endif
const onnxc_model *MODEL_GET(void);

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    printf("FAIL: %s\n", what);
    ++failures;
  }
}

static int process_threads(void) {
  DIR *dir = opendir("/proc/self/task");
  int n = 0;
  if (!dir)
    return -1;
  for (struct dirent *e; (e = readdir(dir));)
    n += e->d_name[0] != '.';
  closedir(dir);
  return n;
}

static float x[2 * 16 * 20 * 20], z[5 * 600];

/* Runs `s` and returns a copy of output 1 (the product with a run-time row
 * count), or NULL on failure. */
static float *run(onnxc_session *s) {
  onnxc_tensor in[2] = {
      {.dtype = ONNXC_DTYPE_FLOAT32, .rank = 4, .dims = {2, 16, 20, 20},
       .data = x, .size_bytes = sizeof x},
      {.dtype = ONNXC_DTYPE_FLOAT32, .rank = 2, .dims = {5, 600},
       .data = z, .size_bytes = sizeof z}};
  onnxc_tensor out[2];
  if (onnxc_session_run(s, in, 2, out, 2) != ONNXC_OK) {
    printf("FAIL: run: %s\n", onnxc_session_last_error(s));
    return NULL;
  }
  float *copy = malloc(out[1].size_bytes);
  memcpy(copy, out[1].data, out[1].size_bytes);
  return copy;
}

int main(void) {
  for (size_t i = 0; i < sizeof x / sizeof *x; ++i)
    x[i] = (float)((i * 7919) % 113) / 113.0f - 0.5f;
  for (size_t i = 0; i < sizeof z / sizeof *z; ++i)
    z[i] = (float)((i * 104729) % 97) / 97.0f - 0.5f;
  const onnxc_model *m = MODEL_GET();
  onnxc_session *s[3];
  for (int i = 0; i < 3; ++i)
    if (onnxc_session_create(m, &s[i]) != ONNXC_OK) {
      printf("FAIL: create: %s\n", onnxc_last_error());
      return 1;
    }

  onnxc_session_set_num_threads(s[0], 1);
  float *serial = run(s[0]);
  printf("threads after a 1-thread run: %d\n", process_threads());

  onnxc_session_set_num_threads(s[0], 3);
  float *three = run(s[0]);
  printf("threads after a 3-thread run: %d\n", process_threads());
  check(serial && three && memcmp(serial, three, 5 * 520 * 4) == 0,
        "3 threads compute what 1 does");

  /* The host's own parallel region, with nested parallelism allowed: runs
   * called inside it must not start teams of their own. */
  omp_set_max_active_levels(4);
  onnxc_session_set_num_threads(s[1], 4);
  onnxc_session_set_num_threads(s[2], 4);
  float *nested[2] = {NULL, NULL};
#pragma omp parallel num_threads(2)
  nested[omp_get_thread_num()] = run(s[1 + omp_get_thread_num()]);
  printf("threads after 4-thread runs inside a 2-thread region: %d\n",
         process_threads());
  for (int i = 0; i < 2; ++i)
    check(nested[i] && serial && memcmp(serial, nested[i], 5 * 520 * 4) == 0,
          "runs inside the host's region compute what 1 thread does");

  /* Outside the host's region again, the session's count holds. */
  printf("session threads: %d\n", onnxc_session_num_threads(s[1]));
  for (int i = 0; i < 3; ++i)
    onnxc_session_destroy(s[i]);
  free(serial);
  free(three);
  free(nested[0]);
  free(nested[1]);
  printf("%s\n", failures ? "FAILED" : "done");
  return failures != 0;
}
