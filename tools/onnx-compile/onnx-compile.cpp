//===- onnx-compile.cpp - The compiler driver -----------------------------===//
//
// onnx-compile MODEL.onnx [-o OUT] [--emit=STAGE] [--shape IN=1x3x224x224]
//                         [--dim SYMBOL=N] [--target=ARCH] [-O0..-O3]
//                         [--weights=embedded|external] ...
//
// `onnx-compile --help` lists every flag; docs/user-guide.md describes them.
// Errors are one line on stderr, `MODEL.onnx: node 'NAME' (Op): message`,
// and a non-zero exit. On a terminal each stage prints a progress line.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuPipeline.h"
#include "codegen/CudaHostMerge.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "codegen/CudaPipeline.h"
#include "codegen/HeaderWriter.h"
#include "codegen/Linker.h"
#include "codegen/ModelInterface.h"
#include "codegen/ObjectEmitter.h"
#include "codegen/PtxEmitter.h"
#include "lib/importer/ModelImporter.h"
#include "tools/onnx-compile/Calibration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <future>

using namespace llvm;

namespace {

enum class EmitStage { Onnx, Linalg, Llvm, Asm, Obj, Lib, So, Ptx };

cl::OptionCategory category("onnx-compile options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath(
    "o",
    cl::desc("Output file ('-' = stdout). Its extension picks the artifact "
             "when --emit is not given: .so shared library, .a static "
             "library, .o object, .ll LLVM IR, .s assembly, else the "
             "imported MLIR. A library gets its header <name>.h beside it"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<EmitStage> emitStage(
    "emit",
    cl::desc("Stop at this stage (default: from -o's extension)"),
    cl::init(EmitStage::Onnx),
    cl::values(
        clEnumValN(EmitStage::Onnx, "onnx", "the imported onnx-dialect MLIR"),
        clEnumValN(EmitStage::Linalg, "linalg", "MLIR lowered to linalg"),
        clEnumValN(EmitStage::Llvm, "llvm", "LLVM IR"),
        clEnumValN(EmitStage::Asm, "asm", "target assembly"),
        clEnumValN(EmitStage::Obj, "obj", "an object file"),
        clEnumValN(EmitStage::Lib, "lib", "a static library"),
        clEnumValN(EmitStage::So, "so", "a shared library"),
        clEnumValN(EmitStage::Ptx, "ptx",
                   "CUDA PTX of all kernels (--target=cuda)")),
    cl::cat(category));
cl::list<std::string> shapeOverrides(
    "shape", cl::desc("Fix an input's shape: NAME=1x3x224x224"),
    cl::value_desc("NAME=DIMS"), cl::cat(category));
cl::list<std::string> dimOverrides(
    "dim", cl::desc("Fix a symbolic dim: SYMBOL=N"),
    cl::value_desc("SYMBOL=N"), cl::cat(category));
cl::opt<bool> noShapeInference(
    "no-shape-inference",
    cl::desc("Do not run ONNX shape inference on import"), cl::init(false),
    cl::cat(category));

cl::opt<std::string> target(
    "target", cl::desc("Target architecture: x86_64, aarch64, cuda, or "
                       "x86_64,cuda (a library with both; the runtime "
                       "picks the GPU when one is usable) (default: the "
                       "host)"),
    cl::value_desc("arch"), cl::init(""), cl::cat(category));
cl::opt<std::string> cpu(
    "cpu",
    cl::desc("Target CPU, as LLVM names it (e.g. znver4, neoverse-v1; "
             "default: the host's CPU, or a generic one for another arch)"),
    cl::value_desc("name"), cl::init(""), cl::cat(category));
cl::opt<bool> noInt8DotProduct(
    "no-int8-dot-product",
    cl::desc("Compute int8 products with portable integer code, not the "
             "target CPU's dot-product instructions (the same results, bit "
             "for bit, slower: for checking the kernels)"),
    cl::init(false), cl::cat(category));
cl::opt<std::string> cudaArch(
    "cuda-arch",
    cl::desc("GPU architecture of --target=cuda and x86_64,cuda: sm_80, "
             "sm_86, sm_89 or sm_90 (default: sm_80)"),
    cl::value_desc("sm_XX"), cl::init("sm_80"), cl::cat(category));
cl::opt<std::string> cudaPath(
    "cuda-path",
    cl::desc("CUDA toolkit whose libdevice --target=cuda links (default: "
             "$CUDA_PATH, else /usr/local/cuda)"),
    cl::value_desc("dir"), cl::init(""), cl::cat(category));
cl::opt<bool> cudaMapOnCpu(
    "cuda-map-on-cpu",
    cl::desc("Testing: map the ops to GPU blocks and threads as --target=cuda "
             "does, then run the mapped loops in a CPU library (checks the "
             "mapping's numbers without a GPU)"),
    cl::init(false), cl::Hidden, cl::cat(category));
cl::opt<std::string> cudaEmulationKernels(
    "cuda-emulation-kernels",
    cl::desc("Testing: with --target=x86_64,cuda, also write the kernels "
             "compiled for the host, as a shared library, to this path, for "
             "the CUDA emulator of the test suite"),
    cl::value_desc("file"), cl::init(""), cl::Hidden, cl::cat(category));
enum OptLevel { O0 = 0, O1 = 1, O2 = 2, O3 = 3 };
cl::opt<OptLevel> optLevel(cl::desc("Optimization level"), cl::init(O3),
                           cl::values(clEnumVal(O0, "no optimization"),
                                      clEnumVal(O1, "light"),
                                      clEnumVal(O2, "default"),
                                      clEnumVal(O3, "aggressive (default)")),
                           cl::cat(category));
enum class QuantizeMode { None, DynamicInt8, StaticInt8 };
cl::opt<QuantizeMode> quantizeMode(
    "quantize", cl::desc("Run matrix products and convolutions in integers"),
    cl::init(QuantizeMode::None),
    cl::values(clEnumValN(QuantizeMode::None, "none", "keep f32 (default)"),
               clEnumValN(QuantizeMode::DynamicInt8, "dynamic-int8",
                          "MatMul/Gemm/Conv weights to int8 per output "
                          "channel at compile time, activations to uint8 "
                          "at run time"),
               clEnumValN(QuantizeMode::StaticInt8, "static-int8",
                          "the same weights; activations to uint8 with "
                          "constant scales calibrated on "
                          "--calibration-data (runs the model on this "
                          "machine)")),
    cl::cat(category));
cl::list<std::string> quantizeOps(
    "quantize-ops",
    cl::desc("The kinds of ops --quantize quantizes: matmul (MatMul and "
             "Gemm), conv (Conv with one group); default both"),
    cl::value_desc("matmul,conv"), cl::CommaSeparated, cl::cat(category));
cl::opt<unsigned> quantizeGroup(
    "quantize-group",
    cl::desc("--quantize=dynamic-int8: take a MatMul/Gemm activation's "
             "range per run of N values along each row (default 128; 0: one "
             "range per row). Products whose K is not a multiple of N, or "
             "is N itself, use one range per row"),
    cl::value_desc("N"), cl::init(128), cl::cat(category));
cl::opt<std::string> calibrationData(
    "calibration-data",
    cl::desc("--quantize=static-int8: the inputs to calibrate on, one or "
             "more ONNX test-data sets (DIR/test_data_set_*/input_N.pb, or "
             "DIR/input_N.pb)"),
    cl::value_desc("dir"), cl::init(""), cl::cat(category));
cl::opt<onnxc::CalibrationMethod> calibrationMethod(
    "calibration-method",
    cl::desc("How --quantize=static-int8 turns the activations seen into "
             "a range"),
    cl::init(onnxc::CalibrationMethod::MinMax),
    cl::values(clEnumValN(onnxc::CalibrationMethod::MinMax, "minmax",
                          "the smallest and largest value (default)"),
               clEnumValN(onnxc::CalibrationMethod::Percentile, "percentile",
                          "[P(100 - p), P(p)], p from "
                          "--calibration-percentile: outliers saturate")),
    cl::cat(category));
cl::opt<double> calibrationPercentile(
    "calibration-percentile",
    cl::desc("p of --calibration-method=percentile, in (50, 100] "
             "(default 99.99)"),
    cl::value_desc("p"), cl::init(99.99), cl::cat(category));
cl::opt<std::string> symbolName(
    "name", cl::desc("Prefix of the exported symbols and the header name "
                     "(default: from the output file name, libmodel.so -> "
                     "model)"),
    cl::value_desc("prefix"), cl::init(""), cl::cat(category));

enum class WeightsMode { Embedded, External };
cl::opt<WeightsMode> weightsMode(
    "weights", cl::desc("Where the weights go"),
    cl::init(WeightsMode::Embedded),
    cl::values(clEnumValN(WeightsMode::Embedded, "embedded",
                          "into the library (default)"),
               clEnumValN(WeightsMode::External, "external",
                          "into OUT.weights beside the output, which the "
                          "library maps at run time")),
    cl::cat(category));

cl::opt<uint64_t> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Refuse a model with a tensor (weight, constant, or declared or "
             "inferred static shape) needing more bytes than this"),
    cl::init(uint64_t(16) << 30), cl::cat(category));
cl::opt<bool> importTiming("import-timing",
                           cl::desc("Print the time of each import phase"),
                           cl::init(false), cl::cat(category));
cl::opt<bool> compileTiming(
    "timing",
    cl::desc("Print the time of each pass and of code generation and "
             "linking (to stderr)"),
    cl::init(false), cl::cat(category));
cl::opt<bool> printIrAfterAll(
    "print-ir-after-all",
    cl::desc("Print the IR after every pass of the pipeline (to stderr)"),
    cl::init(false), cl::cat(category));
cl::list<std::string> printIrAfter(
    "print-ir-after",
    cl::desc("Print the IR after the named passes (to stderr), e.g. "
             "onnxc-fold-batchnorm,convert-onnx-to-linalg"),
    cl::value_desc("pass"), cl::CommaSeparated, cl::cat(category));
cl::alias verboseAlias("v", cl::desc("Alias for --timing"),
                       cl::aliasopt(compileTiming), cl::NotHidden,
                       cl::cat(category));

cl::extrahelp examples(
    "\nExamples:\n"
    "  onnx-compile model.onnx -o libmodel.so   shared library + model.h\n"
    "  onnx-compile model.onnx -o libmodel.a    static library + model.h\n"
    "  onnx-compile model.onnx --emit=linalg    lowered MLIR to stdout\n"
    "  onnx-compile model.onnx -o libmodel.so --dim batch=1 "
    "--shape x=1x3x224x224\n"
    "\nThe CLI and the library API: docs/user-guide.md, docs/runtime-api.md\n");

enum class ProgressMode { Auto, Always, Never };
cl::opt<ProgressMode> progressMode(
    "progress",
    cl::desc("Print a line as each stage starts, with the time elapsed "
             "(to stderr)"),
    cl::init(ProgressMode::Auto),
    cl::values(clEnumValN(ProgressMode::Auto, "auto",
                          "when stderr is a terminal (default)"),
               clEnumValN(ProgressMode::Always, "always", "always"),
               clEnumValN(ProgressMode::Never, "never", "never")),
    cl::cat(category));

/// One line per stage, `onnx-compile: [2/4] lowering (0.4 s)`, so a long
/// compile shows where it is; quiet when stderr is not a terminal (builds,
/// tests, pipes) unless --progress=always.
class Progress {
public:
  explicit Progress(int total)
      : total(total), start(std::chrono::steady_clock::now()),
        enabled(progressMode == ProgressMode::Always ||
                (progressMode == ProgressMode::Auto &&
                 sys::Process::StandardErrIsDisplayed())) {}

  void stage(const char *what) {
    ++index;
    if (enabled)
      errs() << format("onnx-compile: [%d/%d] %s (%.1f s)\n", index, total,
                       what, seconds());
  }
  void done() {
    if (enabled)
      errs() << format("onnx-compile: done in %.1f s\n", seconds());
  }

private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }
  int total;
  int index = 0;
  std::chrono::steady_clock::time_point start;
  bool enabled;
};

/// Prints "onnx-compile: <what> took N ms" when --timing is on.
class PhaseTimer {
public:
  explicit PhaseTimer(const char *what)
      : what(what), start(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() {
    if (!compileTiming)
      return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    errs() << "onnx-compile: " << what << " took " << ms << " ms\n";
  }

private:
  const char *what;
  std::chrono::steady_clock::time_point start;
};

void printVersion(raw_ostream &os) {
  os << "onnx-compile version " ONNXC_VERSION "\n"
     << "  LLVM/MLIR version " LLVM_VERSION_STRING "\n"
     << "  default target: " << sys::getDefaultTargetTriple() << "\n"
     << "  host CPU: " << sys::getHostCPUName() << "\n";
}

/// The MLIR printing flags that matter to users of --emit=onnx/linalg are
/// listed by --help with onnx-compile's own; the rest stay behind
/// --help-hidden.
void showMlirPrintingOptions() {
  auto &options = cl::getRegisteredOptions();
  for (const char *name : {"mlir-elide-elementsattrs-if-larger",
                           "mlir-elide-resource-strings-if-larger",
                           "mlir-print-debuginfo"}) {
    auto it = options.find(name);
    if (it != options.end())
      it->second->addCategory(category);
  }
}

bool parseDimValue(StringRef text, int64_t &value) {
  return !text.getAsInteger(10, value) && value >= 0;
}

/// Parses --shape and --dim into the importer's options; false after
/// printing what is wrong.
bool parseOverrides(onnxc::ImportOptions &options) {
  for (StringRef spec : shapeOverrides) {
    auto [name, dims] = spec.rsplit('=');
    if (name.empty() || dims.empty() || !spec.contains('=')) {
      errs() << "onnx-compile: --shape expects NAME=DIMS (e.g. "
                "input=1x3x224x224), got '"
             << spec << "'\n";
      return false;
    }
    std::vector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t v;
      if (!parseDimValue(part, v)) {
        errs() << "onnx-compile: --shape " << spec << ": '" << part
               << "' is not a non-negative integer\n";
        return false;
      }
      shape.push_back(v);
    }
    options.inputShapes[name.str()] = shape;
  }
  for (StringRef spec : dimOverrides) {
    auto [name, value] = spec.rsplit('=');
    int64_t v;
    if (name.empty() || !spec.contains('=') || !parseDimValue(value, v)) {
      errs() << "onnx-compile: --dim expects SYMBOL=N with N >= 0, got '"
             << spec << "'\n";
      return false;
    }
    options.dimValues[name.str()] = v;
  }
  return true;
}

/// The options that shape the generated code, in one fixed form whatever
/// order or spelling the command line used (--shape and --dim sorted by
/// name), for the library's `compiler_flags` compile info. No paths: two
/// builds of one model with the same flags must give identical bytes.
/// `ops` is --quantize-ops as main validated it.
std::string codeFlags(const onnxc::ImportOptions &options,
                      const onnxc::QuantizeOps &ops) {
  std::string flags = "-O" + std::to_string(int(optLevel.getValue()));
  flags += weightsMode == WeightsMode::External ? " --weights=external"
                                                : " --weights=embedded";
  if (!target.empty())
    flags += " --target=" + target;
  if (!cpu.empty())
    flags += " --cpu=" + cpu;
  if (noInt8DotProduct)
    flags += " --no-int8-dot-product";
  if (target == "cuda" || target == "x86_64,cuda")
    flags += " --cuda-arch=" + cudaArch;
  if (noShapeInference)
    flags += " --no-shape-inference";
  if (quantizeMode == QuantizeMode::DynamicInt8) {
    flags += " --quantize=dynamic-int8";
    if (quantizeGroup.getNumOccurrences())
      flags += " --quantize-group=" + std::to_string(quantizeGroup.getValue());
  }
  // The calibration data's path is left out (no paths); its method is not.
  if (quantizeMode == QuantizeMode::StaticInt8) {
    flags += " --quantize=static-int8";
    if (calibrationMethod == onnxc::CalibrationMethod::Percentile) {
      char p[32];
      std::snprintf(p, sizeof(p), "%g", calibrationPercentile.getValue());
      flags += " --calibration-method=percentile --calibration-percentile=";
      flags += p;
    }
    else
      flags += " --calibration-method=minmax";
  }
  if (quantizeOps.getNumOccurrences()) {
    // Normalized: each kind once, in a fixed order.
    flags += " --quantize-ops=";
    flags += ops.matmul && ops.conv ? "matmul,conv"
             : ops.matmul           ? "matmul"
                                    : "conv";
  }
  if (cudaMapOnCpu)
    flags += " --cuda-map-on-cpu";
  for (const auto &[name, shape] : options.inputShapes) {
    flags += " --shape " + name + "=";
    for (size_t i = 0; i < shape.size(); ++i)
      flags += (i ? "x" : "") + std::to_string(shape[i]);
  }
  for (const auto &[name, value] : options.dimValues)
    flags += " --dim " + name + "=" + std::to_string(value);
  return flags;
}

/// Writes to `path` ('-' = stdout); 0 on success, 1 after a message.
int writeText(const std::string &path,
              llvm::function_ref<void(raw_ostream &)> write) {
  std::string openError;
  std::unique_ptr<ToolOutputFile> output =
      mlir::openOutputFile(path, &openError);
  if (!output) {
    errs() << "onnx-compile: " << openError << "\n";
    return 1;
  }
  write(output->os());
  output->keep();
  return 0;
}

/// The stage `-o`'s extension asks for when --emit is not given.
EmitStage stageFromOutput() {
  StringRef ext = sys::path::extension(outputPath);
  if (ext == ".so") return EmitStage::So;
  if (ext == ".a") return EmitStage::Lib;
  if (ext == ".o") return EmitStage::Obj;
  if (ext == ".ll") return EmitStage::Llvm;
  if (ext == ".s") return EmitStage::Asm;
  if (ext == ".ptx") return EmitStage::Ptx;
  return EmitStage::Onnx;
}

/// `libmodel.so` -> `model`, as a C identifier.
std::string defaultPrefix() {
  std::string stem = sys::path::stem(outputPath == "-" ? inputPath.getValue()
                                                       : outputPath.getValue())
                         .str();
  if (StringRef(stem).starts_with("lib") && stem.size() > 3)
    stem = stem.substr(3);
  std::string id;
  for (char c : stem)
    id += isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || isdigit(static_cast<unsigned char>(id[0])))
    id = "model_" + id;
  return id;
}

/// Prints pass errors as `model.onnx: node 'NAME' (Op): message`, the
/// node coming from the op's location.
class ModelDiagnostics {
public:
  ModelDiagnostics(mlir::MLIRContext &context, const std::string &file,
                   StringRef backend)
      : handler(&context, [file, backend = backend.str()](
                              mlir::Diagnostic &diag) {
          if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
            return mlir::success();
          std::string message = diag.str();
          std::string node, opType;
          if (auto name = dyn_cast<mlir::NameLoc>(diag.getLocation()))
            node = name.getName().str();
          StringRef m(message);
          if (m.consume_front("failed to legalize operation 'onnx.")) {
            opType = m.split('\'').first.str();
            message = "the " + backend +
                      " backend cannot lower this op yet (with these "
                      "types, shapes and attributes)";
          }
          errs() << file << ": ";
          if (!node.empty()) {
            errs() << "node '" << node << "'";
            if (!opType.empty())
              errs() << " (" << opType << ")";
            errs() << ": ";
          }
          errs() << message << "\n";
          return mlir::success();
        }) {}

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// How many progress stages a compile to `stage` goes through.
int stageCount(EmitStage stage) {
  switch (stage) {
  case EmitStage::Onnx: return 1;
  case EmitStage::Linalg: return 2;
  case EmitStage::Llvm:
  case EmitStage::Asm:
  case EmitStage::Obj:
  case EmitStage::Ptx: return 3;
  default: return 4;
  }
}

} // namespace

/// --cuda-emulation-kernels: the outlined kernels of `gpuModule` compiled
/// for the host into a shared library (codegen/CudaEmulationKernels.cpp).
/// Non-zero with `error` set on failure.
static int writeEmulationKernels(mlir::ModuleOp gpuModule,
                          const onnxc::ObjectOptions &objectOptions,
                          const std::string &runtime, std::string &error) {
  mlir::OwningOpRef<mlir::ModuleOp> kernels = gpuModule.clone();
  mlir::PassManager pm(gpuModule.getContext());
  onnxc::buildCudaEmulationPipeline(pm);
  if (failed(pm.run(*kernels))) {
    error = "the kernels cannot be compiled for the CUDA emulation";
    return 1;
  }
  std::string bytes;
  if (!onnxc::emitPlainObject(*kernels, objectOptions, bytes, error) ||
      !onnxc::linkSharedLibrary(bytes, runtime, objectOptions.triple,
                                cudaEmulationKernels, error))
    return 1;
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  showMlirPrintingOptions();
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(printVersion);
  cl::ParseCommandLineOptions(argc, argv,
                              "onnx-compile: ONNX models to native code\n");

  onnxc::ImportOptions options;
  if (!parseOverrides(options))
    return 1;
  options.runShapeInference = !noShapeInference;
  options.printTiming = importTiming;
  options.maxTensorBytes = maxTensorBytes;

  EmitStage stage =
      emitStage.getNumOccurrences() ? emitStage.getValue() : stageFromOutput();
  // --target=x86_64,cuda: the x86-64 library, with the model's PTX
  // embedded for the runtime to load where a GPU is usable.
  bool fat = target == "x86_64,cuda";
  if (!cudaEmulationKernels.empty() && !fat) {
    errs() << "onnx-compile: --cuda-emulation-kernels needs "
              "--target=x86_64,cuda\n";
    return 1;
  }
  if (fat && stage == EmitStage::Ptx) {
    errs() << "onnx-compile: --emit=ptx needs --target=cuda; "
              "--target=x86_64,cuda makes libraries (.so, .a, .o)\n";
    return 1;
  }
  bool cuda = target == "cuda" || stage == EmitStage::Ptx;
  if (cuda && !target.empty() && target != "cuda") {
    errs() << "onnx-compile: --emit=ptx needs --target=cuda, not --target="
           << target << "\n";
    return 1;
  }
  if (cuda && stage != EmitStage::Onnx && stage != EmitStage::Linalg &&
      stage != EmitStage::Ptx) {
    errs() << "onnx-compile: --target=cuda emits PTX only so far "
              "(--emit=ptx or -o FILE.ptx)\n";
    return 1;
  }
  onnxc::PtxOptions ptxOptions;
  if (cuda || fat) {
    ptxOptions.arch = cudaArch;
    ptxOptions.optLevel = optLevel;
    ptxOptions.printTiming = compileTiming;
    if (!is_contained(onnxc::supportedCudaArchs(), ptxOptions.arch)) {
      errs() << "onnx-compile: unknown --cuda-arch '" << cudaArch << "' (";
      ListSeparator sep;
      for (const std::string &arch : onnxc::supportedCudaArchs())
        errs() << sep << arch;
      errs() << ")\n";
      return 1;
    }
    std::string toolkit = cudaPath;
    if (toolkit.empty())
      if (std::optional<std::string> env = sys::Process::GetEnv("CUDA_PATH"))
        toolkit = *env;
    if (toolkit.empty())
      toolkit = "/usr/local/cuda";
    std::string libdeviceError;
    ptxOptions.libdevicePath = onnxc::findLibdevice(toolkit, libdeviceError);
    if ((stage == EmitStage::Ptx || fat) && ptxOptions.libdevicePath.empty()) {
      errs() << "onnx-compile: " << libdeviceError << "\n";
      return 1;
    }
  }
  // Static quantization runs the model to calibrate it: the code must run
  // here.
  bool staticInt8 = quantizeMode == QuantizeMode::StaticInt8;
  onnxc::QuantizeOps opsToQuantize;
  if (quantizeOps.getNumOccurrences()) {
    if (quantizeMode == QuantizeMode::None) {
      errs() << "onnx-compile: --quantize-ops needs --quantize=dynamic-int8 "
                "or --quantize=static-int8\n";
      return 1;
    }
    opsToQuantize = {false, false};
    for (const std::string &kind : quantizeOps) {
      if (kind == "matmul")
        opsToQuantize.matmul = true;
      else if (kind == "conv")
        opsToQuantize.conv = true;
      else {
        errs() << "onnx-compile: --quantize-ops: unknown kind '" << kind
               << "' (matmul, conv)\n";
        return 1;
      }
    }
  }
  if (quantizeGroup.getNumOccurrences() &&
      quantizeMode != QuantizeMode::DynamicInt8) {
    errs() << "onnx-compile: --quantize-group needs --quantize=dynamic-int8\n";
    return 1;
  }
  if (quantizeGroup % 4 != 0) {
    errs() << "onnx-compile: --quantize-group must be a multiple of 4 (the "
              "int8 dot products take 4 values of K at a time), not "
           << quantizeGroup << "\n";
    return 1;
  }
  if (!staticInt8 && (calibrationData.getNumOccurrences() ||
                      calibrationMethod.getNumOccurrences() ||
                      calibrationPercentile.getNumOccurrences())) {
    errs() << "onnx-compile: --calibration-data, --calibration-method and "
              "--calibration-percentile need --quantize=static-int8\n";
    return 1;
  }
  if (staticInt8) {
    if (calibrationData.empty()) {
      errs() << "onnx-compile: --quantize=static-int8 needs "
                "--calibration-data DIR (inputs to calibrate on)\n";
      return 1;
    }
    std::string hostArch =
        Triple(sys::getDefaultTargetTriple()).getArchName().str();
    if (cuda || fat ||
        (!target.empty() &&
         Triple(target + "-unknown-linux-gnu").getArch() !=
             Triple(sys::getDefaultTargetTriple()).getArch())) {
      errs() << "onnx-compile: --quantize=static-int8 calibrates by running "
                "the model on this machine, so it needs the host's target ("
             << hostArch << "), not --target=" << target << "\n";
      return 1;
    }
    if (!(calibrationPercentile > 50.0 && calibrationPercentile <= 100.0)) {
      errs() << "onnx-compile: --calibration-percentile must be in (50, 100], "
                "got "
             << format("%g", calibrationPercentile.getValue()) << "\n";
      return 1;
    }
  }
  // External weights go to <OUT>.weights, so they need a named output. The
  // MLIR stages keep the weights in the IR and write no weights file.
  bool externalWeights = weightsMode == WeightsMode::External &&
                         stage != EmitStage::Onnx && stage != EmitStage::Linalg;
  if (externalWeights && outputPath == "-") {
    errs() << "onnx-compile: --weights=external needs -o FILE (the weights "
              "go to FILE.weights)\n";
    return 1;
  }

  onnxc::ObjectOptions objectOptions;
  if (!target.empty() && !cuda) {
    if (target == "x86_64" || fat)
      objectOptions.triple = "x86_64-unknown-linux-gnu";
    else if (target == "aarch64")
      objectOptions.triple = "aarch64-unknown-linux-gnu";
    else {
      errs() << "onnx-compile: unknown --target '" << target
             << "' (x86_64, aarch64, cuda or x86_64,cuda)\n";
      return 1;
    }
  }
  // Set early: the pipeline reads the CPU's features (int8DotProductFor).
  objectOptions.cpu = cpu;
  // A library needs the runtime built for its target (lib/aarch64/ for
  // aarch64 on this host, cross-built when the build found the cross
  // compiler): refuse before the work of compiling when it is missing.
  std::string runtime, error;
  if (stage == EmitStage::So || stage == EmitStage::Lib) {
    runtime =
        onnxc::findRuntimeArchive(argv[0], objectOptions.triple, error);
    if (runtime.empty()) {
      errs() << "onnx-compile: " << error << "\n";
      return 1;
    }
  }

  // The CUDA half of x86_64,cuda is generated only for the native stages.
  bool withCuda = fat && stage != EmitStage::Onnx && stage != EmitStage::Linalg;
  Progress progress(stageCount(stage) + (withCuda ? 1 : 0) +
                    (quantizeMode == QuantizeMode::StaticInt8 &&
                             stage != EmitStage::Onnx
                         ? 1
                         : 0));
  mlir::DialectRegistry registry;
  onnxc::registerImportedDialects(registry);
  onnxc::registerCpuPipelineDialects(registry);
  onnxc::registerCudaPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  // The importer reports its own errors; keep MLIR's from printing too.
  context.printOpOnDiagnostic(false);

  // The library records the model file's SHA-256. LLVM's SHA-256 runs at
  // about 200 MB/s, several times slower than parsing the protobuf (BERT:
  // 1.6 s against 0.2 s), so it runs beside the import and lowering and is
  // awaited only when the descriptor is built.
  std::future<std::string> modelSha256;
  if (stage != EmitStage::Onnx && stage != EmitStage::Linalg &&
      stage != EmitStage::Ptx)
    modelSha256 = std::async(std::launch::async, [path = inputPath.getValue()] {
      return onnxc::sha256OfFile(path);
    });

  progress.stage("import");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      onnxc::importOnnxModelFile(inputPath, context, options, error);
  if (!module) {
    errs() << error << "\n";
    return 1;
  }

  if (stage == EmitStage::Onnx) {
    int rc = writeText(outputPath, [&](raw_ostream &os) {
      module->print(os, mlir::OpPrintingFlags());
      os << "\n";
    });
    progress.done();
    return rc;
  }

  // Read the library's interface before lowering erases names and types.
  std::string name = symbolName.empty() ? defaultPrefix() : symbolName;
  onnxc::ModelInterface interface;
  if (!onnxc::readModelInterface(*module, name, interface, error)) {
    errs() << inputPath << ": " << error << "\n";
    return 1;
  }
  onnxc::setCompileInfo(interface, "compiler_version", ONNXC_VERSION);
  onnxc::setCompileInfo(interface, "compiler_flags",
                        codeFlags(options, opsToQuantize));

  onnxc::CpuPipelineOptions pipeline;
  pipeline.optLevel = optLevel;
  // Threads need libomp for the target; only the host's is at hand (a
  // cross-compiled library stays serial).
  pipeline.parallel =
      objectOptions.triple.empty() ||
      Triple(objectOptions.triple).getArch() ==
          Triple(sys::getDefaultTargetTriple()).getArch();
  pipeline.quantizeDynamicInt8 = quantizeMode == QuantizeMode::DynamicInt8;
  pipeline.quantizeStaticInt8 = staticInt8;
  pipeline.quantizeMatMul = opsToQuantize.matmul;
  pipeline.quantizeConv = opsToQuantize.conv;
  pipeline.quantizeGroup = quantizeGroup;

  // --quantize=static-int8: the graph passes first, so that calibration
  // observes the activations of the graph the quantization pass will see;
  // then the ranges go onto the ops (tools/onnx-compile/Calibration.h).
  if (staticInt8) {
    progress.stage("calibration");
    mlir::PassManager graphPm(&context);
    onnxc::buildOnnxGraphPipeline(graphPm, pipeline);
    ModelDiagnostics diagnostics(context, inputPath, "CPU");
    if (failed(graphPm.run(*module)))
      return 1;
    onnxc::CalibrationOptions calibration;
    calibration.dataDir = calibrationData;
    calibration.method = calibrationMethod;
    calibration.percentile = calibrationPercentile;
    calibration.optLevel = optLevel;
    calibration.argv0 = argv[0];
    calibration.verbose = compileTiming;
    calibration.ops = opsToQuantize;
    PhaseTimer calibrationTimer("calibration");
    if (!onnxc::calibrateActivationRanges(*module, interface, calibration,
                                          error)) {
      errs() << inputPath << ": " << error << "\n";
      return 1;
    }
  }
  pipeline.int8DotProduct = noInt8DotProduct
                                ? "none"
                                : onnxc::int8DotProductFor(objectOptions);
  pipeline.vectorBytes = onnxc::vectorBytesFor(objectOptions);

  // x86_64,cuda: the GPU code comes from a copy of the imported module
  // lowered by the CUDA pipeline, as --target=cuda --emit=ptx lowers it;
  // the CPU code from the module itself, as --target=x86_64 does. Every
  // op must have a GPU kernel: a library that claims CUDA code for only
  // part of the model would not be what was asked for.
  onnxc::CudaCode cudaCode;
  mlir::OwningOpRef<mlir::ModuleOp> cudaHost;
  if (withCuda) {
    progress.stage("lowering to CUDA kernels and PTX generation");
    cudaHost = (*module).clone();
    mlir::PassManager gpuPm(&context);
    if (compileTiming)
      gpuPm.enableTiming();
    onnxc::buildOnnxToLinalgPipeline(gpuPm, pipeline);
    onnxc::buildLinalgToGpuKernelsPipeline(gpuPm,
                                           onnxc::CudaPipelineOptions());
    mlir::PassManager nvvmPm(&context);
    onnxc::buildGpuKernelsToNvvmPipeline(nvvmPm);
    {
      ModelDiagnostics diagnostics(context, inputPath, "CUDA");
      if (failed(gpuPm.run(*cudaHost)))
        return 1;
      if (!cudaEmulationKernels.empty() &&
          writeEmulationKernels(*cudaHost, objectOptions, runtime, error)) {
        errs() << "onnx-compile: " << error << "\n";
        return 1;
      }
      if (failed(nvvmPm.run(*cudaHost)))
        return 1;
    }
    std::vector<std::string> ptxKernels;
    {
      PhaseTimer ptxTimer("PTX generation");
      if (!onnxc::emitPtx(*cudaHost, ptxOptions, cudaCode.ptx, error,
                          &ptxKernels)) {
        errs() << inputPath << ": " << error << "\n";
        return 1;
      }
    }
    // The host side: what launches the kernels, as CPU code in this
    // library (CudaLowerHost), under a name of its own.
    auto cudaMain = cudaHost->lookupSymbol<mlir::func::FuncOp>("main_graph");
    if (!cudaMain || failed(mlir::SymbolTable(*cudaHost).rename(
                         cudaMain, "onnxc_cuda_main_graph"))) {
      errs() << "onnx-compile: internal error: cannot rename the CUDA "
                "entry point\n";
      return 1;
    }
    cudaMain->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
    mlir::PassManager hostPm(&context);
    if (compileTiming)
      hostPm.enableTiming();
    onnxc::buildCudaHostPipeline(hostPm);
    {
      ModelDiagnostics diagnostics(context, inputPath, "CUDA");
      if (failed(hostPm.run(*cudaHost)))
        return 1;
    }
    // The runtime numbers the kernels as the host code launches them.
    if (auto names =
            (*cudaHost)->getAttrOfType<mlir::ArrayAttr>("onnxc.cuda_kernels"))
      for (mlir::Attribute name : names) {
        std::string kernel =
            mlir::cast<mlir::StringAttr>(name).getValue().str();
        if (!is_contained(ptxKernels, kernel)) {
          errs() << "onnx-compile: internal error: kernel '" << kernel
                 << "' is not in the PTX\n";
          return 1;
        }
        cudaCode.kernels.push_back(kernel);
      }
    if (auto count =
            (*cudaHost)->getAttrOfType<mlir::IntegerAttr>("onnxc.cuda_weights"))
      cudaCode.numWeights = count.getInt();
    cudaCode.hostCode = true;
    cudaCode.arch = ptxOptions.arch;
    objectOptions.cuda = &cudaCode;
  }

  progress.stage(stage == EmitStage::Linalg ? "lowering to linalg"
                                            : "lowering to the LLVM dialect");
  mlir::PassManager pm(&context);
  if (compileTiming)
    pm.enableTiming();
  onnxc::buildOnnxToLinalgPipeline(pm, pipeline);
  if (stage == EmitStage::Ptx) {
    onnxc::CudaPipelineOptions cudaPipeline;
    cudaPipeline.optLevel = optLevel;
    onnxc::buildLinalgToNvvmPipeline(pm, cudaPipeline);
  } else if (stage != EmitStage::Linalg) {
    if (cudaMapOnCpu) {
      // The CPU pipeline runs scf.parallel loops, not gpu.launch: the
      // shared-memory contractions are left out of this check.
      onnxc::CudaPipelineOptions onCpu;
      onCpu.tileContractions = 0;
      onnxc::buildGpuMappingPipeline(pm, onCpu);
    }
    onnxc::buildLinalgToLlvmPipeline(pm, pipeline);
  }
  // --print-ir-after names passes by their command-line argument; a name
  // that matches no pass of the pipeline is reported after the run.
  llvm::StringSet<> printedPasses;
  bool printIr = printIrAfterAll || !printIrAfter.empty();
  if (printIr) {
    // Module scope prints the whole module after function passes too; it
    // needs the pass manager to run on one thread.
    context.disableMultithreading();
    pm.enableIRPrinting(
        /*shouldPrintBeforePass=*/[](mlir::Pass *, mlir::Operation *) {
          return false;
        },
        /*shouldPrintAfterPass=*/
        [&](mlir::Pass *pass, mlir::Operation *) {
          if (printIrAfterAll)
            return true;
          StringRef arg = pass->getArgument();
          if (!llvm::is_contained(printIrAfter, arg))
            return false;
          printedPasses.insert(arg);
          return true;
        },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false,
        /*printAfterOnlyOnFailure=*/false, errs());
  }
  // The main function gets a C interface the runtime's entry point calls.
  if (auto f = module->lookupSymbol("main_graph"))
    f->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
  {
    ModelDiagnostics diagnostics(context, inputPath, cuda ? "CUDA" : "CPU");
    if (failed(pm.run(*module)))
      return 1;
  }
  for (const std::string &name : printIrAfter)
    if (!printedPasses.contains(name))
      errs() << "onnx-compile: warning: --print-ir-after: no pass '" << name
             << "' ran in this pipeline\n";
  if (stage == EmitStage::Linalg) {
    int rc = writeText(outputPath, [&](raw_ostream &os) {
      module->print(os, mlir::OpPrintingFlags());
      os << "\n";
    });
    progress.done();
    return rc;
  }

  if (stage == EmitStage::Ptx) {
    progress.stage("PTX generation");
    std::string ptx;
    {
      PhaseTimer ptxTimer("PTX generation");
      if (!onnxc::emitPtx(*module, ptxOptions, ptx, error)) {
        errs() << inputPath << ": " << error << "\n";
        return 1;
      }
    }
    int rc = writeText(outputPath, [&](raw_ostream &os) { os << ptx; });
    progress.done();
    return rc;
  }

  if (cudaHost && !onnxc::mergeCudaHostCode(*module, *cudaHost, error)) {
    errs() << "onnx-compile: " << error << "\n";
    return 1;
  }
  onnxc::setCompileInfo(interface, "model_sha256", modelSha256.get());
  progress.stage("LLVM optimization and code generation");
  objectOptions.optLevel = optLevel;
  objectOptions.symbolPrefix = name;
  objectOptions.exportModelGet = stage != EmitStage::Lib;
  objectOptions.printTiming = compileTiming;
  onnxc::EmitKind kind = stage == EmitStage::Llvm  ? onnxc::EmitKind::LlvmIr
                         : stage == EmitStage::Asm ? onnxc::EmitKind::Assembly
                                                   : onnxc::EmitKind::Object;
  std::string bytes;
  onnxc::ExternalWeights external;
  {
    PhaseTimer emitTimer("LLVM optimization and object emission");
    if (!onnxc::emitModelObject(*module, interface, objectOptions, kind,
                                bytes, error,
                                externalWeights ? &external : nullptr)) {
      errs() << inputPath << ": " << error << "\n";
      return 1;
    }
  }
  // The weights file goes beside the output: lib.so -> lib.so.weights.
  auto writeWeights = [&]() {
    if (!externalWeights)
      return 0;
    if (!onnxc::writeWeightsFile(outputPath + ".weights", external, error)) {
      errs() << "onnx-compile: " << error << "\n";
      return 1;
    }
    return 0;
  };
  if (stage == EmitStage::Llvm || stage == EmitStage::Asm ||
      stage == EmitStage::Obj) {
    if (int rc = writeText(outputPath, [&](raw_ostream &os) { os << bytes; }))
      return rc;
    int rc = writeWeights();
    progress.done();
    return rc;
  }

  if (outputPath == "-") {
    errs() << "onnx-compile: a library needs -o FILE\n";
    return 1;
  }
  progress.stage(stage == EmitStage::So ? "linking the shared library"
                                        : "writing the static library");
  {
    PhaseTimer linkTimer("linking");
    bool ok = stage == EmitStage::So
                  ? onnxc::linkSharedLibrary(bytes, runtime,
                                             objectOptions.triple, outputPath,
                                             error)
                  : onnxc::writeStaticLibrary(bytes, runtime, outputPath,
                                              error);
    if (!ok) {
      errs() << "onnx-compile: " << error << "\n";
      return 1;
    }
  }
  if (int rc = writeWeights())
    return rc;
  // The header goes beside the library: <dir>/<name>.h.
  SmallString<256> headerPath(sys::path::parent_path(outputPath));
  sys::path::append(headerPath, name + ".h");
  int rc = writeText(std::string(headerPath), [&](raw_ostream &os) {
    os << onnxc::generateModelHeader(interface, name);
  });
  progress.done();
  return rc;
}
