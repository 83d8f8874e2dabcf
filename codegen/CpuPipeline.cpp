//===- CpuPipeline.cpp - onnx dialect to the LLVM dialect for CPUs --------===//

#include "codegen/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/Extensions/AllExtensions.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace onnxc {
namespace {

/// Register blocking for the target's vectors: AVX-512 has 32 registers of
/// 64 bytes, so a 6 x 4 block of accumulators (24 FMAs per 10 loads;
/// against 8 x 2, measured 5-8% faster on GEMM 1024, resnet50, BERT,
/// mobilenet_v2 and squeezenet1_1); AVX2 has 16 registers of 32 bytes,
/// 6 x 2. Targets with 16-byte vectors (SSE, NEON) get AVX2's blocks too,
/// each vector split in two by LLVM (NEON's 32 registers hold them): with
/// 4-lane vectors the kernels' unrolled code made compiling ten times
/// slower (mobilenet_v2 94 s against 9 s).
VectorizeContractionsOptions contractionBlocking(const CpuPipelineOptions &o) {
  int64_t bytes = o.vectorBytes;
  if (bytes <= 0) {
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    bytes = features.lookup("avx512f") ? 64 : 32;
  }
  VectorizeContractionsOptions options;
  options.vectorBytes = std::max<int64_t>(bytes, 32);
  options.rows = 6;
  options.columnVectors = options.vectorBytes == 64 ? 4 : 2;
  return options;
}

} // namespace

void registerCpuPipelineDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // Parallel kernels reach LLVM IR as omp.parallel / omp.wsloop, which the
  // OpenMP IR builder turns into libomp's __kmpc_* calls.
  registerOpenMPDialectTranslation(registry);
}

void buildOnnxGraphPipeline(OpPassManager &pm,
                            const CpuPipelineOptions &options) {
  pm.addPass(createResolveSequences());
  if (options.optLevel > 0) {
    // Graph-level rewrites on the onnx dialect (passes/graph/): no-op ops
    // first, so that Conv -> Identity/Dropout -> BatchNormalization folds.
    pm.addPass(createSimplifyGraph());
    pm.addPass(createFoldBatchNorm());
    pm.addPass(createRecognizeDecomposedOps());
    // Quantized models from other tools (ORT's quantize_dynamic, QDQ) into
    // the u8 x s8 form the integer kernel takes.
    pm.addPass(createRewriteQuantizedMatMul());
    pm.addPass(createFuseAttention());
  }
}

void buildOnnxToLinalgPipeline(OpPassManager &pm,
                               const CpuPipelineOptions &options) {
  buildOnnxGraphPipeline(pm, options);
  if (options.quantizeDynamicInt8)
    pm.addNestedPass<func::FuncOp>(createQuantizeDynamic(
        QuantizeDynamicOptions{options.quantizeMatMul, options.quantizeConv,
                               options.quantizeGroup}));
  if (options.quantizeStaticInt8)
    pm.addNestedPass<func::FuncOp>(createQuantizeStatic(
        QuantizeStaticOptions{options.quantizeMatMul, options.quantizeConv}));
  // After quantization, which looks for plain MatMul/Gemm; after the
  // recognizers, so that a recognized GELU joins its MatMul.
  if (options.optLevel > 0)
    pm.addPass(createFuseContractions());
  pm.addPass(createConvertOnnxToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.optLevel > 0)
    pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
}

void addModuleBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

void buildLinalgToLlvmPipeline(OpPassManager &pm,
                               const CpuPipelineOptions &options) {
  if (options.optLevel > 0) {
    pm.addNestedPass<func::FuncOp>(createPrepackWeights());
    VectorizeIntegerContractionsOptions integer;
    integer.dotProduct = options.int8DotProduct;
    // Register blocks that fit the register file: 32 vector registers on
    // AVX-512 and NEON (6 x 4 accumulators, 4 panels, 1 broadcast), 16 on
    // AVX2 (4 x 3, 3, 1). On AVX-512 VNNI, 4 x 4: with 6 x 4 LLVM spilled
    // an accumulator inside the reduction loop of the convolutions' kernels
    // (their blocks are written transposed), and resnet50 int8 took 57 ms
    // against 45 ms at one thread (BERT int8 65.5 against 64.7 ms; 8 x 2
    // and 6 x 3 measured in between).
    // AVX2 without VNNI: each dot product is two vpmaddwd on widened
    // halves, which take registers of their own (A's and W's halves):
    // 4 x 2 leaves room for them.
    if (options.int8DotProduct == "avx2") {
      integer.rows = 4;
      integer.columnVectors = 2;
    } else if (options.int8DotProduct == "avx-vnni") {
      integer.rows = 4;
      integer.columnVectors = 3;
    } else if (options.int8DotProduct == "avx512-vnni") {
      integer.rows = 4;
      integer.columnVectors = 4;
    }
    integer.parallel = options.parallel;
    pm.addPass(createVectorizeIntegerContractions(integer));
    VectorizeContractionsOptions blocking = contractionBlocking(options);
    blocking.parallel = options.parallel;
    blocking.packPanels = true;
    // Depthwise convolutions first: the contraction pass would make them an
    // im2col copy and a product with a reduction only kh*kw long.
    VectorizeDepthwiseConvOptions depthwise;
    depthwise.vectorBytes = blocking.vectorBytes;
    depthwise.parallel = options.parallel;
    depthwise.minParallelMacs = blocking.minParallelMacs;
    pm.addNestedPass<func::FuncOp>(createVectorizeDepthwiseConv(depthwise));
    // Then convolutions larger than 1x1 directly, without the im2col copy
    // the contraction pass would make (same register blocks).
    VectorizeDirectConvOptions direct;
    direct.vectorBytes = blocking.vectorBytes;
    direct.rows = blocking.rows;
    direct.columnVectors = blocking.columnVectors;
    direct.parallel = options.parallel;
    direct.minParallelMacs = blocking.minParallelMacs;
    // 1x1 convolutions on small planes go to the direct kernel only with
    // AVX-512 (16 lanes along the channels). On AVX2 (Zen 3) the matrix
    // product was faster: 960 -> 320 channels at 7x7 0.39 against 0.47 ms
    // alone, resnet50 2-4% at one thread (measured while the direct
    // kernel still stored every block masked).
    if (blocking.vectorBytes < 64)
      direct.max1x1Pixels = 0;
    pm.addNestedPass<func::FuncOp>(createVectorizeDirectConv(direct));
    pm.addNestedPass<func::FuncOp>(createVectorizeContractions(blocking));
    // After the contractions (a dot-product-shaped one is a row reduction
    // too, but the contraction kernels handle what they match better).
    VectorizeRowReductionsOptions reductions;
    reductions.vectorBytes = blocking.vectorBytes;
    reductions.parallel = options.parallel;
    pm.addNestedPass<func::FuncOp>(createVectorizeRowReductions(reductions));
    // What runs between the kernels (and their im2col copies) would
    // otherwise be serial.
    if (options.parallel)
      pm.addNestedPass<func::FuncOp>(createParallelizeElementwise());
    // The im2col and packing copies and the pooling windows (inside those
    // parallel loops) as vector rows: as scalar loops they were one load and
    // store per element.
    VectorizeWindowsOptions windows;
    windows.vectorBytes = blocking.vectorBytes;
    pm.addNestedPass<func::FuncOp>(createVectorizeWindows(windows));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // Concat inputs and padded tensors written in their slice of the
    // larger buffer, not copied there.
    pm.addNestedPass<func::FuncOp>(createComputeInPlace());
  }
  addModuleBufferization(pm);
  // The parallel kernels' scf.forall, now on buffers, is an scf.parallel
  // (turned into OpenMP below).
  if (options.parallel)
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createEnsureFreshResults());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  // Temporaries go into one arena per session (runtime/onnxc_model_desc.h).
  pm.addPass(createPlanScratchArena());
  // erf and exp as inline arithmetic, not one libm call per element (per
  // lane of a vectorized GELU epilogue or Softmax row): after the kernels
  // are vectors, before the vector and math conversions.
  pm.addPass(createApproximateMath());

  // Copies between strided layouts (into a padded buffer, into a partial
  // panel) as loops of vector rows, not a runtime call per copy.
  pm.addNestedPass<func::FuncOp>(createVectorizeCopies());
  // n-D and strided transfers become 1-D ones (unrolled), before the
  // scalar loops of everything that was not vectorized.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  // Fills of whole buffers (a padded input's) as one flat loop: as a loop
  // nest LLVM vectorized them into scatters.
  pm.addNestedPass<func::FuncOp>(createFlattenFills());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createExpandBFloat16()); // no __truncsfbf2 in Debian's libgcc
  if (options.parallel) {
    // scf.parallel -> omp.parallel + omp.wsloop (static schedule), each
    // region with the session's thread count.
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(createOpenMPRegions());
  }
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToFuncs()); // math.ipowi
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // math ops on vectors without an LLVM intrinsic (math.erf in a GELU that
  // passes/ContractionEpilogue.cpp put on a kernel's accumulators) become
  // per-element libm calls between vector.extract / vector.insert, which
  // need the vector conversion once more.
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (options.parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  // ub.poison: the undefined lanes that lowering a vector.transpose (the
  // transposed register blocks of the integer kernel) starts from.
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

} // namespace onnxc
