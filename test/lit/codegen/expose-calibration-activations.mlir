// RUN: onnxc-opt %s --onnxc-expose-calibration-activations --split-input-file --verify-diagnostics | FileCheck %s

// The calibration variant of a two-layer MLP: the activations of the Gemm
// (the graph input itself) and of the MatMul (the Relu's result) become
// extra results named onnxc_calibration_<i>, in program order, after the
// model's own. The MatMul by a run-time B, which static quantization
// leaves in f32, is not calibrated.
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: -> (tensor<?x3xf32> {onnx.name = "y"}, tensor<?x2xf32> {onnx.name = "z"}, tensor<?x4xf32> {onnx.name = "onnxc_calibration_0"}, tensor<?x3xf32> {onnx.name = "onnxc_calibration_1"})
// CHECK: %[[H:.*]] = "onnx.Gemm"
// CHECK: %[[R:.*]] = "onnx.Relu"(%[[H]])
// CHECK: %[[Y:.*]] = "onnx.MatMul"(%[[R]]
// CHECK: %[[Z:.*]] = "onnx.MatMul"(%arg0, %arg1)
// CHECK: return %[[Y]], %[[Z]], %arg0, %[[R]] :
func.func @main_graph(%x: tensor<?x4xf32> {onnx.name = "x"}, %b: tensor<4x2xf32> {onnx.name = "b"}) -> (tensor<?x3xf32> {onnx.name = "y"}, tensor<?x2xf32> {onnx.name = "z"}) {
  %w1 = "onnx.Constant"() {value = dense<1.0> : tensor<3x4xf32>} : () -> tensor<3x4xf32>
  %none = onnx.NoValue
  %h = "onnx.Gemm"(%x, %w1, %none) {alpha = 1.0 : f32, beta = 1.0 : f32, transA = 0 : i64, transB = 1 : i64} : (tensor<?x4xf32>, tensor<3x4xf32>, none) -> tensor<?x3xf32>
  %r = "onnx.Relu"(%h) : (tensor<?x3xf32>) -> tensor<?x3xf32>
  %w2 = "onnx.Constant"() {value = dense<0.5> : tensor<3x3xf32>} : () -> tensor<3x3xf32>
  %y = "onnx.MatMul"(%r, %w2) : (tensor<?x3xf32>, tensor<3x3xf32>) -> tensor<?x3xf32>
  %z = "onnx.MatMul"(%x, %b) : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %y, %z : tensor<?x3xf32>, tensor<?x2xf32>
}

// -----

// A smoothed activation (LayerNormalization with constant gamma and beta
// before the MatMul) is exposed as the integer product will see it: times
// 1 / s_k.
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: tensor<3x2xf32> {onnx.name = "onnxc_calibration_0"}
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"
// CHECK: %[[M:.*]] = "onnx.MatMul"(%[[Y]]
// CHECK: %[[INV:.*]] = "onnx.Constant"() <{value = dense<[1.41421354, 5.000000e-01]> : tensor<2xf32>}>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[Y]], %[[INV]])
// CHECK: return %[[M]], %[[A]] :
func.func @main_graph(%x: tensor<3x2xf32> {onnx.name = "x"}) -> (tensor<3x2xf32> {onnx.name = "y"}) {
  %g = "onnx.Constant"() {value = dense<[1.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %b = "onnx.Constant"() {value = dense<[0.0, 0.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y, %m, %s = "onnx.LayerNormalization"(%x, %g, %b) {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  %w = "onnx.Constant"() {value = dense<[[1.0, 2.0], [1.0, 1.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%y, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// expected-error @+1 {{no main_graph to calibrate}}
module {
  func.func @other(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

// A Conv's input is exposed as it is; a grouped Conv (left in f32) is not.
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: -> (tensor<1x2x3x3xf32> {onnx.name = "y"}, tensor<1x2x3x3xf32> {onnx.name = "onnxc_calibration_0"})
// CHECK: %[[D:.*]] = "onnx.Conv"(%arg0
// CHECK: %[[Y:.*]] = "onnx.Conv"(%[[D]]
// CHECK: return %[[Y]], %[[D]] :
func.func @main_graph(%x: tensor<1x2x3x3xf32> {onnx.name = "x"}) -> (tensor<1x2x3x3xf32> {onnx.name = "y"}) {
  %dw = "onnx.Constant"() {value = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %w = "onnx.Constant"() {value = dense<0.5> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %none = onnx.NoValue
  %d = "onnx.Conv"(%x, %dw, %none) {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %y = "onnx.Conv"(%d, %w, %none) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}
