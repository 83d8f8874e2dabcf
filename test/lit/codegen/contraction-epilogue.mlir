// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=0}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=0 fuse-epilogues=false}),canonicalize,cse)' | FileCheck %s --check-prefix=OFF
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=3}),canonicalize,cse)' | FileCheck %s --check-prefix=VERSIONED

#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (n)>

// A product followed by a bias add (along the columns) and a ReLU: both
// are computed on the accumulators of each 4 x 16 block before its stores;
// the bias is read once per block as a vector of the block's columns, and
// no elementwise generic is left.
// CHECK-LABEL: func.func @bias_relu
// CHECK: scf.for %[[N:.*]] = %c0 to %c32 step %c16
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK: %[[ACC:.*]]:4 = scf.for
// CHECK: vector.transfer_read %{{.*}}[%[[N]]]{{.*}} : tensor<32xf32>, vector<4x16xf32>
// CHECK: arith.addf %[[ACC]]#0, %{{.*}} : vector<16xf32>
// CHECK: arith.maximumf %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.generic
// OFF-LABEL: func.func @bias_relu
// OFF: scf.for
// OFF: linalg.generic
// OFF: arith.maximumf %{{.*}} : f32
func.func @bias_relu(%x: tensor<8x7xf32>, %w: tensor<7x32xf32>, %bias: tensor<32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %bias : tensor<8x32xf32>, tensor<32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %s, %z : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// A convolution (im2col + product, expanded back to the spatial dims) and
// a Clip(0, 6) on its output: fused through the expand_shape.
// CHECK-LABEL: func.func @conv_clip
// CHECK: scf.for
// CHECK: arith.maximumf %{{.*}} : vector<16xf32>
// CHECK: arith.minimumf %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write
// CHECK: tensor.expand_shape
// CHECK-NOT: linalg.generic
#x = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
#id5 = affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>
func.func @conv_clip(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %acc: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x1x8x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x1x8x4x4xf32>) outs(%e : tensor<1x1x8x4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %lo = arith.constant 0.0 : f32
    %hi = arith.constant 6.0 : f32
    %a = arith.maximumf %v, %lo : f32
    %b = arith.minimumf %a, %hi : f32
    linalg.yield %b : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}

// A convolution whose output gets a residual added and a ReLU (a ResNet
// block's end): the residual is read in the product's collapsed
// [n, g, m, p] space (a collapse_shape view, in the block) and both are
// applied to the accumulators.
// CHECK-LABEL: func.func @conv_residual
// CHECK-SAME: %[[RES:[a-z0-9]+]]: tensor<1x1x8x4x4xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[VIEW:.*]] = tensor.collapse_shape %[[RES]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x1x8x4x4xf32> into tensor<1x1x8x16xf32>
// CHECK: vector.transfer_read %[[VIEW]]
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK: arith.maximumf %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write
// CHECK: tensor.expand_shape
// CHECK-NOT: linalg.generic
// A residual read transposed is not fused.
// CHECK-LABEL: func.func @conv_residual_transposed
// CHECK: scf.for
// CHECK: tensor.expand_shape
// CHECK: linalg.generic
#swap5 = affine_map<(a, b, c, d, e) -> (a, b, c, e, d)>
func.func @conv_residual(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %res: tensor<1x1x8x4x4xf32>, %acc: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x1x8x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id5, #id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %res : tensor<1x1x8x4x4xf32>, tensor<1x1x8x4x4xf32>) outs(%e : tensor<1x1x8x4x4xf32>) {
  ^bb0(%v: f32, %t: f32, %o: f32):
    %zero = arith.constant 0.0 : f32
    %a = arith.addf %v, %t : f32
    %b = arith.maximumf %a, %zero : f32
    linalg.yield %b : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}
func.func @conv_residual_transposed(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %res: tensor<1x1x8x4x4xf32>, %acc: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x1x8x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id5, #swap5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %res : tensor<1x1x8x4x4xf32>, tensor<1x1x8x4x4xf32>) outs(%e : tensor<1x1x8x4x4xf32>) {
  ^bb0(%v: f32, %t: f32, %o: f32):
    %a = arith.addf %v, %t : f32
    linalg.yield %a : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}

// The residual is a graph input, reshaped next to its elementwise user,
// after the convolution: the reshape moves above the kernel, which reads
// it, and the epilogue is fused all the same.
// CHECK-LABEL: func.func @conv_residual_reshaped_late
// CHECK-SAME: %[[RES:[a-z0-9]+]]: tensor<1x8x4x4xf32>
// CHECK: %[[EXP:.*]] = tensor.expand_shape %[[RES]]
// CHECK: scf.for
// CHECK: tensor.collapse_shape %[[EXP]]
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @conv_residual_reshaped_late(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %res: tensor<1x8x4x4xf32>, %acc: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x3x9x9xf32>, tensor<1x8x3x3x3xf32>) outs(%acc : tensor<1x1x8x4x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x8x4x4xf32>
  %rx = tensor.expand_shape %res [[0], [1, 2], [3], [4]] output_shape [1, 1, 8, 4, 4] : tensor<1x8x4x4xf32> into tensor<1x1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x1x8x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id5, #id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %rx : tensor<1x1x8x4x4xf32>, tensor<1x1x8x4x4xf32>) outs(%e : tensor<1x1x8x4x4xf32>) {
  ^bb0(%v: f32, %t: f32, %o: f32):
    %a = arith.addf %v, %t : f32
    linalg.yield %a : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}

// Not fused: the product's result has another use (it must keep the
// product's values).
// CHECK-LABEL: func.func @two_uses
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK: arith.maximumf %{{.*}} : f32
func.func @two_uses(%x: tensor<8x7xf32>, %w: tensor<7x32xf32>, %acc: tensor<8x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %v, %z : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  return %p, %r : tensor<8x32xf32>, tensor<8x32xf32>
}

// Not fused: the consumer reads the product transposed (an element of the
// block is not the element it computes).
// CHECK-LABEL: func.func @transposed
// CHECK: scf.for
// CHECK: linalg.generic
#t = affine_map<(m, n) -> (n, m)>
func.func @transposed(%x: tensor<8x7xf32>, %w: tensor<7x8xf32>, %acc: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %p = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x8xf32>) outs(%acc : tensor<8x8xf32>) -> tensor<8x8xf32>
  %e = tensor.empty() : tensor<8x8xf32>
  %r = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %v, %z : f32
    linalg.yield %m : f32
  } -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// A dynamic batch, a bias along the columns and an Erf-based GELU (BERT's
// FFN): fused into both versions of the product (one row at a time, and
// 4-row blocks), math.erf on vectors.
// VERSIONED-LABEL: func.func @dynamic_gelu
// VERSIONED: scf.if
// VERSIONED: math.erf %{{.*}} : vector<16xf32>
// VERSIONED: } else {
// VERSIONED: math.erf %{{.*}} : vector<16xf32>
// VERSIONED-NOT: linalg.generic
func.func @dynamic_gelu(%x: tensor<?x7xf32>, %w: tensor<7x16xf32>, %acc: tensor<?x16xf32>, %bias: tensor<16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %p = linalg.matmul ins(%x, %w : tensor<?x7xf32>, tensor<7x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  %d = tensor.dim %x, %c0 : tensor<?x7xf32>
  %e = tensor.empty(%d) : tensor<?x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %bias : tensor<?x16xf32>, tensor<16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %k = arith.constant 0.707106769 : f32
    %h = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %t = arith.mulf %s, %k : f32
    %f = math.erf %t : f32
    %g = arith.addf %f, %one : f32
    %u = arith.mulf %s, %g : f32
    %y = arith.mulf %u, %h : f32
    linalg.yield %y : f32
  } -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
