// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Batch matmul: output letters b, i, k are parallel loops, the summed j
// comes last as a reduction; the output starts at zero.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @einsum_batch_matmul
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @einsum_batch_matmul(%a: tensor<5x2x3xf64>, %b: tensor<5x3x4xf64>) -> tensor<5x2x4xf64> {
  %0 = "onnx.Einsum"(%a, %b) {equation = "bij, bjk -> bik"} : (tensor<5x2x3xf64>, tensor<5x3x4xf64>) -> tensor<5x2x4xf64>
  return %0 : tensor<5x2x4xf64>
}

// -----

// A repeated letter reads a diagonal: the map names the loop twice.
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-LABEL: func.func @einsum_batch_diagonal
// CHECK: linalg.generic {indexing_maps = [#[[DIAG]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
func.func @einsum_batch_diagonal(%a: tensor<3x5x5xf32>) -> tensor<3x5xf32> {
  %0 = "onnx.Einsum"(%a) {equation = "...ii ->...i"} : (tensor<3x5x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Implicit output: "i" appears twice, so the output is a scalar; integers
// multiply and add with arith.muli/addi.
// CHECK-LABEL: func.func @einsum_inner_prod_int
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK: arith.muli
// CHECK: arith.addi
func.func @einsum_inner_prod_int(%a: tensor<5xi32>, %b: tensor<5xi32>) -> tensor<i32> {
  %0 = "onnx.Einsum"(%a, %b) {equation = "i,i"} : (tensor<5xi32>, tensor<5xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Ellipsis dims broadcast: the size-1 batch dim of the first operand is
// read at index 0. Implicit output: "...", then i and k in letter order.
// CHECK-DAG: #[[BCAST:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d3)>
// CHECK-LABEL: func.func @einsum_ellipsis_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]],
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @einsum_ellipsis_broadcast(%a: tensor<1x2x3xf32>, %b: tensor<4x3x2xf32>) -> tensor<4x2x2xf32> {
  %0 = "onnx.Einsum"(%a, %b) {equation = "...ij,...jk"} : (tensor<1x2x3xf32>, tensor<4x3x2xf32>) -> tensor<4x2x2xf32>
  return %0 : tensor<4x2x2xf32>
}

// -----

// Transpose: all loops parallel, the output map permutes.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @einsum_transpose
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel"]}
func.func @einsum_transpose(%a: tensor<3x4xf32>) -> tensor<4x3xf32> {
  %0 = "onnx.Einsum"(%a) {equation = "ij->ji"} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Dynamic shapes are refused: letter sizes are checked at compile time.
func.func @einsum_dynamic(%a: tensor<?x4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.Einsum'}}
  %0 = "onnx.Einsum"(%a) {equation = "ij->i"} : (tensor<?x4xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Letters of different sizes are refused.
func.func @einsum_size_mismatch(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.Einsum'}}
  %0 = "onnx.Einsum"(%a, %b) {equation = "i,i->"} : (tensor<3xf32>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// An explicit output that drops the ellipsis dims is refused (numpy, the
// reference, refuses it too).
func.func @einsum_output_drops_ellipsis(%a: tensor<2x3x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.Einsum'}}
  %0 = "onnx.Einsum"(%a) {equation = "...i->i"} : (tensor<2x3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
