// RUN: onnxc-opt %s --onnxc-fold-batchnorm --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-fold-batchnorm=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// Parameters chosen so that s = scale / sqrt(var + eps) = [2, 1] and
// bias - mean * s = [0, -3]:
//   W' = W * s = [1*2, 3*1];  B' = B * s + (bias - mean * s) = [1, -2].
// CHECK-LABEL: func.func @conv_bn
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x4x4xf32>)
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<[1.000000e+00, -2.000000e+00]> : tensor<2xf32>}>
// CHECK: %[[Y:.*]] = "onnx.Conv"(%[[X]], %[[W]], %[[B]])
// CHECK-NOT: onnx.BatchNormalization
// CHECK: return %[[Y]]
func.func @conv_bn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "onnx.Constant"() {value = dense<[0.5, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = "onnx.Conv"(%x, %w, %b) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %scale = "onnx.Constant"() {value = dense<[4.0, 3.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %bias = "onnx.Constant"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %mean = "onnx.Constant"() {value = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %var = "onnx.Constant"() {value = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z, %rm, %rv = "onnx.BatchNormalization"(%y, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, none, none)
  return %z : tensor<1x2x4x4xf32>
}

// -----

// A Conv without bias and the opset 9-13 BatchNormalization, in f64: the
// bias becomes bias - mean * s.
// CHECK-LABEL: func.func @conv_nobias_bn_v9
// CHECK-DAG: "onnx.Constant"() <{value = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]]]]> : tensor<2x1x1x1xf64>}>
// CHECK-DAG: "onnx.Constant"() <{value = dense<[0.000000e+00, -3.000000e+00]> : tensor<2xf64>}>
// CHECK-NOT: onnx.BatchNormalization
func.func @conv_nobias_bn_v9(%x: tensor<1x1x4x4xf64>) -> tensor<1x2x4x4xf64> {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf64>} : () -> tensor<2x1x1x1xf64>
  %n = onnx.NoValue
  %y = "onnx.Conv"(%x, %w, %n) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf64>, tensor<2x1x1x1xf64>, none) -> tensor<1x2x4x4xf64>
  %scale = "onnx.Constant"() {value = dense<[4.0, 3.0]> : tensor<2xf64>} : () -> tensor<2xf64>
  %bias = "onnx.Constant"() {value = dense<[1.0, -1.0]> : tensor<2xf64>} : () -> tensor<2xf64>
  %mean = "onnx.Constant"() {value = dense<[0.5, 2.0]> : tensor<2xf64>} : () -> tensor<2xf64>
  %var = "onnx.Constant"() {value = dense<[3.0, 8.0]> : tensor<2xf64>} : () -> tensor<2xf64>
  %z, %a, %b, %c, %d = "onnx.BatchNormalization_v9"(%y, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2xf64>) -> (tensor<1x2x4x4xf64>, none, none, none, none)
  return %z : tensor<1x2x4x4xf64>
}

// -----

// Gemm with transB: B is [N, K], so row n of B scales by s[n]; beta * C
// goes into the new C (beta becomes 1): C' = 0.5 * 1 * s + [0, -3].
// CHECK-LABEL: func.func @gemm_transb_bn
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<{{\[\[}}2.000000e+00, 4.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<[1.000000e+00, -2.500000e+00]> : tensor<2xf32>}>
// CHECK: "onnx.Gemm"(%arg0, %[[B]], %[[C]]) <{alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, transA = 0 : i64, transB = 1 : i64}>
// CHECK-NOT: onnx.BatchNormalization
func.func @gemm_transb_bn(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %b = "onnx.Constant"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %c = "onnx.Constant"() {value = dense<[1.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = "onnx.Gemm"(%a, %b, %c) {beta = 0.5 : f32, transB = 1 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %scale = "onnx.Constant"() {value = dense<[4.0, 3.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %bias = "onnx.Constant"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %mean = "onnx.Constant"() {value = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %var = "onnx.Constant"() {value = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z, %rm, %rv = "onnx.BatchNormalization"(%y, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  return %z : tensor<3x2xf32>
}

// -----

// Gemm without transB: B is [K, N], so column n scales by s[n]. No C: the
// new C is bias - mean * s.
// CHECK-LABEL: func.func @gemm_bn
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<{{\[\[}}2.000000e+00, 2.000000e+00], [6.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>}>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<[0.000000e+00, -3.000000e+00]> : tensor<2xf32>}>
// CHECK: "onnx.Gemm"(%arg0, %[[B]], %[[C]])
// CHECK-NOT: onnx.BatchNormalization
func.func @gemm_bn(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %b = "onnx.Constant"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %n = onnx.NoValue
  %y = "onnx.Gemm"(%a, %b, %n) : (tensor<3x2xf32>, tensor<2x2xf32>, none) -> tensor<3x2xf32>
  %scale = "onnx.Constant"() {value = dense<[4.0, 3.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %bias = "onnx.Constant"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %mean = "onnx.Constant"() {value = dense<[0.5, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %var = "onnx.Constant"() {value = dense<[3.0, 8.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z, %rm, %rv = "onnx.BatchNormalization"(%y, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  return %z : tensor<3x2xf32>
}

// -----

// The Conv's result has a second user: folding would change what it sees.
// CHECK-LABEL: func.func @conv_two_users
// CHECK: onnx.Conv
// CHECK: onnx.BatchNormalization
func.func @conv_two_users(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %n = onnx.NoValue
  %y = "onnx.Conv"(%x, %w, %n) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %p = "onnx.Constant"() {value = dense<[1.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z, %rm, %rv = "onnx.BatchNormalization"(%y, %p, %p, %p, %p) : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, none, none)
  return %y, %z : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A mean known only at run time, weights known only at run time, and
// training mode: nothing folds.
// CHECK-LABEL: func.func @not_constant
// CHECK-COUNT-3: onnx.BatchNormalization
func.func @not_constant(%x: tensor<1x1x4x4xf32>, %mean: tensor<2xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %n = onnx.NoValue
  %p = "onnx.Constant"() {value = dense<[1.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y1 = "onnx.Conv"(%x, %w, %n) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %z1, %a1, %b1 = "onnx.BatchNormalization"(%y1, %p, %p, %mean, %p) : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, none, none)
  %y2 = "onnx.Conv"(%x, %wv, %n) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %z2, %a2, %b2 = "onnx.BatchNormalization"(%y2, %p, %p, %p, %p) : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, none, none)
  %y3 = "onnx.Conv"(%x, %w, %n) {kernel_shape = [1, 1]} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %z3, %a3, %b3 = "onnx.BatchNormalization"(%y3, %p, %p, %p, %p) {training_mode = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>)
  return %z1, %z2, %z3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A Gemm C that varies along the rows cannot become one value per column.
// CHECK-LABEL: func.func @gemm_row_bias
// CHECK: onnx.BatchNormalization
func.func @gemm_row_bias(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %b = "onnx.Constant"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %c = "onnx.Constant"() {value = dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>} : () -> tensor<3x1xf32>
  %y = "onnx.Gemm"(%a, %b, %c) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
  %p = "onnx.Constant"() {value = dense<[1.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z, %rm, %rv = "onnx.BatchNormalization"(%y, %p, %p, %p, %p) : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  return %z : tensor<3x2xf32>
}

// REPORT: remark: onnxc-fold-batchnorm: folded 1 BatchNormalization ops, removed 1 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 1 BatchNormalization ops, removed 1 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 1 BatchNormalization ops, removed 1 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 1 BatchNormalization ops, removed 1 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 0 BatchNormalization ops, removed 0 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 0 BatchNormalization ops, removed 0 onnx ops
// REPORT: remark: onnxc-fold-batchnorm: folded 0 BatchNormalization ops, removed 0 onnx ops
