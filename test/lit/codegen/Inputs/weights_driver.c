/* Drives two static libraries of one model linked into one program: `wm`
 * compiled with --weights=external and `wm_emb` with embedded weights.
 *
 *   weights_driver                 the default weights path (<program>.weights)
 *   weights_driver GOOD_PATH       onnxc_model_set_weights_path: a missing
 *                                  file first, then GOOD_PATH; eight threads
 *                                  race to create the first session
 *
 * Every run of `wm` must give the same outputs as `wm_emb`. Prints one line
 * per check and exits 1 on any failure. */

#include "onnx-compile/onnxc_runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

const onnxc_model *wm_model(void);
const onnxc_model *wm_emb_model(void);

enum { kThreads = 8 };
static float input[2 * 256];
static float expected[2 * 64];
static int failures;

/* One session of `model`, one run; 0 when the output matches `expected`
 * (or fills it, when `fill`). */
static int run_model(const onnxc_model *model, int fill, char *why,
                     size_t why_size) {
  onnxc_session *s = NULL;
  onnxc_status st = onnxc_session_create(model, &s);
  if (st != ONNXC_OK) {
    snprintf(why, why_size, "create: status %d: %s", (int)st,
             onnxc_last_error());
    return 1;
  }
  onnxc_tensor in = {ONNXC_DTYPE_FLOAT32, 2, {2, 256}, input, sizeof input};
  onnxc_tensor out;
  st = onnxc_session_run(s, &in, 1, &out, 1);
  int bad = st != ONNXC_OK || out.size_bytes != sizeof expected;
  if (!bad && fill)
    memcpy(expected, out.data, sizeof expected);
  for (int i = 0; !bad && i < 2 * 64; ++i)
    bad = fabsf(((const float *)out.data)[i] - expected[i]) >
          1e-5f * (1 + fabsf(expected[i]));
  snprintf(why, why_size, "run: status %d%s", (int)st,
           bad ? ", wrong output" : "");
  onnxc_session_destroy(s);
  return bad;
}

static void *thread_main(void *arg) {
  char *why = arg;
  return (void *)(long)run_model(wm_model(), 0, why, 256);
}

static void expect(const char *what, onnxc_status got, onnxc_status want) {
  printf("%s: status %d: %s\n", what, (int)got, onnxc_last_error());
  if (got != want) {
    printf("FAIL: %s: expected status %d\n", what, (int)want);
    ++failures;
  }
}

int main(int argc, char **argv) {
  for (int i = 0; i < 2 * 256; ++i)
    input[i] = (float)((i * 7) % 23 - 11) / 11.0f;
  char why[256];
  if (run_model(wm_emb_model(), 1, why, sizeof why)) {
    printf("FAIL: embedded model: %s\n", why);
    return 1;
  }

  if (argc == 1) {
    int bad = run_model(wm_model(), 0, why, sizeof why);
    printf("default path: %s\n", bad ? why : "ok");
    return bad;
  }

  expect("set missing path",
         onnxc_model_set_weights_path(wm_model(), "/nonexistent/wm.weights"),
         ONNXC_OK);
  onnxc_session *s = NULL;
  expect("create with missing file", onnxc_session_create(wm_model(), &s),
         ONNXC_ERROR_INVALID_ARGUMENT);
  expect("set good path", onnxc_model_set_weights_path(wm_model(), argv[1]),
         ONNXC_OK);

  pthread_t threads[kThreads];
  char whys[kThreads][256];
  for (int t = 0; t < kThreads; ++t)
    pthread_create(&threads[t], NULL, thread_main, whys[t]);
  int bad = 0;
  for (int t = 0; t < kThreads; ++t) {
    void *result;
    pthread_join(threads[t], &result);
    if (result) {
      printf("FAIL: thread %d: %s\n", t, whys[t]);
      ++bad;
    }
  }
  printf("%d threads: %s\n", kThreads, bad ? "FAILED" : "ok");
  failures += bad;

  expect("set path after loading",
         onnxc_model_set_weights_path(wm_model(), argv[1]),
         ONNXC_ERROR_INVALID_ARGUMENT);
  expect("set path of embedded model",
         onnxc_model_set_weights_path(wm_emb_model(), argv[1]),
         ONNXC_ERROR_INVALID_ARGUMENT);
  expect("set NULL path", onnxc_model_set_weights_path(wm_model(), NULL),
         ONNXC_ERROR_NULL_POINTER);
  printf("%s\n", failures ? "FAILED" : "all checks passed");
  return failures != 0;
}
