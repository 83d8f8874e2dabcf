/*===- fake_model.c - A hand-written model library for runtime tests ------===
 *
 * Stands in for what onnx-compile emits (see runtime/onnxc_model_desc.h), so
 * the runtime shim and onnx-run can be tested without the compiler:
 *
 *   inputs:  x float32 [batch, 3], y int64 [2], z float32 [batch]
 *   outputs: x2   float32 [batch, 3] = x * 2
 *            ysum int64   [1]        = y[0] + y[1]
 *            w    float32 [batch]    = sum(x, axis 1) + z
 *
 * run_packed reads and writes raw memref descriptors exactly as generated
 * code does, and mallocs every result.
 *
 *===----------------------------------------------------------------------===*/

#include "runtime/onnxc_model_desc.h"

#include <stdlib.h>

static const int64_t x_dims[] = {-1, 3};
static const char *const x_names[] = {"batch", ""};
static const int64_t y_dims[] = {2};
static const char *const y_names[] = {""};
static const int64_t z_dims[] = {-1};
static const char *const z_names[] = {"batch"};
static const int64_t ysum_dims[] = {1};
static const char *const ysum_names[] = {""};

static const onnxc_tensor_info inputs[] = {
    {"x", ONNXC_DTYPE_FLOAT32, 2, x_dims, x_names},
    {"y", ONNXC_DTYPE_INT64, 1, y_dims, y_names},
    {"z", ONNXC_DTYPE_FLOAT32, 1, z_dims, z_names},
};

static const onnxc_tensor_info outputs[] = {
    {"x2", ONNXC_DTYPE_FLOAT32, 2, x_dims, x_names},
    {"ysum", ONNXC_DTYPE_INT64, 1, ysum_dims, ysum_names},
    {"w", ONNXC_DTYPE_FLOAT32, 1, z_dims, z_names},
};

static const onnxc_metadata_entry metadata[] = {
    {"producer", "fake_model.c"},
    {"description", "x*2, sum(y), rowsum(x)+z"},
};

/* Descriptor fields, as int64 words. */
#define ALIGNED(d) ((void *)(intptr_t)(d)[1])
#define OFFSET(d) ((d)[2])
#define SIZE(d, i) ((d)[3 + (i)])
#define STRIDE(d, rank, i) ((d)[3 + (rank) + (i)])

static void set_result(int64_t *d, void *buffer, int32_t rank,
                       const int64_t *sizes) {
  d[0] = d[1] = (int64_t)(intptr_t)buffer;
  d[2] = 0;
  int64_t stride = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    d[3 + i] = sizes[i];
    d[3 + rank + i] = stride;
    stride *= sizes[i];
  }
}

static void fake_run_packed(void **args) {
  int64_t *results = args[0];
  const int64_t *x = args[1], *y = args[2], *z = args[3];
  const float *xd = (const float *)ALIGNED(x) + OFFSET(x);
  const int64_t *yd = (const int64_t *)ALIGNED(y) + OFFSET(y);
  const float *zd = (const float *)ALIGNED(z) + OFFSET(z);
  int64_t batch = SIZE(x, 0);

  int64_t *x2_desc = results;
  int64_t *ysum_desc = x2_desc + ONNXC_DESCRIPTOR_WORDS(2);
  int64_t *w_desc = ysum_desc + ONNXC_DESCRIPTOR_WORDS(1);

  float *x2 = malloc(sizeof(float) * (size_t)(batch * 3));
  int64_t *ysum = malloc(sizeof(int64_t));
  float *w = malloc(sizeof(float) * (size_t)batch);
  for (int64_t b = 0; b < batch; ++b) {
    float row = 0;
    for (int64_t j = 0; j < 3; ++j) {
      float v = xd[b * STRIDE(x, 2, 0) + j * STRIDE(x, 2, 1)];
      x2[b * 3 + j] = v * 2;
      row += v;
    }
    w[b] = row + zd[b * STRIDE(z, 1, 0)];
  }
  ysum[0] = yd[0] + yd[STRIDE(y, 1, 0)];

  int64_t x2_sizes[] = {batch, 3}, ysum_sizes[] = {1}, w_sizes[] = {batch};
  set_result(x2_desc, x2, 2, x2_sizes);
  set_result(ysum_desc, ysum, 1, ysum_sizes);
  set_result(w_desc, w, 1, w_sizes);
}

static const onnxc_metadata_entry compile_info[] = {
    {"model_sha256", "00"},
    {"compiler_flags", "-O3"},
};

static const onnxc_model fake_model = {
    .abi_version = ONNXC_ABI_VERSION,
    .num_inputs = 3,
    .num_outputs = 3,
    .num_metadata = 2,
    .name = "fake_model",
    .inputs = inputs,
    .outputs = outputs,
    .metadata = metadata,
    .run_packed = fake_run_packed,
    .num_compile_info = 2,
    .compile_info = compile_info,
};

/* What the per-model header declares, and what shared libraries export. */
const onnxc_model *fake_model_model(void) { return &fake_model; }
const onnxc_model *onnxc_model_get(void) { return &fake_model; }
