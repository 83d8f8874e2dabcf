/*===- onnxc_runtime.h - The C ABI of onnx-compile model libraries ---------===
 *
 * Every model library built by onnx-compile exposes its model through this
 * ABI. The per-model header <name>.h that onnx-compile writes declares
 * `const onnxc_model *<name>_model(void);`; a shared library also exports
 * `onnxc_model_get` (see below) so tools can dlopen it without knowing the
 * name.
 *
 * Rules:
 *  - Every function returns an onnxc_status; details of the last failure of
 *    a session are fetched with onnxc_session_last_error(), those of a call
 *    without a session (onnxc_model_*, onnxc_session_create) with
 *    onnxc_last_error(). Every pointer argument is checked for NULL, every
 *    count and index against the model; a failed call writes nothing
 *    through its output pointers but the NULLing of *session.
 *  - A model is immutable and shared; it owns the weights. A session owns
 *    its scratch memory and outputs, so different sessions may run
 *    concurrently from different threads; one session must not be used by
 *    two threads at once.
 *  - Memory the library hands out, the library frees.
 *  - A library compiled with `onnx-compile --weights=external` reads its
 *    weights from a separate file, `<library>.weights`, when the first
 *    session of its model is created (see onnxc_model_set_weights_path).
 *
 *===----------------------------------------------------------------------===*/

#ifndef ONNXC_RUNTIME_H
#define ONNXC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of this header. */
#define ONNXC_ABI_VERSION 5

typedef enum onnxc_status {
  ONNXC_OK = 0,
  /* An argument is wrong in a way none of the codes below names: a
   * negative thread count, an empty weights path, a missing or corrupt
   * weights file, a malformed model descriptor. */
  ONNXC_ERROR_INVALID_ARGUMENT = 1,
  ONNXC_ERROR_DTYPE_MISMATCH = 2,   /* a tensor's dtype is not the input's */
  ONNXC_ERROR_SHAPE_MISMATCH = 3,   /* a tensor's rank or a dim does not fit */
  ONNXC_ERROR_OUT_OF_MEMORY = 4,
  ONNXC_ERROR_ABI_MISMATCH = 5,     /* library and header versions differ */
  ONNXC_ERROR_RUNTIME = 6,          /* the model failed while running */
  ONNXC_ERROR_UNSUPPORTED = 7,      /* e.g. a device that is not present */
  /* Finer codes for what INVALID_ARGUMENT used to cover; a value, once
   * given, never changes (callers may store or compare them). */
  ONNXC_ERROR_NULL_POINTER = 8,     /* a pointer argument (or the data of a
                                       non-empty input) is NULL */
  ONNXC_ERROR_COUNT_MISMATCH = 9,   /* num_inputs/num_outputs is not the
                                       model's */
  ONNXC_ERROR_INVALID_DIM = 10,     /* a dim is negative, or the shape has
                                       more bytes than memory can address */
  ONNXC_ERROR_SIZE_MISMATCH = 11,   /* an input's size_bytes is not
                                       elements * onnxc_dtype_size(dtype) */
  ONNXC_ERROR_OUT_OF_RANGE = 12     /* an input/output/metadata index is
                                       past the model's count */
} onnxc_status;

/* Element types; the values are ONNX's TensorProto.DataType. */
typedef enum onnxc_dtype {
  ONNXC_DTYPE_UNDEFINED = 0,
  ONNXC_DTYPE_FLOAT32 = 1,
  ONNXC_DTYPE_UINT8 = 2,
  ONNXC_DTYPE_INT8 = 3,
  ONNXC_DTYPE_UINT16 = 4,
  ONNXC_DTYPE_INT16 = 5,
  ONNXC_DTYPE_INT32 = 6,
  ONNXC_DTYPE_INT64 = 7,
  ONNXC_DTYPE_BOOL = 9, /* one byte per element, 0 or 1 */
  ONNXC_DTYPE_FLOAT16 = 10,
  ONNXC_DTYPE_FLOAT64 = 11,
  ONNXC_DTYPE_UINT32 = 12,
  ONNXC_DTYPE_UINT64 = 13,
  ONNXC_DTYPE_BFLOAT16 = 16
} onnxc_dtype;

/* The largest rank a model input or output may have. */
#define ONNXC_MAX_RANK 16

/* What a model says about one input or output. dims[i] is -1 where the
 * dimension is dynamic; dim_names[i] is its symbolic name or "". */
typedef struct onnxc_tensor_info {
  const char *name;
  onnxc_dtype dtype;
  int32_t rank;
  const int64_t *dims;
  const char *const *dim_names;
} onnxc_tensor_info;

/* A tensor passed to or returned from a run: dense, row-major. */
typedef struct onnxc_tensor {
  onnxc_dtype dtype;
  int32_t rank;
  int64_t dims[ONNXC_MAX_RANK];
  void *data;
  size_t size_bytes; /* of data */
} onnxc_tensor;

typedef struct onnxc_model onnxc_model;
typedef struct onnxc_session onnxc_session;

/* The ABI version this library was built with (ONNXC_ABI_VERSION). */
uint32_t onnxc_abi_version(void);

/* Size in bytes of one element of `dtype`, 0 for an unknown dtype. */
size_t onnxc_dtype_size(onnxc_dtype dtype);

/* Model description. */
onnxc_status onnxc_model_name(const onnxc_model *model, const char **name);
onnxc_status onnxc_model_num_inputs(const onnxc_model *model, size_t *count);
onnxc_status onnxc_model_num_outputs(const onnxc_model *model, size_t *count);
onnxc_status onnxc_model_input_info(const onnxc_model *model, size_t index,
                                    onnxc_tensor_info *info);
onnxc_status onnxc_model_output_info(const onnxc_model *model, size_t index,
                                     onnxc_tensor_info *info);
/* The model's metadata_props; `*value` is NULL when `key` is absent. */
onnxc_status onnxc_model_metadata(const onnxc_model *model, const char *key,
                                  const char **value);
/* The same entries by position, so tools can list them without knowing the
 * keys. */
onnxc_status onnxc_model_num_metadata(const onnxc_model *model,
                                      size_t *count);
onnxc_status onnxc_model_metadata_at(const onnxc_model *model, size_t index,
                                     const char **key, const char **value);

/* How the library was made, a key/value table apart from the model's
 * metadata_props. Every library has these keys (a value is "" where the
 * model does not say):
 *   model_sha256      SHA-256 (64 lowercase hex digits) of the .onnx file's
 *                     bytes (not of external data files)
 *   producer_name     the model's producer_name ("pytorch")
 *   producer_version  the model's producer_version ("2.1.0")
 *   ir_version        the model's ONNX IR version ("8")
 *   opsets            domain:version pairs, comma-separated, sorted by
 *                     domain ("ai.onnx:17,ai.onnx.ml:3")
 *   compiler_version  onnx-compile's version ("0.1.0")
 *   compiler_flags    the options that shape the code, in a fixed form
 *                     ("-O3 --weights=embedded --shape x=1x3 --dim batch=1");
 *                     no paths, so identical builds stay identical
 *   target            the target triple ("x86_64-unknown-linux-gnu")
 *   cpu               the CPU the code was tuned for ("znver4", "generic")
 * `*value` is NULL when `key` is absent. */
onnxc_status onnxc_model_compile_info(const onnxc_model *model,
                                      const char *key, const char **value);
onnxc_status onnxc_model_num_compile_info(const onnxc_model *model,
                                          size_t *count);
onnxc_status onnxc_model_compile_info_at(const onnxc_model *model,
                                         size_t index, const char **key,
                                         const char **value);

/* External weights (onnx-compile --weights=external). The first
 * onnxc_session_create of such a model maps its weights file read-only,
 * once per process: by default `<path of the library>.weights`, the path
 * dladdr() gives for the library that holds the model (for a static
 * library linked into a program, the program's path). This sets another
 * path; call it before the model's first session is created. Fails with
 * ONNXC_ERROR_INVALID_ARGUMENT once the weights are loaded, or when the
 * model's weights are embedded (nothing to load). The path is copied. */
onnxc_status onnxc_model_set_weights_path(const onnxc_model *model,
                                          const char *path);

/* Sessions. A model with external weights fails to create its first
 * session when the weights file is missing, unreadable, truncated or from
 * another compilation; the reason is then in onnxc_last_error(). */
onnxc_status onnxc_session_create(const onnxc_model *model,
                                  onnxc_session **session);
/* Frees the session and its outputs. NULL is ignored (so destroying a NULL
 * session twice is fine); using or destroying a session after it was
 * destroyed is undefined. */
void onnxc_session_destroy(onnxc_session *session);
/* Threads this session may use for one run; 0 picks the default
 * (ONNXC_NUM_THREADS, else the number of cores). */
onnxc_status onnxc_session_set_num_threads(onnxc_session *session,
                                           int32_t num_threads);
/* The threads a run of this session may use, resolved (never 0 for a
 * session; 0 for NULL). A run called from inside an OpenMP parallel region
 * uses one thread, whatever this says. */
int32_t onnxc_session_num_threads(const onnxc_session *session);
/* Runs the model. Before anything runs, the arguments are checked, and the
 * first problem found is reported with its own status and a message naming
 * the input: session, inputs or outputs NULL (NULL_POINTER); num_inputs or
 * num_outputs not the model's (COUNT_MISMATCH); an input's dtype
 * (DTYPE_MISMATCH); its rank, a static dim, or a symbolic dim that differs
 * from an earlier use of its name (SHAPE_MISMATCH); a negative dim, or a
 * shape too large to address (INVALID_DIM); size_bytes not exactly
 * elements * onnxc_dtype_size(dtype) (SIZE_MISMATCH); data NULL for a
 * non-empty input (NULL_POINTER). A dim of 0 is legal, as in ONNX: the
 * outputs that depend on it are empty (their data may be NULL). A failed
 * check leaves the previous run's outputs valid and `outputs` untouched.
 * On success outputs[i] describes the i-th output; its data belongs to the
 * session and stays valid until the next run or destroy. */
onnxc_status onnxc_session_run(onnxc_session *session,
                               const onnxc_tensor *inputs, size_t num_inputs,
                               onnxc_tensor *outputs, size_t num_outputs);
/* A message for the last failure of this session ("" if none); valid until
 * the next call on the session. */
const char *onnxc_session_last_error(const onnxc_session *session);

/* Devices. A library compiled with `onnx-compile --target=x86_64,cuda`
 * holds CPU code and CUDA code (PTX); every other library CPU code only.
 * Which one a session runs is decided when it is created:
 *   ONNXC_DEVICE_AUTO  the GPU when it is usable, else the CPU. "Usable"
 *                      means: the library has CUDA code, libcuda.so.1
 *                      loads (it is opened at run time; no library links
 *                      it), cuInit succeeds, there is a device, and the
 *                      PTX JIT-compiles and loads, and the weights
 *                      fit in device memory. The environment
 *                      variable ONNXC_DEVICE=cpu|cuda|auto overrides AUTO
 *                      (an explicit CPU or CUDA request is not overridden).
 *   ONNXC_DEVICE_CPU   the CPU, without touching CUDA at all.
 *   ONNXC_DEVICE_CUDA  the GPU, or session creation fails with
 *                      ONNXC_ERROR_UNSUPPORTED and the reason in
 *                      onnxc_last_error().
 * A GPU session holds the weights on the device (uploaded at creation)
 * and an arena of device memory its runs reuse; each run copies the
 * inputs to the device and the outputs back, so tensors given to and got
 * from onnxc_session_run are host memory on every device. A failure on
 * the GPU during a run is ONNXC_ERROR_RUNTIME, with the CUDA error's name
 * in onnxc_session_last_error(). */
typedef enum onnxc_device {
  ONNXC_DEVICE_AUTO = 0,
  ONNXC_DEVICE_CPU = 1,
  ONNXC_DEVICE_CUDA = 2
} onnxc_device;

/* Whether the library has code for `device` (CPU: always; CUDA: when it
 * was compiled with --target=x86_64,cuda). ONNXC_DEVICE_AUTO is an invalid
 * argument. */
onnxc_status onnxc_model_has_device(const onnxc_model *model,
                                    onnxc_device device, int *has);
/* onnxc_session_create on the `requested` device (above). */
onnxc_status onnxc_session_create_on_device(const onnxc_model *model,
                                            onnxc_device requested,
                                            onnxc_session **session);
/* The device the session runs on: ONNXC_DEVICE_CPU or ONNXC_DEVICE_CUDA. */
onnxc_status onnxc_session_device(const onnxc_session *session,
                                  onnxc_device *device);
/* Why the session runs where it does, for a person to read: the reason a
 * GPU was not used ("libcuda.so.1 not found (...)", "cuInit failed:
 * CUDA_ERROR_NO_DEVICE", "no CUDA device", "PTX JIT failed: ...", "the
 * library has no CUDA code", "ONNXC_DEVICE=cpu", "requested the CPU",
 * "uploading the weights: cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY"),
 * or who chose the GPU and its name ("a usable GPU: NVIDIA H100 ...,
 * compute capability 9.0, the N kernels of the sm_80 PTX"). Valid as long
 * as the session. "" for NULL. */
const char *onnxc_session_device_reason(const onnxc_session *session);

/* A message for the last failure, on the calling thread, of a call that
 * has no session to keep it (onnxc_model_*, onnxc_session_create, and
 * onnxc_session_run or onnxc_session_set_num_threads with a NULL session);
 * "" if that call succeeded. Valid until the thread's next such call. */
const char *onnxc_last_error(void);

/* Exported by shared model libraries: their model, for tools that dlopen
 * them (onnx-run). Static libraries export only <name>_model(). */
typedef const onnxc_model *(*onnxc_model_get_fn)(void);
#define ONNXC_MODEL_GET_SYMBOL "onnxc_model_get"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ONNXC_RUNTIME_H */
