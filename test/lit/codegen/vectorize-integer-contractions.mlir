// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions --split-input-file | FileCheck %s --check-prefix=PORTABLE
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx512-vnni rows=2 column-vectors=2' --split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx512-vnni rows=2 column-vectors=1 parallel=true min-parallel-macs=100' --split-input-file | FileCheck %s --check-prefix=PAR
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx-vnni rows=2 column-vectors=1' --split-input-file | FileCheck %s --check-prefix=AVX
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx2 rows=2 column-vectors=1' --split-input-file | FileCheck %s --check-prefix=AVX2
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=neon-dotprod rows=1 column-vectors=2' --split-input-file | FileCheck %s --check-prefix=SDOT
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=neon-i8mm' --split-input-file | FileCheck %s --check-prefix=USDOT
// RUN: not onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=sse9' --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: unknown dot-product 'sse9' (none, avx512-vnni, avx-vnni, avx2, neon-i8mm, neon-dotprod)

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// A u8 x s8 -> i32 product whose A is quantized in its body (as elementwise
// fusion leaves DynamicQuantizeLinear + MatMulInteger): the quantization
// goes to its own generic writing A as i8, computed once per element.
// PORTABLE-LABEL: func.func @fused_quantize
// PORTABLE: %[[A8:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x6xf32>) outs(%{{.*}} : tensor<?x6xi8>)
// PORTABLE: arith.divf
// PORTABLE: arith.trunci {{.*}} : i32 to i8
// PORTABLE: linalg.yield {{.*}} : i8
// PORTABLE: linalg.generic {{.*}} ins(%[[A8]], %{{.*}} : tensor<?x6xi8>, tensor<6x20xi8>)
// PORTABLE-NEXT: ^bb0
// PORTABLE-NEXT: arith.extui
// PORTABLE-NEXT: arith.extsi
// PORTABLE-NEXT: arith.muli
// PORTABLE-NEXT: arith.addi
// PORTABLE-NEXT: linalg.yield
// PORTABLE-NOT: llvm.call

// With dot-product=avx512-vnni, W (K = 6, N = 20) is repacked into ceil(20/16) = 2 panels of
// ceil(6/4) = 2 groups of 64 bytes: panel 0, group 0 starts with column 0's
// k = 0..3 (1, 2, 3, 4), then column 1's (-1, 0, 0, 0); group 1 holds
// k = 4, 5 of column 0 (5, 6) and two zero bytes. The kernel calls the
// always-inlined helper (rows x column-vectors = 4 per step), peels the
// last, partial group of k with a padded read, and masks the columns
// past 20 when it writes C.
// VNNI: llvm.func internal @onnxc_dot_avx512_vnni(%{{.*}}: vector<16xi32>, %{{.*}}: vector<64xi8>, %{{.*}}: vector<64xi8>) -> vector<16xi32>
// VNNI-SAME: always_inline
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-LABEL: func.func @fused_quantize
// VNNI-NOT: scf.forall
// VNNI: arith.constant dense_resource<onnxc_int8_panels> : tensor<2x2x64xi8>
// VNNI: scf.for
// VNNI: scf.for
// VNNI: scf.for
// VNNI-COUNT-4: llvm.call @onnxc_dot_avx512_vnni
// VNNI: vector.transfer_read {{.*}}{{\], %[a-z0-9_]+ : tensor<\?x6xi8>, vector<4xi8>}}
// VNNI: vector.transfer_write {{.*}}{{\] : vector<16xi32>, tensor<\?x20xi32>}}
// VNNI: onnxc_int8_panels{{(_[0-9]+)?}}: "0x4000000001020304FF000000
// VNNI-SAME: 0506000000
// AVX-VNNI: the same kernel on 256-bit vectors, so panels of 8 columns:
// ceil(20/8) = 3 panels of 2 groups of 32 bytes, the last panel's columns
// 20..23 masked.
// AVX: llvm.func internal @onnxc_dot_avx_vnni(%{{.*}}: vector<8xi32>, %{{.*}}: vector<32xi8>, %{{.*}}: vector<32xi8>) -> vector<8xi32>
// AVX: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVX-LABEL: func.func @fused_quantize
// AVX: arith.constant dense_resource<onnxc_int8_panels> : tensor<3x2x32xi8>
// AVX: llvm.call @onnxc_dot_avx_vnni
// AVX: vector.transfer_write {{.*}} : vector<8xi32>, tensor<?x20xi32>
// AVX: onnxc_int8_panels{{(_[0-9]+)?}}: "0x4000000001020304FF000000
// AVX2 (no VNNI) gets the same kernel and panels as AVX-VNNI, its helper
// computing vpdpbusd from two vpmaddwd: A's even bytes zero-extended
// (and 0xff) with W's sign-extended (shl 8, ashr 8), then the odd ones
// (lshr 8 / ashr 8), the two pair sums added to the accumulator.
// AVX2: llvm.func internal @onnxc_dot_avx2(%[[ACC:.*]]: vector<8xi32>, %[[A:.*]]: vector<32xi8>, %[[W:.*]]: vector<32xi8>) -> vector<8xi32>
// AVX2-DAG: %[[A16:.*]] = llvm.bitcast %[[A]] : vector<32xi8> to vector<16xi16>
// AVX2-DAG: %[[W16:.*]] = llvm.bitcast %[[W]] : vector<32xi8> to vector<16xi16>
// AVX2-DAG: %[[AE:.*]] = llvm.and %[[A16]], %{{.*}} : vector<16xi16>
// AVX2-DAG: %[[AO:.*]] = llvm.lshr %[[A16]], %{{.*}} : vector<16xi16>
// AVX2-DAG: %[[WS:.*]] = llvm.shl %[[W16]], %{{.*}} : vector<16xi16>
// AVX2-DAG: %[[WE:.*]] = llvm.ashr %[[WS]], %{{.*}} : vector<16xi16>
// AVX2-DAG: %[[WO:.*]] = llvm.ashr %[[W16]], %{{.*}} : vector<16xi16>
// AVX2: %[[PE:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[AE]], %[[WE]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: %[[PO:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[AO]], %[[WO]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: %[[SUM:.*]] = llvm.add %[[PE]], %[[PO]] : vector<8xi32>
// AVX2: %[[R:.*]] = llvm.add %[[ACC]], %[[SUM]] : vector<8xi32>
// AVX2: llvm.return %[[R]] : vector<8xi32>
// AVX2-LABEL: func.func @fused_quantize
// AVX2: arith.constant dense_resource<onnxc_int8_panels> : tensor<3x2x32xi8>
// AVX2: llvm.call @onnxc_dot_avx2
// NEON without i8mm has only the s8 x s8 sdot: every 4 bytes of A are
// flipped to a - 128 (xor 0x80808080) before the broadcast, and the
// accumulators start from 128 * sum_k W[k, n] (column 0: 128 * 21 = 2688,
// column 1: -128; 0 past column 1 of this W) so the sum is exact.
// SDOT: llvm.func internal @onnxc_dot_neon_dotprod(%{{.*}}: vector<4xi32>, %{{.*}}: vector<16xi8>, %{{.*}}: vector<16xi8>) -> vector<4xi32>
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// SDOT-LABEL: func.func @fused_quantize
// SDOT: arith.constant dense_resource<onnxc_int8_panels> : tensor<6x2x16xi8>
// SDOT: %[[CORR:.*]] = arith.constant dense<{{\[}}[2688, -128, 0, 0], [0, 0, 0, 0]
// SDOT-SAME: tensor<6x4xi32>
// SDOT: %[[FLIP:.*]] = arith.constant -2139062144 : i32
// SDOT: vector.transfer_read %[[CORR]]
// SDOT: arith.addi {{.*}} : vector<4xi32>
// SDOT: scf.for
// SDOT: arith.xori %{{.*}}, %[[FLIP]] : i32
// SDOT: llvm.call @onnxc_dot_neon_dotprod
// With i8mm, usdot multiplies u8 by s8 as vpdpbusd does: no flip.
// USDOT: llvm.call_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"
// USDOT-LABEL: func.func @fused_quantize
// USDOT-NOT: arith.xori
// USDOT: llvm.call @onnxc_dot_neon_i8mm
// USDOT-LABEL: func.func @per_row_quantize
// With parallel=true the column panels (here one vector each: N = 20 is 2
// panels, the second 4 columns wide) are an scf.forall; each iteration
// sweeps all rows over its own slice of C and inserts it back. K x N =
// 120 multiply-adds pass min-parallel-macs=100.
// PAR-LABEL: func.func @fused_quantize
// PAR: %[[R:.*]] = scf.forall (%[[G:.*]]) in (2) shared_outs(%[[C:.*]] = %arg2) -> (tensor<?x20xi32>)
// PAR: %[[NB:.*]] = arith.muli %[[G]], %{{.*}} : index
// PAR: %[[COL:.*]] = arith.muli %[[NB]], %c16{{.*}} : index
// PAR: %[[LEFT:.*]] = arith.subi %c20{{.*}}, %[[COL]] : index
// PAR: %[[W:.*]] = arith.minsi %c16{{.*}}, %[[LEFT]] : index
// PAR: %[[S:.*]] = tensor.extract_slice %[[C]][0, %[[COL]]] [%{{.*}}, %[[W]]] [1, 1] : tensor<?x20xi32> to tensor<?x?xi32>
// PAR: scf.for
// PAR: llvm.call @onnxc_dot_avx512_vnni
// PAR: vector.transfer_write {{.*}} : vector<16xi32>, tensor<?x?xi32>
// PAR: scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[C]][0, %[[COL]]] [%{{.*}}, %[[W]]] [1, 1]
// PAR: return %[[R]]
// The per-row form likewise.
// PAR-LABEL: func.func @per_row_quantize
// PAR: scf.forall
func.func @fused_quantize(%x: tensor<?x6xf32>, %s: f32, %init: tensor<?x20xi32>) -> tensor<?x20xi32> {
  %w = arith.constant dense<"0x01FF00000000000000000000000000000000000002000000000000000000000000000000000000000300000000000000000000000000000000000000040000000000000000000000000000000000000005000000000000000000000000000000000000000600000000000000000000000000000000000000"> : tensor<6x20xi8>
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 255.0 : f32
  %0 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x6xf32>, tensor<6x20xi8>) outs(%init : tensor<?x20xi32>) {
  ^bb0(%in: f32, %wv: i8, %acc: i32):
    %q = arith.divf %in, %s : f32
    %r = math.roundeven %q : f32
    %c0 = arith.maxnumf %r, %lo : f32
    %c1 = arith.minnumf %c0, %hi : f32
    %i = arith.fptosi %c1 : f32 to i32
    %b = arith.trunci %i : i32 to i8
    %ae = arith.extui %b : i8 to i32
    %we = arith.extsi %wv : i8 to i32
    %p = arith.muli %ae, %we : i32
    %sum = arith.addi %acc, %p : i32
    linalg.yield %sum : i32
  } -> tensor<?x20xi32>
  return %0 : tensor<?x20xi32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#row = affine_map<(m, n, k) -> (m, 0)>
#col = affine_map<(m, n, k) -> (n)>
#w = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// Per-row quantization (QuantizeDynamic's form) fused into the product: the
// row's scale and zero point come in as inputs indexed by rows only. They
// go to the split-out quantization generic over (m, k), with their maps
// rewritten to (m, k) -> (m, 0); the product reads only the i8 A and W.
// PORTABLE-LABEL: func.func @per_row_quantize
// PORTABLE: %[[A8:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[ROW:.*]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1, %arg2 : tensor<?x6xf32>, tensor<?x1xf32>, tensor<?x1xf32>) outs(%{{.*}} : tensor<?x6xi8>)
// PORTABLE: arith.divf
// PORTABLE: arith.addf
// PORTABLE: linalg.yield {{.*}} : i8
// PORTABLE: linalg.generic {{.*}} ins(%[[A8]], %{{.*}} : tensor<?x6xi8>, tensor<6x20xi8>)
// PORTABLE-NOT: arith.divf
// PORTABLE: return
// VNNI-LABEL: func.func @per_row_quantize
// VNNI: linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<?x6xf32>, tensor<?x1xf32>, tensor<?x1xf32>) outs(%{{.*}} : tensor<?x6xi8>)
// VNNI: llvm.call @onnxc_dot_avx512_vnni
// A per-column input in the producer is not a quantization of A's rows:
// the contraction is left alone.
// VNNI-LABEL: func.func @column_input
// VNNI-NOT: llvm.call
// VNNI: linalg.generic
// VNNI-NOT: linalg.generic
// VNNI-NOT: llvm.call
func.func @per_row_quantize(%x: tensor<?x6xf32>, %s: tensor<?x1xf32>, %zp: tensor<?x1xf32>, %init: tensor<?x20xi32>) -> tensor<?x20xi32> {
  %w = arith.constant dense<1> : tensor<6x20xi8>
  %lo = arith.constant 0.0 : f32
  %hi = arith.constant 255.0 : f32
  %0 = linalg.generic {indexing_maps = [#a, #row, #row, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %s, %zp, %w : tensor<?x6xf32>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<6x20xi8>) outs(%init : tensor<?x20xi32>) {
  ^bb0(%in: f32, %sv: f32, %zv: f32, %wv: i8, %acc: i32):
    %q = arith.divf %in, %sv : f32
    %r = math.roundeven %q : f32
    %z = arith.addf %r, %zv : f32
    %c0 = arith.maxnumf %z, %lo : f32
    %c1 = arith.minnumf %c0, %hi : f32
    %i = arith.fptosi %c1 : f32 to i32
    %b = arith.trunci %i : i32 to i8
    %ae = arith.extui %b : i8 to i32
    %we = arith.extsi %wv : i8 to i32
    %p = arith.muli %ae, %we : i32
    %sum = arith.addi %acc, %p : i32
    linalg.yield %sum : i32
  } -> tensor<?x20xi32>
  return %0 : tensor<?x20xi32>
}

func.func @column_input(%x: tensor<?x6xf32>, %s: tensor<20xf32>, %init: tensor<?x20xi32>) -> tensor<?x20xi32> {
  %w = arith.constant dense<1> : tensor<6x20xi8>
  %0 = linalg.generic {indexing_maps = [#a, #col, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %s, %w : tensor<?x6xf32>, tensor<20xf32>, tensor<6x20xi8>) outs(%init : tensor<?x20xi32>) {
  ^bb0(%in: f32, %sv: f32, %wv: i8, %acc: i32):
    %q = arith.divf %in, %sv : f32
    %i = arith.fptosi %q : f32 to i32
    %b = arith.trunci %i : i32 to i8
    %ae = arith.extui %b : i8 to i32
    %we = arith.extsi %wv : i8 to i32
    %p = arith.muli %ae, %we : i32
    %sum = arith.addi %acc, %p : i32
    linalg.yield %sum : i32
  } -> tensor<?x20xi32>
  return %0 : tensor<?x20xi32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// Not an int8 contraction of a constant W: a W computed at run time, and
// an f32 product, are left alone (no kernel, no helper).
// VNNI-LABEL: func.func @left_alone
// VNNI-NOT: llvm.call
// VNNI: linalg.generic
// VNNI: linalg.generic
// VNNI-NOT: llvm.call
func.func @left_alone(%a: tensor<4x8xi8>, %w: tensor<8x16xi8>, %i: tensor<4x16xi32>, %af: tensor<4x8xf32>, %wf: tensor<8x16xf32>, %if: tensor<4x16xf32>) -> (tensor<4x16xi32>, tensor<4x16xf32>) {
  %0 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w : tensor<4x8xi8>, tensor<8x16xi8>) outs(%i : tensor<4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<4x16xi32>
  %1 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%af, %wf : tensor<4x8xf32>, tensor<8x16xf32>) outs(%if : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xi32>, tensor<4x16xf32>
}


// -----

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// Two products of one A whose C is the same zero fill (what CSE leaves of
// two MatMulIntegers of one shape): each kernel starts its accumulators
// from the fill's splat and writes into the fill's destination, never
// reading C, so bufferization cannot hand the second kernel the first
// one's sums (its first write at C[0, 0] would otherwise pass for a write
// of all of C when C has at most 16 rows).
// VNNI-LABEL: llvm.func internal @onnxc_dot_avx512_vnni
// VNNI-LABEL: func.func @shared_zero_fill
// VNNI-NOT: vector.transfer_read {{.*}} : tensor<4x16xi32>
// VNNI: %[[E:.*]] = tensor.empty() : tensor<4x16xi32>
// VNNI: %[[Z:.*]] = vector.broadcast %c0_i32 : i32 to vector<16xi32>
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %[[E]]) -> (tensor<4x16xi32>)
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %[[Z]], %{{.*}} = %[[Z]]) -> (vector<16xi32>, vector<16xi32>)
// VNNI: %[[Z2:.*]] = vector.broadcast %c0_i32 : i32 to vector<16xi32>
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %[[E]]) -> (tensor<4x16xi32>)
// VNNI: scf.for {{.*}} iter_args(%{{.*}} = %[[Z2]], %{{.*}} = %[[Z2]]) -> (vector<16xi32>, vector<16xi32>)
// VNNI-NOT: vector.transfer_read {{.*}} : tensor<4x16xi32>
// VNNI: return
func.func @shared_zero_fill(%a: tensor<4x8xi8>) -> (tensor<4x16xi32>, tensor<4x16xi32>) {
  %w1 = arith.constant dense<1> : tensor<8x16xi8>
  %w2 = arith.constant dense<2> : tensor<8x16xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x16xi32>
  %f = linalg.fill ins(%zero : i32) outs(%e : tensor<4x16xi32>) -> tensor<4x16xi32>
  %0 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w1 : tensor<4x8xi8>, tensor<8x16xi8>) outs(%f : tensor<4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<4x16xi32>
  %1 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w2 : tensor<4x8xi8>, tensor<8x16xi8>) outs(%f : tensor<4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<4x16xi32>
  return %0, %1 : tensor<4x16xi32>, tensor<4x16xi32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// N = 16 is one panel group: with parallel=true its rows are split
// instead, in chunks of whole blocks (13 rows in blocks of 2: 7 chunks of
// 2 rows, the last of 1, which goes row by row). Each iteration sweeps
// its rows over every panel into its own slice of C, whose rows it
// indexes from the chunk's first. 13 x 8 x 16 multiply-adds pass
// min-parallel-macs=100. Serial without parallel (VNNI).
// PAR-LABEL: func.func @row_chunks
// PAR: %[[R:.*]] = scf.forall (%[[I:.*]]) in (7) shared_outs(%[[C:.*]] = %{{.*}}) -> (tensor<13x16xi32>)
// PAR: %[[FIRST:.*]] = arith.muli %[[I]], %c2{{.*}} : index
// PAR: %[[END:.*]] = arith.addi %[[FIRST]], %c2{{.*}} : index
// PAR: %[[LAST:.*]] = arith.minsi %[[END]], %c13{{.*}} : index
// PAR: %[[COUNT:.*]] = arith.subi %[[LAST]], %[[FIRST]] : index
// PAR: %[[S:.*]] = tensor.extract_slice %[[C]][%[[FIRST]], 0] [%[[COUNT]], 16] [1, 1] : tensor<13x16xi32> to tensor<?x16xi32>
// PAR: scf.for
// PAR: scf.for %[[M0:.*]] = %[[FIRST]] to
// PAR: %[[ROW:.*]] = arith.addi %[[M0]], %c0{{.*}} : index
// PAR: %[[CROW:.*]] = arith.subi %[[ROW]], %[[FIRST]] : index
// PAR: vector.transfer_read %{{.*}}[%[[CROW]], %{{.*}}]{{.*}} : tensor<?x16xi32>, vector<16xi32>
// PAR: vector.transfer_read %arg0[%[[ROW]], {{.*}} : tensor<13x8xi8>, vector<4xi8>
// PAR: llvm.call @onnxc_dot_avx512_vnni
// PAR: vector.transfer_write {{.*}}[%[[CROW]], {{.*}} : vector<16xi32>, tensor<?x16xi32>
// PAR: scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[C]][%[[FIRST]], 0] [%[[COUNT]], 16] [1, 1]
// PAR: return %[[R]]
// VNNI-LABEL: func.func @row_chunks
// VNNI-NOT: scf.forall
// VNNI: return
func.func @row_chunks(%a: tensor<13x8xi8>, %i: tensor<13x16xi32>) -> tensor<13x16xi32> {
  %w = arith.constant dense<3> : tensor<8x16xi8>
  %0 = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w : tensor<13x8xi8>, tensor<8x16xi8>) outs(%i : tensor<13x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<13x16xi32>
  return %0 : tensor<13x16xi32>
}
