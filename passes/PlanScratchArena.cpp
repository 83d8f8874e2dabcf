//===- PlanScratchArena.cpp - Temporary buffers in one session arena ------===//
//
// A model's intermediate tensors used to be a malloc/free pair each, on
// every call. With static shapes their sizes and lifetimes are known at
// compile time, so they are packed into one arena the runtime allocates
// once per session: no allocator calls on the hot path, and buffers that
// are never live together share memory.
//
// A buffer lives, in the entry block, from its memref.alloc to the last op
// that touches its memory: a user of the buffer or of a memref derived from
// it (a view, a cast, a loop that captures or yields it). Not to its
// memref.dealloc: ownership-based deallocation puts every dealloc at the
// end of the block, and that lifetime kept every buffer live to the end,
// so nothing shared bytes (mobilenet_v2's arena was the sum of all its
// temporaries, 30 MB; fresh pages cost a fault each on the first run, and
// the activations never stayed in cache). Offsets are
// assigned largest buffer first, each at the lowest aligned offset that
// does not overlap a placed buffer whose lifetime intersects its own (the
// usual greedy heuristic for this interval-packing problem).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_PLANSCRATCHARENA
#include "passes/Passes.h.inc"

namespace {

/// A buffer the arena can hold, with its lifetime in block order.
struct PlannedBuffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t bytes = 0;
  int64_t begin = 0, end = 0; ///< positions of alloc and dealloc
  int64_t offset = -1;
};

int64_t alignTo(int64_t v, int64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

/// Bytes of a statically shaped, identity-layout buffer; nullopt otherwise.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  Type elem = type.getElementType();
  if (!elem.isIntOrFloat())
    return std::nullopt;
  // LLVM lays out i1 (and other odd widths) in whole bytes.
  int64_t elementBytes = (elem.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * elementBytes;
}

/// The position in `block` of the last op that uses `alloc`'s memory, or
/// nullopt when that is unknowable (the address leaves as an integer, or a
/// user lies outside the block). Users count at their ancestor in the
/// block: a parallel loop that reads the buffer in its body uses it until
/// the loop ends. Any memref an op derives from the buffer, or that a
/// region op returns after using it, may alias it, so its users count too.
/// `dealloc` frees it and is not a use.
std::optional<int64_t>
lastUse(memref::AllocOp alloc, memref::DeallocOp dealloc, Block &block,
        const DenseMap<Operation *, int64_t> &position) {
  int64_t last = position.lookup(alloc);
  SmallVector<Value> worklist{alloc.getResult()};
  DenseSet<Value> seen;
  auto followMemRefs = [&](Operation *op) {
    for (Value result : op->getResults())
      if (isa<BaseMemRefType>(result.getType()))
        worklist.push_back(result);
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (!seen.insert(value).second)
      continue;
    for (Operation *user : value.getUsers()) {
      if (user == dealloc.getOperation())
        continue;
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user))
        return std::nullopt;
      Operation *ancestor = block.findAncestorOpInBlock(*user);
      if (!ancestor)
        return std::nullopt;
      last = std::max(last, position.lookup(ancestor));
      followMemRefs(user);
      if (ancestor != user)
        followMemRefs(ancestor);
      // Inside a region, a memref passed to a nested op's region (a loop's
      // iter_args) aliases it there; its users are inside `ancestor`,
      // which already counts, and what leaves the region leaves through
      // `ancestor`'s results.
    }
  }
  return last;
}

/// The buffers of `block` that are allocated and freed in it.
SmallVector<PlannedBuffer> collectBuffers(Block &block) {
  DenseMap<Operation *, int64_t> position;
  int64_t index = 0;
  for (Operation &op : block)
    position[&op] = index++;
  SmallVector<PlannedBuffer> buffers;
  for (Operation &op : block) {
    auto alloc = dyn_cast<memref::AllocOp>(&op);
    if (!alloc || !alloc.getDynamicSizes().empty() ||
        !alloc.getSymbolOperands().empty())
      continue;
    std::optional<int64_t> bytes = staticBytes(alloc.getType());
    if (!bytes)
      continue;
    memref::DeallocOp dealloc;
    bool escapes = false;
    for (Operation *user : alloc->getUsers()) {
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        if (dealloc || d->getBlock() != &block)
          escapes = true;
        dealloc = d;
      }
    }
    if (!dealloc || escapes)
      continue; // returned, or freed somewhere the order does not show
    PlannedBuffer buffer;
    buffer.alloc = alloc;
    buffer.dealloc = dealloc;
    buffer.bytes = std::max<int64_t>(*bytes, 1);
    buffer.begin = position[alloc];
    buffer.end = lastUse(alloc, dealloc, block, position)
                     .value_or(position[dealloc]);
    buffers.push_back(buffer);
  }
  return buffers;
}

/// Assigns offsets; returns the arena size.
int64_t assignOffsets(MutableArrayRef<PlannedBuffer> buffers,
                      int64_t alignment) {
  SmallVector<PlannedBuffer *> order;
  for (PlannedBuffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](PlannedBuffer *a, PlannedBuffer *b) {
    return a->bytes > b->bytes;
  });
  SmallVector<PlannedBuffer *> placed;
  int64_t arenaBytes = 0;
  for (PlannedBuffer *b : order) {
    // Byte ranges taken, during b's lifetime, by buffers already placed.
    SmallVector<std::pair<int64_t, int64_t>> taken;
    for (PlannedBuffer *p : placed)
      if (p->begin <= b->end && b->begin <= p->end)
        taken.push_back({p->offset, p->offset + p->bytes});
    llvm::sort(taken);
    int64_t offset = 0;
    for (auto [lo, hi] : taken) {
      if (offset + b->bytes <= lo)
        break;
      offset = std::max(offset, alignTo(hi, alignment));
    }
    b->offset = offset;
    arenaBytes = std::max(arenaBytes, offset + b->bytes);
    placed.push_back(b);
  }
  return alignTo(arenaBytes, alignment);
}

/// A buffer sized at run time that can still live in the session's arena:
/// its sizes are computable on entry to the function.
struct DynamicBuffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
};

/// True if `v` can be recomputed at the top of `block`: a block argument,
/// or a side-effect-free op of the block (memref.dim, arith) whose operands
/// can be too. Collects the ops to clone in `needed`.
bool computableOnEntry(Value v, Block &block,
                       llvm::SetVector<Operation *> &needed, int depth = 0) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner() == &block;
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != &block || depth > 32 ||
      def->getNumRegions() != 0)
    return false;
  bool pure = isa<memref::DimOp>(def) ||
              (isa<arith::ArithDialect>(def->getDialect()) &&
               isMemoryEffectFree(def));
  if (!pure)
    return false;
  for (Value operand : def->getOperands())
    if (!computableOnEntry(operand, block, needed, depth + 1))
      return false;
  needed.insert(def);
  return true;
}

/// The run-time-sized buffers of `block` that are allocated and freed in
/// it, and the ops computing their sizes.
SmallVector<DynamicBuffer>
collectDynamicBuffers(Block &block, llvm::SetVector<Operation *> &needed) {
  SmallVector<DynamicBuffer> buffers;
  for (Operation &op : block) {
    auto alloc = dyn_cast<memref::AllocOp>(&op);
    if (!alloc || alloc.getDynamicSizes().empty() ||
        !alloc.getSymbolOperands().empty())
      continue;
    MemRefType type = alloc.getType();
    if (!type.getLayout().isIdentity() || type.getMemorySpace() ||
        !type.getElementType().isIntOrFloat())
      continue;
    memref::DeallocOp dealloc;
    bool escapes = false;
    for (Operation *user : alloc->getUsers())
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        escapes |= dealloc || d->getBlock() != &block;
        dealloc = d;
      }
    if (!dealloc || escapes)
      continue;
    llvm::SetVector<Operation *> chain;
    if (!llvm::all_of(alloc.getDynamicSizes(), [&](Value v) {
          return computableOnEntry(v, block, chain);
        }))
      continue;
    needed.insert(chain.begin(), chain.end());
    buffers.push_back({alloc, dealloc});
  }
  return buffers;
}

/// The run-time-sized buffers go into a second, growable part of the
/// session's arena: on entry the function computes every such buffer's
/// size, asks the runtime for the total (`onnxc_scratch_reserve`, which
/// grows the session's block when a run needs more than any before), and
/// gives each buffer its own slice. Their sizes are unknown here, so they
/// do not share bytes.
void placeDynamicBuffers(ModuleOp module, func::FuncOp entry, Value arena,
                         int64_t alignment) {
  Block &block = entry.getBody().front();
  llvm::SetVector<Operation *> needed;
  SmallVector<DynamicBuffer> buffers = collectDynamicBuffers(block, needed);
  if (buffers.empty())
    return;
  OpBuilder b(&block, block.begin());
  Location loc = entry.getLoc();
  // Recompute the sizes at the top, in block order.
  IRMapping map;
  for (Operation &op : block)
    if (needed.contains(&op))
      b.clone(op, map);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value total = cst(0);
  SmallVector<Value> offsets;
  for (DynamicBuffer &buf : buffers) {
    MemRefType type = buf.alloc.getType();
    int64_t elementBytes = (type.getElementTypeBitWidth() + 7) / 8;
    int64_t staticPart = elementBytes;
    for (int64_t d : type.getShape())
      if (!ShapedType::isDynamic(d))
        staticPart *= d;
    Value bytes = cst(staticPart);
    for (Value size : buf.alloc.getDynamicSizes())
      bytes = arith::MulIOp::create(b, loc, bytes, map.lookupOrDefault(size));
    // Round up to the alignment (a power of two).
    bytes = arith::AndIOp::create(
        b, loc, arith::AddIOp::create(b, loc, bytes, cst(alignment - 1)),
        cst(~(alignment - 1)));
    offsets.push_back(total);
    total = arith::AddIOp::create(b, loc, total, bytes);
  }
  MLIRContext *ctx = module.getContext();
  auto bytesType = MemRefType::get({ShapedType::kDynamic},
                                   IntegerType::get(ctx, 8));
  auto reserveType = FunctionType::get(
      ctx, {bytesType, IndexType::get(ctx)}, {bytesType});
  auto reserve = module.lookupSymbol<func::FuncOp>("onnxc_scratch_reserve");
  if (!reserve) {
    OpBuilder mb(module.getBodyRegion());
    reserve = func::FuncOp::create(mb, loc, "onnxc_scratch_reserve",
                                   reserveType);
    reserve.setPrivate();
    // The runtime implements _mlir_ciface_onnxc_scratch_reserve.
    reserve->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  }
  Value dynamic =
      func::CallOp::create(b, loc, reserve, ValueRange{arena, total})
          .getResult(0);
  for (auto [buf, offset] : llvm::zip(buffers, offsets)) {
    OpBuilder vb(buf.alloc);
    Value view =
        memref::ViewOp::create(vb, buf.alloc.getLoc(), buf.alloc.getType(),
                               dynamic, offset, buf.alloc.getDynamicSizes());
    buf.alloc.replaceAllUsesWith(view);
    buf.dealloc.erase();
    buf.alloc.erase();
  }
}

struct PlanScratchArenaPass
    : impl::PlanScratchArenaBase<PlanScratchArenaPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal()) {
      module.emitError() << "no function '" << entryName << "' to plan";
      return signalPassFailure();
    }
    if (alignment <= 0 || (alignment & (alignment - 1))) {
      module.emitError() << "arena alignment must be a power of two";
      return signalPassFailure();
    }
    Block &block = entry.getBody().front();
    SmallVector<PlannedBuffer> buffers = collectBuffers(block);
    int64_t arenaBytes = assignOffsets(buffers, alignment);

    // The arena is always the last argument, so the calling convention
    // does not depend on whether anything was planned.
    MLIRContext *ctx = &getContext();
    auto arenaType = MemRefType::get({ShapedType::kDynamic},
                                     IntegerType::get(ctx, 8));
    if (failed(entry.insertArgument(entry.getNumArguments(), arenaType,
                                    DictionaryAttr::get(ctx), entry.getLoc())))
      return signalPassFailure();
    Value arena = block.getArgument(block.getNumArguments() - 1);

    for (PlannedBuffer &b : buffers) {
      OpBuilder builder(b.alloc);
      Location loc = b.alloc.getLoc();
      Value shift = arith::ConstantIndexOp::create(builder, loc, b.offset);
      Value view = memref::ViewOp::create(builder, loc, b.alloc.getType(),
                                          arena, shift, ValueRange{});
      b.alloc.replaceAllUsesWith(view);
      b.dealloc.erase();
      b.alloc.erase();
    }
    placeDynamicBuffers(module, entry, arena, alignment);
    module->setAttr("onnxc.scratch_bytes",
                    IntegerAttr::get(IntegerType::get(ctx, 64), arenaBytes));
  }
};

} // namespace
} // namespace onnxc
