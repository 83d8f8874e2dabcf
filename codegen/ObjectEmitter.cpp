//===- ObjectEmitter.cpp - LLVM dialect to a native object ----------------===//
//
// Translates the lowered module to LLVM IR, adds what the runtime needs
// (the packed entry point and the `struct onnxc_model` descriptor, laid out
// as in runtime/onnxc_model_desc.h), runs LLVM's O3 pipeline in-process and
// emits an object file through the TargetMachine. Nothing is shelled out.
//
//===----------------------------------------------------------------------===//

#include "codegen/ObjectEmitter.h"
#include "codegen/PhaseClock.h"
#include "codegen/WeightEmbedding.h"
#include "runtime/onnxc_model_desc.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>

using namespace mlir;

namespace onnxc {
namespace {

/// The CUDA host code's C interfaces (CudaLowerHost, renamed by the
/// driver before the host pipeline).
constexpr llvm::StringLiteral kCudaMainCiface =
    "_mlir_ciface_onnxc_cuda_main_graph";
constexpr llvm::StringLiteral kCudaWeightTableCiface =
    "_mlir_ciface_onnxc_cuda_weight_table";

/// ABI version written into the descriptor (ONNXC_ABI_VERSION).
constexpr uint32_t kAbiVersion = ONNXC_ABI_VERSION;

/// Globals from this size on are emitted as raw bytes; smaller ones (shape
/// tables, scalars) stay typed constants the optimizer can fold.
constexpr int64_t kMinDetachedWeightBytes = 256;

llvm::Constant *cString(llvm::Module &m, const std::string &s,
                        const llvm::Twine &name) {
  auto *data = llvm::ConstantDataArray::getString(m.getContext(), s);
  auto *g = new llvm::GlobalVariable(m, data->getType(), /*isConstant=*/true,
                                     llvm::GlobalValue::PrivateLinkage, data,
                                     name);
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return g;
}

llvm::Constant *constArray(llvm::Module &m, llvm::Type *elem,
                           ArrayRef<llvm::Constant *> values,
                           const llvm::Twine &name) {
  auto *type = llvm::ArrayType::get(elem, values.size());
  auto *g = new llvm::GlobalVariable(
      m, type, true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantArray::get(type, values), name);
  return g;
}

/// `void <name>(void **args)`: unpacks args[0] (result storage) and
/// args[1..] (input descriptors, then `extraArgs` more) into `ciface`.
llvm::Function *emitPackedEntry(llvm::Module &m, const ModelInterface &model,
                                StringRef cifaceName, unsigned extraArgs,
                                StringRef name, std::string &error) {
  llvm::Function *ciface = m.getFunction(cifaceName);
  if (!ciface) {
    error = ("internal error: no " + cifaceName).str();
    return nullptr;
  }
  if (ciface->arg_size() != model.inputs.size() + 1 + extraArgs) {
    error = ("internal error: unexpected signature of " + cifaceName).str();
    return nullptr;
  }
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  auto *fnTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy},
                                       false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::InternalLinkage,
                                    name, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < ciface->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, fn->getArg(0), i);
    args.push_back(b.CreateLoad(ptrTy, slot));
  }
  b.CreateCall(ciface, args);
  b.CreateRetVoid();
  return fn;
}

/// The `struct onnxc_model` global and its exported getters.
void emitModelDescriptor(llvm::Module &m, const ModelInterface &model,
                         llvm::Function *entry, llvm::Function *cudaEntry,
                         uint64_t scratchBytes,
                         const ExternalWeights *external,
                         const ObjectOptions &options) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::get(ctx, 0);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  // struct onnxc_tensor_info { const char *name; onnxc_dtype dtype;
  //   int32_t rank; const int64_t *dims; const char *const *dim_names; }
  auto *infoTy = llvm::StructType::get(ctx, {ptrTy, i32, i32, ptrTy, ptrTy});
  auto tensors = [&](const std::vector<TensorInterface> &list,
                     const char *kind) {
    SmallVector<llvm::Constant *> infos;
    for (size_t i = 0; i < list.size(); ++i) {
      const TensorInterface &t = list[i];
      std::string prefix = std::string("onnxc.") + kind + std::to_string(i);
      SmallVector<llvm::Constant *> dims, names;
      for (size_t d = 0; d < t.dims.size(); ++d) {
        dims.push_back(llvm::ConstantInt::get(i64, t.dims[d]));
        names.push_back(cString(m, t.dimNames[d], prefix + ".dim" +
                                                      std::to_string(d)));
      }
      llvm::Constant *dimsArr =
          dims.empty() ? llvm::ConstantPointerNull::get(ptrTy)
                       : constArray(m, i64, dims, prefix + ".dims");
      llvm::Constant *namesArr =
          names.empty() ? llvm::ConstantPointerNull::get(ptrTy)
                        : constArray(m, ptrTy, names, prefix + ".dim_names");
      infos.push_back(llvm::ConstantStruct::get(
          infoTy, {cString(m, t.name, prefix + ".name"),
                   llvm::ConstantInt::get(i32, t.dtype),
                   llvm::ConstantInt::get(i32, t.dims.size()), dimsArr,
                   namesArr}));
    }
    return constArray(m, infoTy, infos, std::string("onnxc.") + kind + "s");
  };
  // Key/value tables: the model's metadata_props and the compile info.
  auto *metaTy = llvm::StructType::get(ctx, {ptrTy, ptrTy});
  auto entries = [&](const std::vector<std::pair<std::string, std::string>>
                         &list,
                     const char *kind) -> llvm::Constant * {
    if (list.empty())
      return llvm::ConstantPointerNull::get(ptrTy);
    SmallVector<llvm::Constant *> values;
    std::string prefix = std::string("onnxc.") + kind;
    for (const auto &[key, value] : list)
      values.push_back(llvm::ConstantStruct::get(
          metaTy, {cString(m, key, prefix + ".key"),
                   cString(m, value, prefix + ".value")}));
    return constArray(m, metaTy, values, prefix);
  };
  llvm::Constant *metaArr = entries(model.metadata, "metadata");
  llvm::Constant *compileInfoArr = entries(model.compileInfo, "compile_info");

  // External weights: the base-pointer slot the code reads, and the
  // runtime's per-model loading state (zeroed, writable).
  llvm::Constant *weightsBase = llvm::ConstantPointerNull::get(ptrTy);
  llvm::Constant *weightsState = llvm::ConstantPointerNull::get(ptrTy);
  uint64_t weightsSize = 0, weightsId = 0;
  if (external && external->payloadSize) {
    if (llvm::GlobalVariable *slot =
            m.getGlobalVariable(kWeightsBaseSymbol, /*AllowInternal=*/true)) {
      weightsBase = slot;
      weightsSize = external->payloadSize;
      weightsId = external->id;
      auto *stateTy = llvm::ArrayType::get(llvm::Type::getInt8Ty(ctx),
                                           ONNXC_WEIGHTS_STATE_BYTES);
      auto *state = new llvm::GlobalVariable(
          m, stateTy, /*isConstant=*/false, llvm::GlobalValue::InternalLinkage,
          llvm::ConstantAggregateZero::get(stateTy), "onnxc.weights_state");
      state->setAlignment(llvm::Align(16));
      weightsState = state;
    }
  }

  // CUDA code: the PTX text (NUL-terminated, as cuModuleLoadData takes
  // it), its architecture and its kernel names.
  llvm::Constant *null = llvm::ConstantPointerNull::get(ptrTy);
  llvm::Constant *cudaPtx = null, *cudaArch = null, *cudaKernels = null;
  llvm::Constant *cudaRun = null, *cudaWeightTable = null;
  uint64_t cudaPtxSize = 0, numCudaKernels = 0, numCudaWeights = 0;
  if (const CudaCode *cuda = options.cuda) {
    if (cudaEntry) {
      cudaRun = cudaEntry;
      cudaWeightTable = m.getFunction(kCudaWeightTableCiface);
      numCudaWeights = cuda->numWeights;
    }
    cudaPtx = cString(m, cuda->ptx, "onnxc.cuda_ptx");
    cudaPtxSize = cuda->ptx.size();
    cudaArch = cString(m, cuda->arch, "onnxc.cuda_arch");
    SmallVector<llvm::Constant *> names;
    for (const std::string &kernel : cuda->kernels)
      names.push_back(cString(m, kernel, "onnxc.cuda_kernel"));
    numCudaKernels = names.size();
    if (!names.empty())
      cudaKernels = constArray(m, ptrTy, names, "onnxc.cuda_kernels");
  }

  // struct onnxc_model (runtime/onnxc_model_desc.h)
  auto *modelTy = llvm::StructType::get(
      ctx, {i32, i32, i32, i32, ptrTy, ptrTy, ptrTy, ptrTy, ptrTy, i64, ptrTy,
            i64, i64, ptrTy, i32, ptrTy, ptrTy, i64, ptrTy, i32, ptrTy, ptrTy,
            ptrTy, i32});
  auto *desc = new llvm::GlobalVariable(
      m, modelTy, true, llvm::GlobalValue::InternalLinkage,
      llvm::ConstantStruct::get(
          modelTy,
          {llvm::ConstantInt::get(i32, kAbiVersion),
           llvm::ConstantInt::get(i32, model.inputs.size()),
           llvm::ConstantInt::get(i32, model.outputs.size()),
           llvm::ConstantInt::get(i32, model.metadata.size()),
           cString(m, model.name, "onnxc.name"),
           tensors(model.inputs, "input"), tensors(model.outputs, "output"),
           metaArr, entry, llvm::ConstantInt::get(i64, scratchBytes),
           weightsBase, llvm::ConstantInt::get(i64, weightsSize),
           llvm::ConstantInt::get(i64, weightsId), weightsState,
           llvm::ConstantInt::get(i32, model.compileInfo.size()),
           compileInfoArr, cudaPtx, llvm::ConstantInt::get(i64, cudaPtxSize),
           cudaArch, llvm::ConstantInt::get(i32, numCudaKernels),
           cudaKernels, cudaRun, cudaWeightTable,
           llvm::ConstantInt::get(i32, numCudaWeights)}),
      "onnxc.model");

  // const onnxc_model *<prefix>_model(void), and onnxc_model_get for
  // shared libraries (tools dlopen them without knowing the prefix).
  auto getter = [&](const std::string &name) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(ptrTy, false),
                                      llvm::GlobalValue::ExternalLinkage, name,
                                      m);
    fn->setVisibility(llvm::GlobalValue::DefaultVisibility);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    b.CreateRet(desc);
  };
  getter(options.symbolPrefix + "_model");
  if (options.exportModelGet)
    getter("onnxc_model_get");
}

llvm::TargetMachine *createTargetMachine(const ObjectOptions &options,
                                         std::string &error) {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(options.triple.empty()
                          ? llvm::sys::getDefaultTargetTriple()
                          : options.triple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    if (options.triple.empty()) {
      cpu = llvm::sys::getHostCPUName().str();
      llvm::SubtargetFeatures f;
      for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
        f.AddFeature(feature, enabled);
      features = f.getString();
    } else {
      cpu = "generic";
    }
  } else {
    // LLVM only warns about a CPU it does not know and then targets a
    // generic one; a typo must not silently give slower (or, for features
    // the user counted on, different) code.
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu)) {
      error = "unknown --cpu '" + cpu + "' for " + triple.str() +
              " (llc-22 -mtriple=" + triple.str() +
              " -mcpu=help lists the names)";
      return nullptr;
    }
  }
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
               : options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                       : llvm::CodeGenOptLevel::Default;
  return target->createTargetMachine(triple, cpu, features, targetOptions,
                                     llvm::Reloc::PIC_, std::nullopt, level);
}

/// Records the CPU and every feature it has (implied ones included, e.g.
/// neon, dotprod, sve for an aarch64 CPU) on each function, as clang does:
/// the IR then says what it was optimized for (`--emit=llvm`), and passes
/// that ask a function's subtarget see the same CPU as the TargetMachine.
void setTargetAttributes(llvm::Module &m, const llvm::TargetMachine &tm) {
  const llvm::MCSubtargetInfo *info = tm.getMCSubtargetInfo();
  // Keys keep their case: SubtargetFeatures::AddFeature would lower it, and
  // some keys (CONTEXTIDREL2) are upper case.
  std::string featureString;
  for (const llvm::SubtargetFeatureKV &kv : info->getEnabledProcessorFeatures())
    featureString += (featureString.empty() ? "+" : ",+") + std::string(kv.Key);
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!featureString.empty())
      f.addFnAttr("target-features", featureString);
  }
}

void optimize(llvm::Module &m, llvm::TargetMachine *tm, int optLevel) {
  if (optLevel == 0)
    return;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder pb(tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O1;
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(level);
  mpm.run(m, mam);
}


/// The TargetMachine `options` name, with `m`'s data layout and triple
/// set for it; null with `error` set.
std::unique_ptr<llvm::TargetMachine>
targetModule(llvm::Module &m, const ObjectOptions &options,
             std::string &error) {
  std::unique_ptr<llvm::TargetMachine> tm(createTargetMachine(options, error));
  if (!tm)
    return nullptr;
  m.setDataLayout(tm->createDataLayout());
  m.setTargetTriple(tm->getTargetTriple());
  return tm;
}

/// `m` as LLVM IR text, assembly or an object file, appended to `out`.
bool emitFile(llvm::Module &m, llvm::TargetMachine &tm, EmitKind kind,
              std::string &out, std::string &error) {
  llvm::raw_string_ostream os(out);
  if (kind == EmitKind::LlvmIr) {
    m.print(os, nullptr);
    return true;
  }
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream bufferStream(buffer);
  llvm::legacy::PassManager codegen;
  auto fileType = kind == EmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                             : llvm::CodeGenFileType::ObjectFile;
  if (tm.addPassesToEmitFile(codegen, bufferStream, nullptr, fileType)) {
    error = "the target cannot emit this file type";
    return false;
  }
  codegen.run(m);
  os << StringRef(buffer.data(), buffer.size());
  return true;
}

} // namespace

std::string int8DotProductFor(const ObjectOptions &options) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm(createTargetMachine(options, error));
  if (!tm)
    return "none";
  const llvm::MCSubtargetInfo *info = tm->getMCSubtargetInfo();
  // The widest first: a CPU with AVX-512 VNNI usually has AVX-VNNI too.
  // (checkFeatures aborts on a feature name of another architecture.)
  const llvm::Triple &triple = tm->getTargetTriple();
  std::vector<std::pair<const char *, const char *>> candidates;
  if (triple.isX86())
    candidates = {{"+avx512vnni", "avx512-vnni"},
                  {"+avxvnni", "avx-vnni"},
                  {"+avx2", "avx2"}};
  else if (triple.isAArch64())
    candidates = {{"+i8mm", "neon-i8mm"}, {"+dotprod", "neon-dotprod"}};
  for (auto [feature, isa] : candidates)
    if (info->checkFeatures(feature))
      return isa;
  return "none";
}

int vectorBytesFor(const ObjectOptions &options) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm(createTargetMachine(options, error));
  if (!tm)
    return 16;
  const llvm::MCSubtargetInfo *info = tm->getMCSubtargetInfo();
  if (tm->getTargetTriple().isX86()) {
    if (info->checkFeatures("+avx512f"))
      return 64;
    if (info->checkFeatures("+avx"))
      return 32;
  }
  return 16;
}

bool emitModelObject(ModuleOp module, const ModelInterface &model,
                     const ObjectOptions &options, EmitKind kind,
                     std::string &out, std::string &error,
                     ExternalWeights *externalWeights) {
  PhaseClock clock(options.printTiming);
  uint64_t scratchBytes = 0;
  if (auto attr = module->getAttrOfType<IntegerAttr>("onnxc.scratch_bytes"))
    scratchBytes = attr.getValue().getZExtValue();
  // Weights bypass the translation (see WeightEmbedding.h); small globals
  // stay constants LLVM can fold.
  std::vector<DetachedWeight> weights =
      detachWeights(module, kMinDetachedWeightBytes);
  // --weights=external: uses become base + offset at the LLVM-dialect
  // level; what cannot move stays in `weights` and is embedded.
  if (externalWeights)
    *externalWeights = externalizeWeights(module, weights);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(module, llvmContext, model.name);
  if (m)
    attachWeights(*m, weights);
  clock.lap("translation to LLVM IR");
  if (!m) {
    error = "translation to LLVM IR failed";
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> tm = targetModule(*m, options, error);
  if (!tm)
    return false;

  // Results, the inputs, then the scratch arena (PlanScratchArena).
  llvm::Function *entry =
      emitPackedEntry(*m, model, "_mlir_ciface_main_graph", 1,
                      "onnxc_run_packed", error);
  if (!entry)
    return false;
  // The CUDA path's host code (CudaLowerHost), where the library has it:
  // results and inputs only, its temporaries live on the device.
  llvm::Function *cudaEntry = nullptr;
  if (options.cuda && options.cuda->hostCode) {
    cudaEntry = emitPackedEntry(*m, model, kCudaMainCiface, 0,
                                "onnxc_cuda_run_packed", error);
    if (!cudaEntry || !m->getFunction(kCudaWeightTableCiface)) {
      if (error.empty())
        error = "internal error: no CUDA weight table";
      return false;
    }
  }
  // What the code was built for, as the TargetMachine resolved it (the
  // host's triple and CPU when none was given).
  ModelInterface described = model;
  setCompileInfo(described, "target", tm->getTargetTriple().str());
  setCompileInfo(described, "cpu", tm->getTargetCPU().str());
  emitModelDescriptor(*m, described, entry, cudaEntry, scratchBytes,
                      externalWeights,
                      options);
  // Only the getters are the library's interface: two models linked into
  // one program must not clash on main_graph or its helpers.
  for (llvm::Function &f : *m)
    if (!f.isDeclaration() && f.getName() != "onnxc_model_get" &&
        f.getName() != options.symbolPrefix + "_model")
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  if (llvm::verifyModule(*m, &llvm::errs())) {
    error = "internal error: the generated LLVM IR does not verify";
    return false;
  }
  setTargetAttributes(*m, *tm);
  clock.lap("entry point and descriptor");
  optimize(*m, tm.get(), options.optLevel);
  clock.lap("LLVM optimization");

  if (!emitFile(*m, *tm, kind, out, error))
    return false;
  clock.lap("machine code generation");
  return true;
}

bool emitPlainObject(ModuleOp module, const ObjectOptions &options,
                     std::string &out, std::string &error) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(module, llvmContext, "onnxc_plain");
  if (!m) {
    error = "translation to LLVM IR failed";
    return false;
  }
  std::unique_ptr<llvm::TargetMachine> tm = targetModule(*m, options, error);
  if (!tm)
    return false;
  if (llvm::verifyModule(*m, &llvm::errs())) {
    error = "internal error: the generated LLVM IR does not verify";
    return false;
  }
  setTargetAttributes(*m, *tm);
  optimize(*m, tm.get(), options.optLevel);
  return emitFile(*m, *tm, EmitKind::Object, out, error);
}

} // namespace onnxc
