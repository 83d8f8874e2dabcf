//===- Calibration.cpp - Activation ranges for --quantize=static-int8 -----===//
//
// See Calibration.h. The calibration data is read with onnx-run's tensor
// readers (TensorFiles.h), which report a malformed file with an exception:
// this file is compiled with exceptions for that reason, and catches them
// all here.
//
//===----------------------------------------------------------------------===//

#include "tools/onnx-compile/Calibration.h"

#include "codegen/CpuPipeline.h"
#include "codegen/Linker.h"
#include "codegen/ObjectEmitter.h"
#include "onnx-compile/onnxc_runtime.h"
#include "passes/Passes.h"
#include "passes/QuantizeCommon.h"
#include "tools/onnx-run/TensorFiles.h"

#include "mlir/IR/Location.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>

using namespace mlir;
namespace fs = std::filesystem;

namespace onnxc {
namespace {

/// One calibration set: the model's inputs, in the model's order.
struct CalibrationSet {
  std::string dir;
  std::vector<onnxrun::HostTensor> inputs;
};

/// `input_N.pb` files of `dir` by N; empty when there are none.
std::map<int, std::string> inputFiles(const fs::path &dir) {
  std::map<int, std::string> files;
  std::error_code ec;
  for (const fs::directory_entry &e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("input_", 0) != 0 || e.path().extension() != ".pb")
      continue;
    std::string digits = name.substr(6, name.size() - 6 - 3);
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), ::isdigit) ||
        digits.size() > 6)
      continue;
    files[std::stoi(digits)] = e.path().string();
  }
  return files;
}

std::string shapeText(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") + (dims[i] < 0 ? "?" : std::to_string(dims[i]));
  return s + "]";
}

/// The sets of `dir`, each input checked against the model's.
bool readSets(const std::string &dir, const ModelInterface &model,
              std::vector<CalibrationSet> &sets, std::string &error) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    error = "--calibration-data " + dir + ": not a directory";
    return false;
  }
  std::vector<std::pair<int64_t, std::string>> dirs;
  if (!inputFiles(dir).empty()) {
    dirs.push_back({0, dir});
  } else {
    for (const fs::directory_entry &e : fs::directory_iterator(dir, ec)) {
      std::string name = e.path().filename().string();
      const std::string prefix = "test_data_set_";
      if (!e.is_directory() || name.rfind(prefix, 0) != 0)
        continue;
      std::string digits = name.substr(prefix.size());
      int64_t index = !digits.empty() && digits.size() < 10 &&
                              std::all_of(digits.begin(), digits.end(),
                                          ::isdigit)
                          ? std::stoll(digits)
                          : std::numeric_limits<int64_t>::max();
      dirs.push_back({index, e.path().string()});
    }
    std::sort(dirs.begin(), dirs.end());
  }
  if (dirs.empty()) {
    error = "--calibration-data " + dir +
            ": no calibration sets (expected DIR/test_data_set_*/input_N.pb "
            "or DIR/input_N.pb)";
    return false;
  }
  for (const auto &[index, setDir] : dirs) {
    std::map<int, std::string> files = inputFiles(setDir);
    std::string where = "calibration set " + setDir + ": ";
    if (files.size() != model.inputs.size() ||
        (!files.empty() && files.rbegin()->first != int(files.size()) - 1)) {
      error = where + "has " + std::to_string(files.size()) +
              " input_N.pb files (numbered from 0); the model has " +
              std::to_string(model.inputs.size()) + " inputs";
      return false;
    }
    CalibrationSet set;
    set.dir = setDir;
    set.inputs.resize(model.inputs.size());
    std::vector<bool> seen(model.inputs.size());
    for (const auto &[n, path] : files) {
      onnxrun::HostTensor t;
      try {
        t = onnxrun::readTensorProto(path);
      } catch (const onnxrun::Fatal &f) {
        error = where + f.what();
        return false;
      }
      // By the name the file carries, else by position, as onnx-run does.
      size_t i = size_t(n);
      if (!t.name.empty()) {
        auto it = std::find_if(
            model.inputs.begin(), model.inputs.end(),
            [&](const TensorInterface &in) { return in.name == t.name; });
        if (it == model.inputs.end()) {
          error = where + fs::path(path).filename().string() + " holds '" +
                  t.name + "', which is not an input of the model";
          return false;
        }
        i = it - model.inputs.begin();
      }
      const TensorInterface &in = model.inputs[i];
      std::string what = where + fs::path(path).filename().string() +
                         " (input '" + in.name + "')";
      if (seen[i]) {
        error = what + ": given twice";
        return false;
      }
      seen[i] = true;
      if (t.dtype != in.dtype) {
        error = what + ": dtype " + onnxrun::dtypeName(t.dtype) +
                ", the model's is " + onnxrun::dtypeName(in.dtype);
        return false;
      }
      bool fits = t.dims.size() == in.dims.size();
      for (size_t d = 0; fits && d < t.dims.size(); ++d)
        fits = in.dims[d] < 0 || in.dims[d] == t.dims[d];
      if (!fits) {
        error = what + ": shape " + shapeText(t.dims) +
                ", the model's is " + shapeText(in.dims);
        return false;
      }
      set.inputs[i] = std::move(t);
    }
    sets.push_back(std::move(set));
  }
  return true;
}

/// The calibration variant as a loaded library.
struct CalibrationLibrary {
  void *handle = nullptr;
  const onnxc_model *model = nullptr;
  decltype(&onnxc_session_create) sessionCreate = nullptr;
  decltype(&onnxc_session_destroy) sessionDestroy = nullptr;
  decltype(&onnxc_session_run) run = nullptr;
  decltype(&onnxc_session_last_error) lastError = nullptr;
  decltype(&onnxc_last_error) threadLastError = nullptr;
  ~CalibrationLibrary() {
    if (handle)
      dlclose(handle);
  }
};

bool loadLibrary(const std::string &path, CalibrationLibrary &lib,
                 std::string &error) {
  lib.handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib.handle) {
    error = std::string("cannot load the calibration library: ") + dlerror();
    return false;
  }
  bool ok = true;
  auto sym = [&](auto &fn, const char *name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
        dlsym(lib.handle, name));
    ok &= fn != nullptr;
  };
  onnxc_model_get_fn get = nullptr;
  sym(get, ONNXC_MODEL_GET_SYMBOL);
  sym(lib.sessionCreate, "onnxc_session_create");
  sym(lib.sessionDestroy, "onnxc_session_destroy");
  sym(lib.run, "onnxc_session_run");
  sym(lib.lastError, "onnxc_session_last_error");
  sym(lib.threadLastError, "onnxc_last_error");
  if (!ok) {
    error = "the calibration library lacks the runtime's entry points";
    return false;
  }
  lib.model = get();
  return true;
}

/// What one activation took over the calibration data.
struct ActivationStats {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  uint64_t count = 0;    // finite values seen
  uint64_t nonFinite = 0;
  std::vector<uint64_t> histogram; // over [lo, hi], the percentile pass
};

constexpr int kBins = 1 << 14;

/// The value below which a fraction `q` of the histogram's mass lies,
/// interpolated linearly inside its bin.
float quantile(const ActivationStats &s, double q) {
  double target = q * double(s.count), seen = 0;
  double width = (double(s.hi) - double(s.lo)) / kBins;
  for (int b = 0; b < kBins; ++b) {
    double c = double(s.histogram[b]);
    if (seen + c >= target && c > 0) {
      double inside = (target - seen) / c;
      return float(double(s.lo) + (b + inside) * width);
    }
    seen += c;
  }
  return s.hi;
}

/// The node name a location carries ("" when none).
std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(l))
        return name.getName().str();
  return "";
}

} // namespace

bool calibrateActivationRanges(ModuleOp module, const ModelInterface &model,
                               const CalibrationOptions &options,
                               std::string &error) {
  auto func = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!func) {
    error = "the module has no main_graph function";
    return false;
  }
  std::vector<CalibrationSet> sets;
  if (!readSets(options.dataDir, model, sets, error))
    return false;
  std::vector<CalibrationSite> sites = calibrationSites(func, options.ops);
  if (options.verbose)
    llvm::errs() << "onnx-compile: calibration: " << sets.size()
                 << " set(s) from " << options.dataDir << ", "
                 << sites.size() << " activation(s) to calibrate ("
                 << (options.method == CalibrationMethod::MinMax
                         ? std::string("minmax")
                         : "percentile " + std::to_string(options.percentile))
                 << ")\n";
  if (sites.empty())
    return true; // nothing is quantized; nothing to run
  size_t numOutputs = func.getFunctionType().getNumResults();

  // The variant: the same graph, the activations as extra results, compiled
  // for the host as a plain f32 library.
  OwningOpRef<ModuleOp> variant = module.clone();
  {
    PassManager pm(module.getContext());
    pm.addPass(createExposeCalibrationActivations(
        ExposeCalibrationActivationsOptions{options.ops.matmul, options.ops.conv}));
    if (failed(pm.run(*variant))) {
      error = "building the calibration variant failed";
      return false;
    }
  }
  ModelInterface variantInterface;
  if (!readModelInterface(*variant, "onnxc_calibration", variantInterface,
                          error))
    return false;
  if (variantInterface.outputs.size() != numOutputs + sites.size()) {
    error = "the calibration variant does not expose every activation";
    return false;
  }
  CpuPipelineOptions pipeline;
  pipeline.optLevel = options.optLevel;
  {
    PassManager pm(module.getContext());
    buildOnnxToLinalgPipeline(pm, pipeline);
    buildLinalgToLlvmPipeline(pm, pipeline);
    if (auto f = variant->lookupSymbol("main_graph"))
      f->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));
    if (failed(pm.run(*variant))) {
      error = "compiling the calibration variant failed";
      return false;
    }
  }
  ObjectOptions objectOptions; // the host, its CPU
  objectOptions.optLevel = options.optLevel;
  objectOptions.symbolPrefix = "onnxc_calibration";
  std::string bytes;
  if (!emitModelObject(*variant, variantInterface, objectOptions,
                       EmitKind::Object, bytes, error))
    return false;
  variant = nullptr;
  std::string runtime = findRuntimeArchive(options.argv0, "", error);
  if (runtime.empty())
    return false;
  llvm::SmallString<128> soPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "onnxc-calibration", "so", soPath)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  llvm::FileRemover removeSo(soPath); // the mapping outlives the file
  if (!linkSharedLibrary(bytes, runtime, "", std::string(soPath), error))
    return false;
  bytes.clear();
  CalibrationLibrary lib;
  if (!loadLibrary(std::string(soPath), lib, error))
    return false;
  onnxc_session *session = nullptr;
  if (lib.sessionCreate(lib.model, &session) != ONNXC_OK) {
    error = std::string("calibration: cannot create a session: ") +
            lib.threadLastError();
    return false;
  }
  std::unique_ptr<onnxc_session, decltype(lib.sessionDestroy)> owner(
      session, lib.sessionDestroy);

  std::vector<ActivationStats> stats(sites.size());
  // One pass over the sets; `visit(site, values, count)` sees each
  // activation's values.
  auto runAll = [&](auto visit) {
    std::vector<onnxc_tensor> outputs(variantInterface.outputs.size());
    for (const CalibrationSet &set : sets) {
      std::vector<onnxc_tensor> inputs(set.inputs.size());
      for (size_t i = 0; i < inputs.size(); ++i) {
        const onnxrun::HostTensor &t = set.inputs[i];
        onnxc_tensor &in = inputs[i];
        in.dtype = onnxc_dtype(t.dtype);
        in.rank = int32_t(t.dims.size());
        std::copy(t.dims.begin(), t.dims.end(), in.dims);
        in.data = t.bytes.data();
        in.size_bytes = t.bytes.size;
      }
      if (lib.run(session, inputs.data(), inputs.size(), outputs.data(),
                  outputs.size()) != ONNXC_OK) {
        error = "calibration set " + set.dir + ": the model failed: " +
                lib.lastError(session);
        return false;
      }
      for (size_t s = 0; s < sites.size(); ++s) {
        const onnxc_tensor &out = outputs[numOutputs + s];
        visit(stats[s], static_cast<const float *>(out.data),
              out.size_bytes / sizeof(float));
      }
    }
    return true;
  };
  bool ok = runAll([](ActivationStats &s, const float *v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      float x = v[i];
      if (!std::isfinite(x)) {
        ++s.nonFinite;
        continue;
      }
      s.lo = std::min(s.lo, x);
      s.hi = std::max(s.hi, x);
      ++s.count;
    }
  });
  if (!ok)
    return false;
  bool percentile = options.method == CalibrationMethod::Percentile &&
                    options.percentile < 100.0;
  if (percentile) {
    // A second pass, now that each histogram's bounds are known.
    for (ActivationStats &s : stats)
      s.histogram.assign(s.count ? kBins : 0, 0);
    ok = runAll([](ActivationStats &s, const float *v, size_t n) {
      if (!s.count)
        return;
      double scale = kBins / (double(s.hi) - double(s.lo));
      for (size_t i = 0; i < n; ++i) {
        float x = v[i];
        if (!std::isfinite(x))
          continue;
        int64_t b = s.hi > s.lo ? int64_t((double(x) - s.lo) * scale) : 0;
        ++s.histogram[std::clamp<int64_t>(b, 0, kBins - 1)];
      }
    });
    if (!ok)
      return false;
  }

  // The ranges go onto the real module's ops, found in the same order.
  Builder b(module.getContext());
  for (size_t s = 0; s < sites.size(); ++s) {
    const ActivationStats &st = stats[s];
    Operation *op = sites[s].op;
    if (!st.count) {
      // Nothing observed (an empty tensor, or nothing finite): no range to
      // trust, the op stays in f32.
      if (options.verbose)
        llvm::errs() << "onnx-compile: calibration: node '"
                     << nodeName(op->getLoc()) << "' ("
                     << op->getName().stripDialect()
                     << "): no finite values seen, left in f32\n";
      continue;
    }
    float lo = st.lo, hi = st.hi;
    if (percentile && st.hi > st.lo) {
      double p = options.percentile / 100.0;
      lo = std::max(st.lo, quantile(st, 1.0 - p));
      hi = std::min(st.hi, quantile(st, p));
      if (lo > hi)
        lo = hi = quantile(st, 0.5);
    }
    op->setAttr(kActivationRangeAttr, b.getDenseF32ArrayAttr({lo, hi}));
    if (options.verbose) {
      float qlo = std::min(lo, 0.0f), qhi = std::max(hi, 0.0f);
      float scale =
          std::max((qhi - qlo) / 255.0f, std::numeric_limits<float>::min());
      llvm::errs() << "onnx-compile: calibration: node '"
                   << nodeName(op->getLoc()) << "' ("
                   << op->getName().stripDialect() << "): observed ["
                   << llvm::format("%g", st.lo) << ", "
                   << llvm::format("%g", st.hi) << "], range ["
                   << llvm::format("%g", lo) << ", " << llvm::format("%g", hi)
                   << "], scale " << llvm::format("%g", scale)
                   << ", zero point "
                   << int(std::clamp(std::nearbyint(-qlo / scale), 0.0f,
                                     255.0f));
      if (st.nonFinite)
        llvm::errs() << ", " << st.nonFinite << " non-finite values ignored";
      llvm::errs() << "\n";
    }
  }
  return true;
}

} // namespace onnxc
