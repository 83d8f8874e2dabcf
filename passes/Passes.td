//===- Passes.td - onnx-compile's passes -----------------------------------===//

#ifndef ONNXC_PASSES_TD
#define ONNXC_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOnnxToLinalg : Pass<"convert-onnx-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower onnx-dialect ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every onnx op into upstream MLIR on tensors, following ONNX
    semantics (multidirectional broadcasting, attribute defaults, the
    opset version the op records). Unsigned integer tensors become signless
    ones; ops that care about signedness read it from the original type.
    An op with no lowering is reported at its location (its ONNX node) and
    the pass fails.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect",
    "mlir::scf::SCFDialect", "mlir::func::FuncDialect",
    "mlir::bufferization::BufferizationDialect"
  ];
}

def ComputeInPlace : Pass<"onnxc-compute-in-place", "mlir::func::FuncOp"> {
  let summary = "Compute values inserted into a larger tensor in their slice of it";
  let description = [{
    Where a tensor.insert_slice inserts an op's result (through reshapes)
    whose init is a tensor.empty, into a tensor built by insert_slices
    from a tensor.empty or linalg.fill, that init is replaced by the
    matching slice of the insert's destination (whose ops are moved up
    before the op). One-shot
    bufferization then writes the op's result in place, and the
    insert_slice (a Concat input, a Pad's interior) copies nothing.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def FlattenFills : Pass<"onnxc-flatten-fills", "mlir::func::FuncOp"> {
  let summary = "Fill contiguous buffers through a one-dim view";
  let description = [{
    A linalg.fill of a buffer with an identity layout and a static shape
    (rank 2 or more) is rewritten as a fill of the buffer collapsed to one
    dim, so that convert-linalg-to-loops emits one loop of consecutive
    stores (which LLVM turns into memset or contiguous vector stores)
    instead of a nest that LLVM vectorized into scatters.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def VectorizeCopies : Pass<"onnxc-vectorize-copies", "mlir::func::FuncOp"> {
  let summary = "Strided copies of static shape as loops of vector rows";
  let description = [{
    A memref.copy between layouts that are not both contiguous (a tensor
    copied into the interior of its padded buffer, a partial panel of
    columns) is lowered to a call of the runtime's strided copy, which
    calls memcpy once per row. With a static shape, a unit innermost
    stride on both sides and rows of at most `max-row-elements`, it is
    rewritten as scf.for loops over the outer dims around one
    vector.transfer_read and vector.transfer_write of a whole row: no call,
    and no per-row descriptor walk, for rows of 4 to a few hundred
    elements.
  }];
  let options = [
    Option<"maxRowElements", "max-row-elements", "int64_t", /*default=*/"256",
           "Longest row copied as one vector: LLVM loads a whole row before "
           "storing it (the two sides may alias), so longer rows would not "
           "fit the vector registers, and they amortize the runtime's "
           "memcpy call anyway">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::arith::ArithDialect"];
}

def EnsureFreshResults : Pass<"onnxc-ensure-fresh-results", "mlir::func::FuncOp"> {
  let summary = "Make every returned buffer a fresh allocation";
  let description = [{
    The runtime frees each result buffer of a model after handing it out.
    A returned memref that aliases an argument, a global or another result
    is replaced by a copy into a new allocation.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def ExpandBFloat16 : Pass<"onnxc-expand-bfloat16", "mlir::ModuleOp"> {
  let summary = "Casts to and from bfloat16 as integer arithmetic";
  let description = [{
    LLVM lowers `fptrunc float to bfloat` on CPUs without native bfloat16
    conversions into a call to `__truncsfbf2`, which Debian 12's libgcc
    (GCC 12) does not have, so a model library built for such a CPU (or
    for the generic x86-64) fails to load. This pass rewrites every
    arith.truncf to bf16 (round to nearest even, NaN kept quiet) and
    arith.extf from bf16 (a shift) into integer ops, so no library call is
    needed on any target.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def ApproximateMath : Pass<"onnxc-approximate-math", "mlir::ModuleOp"> {
  let summary = "f32 math.erf and math.exp as inline polynomial arithmetic";
  let description = [{
    math.erf has no LLVM intrinsic, and LLVM's exp intrinsic becomes an
    expf call: one scalar libm call per element, and per lane of a vector
    (a GELU epilogue on a contraction's accumulators, Softmax's
    exp(x - max) in a vectorized row reduction). erf was 15% of BERT-base's
    int8 run. Upstream's approximations (a few fmas, selects, and for exp
    an exponent built in the bits) stay in vector registers and let LLVM
    vectorize scalar loops around them. test/lit/codegen/approximate-math.test
    checks them against libm: erf within 2e-7 absolute over [-6, 6], exp
    within 3e-7 relative (2.5 ulp) over its whole normal range, both on
    zeros, infinities, NaN and the overflow and underflow edges. Other
    element types are left to libm.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def PlanScratchArena : Pass<"onnxc-plan-scratch-arena", "mlir::ModuleOp"> {
  let summary = "Place the model's temporary buffers in one session arena";
  let description = [{
    Runs after bufferization and the deallocation pipeline. In the entry
    function (`main_graph`), every statically shaped buffer allocated in the
    function's top-level block and freed in that same block gets a byte
    offset in one scratch arena: buffers whose lifetimes (allocation to
    deallocation, in block order) overlap never share bytes, the others may.
    The allocations become `memref.view`s of a new last function argument,
    `memref<?xi8>`, which the runtime allocates once per session; the
    deallocations disappear. The arena's size is recorded on the module as
    `onnxc.scratch_bytes`. Buffers sized at run time whose sizes can be
    computed on entry to the function go into a second part of the arena
    that the runtime grows as needed (`onnxc_scratch_reserve`, called once
    per run with their total size). Buffers allocated in loops, sized by
    data, or returned to the caller keep their own allocations.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main_graph\"",
           "The function whose buffers are planned">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every buffer in the arena">
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect"];
}

def PrepackWeights : Pass<"onnxc-prepack-weights", "mlir::func::FuncOp"> {
  let summary = "Store constant contraction operands in the kernels' layout";
  let description = [{
    Runs on tensors before onnxc-vectorize-contractions. A constant f32/f64
    input of a linalg.generic with reductions, indexed [.., n, k] where n
    is the output's last dim and k a reduction dim (a Gemm weight with
    transB=1), is replaced by a constant with its last two axes swapped,
    [.., k, n], read through the swapped indexing map: the kernels then
    load contiguous vectors of it. Constants with other users are left
    alone (they would need a second copy).
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def QuantizeDynamic : Pass<"onnxc-quantize-dynamic", "mlir::func::FuncOp"> {
  let summary = "int8 weights and run-time quantized activations for MatMul/Gemm/Conv";
  let description = [{
    Runs on the onnx dialect before convert-onnx-to-linalg
    (`onnx-compile --quantize=dynamic-int8`). Every onnx.MatMul and
    onnx.Gemm (transA = 0) whose B is a constant 2-D f32 weight becomes
    A quantized at run time to uint8 per row (one scale and zero point per
    row of A: ReduceMin/ReduceMax over the last axis and elementwise onnx
    ops), MatMulInteger with the weight quantized at compile time per
    output column, symmetric (scale = max|w| / 127, values in
    [-127, 127]), the zero-point correction `zp_a[m] * sum_k q[k, n]`
    subtracted in i32, and the result scaled back to f32 by
    `s_a[m] * s_w[n]` (Gemm's alpha folded into the scales, beta * C
    added). An A that a LayerNormalization with constant gamma and beta
    produces is smoothed first (channel k divided by s_k, weight row k
    multiplied by it). Anything else (non-constant or non-f32 B, A of
    rank < 2, non-finite weights) is left in f32.

    With `activation-group` G (onnx-compile --quantize-group, 128 by
    default there), the range is taken per run of G values along K of each
    row where K holds two or more such runs: the activation is reshaped to
    [.., M, K / G, G] for ReduceMin/ReduceMax, and the product is one
    onnx.onnxc.GroupScaledMatMulInteger with the [.., M, K / G] scales and
    zero points, scaled by `s_w[n]` after.

    An onnx.Conv with one group and a constant f32 filter (bias constant or
    absent) becomes its input quantized to uint8 per tensor (ReduceMin and
    ReduceMax over rows [N * C, spatial], then over those), an
    onnx.ConvInteger with that zero point and the filter quantized per
    output channel, symmetric, and the result scaled by
    `s_x * s_w[m]` plus the bias. Grouped convolutions stay f32.
  }];
  let options = [
    Option<"matmuls", "matmuls", "bool", /*default=*/"true",
           "Quantize MatMul and Gemm">,
    Option<"convs", "convs", "bool", /*default=*/"true",
           "Quantize Conv">,
    Option<"activationGroup", "activation-group", "int64_t", /*default=*/"0",
           "MatMul/Gemm: the activation's range per run of this many values "
           "along K (0: per row); an onnx.onnxc.GroupScaledMatMulInteger "
           "then takes the product">,
  ];
}

def QuantizeStatic : Pass<"onnxc-quantize-static", "mlir::func::FuncOp"> {
  let summary = "int8 weights and calibrated u8 activations for MatMul/Gemm/Conv";
  let description = [{
    Runs on the onnx dialect before convert-onnx-to-linalg
    (`onnx-compile --quantize=static-int8`). Every onnx.MatMul and
    onnx.Gemm that onnxc-quantize-dynamic would quantize and that carries
    `onnxc.activation_range = array<f32: lo, hi>` (the calibrated range of
    its activation, after LayerNorm smoothing) becomes: A quantized to
    uint8 with one constant scale and zero point, the range
    [min(lo, 0), max(hi, 0)] mapped onto [0, 255] (values outside it
    saturate, as QuantizeLinear does), MatMulInteger with the weight
    quantized per output column exactly as the dynamic pass does, the
    zero-point correction in i32 and the rescaling to f32. An onnx.Conv
    that the dynamic pass would quantize becomes the same ConvInteger, with
    the calibrated range of its input as constant scale and u8 zero point.
    Ops without the attribute, or not quantizable, are left in f32; a
    malformed range is an error.
  }];
  let options = [
    Option<"matmuls", "matmuls", "bool", /*default=*/"true",
           "Quantize MatMul and Gemm">,
    Option<"convs", "convs", "bool", /*default=*/"true",
           "Quantize Conv">,
  ];
}

def ExposeCalibrationActivations
    : Pass<"onnxc-expose-calibration-activations", "mlir::ModuleOp"> {
  let summary = "Return the activations static quantization calibrates";
  let description = [{
    Builds the calibration variant of `onnx-compile --quantize=static-int8`:
    the activation (after LayerNorm smoothing) of every MatMul/Gemm of
    `main_graph` that onnxc-quantize-static can quantize becomes an extra
    result of `main_graph`, named `onnxc_calibration_<i>`, in program
    order. The driver compiles this variant for the host, runs it over the
    calibration data and records each activation's range.
  }];
  let options = [
    Option<"matmuls", "matmuls", "bool", /*default=*/"true",
           "Quantize MatMul and Gemm">,
    Option<"convs", "convs", "bool", /*default=*/"true",
           "Quantize Conv">,
  ];
}

def ResolveSequences : Pass<"onnxc-resolve-sequences", "mlir::ModuleOp"> {
  let summary = "Replace sequences known at compile time by their tensors";
  let description = [{
    Runs on the onnx dialect before convert-onnx-to-linalg. Follows each
    sequence value built by SequenceEmpty, SequenceConstruct or
    SplitToSequence and edited by SequenceInsert / SequenceErase at constant
    positions as a list of tensors, and rewrites SequenceAt, SequenceLength
    and ConcatFromSequence into those tensors or into onnx.Constant,
    onnx.Concat, onnx.Unsqueeze, onnx.Split and onnx.Squeeze; sequence ops
    left without users are erased. Sequences whose structure depends on
    run-time values, control flow or graph inputs are left alone.
  }];
}

def OpenMPRegions : Pass<"onnxc-openmp-regions", "mlir::ModuleOp"> {
  let summary = "Fit the OpenMP regions of convert-scf-to-openmp to a session";
  let description = [{
    Runs right after convert-scf-to-openmp (and onnxc-plan-scratch-arena).

    Thread count: without a `num_threads`, a parallel region would use
    libomp's default (every core, or OMP_NUM_THREADS), whatever the session
    says. The entry function asks the runtime once, on entry, how many
    threads this run may use (`_mlir_ciface_onnxc_run_num_threads`, given
    the scratch arena's descriptor, whose `allocated` field is the session:
    see runtime/onnxc_model_desc.h), and every `omp.parallel` in it gets
    that count. A parallel region in any other function runs on one thread,
    since no session is in reach there.

    Per-iteration scopes: convert-scf-to-openmp wraps each iteration in a
    `memref.alloca_scope`, which must stay one block, but the pipeline
    lowers SCF to control flow before memref to LLVM. A scope without an
    alloca in it frees nothing and is inlined; one with an alloca is an
    error (the parallel kernels allocate nothing).

    The work-sharing loop is the region's only work, and the region ends
    with a barrier: its own barrier is dropped (`nowait`).
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main_graph\"",
           "The function whose last argument is the scratch arena">
  ];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::omp::OpenMPDialect"];
}

def VectorizeIntegerContractions : Pass<"onnxc-vectorize-integer-contractions", "mlir::ModuleOp"> {
  let summary = "u8 x s8 -> i32 matrix products on 4-byte dot-product instructions";
  let description = [{
    Runs on tensors, before bufferization. A linalg.generic computing
    C[.., m, n] += zext(A[.., m, k]) * sext(W[k, n]) in i32 (A u8, W a
    constant s8 matrix; the form MatMulInteger without zero points lowers
    to, possibly with an elementwise producer of A fused into its body,
    which is split back out first) becomes, with `dot-product` set, a
    register-blocked kernel on that instruction set: avx512-vnni
    (vpdpbusd, 16 lanes), avx-vnni (vpdpbusd on 256 bits, 8 lanes), avx2
    (the same from two vpmaddwd on the bytes widened to i16, 8 lanes),
    neon-i8mm (usdot, 4 lanes) or neon-dotprod (sdot, 4 lanes; A is flipped
    to a - 128 and 128 * sum_k W[k, n] added back). W is repacked at
    compile time into panels of `lanes` columns of 4-byte groups of k (the
    layout the instructions read); each step broadcasts 4 bytes of a row of
    A and accumulates `rows` x `column-vectors` vectors of i32 through one
    always-inlined internal llvm.func, `onnxc_dot_<isa>`, that the pass adds
    to the module. With `none` only the unfusing is done; the contraction
    stays a generic (scalar loops).

    First, a u8 x s8 convolution generic of one group with a constant
    filter (ConvInteger's lowering) becomes such a contraction: a
    channels-last copy of its input (running a fused quantization there),
    an im2col [pixels, (k.., c)], and the filter transposed at compile time
    to [(k.., c), channels]. Per image (a batch is an scf.for over its
    images) the contraction's C is [channels, pixels], the image's NCHW
    result, and the kernel transposes each register block before writing
    it.
  }];
  let options = [
    Option<"dotProduct", "dot-product", "std::string", /*default=*/"\"none\"",
           "The target's int8 dot product: none, avx512-vnni, avx-vnni, avx2, "
           "neon-i8mm or neon-dotprod">,
    Option<"rows", "rows", "int64_t", /*default=*/"6",
           "Rows of the output in one register block">,
    Option<"columnVectors", "column-vectors", "int64_t", /*default=*/"4",
           "Vectors of `lanes` columns per row of a register block">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "With a dot product: the kernel's column panels are an "
           "scf.forall (each iteration one panel of lanes x column-vectors "
           "columns, all rows); with one such panel, chunks of its rows "
           "are">,
    Option<"minParallelMacs", "min-parallel-macs", "int64_t",
           /*default=*/"262144",
           "Multiply-adds (M x K x N; M counted as 1 when it is only "
           "known at run time) below which the kernel stays serial">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::math::MathDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def ParallelizeElementwise : Pass<"onnxc-parallelize-elementwise", "mlir::func::FuncOp"> {
  let summary = "Large linalg.generics and pads as an scf.forall";
  let description = [{
    Runs on tensors, before bufferization (after the vector kernels, so
    that their im2col copies are included). A linalg.generic with static
    ranges, output maps that are projected permutations and at least
    `min-parallel-elements` iterations, not already inside an scf.forall,
    is tiled along its outer splittable loop dims (1 along the outermost
    non-unit ones, then a chunk of the dim where the count reaches
    `tiles`, the other dims whole) into an scf.forall, which the CPU
    pipeline runs on the session's threads. A dim is splittable when it
    is parallel and every output indexes it: each tile then writes its own
    output elements, with whole reductions (a pooling window, a row sum),
    so the tiles write disjoint parts. A linalg.transpose is made a
    generic first (and then split like one). A tensor.pad as large,
    with static shapes and padding and a constant value, becomes an
    scf.forall over its unpadded outer dims (tiles of 1) whose iterations
    fill their part of the result and copy the source's part into it.
  }];
  let options = [
    Option<"minParallelElements", "min-parallel-elements", "int64_t",
           /*default=*/"65536",
           "Iterations below which a generic stays serial">,
    Option<"tiles", "tiles", "int64_t", /*default=*/"32",
           "About how many tiles to split a generic into">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect"];
}

def VectorizeWindows : Pass<"onnxc-vectorize-windows", "mlir::func::FuncOp"> {
  let summary = "Copies and pooling windows (im2col, panel packing, MaxPool) as vector rows";
  let description = [{
    Runs on tensors, before bufferization (after the vector kernels and
    onnxc-parallelize-elementwise, so that it sees their im2col and
    packing copies, inside the parallel loops too). A linalg.generic
    with one output whose map lists its parallel loop dims, the last of
    them (the row dim) static and at most `max-lanes` long, whose first
    input is read through a linear map where only the last result reads
    the row dim, with a stride of 1 or 2, whose other inputs' elements
    are unused (a pooling window's shape), whose body is arith ops that
    map elementwise onto vectors (on f32, f64 and integers), and whose
    reduction dims (a pooling window, at most `max-taps` positions) are
    static: the other parallel
    dims are tiled by 1 (scf.for) and each row is computed in pieces of
    `vector-bytes`, per window position one read of the input
    (contiguous for a stride of 1, twice the lanes and a shuffle of the
    even ones for 2), the body on vectors, one write, the last piece
    masked. Without reduction dims the body must not read the output's
    old value (a copy, a cast). Lowered to loops, such generics were one
    scalar load and store per element (LLVM cannot vectorize them: it
    does not know that source and destination do not overlap):
    resnet50's im2col copies took about 0.55 ms per 3x3 convolution at
    56x56, its MaxPool 0.5 ms.
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"64",
           "Bytes per vector (64 for AVX-512, 32 for AVX2, 16 for NEON)">,
    Option<"maxLanes", "max-lanes", "int64_t", /*default=*/"1024",
           "Longest row computed as unrolled pieces">,
    Option<"maxTaps", "max-taps", "int64_t", /*default=*/"64",
           "Most window positions unrolled per piece">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::arith::ArithDialect"];
}

def VectorizeDepthwiseConv : Pass<"onnxc-vectorize-depthwise-conv", "mlir::func::FuncOp"> {
  let summary = "Direct vector kernels for f32 depthwise 2-D convolutions";
  let description = [{
    Runs on tensors, before bufferization and before
    onnxc-vectorize-contractions. A 2-D convolution generic (as the Conv
    lowering emits it) with one input channel per group, f32 operands, at
    most 64 taps and strides of at most 4 is computed directly per output
    plane: the taps are broadcast to vectors once per plane, and each output
    row is a sweep of vectors along its width, each accumulating one
    vector.fma per tap (stride 1: a contiguous input row; stride s: s times
    as many elements deinterleaved by vector.shuffle). Vectors past either
    row's end are masked. With `parallel`, the planes of a convolution of
    at least `min-parallel-macs` multiply-adds are an `scf.forall`. Other
    convolutions are left to onnxc-vectorize-contractions.
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"32",
           "Bytes in one vector register of the target">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Emit the planes of large convolutions as an scf.forall">,
    Option<"minParallelMacs", "min-parallel-macs", "int64_t",
           /*default=*/"262144",
           "Multiply-adds below which a convolution stays serial">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def VectorizeDirectConv : Pass<"onnxc-vectorize-direct-conv", "mlir::func::FuncOp"> {
  let summary = "Direct (im2col-free) kernels for f32 2-D convolutions larger than 1x1";
  let description = [{
    Runs on tensors, before bufferization, after
    onnxc-vectorize-depthwise-conv and before onnxc-vectorize-contractions.
    A 2-D convolution generic (as the Conv lowering emits it) with f32
    operands, a kernel larger than 1x1, more than one input channel per
    group, constant weights, at least `min-reduction` channels x taps and
    at most `max-panel-bytes` of weights per block of output channels is
    computed without an im2col copy: blocks of `rows` output pixels by
    up to `column-vectors` vectors of output channels (as many as leave at
    most a quarter of the block's lanes past the last channel; with none,
    the convolution is left alone). Where such a block's weights exceed
    `max-panel-bytes`, narrow blocks of half the vectors are used if their
    weights fit in `max-narrow-panel-bytes`: as many accumulators, so
    twice as many pixels at most (between 2/3 of that and that, the count
    that wastes the fewest pixels of the last block: 10 for a 7x7 output).
    The block's accumulators take,
    per input channel and (unrolled) tap, the weights' vectors (packed at
    compile time as [g, channel blocks, K, channels per block]) times a
    broadcast of the input element under each pixel's window, read from
    the (padded) input itself. The accumulators start from the init's
    fill value or per-channel bias; an elementwise consumer that reads
    nothing else (ReLU, Clip) is applied to them; they are stored
    transposed, each channel's pixels being consecutive in the output.
    With `parallel`, the blocks of a convolution of at least
    `min-parallel-macs` multiply-adds are an `scf.forall`. Other
    convolutions are left to onnxc-vectorize-contractions.
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"32",
           "Bytes in one vector register of the target">,
    Option<"rows", "rows", "int64_t", /*default=*/"6",
           "Output pixels per register block">,
    Option<"columnVectors", "column-vectors", "int64_t", /*default=*/"2",
           "Vectors of output channels per register block">,
    Option<"minReduction", "min-reduction", "int64_t", /*default=*/"128",
           "Channels x taps below which the im2col kernels are kept (the "
           "transposed stores would dominate)">,
    Option<"maxPanelBytes", "max-panel-bytes", "int64_t",
           /*default=*/"196608",
           "Bytes of one block's weights (channels x taps x block's "
           "output channels) above which the im2col kernels are kept: "
           "every block of pixels reads them again">,
    Option<"maxNarrowPanelBytes", "max-narrow-panel-bytes", "int64_t",
           /*default=*/"655360",
           "Bytes of a narrow block's weights (half the vectors) above "
           "which the im2col kernels are kept. Narrow blocks hold twice the "
           "pixels, so each pass over their weights serves more of the "
           "output (resnet50's 3x3 layers at 28x28 to 7x7: 10-25% faster "
           "than the im2col kernels on one core)">,
    Option<"max1x1Pixels", "max-1x1-pixels", "int64_t", /*default=*/"196",
           "Output pixels per image up to which a 1x1 convolution is "
           "computed here too, not as a matrix product, whose vectors run "
           "along those pixels: a 14x14 plane is three blocks of 64 and "
           "one of 4, a 7x7 one 49 of 64 lanes (resnet50's 1x1 layers at "
           "14x14 and 7x7: 1-17% faster at one thread, 20% at two; at "
           "28x28, up to 15% slower)">,
    Option<"min1x1Reduction", "min-1x1-reduction", "int64_t",
           /*default=*/"512",
           "Input channels below which such a 1x1 convolution stays a "
           "matrix product: with fewer, the transposed stores weigh more "
           "than the full vectors gain (mobilenet_v2's 160 and 320 "
           "channels at 7x7: 7% slower in all; resnet50's 256 at 14x14: "
           "even)">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Emit the blocks of large convolutions as an scf.forall">,
    Option<"minParallelMacs", "min-parallel-macs", "int64_t",
           /*default=*/"262144",
           "Multiply-adds below which a convolution stays serial">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def VectorizeRowReductions : Pass<"onnxc-vectorize-row-reductions", "mlir::func::FuncOp"> {
  let summary = "Vector loops for f32 reductions along the innermost dim";
  let description = [{
    Runs on tensors, before bufferization. An f32 linalg.generic whose
    trailing loops reduce dims that are innermost, in order, in every input
    reading them (ReduceX over the last axes, Softmax's max and sum,
    LayerNormalization's moments, the row ranges of dynamic quantization,
    DynamicQuantizeLinear's whole-tensor min and max), with a body
    `out = combine(f(inputs...), out)` per output (a fused min and max
    has two) where combine is addf, mulf,
    maximumf, minimumf, maxnumf or minnumf and f is elementwise arith/math,
    becomes one loop per row over `unroll` vector accumulators of
    `vector-bytes`, a masked last vector, one vector.reduction and the
    combination with the output's initial value (other reduced dims are
    loops around the vector loop). The rows are an scf.for
    nest, or with `parallel` (and at least `min-parallel-elements`
    iterations, or dynamic sizes) an scf.forall. Other generics are left
    alone.
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"32",
           "Bytes in one vector register of the target">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"4",
           "Independent vector accumulators per row (hides the latency of "
           "the combining instruction)">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Run the rows of large reductions as an scf.forall">,
    Option<"minParallelElements", "min-parallel-elements", "int64_t",
           /*default=*/"65536",
           "Iterations below which a reduction stays serial">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def VectorizeContractions : Pass<"onnxc-vectorize-contractions", "mlir::func::FuncOp"> {
  let summary = "Register-blocked vector kernels for matmul-shaped linalg ops";
  let description = [{
    Runs on tensors, before bufferization. Convolution generics (as the Conv
    lowering emits them) become an im2col copy and a batched matrix
    product. Every f32/f64 contraction `acc + a * b` with static columns
    (last output dim) and reduction is then tiled into `rows` x
    (`column-vectors` vectors) blocks of its output, each computed by a
    loop over the (last) reduction dim that keeps the block in vector
    registers (vector.fma of a broadcast element of A and a
    vector of B's row). Other ops are left alone.

    A block of fewer rows than `rows` (a static row count below it, as in a
    batch-1 MatMul/Gemm) gets the register budget as more columns instead,
    up to `gemv-column-vectors` vectors per row. A dynamic row count (a
    model's batch dim) is versioned with `scf.if rows <= gemv-max-rows`:
    that branch runs the product one row at a time with such wide rows
    (a matrix-vector kernel), the other the `rows`-row blocks.

    With `fuse-epilogues`, an elementwise generic that is a contraction's
    only consumer (possibly through the expand_shape of a convolution's
    product) is computed on the accumulators of each block before they are
    stored (passes/ContractionEpilogue.h), instead of in another pass over
    the output.

    With `pack-panels`, B is read from a copy packed into contiguous
    panels of the block's columns (Bp[.., j, k, c] = B[.., k, j * NR + c]):
    a weight at compile time, another operand by a copy before the product
    where reading it in place is pathological and blocks of rows reuse the
    copy: B read across its rows, rows that alias in the caches (4 KiB
    apart), or rows under 1 KiB read by 32 or more blocks of rows.

    With `parallel`, the blocks of a contraction of at least
    `min-parallel-macs` multiply-adds are an `scf.forall` over all parallel
    dims (batch, columns, rows), which the CPU pipeline runs on the
    session's threads (scf.parallel, then OpenMP); the blocks write
    disjoint parts of the output.
  }];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", /*default=*/"32",
           "Bytes in one vector register of the target">,
    Option<"rows", "rows", "int64_t", /*default=*/"6",
           "Rows of the output in one register block">,
    Option<"columnVectors", "column-vectors", "int64_t", /*default=*/"2",
           "Vector registers per row of a register block">,
    Option<"gemvColumnVectors", "gemv-column-vectors", "int64_t",
           /*default=*/"8",
           "Most vector registers per row of a block of fewer than `rows` "
           "rows (a matrix-vector product)">,
    Option<"gemvMaxRows", "gemv-max-rows", "int64_t", /*default=*/"3",
           "A dynamic row count up to this runs one row at a time with "
           "gemv-column-vectors per row (0: never)">,
    Option<"packPanels", "pack-panels", "bool", /*default=*/"false",
           "Read B from column panels packed for the kernel "
           "(passes/ColumnPanels.h): constant B at compile time, other B "
           "by a copy before the product where that pays">,
    Option<"fuseEpilogues", "fuse-epilogues", "bool", /*default=*/"true",
           "Apply the elementwise consumer of a contraction (bias, ReLU, "
           "Clip, GELU...) to its register blocks before they are stored">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Emit the blocks of large contractions as an scf.forall">,
    Option<"minParallelMacs", "min-parallel-macs", "int64_t",
           /*default=*/"262144",
           "Multiply-adds below which a contraction stays serial (a "
           "parallel region costs microseconds)">,
    Option<"minPeelMacs", "min-peel-macs", "int64_t",
           /*default=*/"16777216",
           "Multiply-adds below which a parallel contraction's last, "
           "partial block of columns stays in the loop of the others "
           "(its own loop is one more parallel region: mobilenet_v2's "
           "1x1 convolutions, at most 11M, ran 3-4% slower with it; "
           "resnet50's 14x14 ones, 51M, left a thread idle a third of "
           "the time without)">
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::math::MathDialect"];
}

//===----------------------------------------------------------------------===//
// Graph-level passes on the onnx dialect (passes/graph/), run before
// convert-onnx-to-linalg at -O1 and above.
//===----------------------------------------------------------------------===//

def SimplifyGraph : Pass<"onnxc-simplify-graph", "mlir::ModuleOp"> {
  let summary = "Remove onnx ops that do nothing";
  let description = [{
    Removes Identity (its folder), Cast and CastLike to the input's own type,
    Reshape whose static input type is already the result type, Transpose
    with the identity permutation, and Dropout at inference (no
    training_mode, or a constant false one): its output is its input, its
    mask (when used, and statically shaped) an all-true constant. Ops left
    without users are erased. Constant arithmetic is not folded here: the
    importer already folds small constant computations (ShapeFolding.cpp).
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

def FoldBatchNorm : Pass<"onnxc-fold-batchnorm", "mlir::ModuleOp"> {
  let summary = "Fold inference BatchNormalization into its Conv or Gemm";
  let description = [{
    A BatchNormalization at inference whose input is the only use of a Conv
    (or of a Gemm, whose output columns are the channels) with constant
    weights, and whose scale, bias, mean and variance are constants,
    becomes part of that op: with s = scale / sqrt(var + epsilon) per
    output channel, W' = W * s (per output channel: Conv's dim 0, Gemm's
    column of B) and bias' = (bias_in - mean) * s + B. The new weights are
    computed in double and rounded once to the weights' type.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

def RecognizeDecomposedOps : Pass<"onnxc-recognize-decomposed-ops",
                                  "mlir::ModuleOp"> {
  let summary = "Rewrite exporters' decompositions into one onnx op";
  let description = [{
    Older exporters (opset <= 16) write LayerNormalization as ReduceMean,
    Sub, Pow 2 (or Mul by itself), ReduceMean, Add epsilon, Sqrt, Div, and
    optionally Mul by a scale and Add a bias, over trailing axes; and
    Softmax / LogSoftmax as Exp(x - ReduceMax(x)) / ReduceSum(...) or
    (x - ReduceMax(x)) - Log(ReduceSum(Exp(...))) over one axis. Each such
    chain whose intermediate values have no other users becomes one
    onnx.LayerNormalization, onnx.Softmax or onnx.LogSoftmax. GELU, in
    its erf form x * 0.5 * (1 + Erf(x / sqrt 2)) (or x * 1/sqrt 2) and its
    tanh form 0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 x^3))), in any
    order of the products, becomes the hand-written onnx.onnxc.Gelu
    (opset 17 has no Gelu).
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

def FuseAttention : Pass<"onnxc-fuse-attention", "mlir::ModuleOp"> {
  let summary = "Rewrite scaled dot-product attention into one op";
  let description = [{
    MatMul(Q, KT), scaled by a constant (Div or Mul of the scores, or of Q
    or KT before the product), plus an optional Add(mask), then Softmax over
    the last axis and MatMul by V, becomes one onnx.onnxc.Attention when
    every intermediate has no other user and the batch dims of Q, KT and V
    are equal and static.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

def FuseContractions : Pass<"onnxc-fuse-contractions", "mlir::ModuleOp"> {
  let summary = "Fuse Conv/Gemm/MatMul with their bias, residual and activation";
  let description = [{
    Relu, LeakyRelu, Clip (constant bounds), Sigmoid, HardSigmoid,
    HardSwish, Tanh or onnx.onnxc.Gelu of a Conv, Gemm or MatMul; Add of a
    Conv and a residual of its type; Add of a MatMul and a bias that does
    not change the product's shape: each becomes (part of) one
    onnx.onnxc.FusedConv, FusedGemm or FusedMatMul, which lowers to the
    contraction followed by one elementwise linalg.generic. A contraction
    whose result has another user is not fused.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

def RewriteQuantizedMatMul : Pass<"onnxc-rewrite-quantized-matmul",
                                  "mlir::ModuleOp"> {
  let summary = "Bring QDQ and zero-point MatMuls to the u8 x s8 integer form";
  let description = [{
    MatMul(DequantizeLinear(x_q), DequantizeLinear(W_q)) with a constant
    W_q, per-tensor x and per-tensor or per-column (axis 1) W becomes
    MatMulInteger(x_q, W_q, z_x, z_w) scaled by s_x * s_w. A MatMulInteger
    with a uint8 A, a constant 8-bit W and a constant per-tensor or
    per-column W zero point (and a per-tensor A zero point, run-time or
    not) becomes the bare MatMulInteger(A, W') with W' int8 (a uint8 W
    shifted by -128) and no zero points, followed by the elementwise
    correction - z_w[n] rowsum(A)[m] - z_a (colsum(W')[n] - K z_w[n]) in
    i32: the form the VNNI kernel of onnxc-vectorize-integer-contractions
    takes. Everything else is left as written (see the source).
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark on the module saying what the pass changed">
  ];
}

#endif // ONNXC_PASSES_TD
