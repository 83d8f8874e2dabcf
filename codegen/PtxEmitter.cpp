//===- PtxEmitter.cpp - NVVM kernels to PTX -------------------------------===//
//
// The LLVM half of the CUDA backend, all in-process: translate the kernel
// module, link from libdevice only the functions the kernels call
// (Linker::LinkOnlyNeeded), make everything but the kernels internal so the
// optimizer inlines and drops the rest, resolve libdevice's __nvvm_reflect
// queries (NVVMReflect runs in the NVPTX target's pipeline; flush-to-zero
// off, as on the CPU), and print PTX through the NVPTX TargetMachine.
//
//===----------------------------------------------------------------------===//

#include "codegen/PtxEmitter.h"
#include "codegen/PhaseClock.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/IPO/Internalize.h"

#include <chrono>

namespace onnxc {

namespace {

constexpr const char *kTriple = "nvptx64-nvidia-cuda";

bool isKernel(const llvm::Function &f) {
  return f.getCallingConv() == llvm::CallingConv::PTX_Kernel;
}

std::unique_ptr<llvm::TargetMachine>
createNvptxTargetMachine(const PtxOptions &options, std::string &error) {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(kTriple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "LLVM has no NVPTX target: " + error;
    return nullptr;
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                     : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, options.arch, /*features=*/"", targetOptions, std::nullopt,
      std::nullopt, level));
  if (!tm)
    error = "cannot create the NVPTX target machine for " + options.arch;
  return tm;
}

/// Clones the kernel module's functions into a builtin module, which is what
/// the LLVM IR translation takes.
mlir::OwningOpRef<mlir::ModuleOp> kernelModuleForTranslation(
    mlir::ModuleOp module) {
  mlir::OpBuilder builder(module.getContext());
  mlir::OwningOpRef<mlir::ModuleOp> kernels =
      mlir::ModuleOp::create(module.getLoc());
  builder.setInsertionPointToEnd(kernels->getBody());
  for (auto gpuModule : module.getOps<mlir::gpu::GPUModuleOp>())
    for (mlir::Operation &op : gpuModule.getBody()->getOperations())
      builder.clone(op);
  return kernels;
}

bool linkLibdevice(llvm::Module &m, const std::string &path,
                   std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read " + path + ": " + buffer.getError().message();
    return false;
  }
  auto libdevice =
      llvm::getOwningLazyBitcodeModule(std::move(*buffer), m.getContext());
  if (!libdevice) {
    error = path + ": " + llvm::toString(libdevice.takeError());
    return false;
  }
  // libdevice says nvptx64-nvidia-gpulibs; the kernels' triple and layout
  // are the ones that count.
  (*libdevice)->setTargetTriple(m.getTargetTriple());
  (*libdevice)->setDataLayout(m.getDataLayout());
  if (llvm::Linker::linkModules(m, std::move(*libdevice),
                                llvm::Linker::Flags::LinkOnlyNeeded)) {
    error = "linking libdevice failed";
    return false;
  }
  return true;
}

void optimize(llvm::Module &m, llvm::TargetMachine *tm, int optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  // Even -O0 runs the target's pipeline-start passes, NVVMReflect among
  // them: libdevice's __nvvm_reflect calls must not reach ptxas.
  llvm::ModulePassManager mpm =
      optLevel == 0
          ? pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
          : pb.buildPerModuleDefaultPipeline(
                optLevel >= 3   ? llvm::OptimizationLevel::O3
                : optLevel == 2 ? llvm::OptimizationLevel::O2
                                : llvm::OptimizationLevel::O1);
  mpm.run(m, mam);
}

/// Every function the PTX would call but not define: none may be left
/// (the driver's JIT would fail on them at load time, far from here).
bool checkResolved(const llvm::Module &m, std::string &error) {
  std::string missing;
  for (const llvm::Function &f : m)
    if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty())
      missing += (missing.empty() ? "" : ", ") + f.getName().str();
  if (missing.empty())
    return true;
  error = "the kernels call functions that neither they nor libdevice "
          "define: " +
          missing;
  return false;
}


} // namespace

const std::vector<std::string> &supportedCudaArchs() {
  static const std::vector<std::string> archs = {"sm_80", "sm_86", "sm_89",
                                                 "sm_90"};
  return archs;
}

std::string findLibdevice(const std::string &cudaPath, std::string &error) {
  llvm::SmallString<256> path(cudaPath);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  if (llvm::sys::fs::exists(path))
    return std::string(path);
  error = "libdevice not found at " + std::string(path) +
          " (the CUDA toolkit's math library; set --cuda-path)";
  return "";
}

bool emitPtx(mlir::ModuleOp module, const PtxOptions &options,
             std::string &ptx, std::string &error,
             std::vector<std::string> *kernelNames) {
  if (!llvm::is_contained(supportedCudaArchs(), options.arch)) {
    error = "unsupported CUDA architecture '" + options.arch + "'";
    return false;
  }
  PhaseClock clock(options.printTiming);
  std::unique_ptr<llvm::TargetMachine> tm =
      createNvptxTargetMachine(options, error);
  if (!tm)
    return false;

  mlir::OwningOpRef<mlir::ModuleOp> kernels =
      kernelModuleForTranslation(module);
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> m =
      mlir::translateModuleToLLVMIR(*kernels, context, "onnxc_kernels");
  if (!m) {
    error = "translating the kernels to LLVM IR failed";
    return false;
  }
  m->setTargetTriple(tm->getTargetTriple());
  m->setDataLayout(tm->createDataLayout());
  // libdevice's __nvvm_reflect("__CUDA_FTZ"): keep denormals, as the CPU
  // code does.
  m->addModuleFlag(llvm::Module::Override, "nvvm-reflect-ftz", uint32_t(0));
  clock.lap("PTX: translation to LLVM IR");

  if (!linkLibdevice(*m, options.libdevicePath, error))
    return false;
  llvm::internalizeModule(
      *m, [](const llvm::GlobalValue &gv) {
        auto *f = llvm::dyn_cast<llvm::Function>(&gv);
        return f && isKernel(*f);
      });
  clock.lap("PTX: linking libdevice");

  optimize(*m, tm.get(), options.optLevel);
  clock.lap("PTX: LLVM optimization");
  if (llvm::verifyModule(*m, &llvm::errs())) {
    error = "the kernels' LLVM IR does not verify";
    return false;
  }
  if (!checkResolved(*m, error))
    return false;

  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager codegen;
  if (tm->addPassesToEmitFile(codegen, out, nullptr,
                              llvm::CodeGenFileType::AssemblyFile)) {
    error = "the NVPTX target cannot emit PTX";
    return false;
  }
  codegen.run(*m);
  ptx = std::string(buffer.str());
  // The `.entry` names the driver looks the kernels up by, in module order
  // (so identical builds list them identically).
  if (kernelNames)
    for (const llvm::Function &f : *m)
      if (isKernel(f) && !f.isDeclaration())
        kernelNames->push_back(f.getName().str());
  clock.lap("PTX: code generation");
  return true;
}

} // namespace onnxc
