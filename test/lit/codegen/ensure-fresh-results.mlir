// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-ensure-fresh-results),canonicalize)' --split-input-file | FileCheck %s

// A returned allocation is handed to the runtime as is; an argument is
// copied into a fresh one.
// CHECK-LABEL: func.func @alloc_and_argument
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>)
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[X]], %[[C]]
// CHECK: return %[[A]], %[[C]]
func.func @alloc_and_argument(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  return %a, %x : memref<4xf32>, memref<4xf32>
}

// -----

// A reshape of an allocation (a Conv's [n, g, m, p] product collapsed to
// NCHW): the buffer is allocated with the returned shape, the kernel
// writes it through the inverse reshape, and nothing is copied.
// CHECK-LABEL: func.func @reshaped
// CHECK: %[[R:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x2x2xf32>
// CHECK: %[[V:.*]] = memref.expand_shape %{{.*}} output_shape [1, 1, 8, 4]
// CHECK: linalg.fill ins(%{{.*}}) outs(%[[V]] : memref<1x1x8x4xf32>)
// CHECK-NOT: memref.copy
// CHECK: return %[[R]] : memref<1x8x2x2xf32>
func.func @reshaped() -> memref<1x8x2x2xf32> {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x1x8x4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<1x1x8x4xf32>)
  %e = memref.expand_shape %a [[0], [1], [2], [3, 4]] output_shape [1, 1, 8, 2, 2] : memref<1x1x8x4xf32> into memref<1x1x8x2x2xf32>
  %c = memref.collapse_shape %e [[0], [1, 2], [3], [4]] : memref<1x1x8x2x2xf32> into memref<1x8x2x2xf32>
  return %c : memref<1x8x2x2xf32>
}

// -----

// The same allocation returned whole and reshaped: the first result keeps
// it, the second is a copy.
// CHECK-LABEL: func.func @returned_twice
// CHECK: %[[A:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: memref.copy %{{.*}}, %[[C]]
// CHECK: return %[[A]], %[[C]]
func.func @returned_twice() -> (memref<8xf32>, memref<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>)
  %e = memref.expand_shape %a [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  return %a, %e : memref<8xf32>, memref<2x4xf32>
}

// -----

// A reshape of an argument is still copied.
// CHECK-LABEL: func.func @reshaped_argument
// CHECK: %[[C:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: memref.copy %{{.*}}, %[[C]]
// CHECK: return %[[C]]
func.func @reshaped_argument(%x: memref<8xf32>) -> memref<2x4xf32> {
  %e = memref.expand_shape %x [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  return %e : memref<2x4xf32>
}
