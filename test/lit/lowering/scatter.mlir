// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// ScatterElements without reduction: a loop nest over the indices carrying
// the output; each update is stored (in range only) with tensor.insert.
// CHECK-LABEL: func.func @scatter_elements
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: arith.index_cast
// CHECK: arith.select
// CHECK: arith.cmpi ult
// CHECK: scf.if
// CHECK-NOT: arith.addf
// CHECK: tensor.insert
func.func @scatter_elements(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %0 = "onnx.ScatterElements"(%d, %i, %u) {axis = 1 : i64} : (tensor<3x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// Reduction "add" reads the old element and adds the update to it.
// CHECK-LABEL: func.func @scatter_elements_add
// CHECK: scf.for
// CHECK: scf.if
// CHECK: tensor.extract
// CHECK: arith.addf
// CHECK: tensor.insert
func.func @scatter_elements_add(%d: tensor<1x5xf32>, %i: tensor<1x2xi32>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %0 = "onnx.ScatterElements"(%d, %i, %u) {axis = -1 : i64, reduction = "add"} : (tensor<1x5xf32>, tensor<1x2xi32>, tensor<1x2xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

// Max over unsigned ints compares unsigned.
// CHECK-LABEL: func.func @scatter_elements_max_unsigned
// CHECK: arith.maxui
func.func @scatter_elements_max_unsigned(%d: tensor<4xui8>, %i: tensor<2xi64>, %u: tensor<2xui8>) -> tensor<4xui8> {
  %0 = "onnx.ScatterElements"(%d, %i, %u) {reduction = "max"} : (tensor<4xui8>, tensor<2xi64>, tensor<2xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// The deprecated Scatter shares the lowering.
// CHECK-LABEL: func.func @scatter_deprecated
// CHECK: scf.for
// CHECK: tensor.insert
func.func @scatter_deprecated(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %0 = "onnx.Scatter"(%d, %i, %u) : (tensor<3x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// ScatterND moves a whole slice per index tuple: one loop over the tuples.
// CHECK-LABEL: func.func @scatter_nd
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: scf.if
// CHECK: tensor.extract_slice {{.*}} : tensor<2x4x4xf32> to tensor<4x4xf32>
// CHECK: tensor.insert_slice {{.*}} : tensor<4x4xf32> into tensor<4x4x4xf32>
func.func @scatter_nd(%d: tensor<4x4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4x4xf32>) -> tensor<4x4x4xf32> {
  %0 = "onnx.ScatterND"(%d, %i, %u) : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
  return %0 : tensor<4x4x4xf32>
}

// -----

// Reduction "mul" folds the update slice into the data slice in place
// (the data slice is the generic's output), old value first.
// CHECK-LABEL: func.func @scatter_nd_mul
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %arg0)
// CHECK: %[[U:.*]] = tensor.extract_slice %arg2
// CHECK: %[[O:.*]] = tensor.extract_slice %[[ACC]]
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[U]] : tensor<3xi32>) outs(%[[O]] : tensor<3xi32>)
// CHECK: ^bb0(%[[IN:.*]]: i32, %[[OUT:.*]]: i32):
// CHECK: arith.muli %[[OUT]], %[[IN]]
// CHECK: tensor.insert_slice %[[R]] into %[[ACC]]
func.func @scatter_nd_mul(%d: tensor<4x3xi32>, %i: tensor<2x1xi64>, %u: tensor<2x3xi32>) -> tensor<4x3xi32> {
  %0 = "onnx.ScatterND"(%d, %i, %u) {reduction = "mul"} : (tensor<4x3xi32>, tensor<2x1xi64>, tensor<2x3xi32>) -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

// Full-rank tuples write single elements (0-d slices).
// CHECK-LABEL: func.func @scatter_nd_elements
// CHECK: tensor.insert_slice {{.*}} : tensor<f32> into tensor<2x3xf32>
func.func @scatter_nd_elements(%d: tensor<2x3xf32>, %i: tensor<4x2xi64>, %u: tensor<4xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.ScatterND_v11"(%d, %i, %u) : (tensor<2x3xf32>, tensor<4x2xi64>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// GatherND with a batch dim: a generic over the output reading the tuple
// from indices and the element from data.
// CHECK-LABEL: func.func @gather_nd_batch
// CHECK: linalg.generic
// CHECK: linalg.index
// CHECK: tensor.extract
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract
func.func @gather_nd_batch(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %0 = "onnx.GatherND"(%d, %i) {batch_dims = 1 : i64} : (tensor<2x2x2xi32>, tensor<2x1xi64>) -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// -----

// Dynamic shapes are refused.
func.func @scatter_nd_dynamic(%d: tensor<?x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.ScatterND'}}
  %0 = "onnx.ScatterND"(%d, %i, %u) : (tensor<?x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
