// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=8 gemv-max-rows=0}),canonicalize,cse)' | FileCheck %s

// Register blocks are a power of two of whole vectors wide (8 lanes here,
// up to 8 vectors): LLVM legalizes other widths (vector<40xf32>,
// vector<48xf32>, vector<49xf32>) into shuffles and spills, 35x slower
// on a 512 x 512 x 48 product. The columns past the product's end are
// masked off.

// 40 columns: 5 vectors, rounded up to one block of 8 (64 columns).
// CHECK-LABEL: func.func @forty_columns
// CHECK: scf.for {{.*}} -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true, false]} : vector<1x64xf32>, tensor<4x40xf32>
func.func @forty_columns(%x: tensor<8x7xf32>, %w: tensor<7x40xf32>, %c: tensor<8x40xf32>) -> tensor<8x40xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x40xf32>) outs(%c : tensor<8x40xf32>) -> tensor<8x40xf32>
  return %p : tensor<8x40xf32>
}

// 20 columns: 3 vectors, rounded up to 4 (32 columns).
// CHECK-LABEL: func.func @twenty_columns
// CHECK: scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
func.func @twenty_columns(%x: tensor<8x7xf32>, %w: tensor<7x20xf32>, %c: tensor<8x20xf32>) -> tensor<8x20xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x20xf32>) outs(%c : tensor<8x20xf32>) -> tensor<8x20xf32>
  return %p : tensor<8x20xf32>
}

// 100 columns: blocks of the full 64, the second one masked.
// CHECK-LABEL: func.func @hundred_columns
// CHECK: scf.for %{{.*}} = %c0 to %c100 step %c64
// CHECK: scf.for {{.*}} -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
func.func @hundred_columns(%x: tensor<8x7xf32>, %w: tensor<7x100xf32>, %c: tensor<8x100xf32>) -> tensor<8x100xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x100xf32>) outs(%c : tensor<8x100xf32>) -> tensor<8x100xf32>
  return %p : tensor<8x100xf32>
}

// 6 columns, under one vector: a vector<6xf32> (LLVM handles those).
// CHECK-LABEL: func.func @six_columns
// CHECK: scf.for {{.*}} -> (vector<6xf32>, vector<6xf32>, vector<6xf32>, vector<6xf32>)
func.func @six_columns(%x: tensor<8x7xf32>, %w: tensor<7x6xf32>, %c: tensor<8x6xf32>) -> tensor<8x6xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x6xf32>) outs(%c : tensor<8x6xf32>) -> tensor<8x6xf32>
  return %p : tensor<8x6xf32>
}
