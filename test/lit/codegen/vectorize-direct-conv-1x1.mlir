// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=8 rows=2 column-vectors=1 min-reduction=16 min-1x1-reduction=16}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=8 rows=2 column-vectors=1 min-reduction=16 min-1x1-reduction=16 max-1x1-pixels=8}),canonicalize,cse)' | FileCheck %s --check-prefix=LARGE
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=8 rows=2 column-vectors=1 min-reduction=16}),canonicalize,cse)' | FileCheck %s --check-prefix=SHORT

// 1x1 convolutions (16 -> 2 channels) on a 3x3 plane, as the Conv lowering
// emits them. A matrix product would run its vectors along the 9 pixels;
// on a plane this small (up to max-1x1-pixels, 196 by default) the direct
// kernel takes them, with its vectors along the output channels, when
// their reduction is long enough (min-1x1-reduction, 512 by default).

#x = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
#y = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
#id = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// With a ReLU: the weights are packed as [g, channel blocks, c, 2], the
// kernel broadcasts one input element per pixel and channel, and the ReLU
// is applied to the accumulators before the transposed store.
// CHECK-LABEL: func.func @relu
// CHECK: arith.constant {{.*}} : tensor<1x1x16x2xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args
// CHECK: vector.fma
// CHECK: arith.maximumf %{{.*}} : vector<2xf32>
// CHECK: vector.transfer_write {{.*}}permutation_map = #{{.*}}} : vector<2x2xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
// With max-1x1-pixels below the plane's 9 pixels: left to the matrix
// product.
// LARGE-LABEL: func.func @relu
// LARGE: linalg.generic {{.*}}"reduction"
// LARGE-SAME: tensor<1x2x16x1x1xf32>
// With the default min-1x1-reduction (512), 16 input channels are too few
// to pay for the transposed stores: left to the matrix product too.
// SHORT-LABEL: func.func @relu
// SHORT: linalg.generic {{.*}}"reduction"
// SHORT-SAME: tensor<1x2x16x1x1xf32>
func.func @relu(%x: tensor<1x1x16x3x3xf32>) -> tensor<1x1x2x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[[[[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]]], [[[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]]]]]> : tensor<1x2x16x1x1xf32>
  %e = tensor.empty() : tensor<1x1x2x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x2x3x3xf32>) -> tensor<1x1x2x3x3xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x16x3x3xf32>, tensor<1x2x16x1x1xf32>) outs(%acc : tensor<1x1x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x2x3x3xf32>
  %e2 = tensor.empty() : tensor<1x1x2x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x1x2x3x3xf32>) outs(%e2 : tensor<1x1x2x3x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x1x2x3x3xf32>
  return %r : tensor<1x1x2x3x3xf32>
}

// With a residual add, which only the matrix product's kernel fuses: left
// to it, even on a small plane.
// CHECK-LABEL: func.func @residual
// CHECK-NOT: vector.fma
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-SAME: tensor<1x2x16x1x1xf32>
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @residual(%x: tensor<1x1x16x3x3xf32>, %res: tensor<1x1x2x3x3xf32>) -> tensor<1x1x2x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[[[[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]]], [[[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]], [[2.500000e-01]], [[5.000000e-01]], [[7.500000e-01]], [[-7.500000e-01]], [[-5.000000e-01]], [[-2.500000e-01]], [[0.000000e+00]]]]]> : tensor<1x2x16x1x1xf32>
  %e = tensor.empty() : tensor<1x1x2x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x2x3x3xf32>) -> tensor<1x1x2x3x3xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x16x3x3xf32>, tensor<1x2x16x1x1xf32>) outs(%acc : tensor<1x1x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x2x3x3xf32>
  %e2 = tensor.empty() : tensor<1x1x2x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %res : tensor<1x1x2x3x3xf32>, tensor<1x1x2x3x3xf32>) outs(%e2 : tensor<1x1x2x3x3xf32>) {
  ^bb0(%v: f32, %t: f32, %o: f32):
    %a = arith.addf %v, %t : f32
    linalg.yield %a : f32
  } -> tensor<1x1x2x3x3xf32>
  return %r : tensor<1x1x2x3x3xf32>
}
