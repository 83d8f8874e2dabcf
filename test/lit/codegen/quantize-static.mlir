// RUN: onnxc-opt %s --onnxc-quantize-static --split-input-file --verify-diagnostics | FileCheck %s

// A MatMul whose activation was calibrated to [-1, 3]: one constant scale
// and zero point for the whole tensor, no run-time reductions. The range
// maps onto [0, 255]: scale 4/255 = 0.0156862754, zero point
// round(1 / scale) = round(63.75) = 64; values outside it saturate (the
// Clip to [0, 255]). The weight is quantized as --quantize=dynamic-int8
// quantizes it (column scales 1/127 and 4/127, column sums 191 and 63), and
// the correction is 64 * c[n].
// CHECK-LABEL: func.func @matmul_calibrated
// CHECK-NOT: onnx.ReduceMin
// CHECK-NOT: onnx.ReduceMax
// CHECK-DAG: %[[S:.*]] = "onnx.Constant"() <{value = dense<0.0156862754> : tensor<f32>}>
// CHECK-DAG: %[[ZPF:.*]] = "onnx.Constant"() <{value = dense<6.400000e+01> : tensor<f32>}>
// CHECK-DAG: %[[ZERO:.*]] = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK-DAG: %[[C255:.*]] = "onnx.Constant"() <{value = dense<2.550000e+02> : tensor<f32>}>
// CHECK-DAG: %[[AD:.*]] = "onnx.Div"(%arg0, %[[S]]) : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[AR:.*]] = "onnx.Round"(%[[AD]])
// CHECK-DAG: %[[AZ:.*]] = "onnx.Add"(%[[AR]], %[[ZPF]]) : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[AC:.*]] = "onnx.Clip"(%[[AZ]], %[[ZERO]], %[[C255]])
// CHECK-DAG: %[[Q:.*]] = "onnx.Cast"(%[[AC]]) <{to = 2 : i64}> : (tensor<3x2xf32>) -> tensor<3x2xui8>
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<2x2xi8>}>
// CHECK-DAG: %[[ACC:.*]] = "onnx.MatMulInteger"(%[[Q]], %[[W]], %{{.*}}, %{{.*}}) : (tensor<3x2xui8>, tensor<2x2xi8>, none, none) -> tensor<3x2xi32>
// CHECK-DAG: %[[ZP32:.*]] = "onnx.Constant"() <{value = dense<64> : tensor<i32>}>
// CHECK-DAG: %[[CS:.*]] = "onnx.Constant"() <{value = dense<[191, 63]> : tensor<2xi32>}>
// CHECK-DAG: %[[CORR:.*]] = "onnx.Mul"(%[[ZP32]], %[[CS]]) : (tensor<i32>, tensor<2xi32>) -> tensor<2xi32>
// CHECK-DAG: %[[SUB:.*]] = "onnx.Sub"(%[[ACC]], %[[CORR]]) : (tensor<3x2xi32>, tensor<2xi32>) -> tensor<3x2xi32>
// CHECK-DAG: %[[F:.*]] = "onnx.Cast"(%[[SUB]]) <{to = 1 : i64}> : (tensor<3x2xi32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[WS:.*]] = "onnx.Constant"() <{value = dense<[0.00787401571, 0.0314960629]> : tensor<2xf32>}>
// CHECK-DAG: %[[RS:.*]] = "onnx.Mul"(%[[F]], %[[S]]) : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[R:.*]] = "onnx.Mul"(%[[RS]], %[[WS]]) : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: return %[[R]]
// The blob (after its 4-byte alignment header): [[127, -64], [64, 127]].
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007FC0407F"
func.func @matmul_calibrated(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%a, %w) {onnxc.activation_range = array<f32: -1.0, 3.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Gemm (transB = 1, alpha 2, beta 0.5) calibrated to [0.5, 2]: the range is
// widened to include 0, so the zero point is 0 and the scale 2/255; alpha
// goes into the weight scales (2/127, 6/127), beta * C is added after.
// CHECK-LABEL: func.func @gemm_calibrated
// CHECK-DAG: dense<0.00784313772> : tensor<f32>
// CHECK-DAG: dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: dense<0> : tensor<i32>
// CHECK-DAG: "onnx.MatMulInteger"({{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
// CHECK-DAG: dense<[0.0157480314, 0.0472440943]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<f32>}>
// CHECK-DAG: %[[BC:.*]] = "onnx.Mul"(%arg1, %[[B]])
// CHECK: %[[Y:.*]] = "onnx.Add"(%{{.*}}, %[[BC]]) : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK: return %[[Y]]
func.func @gemm_calibrated(%a: tensor<4x3xf32>, %c: tensor<2xf32>) -> tensor<4x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, 0.0, -1.0], [0.5, 3.0, 1.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %0 = "onnx.Gemm"(%a, %w, %c) {alpha = 2.0 : f32, beta = 0.5 : f32, transA = 0 : i64, transB = 1 : i64, onnxc.activation_range = array<f32: 0.5, 2.0>} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// An activation LayerNormalization produces is smoothed as the dynamic
// pass smooths it (A * (1 / s_k) before the quantization); the calibrated
// range is that of the smoothed activation.
// CHECK-LABEL: func.func @layernorm_smoothing
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"
// CHECK: %[[INV:.*]] = "onnx.Constant"() <{value = dense<[1.41421354, 5.000000e-01]> : tensor<2xf32>}>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[Y]], %[[INV]])
// CHECK: "onnx.Div"(%[[A]], %{{.*}}) : (tensor<3x2xf32>, tensor<f32>) -> tensor<3x2xf32>
// CHECK: dense<[172, 217]> : tensor<2xi32>
func.func @layernorm_smoothing(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = "onnx.Constant"() {value = dense<[1.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %b = "onnx.Constant"() {value = dense<[0.0, 0.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y, %m, %s = "onnx.LayerNormalization"(%x, %g, %b) {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  %w = "onnx.Constant"() {value = dense<[[1.0, 2.0], [1.0, 1.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%y, %w) {onnxc.activation_range = array<f32: -2.0, 2.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Left in f32: a MatMul without a calibrated range, and one with a range
// whose B is not a constant (the dynamic pass would not quantize it either).
// CHECK-LABEL: func.func @not_quantized
// CHECK-NOT: onnx.MatMulInteger
// CHECK: "onnx.MatMul"(%arg0, %{{.*}})
// CHECK: "onnx.MatMul"(%arg0, %arg1) {onnxc.activation_range
// CHECK-NOT: onnx.MatMulInteger
func.func @not_quantized(%a: tensor<3x2xf32>, %b: tensor<2x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = "onnx.Constant"() {value = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%a, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %1 = "onnx.MatMul"(%a, %b) {onnxc.activation_range = array<f32: -1.0, 1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// A malformed range is an error, not a guess.
func.func @bad_range(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  // expected-error @+1 {{onnxc.activation_range must be array<f32: lo, hi> with finite lo <= hi}}
  %0 = "onnx.MatMul"(%a, %w) {onnxc.activation_range = array<f32: 3.0, -1.0>} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A Conv whose input was calibrated to [0, 5.1]: scale 0.02, zero point 0,
// both constants (a u8 zero point for ConvInteger); the filter as the
// dynamic pass quantizes it (channel scales 1/127 and 4/127).
// CHECK-LABEL: func.func @conv_calibrated
// CHECK-NOT: onnx.ReduceMin
// CHECK-DAG: %[[S:.*]] = "onnx.Constant"() <{value = dense<2.000000e-02> : tensor<f32>}>
// CHECK-DAG: %[[ZP8:.*]] = "onnx.Constant"() <{value = dense<0> : tensor<ui8>}>
// CHECK-DAG: %[[Q:.*]] = "onnx.Cast"(%{{.*}}) <{to = 2 : i64}> : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xui8>
// CHECK: %[[ACC:.*]] = "onnx.ConvInteger"(%[[Q]], %{{.*}}, %[[ZP8]], %{{.*}}) <{{{.*}}pads = [1, 1, 1, 1]{{.*}}}> : (tensor<1x2x3x3xui8>, tensor<2x2x1x1xi8>, tensor<ui8>, none) -> tensor<1x2x5x5xi32>
// CHECK: %[[F:.*]] = "onnx.Cast"(%[[ACC]]) <{to = 1 : i64}>
// CHECK: "onnx.Mul"(%[[F]], %[[S]])
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007FC0407F"
func.func @conv_calibrated(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]], [[-0.5]]], [[[2.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %none = onnx.NoValue
  %0 = "onnx.Conv"(%x, %w, %none) {pads = [1, 1, 1, 1], onnxc.activation_range = array<f32: 0.0, 5.1>} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}
