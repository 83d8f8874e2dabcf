/* Runs the example MLP that onnx_compile_model() compiled at build time:
 * mlp.h is the header onnx-compile generated, libmlp.a the library. */

#include "mlp.h"

#include <stdio.h>

int main(void) {
  onnxc_session *session = NULL;
  onnxc_status status = onnxc_session_create(mlp_model(), &session);
  if (status != ONNXC_OK) {
    fprintf(stderr, "cannot create a session (status %d)\n", (int)status);
    return 1;
  }

  /* A batch of two inputs of 64 features, as in examples/mlp/main.c. */
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

  const float *p = (const float *)outputs[0].data;
  for (int64_t row = 0; row < outputs[0].dims[0]; ++row) {
    printf("row %lld:", (long long)row);
    for (int64_t c = 0; c < outputs[0].dims[1]; ++c)
      printf(" %.4f", p[row * outputs[0].dims[1] + c]);
    printf("\n");
  }
  onnxc_session_destroy(session);
  return 0;
}
