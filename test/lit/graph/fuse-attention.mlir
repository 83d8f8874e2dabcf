// RUN: onnxc-opt %s --onnxc-fuse-attention --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-fuse-attention=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// The usual export: scores Div by sqrt(d), an additive mask, Softmax over
// the last axis, MatMul by V; K is transposed by the graph.
// CHECK-LABEL: func.func @attention_div_mask
// CHECK: %[[KT:.*]] = "onnx.Transpose"(%arg1)
// CHECK: %[[Y:.*]] = "onnx.onnxc.Attention"(%arg0, %[[KT]], %arg2, %arg3) <{scale = 1.250000e-01 : f64}> : (tensor<2x4x8x64xf32>, tensor<2x4x64x8xf32>, tensor<2x4x8x64xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x64xf32>
// CHECK-NOT: onnx.Softmax
// CHECK-NOT: onnx.MatMul
// CHECK: return %[[Y]]
// REPORT: onnxc-fuse-attention: 1 Attention; removed 4 onnx ops
func.func @attention_div_mask(%q: tensor<2x4x8x64xf32>, %k: tensor<2x4x8x64xf32>, %v: tensor<2x4x8x64xf32>, %mask: tensor<2x1x1x8xf32>) -> tensor<2x4x8x64xf32> {
  %kt = "onnx.Transpose"(%k) {perm = [0, 1, 3, 2]} : (tensor<2x4x8x64xf32>) -> tensor<2x4x64x8xf32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<2x4x8x64xf32>, tensor<2x4x64x8xf32>) -> tensor<2x4x8x8xf32>
  %c = "onnx.Constant"() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%s, %c) : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %m = "onnx.Add"(%mask, %d) : (tensor<2x1x1x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %p = "onnx.Softmax"(%m) {axis = -1 : i64} : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<2x4x8x8xf32>, tensor<2x4x8x64xf32>) -> tensor<2x4x8x64xf32>
  return %y : tensor<2x4x8x64xf32>
}

// -----

// torch's nn.MultiheadAttention: Q scaled before the product, no mask.
// CHECK-LABEL: func.func @attention_scaled_q
// CHECK: "onnx.onnxc.Attention"(%arg0, %arg1, %arg2, %{{.*}}) <{scale = 1.250000e-01 : f64}>
// CHECK-NOT: onnx.Div
// REPORT: 1 Attention; removed 3 onnx ops
func.func @attention_scaled_q(%q: tensor<12x16x64xf32>, %kt: tensor<12x64x16xf32>, %v: tensor<12x16x64xf32>) -> tensor<12x16x64xf32> {
  %c = "onnx.Constant"() {value = dense<8.0> : tensor<f32>} : () -> tensor<f32>
  %qs = "onnx.Div"(%q, %c) : (tensor<12x16x64xf32>, tensor<f32>) -> tensor<12x16x64xf32>
  %s = "onnx.MatMul"(%qs, %kt) : (tensor<12x16x64xf32>, tensor<12x64x16xf32>) -> tensor<12x16x16xf32>
  %p = "onnx.Softmax"(%s) {axis = 2 : i64} : (tensor<12x16x16xf32>) -> tensor<12x16x16xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<12x16x16xf32>, tensor<12x16x64xf32>) -> tensor<12x16x64xf32>
  return %y : tensor<12x16x64xf32>
}

// -----

// Negative: the attention probabilities are returned too.
// CHECK-LABEL: func.func @probs_returned
// CHECK-NOT: onnx.onnxc.Attention
// REPORT: 0 Attention; removed 0 onnx ops
func.func @probs_returned(%q: tensor<4x8x16xf32>, %kt: tensor<4x16x8xf32>, %v: tensor<4x8x16xf32>) -> (tensor<4x8x16xf32>, tensor<4x8x8xf32>) {
  %s = "onnx.MatMul"(%q, %kt) : (tensor<4x8x16xf32>, tensor<4x16x8xf32>) -> tensor<4x8x8xf32>
  %c = "onnx.Constant"() {value = dense<0.25> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Mul"(%s, %c) : (tensor<4x8x8xf32>, tensor<f32>) -> tensor<4x8x8xf32>
  %p = "onnx.Softmax"(%d) : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<4x8x8xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %y, %p : tensor<4x8x16xf32>, tensor<4x8x8xf32>
}

// -----

// Negative: Softmax over another axis than the last; V broadcast over the
// batch (batch dims differ); a scale that is not a constant.
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT: onnx.onnxc.Attention
// REPORT: 0 Attention; removed 0 onnx ops
func.func @not_attention(%q: tensor<4x8x16xf32>, %kt: tensor<4x16x8xf32>, %v: tensor<4x8x16xf32>, %v1: tensor<1x8x16xf32>, %sc: tensor<f32>) -> (tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>) {
  %s = "onnx.MatMul"(%q, %kt) : (tensor<4x8x16xf32>, tensor<4x16x8xf32>) -> tensor<4x8x8xf32>
  %p = "onnx.Softmax"(%s) {axis = 1 : i64} : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<4x8x8xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %s2 = "onnx.MatMul"(%q, %kt) : (tensor<4x8x16xf32>, tensor<4x16x8xf32>) -> tensor<4x8x8xf32>
  %p2 = "onnx.Softmax"(%s2) : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %y2 = "onnx.MatMul"(%p2, %v1) : (tensor<4x8x8xf32>, tensor<1x8x16xf32>) -> tensor<4x8x16xf32>
  %s3 = "onnx.MatMul"(%q, %kt) : (tensor<4x8x16xf32>, tensor<4x16x8xf32>) -> tensor<4x8x8xf32>
  %d3 = "onnx.Div"(%s3, %sc) : (tensor<4x8x8xf32>, tensor<f32>) -> tensor<4x8x8xf32>
  %p3 = "onnx.Softmax"(%d3) : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %y3 = "onnx.MatMul"(%p3, %v) : (tensor<4x8x8xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %y, %y2, %y3 : tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>
}
