// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2}),canonicalize,cse)' | FileCheck %s

// A matrix product with a fused ReLU on A: the ReLU is split off into its
// own elementwise generic, the product is tiled into 4 x 16 blocks (partial
// at the edges: 10 rows, 20 columns) computed by a loop over k of vector
// FMAs on one row of B and broadcast elements of a column of A. A's
// elements are read one by one (broadcast loads); in the last block of
// rows (10 = 2 x 4 + 2) the rows past A's end read its last row instead
// (never stored).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[RELU:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<10x7xf32>)
// CHECK: arith.maximumf
// CHECK: scf.for %{{.*}} = %c0 to %c20 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c10 step %c4
// CHECK: %[[A:.*]] = tensor.extract_slice %[[RELU]]
// CHECK: vector.transfer_read {{.*}} : tensor<?x?xf32>, vector<4x16xf32>
// CHECK: %[[R1:.*]] = arith.minui %{{.*}}, %c1 : index
// CHECK: %[[R2:.*]] = arith.minui %{{.*}}, %c2 : index
// CHECK: %[[R3:.*]] = arith.minui %{{.*}}, %c3 : index
// CHECK: scf.for %[[K:.*]] = %c0 to %c7 step %c1 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<7x?xf32>, vector<16xf32>
// CHECK: tensor.extract %[[A]][%c0, %[[K]]] : tensor<?x7xf32>
// CHECK: tensor.extract %[[A]][%[[R1]], %[[K]]] : tensor<?x7xf32>
// CHECK: tensor.extract %[[A]][%[[R2]], %[[K]]] : tensor<?x7xf32>
// CHECK: tensor.extract %[[A]][%[[R3]], %[[K]]] : tensor<?x7xf32>
// CHECK-COUNT-4: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-4: vector.transfer_write {{.*}} : vector<1x16xf32>, tensor<?x?xf32>
// CHECK-NOT: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @matmul(%x: tensor<10x7xf32>, %w: tensor<7x20xf32>, %acc: tensor<10x20xf32>) -> tensor<10x20xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<10x7xf32>, tensor<7x20xf32>) outs(%acc : tensor<10x20xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %cst = arith.constant 0.0 : f32
    %relu = arith.maximumf %p, %cst : f32
    %m = arith.mulf %relu, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<10x20xf32>
  return %r : tensor<10x20xf32>

// Integer products keep the scalar-loop lowering.
// CHECK-LABEL: func.func @ints
// CHECK: linalg.matmul
}
func.func @ints(%x: tensor<4x4xi32>, %w: tensor<4x4xi32>, %acc: tensor<4x4xi32>) -> tensor<4x4xi32> {
  %r = linalg.matmul ins(%x, %w : tensor<4x4xi32>, tensor<4x4xi32>) outs(%acc : tensor<4x4xi32>) -> tensor<4x4xi32>
  return %r : tensor<4x4xi32>

// A 3x3 stride-2 convolution: im2col copy, then a [8 x 27] x [27 x 16]
// product with static 4 x 16 tiles (in-bounds transfers).
// CHECK-LABEL: func.func @conv
// CHECK: %[[COL:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x1x3x9x9xf32>) outs(%{{.*}} : tensor<1x1x3x3x3x4x4xf32>)
// CHECK: %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0], [1], [2, 3, 4], [5, 6]] : tensor<1x1x3x3x3x4x4xf32> into tensor<1x1x27x16xf32>
// CHECK: tensor.collapse_shape %{{.*}} : tensor<1x8x3x3x3xf32> into tensor<1x8x27xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c27 step %c1
// CHECK: vector.transfer_read %[[COL2]]{{.*}} {in_bounds = [true]} : tensor<1x1x27x16xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.fma
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x8x4x4xf32>
}
#x = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
func.func @conv(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %acc: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}

// A dynamic row count (a model's batch dim) and B read across its rows
// (Gemm with transB): still vectorized, with out-of-bounds transfers.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: scf.for %{{.*}} = %c0 to %c20 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c4
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<?x7xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.fma
#at = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#ct = affine_map<(m, n, k) -> (m, n)>
func.func @dynamic_rows(%x: tensor<?x7xf32>, %w: tensor<20x7xf32>, %acc: tensor<?x20xf32>) -> tensor<?x20xf32> {
  %r = linalg.generic {indexing_maps = [#at, #bt, #ct], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x7xf32>, tensor<20x7xf32>) outs(%acc : tensor<?x20xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x20xf32>
  return %r : tensor<?x20xf32>
}
