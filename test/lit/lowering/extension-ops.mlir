// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Gelu (erf form): one elementwise generic, 0.5 x (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func.func @gelu_erf
// CHECK: linalg.generic
// CHECK: %[[H:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.constant 0.707106769 : f32
// CHECK: math.erf
// CHECK: arith.addf
// CHECK: arith.mulf %[[H]]
// CHECK-NOT: linalg.generic
func.func @gelu_erf(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = "onnx.onnxc.Gelu"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Gelu (tanh form): tanh(sqrt(2/pi) (x + 0.044715 x^3)).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK: linalg.generic
// CHECK: arith.constant 4.471500e-02 : f64
// CHECK: arith.constant 0.79788456080286541 : f64
// CHECK: math.tanh
// CHECK-NOT: math.erf
func.func @gelu_tanh(%x: tensor<4xf64>) -> tensor<4xf64> {
  %y = "onnx.onnxc.Gelu"(%x) {approximate = "tanh"} : (tensor<4xf64>) -> tensor<4xf64>
  return %y : tensor<4xf64>
}

// -----

// FusedConv with bias, residual and Relu: the convolution exactly as
// onnx.Conv lowers (bias broadcast into the init, then the window
// contraction), then ONE elementwise generic adding the residual and
// applying the activation.
// CHECK-LABEL: func.func @fused_conv
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %arg3 : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : f32
// CHECK-NOT: linalg.generic
func.func @fused_conv(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %z: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %y = "onnx.onnxc.FusedConv"(%x, %w, %b, %z) {activation = "Relu", activation_params = [], kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// FusedMatMul with bias and GELU: the MatMul contraction, then one
// generic reading the bias broadcast.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @fused_matmul
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[BIAS]], #{{.*}}]
// CHECK: arith.addf
// CHECK: math.erf
// CHECK-NOT: linalg.generic
func.func @fused_matmul(%a: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %y = "onnx.onnxc.FusedMatMul"(%a, %w, %b) {activation = "Gelu", activation_params = []} : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// FusedGemm with LeakyRelu: the Gemm as it lowers, then one generic.
// CHECK-LABEL: func.func @fused_gemm
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: linalg.generic
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK-NOT: linalg.generic
func.func @fused_gemm(%a: tensor<2x3xf32>, %b: tensor<5x3xf32>, %c: tensor<5xf32>) -> tensor<2x5xf32> {
  %y = "onnx.onnxc.FusedGemm"(%a, %b, %c) {transB = 1 : i64, activation = "LeakyRelu", activation_params = [0.1 : f32]} : (tensor<2x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// The verifier refuses an activation it does not know, or a wrong number
// of parameters.
func.func @bad_activation(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x5xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{unknown activation 'Elu' with 0 parameters}}
  %y = "onnx.onnxc.FusedMatMul"(%a, %b, %none) {activation = "Elu"} : (tensor<2x3xf32>, tensor<3x5xf32>, none) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @bad_approximate(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{approximate must be "none" or "tanh", not "fast"}}
  %y = "onnx.onnxc.Gelu"(%x) {approximate = "fast"} : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Attention: the batch matmul Q KT, one generic scaling and adding the
// mask, the softmax (max, exp-sum, divide), the batch matmul by V.
// CHECK-LABEL: func.func @attention
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %arg3 : tensor<2x4x8x8xf32>, tensor<2x1x1x8xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-SAME: ins(%{{.*}}, %arg2 : tensor<2x4x8x8xf32>, tensor<2x4x8x64xf32>)
func.func @attention(%q: tensor<2x4x8x64xf32>, %kt: tensor<2x4x64x8xf32>, %v: tensor<2x4x8x64xf32>, %mask: tensor<2x1x1x8xf32>) -> tensor<2x4x8x64xf32> {
  %y = "onnx.onnxc.Attention"(%q, %kt, %v, %mask) {scale = 0.125 : f64} : (tensor<2x4x8x64xf32>, tensor<2x4x64x8xf32>, tensor<2x4x8x64xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x64xf32>
  return %y : tensor<2x4x8x64xf32>
}

// -----

// Attention without a mask: the scale goes on Q (the smaller operand)
// before the first batch matmul; the softmax reads the product directly.
// CHECK-LABEL: func.func @attention_unmasked
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0 : tensor<12x16x64xf32>)
// CHECK: arith.constant 1.250000e-01 : f32
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: arith.maximumf
func.func @attention_unmasked(%q: tensor<12x16x64xf32>, %kt: tensor<12x64x16xf32>, %v: tensor<12x16x64xf32>) -> tensor<12x16x64xf32> {
  %none = onnx.NoValue
  %y = "onnx.onnxc.Attention"(%q, %kt, %v, %none) {scale = 0.125 : f64} : (tensor<12x16x64xf32>, tensor<12x64x16xf32>, tensor<12x16x64xf32>, none) -> tensor<12x16x64xf32>
  return %y : tensor<12x16x64xf32>
}

// -----

func.func @attention_bad_batch(%q: tensor<2x8x64xf32>, %kt: tensor<1x64x8xf32>, %v: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{Q, KT and V must have the same batch dims}}
  %y = "onnx.onnxc.Attention"(%q, %kt, %v, %none) : (tensor<2x8x64xf32>, tensor<1x64x8xf32>, tensor<2x8x64xf32>, none) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// GroupScaledMatMulInteger (K = 8 in 2 groups of 4): A [?, 3, 8] viewed
// [?, 3, 2, 4], B [8, 5] viewed [2, 4, 5], one contraction over (r0, r1, n,
// g, k') whose body dequantizes each term: out + S * ((A - Z) * B).
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @group_scaled
// CHECK-DAG: %[[AV:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1], [2, 3]] {{.*}} : tensor<?x3x8xi8> into tensor<?x3x2x4xi8>
// CHECK-DAG: %[[BV:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2]] {{.*}} : tensor<8x5xi8> into tensor<2x4x5xi8>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x3x5xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[P]], #[[P]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[AV]], %[[BV]], %arg2, %arg3 : tensor<?x3x2x4xi8>, tensor<2x4x5xi8>, tensor<?x3x2xf32>, tensor<?x3x2xf32>) outs(%[[INIT]] : tensor<?x3x5xf32>)
// CHECK: ^bb0(%[[a:.*]]: i8, %[[w:.*]]: i8, %[[s:.*]]: f32, %[[z:.*]]: f32, %[[acc:.*]]: f32):
// CHECK: %[[AF:.*]] = arith.uitofp %[[a]] : i8 to f32
// CHECK: %[[WF:.*]] = arith.sitofp %[[w]] : i8 to f32
// CHECK: %[[C:.*]] = arith.subf %[[AF]], %[[z]]
// CHECK: %[[T:.*]] = arith.mulf %[[C]], %[[WF]]
// CHECK: %[[ST:.*]] = arith.mulf %[[s]], %[[T]]
// CHECK: arith.addf %[[acc]], %[[ST]]
func.func @group_scaled(%a: tensor<?x3x8xui8>, %b: tensor<8x5xi8>, %s: tensor<?x3x2xf32>, %z: tensor<?x3x2xf32>) -> tensor<?x3x5xf32> {
  %y = "onnx.onnxc.GroupScaledMatMulInteger"(%a, %b, %s, %z) {group_size = 4 : i64} : (tensor<?x3x8xui8>, tensor<8x5xi8>, tensor<?x3x2xf32>, tensor<?x3x2xf32>) -> tensor<?x3x5xf32>
  return %y : tensor<?x3x5xf32>
}

// -----

func.func @group_scaled_bad_groups(%a: tensor<3x8xui8>, %b: tensor<8x5xi8>, %s: tensor<3x3xf32>, %z: tensor<3x3xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{Scale and ZeroPoint must have K / group_size = 2 groups, not 3}}
  %y = "onnx.onnxc.GroupScaledMatMulInteger"(%a, %b, %s, %z) {group_size = 4 : i64} : (tensor<3x8xui8>, tensor<8x5xi8>, tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @group_scaled_partial_group(%a: tensor<3x8xui8>, %b: tensor<8x5xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{K = 8 is not a multiple of group_size 3}}
  %y = "onnx.onnxc.GroupScaledMatMulInteger"(%a, %b, %s, %z) {group_size = 3 : i64} : (tensor<3x8xui8>, tensor<8x5xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @group_scaled_k_mismatch(%a: tensor<3x8xui8>, %b: tensor<12x5xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{A has K = 8 but B has 12 rows}}
  %y = "onnx.onnxc.GroupScaledMatMulInteger"(%a, %b, %s, %z) {group_size = 4 : i64} : (tensor<3x8xui8>, tensor<12x5xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}
