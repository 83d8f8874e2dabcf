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

// A linalg.transpose (attention's K^T) is made a generic and split: 12
// heads in 8 tiles of 2.
// CHECK-LABEL: func.func @named_transpose
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall (%[[H:.*]]) = (0) to (12) step (2)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x64x128xf32>)
// CHECK: tensor.parallel_insert_slice
func.func @named_transpose(%k: tensor<12x128x64xf32>) -> tensor<12x64x128xf32> {
  %e = tensor.empty() : tensor<12x64x128xf32>
  %t = linalg.transpose ins(%k : tensor<12x128x64xf32>) outs(%e : tensor<12x64x128xf32>) permutation = [0, 2, 1]
  return %t : tensor<12x64x128xf32>
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

// A reduction (rows of a sum) is split along its parallel dim only: each
// tile sums whole rows into its own part of the output.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.forall (%[[R:.*]]) = (0) to (64) step (8)
// CHECK: tensor.extract_slice %{{.*}}[%[[R]], 0] [8, 1024] [1, 1] : tensor<64x1024xf32> to tensor<8x1024xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: tensor.parallel_insert_slice
func.func @row_sum(%x: tensor<64x1024xf32>, %acc: tensor<64xf32>) -> tensor<64xf32> {
  %r = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<64x1024xf32>) outs(%acc : tensor<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}

// A convolution's padding: the unpadded batch and channel dims become the
// forall (tiles of 1 until there are 8: 2 x 4); each iteration fills its
// planes and copies the source's planes to offset (1, 2) in them.
// CHECK-LABEL: func.func @pad
// CHECK: %[[PV:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.forall (%[[N:.*]], %[[C:.*]]) in (2, 4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x4x34x36xf32>)
// CHECK: %[[SRC:.*]] = tensor.extract_slice %{{.*}}[%[[N]], %[[C]], 0, 0] [1, 1, 32, 32] [1, 1, 1, 1] : tensor<2x4x32x32xf32> to tensor<1x1x32x32xf32>
// CHECK: %[[DST:.*]] = tensor.extract_slice %[[OUT]][%[[N]], %[[C]], 0, 0] [1, 1, 34, 36]
// CHECK: %[[F:.*]] = linalg.fill ins(%[[PV]] : f32) outs(%[[DST]] : tensor<1x1x34x36xf32>)
// CHECK: %[[I:.*]] = tensor.insert_slice %[[SRC]] into %[[F]][0, 0, 1, 2] [1, 1, 32, 32]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[I]] into %[[OUT]][%[[N]], %[[C]], 0, 0] [1, 1, 34, 36]
// CHECK-NOT: tensor.pad
// CHECK: return
func.func @pad(%x: tensor<2x4x32x32xf32>) -> tensor<2x4x34x36xf32> {
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 2] high[0, 0, 1, 2] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %z : f32
  } : tensor<2x4x32x32xf32> to tensor<2x4x34x36xf32>
  return %p : tensor<2x4x34x36xf32>
}

// Padding on the outermost dim: nothing to split.
// CHECK-LABEL: func.func @pad_outer
// CHECK-NOT: scf.forall
// CHECK: tensor.pad
func.func @pad_outer(%x: tensor<32x64xf32>) -> tensor<34x64xf32> {
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %z : f32
  } : tensor<32x64xf32> to tensor<34x64xf32>
  return %p : tensor<34x64xf32>
}

// A parallel dim that the output does not index (iterations along it
// write the same elements) is never split; the other one is.
// CHECK-LABEL: func.func @unindexed_dim
// CHECK: scf.forall (%[[C:.*]]) = (0) to (1024) step (128)
// CHECK: tensor.extract_slice %{{.*}}[0, %[[C]]] [64, 128] [1, 1]
#cols = affine_map<(d0, d1) -> (d1)>
func.func @unindexed_dim(%x: tensor<64x1024xf32>, %acc: tensor<1024xf32>) -> tensor<1024xf32> {
  %r = linalg.generic {indexing_maps = [#id2, #cols], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x1024xf32>) outs(%acc : tensor<1024xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}
