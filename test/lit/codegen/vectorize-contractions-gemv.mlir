// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-column-vectors=8 gemv-max-rows=3 fuse-epilogues=false}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-column-vectors=8 gemv-max-rows=0 fuse-epilogues=false}),canonicalize,cse)' | FileCheck %s --check-prefix=NOVERSION

// Batch 1 (a static single row): a matrix-vector product. The register
// budget of a 4 x 2-vector block goes to one row of 8 vectors (64 columns)
// instead: 8 independent FMA chains per k step, and no FMA on rows past
// the end.
// CHECK-LABEL: func.func @one_row
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c64
// CHECK-NOT: scf.for {{.*}} step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<64xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<32x64xf32>, vector<64xf32>
// CHECK: vector.fma {{.*}} : vector<64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x64xf32>, tensor<1x64xf32>
func.func @one_row(%x: tensor<1x32xf32>, %w: tensor<32x256xf32>, %acc: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<1x32xf32>, tensor<32x256xf32>) outs(%acc : tensor<1x256xf32>) -> tensor<1x256xf32>
  return %r : tensor<1x256xf32>
}

// Two static rows: 4 vectors per row (the same 8 accumulators).
// CHECK-LABEL: func.func @two_rows
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c32
// CHECK: scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-2: vector.fma {{.*}} : vector<32xf32>
func.func @two_rows(%x: tensor<2x32xf32>, %w: tensor<32x256xf32>, %acc: tensor<2x256xf32>) -> tensor<2x256xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<2x32xf32>, tensor<32x256xf32>) outs(%acc : tensor<2x256xf32>) -> tensor<2x256xf32>
  return %r : tensor<2x256xf32>
}

// A dynamic row count (a model's batch): versioned on it. Up to 3 rows run
// one row at a time with 64-column rows; more, the 4 x 16 blocks.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: %[[M:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x32xf32>
// CHECK: %[[FEW:.*]] = arith.cmpi ult, %[[M]], %c4 : index
// CHECK: scf.if %[[FEW]] -> (tensor<?x256xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c64
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: scf.for {{.*}} -> (vector<64xf32>)
// CHECK: } else {
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c4
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// NOVERSION-LABEL: func.func @dynamic_rows
// NOVERSION-NOT: scf.if
// NOVERSION: scf.for %{{.*}} = %c0 to %c256 step %c16
// NOVERSION-NOT: scf.if
func.func @dynamic_rows(%x: tensor<?x32xf32>, %w: tensor<32x256xf32>, %acc: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<?x32xf32>, tensor<32x256xf32>) outs(%acc : tensor<?x256xf32>) -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// Enough static rows for whole blocks: the usual 4 x 16 blocks, no version.
// CHECK-LABEL: func.func @many_rows
// NOVERSION-LABEL: func.func @many_rows
// CHECK-NOT: scf.if
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK-NOT: scf.if
func.func @many_rows(%x: tensor<8x32xf32>, %w: tensor<32x256xf32>, %acc: tensor<8x256xf32>) -> tensor<8x256xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<8x32xf32>, tensor<32x256xf32>) outs(%acc : tensor<8x256xf32>) -> tensor<8x256xf32>
  return %r : tensor<8x256xf32>
}

// One row, 1000 and 1001 columns: a wide block only where a power of two
// of vectors tiles the columns exactly (8 or 4 vectors: 64 or 32 columns;
// neither divides 1000 or 1001), as a wide partial block's masked
// transfers would be slow; otherwise the usual 2-vector width (the last
// block partial). (5 vectors tile 1000, but LLVM legalizes a
// vector<40xf32> into shuffles: not taken.)
// CHECK-LABEL: func.func @one_row_ragged
// CHECK: scf.for %{{.*}} = %c0 to %c1000 step %c16
// CHECK: scf.for {{.*}} -> (vector<16xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c1001 step %c16
// CHECK: scf.for {{.*}} -> (vector<16xf32>)
func.func @one_row_ragged(%x: tensor<1x32xf32>, %w: tensor<32x1000xf32>, %acc: tensor<1x1000xf32>,
                          %w2: tensor<32x1001xf32>, %acc2: tensor<1x1001xf32>) -> (tensor<1x1000xf32>, tensor<1x1001xf32>) {
  %r = linalg.matmul ins(%x, %w : tensor<1x32xf32>, tensor<32x1000xf32>) outs(%acc : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  %r2 = linalg.matmul ins(%x, %w2 : tensor<1x32xf32>, tensor<32x1001xf32>) outs(%acc2 : tensor<1x1001xf32>) -> tensor<1x1001xf32>
  return %r, %r2 : tensor<1x1000xf32>, tensor<1x1001xf32>
}
