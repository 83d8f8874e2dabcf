// RUN: onnxc-opt %s --onnxc-recognize-decomposed-ops --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-recognize-decomposed-ops=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// PyTorch's export of nn.GELU() before opset 20:
// Mul(Mul(x, Add(Erf(Div(x, 1.41421)), 1)), 0.5).
// CHECK-LABEL: func.func @gelu_erf_torch
// CHECK: %[[Y:.*]] = "onnx.onnxc.Gelu"(%arg0) <{approximate = "none"}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NOT: onnx.Erf
// CHECK-NOT: onnx.Mul
// CHECK: return %[[Y]]
// REPORT: 0 LayerNormalization, 0 Softmax, 0 LogSoftmax, 1 Gelu; removed 4 onnx ops
func.func @gelu_erf_torch(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %s = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %e = "onnx.Erf"(%d) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%p, %half) : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Mul by 1/sqrt 2 instead of Div, 1 + erf, and the half product
// (0.5 * x) computed on its own: still one Gelu.
// CHECK-LABEL: func.func @gelu_erf_mul_half_first
// CHECK: "onnx.onnxc.Gelu"(%arg0) <{approximate = "none"}>
// CHECK-NOT: onnx.Erf
// REPORT: 1 Gelu; removed 4 onnx ops
func.func @gelu_erf_mul_half_first(%x: tensor<4xf64>) -> tensor<4xf64> {
  %s = "onnx.Constant"() {value = dense<0.70710678118654757> : tensor<1xf64>} : () -> tensor<1xf64>
  %d = "onnx.Mul"(%s, %x) : (tensor<1xf64>, tensor<4xf64>) -> tensor<4xf64>
  %e = "onnx.Erf"(%d) : (tensor<4xf64>) -> tensor<4xf64>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f64>} : () -> tensor<f64>
  %t = "onnx.Add"(%one, %e) : (tensor<f64>, tensor<4xf64>) -> tensor<4xf64>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f64>} : () -> tensor<f64>
  %h = "onnx.Mul"(%half, %x) : (tensor<f64>, tensor<4xf64>) -> tensor<4xf64>
  %y = "onnx.Mul"(%h, %t) : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xf64>
  return %y : tensor<4xf64>
}

// -----

// (t * 0.5) * x.
// CHECK-LABEL: func.func @gelu_erf_half_then_x
// CHECK: "onnx.onnxc.Gelu"(%arg0) <{approximate = "none"}>
// CHECK-NOT: onnx.Mul
func.func @gelu_erf_half_then_x(%x: tensor<3xf32>) -> tensor<3xf32> {
  %s = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e = "onnx.Erf"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %p = "onnx.Mul"(%t, %half) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %y = "onnx.Mul"(%p, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// PyTorch's export of GELU(approximate="tanh"):
// 0.5 * (x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x * (x * x))))).
// CHECK-LABEL: func.func @gelu_tanh_torch
// CHECK: "onnx.onnxc.Gelu"(%arg0) <{approximate = "tanh"}>
// CHECK-NOT: onnx.Tanh
// CHECK-NOT: onnx.Mul
// REPORT: 1 Gelu; removed 8 onnx ops
func.func @gelu_tanh_torch(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sq = "onnx.Mul"(%x, %x) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %cube = "onnx.Mul"(%x, %sq) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %k = "onnx.Constant"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %kc = "onnx.Mul"(%k, %cube) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %sum = "onnx.Add"(%x, %kc) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %b = "onnx.Constant"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %in = "onnx.Mul"(%b, %sum) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %th = "onnx.Tanh"(%in) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%one, %th) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%half, %p) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// HuggingFace's NewGELU: x^3 as Pow(x, 3), operands in the other order.
// CHECK-LABEL: func.func @gelu_tanh_pow
// CHECK: "onnx.onnxc.Gelu"(%arg0) <{approximate = "tanh"}>
// CHECK-NOT: onnx.Pow
func.func @gelu_tanh_pow(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = "onnx.Constant"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %cube = "onnx.Pow"(%x, %three) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %k = "onnx.Constant"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %kc = "onnx.Mul"(%cube, %k) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %sum = "onnx.Add"(%kc, %x) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %b = "onnx.Constant"() {value = dense<0.7978845608> : tensor<f32>} : () -> tensor<f32>
  %in = "onnx.Mul"(%sum, %b) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %th = "onnx.Tanh"(%in) : (tensor<8xf32>) -> tensor<8xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%th, %one) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %h = "onnx.Mul"(%x, %half) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = "onnx.Mul"(%h, %t) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// Negative: the Erf result has another user; nothing changes.
// CHECK-LABEL: func.func @gelu_erf_shared
// CHECK-NOT: onnx.onnxc.Gelu
// CHECK: onnx.Erf
// REPORT: 0 Gelu; removed 0 onnx ops
func.func @gelu_erf_shared(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %s = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e = "onnx.Erf"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%p, %half) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %y, %e : tensor<3xf32>, tensor<3xf32>
}

// -----

// Negative: the inner product x * (1 + erf) is also returned.
// CHECK-LABEL: func.func @gelu_erf_product_shared
// CHECK-NOT: onnx.onnxc.Gelu
// REPORT: 0 Gelu; removed 0 onnx ops
func.func @gelu_erf_product_shared(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %s = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e = "onnx.Erf"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%p, %half) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %y, %p : tensor<3xf32>, tensor<3xf32>
}

// -----

// Negative: wrong constants (Div by 2, and 0.5 replaced by 0.25) are not
// GELU.
// CHECK-LABEL: func.func @gelu_wrong_constants
// CHECK-NOT: onnx.onnxc.Gelu
// REPORT: 0 Gelu; removed 0 onnx ops
func.func @gelu_wrong_constants(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %s = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e = "onnx.Erf"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%p, %half) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %s2 = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d2 = "onnx.Div"(%x, %s2) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e2 = "onnx.Erf"(%d2) : (tensor<3xf32>) -> tensor<3xf32>
  %t2 = "onnx.Add"(%e2, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %p2 = "onnx.Mul"(%x, %t2) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %q = "onnx.Constant"() {value = dense<0.25> : tensor<f32>} : () -> tensor<f32>
  %y2 = "onnx.Mul"(%p2, %q) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %y, %y2 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Negative: the 0.5 constant broadcasts x to a larger shape, so the chain's
// result is not of x's type.
// CHECK-LABEL: func.func @gelu_broadcasting
// CHECK-NOT: onnx.onnxc.Gelu
func.func @gelu_broadcasting(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %s = "onnx.Constant"() {value = dense<1.41421354> : tensor<f32>} : () -> tensor<f32>
  %d = "onnx.Div"(%x, %s) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %e = "onnx.Erf"(%d) : (tensor<3xf32>) -> tensor<3xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%e, %one) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<2x1xf32>} : () -> tensor<2x1xf32>
  %y = "onnx.Mul"(%p, %half) : (tensor<3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Negative: a tanh chain whose cube is x * x * y of another value.
// CHECK-LABEL: func.func @gelu_tanh_not_cube
// CHECK-NOT: onnx.onnxc.Gelu
func.func @gelu_tanh_not_cube(%x: tensor<8xf32>, %z: tensor<8xf32>) -> tensor<8xf32> {
  %sq = "onnx.Mul"(%x, %x) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %cube = "onnx.Mul"(%z, %sq) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %k = "onnx.Constant"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %kc = "onnx.Mul"(%k, %cube) : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %sum = "onnx.Add"(%x, %kc) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %b = "onnx.Constant"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %in = "onnx.Mul"(%b, %sum) : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %th = "onnx.Tanh"(%in) : (tensor<8xf32>) -> tensor<8xf32>
  %one = "onnx.Constant"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Add"(%one, %th) : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %p = "onnx.Mul"(%x, %t) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %half = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Mul"(%half, %p) : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
