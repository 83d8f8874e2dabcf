// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=0}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 gemv-max-rows=0}),canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries},canonicalize)' | FileCheck %s --check-prefix=BUF

// A residual add fused into a kernel's epilogue (passes/ContractionEpilogue.h)
// writes the kernel's result into the residual's tensor when nothing reads
// that tensor afterwards: the kernel reads the residual's block from its
// own output tile before storing over it, and bufferization gives the two
// one buffer (no allocation for the result, no copy).

#id = affine_map<(m, n) -> (m, n)>

// The residual is read by the first product of the block (%h) and by the
// epilogue of the last one (%p): %p's kernel updates it in place.
// CHECK-LABEL: func.func @residual_in_place
// CHECK: %[[RES:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY:[a-z0-9]+]])
// CHECK: %[[H:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for {{.*}} iter_args(%[[OUT:.*]] = %[[RES]])
// CHECK: scf.for {{.*}} iter_args(%[[ROWS:.*]] = %[[OUT]])
// CHECK: %[[TILE:.*]] = tensor.extract_slice %[[ROWS]]
// CHECK: scf.for
// CHECK: vector.fma
// CHECK: vector.transfer_read %[[TILE]]{{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: vector.transfer_write {{.*}} %[[TILE]]
// CHECK-NOT: linalg.generic
// BUF-LABEL: func.func @residual_in_place
// BUF: %[[RES:.*]] = memref.alloc
// BUF: memref.alloc
// BUF-NOT: memref.alloc
// BUF: return %[[RES]]
func.func @residual_in_place(%x: tensor<8x7xf32>, %w1: tensor<7x32xf32>, %w2: tensor<32x32xf32>, %w3: tensor<32x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %res = linalg.matmul ins(%x, %w1 : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %h = linalg.matmul ins(%res, %w2 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%h, %w3 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %res : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %a = arith.addf %v, %s : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// The residual is also returned: it must keep its values, so the result
// gets a tensor of its own and the epilogue reads the residual.
// CHECK-LABEL: func.func @residual_read_later
// CHECK: %[[RES:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY:[a-z0-9]+]])
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: vector.transfer_read %[[RES]]{{.*}} : tensor<8x32xf32>, vector<4x16xf32>
// CHECK: arith.addf
// BUF-LABEL: func.func @residual_read_later
// BUF-COUNT-3: memref.alloc
// BUF-NOT: memref.alloc
// BUF: return
func.func @residual_read_later(%x: tensor<8x7xf32>, %w1: tensor<7x32xf32>, %w2: tensor<32x32xf32>, %w3: tensor<32x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %res = linalg.matmul ins(%x, %w1 : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %h = linalg.matmul ins(%res, %w2 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%h, %w3 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %res : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %a = arith.addf %v, %s : f32
    linalg.yield %a : f32
  } -> tensor<8x32xf32>
  return %r, %res : tensor<8x32xf32>, tensor<8x32xf32>
}

// The residual is read by the product itself (its A operand): not in place.
// CHECK-LABEL: func.func @residual_is_operand
// CHECK: %[[RES:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY:[a-z0-9]+]])
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: vector.transfer_read %[[RES]]{{.*}} : tensor<8x32xf32>, vector<4x16xf32>
func.func @residual_is_operand(%x: tensor<8x7xf32>, %w1: tensor<7x32xf32>, %w2: tensor<32x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %res = linalg.matmul ins(%x, %w1 : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%res, %w2 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %res : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %a = arith.addf %v, %s : f32
    linalg.yield %a : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// A graph input's buffer is not the compiled function's to write: not in
// place.
// CHECK-LABEL: func.func @residual_argument
// CHECK-SAME: %[[RES:[a-z0-9]+]]: tensor<8x32xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY:[a-z0-9]+]])
// CHECK: vector.transfer_read %[[RES]]{{.*}} : tensor<8x32xf32>, vector<4x16xf32>
func.func @residual_argument(%x: tensor<8x7xf32>, %w1: tensor<7x32xf32>, %res: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%x, %w1 : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %res : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %a = arith.addf %v, %s : f32
    linalg.yield %a : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// A convolution (im2col + product, expanded back to the spatial dims) whose
// residual is computed earlier (here an elementwise op): the product's init
// is the residual collapsed like the product, and its blocks are read from
// the output tile.
// CHECK-LABEL: func.func @conv_residual_in_place
// CHECK: %[[RES:.*]] = linalg.generic
// CHECK: %[[VIEW:.*]] = tensor.collapse_shape %[[RES]] {{\[}}[0], [1], [2], [3, 4]] : tensor<1x1x8x4x4xf32> into tensor<1x1x8x16xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[VIEW]])
// CHECK: vector.fma
// CHECK: vector.transfer_read %[[TILE:[a-z_0-9]+]]
// CHECK: arith.addf %{{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} %[[TILE]]
// CHECK: tensor.expand_shape
// CHECK-NOT: linalg.generic
// The result is the residual's buffer (the other allocations are the
// im2col buffer and a copy of the weight argument, as a view of unknown
// strides does not collapse).
// BUF-LABEL: func.func @conv_residual_in_place
// BUF: %[[RES:.*]] = memref.alloc() {{.*}} : memref<1x1x8x4x4xf32>
// BUF-NOT: memref.alloc() {{.*}} : memref<1x1x8x4x4xf32>
// BUF: return %[[RES]]
#x = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
#id5 = affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>
func.func @conv_residual_in_place(%x: tensor<1x1x3x9x9xf32>, %w: tensor<1x8x3x3x3xf32>, %in: tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x1x8x4x4xf32>
  %res = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%in : tensor<1x1x8x4x4xf32>) outs(%e0 : tensor<1x1x8x4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x1x8x4x4xf32>
  %e1 = tensor.empty() : tensor<1x1x8x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x1x8x4x4xf32>) -> tensor<1x1x8x4x4xf32>
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
    %a = arith.addf %v, %t : f32
    linalg.yield %a : f32
  } -> tensor<1x1x8x4x4xf32>
  return %r : tensor<1x1x8x4x4xf32>
}

// A slice of the residual, taken before the product and returned: a view
// of the same buffer read afterwards, so not in place.
// CHECK-LABEL: func.func @residual_slice_read_later
// CHECK: %[[RES:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY:[a-z0-9]+]])
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: vector.transfer_read %[[RES]]{{.*}} : tensor<8x32xf32>, vector<4x16xf32>
func.func @residual_slice_read_later(%x: tensor<8x7xf32>, %w1: tensor<7x32xf32>, %w2: tensor<32x32xf32>, %w3: tensor<32x32xf32>) -> (tensor<8x32xf32>, tensor<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %res = linalg.matmul ins(%x, %w1 : tensor<8x7xf32>, tensor<7x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %top = tensor.extract_slice %res[0, 0] [4, 32] [1, 1] : tensor<8x32xf32> to tensor<4x32xf32>
  %h = linalg.matmul ins(%res, %w2 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %p = linalg.matmul ins(%h, %w3 : tensor<8x32xf32>, tensor<32x32xf32>) outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %res : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e2 : tensor<8x32xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %a = arith.addf %v, %s : f32
    linalg.yield %a : f32
  } -> tensor<8x32xf32>
  return %r, %top : tensor<8x32xf32>, tensor<4x32xf32>
}
