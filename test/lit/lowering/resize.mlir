// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Nearest, half_pixel, round_prefer_floor: coord = (o + 0.5) / scale - 0.5,
// rounded with ceil(coord - 0.5), clamped, then read.
// CHECK-LABEL: func.func @resize_nearest
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.ceil
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: tensor.extract
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Linear over two resized dims reads four corners.
// CHECK-LABEL: func.func @resize_linear
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract
func.func @resize_linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) {mode = "linear"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Cubic is not lowered yet.
func.func @resize_cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  // expected-error @+1 {{failed to legalize operation 'onnx.Resize'}}
  %0 = "onnx.Resize"(%x, %none, %scales, %none) {mode = "cubic"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
