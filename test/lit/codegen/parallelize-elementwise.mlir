// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-parallelize-elementwise{min-parallel-elements=1000 tiles=8}),canonicalize,cse)' | FileCheck %s

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#t2 = affine_map<(d0, d1) -> (d1, d0)>

// A large elementwise generic: the unit batch dim is skipped, the 32
// channels are split into 8 tiles of 4, the spatial dims stay whole.
// CHECK-LABEL: func.func @bias_relu
// CHECK: scf.forall (%[[C:.*]]) = (0) to (32) step (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x32x16x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, %[[C]], 0, 0] [1, 4, 16, 16]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x16x16xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[C]], 0, 0] [1, 4, 16, 16]
func.func @bias_relu(%x: tensor<1x32x16x16xf32>, %b: tensor<32xf32>) -> tensor<1x32x16x16xf32> {
  %e = tensor.empty() : tensor<1x32x16x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %b : tensor<1x32x16x16xf32>, tensor<32xf32>) outs(%e : tensor<1x32x16x16xf32>) {
  ^bb0(%in: f32, %bi: f32, %o: f32):
    %s = arith.addf %in, %bi : f32
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x32x16x16xf32>
  return %r : tensor<1x32x16x16xf32>
}

// A transposing copy: tiles follow the loop dims (a permuted output map
// still gives each tile its own elements); 3 rows outer, so the second dim
// is chunked too (3 x ceil(8/3) = 3 x 3 tiles of 342 columns).
// CHECK-LABEL: func.func @transpose
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (3, 1024) step (1, 342)
// CHECK: tensor.parallel_insert_slice
func.func @transpose(%x: tensor<3x1024xf32>) -> tensor<1024x3xf32> {
  %e = tensor.empty() : tensor<1024x3xf32>
  %r = linalg.generic {indexing_maps = [#id2, #t2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<3x1024xf32>) outs(%e : tensor<1024x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<1024x3xf32>
  return %r : tensor<1024x3xf32>
}

// Small generics stay serial.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @small(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %e = tensor.empty() : tensor<4x100xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x100xf32>) outs(%e : tensor<4x100xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x100xf32>
  return %r : tensor<4x100xf32>
}

// Reductions (rows of a sum) stay serial: iterations share output elements.
// CHECK-LABEL: func.func @row_sum
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @row_sum(%x: tensor<64x1024xf32>, %acc: tensor<64xf32>) -> tensor<64xf32> {
  %r = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x1024xf32>) outs(%acc : tensor<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}
