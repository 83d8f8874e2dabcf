// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Softmax-13 reduces over its one axis: max, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax_axis1
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax_axis1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax"(%x) {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Softmax before opset 13 coerces to 2-D at `axis`: every dim from it on is
// reduced.
// CHECK-LABEL: func.func @softmax_v1_coerced
// CHECK: iterator_types = ["parallel", "reduction", "reduction"]
func.func @softmax_v1_coerced(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Softmax_v1"(%x) {axis = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// ReduceMean with keepdims: reduce, divide by the count, expand back.
// CHECK-LABEL: func.func @reduce_mean_keepdims
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.constant 4.000000e+00 : f32
// CHECK: arith.divf
// CHECK: tensor.expand_shape {{.*}} into tensor<3x1xf32>
func.func @reduce_mean_keepdims(%x: tensor<3x4xf32>) -> tensor<3x1xf32> {
  %0 = "onnx.ReduceMean"(%x) {axes = [1], keepdims = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return %0 : tensor<3x1xf32>
}
