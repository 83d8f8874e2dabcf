//===- ResolveSequences.cpp - Sequences known at compile time as tensors --===//
//
// ONNX sequence values cannot cross the runtime ABI and have no lowering,
// but inside a graph they are usually a list of tensors whose structure the
// graph fixes: built with SequenceEmpty / SequenceConstruct / SplitToSequence,
// edited at constant positions, read at constant positions. This pass
// follows each sequence SSA value as that list of tensor values and rewrites
// the ops that read it (SequenceAt, SequenceLength, ConcatFromSequence) into
// the tensors themselves or into plain onnx ops (Constant, Concat, Unsqueeze,
// Split, Squeeze), then erases the sequence ops left without users.
//
// A sequence whose structure is not known (a run-time position, a sequence
// carried through Loop or If, a graph input) is left alone, with every op
// that depends on it: the conversion to linalg reports those as unsupported.
// Sometimes only the length is known (SplitToSequence with a run-time 1-D
// `split`), which is enough for SequenceLength.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/lowering/LoweringUtils.h"

#include "dialects/onnx/OnnxDialect.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_RESOLVESEQUENCES
#include "passes/Passes.h.inc"

namespace {

/// What is known about one sequence value: always its length, and the
/// tensors themselves where every one of them is known.
struct SeqState {
  int64_t length = 0;
  std::optional<SmallVector<Value>> elements;
};

/// A 1-D (or, with `scalar`, 0-D) int64 onnx.Constant.
Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values,
                  bool scalar = false) {
  auto type = scalar ? RankedTensorType::get({}, b.getI64Type())
                     : RankedTensorType::get({int64_t(values.size())},
                                             b.getI64Type());
  auto attr = DenseIntElementsAttr::get(type, values);
  return ConstantOp::create(b, loc, type, ElementsAttr(), attr, FloatAttr(),
                            ArrayAttr(), IntegerAttr(), ArrayAttr(),
                            StringAttr(), ArrayAttr());
}

/// The single integer of a constant position operand, or nullopt.
std::optional<int64_t> constantPosition(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 0)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> values = constantIntValues(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return (*values)[0];
}

class Resolver {
public:
  explicit Resolver(ModuleOp module) : module(module) {}

  void run() {
    SmallVector<Operation *> ops;
    module.walk<WalkOrder::PreOrder>([&](Operation *op) {
      ops.push_back(op);
    });
    for (Operation *op : ops)
      visit(op);
    // Sequence ops whose results lost every user, last first so that a
    // chain of them goes at once; then the helpers built for nothing.
    for (Operation *op : llvm::reverse(sequenceOps))
      if (op->use_empty())
        op->erase();
    for (Operation *op : llvm::reverse(created))
      if (op->use_empty())
        op->erase();
  }

private:
  void visit(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (isa<SequenceEmptyOp>(op)) {
      define(op, SeqState{0, SmallVector<Value>{}});
    } else if (auto construct = dyn_cast<SequenceConstructOp>(op)) {
      SmallVector<Value> elements = llvm::to_vector(construct.getInputs());
      define(op, SeqState{int64_t(elements.size()), elements});
    } else if (auto identity = dyn_cast<IdentityOp>(op)) {
      if (const SeqState *s = lookup(identity.getInput()))
        define(op, *s);
    } else if (auto insert = dyn_cast<SequenceInsertOp>(op)) {
      visitInsert(insert);
    } else if (auto erase = dyn_cast<SequenceEraseOp>(op)) {
      visitErase(erase);
    } else if (auto split = dyn_cast<SplitToSequenceOp>(op)) {
      visitSplit(b, loc, split);
    } else if (auto at = dyn_cast<SequenceAtOp>(op)) {
      visitAt(at);
    } else if (auto length = dyn_cast<SequenceLengthOp>(op)) {
      const SeqState *s = lookup(length.getInputSequence());
      if (!s)
        return;
      Value c = i64Constant(b, loc, {s->length}, /*scalar=*/true);
      created.push_back(c.getDefiningOp());
      if (replaceTensor(length.getLength(), c))
        op->erase();
    } else if (auto concat = dyn_cast<ConcatFromSequenceOp>(op)) {
      visitConcat(b, loc, concat);
    }
  }

  void define(Operation *op, SeqState state) {
    states[op->getResult(0)] = std::move(state);
    sequenceOps.push_back(op);
  }

  const SeqState *lookup(Value seq) {
    auto it = states.find(seq);
    return it == states.end() ? nullptr : &it->second;
  }

  /// SequenceInsert: `position` in [-n, n], absent = append.
  void visitInsert(SequenceInsertOp op) {
    const SeqState *s = lookup(op.getInputSequence());
    if (!s)
      return;
    int64_t n = s->length;
    SeqState next{n + 1, std::nullopt};
    std::optional<int64_t> index = n;
    if (!isNoValue(op.getPosition())) {
      index = constantPosition(op.getPosition());
      if (index && (*index < -n || *index > n))
        return; // invalid model: leave it for the error it deserves
      if (index && *index < 0)
        *index += n;
    }
    // A run-time position still gives the length (any valid one inserts).
    if (index && s->elements) {
      SmallVector<Value> elements = *s->elements;
      elements.insert(elements.begin() + *index, op.getTensor());
      next.elements = std::move(elements);
    }
    define(op, std::move(next));
  }

  /// SequenceErase: `position` in [-n, n - 1], absent = the last one.
  void visitErase(SequenceEraseOp op) {
    const SeqState *s = lookup(op.getInputSequence());
    if (!s || s->length == 0)
      return;
    int64_t n = s->length;
    SeqState next{n - 1, std::nullopt};
    std::optional<int64_t> index = n - 1;
    if (!isNoValue(op.getPosition())) {
      index = constantPosition(op.getPosition());
      if (index && (*index < -n || *index >= n))
        return;
      if (index && *index < 0)
        *index += n;
    }
    if (index && s->elements) {
      SmallVector<Value> elements = *s->elements;
      elements.erase(elements.begin() + *index);
      next.elements = std::move(elements);
    }
    define(op, std::move(next));
  }

  /// SplitToSequence: pieces along `axis`; without `split` pieces of one
  /// (squeezed when keepdims = 0), with a scalar `split` equal chunks and a
  /// smaller last one, with a 1-D `split` those sizes (keepdims ignored).
  void visitSplit(OpBuilder &b, Location loc, SplitToSequenceOp op) {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (!inType || inType.getRank() == 0)
      return;
    std::optional<int64_t> axis = normalizeAxis(op.getAxis(), inType.getRank());
    if (!axis)
      return;
    int64_t dim = inType.getDimSize(*axis);
    bool squeeze = false;
    SmallVector<int64_t> sizes;
    Value split = op.getSplit();
    if (isNoValue(split)) {
      if (ShapedType::isDynamic(dim))
        return;
      sizes.assign(dim, 1);
      squeeze = op.getKeepdims() == 0;
    } else {
      auto splitType = dyn_cast<RankedTensorType>(split.getType());
      if (!splitType || splitType.getRank() > 1)
        return;
      std::optional<SmallVector<int64_t>> values = constantIntValues(split);
      if (!values) {
        // The count of a run-time 1-D split is still its static size.
        if (splitType.getRank() == 1 && !splitType.isDynamicDim(0))
          define(op, SeqState{splitType.getDimSize(0), std::nullopt});
        return;
      }
      if (splitType.getRank() == 0) {
        if (values->size() != 1 || (*values)[0] <= 0 ||
            ShapedType::isDynamic(dim))
          return;
        int64_t chunk = (*values)[0];
        for (int64_t start = 0; start < dim; start += chunk)
          sizes.push_back(std::min(chunk, dim - start));
      } else {
        sizes.assign(values->begin(), values->end());
        if (llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
          return;
        int64_t total = 0;
        for (int64_t s : sizes)
          total += s;
        if (ShapedType::isDynamic(dim)) {
          define(op, SeqState{int64_t(sizes.size()), std::nullopt});
          return;
        }
        if (total != dim)
          return;
      }
    }
    SeqState state{int64_t(sizes.size()), std::nullopt};
    // The pieces themselves: onnx.Split lowers static shapes only.
    if (inType.hasStaticShape()) {
      SmallVector<Value> elements;
      if (!sizes.empty()) {
        SmallVector<Type> pieceTypes;
        for (int64_t s : sizes) {
          SmallVector<int64_t> shape(inType.getShape());
          shape[*axis] = s;
          pieceTypes.push_back(inType.clone(shape));
        }
        Value sizesConst = i64Constant(b, loc, sizes);
        created.push_back(sizesConst.getDefiningOp());
        auto parts = SplitOp::create(b, loc, pieceTypes, op.getInput(),
                                     sizesConst, uint64_t(*axis));
        created.push_back(parts);
        Value axes;
        if (squeeze) {
          axes = i64Constant(b, loc, {*axis});
          created.push_back(axes.getDefiningOp());
        }
        for (Value part : parts.getResults()) {
          if (squeeze) {
            SmallVector<int64_t> shape(inType.getShape());
            shape.erase(shape.begin() + *axis);
            auto sq = SqueezeOp::create(b, loc, inType.clone(shape), part, axes);
            created.push_back(sq);
            part = sq;
          }
          elements.push_back(part);
        }
      }
      state.elements = std::move(elements);
    }
    define(op, std::move(state));
  }

  /// SequenceAt at a constant position in [-n, n - 1].
  void visitAt(SequenceAtOp op) {
    const SeqState *s = lookup(op.getInputSequence());
    if (!s || !s->elements)
      return;
    std::optional<int64_t> pos = constantPosition(op.getPosition());
    int64_t n = s->length;
    if (!pos || *pos < -n || *pos >= n)
      return;
    Value element = (*s->elements)[*pos < 0 ? *pos + n : *pos];
    if (replaceTensor(op.getTensor(), element))
      op->erase();
  }

  /// ConcatFromSequence: onnx.Concat of the elements, each unsqueezed at
  /// the axis first when new_axis = 1 (then axis may also be rank).
  void visitConcat(OpBuilder &b, Location loc, ConcatFromSequenceOp op) {
    const SeqState *s = lookup(op.getInputSequence());
    if (!s || !s->elements || s->elements->empty())
      return;
    ArrayRef<Value> elements = *s->elements;
    auto first = dyn_cast<RankedTensorType>(elements.front().getType());
    if (!first)
      return;
    int64_t rank = first.getRank();
    SmallVector<Value> inputs(elements.begin(), elements.end());
    for (Value v : inputs) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.getRank() != rank ||
          t.getElementType() != first.getElementType())
        return;
    }
    bool stack = op.getNewAxis() != 0;
    int64_t outRank = stack ? rank + 1 : rank;
    std::optional<int64_t> axis = normalizeAxis(op.getAxis(), outRank);
    if (!axis || outRank == 0)
      return;
    // The concatenated shape: sizes summed along the axis, equal elsewhere.
    SmallVector<int64_t> shape(outRank, 0);
    for (auto [i, v] : llvm::enumerate(inputs)) {
      SmallVector<int64_t> dims(cast<RankedTensorType>(v.getType()).getShape());
      if (stack)
        dims.insert(dims.begin() + *axis, 1);
      for (int64_t d = 0; d < outRank; ++d) {
        if (d == *axis) {
          if (ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(dims[d]))
            shape[d] = ShapedType::kDynamic;
          else
            shape[d] += dims[d];
        } else if (i == 0 || ShapedType::isDynamic(shape[d])) {
          shape[d] = dims[d];
        } else if (!ShapedType::isDynamic(dims[d]) && dims[d] != shape[d]) {
          return; // shapes that do not concatenate: an invalid model
        }
      }
    }
    auto inferred = first.clone(shape);
    Type resultType = op.getConcatResult().getType();
    auto declared = dyn_cast<RankedTensorType>(resultType);
    if (declared && (declared.getElementType() != first.getElementType() ||
                     failed(verifyCompatibleShape(declared, inferred))))
      return;
    if (stack) {
      Value axes = i64Constant(b, loc, {*axis});
      created.push_back(axes.getDefiningOp());
      for (Value &v : inputs) {
        SmallVector<int64_t> dims(cast<RankedTensorType>(v.getType()).getShape());
        dims.insert(dims.begin() + *axis, 1);
        auto un = UnsqueezeOp::create(b, loc, first.clone(dims), v, axes);
        created.push_back(un);
        v = un;
      }
    }
    // The declared type where ranked (Concat sizes its dynamic dims from
    // the inputs), else the inferred one.
    auto concat = ConcatOp::create(b, loc, declared ? declared : inferred,
                                   inputs, uint64_t(*axis));
    created.push_back(concat);
    if (replaceTensor(op.getConcatResult(), concat))
      op->erase();
  }

  /// Replaces `old` with `value`. Where the types differ (the element more
  /// static than the sequence said), an onnx.Identity to `old`'s type keeps
  /// the view of every user but the sequence builders; an unranked `old` is replaced directly when only
  /// onnx ops (which take any tensor type) use it. False where neither fits.
  bool replaceTensor(Value old, Value value) {
    if (old.getType() == value.getType()) {
      old.replaceAllUsesWith(value);
      return true;
    }
    auto oldType = dyn_cast<TensorType>(old.getType());
    auto newType = dyn_cast<TensorType>(value.getType());
    if (!oldType || !newType ||
        oldType.getElementType() != newType.getElementType())
      return false;
    if (oldType.hasRank()) {
      if (!newType.hasRank() || failed(verifyCompatibleShape(oldType, newType)))
        return false;
      // Sequence builders only hold the tensor: they get it as it is, so
      // that a later read or concatenation sees the static shape.
      old.replaceUsesWithIf(value, [](OpOperand &use) {
        return isa<SequenceInsertOp, SequenceConstructOp>(use.getOwner());
      });
      if (old.use_empty())
        return true;
      OpBuilder b(old.getContext());
      b.setInsertionPointAfterValue(value);
      if (Operation *def = old.getDefiningOp())
        b.setInsertionPoint(def);
      auto id = IdentityOp::create(b, old.getLoc(), oldType, value);
      created.push_back(id);
      old.replaceAllUsesWith(id.getResult());
      return true;
    }
    for (Operation *user : old.getUsers())
      if (!isa_and_nonnull<OnnxDialect>(user->getDialect()) ||
          user->hasTrait<OpTrait::IsTerminator>())
        return false;
    old.replaceAllUsesWith(value);
    return true;
  }

  ModuleOp module;
  DenseMap<Value, SeqState> states;
  /// Ops whose sequence result is tracked, in program order.
  SmallVector<Operation *> sequenceOps;
  /// Ops this pass built, in creation order.
  SmallVector<Operation *> created;
};

struct ResolveSequencesPass
    : impl::ResolveSequencesBase<ResolveSequencesPass> {
  void runOnOperation() override { Resolver(getOperation()).run(); }
};

} // namespace
} // namespace onnxc
