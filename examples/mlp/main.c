/* Runs the example MLP from a compiled model library: link libmlp.a (or
 * libmlp.so), include the generated mlp.h, and call the model through its C
 * API. Nothing else is needed at run time: no Python, protobuf or MLIR. */

#include "mlp.h"

#include <stdio.h>

int main(void) {
  onnxc_session *session = NULL;
  onnxc_status status = onnxc_session_create(mlp_model(), &session);
  if (status != ONNXC_OK) {
    fprintf(stderr, "cannot create a session (status %d)\n", (int)status);
    return 1;
  }

  /* A batch of two inputs of 64 features. */
  float input[2 * 64];
  for (int i = 0; i < 2 * 64; ++i)
    input[i] = (float)((i % 13) - 6) / 6.0f;
  const int64_t input_dims[2] = {2, 64};

  onnxc_tensor outputs[MLP_NUM_OUTPUTS];
  status = mlp_run(session, input, input_dims, outputs);
  if (status != ONNXC_OK) {
    fprintf(stderr, "run failed: %s\n", onnxc_session_last_error(session));
    onnxc_session_destroy(session);
    return 1;
  }

  const float *probabilities = (const float *)outputs[0].data;
  for (int64_t row = 0; row < outputs[0].dims[0]; ++row) {
    float sum = 0.0f;
    int best = 0;
    printf("row %lld:", (long long)row);
    for (int64_t c = 0; c < outputs[0].dims[1]; ++c) {
      float p = probabilities[row * outputs[0].dims[1] + c];
      printf(" %.4f", p);
      sum += p;
      if (p > probabilities[row * outputs[0].dims[1] + best])
        best = (int)c;
    }
    printf("  (sum %.4f, class %d)\n", sum, best);
  }

  /* A wrong input is refused with a status, not a crash. */
  const int64_t bad_dims[2] = {2, 63};
  status = mlp_run(session, input, bad_dims, outputs);
  printf("wrong shape -> status %d: %s\n", (int)status,
         onnxc_session_last_error(session));

  onnxc_session_destroy(session);
  return 0;
}
