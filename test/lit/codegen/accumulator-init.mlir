// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=0}),canonicalize,cse)' | FileCheck %s

// The kernels start their accumulators from what the contraction's init
// holds (passes/AccumulatorInit.h) instead of reading it back from C: the
// fill or broadcast that made the init is then dead, and C is only
// written.

// The bias block's map: rows from the bias, columns broadcast.
// CHECK: #[[BCAST:.*]] = affine_map<(d0, d1) -> (d1, 0)>

// A MatMul's zero fill: the accumulators are a splat of 0; nothing reads
// C and the fill is gone.
// CHECK-LABEL: func.func @matmul_fill
// CHECK-NOT: linalg.fill
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<8x32xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for
// CHECK-NOT: vector.transfer_read {{.*}} vector<4x16xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]])
// CHECK: vector.transfer_write
func.func @matmul_fill(%x: tensor<8x7xf32>, %w: tensor<7x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %p : tensor<8x32xf32>
}

// A convolution's bias, broadcast over [n, g, m, oh, ow] and collapsed to
// the product's [n, g, m, p]: each block reads the bias of its 4 rows
// (output channels), broadcast along its 16 columns (pixels), from the
// bias itself; the broadcast generic is gone.
// CHECK-LABEL: func.func @conv_bias
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: tensor<1x8xf32>
// CHECK-NOT: ins(%[[BIAS]]
// CHECK: scf.for %[[M:.*]] = %c0 to %c8 step %c4
// CHECK: vector.transfer_read %[[BIAS]][%c0, %[[M]]], %{{.*}} {in_bounds = [{{.*}}, true], permutation_map = #[[BCAST]]} : tensor<1x8xf32>, vector<4x16xf32>
// CHECK: vector.fma
#x = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
#bias = affine_map<(n, g, m, oh, ow) -> (g, m)>
#id5 = affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>
func.func @conv_bias(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %bias: tensor<1x8xf32>) -> tensor<1x1x8x4x4xf32> {
  %e = tensor.empty() : tensor<1x1x8x4x4xf32>
  %acc = linalg.generic {indexing_maps = [#bias, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : tensor<1x8xf32>) outs(%e : tensor<1x1x8x4x4xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  } -> tensor<1x1x8x4x4xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  return %c : tensor<1x1x8x4x4xf32>
}

// An init that is a function argument (C of a Gemm-like accumulation):
// the blocks read it.
// CHECK-LABEL: func.func @init_argument
// CHECK-SAME: %[[C:[a-z0-9]+]]: tensor<8x32xf32>
// CHECK: scf.for {{.*}} iter_args(%[[C1:.*]] = %[[C]])
// CHECK: scf.for {{.*}} iter_args(%[[C2:.*]] = %[[C1]])
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[C2]]
// CHECK: vector.transfer_read %[[SLICE]]
func.func @init_argument(%x: tensor<8x7xf32>, %w: tensor<7x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %p : tensor<8x32xf32>
}

// A broadcast that is not a plain copy (it adds 1): kept, and read back.
// CHECK-LABEL: func.func @init_computed
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
#row = affine_map<(m, n) -> (n)>
#id2 = affine_map<(m, n) -> (m, n)>
func.func @init_computed(%x: tensor<8x7xf32>, %w: tensor<7x32xf32>, %b: tensor<32xf32>) -> tensor<8x32xf32> {
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.generic {indexing_maps = [#row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %s = arith.addf %v, %one : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %p : tensor<8x32xf32>
}

// A broadcast of a [4, 4] source collapsed into 16 columns: the source's
// dims are merged with each other, which the kernel's block reads cannot
// follow. Kept, and read back.
// CHECK-LABEL: func.func @init_merged_dims
// CHECK: linalg.generic
// CHECK: tensor.collapse_shape
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
#src = affine_map<(m, a, b) -> (a, b)>
#id3 = affine_map<(m, a, b) -> (m, a, b)>
func.func @init_merged_dims(%x: tensor<8x7xf32>, %w: tensor<7x16xf32>, %b: tensor<4x4xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x4x4xf32>
  %acc = linalg.generic {indexing_maps = [#src, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b : tensor<4x4xf32>) outs(%e : tensor<8x4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<8x4x4xf32>
  %acc2 = tensor.collapse_shape %acc [[0], [1, 2]] : tensor<8x4x4xf32> into tensor<8x16xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x16xf32>) outs(%acc2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %p : tensor<8x16xf32>
}
