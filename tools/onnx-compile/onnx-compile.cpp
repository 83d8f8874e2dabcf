//===- onnx-compile.cpp - The compiler driver -----------------------------===//
//
// onnx-compile MODEL.onnx [-o OUT] [--emit=STAGE] [--shape IN=1x3x224x224]
//                         [--dim SYMBOL=N] [--weights=embedded|external]
//
// Errors are one line on stderr, `MODEL.onnx: node 'NAME' (Op): message`,
// and a non-zero exit.
//
//===----------------------------------------------------------------------===//

#include "codegen/CpuPipeline.h"
#include "codegen/HeaderWriter.h"
#include "codegen/Linker.h"
#include "codegen/ModelInterface.h"
#include "codegen/ObjectEmitter.h"
#include "lib/importer/ModelImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;

namespace {

enum class EmitStage { Onnx, Linalg, Llvm, Asm, Obj, Lib, So, Ptx };

cl::OptionCategory category("onnx-compile options");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' = stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::cat(category));
cl::opt<EmitStage> emitStage(
    "emit", cl::desc("Stop at this stage"), cl::init(EmitStage::Onnx),
    cl::values(
        clEnumValN(EmitStage::Onnx, "onnx", "the imported onnx-dialect MLIR"),
        clEnumValN(EmitStage::Linalg, "linalg", "MLIR lowered to linalg"),
        clEnumValN(EmitStage::Llvm, "llvm", "LLVM IR"),
        clEnumValN(EmitStage::Asm, "asm", "target assembly"),
        clEnumValN(EmitStage::Obj, "obj", "an object file"),
        clEnumValN(EmitStage::Lib, "lib", "a static library"),
        clEnumValN(EmitStage::So, "so", "a shared library"),
        clEnumValN(EmitStage::Ptx, "ptx", "CUDA PTX")),
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

cl::opt<std::string> target("target",
                           cl::desc("Target: x86_64, aarch64 (default: the host)"),
                           cl::init(""), cl::cat(category));
cl::opt<std::string> cpu("cpu", cl::desc("Target CPU (default: the host's)"),
                         cl::init(""), cl::cat(category));
enum OptLevel { O0 = 0, O1 = 1, O2 = 2, O3 = 3 };
cl::opt<OptLevel> optLevel(cl::desc("Optimization level"), cl::init(O3),
                           cl::values(clEnumVal(O0, "no optimization"),
                                      clEnumVal(O1, "light"),
                                      clEnumVal(O2, "default"),
                                      clEnumVal(O3, "aggressive (default)")),
                           cl::cat(category));
cl::opt<std::string> symbolName(
    "name", cl::desc("Prefix of the exported symbols and the header name "
                     "(default: from the output file name)"),
    cl::init(""), cl::cat(category));

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

cl::opt<bool> importTiming("import-timing",
                           cl::desc("Print the time of each import phase"),
                           cl::init(false), cl::cat(category));
cl::opt<bool> compileTiming(
    "timing",
    cl::desc("Print the time of each pass and of code generation and "
             "linking (to stderr)"),
    cl::init(false), cl::cat(category));

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
  ModelDiagnostics(mlir::MLIRContext &context, const std::string &file)
      : handler(&context, [file](mlir::Diagnostic &diag) {
          if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
            return mlir::success();
          std::string message = diag.str();
          std::string node, opType;
          if (auto name = dyn_cast<mlir::NameLoc>(diag.getLocation()))
            node = name.getName().str();
          StringRef m(message);
          if (m.consume_front("failed to legalize operation 'onnx.")) {
            opType = m.split('\'').first.str();
            message = "the CPU backend cannot lower this op yet (with these "
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

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "onnx-compile: ONNX models to native code\n");

  onnxc::ImportOptions options;
  if (!parseOverrides(options))
    return 1;
  options.runShapeInference = !noShapeInference;
  options.printTiming = importTiming;

  EmitStage stage =
      emitStage.getNumOccurrences() ? emitStage.getValue() : stageFromOutput();
  if (stage == EmitStage::Ptx) {
    errs() << "onnx-compile: --emit=ptx (the CUDA backend) is not "
              "implemented yet\n";
    return 1;
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

  mlir::DialectRegistry registry;
  onnxc::registerImportedDialects(registry);
  onnxc::registerCpuPipelineDialects(registry);
  mlir::MLIRContext context(registry);
  // The importer reports its own errors; keep MLIR's from printing too.
  context.printOpOnDiagnostic(false);

  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      onnxc::importOnnxModelFile(inputPath, context, options, error);
  if (!module) {
    errs() << error << "\n";
    return 1;
  }

  if (stage == EmitStage::Onnx)
    return writeText(outputPath, [&](raw_ostream &os) {
      module->print(os, mlir::OpPrintingFlags());
      os << "\n";
    });

  // Read the library's interface before lowering erases names and types.
  std::string name = symbolName.empty() ? defaultPrefix() : symbolName;
  onnxc::ModelInterface interface;
  if (!onnxc::readModelInterface(*module, name, interface, error)) {
    errs() << inputPath << ": " << error << "\n";
    return 1;
  }

  onnxc::CpuPipelineOptions pipeline;
  pipeline.optLevel = optLevel;
  mlir::PassManager pm(&context);
  if (compileTiming)
    pm.enableTiming();
  onnxc::buildOnnxToLinalgPipeline(pm, pipeline);
  if (stage != EmitStage::Linalg)
    onnxc::buildLinalgToLlvmPipeline(pm, pipeline);
  // The main function gets a C interface the runtime's entry point calls.
  if (auto f = module->lookupSymbol("main_graph"))
    f->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
  {
    ModelDiagnostics diagnostics(context, inputPath);
    if (failed(pm.run(*module)))
      return 1;
  }
  if (stage == EmitStage::Linalg)
    return writeText(outputPath, [&](raw_ostream &os) {
      module->print(os, mlir::OpPrintingFlags());
      os << "\n";
    });

  onnxc::ObjectOptions objectOptions;
  objectOptions.optLevel = optLevel;
  objectOptions.cpu = cpu;
  objectOptions.symbolPrefix = name;
  objectOptions.exportModelGet = stage != EmitStage::Lib;
  objectOptions.printTiming = compileTiming;
  if (!target.empty()) {
    if (target == "x86_64")
      objectOptions.triple = "x86_64-unknown-linux-gnu";
    else if (target == "aarch64")
      objectOptions.triple = "aarch64-unknown-linux-gnu";
    else {
      errs() << "onnx-compile: unknown --target '" << target
             << "' (x86_64 or aarch64)\n";
      return 1;
    }
  }
  onnxc::EmitKind kind = stage == EmitStage::Llvm  ? onnxc::EmitKind::LlvmIr
                         : stage == EmitStage::Asm ? onnxc::EmitKind::Assembly
                                                   : onnxc::EmitKind::Object;
  std::string bytes;
  onnxc::ExternalWeights external;
  PhaseTimer emitTimer("LLVM optimization and object emission");
  if (!onnxc::emitModelObject(*module, interface, objectOptions, kind, bytes,
                              error, externalWeights ? &external : nullptr)) {
    errs() << inputPath << ": " << error << "\n";
    return 1;
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
    return writeWeights();
  }

  if (outputPath == "-") {
    errs() << "onnx-compile: a library needs -o FILE\n";
    return 1;
  }
  std::string runtime = onnxc::findRuntimeArchive(argv[0]);
  if (runtime.empty()) {
    errs() << "onnx-compile: cannot find libonnxc_runtime.a next to the "
              "compiler (expected in <bindir>/../lib)\n";
    return 1;
  }
  PhaseTimer linkTimer("linking");
  bool ok = stage == EmitStage::So
                ? onnxc::linkSharedLibrary(bytes, runtime, outputPath, error)
                : onnxc::writeStaticLibrary(bytes, runtime, outputPath, error);
  if (!ok) {
    errs() << "onnx-compile: " << error << "\n";
    return 1;
  }
  if (int rc = writeWeights())
    return rc;
  // The header goes beside the library: <dir>/<name>.h.
  SmallString<256> headerPath(sys::path::parent_path(outputPath));
  sys::path::append(headerPath, name + ".h");
  return writeText(std::string(headerPath), [&](raw_ostream &os) {
    os << onnxc::generateModelHeader(interface, name);
  });
}
