// RUN: onnxc-opt %s --onnxc-fuse-contractions --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-fuse-contractions=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// Conv + bias, residual Add, Relu: one FusedConv with the residual as Z.
// CHECK-LABEL: func.func @conv_residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<4x4x3x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[Z:.*]]: tensor<1x4x6x6xf32>)
// CHECK: %[[Y:.*]] = "onnx.onnxc.FusedConv"(%[[X]], %[[W]], %[[B]], %[[Z]]) <{activation = "Relu", activation_params = [], auto_pad = "NOTSET", group = 1 : i64, kernel_shape = [3, 3], pads = [1, 1, 1, 1]}>
// CHECK-NOT: onnx.Add
// CHECK-NOT: onnx.Relu
// CHECK: return %[[Y]]
// REPORT: onnxc-fuse-contractions: 1 activations and 1 bias/residual adds fused; 1 fused contractions; removed 2 onnx ops
func.func @conv_residual_relu(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %z: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %c = "onnx.Conv"(%x, %w, %b) {kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %a = "onnx.Add"(%z, %c) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %y = "onnx.Relu"(%a) : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// Clip with constant bounds (ReLU6) after a Conv without bias; HardSigmoid
// after a Gemm keeps its alpha and beta.
// CHECK-LABEL: func.func @conv_clip_gemm_hardsigmoid
// CHECK: "onnx.onnxc.FusedConv"(%arg0, %arg1, %{{.*}}, %{{.*}}) <{activation = "Clip", activation_params = [0.000000e+00 : f32, 6.000000e+00 : f32], auto_pad = "NOTSET", group = 4 : i64}>
// CHECK: "onnx.onnxc.FusedGemm"(%arg2, %arg3, %{{.*}}) <{activation = "HardSigmoid", activation_params = [2.500000e-01 : f32, 5.000000e-01 : f32], alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, transA = 0 : i64, transB = 1 : i64}>
// CHECK-NOT: onnx.Clip
// REPORT: 2 activations and 0 bias/residual adds fused; 2 fused contractions
func.func @conv_clip_gemm_hardsigmoid(%x: tensor<1x4x6x6xf32>, %w: tensor<4x1x1x1xf32>, %a: tensor<2x3xf32>, %bt: tensor<5x3xf32>) -> (tensor<1x4x6x6xf32>, tensor<2x5xf32>) {
  %none = onnx.NoValue
  %c = "onnx.Conv"(%x, %w, %none) {group = 4 : i64} : (tensor<1x4x6x6xf32>, tensor<4x1x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  %lo = "onnx.Constant"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %hi = "onnx.Constant"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  %y = "onnx.Clip"(%c, %lo, %hi) : (tensor<1x4x6x6xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %g = "onnx.Gemm"(%a, %bt, %none) {transB = 1 : i64} : (tensor<2x3xf32>, tensor<5x3xf32>, none) -> tensor<2x5xf32>
  %h = "onnx.HardSigmoid"(%g) {alpha = 0.25 : f32} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %y, %h : tensor<1x4x6x6xf32>, tensor<2x5xf32>
}

// -----

// MatMul + bias + GELU (BERT's intermediate layer): one FusedMatMul.
// CHECK-LABEL: func.func @matmul_bias_gelu
// CHECK: %[[Y:.*]] = "onnx.onnxc.FusedMatMul"(%arg0, %arg1, %arg2) <{activation = "Gelu", activation_params = []}> : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
// CHECK-NOT: onnx.MatMul
// CHECK-NOT: onnx.onnxc.Gelu
// CHECK: return %[[Y]]
// REPORT: 1 activations and 1 bias/residual adds fused; 1 fused contractions; removed 2 onnx ops
func.func @matmul_bias_gelu(%x: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %m = "onnx.MatMul"(%x, %w) : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  %a = "onnx.Add"(%m, %b) : (tensor<2x4x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
  %y = "onnx.onnxc.Gelu"(%a) : (tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// Negative: the Conv result is also returned, so neither the Add nor the
// Relu is fused (the plain Conv would still be needed).
// CHECK-LABEL: func.func @conv_shared
// CHECK: "onnx.Conv"
// CHECK: "onnx.Add"
// CHECK: "onnx.Relu"
// CHECK-NOT: onnx.onnxc
// REPORT: 0 activations and 0 bias/residual adds fused; 0 fused contractions; removed 0 onnx ops
func.func @conv_shared(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>, %z: tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %none = onnx.NoValue
  %c = "onnx.Conv"(%x, %w, %none) : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  %a = "onnx.Add"(%c, %z) : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %y = "onnx.Relu"(%a) : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %y, %c : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

// Negative: the residual of a Conv must have the Conv's own shape; a
// per-channel tensor would broadcast (that is a bias, not a residual). An
// Add that broadcasts the MatMul's product to a larger shape is not its
// bias either; the activation then fuses into the Add's MatMul only.
// CHECK-LABEL: func.func @broadcasting_adds
// CHECK: "onnx.Conv"
// CHECK: "onnx.Add"
// CHECK: "onnx.MatMul"
// CHECK: "onnx.Add"
// CHECK-NOT: onnx.onnxc
// REPORT: 0 activations and 0 bias/residual adds fused
func.func @broadcasting_adds(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>, %z: tensor<1x4x1x1xf32>, %a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %big: tensor<3x4x16xf32>) -> (tensor<1x4x6x6xf32>, tensor<3x4x16xf32>) {
  %none = onnx.NoValue
  %c = "onnx.Conv"(%x, %w, %none) : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  %s = "onnx.Add"(%c, %z) : (tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %t = "onnx.Add"(%m, %big) : (tensor<4x16xf32>, tensor<3x4x16xf32>) -> tensor<3x4x16xf32>
  return %s, %t : tensor<1x4x6x6xf32>, tensor<3x4x16xf32>
}

// -----

// Negative: Clip with a bound that is not a constant; an integer MatMul.
// CHECK-LABEL: func.func @not_fusable
// CHECK: "onnx.Clip"
// CHECK: "onnx.Relu"
// CHECK-NOT: onnx.onnxc
// REPORT: 0 activations and 0 bias/residual adds fused
func.func @not_fusable(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %hi: tensor<f32>, %i: tensor<4x8xi32>, %j: tensor<8x16xi32>) -> (tensor<4x16xf32>, tensor<4x16xi32>) {
  %none = onnx.NoValue
  %m = "onnx.MatMul"(%a, %b) : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %y = "onnx.Clip"(%m, %none, %hi) : (tensor<4x16xf32>, none, tensor<f32>) -> tensor<4x16xf32>
  %n = "onnx.MatMul"(%i, %j) : (tensor<4x8xi32>, tensor<8x16xi32>) -> tensor<4x16xi32>
  %r = "onnx.Relu"(%n) : (tensor<4x16xi32>) -> tensor<4x16xi32>
  return %y, %r : tensor<4x16xf32>, tensor<4x16xi32>
}
