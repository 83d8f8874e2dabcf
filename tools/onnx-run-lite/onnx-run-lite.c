/*===- onnx-run-lite.c - Runs a model library on .npy files ----------------===
 *
 *   onnx-run-lite LIB.so [--output-dir DIR] [INPUT.npy ...]
 *   onnx-run-lite LIB.so --info
 *
 * The runner for targets onnx-run cannot be built for: plain C11 and libc,
 * no protobuf or libonnx, so it cross-compiles with nothing but a C cross
 * compiler (the build makes an aarch64 copy with aarch64-linux-gnu-gcc that
 * tests run under qemu-aarch64). It dlopens the library, feeds the model's
 * inputs from .npy files in the model's input order, runs once and writes
 * each output to DIR/output_N.npy. Comparing with reference outputs is the
 * caller's job (test/cross/run_cross_conformance.py does it on the host).
 *
 * Exit codes: 0 after a run (or --info), 1 when the run fails, 2 on a usage,
 * file or library error.
 *
 *===----------------------------------------------------------------------===*/

#define _POSIX_C_SOURCE 200809L

#include "onnx-compile/onnxc_runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { kOk = 0, kRunFailed = 1, kUsage = 2 };

static void die(int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("onnx-run-lite: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(code);
}

/* The .npy descr of each dtype (without the byte-order character) and its
 * element size. bfloat16 has no numpy type: it travels as its raw bits. */
static const struct {
  onnxc_dtype dtype;
  const char *descr;
  const char *name;
  size_t size;
} kDtypes[] = {
    {ONNXC_DTYPE_FLOAT32, "f4", "float32", 4},
    {ONNXC_DTYPE_FLOAT64, "f8", "float64", 8},
    {ONNXC_DTYPE_FLOAT16, "f2", "float16", 2},
    {ONNXC_DTYPE_INT8, "i1", "int8", 1},
    {ONNXC_DTYPE_UINT8, "u1", "uint8", 1},
    {ONNXC_DTYPE_BOOL, "b1", "bool", 1},
    {ONNXC_DTYPE_INT16, "i2", "int16", 2},
    {ONNXC_DTYPE_UINT16, "u2", "uint16", 2},
    {ONNXC_DTYPE_INT32, "i4", "int32", 4},
    {ONNXC_DTYPE_UINT32, "u4", "uint32", 4},
    {ONNXC_DTYPE_INT64, "i8", "int64", 8},
    {ONNXC_DTYPE_UINT64, "u8", "uint64", 8},
    {ONNXC_DTYPE_BFLOAT16, "u2", "bfloat16", 2},
};
#define NUM_DTYPES (sizeof kDtypes / sizeof kDtypes[0])

/* The runner links no runtime of its own (see Library), so it keeps its own
 * copy of onnxc_dtype_size. */
static size_t dtypeSize(onnxc_dtype dtype) {
  for (size_t i = 0; i < NUM_DTYPES; ++i)
    if (kDtypes[i].dtype == dtype)
      return kDtypes[i].size;
  return 0;
}

static const char *dtypeName(onnxc_dtype dtype) {
  for (size_t i = 0; i < NUM_DTYPES; ++i)
    if (kDtypes[i].dtype == dtype)
      return kDtypes[i].name;
  return "unknown";
}

/* The model library's functions, found with dlsym so that the runner does
 * not link a runtime of its own: the library's runtime is the one tested. */
typedef struct Library {
  const onnxc_model *model;
  onnxc_status (*numInputs)(const onnxc_model *, size_t *);
  onnxc_status (*numOutputs)(const onnxc_model *, size_t *);
  onnxc_status (*inputInfo)(const onnxc_model *, size_t, onnxc_tensor_info *);
  onnxc_status (*outputInfo)(const onnxc_model *, size_t, onnxc_tensor_info *);
  onnxc_status (*sessionCreate)(const onnxc_model *, onnxc_session **);
  void (*sessionDestroy)(onnxc_session *);
  onnxc_status (*run)(onnxc_session *, const onnxc_tensor *, size_t,
                      onnxc_tensor *, size_t);
  const char *(*lastError)(const onnxc_session *);
} Library;

static void *symbol(void *handle, const char *path, const char *name) {
  void *p = dlsym(handle, name);
  if (!p)
    die(kUsage, "%s: no symbol '%s' (not an onnx-compile library?)", path,
        name);
  return p;
}

static Library openLibrary(const char *path) {
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    die(kUsage, "cannot load %s: %s", path, dlerror());
  Library lib;
  /* POSIX lets a void * from dlsym become a function pointer this way. */
#define SYM(field, name) *(void **)(&lib.field) = symbol(handle, path, name)
  onnxc_model_get_fn get;
  *(void **)(&get) = symbol(handle, path, ONNXC_MODEL_GET_SYMBOL);
  SYM(numInputs, "onnxc_model_num_inputs");
  SYM(numOutputs, "onnxc_model_num_outputs");
  SYM(inputInfo, "onnxc_model_input_info");
  SYM(outputInfo, "onnxc_model_output_info");
  SYM(sessionCreate, "onnxc_session_create");
  SYM(sessionDestroy, "onnxc_session_destroy");
  SYM(run, "onnxc_session_run");
  SYM(lastError, "onnxc_session_last_error");
#undef SYM
  lib.model = get();
  if (!lib.model)
    die(kUsage, "%s: %s returned NULL", path, ONNXC_MODEL_GET_SYMBOL);
  return lib;
}

/*===- .npy files ---------------------------------------------------------===*/

static char *readFile(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die(kUsage, "%s: cannot open: %s", path, strerror(errno));
  size_t capacity = 1 << 16, used = 0;
  char *data = malloc(capacity);
  for (;;) {
    if (!data)
      die(kUsage, "%s: out of memory", path);
    used += fread(data + used, 1, capacity - used, f);
    if (used < capacity)
      break;
    capacity *= 2;
    data = realloc(data, capacity);
  }
  int failed = ferror(f);
  fclose(f);
  if (failed)
    die(kUsage, "%s: read error", path);
  *size = used;
  return data;
}

/* The text after `'key':` in a .npy header dict, or NULL. */
static const char *headerField(const char *header, const char *key) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "'%s'", key);
  const char *at = strstr(header, quoted);
  if (!at)
    return NULL;
  at = strchr(at + strlen(quoted), ':');
  if (!at)
    return NULL;
  ++at;
  while (*at == ' ')
    ++at;
  return at;
}

/* Reads a C-order, little-endian .npy file (format 1.0 to 3.0) into `t`;
 * `t->data` is malloc'ed. */
static void readNpy(const char *path, onnxc_tensor *t) {
  size_t size;
  char *content = readFile(path, &size);
  if (size < 10 || memcmp(content, "\x93NUMPY", 6) != 0)
    die(kUsage, "%s: not a .npy file", path);
  unsigned major = (unsigned char)content[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = (unsigned char)content[8] | (size_t)(unsigned char)content[9] << 8;
    start = 10;
  } else if ((major == 2 || major == 3) && size >= 12) {
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = headerLen << 8 | (unsigned char)content[8 + i];
    start = 12;
  } else {
    die(kUsage, "%s: unsupported .npy version %u", path, major);
  }
  if (size < start + headerLen)
    die(kUsage, "%s: truncated header", path);
  char *header = malloc(headerLen + 1);
  if (!header)
    die(kUsage, "%s: out of memory", path);
  memcpy(header, content + start, headerLen);
  header[headerLen] = '\0';

  const char *descr = headerField(header, "descr");
  if (!descr || descr[0] != '\'' || strlen(descr) < 5 || descr[4] != '\'')
    die(kUsage, "%s: bad descr in header", path);
  char order = descr[1];
  memset(t, 0, sizeof *t);
  t->dtype = ONNXC_DTYPE_UNDEFINED;
  for (size_t i = 0; i < NUM_DTYPES && t->dtype == ONNXC_DTYPE_UNDEFINED; ++i)
    if (strncmp(descr + 2, kDtypes[i].descr, 2) == 0)
      t->dtype = kDtypes[i].dtype;
  size_t esize = dtypeSize(t->dtype);
  if (t->dtype == ONNXC_DTYPE_UNDEFINED ||
      !(order == '<' || order == '|' || (esize == 1 && order == '>')))
    die(kUsage, "%s: dtype '%.4s' is not supported (little-endian numeric)",
        path, descr);

  const char *fortran = headerField(header, "fortran_order");
  if (!fortran || strncmp(fortran, "False", 5) != 0)
    die(kUsage, "%s: only C-order arrays are supported", path);

  const char *shape = headerField(header, "shape");
  if (!shape || *shape != '(')
    die(kUsage, "%s: bad shape in header", path);
  ++shape;
  size_t elements = 1;
  for (;;) {
    while (*shape == ' ' || *shape == ',')
      ++shape;
    if (*shape == ')')
      break;
    char *end;
    long long d = strtoll(shape, &end, 10);
    if (end == shape || d < 0 || t->rank == ONNXC_MAX_RANK)
      die(kUsage, "%s: bad shape in header", path);
    t->dims[t->rank++] = d;
    elements *= (size_t)d;
    shape = end;
  }
  free(header);

  t->size_bytes = elements * esize;
  if (size - start - headerLen != t->size_bytes)
    die(kUsage, "%s: holds %zu data bytes, its shape needs %zu", path,
        size - start - headerLen, t->size_bytes);
  /* At least one byte, so an empty tensor still has a non-NULL pointer. */
  t->data = malloc(t->size_bytes ? t->size_bytes : 1);
  if (!t->data)
    die(kUsage, "%s: out of memory", path);
  memcpy(t->data, content + start + headerLen, t->size_bytes);
  free(content);
}

static void writeNpy(const char *path, const onnxc_tensor *t) {
  const char *descr = NULL;
  for (size_t i = 0; i < NUM_DTYPES && !descr; ++i)
    if (kDtypes[i].dtype == t->dtype)
      descr = kDtypes[i].descr;
  if (!descr)
    die(kUsage, "%s: cannot write dtype %d", path, (int)t->dtype);
  size_t esize = dtypeSize(t->dtype);
  char header[4096];
  int n = snprintf(header, sizeof header,
                   "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                   esize == 1 ? '|' : '<', descr);
  for (int32_t i = 0; i < t->rank; ++i)
    n += snprintf(header + n, sizeof header - (size_t)n, "%lld%s",
                  (long long)t->dims[i], t->rank == 1 ? "," : i + 1 < t->rank ? ", " : "");
  n += snprintf(header + n, sizeof header - (size_t)n, "), }");
  /* Pad with spaces and end with a newline so that the data starts at a
   * multiple of 64 bytes, as numpy writes it. */
  size_t total = 10 + (size_t)n + 1;
  size_t padded = (total + 63) / 64 * 64;
  memset(header + n, ' ', padded - total);
  n += (int)(padded - total);
  header[n++] = '\n';

  FILE *f = fopen(path, "wb");
  if (!f)
    die(kUsage, "%s: cannot create: %s", path, strerror(errno));
  unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                (unsigned char)(n & 0xff),
                                (unsigned char)(n >> 8)};
  int ok = fwrite(preamble, 1, 10, f) == 10 &&
           fwrite(header, 1, (size_t)n, f) == (size_t)n &&
           (t->size_bytes == 0 ||
            fwrite(t->data, 1, t->size_bytes, f) == t->size_bytes);
  ok = (fclose(f) == 0) && ok;
  if (!ok)
    die(kUsage, "%s: write error", path);
}

static void printShape(const int64_t *dims, int32_t rank,
                       const char *const *names) {
  putchar('[');
  for (int32_t i = 0; i < rank; ++i) {
    if (i)
      putchar(',');
    if (dims[i] == -1 && names && names[i] && names[i][0])
      fputs(names[i], stdout);
    else if (dims[i] == -1)
      putchar('?');
    else
      printf("%lld", (long long)dims[i]);
  }
  putchar(']');
}

static void printInfo(const Library *lib) {
  size_t count;
  onnxc_tensor_info info;
  lib->numInputs(lib->model, &count);
  printf("inputs:\n");
  for (size_t i = 0; i < count; ++i) {
    lib->inputInfo(lib->model, i, &info);
    printf("  %s: %s ", info.name, dtypeName(info.dtype));
    printShape(info.dims, info.rank, info.dim_names);
    putchar('\n');
  }
  lib->numOutputs(lib->model, &count);
  printf("outputs:\n");
  for (size_t i = 0; i < count; ++i) {
    lib->outputInfo(lib->model, i, &info);
    printf("  %s: %s ", info.name, dtypeName(info.dtype));
    printShape(info.dims, info.rank, info.dim_names);
    putchar('\n');
  }
}

int main(int argc, char **argv) {
  const char *libraryPath = NULL, *outputDir = NULL;
  const char **inputPaths = calloc((size_t)argc, sizeof *inputPaths);
  size_t numInputPaths = 0;
  int info = 0;
  if (!inputPaths)
    die(kUsage, "out of memory");
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--output-dir") == 0 && i + 1 < argc)
      outputDir = argv[++i];
    else if (strcmp(argv[i], "--info") == 0)
      info = 1;
    else if (argv[i][0] == '-' && argv[i][1] == '-')
      die(kUsage, "unknown option %s\nusage: onnx-run-lite LIB.so "
                  "[--output-dir DIR] [INPUT.npy ...] | --info", argv[i]);
    else if (!libraryPath)
      libraryPath = argv[i];
    else
      inputPaths[numInputPaths++] = argv[i];
  }
  if (!libraryPath)
    die(kUsage, "usage: onnx-run-lite LIB.so [--output-dir DIR] "
                "[INPUT.npy ...] | --info");

  Library lib = openLibrary(libraryPath);
  if (info) {
    printInfo(&lib);
    return kOk;
  }

  size_t numInputs, numOutputs;
  lib.numInputs(lib.model, &numInputs);
  lib.numOutputs(lib.model, &numOutputs);
  if (numInputPaths != numInputs)
    die(kUsage, "the model has %zu inputs, %zu files were given", numInputs,
        numInputPaths);
  onnxc_tensor *inputs = calloc(numInputs + 1, sizeof *inputs);
  onnxc_tensor *outputs = calloc(numOutputs + 1, sizeof *outputs);
  if (!inputs || !outputs)
    die(kUsage, "out of memory");
  for (size_t i = 0; i < numInputs; ++i) {
    readNpy(inputPaths[i], &inputs[i]);
    /* numpy has no bfloat16: a uint16 file holds its bits (as in ONNX's
     * test data, and as onnx-run takes them) where the model says so. */
    onnxc_tensor_info inInfo;
    lib.inputInfo(lib.model, i, &inInfo);
    if (inputs[i].dtype == ONNXC_DTYPE_UINT16 &&
        inInfo.dtype == ONNXC_DTYPE_BFLOAT16)
      inputs[i].dtype = ONNXC_DTYPE_BFLOAT16;
  }

  onnxc_session *session = NULL;
  onnxc_status status = lib.sessionCreate(lib.model, &session);
  if (status != ONNXC_OK)
    die(kRunFailed, "cannot create a session (status %d)", (int)status);
  status = lib.run(session, inputs, numInputs, outputs, numOutputs);
  if (status != ONNXC_OK)
    die(kRunFailed, "run failed (status %d): %s", (int)status,
        lib.lastError(session));

  if (outputDir && mkdir(outputDir, 0777) != 0 && errno != EEXIST)
    die(kUsage, "%s: cannot create: %s", outputDir, strerror(errno));
  for (size_t i = 0; i < numOutputs; ++i) {
    onnxc_tensor_info outInfo;
    lib.outputInfo(lib.model, i, &outInfo);
    printf("output %zu '%s': %s ", i, outInfo.name, dtypeName(outputs[i].dtype));
    printShape(outputs[i].dims, outputs[i].rank, NULL);
    putchar('\n');
    if (outputDir) {
      char path[4096];
      snprintf(path, sizeof path, "%s/output_%zu.npy", outputDir, i);
      writeNpy(path, &outputs[i]);
    }
  }
  lib.sessionDestroy(session);
  for (size_t i = 0; i < numInputs; ++i)
    free(inputs[i].data);
  free(inputs);
  free(outputs);
  free(inputPaths);
  return kOk;
}
