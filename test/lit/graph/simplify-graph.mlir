// RUN: onnxc-opt %s --onnxc-simplify-graph --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-simplify-graph=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// Identity, a Cast to the same type, a Reshape to the same static shape and
// an identity Transpose all disappear.
// CHECK-LABEL: func.func @no_ops
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: onnx.Identity
// CHECK-NOT: onnx.Cast
// CHECK-NOT: onnx.Reshape
// CHECK-NOT: onnx.Transpose
// CHECK: return %[[X]]
func.func @no_ops(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Identity"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "onnx.Cast"(%0) {to = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = "onnx.Constant"() {value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
  %2 = "onnx.Reshape"(%1, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %3 = "onnx.Transpose"(%2) {perm = [0, 1]} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// -----

// A Cast that changes the type, a Reshape that changes the shape and a
// Transpose that moves dims stay.
// CHECK-LABEL: func.func @real_ops
// CHECK: onnx.Cast
// CHECK: onnx.Reshape
// CHECK: onnx.Transpose
func.func @real_ops(%x: tensor<2x3xf32>) -> tensor<3x2xf16> {
  %0 = "onnx.Cast"(%x) {to = 10 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %s = "onnx.Constant"() {value = dense<[3, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %1 = "onnx.Reshape"(%0, %s) : (tensor<2x3xf16>, tensor<2xi64>) -> tensor<3x2xf16>
  %2 = "onnx.Transpose"(%1) {perm = [1, 0]} : (tensor<3x2xf16>) -> tensor<2x3xf16>
  %3 = "onnx.Transpose"(%2) {perm = [1, 0]} : (tensor<2x3xf16>) -> tensor<3x2xf16>
  return %3 : tensor<3x2xf16>
}

// -----

// A Reshape of a dynamically shaped tensor may change the run-time shape
// even when the printed types agree; a Transpose without perm reverses.
// CHECK-LABEL: func.func @dynamic_reshape
// CHECK: onnx.Reshape
// CHECK: onnx.Transpose
func.func @dynamic_reshape(%x: tensor<?x?xf32>, %s: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = "onnx.Reshape"(%x, %s) : (tensor<?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %1 = "onnx.Transpose"(%0) : (tensor<?x?xf32>) -> tensor<?x?xf32>
  return %1 : tensor<?x?xf32>
}

// -----

// Dropout without training_mode: the data goes through; its used mask
// becomes an all-true constant.
// CHECK-LABEL: func.func @dropout_inference
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: onnx.Dropout
// CHECK: %[[M:.*]] = "onnx.Constant"() <{value = dense<true> : tensor<2x3xi1>}>
// CHECK: return %[[X]], %[[M]]
func.func @dropout_inference(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %n = onnx.NoValue
  %r = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y, %m = "onnx.Dropout"(%x, %r, %n) : (tensor<2x3xf32>, tensor<f32>, none) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  return %y, %m : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// training_mode = false, as a constant: also inference.
// CHECK-LABEL: func.func @dropout_training_false
// CHECK-NOT: onnx.Dropout
// CHECK: return %arg0
func.func @dropout_training_false(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Constant"() {value = dense<false> : tensor<i1>} : () -> tensor<i1>
  %y, %m = "onnx.Dropout"(%x, %r, %t) : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> (tensor<4xf32>, none)
  return %y : tensor<4xf32>
}

// -----

// training_mode true, or known only at run time: the Dropout stays.
// CHECK-LABEL: func.func @dropout_training
// CHECK: "onnx.Dropout"
// CHECK: "onnx.Dropout"
func.func @dropout_training(%x: tensor<4xf32>, %t: tensor<i1>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %on = "onnx.Constant"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  %y, %m = "onnx.Dropout"(%x, %r, %on) : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> (tensor<4xf32>, none)
  %z, %m2 = "onnx.Dropout"(%x, %r, %t) : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> (tensor<4xf32>, none)
  return %y, %z : tensor<4xf32>, tensor<4xf32>
}

// -----

// Opset 7-11 Dropout goes when its mask is unused, stays when it is used.
// CHECK-LABEL: func.func @old_dropout
// CHECK-COUNT-1: "onnx.Dropout_v7"
// CHECK-NOT: "onnx.Dropout_v7"
func.func @old_dropout(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi1>) {
  %y, %m = "onnx.Dropout_v7"(%x) {ratio = 0.5 : f32} : (tensor<4xf32>) -> (tensor<4xf32>, none)
  %z, %m2 = "onnx.Dropout_v7"(%x) {ratio = 0.5 : f32} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>)
  return %y, %z, %m2 : tensor<4xf32>, tensor<4xf32>, tensor<4xi1>
}

// The remark counts the onnx ops (not constants) each function lost.
// REPORT: remark: onnxc-simplify-graph: removed 4 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 0 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 0 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 1 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 1 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 0 onnx ops
// REPORT: remark: onnxc-simplify-graph: removed 1 onnx ops
