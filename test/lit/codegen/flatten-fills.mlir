// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-flatten-fills))' | FileCheck %s

// A fill of a whole contiguous buffer (a padded input) goes through a
// one-dim view of it.
// CHECK-LABEL: func.func @contiguous
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : memref<1x16x57x57xf32> into memref<51984xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[FLAT]] : memref<51984xf32>)
// CHECK-NOT: linalg.fill
func.func @contiguous(%buffer: memref<1x16x57x57xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%buffer : memref<1x16x57x57xf32>)
  return
}

// Left alone: a strided view (its rows are not consecutive), a dynamic
// shape, a buffer that is already one dim, and a tensor.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: collapse_shape
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg0 : memref<4x8xf32, strided<[16, 1]>>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg1 : memref<?x8xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2 : memref<32xf32>)
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg3 : tensor<4x8xf32>)
func.func @left_alone(%strided: memref<4x8xf32, strided<[16, 1]>>,
                      %dynamic: memref<?x8xf32>, %flat: memref<32xf32>,
                      %t: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%strided : memref<4x8xf32, strided<[16, 1]>>)
  linalg.fill ins(%one : f32) outs(%dynamic : memref<?x8xf32>)
  linalg.fill ins(%one : f32) outs(%flat : memref<32xf32>)
  %r = linalg.fill ins(%one : f32) outs(%t : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
