//===- CudaLowerHost.cpp - the host side of the CUDA path -----------------===//
//
// After outlining, the model's function is host code: allocations, weights
// (memref.get_global), index arithmetic on shapes and `gpu.launch_func`s.
// This pass makes it code that runs on the CPU against the runtime's CUDA
// layer (runtime/onnxc_cuda_run.c), with nothing from MLIR's own GPU
// runtime wrappers:
//
//   memref.alloc      -> onnxc_cuda_rt_alloc(bytes), viewed as the type:
//                        device memory from the session's arena, which the
//                        runtime resets after each run (so deallocs go);
//   memref.get_global -> onnxc_cuda_rt_weight(i), viewed likewise: weight
//                        i's copy on the device, uploaded once per session;
//   gpu.launch_func   -> its kernel arguments written to an i64 slot each
//                        (a memref as the fields of its descriptor, in the
//                        order the NVVM lowering of the kernel takes them)
//                        and onnxc_cuda_rt_launch(kernel, grid, block,
//                        slots).
//
// It also adds `onnxc_cuda_weight_table`, which tells the runtime where
// each weight is on the host and how large it is, and records the kernels
// and the weights it numbered as module attributes. The gpu.module is
// dropped: its PTX was emitted before this runs.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <optional>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_CUDALOWERHOST
#include "codegen/CudaPasses.h.inc"

namespace {

constexpr llvm::StringLiteral kAllocFn = "onnxc_cuda_rt_alloc";
constexpr llvm::StringLiteral kWeightFn = "onnxc_cuda_rt_weight";
constexpr llvm::StringLiteral kLaunchFn = "onnxc_cuda_rt_launch";
constexpr llvm::StringLiteral kWeightTableFn = "onnxc_cuda_weight_table";
constexpr llvm::StringLiteral kReadFn = "onnxc_cuda_rt_read";
constexpr llvm::StringLiteral kWriteFn = "onnxc_cuda_rt_write";

MemRefType bytesType(MLIRContext *ctx) {
  return MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
}

/// A private declaration of a runtime function. With `cInterface` the
/// runtime implements it as `_mlir_ciface_<name>` (memrefs passed by
/// descriptor pointer); without, under `name` (scalars only).
func::FuncOp declareRuntimeFunction(ModuleOp module, StringRef name,
                                    FunctionType type, bool cInterface) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b(module.getBodyRegion());
  auto fn = func::FuncOp::create(b, module.getLoc(), name, type);
  fn.setPrivate();
  if (cInterface)
    fn->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));
  return fn;
}

/// Bytes of one element as the LLVM lowering stores it (i1 takes a byte,
/// index 8 on the 64-bit hosts and devices); nullopt for element types
/// the device buffers do not hold.
std::optional<int64_t> elementBytes(Type type) {
  if (type.isIndex())
    return 8;
  if (type.isIntOrFloat())
    return (type.getIntOrFloatBitWidth() + 7) / 8;
  return std::nullopt;
}

Value toI64(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
}

/// `raw` (a byte buffer from the runtime) seen as `type`, which has the
/// identity layout; `dynamicSizes` as memref.alloc takes them.
Value viewAs(OpBuilder &b, Location loc, Value raw, MemRefType type,
             ValueRange dynamicSizes) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  return memref::ViewOp::create(b, loc, type, raw, zero, dynamicSizes);
}

/// The i64 slot values of one kernel argument, in the order the kernel's
/// LLVM signature takes them: a memref's descriptor fields (allocated and
/// aligned pointer, offset, sizes, strides), a scalar widened to 64 bits
/// with its bits in the low bytes (the driver reads the parameter's own
/// size from the slot's address; the hosts are little-endian).
LogicalResult kernelArgumentSlots(OpBuilder &b, Location loc, Value arg,
                                  SmallVectorImpl<Value> &slots) {
  Type type = arg.getType();
  Type i64 = b.getI64Type();
  if (type.isIndex()) {
    slots.push_back(toI64(b, loc, arg));
    return success();
  }
  if (auto memref = dyn_cast<MemRefType>(type)) {
    Value pointer = toI64(
        b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc, arg));
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, arg);
    slots.push_back(pointer); // allocated: the kernels never read it
    slots.push_back(pointer);
    slots.push_back(toI64(b, loc, metadata.getOffset()));
    for (Value size : metadata.getSizes())
      slots.push_back(toI64(b, loc, size));
    for (Value stride : metadata.getStrides())
      slots.push_back(toI64(b, loc, stride));
    return success();
  }
  if (auto integer = dyn_cast<IntegerType>(type)) {
    if (integer.getWidth() > 64)
      return failure();
    slots.push_back(integer.getWidth() == 64
                        ? arg
                        : arith::ExtUIOp::create(b, loc, i64, arg).getResult());
    return success();
  }
  if (auto floating = dyn_cast<FloatType>(type)) {
    unsigned width = floating.getWidth();
    if (width > 64)
      return failure();
    Value bits =
        arith::BitcastOp::create(b, loc, b.getIntegerType(width), arg);
    slots.push_back(width == 64
                        ? bits
                        : arith::ExtUIOp::create(b, loc, i64, bits).getResult());
    return success();
  }
  return failure();
}

/// The device address (as i64) of element `indices` of `memref`.
Value elementAddress(OpBuilder &b, Location loc, Value memref,
                     ValueRange indices, int64_t bytes) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value element = metadata.getOffset();
  for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
    element = arith::AddIOp::create(
        b, loc, element, arith::MulIOp::create(b, loc, index, stride));
  Value address = arith::AddIOp::create(
      b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref),
      arith::MulIOp::create(b, loc, element,
                            arith::ConstantIndexOp::create(b, loc, bytes)));
  return toI64(b, loc, address);
}

/// True when `buffer` is (a view of) a memref.alloca: host memory the host
/// code reads and writes itself.
bool onHostStack(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer.getDefiningOp<memref::AllocaOp>() != nullptr;
}

/// `load` (on the host, from device memory) as a call of the runtime's
/// `int64_t onnxc_cuda_rt_read(address, bytes)`, which waits for the
/// kernels launched so far and copies the element back: its bits in the
/// low bytes, narrowed to the element type here.
LogicalResult readOnHost(OpBuilder &b, memref::LoadOp load, func::FuncOp read) {
  Location loc = load.getLoc();
  Type elem = load.getType();
  std::optional<int64_t> bytes = elementBytes(elem);
  if (!bytes || *bytes > 8)
    return load.emitError("the CUDA backend cannot read an element of type ")
           << elem << " back to the host";
  Value address = elementAddress(b, loc, load.getMemRef(), load.getIndices(),
                                 *bytes);
  Value size = arith::ConstantIntOp::create(b, loc, b.getI64Type(), *bytes);
  Value bits =
      func::CallOp::create(b, loc, read, ValueRange{address, size})
          .getResult(0);
  Value value;
  if (elem.isIndex()) {
    value = arith::IndexCastOp::create(b, loc, elem, bits);
  } else {
    unsigned width = elem.getIntOrFloatBitWidth();
    if (width < 64)
      bits = arith::TruncIOp::create(b, loc, b.getIntegerType(width), bits);
    value = isa<FloatType>(elem)
                ? arith::BitcastOp::create(b, loc, elem, bits).getResult()
                : bits;
  }
  load.replaceAllUsesWith(value);
  return success();
}

/// `store` (on the host, into device memory) as a call of the runtime's
/// `onnxc_cuda_rt_write(address, bits, bytes)`, ordered after the kernels
/// launched so far and before the next ones.
LogicalResult writeOnHost(OpBuilder &b, memref::StoreOp store,
                          func::FuncOp write) {
  Location loc = store.getLoc();
  Value value = store.getValueToStore();
  SmallVector<Value> slots;
  std::optional<int64_t> bytes = elementBytes(value.getType());
  if (!bytes || *bytes > 8 ||
      failed(kernelArgumentSlots(b, loc, value, slots)))
    return store.emitError("the CUDA backend cannot write an element of "
                           "type ")
           << value.getType() << " from the host";
  Value address = elementAddress(b, loc, store.getMemRef(),
                                 store.getIndices(), *bytes);
  Value size = arith::ConstantIntOp::create(b, loc, b.getI64Type(), *bytes);
  func::CallOp::create(b, loc, write, ValueRange{address, slots[0], size});
  return success();
}

struct CudaLowerHostPass : impl::CudaLowerHostBase<CudaLowerHostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type i64 = IntegerType::get(ctx, 64);
    MemRefType bytes = bytesType(ctx);
    auto slotsType = MemRefType::get({ShapedType::kDynamic}, i64);
    func::FuncOp allocFn = declareRuntimeFunction(
        module, kAllocFn, FunctionType::get(ctx, {i64}, {bytes}), true);
    func::FuncOp weightFn = declareRuntimeFunction(
        module, kWeightFn, FunctionType::get(ctx, {i64}, {bytes}), true);
    SmallVector<Type> launchArgs(7, i64);
    launchArgs.push_back(slotsType);
    func::FuncOp launchFn = declareRuntimeFunction(
        module, kLaunchFn, FunctionType::get(ctx, launchArgs, {}), true);
    func::FuncOp readFn = declareRuntimeFunction(
        module, kReadFn, FunctionType::get(ctx, {i64, i64}, {i64}), false);
    func::FuncOp writeFn = declareRuntimeFunction(
        module, kWriteFn, FunctionType::get(ctx, {i64, i64, i64}, {}), false);

    // Kernels and weights get numbers in the order the host code first
    // uses them.
    llvm::MapVector<StringAttr, int64_t> kernels;
    llvm::MapVector<StringAttr, memref::GlobalOp> weights;
    SymbolTable symbols(module);

    SmallVector<Operation *> toErase;
    // Pre-order, so that the kernels' own ops are skipped with their module.
    WalkResult walk = module.walk<WalkOrder::PreOrder>([&](Operation *op)
                                                           -> WalkResult {
      if (isa<gpu::GPUModuleOp>(op))
        return WalkResult::skip();
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        MemRefType type = alloc.getType();
        if (!type.getLayout().isIdentity())
          return alloc.emitError("the CUDA backend allocates only buffers "
                                 "with the identity layout");
        // Bytes: the static dims' product times the dynamic sizes.
        std::optional<int64_t> bytesPerElement =
            elementBytes(type.getElementType());
        if (!bytesPerElement)
          return alloc.emitError("the CUDA backend cannot allocate device "
                                 "buffers of ")
                 << type.getElementType();
        int64_t staticElements = *bytesPerElement;
        for (int64_t dim : type.getShape())
          if (!ShapedType::isDynamic(dim))
            staticElements *= dim;
        Value size = arith::ConstantIndexOp::create(b, loc, staticElements);
        for (Value dim : alloc.getDynamicSizes())
          size = arith::MulIOp::create(b, loc, size, dim);
        Value raw = func::CallOp::create(b, loc, allocFn,
                                         ValueRange{toI64(b, loc, size)})
                        .getResult(0);
        alloc.replaceAllUsesWith(
            viewAs(b, loc, raw, type, alloc.getDynamicSizes()));
        toErase.push_back(alloc);
        return WalkResult::advance();
      }
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        if (onHostStack(load.getMemRef()))
          return WalkResult::advance();
        if (failed(readOnHost(b, load, readFn)))
          return WalkResult::interrupt();
        toErase.push_back(load);
        return WalkResult::advance();
      }
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        if (onHostStack(store.getMemRef()))
          return WalkResult::advance();
        if (failed(writeOnHost(b, store, writeFn)))
          return WalkResult::interrupt();
        toErase.push_back(store);
        return WalkResult::advance();
      }
      if (isa<memref::DeallocOp>(op)) {
        toErase.push_back(op); // the arena is reset after the run
        return WalkResult::advance();
      }
      if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        auto global = symbols.lookup<memref::GlobalOp>(get.getName());
        if (!global || !global.getConstant() ||
            !global.getType().getLayout().isIdentity() ||
            !global.getType().hasStaticShape() ||
            !elementBytes(global.getType().getElementType()))
          return get.emitError("the CUDA backend reads only constant, "
                               "static, dense globals on the device");
        auto [it, inserted] = weights.try_emplace(get.getNameAttr().getAttr(),
                                                  global);
        int64_t index = std::distance(weights.begin(), it);
        Value id = arith::ConstantIntOp::create(b, loc, i64, index);
        Value raw =
            func::CallOp::create(b, loc, weightFn, ValueRange{id}).getResult(0);
        get.replaceAllUsesWith(viewAs(b, loc, raw, get.getType(), {}));
        toErase.push_back(get);
        return WalkResult::advance();
      }
      if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
        if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
            launch.getDynamicSharedMemorySize() || launch.hasClusterSize())
          return launch.emitError("the CUDA backend launches kernels only "
                                  "synchronously, without dynamic shared "
                                  "memory or clusters");
        auto [it, inserted] =
            kernels.try_emplace(launch.getKernelName(), kernels.size());
        SmallVector<Value> slots;
        for (Value arg : launch.getKernelOperands())
          if (failed(kernelArgumentSlots(b, loc, arg, slots)))
            return launch.emitError("the CUDA backend cannot pass a kernel "
                                    "argument of type ")
                   << arg.getType();
        Value count = arith::ConstantIndexOp::create(b, loc, slots.size());
        Value buffer = memref::AllocaOp::create(b, loc, slotsType,
                                                ValueRange{count});
        for (auto [k, value] : llvm::enumerate(slots)) {
          Value at = arith::ConstantIndexOp::create(b, loc, k);
          memref::StoreOp::create(b, loc, value, buffer, ValueRange{at});
        }
        gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
        gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
        SmallVector<Value> args = {
            arith::ConstantIntOp::create(b, loc, i64, it->second),
            toI64(b, loc, grid.x),  toI64(b, loc, grid.y),
            toI64(b, loc, grid.z),  toI64(b, loc, block.x),
            toI64(b, loc, block.y), toI64(b, loc, block.z),
            buffer};
        func::CallOp::create(b, loc, launchFn, args);
        toErase.push_back(launch);
        return WalkResult::advance();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (Operation *op : toErase)
      op->erase();

    // What the runtime uploads: weight i at table[2i] (host address) with
    // table[2i + 1] bytes.
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = module.getLoc();
    auto tableFn = func::FuncOp::create(
        b, loc, kWeightTableFn, FunctionType::get(ctx, {slotsType}, {}));
    tableFn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    b.setInsertionPointToStart(tableFn.addEntryBlock());
    Value table = tableFn.getArgument(0);
    for (auto [index, entry] : llvm::enumerate(weights)) {
      memref::GlobalOp global = entry.second;
      MemRefType type = global.getType();
      Value address = memref::GetGlobalOp::create(b, loc, type,
                                                  global.getSymName());
      Value pointer = toI64(
          b, loc, memref::ExtractAlignedPointerAsIndexOp::create(b, loc,
                                                                 address));
      int64_t size =
          type.getNumElements() * *elementBytes(type.getElementType());
      memref::StoreOp::create(
          b, loc, pointer, table,
          ValueRange{arith::ConstantIndexOp::create(b, loc, 2 * index)});
      memref::StoreOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, i64, size), table,
          ValueRange{arith::ConstantIndexOp::create(b, loc, 2 * index + 1)});
    }
    func::ReturnOp::create(b, loc);

    SmallVector<Attribute> kernelNames;
    for (auto &[name, index] : kernels)
      kernelNames.push_back(name);
    module->setAttr("onnxc.cuda_kernels", ArrayAttr::get(ctx, kernelNames));
    module->setAttr("onnxc.cuda_weights",
                    IntegerAttr::get(i64, weights.size()));
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
      gpuModule.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
} // namespace onnxc
