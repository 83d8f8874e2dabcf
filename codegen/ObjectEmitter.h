//===- ObjectEmitter.h - LLVM dialect to a native object --------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_OBJECTEMITTER_H
#define ONNXC_CODEGEN_OBJECTEMITTER_H

#include "codegen/ModelInterface.h"
#include "codegen/WeightEmbedding.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace onnxc {

/// The CUDA half of a `--target=x86_64,cuda` library: the model's kernels as
/// one PTX module (PtxEmitter.h), embedded beside the CPU code so the
/// runtime can load it on a machine with a GPU.
struct CudaCode {
  std::string ptx;
  std::string arch;                 ///< sm_80, ...
  std::vector<std::string> kernels; ///< `.entry` names, in launch numbering
  /// The module holds the CUDA path's host code (buildCudaHostPipeline,
  /// merged by mergeCudaHostCode): `onnxc_cuda_main_graph` and the weight
  /// table over `numWeights` weights.
  bool hostCode = false;
  uint64_t numWeights = 0;
};

struct ObjectOptions {
  std::string triple;         ///< empty: the host
  std::string cpu;            ///< empty or "native": the host's CPU
  int optLevel = 3;
  std::string symbolPrefix;   ///< exports `<prefix>_model`
  bool exportModelGet = true; ///< also export `onnxc_model_get` (.so)
  bool printTiming = false;   ///< print each phase's time to stderr
  const CudaCode *cuda = nullptr; ///< embedded when set
};

enum class EmitKind { LlvmIr, Assembly, Object };

/// Translates an LLVM-dialect module (with `_mlir_ciface_main_graph`) into
/// LLVM IR text, assembly or an object file in `out`, adding the runtime's
/// entry point and model descriptor. With `externalWeights` set, the
/// weights leave the library (--weights=external): the code reads them
/// through the descriptor's base-pointer slot, and `*externalWeights` says
/// what the weights file (writeWeightsFile) must hold.
bool emitModelObject(mlir::ModuleOp module, const ModelInterface &model,
                     const ObjectOptions &options, EmitKind kind,
                     std::string &out, std::string &error,
                     ExternalWeights *externalWeights = nullptr);

/// An object file of an LLVM-dialect module as it is: no entry point, no
/// descriptor (the CUDA emulation's kernels, CudaEmulationKernels.cpp).
bool emitPlainObject(mlir::ModuleOp module, const ObjectOptions &options,
                     std::string &out, std::string &error);

/// The 4-byte int8 dot product of the target CPU that `options` name, as
/// VectorizeIntegerContractions' `dot-product` option: avx512-vnni,
/// avx-vnni, avx2 (emulated from vpmaddwd), neon-i8mm, neon-dotprod, or
/// none (also for a target or CPU LLVM does not know: the object emitter
/// reports those).
std::string int8DotProductFor(const ObjectOptions &options);

/// The target CPU's f32 vector register width in bytes, which the kernels'
/// register blocks are sized for (CpuPipelineOptions::vectorBytes): 64 with
/// AVX-512, 32 with AVX/AVX2, 16 for SSE and NEON (the CPU pipeline blocks
/// those as 32: contractionBlocking). From the TargetMachine of `options`,
/// so `--cpu` and `--target` count, not the host.
int vectorBytesFor(const ObjectOptions &options);

} // namespace onnxc

#endif // ONNXC_CODEGEN_OBJECTEMITTER_H
