// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// TopK with a constant K: a static output; per row, K picks of the best
// element after the previous one (value, then lower index).
// CHECK-LABEL: func.func @topk_constant_k
// CHECK: tensor.empty() : tensor<3x2xf32>
// CHECK: tensor.empty() : tensor<3x2xi64>
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (tensor<3x2xf32>, tensor<3x2xi64>, f32, index)
// CHECK: scf.for {{.*}} -> (f32, index)
// CHECK: tensor.extract %arg0
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: tensor.insert
// CHECK: arith.index_cast {{.*}} : index to i64
// CHECK: tensor.insert
func.func @topk_constant_k(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %k = "onnx.Constant"() {value = dense<[2]> : tensor<1xi64>} : () -> tensor<1xi64>
  %v, %i = "onnx.TopK"(%x, %k) {axis = -1 : i64} : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<3x2xf32>, tensor<3x2xi64>)
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}

// -----

// A run-time K (clamped to the axis size) gives a dynamic dim; smallest
// on ints compares with cmpi.
// CHECK-LABEL: func.func @topk_runtime_k
// CHECK: tensor.extract %arg1
// CHECK: arith.maxsi
// CHECK: %[[K:.*]] = arith.minsi
// CHECK: tensor.empty(%[[K]]) : tensor<?x4xi32>
// CHECK: tensor.empty(%[[K]]) : tensor<?x4xi64>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[K]]
// CHECK: arith.cmpi sgt
func.func @topk_runtime_k(%x: tensor<3x4xi32>, %k: tensor<1xi64>) -> (tensor<?x4xi32>, tensor<?x4xi64>) {
  %v, %i = "onnx.TopK"(%x, %k) {axis = 0 : i64, largest = 0 : i64} : (tensor<3x4xi32>, tensor<1xi64>) -> (tensor<?x4xi32>, tensor<?x4xi64>)
  return %v, %i : tensor<?x4xi32>, tensor<?x4xi64>
}

// -----

// TopK-1 takes K from its attribute.
// CHECK-LABEL: func.func @topk_v1
// CHECK: tensor.empty() : tensor<2x5xf32>
// CHECK: scf.for
func.func @topk_v1(%x: tensor<8x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xi64>) {
  %v, %i = "onnx.TopK_v1"(%x) {axis = 0 : i64, k = 2 : i64} : (tensor<8x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xi64>)
  return %v, %i : tensor<2x5xf32>, tensor<2x5xi64>
}

// -----

// No size along the axis, no lowering.
func.func @topk_dynamic_axis(%x: tensor<?xf32>) -> (tensor<2xf32>, tensor<2xi64>) {
  %k = "onnx.Constant"() {value = dense<[2]> : tensor<1xi64>} : () -> tensor<1xi64>
  // expected-error @+1 {{failed to legalize operation 'onnx.TopK'}}
  %v, %i = "onnx.TopK"(%x, %k) : (tensor<?xf32>, tensor<1xi64>) -> (tensor<2xf32>, tensor<2xi64>)
  return %v, %i : tensor<2xf32>, tensor<2xi64>
}

// -----

// NonZero: a counting loop, an allocation of that size, a filling loop
// carrying the tensor and the write position; cast to a declared shape.
// CHECK-LABEL: func.func @nonzero
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[N:.*]] = scf.for {{.*}} -> (index)
// CHECK: arith.cmpf une
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<2x?xi64>
// CHECK: %[[R:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[E]], %{{.*}} = %{{.*}}) -> (tensor<2x?xi64>, index)
// CHECK: scf.if
// CHECK: arith.remui
// CHECK: tensor.insert
// CHECK: tensor.cast %[[R]]#0 : tensor<2x?xi64> to tensor<2x3xi64>
func.func @nonzero(%x: tensor<2x3xf32>) -> tensor<2x3xi64> {
  %0 = "onnx.NonZero"(%x) : (tensor<2x3xf32>) -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// Compress along an axis copies whole slices; the condition is read as far
// as the shorter of it and the axis.
// CHECK-LABEL: func.func @compress_axis
// CHECK: %[[L:.*]] = arith.minui
// CHECK: %[[N:.*]] = scf.for %{{.*}} = %{{.*}} to %[[L]]
// CHECK: tensor.empty(%[[N]]) : tensor<3x?xf32>
// CHECK: scf.for
// CHECK: scf.if
// CHECK: tensor.extract_slice %arg0[0, %{{.*}}] [3, 1] [1, 1]
// CHECK: tensor.insert_slice
func.func @compress_axis(%x: tensor<3x4xf32>, %c: tensor<2xi1>) -> tensor<3x?xf32> {
  %0 = "onnx.Compress"(%x, %c) {axis = 1 : i64} : (tensor<3x4xf32>, tensor<2xi1>) -> tensor<3x?xf32>
  return %0 : tensor<3x?xf32>
}

// -----

// Without an axis the input is flattened.
// CHECK-LABEL: func.func @compress_flat
// CHECK: tensor.collapse_shape
// CHECK: tensor.empty(%{{.*}}) : tensor<?xi32>
func.func @compress_flat(%x: tensor<3x4xi32>, %c: tensor<12xi1>) -> tensor<?xi32> {
  %0 = "onnx.Compress"(%x, %c) : (tensor<3x4xi32>, tensor<12xi1>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// Unique: first occurrences, then output positions (and the count), then
// the four outputs at run-time size.
// CHECK-LABEL: func.func @unique_axis
// CHECK: tensor.empty() : tensor<3xindex>
// CHECK: scf.for
// CHECK: %[[P:.*]]:2 = scf.for {{.*}} -> (tensor<3xindex>, index)
// CHECK-DAG: tensor.empty(%[[P]]#1) : tensor<2x?xf32>
// CHECK-DAG: tensor.empty(%[[P]]#1) : tensor<?xi64>
// CHECK-DAG: tensor.empty() : tensor<3xi64>
// CHECK-DAG: linalg.fill
// CHECK: scf.for
// CHECK: tensor.extract_slice %arg0[0, %{{.*}}] [2, 1] [1, 1]
// CHECK: tensor.insert_slice
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x?xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
func.func @unique_axis(%x: tensor<2x3xf32>) -> (tensor<2x?xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>) {
  %y, %i, %v, %c = "onnx.Unique"(%x) {axis = -1 : i64} : (tensor<2x3xf32>) -> (tensor<2x?xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>)
  return %y, %i, %v, %c : tensor<2x?xf32>, tensor<?xi64>, tensor<3xi64>, tensor<?xi64>
}

// -----

// NonMaxSuppression fills a [B*C*N, 3] scratch tensor and returns its
// first rows; IoU from corner coordinates.
// CHECK-LABEL: func.func @nms
// CHECK: tensor.empty() : tensor<12x3xi64>
// CHECK: tensor.empty() : tensor<6xindex>
// CHECK: %[[R:.*]]:3 = scf.for
// CHECK: arith.cmpf ogt
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.divf
// CHECK: tensor.extract_slice %[[R]]#0[0, 0] [%[[R]]#1, 3] [1, 1] : tensor<12x3xi64> to tensor<?x3xi64>
func.func @nms(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>, %t: tensor<1xf32>, %st: tensor<1xf32>) -> tensor<?x3xi64> {
  %0 = "onnx.NonMaxSuppression"(%b, %s, %m, %t, %st) : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}

// -----

// center_point_box is 0 or 1.
func.func @nms_bad_box_format(%b: tensor<1x6x4xf32>, %s: tensor<1x1x6xf32>) -> tensor<?x3xi64> {
  %none = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.NonMaxSuppression'}}
  %0 = "onnx.NonMaxSuppression"(%b, %s, %none, %none, %none) {center_point_box = 2 : i64} : (tensor<1x6x4xf32>, tensor<1x1x6xf32>, none, none, none) -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}
