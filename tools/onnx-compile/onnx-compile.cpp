//===- onnx-compile.cpp - The compiler driver -----------------------------===//
//
// onnx-compile MODEL.onnx [-o OUT] [--emit=STAGE] [--shape IN=1x3x224x224]
//                         [--dim SYMBOL=N]
//
// Errors are one line on stderr, `MODEL.onnx: node 'NAME' (Op): message`,
// and a non-zero exit.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ModelImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

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

cl::opt<bool> importTiming("import-timing",
                           cl::desc("Print the time of each import phase"),
                           cl::init(false), cl::cat(category));

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

  if (emitStage != EmitStage::Onnx) {
    errs() << "onnx-compile: this stage of --emit is not implemented yet; "
              "only --emit=onnx is available\n";
    return 1;
  }

  mlir::DialectRegistry registry;
  onnxc::registerImportedDialects(registry);
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

  std::string openError;
  std::unique_ptr<ToolOutputFile> output =
      mlir::openOutputFile(outputPath, &openError);
  if (!output) {
    errs() << "onnx-compile: " << openError << "\n";
    return 1;
  }
  module->print(output->os(), mlir::OpPrintingFlags());
  output->os() << "\n";
  output->keep();
  return 0;
}
