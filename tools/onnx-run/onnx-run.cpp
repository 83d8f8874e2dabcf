//===- onnx-run.cpp - Runs, checks and times an onnx-compile model library ===//
//
//   onnx-run LIB.so --test-data DIR [--rtol R] [--atol A]
//   onnx-run LIB.so [--input NAME=FILE]... [--output-dir DIR]
//   onnx-run LIB.so --benchmark N [--warmup W] [--threads T]
//   onnx-run --info LIB.so
//   onnx-run LIB.so --compare-with REF.so [--compare-sets N] [--test-data DIR]
//   --weights PATH: the weights file of a library compiled with
//   --weights=external (default: LIB.so.weights)
//   --device cpu|cuda|auto: where the session runs (default auto: the GPU
//   when the library has CUDA code and a GPU is usable, else the CPU;
//   ONNXC_DEVICE overrides auto). The device chosen, and why, is printed
//   for a library with CUDA code or when --device is given.
//
// The library is opened with dlopen and driven only through the C ABI of
// onnxc_runtime.h, whose functions are looked up in the library itself: each
// model library carries the runtime it was built with.
//
// Exit codes: 0 when every output matches (or nothing was compared), 1 for
// a mismatch or a failed run, 2 for usage and I/O errors.
//
//===----------------------------------------------------------------------===//

#include "onnx-compile/onnxc_runtime.h"
#include "tools/onnx-run/TensorFiles.h"
#include "onnx/onnx_pb.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using namespace onnxrun;

const char *kUsageText =
    "usage: onnx-run LIB.so [--test-data DIR] [--rtol R] [--atol A]\n"
    "                [--input NAME=FILE(.pb|.npy)]... [--output-dir DIR]\n"
    "                [--benchmark N] [--warmup W] [--threads T]\n"
    "                [--weights PATH] [--device cpu|cuda|auto]\n"
    "       onnx-run LIB.so --compare-with REF.so [--compare-sets N]\n"
    "                [--test-data DIR | --input NAME=FILE...] [--threads T]\n"
    "       onnx-run --info LIB.so\n";

//===----------------------------------------------------------------------===//
// Dtypes and host tensors
//===----------------------------------------------------------------------===//

bool isFloat(int dtype) {
  return dtype == ONNXC_DTYPE_FLOAT32 || dtype == ONNXC_DTYPE_FLOAT64 ||
         dtype == ONNXC_DTYPE_FLOAT16 || dtype == ONNXC_DTYPE_BFLOAT16;
}

void writeTensorProto(const std::string &path, const std::string &name,
                      const onnxc_tensor &t) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(t.dtype);
  for (int32_t i = 0; i < t.rank; ++i)
    proto.add_dims(t.dims[i]);
  proto.set_raw_data(t.data, t.size_bytes);
  std::ofstream out(path, std::ios::binary);
  if (!out || !proto.SerializeToOstream(&out))
    fail(kUsage, path + ": cannot write: " + std::strerror(errno));
}

//===----------------------------------------------------------------------===//
// float16 and bfloat16
//===----------------------------------------------------------------------===//

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f,
           mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000 | mant << 13;
  } else if (exp == 0) {
    float f = std::ldexp(float(mant), -24);
    return sign ? -f : f;
  } else {
    bits = sign | (exp + 112) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToHalf(float f) { // round to nearest even, for random inputs
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint32_t sign = (bits >> 16) & 0x8000;
  int exp = int((bits >> 23) & 0xff) - 112;
  uint32_t mant = bits & 0x7fffff;
  if (exp <= 0) // small enough to flush: inputs here are in [-1, 1]
    return uint16_t(sign);
  if (exp >= 31) // too large, inf or NaN
    return uint16_t(sign | 0x7c00 | (exp == 143 && mant ? 0x200 : 0));
  uint32_t h = uint32_t(exp) << 10 | mant >> 13;
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h;
  return uint16_t(sign | h);
}

double elementAsDouble(int dtype, const uint8_t *p) {
  switch (dtype) {
  case ONNXC_DTYPE_FLOAT32: { float v; std::memcpy(&v, p, 4); return v; }
  case ONNXC_DTYPE_FLOAT64: { double v; std::memcpy(&v, p, 8); return v; }
  case ONNXC_DTYPE_FLOAT16: { uint16_t v; std::memcpy(&v, p, 2); return halfToFloat(v); }
  case ONNXC_DTYPE_BFLOAT16: {
    uint16_t v; std::memcpy(&v, p, 2);
    uint32_t bits = uint32_t(v) << 16; float f; std::memcpy(&f, &bits, 4);
    return f;
  }
  case ONNXC_DTYPE_UINT8: case ONNXC_DTYPE_BOOL: return *p;
  case ONNXC_DTYPE_INT8: return int8_t(*p);
  case ONNXC_DTYPE_UINT16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
  case ONNXC_DTYPE_INT16: { int16_t v; std::memcpy(&v, p, 2); return v; }
  case ONNXC_DTYPE_INT32: { int32_t v; std::memcpy(&v, p, 4); return v; }
  case ONNXC_DTYPE_UINT32: { uint32_t v; std::memcpy(&v, p, 4); return v; }
  case ONNXC_DTYPE_INT64: { int64_t v; std::memcpy(&v, p, 8); return double(v); }
  case ONNXC_DTYPE_UINT64: { uint64_t v; std::memcpy(&v, p, 8); return double(v); }
  default: return 0;
  }
}

//===----------------------------------------------------------------------===//
// The library
//===----------------------------------------------------------------------===//

/// The runtime functions of one model library.
struct Library {
  const onnxc_model *model = nullptr;
  decltype(&onnxc_abi_version) abiVersion;
  decltype(&onnxc_model_name) modelName;
  decltype(&onnxc_model_num_inputs) numInputs;
  decltype(&onnxc_model_num_outputs) numOutputs;
  decltype(&onnxc_model_input_info) inputInfo;
  decltype(&onnxc_model_output_info) outputInfo;
  decltype(&onnxc_model_num_metadata) numMetadata;
  decltype(&onnxc_model_metadata_at) metadataAt;
  decltype(&onnxc_model_num_compile_info) numCompileInfo;
  decltype(&onnxc_model_compile_info_at) compileInfoAt;
  decltype(&onnxc_session_create) sessionCreate;
  decltype(&onnxc_session_destroy) sessionDestroy;
  decltype(&onnxc_session_set_num_threads) setNumThreads;
  decltype(&onnxc_session_num_threads) numThreads; // null in older libraries
  decltype(&onnxc_session_run) run;
  decltype(&onnxc_session_last_error) lastError;
  decltype(&onnxc_model_set_weights_path) setWeightsPath;
  decltype(&onnxc_last_error) threadLastError;
  decltype(&onnxc_session_create_on_device) sessionCreateOnDevice;
  decltype(&onnxc_session_device) sessionDevice;
  decltype(&onnxc_session_device_reason) deviceReason;
  decltype(&onnxc_model_has_device) hasDevice;
  std::vector<onnxc_tensor_info> inputs, outputs;

  explicit Library(const std::string &path) {
    // Without a slash dlopen searches the library path, not the directory.
    std::string where = path.find('/') == std::string::npos ? "./" + path : path;
    void *handle = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      fail(kUsage, std::string("cannot load ") + dlerror());
    auto sym = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(handle, name));
      if (!fn)
        fail(kUsage, path + ": does not export " + name +
                         " (not an onnx-compile model library?)");
    };
    onnxc_model_get_fn get;
    sym(get, ONNXC_MODEL_GET_SYMBOL);
    sym(abiVersion, "onnxc_abi_version");
    sym(modelName, "onnxc_model_name");
    sym(numInputs, "onnxc_model_num_inputs");
    sym(numOutputs, "onnxc_model_num_outputs");
    sym(inputInfo, "onnxc_model_input_info");
    sym(outputInfo, "onnxc_model_output_info");
    sym(numMetadata, "onnxc_model_num_metadata");
    sym(metadataAt, "onnxc_model_metadata_at");
    sym(numCompileInfo, "onnxc_model_num_compile_info");
    sym(compileInfoAt, "onnxc_model_compile_info_at");
    sym(sessionCreate, "onnxc_session_create");
    sym(sessionDestroy, "onnxc_session_destroy");
    sym(setNumThreads, "onnxc_session_set_num_threads");
    numThreads = reinterpret_cast<decltype(numThreads)>(
        dlsym(handle, "onnxc_session_num_threads"));
    sym(run, "onnxc_session_run");
    sym(lastError, "onnxc_session_last_error");
    sym(setWeightsPath, "onnxc_model_set_weights_path");
    sym(threadLastError, "onnxc_last_error");
    sym(sessionCreateOnDevice, "onnxc_session_create_on_device");
    sym(sessionDevice, "onnxc_session_device");
    sym(deviceReason, "onnxc_session_device_reason");
    sym(hasDevice, "onnxc_model_has_device");
    if (abiVersion() != ONNXC_ABI_VERSION)
      fail(kUsage, path + ": built for runtime ABI version " +
                       std::to_string(abiVersion()) + ", onnx-run uses " +
                       std::to_string(ONNXC_ABI_VERSION));
    model = get();
    size_t nIn = 0, nOut = 0;
    if (numInputs(model, &nIn) != ONNXC_OK ||
        numOutputs(model, &nOut) != ONNXC_OK)
      fail(kUsage, path + ": the model does not match the library's runtime "
                          "ABI version");
    inputs.resize(nIn);
    outputs.resize(nOut);
    for (size_t i = 0; i < nIn; ++i)
      inputInfo(model, i, &inputs[i]);
    for (size_t i = 0; i < nOut; ++i)
      outputInfo(model, i, &outputs[i]);
  }
};

std::string infoShape(const onnxc_tensor_info &info) {
  std::string s = "[";
  for (int32_t i = 0; i < info.rank; ++i) {
    s += i ? "," : "";
    const char *name = info.dim_names ? info.dim_names[i] : nullptr;
    if (info.dims[i] != -1)
      s += std::to_string(info.dims[i]);
    else
      s += name && *name ? name : "?";
  }
  return s + "]";
}

/// `--info`: the model's name, how the library was made (compile info),
/// the model's metadata_props, then every input and output.
void printInfo(const Library &lib) {
  const char *name = "";
  lib.modelName(lib.model, &name);
  std::printf("model: %s\n", name);
  auto table = [&](const char *title, auto count, auto at) {
    size_t n = 0;
    count(lib.model, &n);
    std::printf("%s:%s\n", title, n ? "" : " none");
    for (size_t i = 0; i < n; ++i) {
      const char *key = "", *value = "";
      at(lib.model, i, &key, &value);
      std::printf("  %s: %s\n", key, value);
    }
  };
  table("compile info", lib.numCompileInfo, lib.compileInfoAt);
  table("metadata", lib.numMetadata, lib.metadataAt);
  std::printf("inputs:\n");
  for (const auto &in : lib.inputs)
    std::printf("  %s: %s %s\n", in.name, dtypeName(in.dtype).c_str(),
                infoShape(in).c_str());
  std::printf("outputs:\n");
  for (const auto &out : lib.outputs)
    std::printf("  %s: %s %s\n", out.name, dtypeName(out.dtype).c_str(),
                infoShape(out).c_str());
}

/// Random values for one input: uniform in [-1, 1) for floats, 0 or 1 for
/// integers and bools (safe as indices); dynamic dims are 1.
HostTensor randomInput(const onnxc_tensor_info &info, std::mt19937_64 &rng) {
  HostTensor t;
  t.dtype = info.dtype;
  for (int32_t i = 0; i < info.rank; ++i)
    t.dims.push_back(info.dims[i] == -1 ? 1 : info.dims[i]);
  t.allocate(std::string("input '") + info.name + "'");
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  size_t esize = dtypeSize(t.dtype);
  for (size_t i = 0, n = t.elements(); i < n; ++i) {
    uint8_t *p = t.bytes.data() + i * esize;
    float f = real(rng);
    switch (t.dtype) {
    case ONNXC_DTYPE_FLOAT32: std::memcpy(p, &f, 4); break;
    case ONNXC_DTYPE_FLOAT64: { double d = f; std::memcpy(p, &d, 8); break; }
    case ONNXC_DTYPE_FLOAT16: { uint16_t h = floatToHalf(f); std::memcpy(p, &h, 2); break; }
    case ONNXC_DTYPE_BFLOAT16: {
      uint32_t bits; std::memcpy(&bits, &f, 4);
      uint16_t b = uint16_t(bits >> 16); std::memcpy(p, &b, 2);
      break;
    }
    default: *p = uint8_t(rng() & 1); break; // little-endian 0 or 1
    }
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

std::string indexString(size_t flat, const int64_t *dims, int32_t rank) {
  std::vector<int64_t> idx(static_cast<size_t>(rank));
  for (int32_t d = rank - 1; d >= 0; --d) {
    idx[size_t(d)] = dims[d] ? int64_t(flat % uint64_t(dims[d])) : 0;
    flat = dims[d] ? flat / uint64_t(dims[d]) : 0;
  }
  return shapeString(idx.data(), idx.size());
}

/// Compares output `index` with `expected`; prints one line, true on a match.
bool compareOutput(size_t index, const onnxc_tensor_info &info,
                   const onnxc_tensor &got, const HostTensor &expected,
                   double rtol, double atol) {
  std::string label = "output " + std::to_string(index) + " '" + info.name + "'";
  if (got.dtype != expected.dtype) {
    std::printf("%s: MISMATCH: dtype is %s, expected %s\n", label.c_str(),
                dtypeName(got.dtype).c_str(),
                dtypeName(expected.dtype).c_str());
    return false;
  }
  std::string gotShape = shapeString(got.dims, size_t(got.rank));
  std::string wantShape = shapeString(expected.dims.data(), expected.dims.size());
  if (gotShape != wantShape) {
    std::printf("%s: MISMATCH: shape is %s, expected %s\n", label.c_str(),
                gotShape.c_str(), wantShape.c_str());
    return false;
  }
  size_t esize = dtypeSize(got.dtype), n = expected.elements();
  bool floating = isFloat(got.dtype);
  const uint8_t *a = static_cast<const uint8_t *>(got.data);
  const uint8_t *b = expected.bytes.data();
  double maxAbs = 0, maxRel = 0, worstExcess = -1;
  size_t bad = 0, worst = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = elementAsDouble(got.dtype, a + i * esize);
    double y = elementAsDouble(got.dtype, b + i * esize);
    double diff, tol = 0;
    bool ok;
    if (floating) {
      if (std::isnan(x) || std::isnan(y)) {
        ok = std::isnan(x) && std::isnan(y);
        diff = ok ? 0 : INFINITY;
      } else if (std::isinf(x) || std::isinf(y)) {
        ok = x == y;
        diff = ok ? 0 : INFINITY;
      } else {
        diff = std::fabs(x - y);
        tol = atol + rtol * std::fabs(y);
        ok = diff <= tol;
      }
    } else {
      ok = std::memcmp(a + i * esize, b + i * esize, esize) == 0;
      diff = std::fabs(x - y);
    }
    double rel = diff == 0 ? 0 : y != 0 ? diff / std::fabs(y) : INFINITY;
    bad += !ok;
    maxAbs = std::max(maxAbs, diff);
    maxRel = std::max(maxRel, rel);
    if (diff - tol > worstExcess || (!ok && worstExcess < 0)) {
      worstExcess = diff - tol;
      worst = i;
    }
  }
  std::printf("%s %s %s: max_abs_err %.6g, max_rel_err %.6g", label.c_str(),
              dtypeName(got.dtype).c_str(), gotShape.c_str(), maxAbs, maxRel);
  if (maxAbs > 0 || bad)
    std::printf(", worst at %s (got %.9g, expected %.9g)",
                indexString(worst, got.dims, got.rank).c_str(),
                elementAsDouble(got.dtype, a + worst * esize),
                elementAsDouble(got.dtype, b + worst * esize));
  if (!bad) {
    std::printf(": ok\n");
  } else if (floating) {
    std::printf(": MISMATCH, %zu of %zu elements outside atol %g + rtol %g * "
                "|expected|\n",
                bad, n, atol, rtol);
  } else {
    std::printf(": MISMATCH, %zu of %zu elements differ\n", bad, n);
  }
  return bad == 0;
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string library, testData, outputDir, weights;
  std::vector<std::pair<std::string, std::string>> inputs; // NAME, FILE
  double rtol = 1e-3, atol = 1e-5;
  long benchmark = 0, warmup = 1, threads = 0;
  bool info = false;
  onnxc_device device = ONNXC_DEVICE_AUTO;
  bool deviceGiven = false;
  // --compare-with: the reference library (e.g. the f32 build of a model
  // whose LIB is quantized) and the number of input sets.
  std::string compareWith;
  long compareSets = 1;
};

double parseDouble(const std::string &flag, const std::string &s) {
  char *end;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !(v >= 0))
    fail(kUsage, flag + " needs a non-negative number, got '" + s + "'");
  return v;
}

long parseCount(const std::string &flag, const std::string &s) {
  char *end;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 0 || v > std::numeric_limits<int32_t>::max())
    fail(kUsage, flag + " needs a non-negative integer, got '" + s + "'");
  return v;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool hasValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos &&
        arg.rfind("--input", 0) != 0) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      hasValue = true;
    } else if (arg.rfind("--input=", 0) == 0) {
      value = arg.substr(8);
      arg = "--input";
      hasValue = true;
    }
    auto next = [&]() -> std::string {
      if (hasValue)
        return value;
      if (i + 1 >= argc)
        fail(kUsage, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsageText, stdout);
      std::exit(kOk);
    } else if (arg == "--info") {
      o.info = true;
    } else if (arg == "--test-data") {
      o.testData = next();
    } else if (arg == "--weights") {
      o.weights = next();
      if (o.weights.empty())
        fail(kUsage, "--weights needs a path");
    } else if (arg == "--device") {
      std::string d = next();
      if (d == "cpu")
        o.device = ONNXC_DEVICE_CPU;
      else if (d == "cuda")
        o.device = ONNXC_DEVICE_CUDA;
      else if (d == "auto")
        o.device = ONNXC_DEVICE_AUTO;
      else
        fail(kUsage, "--device needs cpu, cuda or auto, got '" + d + "'");
      o.deviceGiven = true;
    } else if (arg == "--output-dir") {
      o.outputDir = next();
    } else if (arg == "--rtol") {
      o.rtol = parseDouble(arg, next());
    } else if (arg == "--atol") {
      o.atol = parseDouble(arg, next());
    } else if (arg == "--benchmark") {
      o.benchmark = parseCount(arg, next());
      if (!o.benchmark)
        fail(kUsage, "--benchmark needs at least 1 run");
    } else if (arg == "--warmup") {
      o.warmup = parseCount(arg, next());
    } else if (arg == "--threads") {
      o.threads = parseCount(arg, next());
    } else if (arg == "--compare-with") {
      o.compareWith = next();
      if (o.compareWith.empty())
        fail(kUsage, "--compare-with needs a library");
    } else if (arg == "--compare-sets") {
      o.compareSets = parseCount(arg, next());
      if (!o.compareSets)
        fail(kUsage, "--compare-sets needs at least 1 set");
    } else if (arg == "--input") {
      std::string spec = next();
      size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        fail(kUsage, "--input needs NAME=FILE, got '" + spec + "'");
      o.inputs.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    } else if (arg.size() > 1 && arg[0] == '-') {
      fail(kUsage, "unknown option '" + arg + "' (see --help)");
    } else if (o.library.empty()) {
      o.library = arg;
    } else {
      fail(kUsage, "more than one library given ('" + o.library + "', '" +
                       arg + "')");
    }
  }
  if (o.library.empty())
    fail(kUsage, "no model library given (see --help)");
  if (o.compareWith.empty() && o.compareSets != 1)
    fail(kUsage, "--compare-sets needs --compare-with");
  if (!o.compareWith.empty() && (o.benchmark || !o.outputDir.empty()))
    fail(kUsage, "--compare-with takes neither --benchmark nor --output-dir");
  return o;
}

/// ONNX's backend test data writes bfloat16 tensors as uint16 holding the
/// raw bits (its numpy has no bfloat16). Where the model says bfloat16 and
/// the file says uint16, the bytes are taken as bfloat16: same size, same
/// bits.
void adoptBfloat16Bits(HostTensor &t, int modelDtype) {
  if (t.dtype == ONNXC_DTYPE_UINT16 && modelDtype == ONNXC_DTYPE_BFLOAT16)
    t.dtype = ONNXC_DTYPE_BFLOAT16;
}

/// Every model input, in order: from --test-data, then --input, then random.
std::vector<HostTensor> gatherInputs(const Options &o, const Library &lib) {
  std::vector<std::optional<HostTensor>> given(lib.inputs.size());
  if (!o.testData.empty()) {
    if (!fs::is_directory(o.testData))
      fail(kUsage, o.testData + ": not a directory");
    for (size_t i = 0; i < given.size(); ++i) {
      std::string path = o.testData + "/input_" + std::to_string(i) + ".pb";
      if (!fs::exists(path))
        fail(kUsage, path + ": missing (the model has " +
                         std::to_string(given.size()) + " inputs)");
      HostTensor t = readTensorProto(path);
      adoptBfloat16Bits(t, lib.inputs[i].dtype);
      if (!t.name.empty() && t.name != lib.inputs[i].name)
        fail(kUsage, path + ": holds tensor '" + t.name + "', but input " +
                         std::to_string(i) + " of the model is '" +
                         lib.inputs[i].name + "'");
      given[i] = std::move(t);
    }
    std::string extra =
        o.testData + "/input_" + std::to_string(given.size()) + ".pb";
    if (fs::exists(extra))
      fail(kUsage, extra + ": the model has only " +
                       std::to_string(given.size()) + " inputs");
  }
  for (const auto &spec : o.inputs) {
    const std::string &name = spec.first;
    auto it = std::find_if(lib.inputs.begin(), lib.inputs.end(),
                           [&](const auto &in) { return name == in.name; });
    if (it == lib.inputs.end())
      fail(kUsage, "--input " + name + ": the model has no input '" + name +
                       "'");
    given[size_t(it - lib.inputs.begin())] = readTensorFile(spec.second);
  }
  std::mt19937_64 rng(20240521);
  std::vector<HostTensor> inputs;
  for (size_t i = 0; i < given.size(); ++i) {
    if (given[i]) {
      inputs.push_back(std::move(*given[i]));
    } else {
      inputs.push_back(randomInput(lib.inputs[i], rng));
      if (!o.benchmark)
        std::printf("input '%s': random %s\n", lib.inputs[i].name,
                    shapeString(inputs.back().dims.data(),
                                inputs.back().dims.size()).c_str());
    }
  }
  return inputs;
}

//===----------------------------------------------------------------------===//
// Comparing two libraries (--compare-with)
//===----------------------------------------------------------------------===//

/// Error statistics of one output of LIB against the same output of the
/// reference library, accumulated over the input sets.
struct OutputDiff {
  double maxAbs = 0, sumAbs = 0, sumSqDiff = 0, sumSqRef = 0;
  size_t elements = 0, rows = 0, rowsAgreeing = 0;
  bool nonFinite = false;
};

/// The index of the largest value of row [begin, begin + n), NaN never
/// largest (the first of equal values, as numpy's argmax).
size_t argmaxRow(const std::vector<double> &v, size_t begin, size_t n) {
  size_t best = begin;
  for (size_t i = begin + 1; i < begin + n; ++i)
    if (v[i] > v[best] || std::isnan(v[best]))
      best = i;
  return best - begin;
}

/// Runs one session of `lib` on `inputs`; every output as doubles, with its
/// dims.
std::vector<std::pair<std::vector<int64_t>, std::vector<double>>>
runForComparison(const Library &lib, const std::vector<HostTensor> &inputs,
                 long threads, const std::string &path) {
  std::vector<onnxc_tensor> in(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::memset(&in[i], 0, sizeof in[i]);
    in[i].dtype = onnxc_dtype(inputs[i].dtype);
    in[i].rank = int32_t(inputs[i].dims.size());
    std::copy(inputs[i].dims.begin(), inputs[i].dims.end(), in[i].dims);
    in[i].data = const_cast<uint8_t *>(inputs[i].bytes.data());
    in[i].size_bytes = inputs[i].bytes.size;
  }
  std::vector<onnxc_tensor> out(lib.outputs.size());
  onnxc_session *raw = nullptr;
  if (onnxc_status st = lib.sessionCreate(lib.model, &raw))
    fail(kMismatch, path + ": cannot create a session (status " +
                        std::to_string(st) + "): " + lib.threadLastError());
  std::unique_ptr<onnxc_session, decltype(lib.sessionDestroy)> session(
      raw, lib.sessionDestroy);
  if (lib.setNumThreads(raw, int32_t(threads)) != ONNXC_OK)
    fail(kUsage, std::string("--threads: ") + lib.lastError(raw));
  if (onnxc_status st =
          lib.run(raw, in.data(), in.size(), out.data(), out.size()))
    fail(kMismatch, path + ": run failed (status " + std::to_string(st) +
                        "): " + lib.lastError(raw));
  std::vector<std::pair<std::vector<int64_t>, std::vector<double>>> result;
  for (const onnxc_tensor &t : out) {
    std::vector<int64_t> dims(t.dims, t.dims + t.rank);
    size_t esize = dtypeSize(t.dtype), n = t.size_bytes / esize;
    std::vector<double> values(n);
    for (size_t i = 0; i < n; ++i)
      values[i] = elementAsDouble(
          t.dtype, static_cast<const uint8_t *>(t.data) + i * esize);
    result.emplace_back(std::move(dims), std::move(values));
  }
  return result;
}

/// `onnx-run LIB --compare-with REF`: both libraries run on the same inputs
/// (set 0: --test-data / --input / random, as a plain run gathers them;
/// sets 1..N-1: random, from fixed seeds, so that runs repeat), and each
/// output of LIB is measured against REF's: max and mean absolute error,
/// relative L2 error ||lib - ref|| / ||ref|| over all sets, and top-1
/// agreement (argmax over the last axis, per row). A tool for judging an
/// approximation (a quantized build against its f32 build): it reports and
/// does not judge; exit 0 unless a run fails or the models' interfaces
/// differ.
int compareLibraries(const Options &o, const Library &lib) {
  Library ref(o.compareWith);
  auto sameInterface = [](const std::vector<onnxc_tensor_info> &a,
                          const std::vector<onnxc_tensor_info> &b) {
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].dtype != b[i].dtype || a[i].rank != b[i].rank)
        return false;
    return true;
  };
  if (!sameInterface(lib.inputs, ref.inputs) ||
      !sameInterface(lib.outputs, ref.outputs))
    fail(kUsage, o.library + " and " + o.compareWith +
                     ": the models' inputs or outputs differ in number, "
                     "dtype or rank");

  std::vector<OutputDiff> diffs(lib.outputs.size());
  for (long set = 0; set < o.compareSets; ++set) {
    std::vector<HostTensor> inputs;
    if (set == 0) {
      inputs = gatherInputs(o, lib);
    } else {
      std::mt19937_64 rng(20240521 + uint64_t(set));
      for (const onnxc_tensor_info &info : lib.inputs)
        inputs.push_back(randomInput(info, rng));
    }
    auto got = runForComparison(lib, inputs, o.threads, o.library);
    auto want = runForComparison(ref, inputs, o.threads, o.compareWith);
    for (size_t i = 0; i < diffs.size(); ++i) {
      if (got[i].first != want[i].first)
        fail(kMismatch, "set " + std::to_string(set) + ": output " +
                            std::to_string(i) + " is " +
                            shapeString(got[i].first.data(),
                                        got[i].first.size()) +
                            ", the reference's " +
                            shapeString(want[i].first.data(),
                                        want[i].first.size()));
      const std::vector<double> &x = got[i].second, &y = want[i].second;
      OutputDiff &d = diffs[i];
      for (size_t e = 0; e < x.size(); ++e) {
        double diff = std::fabs(x[e] - y[e]);
        if (!std::isfinite(diff)) {
          d.nonFinite |= !(x[e] == y[e]); // equal infinities agree
          continue;
        }
        d.maxAbs = std::max(d.maxAbs, diff);
        d.sumAbs += diff;
        d.sumSqDiff += diff * diff;
        d.sumSqRef += y[e] * y[e];
      }
      d.elements += x.size();
      size_t last = got[i].first.empty() ? 0 : size_t(got[i].first.back());
      if (last > 0 && isFloat(lib.outputs[i].dtype))
        for (size_t r = 0; r < x.size() / last; ++r) {
          ++d.rows;
          d.rowsAgreeing += argmaxRow(x, r * last, last) ==
                            argmaxRow(y, r * last, last);
        }
    }
  }

  std::printf("compare: %s against %s, %ld input set%s\n", o.library.c_str(),
              o.compareWith.c_str(), o.compareSets,
              o.compareSets == 1 ? "" : "s");
  for (size_t i = 0; i < diffs.size(); ++i) {
    const OutputDiff &d = diffs[i];
    double relL2 = d.sumSqRef > 0 ? std::sqrt(d.sumSqDiff / d.sumSqRef)
                   : d.sumSqDiff > 0 ? INFINITY
                                     : 0;
    std::printf("output %zu '%s': max_abs_err %.6g, mean_abs_err %.6g, "
                "rel_l2_err %.6g",
                i, lib.outputs[i].name, d.maxAbs,
                d.elements ? d.sumAbs / double(d.elements) : 0.0, relL2);
    if (d.rows)
      std::printf(", top1_agreement %.2f%% (%zu of %zu rows)",
                  100.0 * double(d.rowsAgreeing) / double(d.rows),
                  d.rowsAgreeing, d.rows);
    std::printf("%s\n", d.nonFinite ? ", non-finite values differ" : "");
  }
  return kOk;
}

int runMain(int argc, char **argv) {
  Options o = parseArgs(argc, argv);
  // First-call latency (--benchmark): loading the library, creating the
  // session and the first run, as an app that starts up sees them.
  using Clock = std::chrono::steady_clock;
  auto msSince = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start)
        .count();
  };
  auto loadStart = Clock::now();
  Library lib(o.library);
  double loadMs = msSince(loadStart);
  if (o.info) {
    printInfo(lib);
    return kOk;
  }

  if (!o.weights.empty() &&
      lib.setWeightsPath(lib.model, o.weights.c_str()) != ONNXC_OK)
    fail(kUsage, std::string("--weights: ") + lib.threadLastError());
  if (!o.compareWith.empty())
    return compareLibraries(o, lib);

  std::vector<HostTensor> hostInputs = gatherInputs(o, lib);
  std::vector<onnxc_tensor> inputs(hostInputs.size());
  for (size_t i = 0; i < hostInputs.size(); ++i) {
    const HostTensor &h = hostInputs[i];
    onnxc_tensor &t = inputs[i];
    std::memset(&t, 0, sizeof t);
    t.dtype = onnxc_dtype(h.dtype);
    t.rank = int32_t(h.dims.size());
    std::copy(h.dims.begin(), h.dims.end(), t.dims);
    t.data = h.bytes.data();
    t.size_bytes = h.bytes.size;
  }
  std::vector<onnxc_tensor> outputs(lib.outputs.size());

  onnxc_session *raw = nullptr;
  auto createStart = Clock::now();
  if (onnxc_status st =
          lib.sessionCreateOnDevice(lib.model, o.device, &raw))
    fail(kMismatch, "cannot create a session (status " + std::to_string(st) +
                        "): " + lib.threadLastError());
  std::unique_ptr<onnxc_session, decltype(lib.sessionDestroy)> session(
      raw, lib.sessionDestroy);
  int hasCuda = 0;
  lib.hasDevice(lib.model, ONNXC_DEVICE_CUDA, &hasCuda);
  if (hasCuda || o.deviceGiven) {
    onnxc_device device = ONNXC_DEVICE_CPU;
    lib.sessionDevice(raw, &device);
    std::printf("device: %s (%s)\n",
                device == ONNXC_DEVICE_CUDA ? "cuda" : "cpu",
                lib.deviceReason(raw));
  }
  if (lib.setNumThreads(raw, int32_t(o.threads)) != ONNXC_OK)
    fail(kUsage, std::string("--threads: ") + lib.lastError(raw));

  auto runOnce = [&]() {
    if (onnxc_status st = lib.run(raw, inputs.data(), inputs.size(),
                                  outputs.data(), outputs.size()))
      fail(kMismatch, "run failed (status " + std::to_string(st) +
                          "): " + lib.lastError(raw));
  };

  double createMs = msSince(createStart);

  if (o.benchmark) {
    // The first run, timed on its own and not counted in the statistics.
    auto firstStart = Clock::now();
    runOnce();
    double firstRunMs = msSince(firstStart);
    for (long i = 1; i < o.warmup; ++i)
      runOnce();
    std::vector<double> ms;
    for (long i = 0; i < o.benchmark; ++i) {
      auto start = std::chrono::steady_clock::now();
      runOnce();
      auto stop = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(stop - start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    size_t n = ms.size();
    double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    // The count the session resolved (--threads, else ONNXC_NUM_THREADS,
    // else the cores).
    std::string threads =
        lib.numThreads ? std::to_string(lib.numThreads(raw))
        : o.threads    ? std::to_string(o.threads)
                       : "default";
    std::printf("runs: %ld, warmup: %ld, threads: %s%s\n", o.benchmark,
                std::max(o.warmup, 1L), threads.c_str(),
                o.threads || !lib.numThreads ? "" : " (default)");
    std::printf("median_ms: %.6f\nmin_ms: %.6f\nmax_ms: %.6f\n", median,
                ms.front(), ms.back());
    // External weights are mapped when the first session is created, so
    // their cost is in create_ms.
    std::printf("load_ms: %.6f\ncreate_ms: %.6f\nfirst_run_ms: %.6f\n"
                "first_call_ms: %.6f\n",
                loadMs, createMs, firstRunMs, loadMs + createMs + firstRunMs);
  } else {
    runOnce();
  }

  if (!o.outputDir.empty()) {
    std::error_code ec;
    fs::create_directories(o.outputDir, ec);
    if (ec)
      fail(kUsage, o.outputDir + ": cannot create: " + ec.message());
    for (size_t i = 0; i < outputs.size(); ++i)
      writeTensorProto(o.outputDir + "/output_" + std::to_string(i) + ".pb",
                       lib.outputs[i].name, outputs[i]);
  }

  if (o.testData.empty()) {
    if (!o.benchmark)
      for (size_t i = 0; i < outputs.size(); ++i)
        std::printf("output %zu '%s': %s %s\n", i, lib.outputs[i].name,
                    dtypeName(outputs[i].dtype).c_str(),
                    shapeString(outputs[i].dims, size_t(outputs[i].rank))
                        .c_str());
    return kOk;
  }

  size_t matched = 0, expectedCount = 0;
  while (fs::exists(o.testData + "/output_" + std::to_string(expectedCount) +
                    ".pb"))
    ++expectedCount;
  for (size_t i = 0; i < outputs.size() && i < expectedCount; ++i) {
    HostTensor expected = readTensorProto(o.testData + "/output_" +
                                          std::to_string(i) + ".pb");
    adoptBfloat16Bits(expected, lib.outputs[i].dtype);
    matched += compareOutput(i, lib.outputs[i], outputs[i], expected,
                             o.rtol, o.atol);
  }
  if (expectedCount != outputs.size()) {
    std::printf("MISMATCH: the model has %zu outputs, %s has %zu\n",
                outputs.size(), o.testData.c_str(), expectedCount);
    return kMismatch;
  }
  if (matched != outputs.size()) {
    std::printf("%zu of %zu outputs do not match\n", outputs.size() - matched,
                outputs.size());
    return kMismatch;
  }
  std::printf("all %zu outputs match\n", outputs.size());
  return kOk;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return runMain(argc, argv);
  } catch (const Fatal &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "onnx-run: %s\n", e.what());
    return e.code;
  } catch (const std::exception &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "onnx-run: %s\n", e.what());
    return kUsage;
  }
}
