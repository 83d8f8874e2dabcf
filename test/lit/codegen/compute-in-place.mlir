// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-compute-in-place))' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-compute-in-place),one-shot-bufferize{bufferize-function-boundaries},cse,canonicalize)' | FileCheck %s --check-prefix=BUF

#id2 = affine_map<(i, j) -> (i, j)>

// A Concat of two ops' results (each seen through reshapes, each with the
// same CSE-merged tensor.empty as init). Each op now writes the slice of
// the Concat it is inserted into: the first a slice of the chain's root,
// the second a slice of the first insert, which is moved up to its source
// so that it exists before the second op. The ReLU after the Concat had
// the same empty tensor as its init: the chain gets a root of its own.
// CHECK-LABEL: func.func @concat_inputs
// CHECK: %[[ROOT:.*]] = tensor.empty() : tensor<2x8x4xf32>
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[ROOT]][0, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<2x8x4xf32> to tensor<1x8x4xf32>
// CHECK: %[[S0C:.*]] = tensor.collapse_shape %[[S0]] {{\[\[}}0, 1], [2]] : tensor<1x8x4xf32> into tensor<8x4xf32>
// CHECK: %[[A:.*]] = linalg.generic {{.*}} outs(%[[S0C]] : tensor<8x4xf32>)
// CHECK: %[[A3:.*]] = tensor.expand_shape %[[A]]
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A3]] into %[[ROOT]][0, 0, 0]
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[I0]][1, 0, 0] [1, 8, 4] [1, 1, 1]
// CHECK: %[[S1C:.*]] = tensor.collapse_shape %[[S1]]
// CHECK: %[[B:.*]] = linalg.generic {{.*}} outs(%[[S1C]] : tensor<8x4xf32>)
// CHECK: %[[B3:.*]] = tensor.expand_shape %[[B]]
// CHECK-DAG: %[[I1:.*]] = tensor.insert_slice %[[B3]] into %[[I0]][1, 0, 0]
// CHECK-DAG: %[[OUT:.*]] = tensor.empty() : tensor<2x8x4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[I1]] : tensor<2x8x4xf32>) outs(%[[OUT]] : tensor<2x8x4xf32>)
// After bufferization, neither input is copied into the Concat.
// BUF-LABEL: func.func @concat_inputs
// BUF-NOT: memref.copy
// BUF: return
func.func @concat_inputs(%x: tensor<8x4xf32>, %y: tensor<8x4xf32>) -> tensor<2x8x4xf32> {
  %e = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8x4xf32>
  %b = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8x4xf32>
  %a3 = tensor.expand_shape %a [[0, 1], [2]] output_shape [1, 8, 4] : tensor<8x4xf32> into tensor<1x8x4xf32>
  %b3 = tensor.expand_shape %b [[0, 1], [2]] output_shape [1, 8, 4] : tensor<8x4xf32> into tensor<1x8x4xf32>
  %root = tensor.empty() : tensor<2x8x4xf32>
  %c0 = tensor.insert_slice %a3 into %root[0, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<1x8x4xf32> into tensor<2x8x4xf32>
  %c1 = tensor.insert_slice %b3 into %c0[1, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<1x8x4xf32> into tensor<2x8x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c1 : tensor<2x8x4xf32>) outs(%root : tensor<2x8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

// A padded tensor (a fill, then the interior inserted) whose interior is
// an op's result: the op writes the interior of the filled tensor.
// CHECK-LABEL: func.func @pad_interior
// CHECK: %[[E:.*]] = tensor.empty() : tensor<10x6xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<10x6xf32>)
// CHECK-NEXT: %[[S:.*]] = tensor.extract_slice %[[F]][1, 1] [8, 4] [1, 1]
// CHECK: %[[A:.*]] = linalg.generic {{.*}} outs(%[[S]] : tensor<8x4xf32>)
// CHECK: tensor.insert_slice %[[A]] into %[[F]][1, 1] [8, 4] [1, 1]
// BUF-LABEL: func.func @pad_interior
// BUF-NOT: memref.copy
// BUF: return
func.func @pad_interior(%x: tensor<8x4xf32>) -> tensor<10x6xf32> {
  %e = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %pe = tensor.empty() : tensor<10x6xf32>
  %p = linalg.fill ins(%zero : f32) outs(%pe : tensor<10x6xf32>) -> tensor<10x6xf32>
  %r = tensor.insert_slice %a into %p[1, 1] [8, 4] [1, 1] : tensor<8x4xf32> into tensor<10x6xf32>
  return %r : tensor<10x6xf32>
}

// Not rewritten: the result has another user (the slice would alias it,
// and that user might need it contiguous), and a function argument is not
// an op's result.
// CHECK-LABEL: func.func @not_in_place
// CHECK: %[[A:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x4xf32>)
// CHECK-NOT: tensor.extract_slice
// CHECK: tensor.insert_slice %[[A]]
// CHECK: tensor.insert_slice %arg0
// BUF-LABEL: func.func @not_in_place
// BUF: memref.copy
func.func @not_in_place(%x: tensor<8x4xf32>) -> (tensor<2x8x4xf32>, tensor<8x4xf32>) {
  %e = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<8x4xf32>
  %root = tensor.empty() : tensor<2x8x4xf32>
  %c0 = tensor.insert_slice %a into %root[0, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<8x4xf32> into tensor<2x8x4xf32>
  %c1 = tensor.insert_slice %x into %c0[1, 0, 0] [1, 8, 4] [1, 1, 1] : tensor<8x4xf32> into tensor<2x8x4xf32>
  return %c1, %a : tensor<2x8x4xf32>, tensor<8x4xf32>
}

// Not rewritten: a [C, H*W] result padded as [C, H+2, W+2]. Its slice of
// the padded tensor has rows W+2 apart, so it cannot be collapsed back to
// [C, H*W] as a view: bufferization would copy it into a buffer of its own
// and back.
// CHECK-LABEL: func.func @pad_of_collapsed_rows
// CHECK: %[[A:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8xf32>)
// CHECK-NOT: tensor.extract_slice
// CHECK: tensor.expand_shape %[[A]]
func.func @pad_of_collapsed_rows(%x: tensor<4x8xf32>) -> tensor<4x4x6xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  %a3 = tensor.expand_shape %a [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %zero = arith.constant 0.0 : f32
  %pe = tensor.empty() : tensor<4x4x6xf32>
  %p = linalg.fill ins(%zero : f32) outs(%pe : tensor<4x4x6xf32>) -> tensor<4x4x6xf32>
  %r = tensor.insert_slice %a3 into %p[0, 1, 1] [4, 2, 4] [1, 1, 1] : tensor<4x2x4xf32> into tensor<4x4x6xf32>
  return %r : tensor<4x4x6xf32>
}

// A kernel whose last, partial blocks are a loop of their own
// (passes/PeelPartialBlocks.h): the second loop only completes the first
// one's result, so the first loop's init is the one replaced. Its init is
// a reshaped empty tensor that CSE shared with another use (the second
// Concat input's generic): only the loop's use is replaced. The second
// input is computed before the first, whose insert is the second's
// destination: the second op is moved down to its insert instead.
// CHECK-LABEL: func.func @peeled_producer
// CHECK: %[[ROOT:.*]] = tensor.empty() : tensor<2x4x4xf32>
// CHECK: %[[S0:.*]] = tensor.extract_slice %[[ROOT]][0, 0, 0] [1, 4, 4]
// CHECK: %[[S0C:.*]] = tensor.collapse_shape %[[S0]] {{\[\[}}0, 1], [2]] : tensor<1x4x4xf32> into tensor<4x4xf32>
// CHECK: %[[FULL:.*]] = scf.forall (%{{.*}}) in (3) shared_outs(%{{.*}} = %[[S0C]])
// CHECK: %[[LAST:.*]] = scf.forall (%{{.*}}) in (1) shared_outs(%{{.*}} = %[[FULL]])
// CHECK: %[[L3:.*]] = tensor.expand_shape %[[LAST]]
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[L3]] into %[[ROOT]][0, 0, 0]
// CHECK: %[[S1:.*]] = tensor.extract_slice %[[I0]][1, 0, 0] [1, 4, 4]
// CHECK: %[[S1C:.*]] = tensor.collapse_shape %[[S1]]
// CHECK: %[[B:.*]] = linalg.generic {{.*}} outs(%[[S1C]] : tensor<4x4xf32>)
// CHECK: %[[B3:.*]] = tensor.expand_shape %[[B]]
// CHECK: tensor.insert_slice %[[B3]] into %[[I0]][1, 0, 0]
// After bufferization, the loops' row copies are their own work; no
// whole 4x4 input is copied into the Concat.
// BUF-LABEL: func.func @peeled_producer
// BUF-NOT: memref.copy {{.*}}4x4xf32
// BUF: return
func.func @peeled_producer(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> tensor<2x4x4xf32> {
  %e3 = tensor.empty() : tensor<1x4x4xf32>
  %e = tensor.collapse_shape %e3 [[0, 1], [2]] : tensor<1x4x4xf32> into tensor<4x4xf32>
  %b = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x4xf32>
  %full = scf.forall (%i) in (3) shared_outs(%o = %e) -> (tensor<4x4xf32>) {
    %row = tensor.extract_slice %x[%i, 0] [1, 4] [1, 1] : tensor<4x4xf32> to tensor<1x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %row into %o[%i, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<4x4xf32>
    }
  }
  %last = scf.forall (%i) in (1) shared_outs(%o = %full) -> (tensor<4x4xf32>) {
    %row = tensor.extract_slice %x[3, 0] [1, 4] [1, 1] : tensor<4x4xf32> to tensor<1x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %row into %o[3, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<4x4xf32>
    }
  }
  %a3 = tensor.expand_shape %last [[0, 1], [2]] output_shape [1, 4, 4] : tensor<4x4xf32> into tensor<1x4x4xf32>
  %b3 = tensor.expand_shape %b [[0, 1], [2]] output_shape [1, 4, 4] : tensor<4x4xf32> into tensor<1x4x4xf32>
  %root = tensor.empty() : tensor<2x4x4xf32>
  %c0 = tensor.insert_slice %a3 into %root[0, 0, 0] [1, 4, 4] [1, 1, 1] : tensor<1x4x4xf32> into tensor<2x4x4xf32>
  %c1 = tensor.insert_slice %b3 into %c0[1, 0, 0] [1, 4, 4] [1, 1, 1] : tensor<1x4x4xf32> into tensor<2x4x4xf32>
  return %c1 : tensor<2x4x4xf32>
}
