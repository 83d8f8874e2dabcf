// RUN: onnxc-opt %s --onnxc-quantize-dynamic --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-quantize-dynamic=convs=false --split-input-file | FileCheck %s --check-prefix=NOCONV
// RUN: onnxc-opt %s --onnxc-quantize-dynamic=matmuls=false --split-input-file | FileCheck %s --check-prefix=NOMATMUL

// A MatMul by a constant weight: A quantized at run time per row (one
// scale and zero point per row of A: its range [min(0, min), max(0, max)]
// over the last axis onto [0, 255]), the weight at compile time per column,
// symmetric: column 0 has max |w| = 1 (scale 1/127: 1 -> 127, 0.5 -> 63.5
// -> 64, half to even), column 1 max 4 (scale 4/127: -2 -> -63.5 -> -64,
// 4 -> 127). Column sums 191 and 63 correct for each row's zero point.
// CHECK-LABEL: func.func @matmul_const
// CHECK-NOT: onnx.DynamicQuantizeLinear
// CHECK-DAG: %[[ZERO:.*]] = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK-DAG: %[[C255:.*]] = "onnx.Constant"() <{value = dense<2.550000e+02> : tensor<f32>}>
// CHECK-DAG: %[[TINY:.*]] = "onnx.Constant"() <{value = dense<1.17549435E-38> : tensor<f32>}>
// CHECK-DAG: %[[RMIN:.*]] = "onnx.ReduceMin"(%arg0) <{axes = [1], keepdims = 1 : i64}> : (tensor<3x2xf32>) -> tensor<3x1xf32>
// CHECK-DAG: %[[LO:.*]] = "onnx.Min"(%[[RMIN]], %[[ZERO]])
// CHECK-DAG: %[[RMAX:.*]] = "onnx.ReduceMax"(%arg0) <{axes = [1], keepdims = 1 : i64}> : (tensor<3x2xf32>) -> tensor<3x1xf32>
// CHECK-DAG: %[[HI:.*]] = "onnx.Max"(%[[RMAX]], %[[ZERO]])
// CHECK-DAG: %[[WIDTH:.*]] = "onnx.Sub"(%[[HI]], %[[LO]]) : (tensor<3x1xf32>, tensor<3x1xf32>) -> tensor<3x1xf32>
// CHECK-DAG: %[[STEP:.*]] = "onnx.Div"(%[[WIDTH]], %[[C255]])
// CHECK-DAG: %[[S:.*]] = "onnx.Max"(%[[STEP]], %[[TINY]])
// CHECK-DAG: %[[NEGLO:.*]] = "onnx.Neg"(%[[LO]])
// CHECK-DAG: %[[ZPD:.*]] = "onnx.Div"(%[[NEGLO]], %[[S]])
// CHECK-DAG: %[[ZPR:.*]] = "onnx.Round"(%[[ZPD]])
// CHECK-DAG: %[[ZP:.*]] = "onnx.Clip"(%[[ZPR]], %[[ZERO]], %[[C255]]) : (tensor<3x1xf32>, tensor<f32>, tensor<f32>) -> tensor<3x1xf32>
// CHECK-DAG: %[[AD:.*]] = "onnx.Div"(%arg0, %[[S]]) : (tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[AR:.*]] = "onnx.Round"(%[[AD]])
// CHECK-DAG: %[[AZ:.*]] = "onnx.Add"(%[[AR]], %[[ZP]]) : (tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[AC:.*]] = "onnx.Clip"(%[[AZ]], %[[ZERO]], %[[C255]])
// CHECK-DAG: %[[Y:.*]] = "onnx.Cast"(%[[AC]]) <{to = 2 : i64}> : (tensor<3x2xf32>) -> tensor<3x2xui8>
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<2x2xi8>}>
// CHECK-DAG: %[[ACC:.*]] = "onnx.MatMulInteger"(%[[Y]], %[[W]], %{{.*}}, %{{.*}}) : (tensor<3x2xui8>, tensor<2x2xi8>, none, none) -> tensor<3x2xi32>
// CHECK-DAG: %[[ZP32:.*]] = "onnx.Cast"(%[[ZP]]) <{to = 6 : i64}> : (tensor<3x1xf32>) -> tensor<3x1xi32>
// CHECK-DAG: %[[CS:.*]] = "onnx.Constant"() <{value = dense<[191, 63]> : tensor<2xi32>}>
// CHECK-DAG: %[[CORR:.*]] = "onnx.Mul"(%[[ZP32]], %[[CS]]) : (tensor<3x1xi32>, tensor<2xi32>) -> tensor<3x2xi32>
// CHECK-DAG: %[[SUB:.*]] = "onnx.Sub"(%[[ACC]], %[[CORR]]) : (tensor<3x2xi32>, tensor<3x2xi32>) -> tensor<3x2xi32>
// CHECK-DAG: %[[F:.*]] = "onnx.Cast"(%[[SUB]]) <{to = 1 : i64}> : (tensor<3x2xi32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[WS:.*]] = "onnx.Constant"() <{value = dense<[0.00787401571, 0.0314960629]> : tensor<2xf32>}>
// CHECK-DAG: %[[RS:.*]] = "onnx.Mul"(%[[F]], %[[S]]) : (tensor<3x2xf32>, tensor<3x1xf32>) -> tensor<3x2xf32>
// CHECK-DAG: %[[R:.*]] = "onnx.Mul"(%[[RS]], %[[WS]]) : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: return %[[R]]
// The blob (after its 4-byte alignment header): [[127, -64], [64, 127]].
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007FC0407F"
func.func @matmul_const(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%a, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Gemm with transB = 1 (PyTorch's Linear), alpha 2 and beta 0.5: the weight
// is transposed at compile time, alpha multiplies the scales (2/127 for a
// column whose max is 1), beta * C is added after dequantization.
// CHECK-LABEL: func.func @gemm_transb
// CHECK: "onnx.MatMulInteger"({{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
// CHECK-DAG: dense<[0.0157480314, 0.0472440943]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<f32>}>
// CHECK-DAG: %[[BC:.*]] = "onnx.Mul"(%arg1, %[[B]])
// CHECK: %[[Y:.*]] = "onnx.Add"(%{{.*}}, %[[BC]]) : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK: return %[[Y]]
// Column 0 of W' is (1, 0, -0.5) -> (127, 0, -64); column 1 (3, 1, 0) ->
// (127, 42, 0).
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007F7F002AC000"
func.func @gemm_transb(%a: tensor<4x3xf32>, %c: tensor<2xf32>) -> tensor<4x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, 0.0, -0.5], [3.0, 1.0, 0.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %0 = "onnx.Gemm"(%a, %w, %c) {transB = 1 : i64, alpha = 2.0 : f32, beta = 0.5 : f32} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// A MatMul whose A is a LayerNormalization over the last axis with constant
// gamma (1, 4) and beta (0, 0): channel magnitudes |gamma| + |beta| = (1, 4),
// W's row maxima (2, 1), so s = sqrt((1/2, 4/1)) = (0.7071, 2). A is
// divided by s (a Mul by (1.4142, 0.5) that the row quantization reads) and
// W's rows multiplied by it: W' = [[0.7071, 1.4142], [2, 2]], column
// maxima 2 and 2 (scales 2/127), q = [[45, 90], [127, 127]], column sums
// 172 and 217. With a gamma known only at run time nothing is smoothed.
// CHECK-LABEL: func.func @layernorm_smoothing
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"
// CHECK: %[[INV:.*]] = "onnx.Constant"() <{value = dense<[1.41421354, 5.000000e-01]> : tensor<2xf32>}>
// CHECK: %[[A:.*]] = "onnx.Mul"(%[[Y]], %[[INV]]) : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK: "onnx.ReduceMin"(%[[A]])
// CHECK: dense<[172, 217]> : tensor<2xi32>
// CHECK: dense<0.0157480314> : tensor<2xf32>
// CHECK-LABEL: func.func @layernorm_runtime_gamma
// CHECK: %[[Y2:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"
// CHECK-NOT: "onnx.Mul"
// CHECK: "onnx.ReduceMin"(%[[Y2]])
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000002D5A7F7F"
func.func @layernorm_smoothing(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = "onnx.Constant"() {value = dense<[1.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %b = "onnx.Constant"() {value = dense<[0.0, 0.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y, %m, %s = "onnx.LayerNormalization"(%x, %g, %b) {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  %w = "onnx.Constant"() {value = dense<[[1.0, 2.0], [1.0, 1.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%y, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

func.func @layernorm_runtime_gamma(%x: tensor<3x2xf32>, %g: tensor<2xf32>) -> tensor<3x2xf32> {
  %b = "onnx.Constant"() {value = dense<[0.0, 0.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y, %m, %s = "onnx.LayerNormalization"(%x, %g, %b) {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2xf32>, none, none)
  %w = "onnx.Constant"() {value = dense<[[1.0, 2.0], [1.0, 1.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "onnx.MatMul"(%y, %w) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A Conv with a constant filter: the input is quantized per tensor (its
// range over rows [N * C, spatial] first, then over those), the filter per
// output channel: channel 0 (1, -0.5) has scale 1/127 -> (127, -64),
// channel 1 (2, 4) scale 4/127 -> (64, 127). ConvInteger takes the zero
// point and the Conv's window attributes; the scales and the bias apply
// per channel, as [M, 1, 1].
// CHECK-LABEL: func.func @conv_const
// CHECK-DAG: %[[SHAPE:.*]] = "onnx.Constant"() <{value = dense<[2, 9]> : tensor<2xi64>}>
// CHECK-DAG: %[[ROWS:.*]] = "onnx.Reshape"(%arg0, %[[SHAPE]]) {{.*}} -> tensor<2x9xf32>
// CHECK-DAG: %[[RMIN:.*]] = "onnx.ReduceMin"(%[[ROWS]]) <{axes = [1], keepdims = 0 : i64}> : (tensor<2x9xf32>) -> tensor<2xf32>
// CHECK-DAG: %[[MIN:.*]] = "onnx.ReduceMin"(%[[RMIN]]) <{keepdims = 0 : i64}> : (tensor<2xf32>) -> tensor<f32>
// CHECK-DAG: %[[RMAX:.*]] = "onnx.ReduceMax"(%[[ROWS]]) <{axes = [1], keepdims = 0 : i64}> : (tensor<2x9xf32>) -> tensor<2xf32>
// CHECK-DAG: %[[MAX:.*]] = "onnx.ReduceMax"(%[[RMAX]]) <{keepdims = 0 : i64}> : (tensor<2xf32>) -> tensor<f32>
// CHECK-DAG: %[[TINY:.*]] = "onnx.Constant"() <{value = dense<1.17549435E-38> : tensor<f32>}>
// CHECK-DAG: %[[S:.*]] = "onnx.Max"(%{{.*}}, %[[TINY]]) : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK-DAG: %[[ZP:.*]] = "onnx.Clip"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK-DAG: %[[Q:.*]] = "onnx.Cast"(%{{.*}}) <{to = 2 : i64}> : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xui8>
// CHECK-DAG: %[[ZP8:.*]] = "onnx.Cast"(%[[ZP]]) <{to = 2 : i64}> : (tensor<f32>) -> tensor<ui8>
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<2x2x1x1xi8>}>
// CHECK: %[[ACC:.*]] = "onnx.ConvInteger"(%[[Q]], %[[W]], %[[ZP8]], %{{.*}}) <{{{.*}}pads = [0, 0, 1, 1], strides = [2, 2]}> : (tensor<1x2x3x3xui8>, tensor<2x2x1x1xi8>, tensor<ui8>, none) -> tensor<1x2x2x2xi32>
// CHECK: %[[F:.*]] = "onnx.Cast"(%[[ACC]]) <{to = 1 : i64}>
// CHECK: %[[WS:.*]] = "onnx.Constant"() <{value = dense<{{\[\[\[}}0.00787401571]], {{\[\[}}0.0314960629]]]> : tensor<2x1x1xf32>}>
// CHECK: %[[XS:.*]] = "onnx.Mul"(%[[F]], %[[S]])
// CHECK: %[[Y:.*]] = "onnx.Mul"(%[[XS]], %[[WS]])
// CHECK: %[[B:.*]] = "onnx.Constant"() <{value = dense<{{\[\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]]]> : tensor<2x1x1xf32>}>
// CHECK: %[[R:.*]] = "onnx.Add"(%[[Y]], %[[B]])
// CHECK: return %[[R]]
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007FC0407F"
// With convs=false the Conv stays; with matmuls=false the MatMul does.
// NOCONV-LABEL: func.func @matmul_const
// NOCONV: onnx.MatMulInteger
// NOCONV-LABEL: func.func @conv_const
// NOCONV-NOT: onnx.ConvInteger
// NOCONV: "onnx.Conv"
// NOMATMUL-LABEL: func.func @matmul_const
// NOMATMUL-NOT: onnx.MatMulInteger
// NOMATMUL: "onnx.MatMul"
// NOMATMUL-LABEL: func.func @conv_const
// NOMATMUL: onnx.ConvInteger
func.func @conv_const(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[[[1.0]], [[-0.5]]], [[[2.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %b = "onnx.Constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "onnx.Conv"(%x, %w, %b) {strides = [2, 2], pads = [0, 0, 1, 1]} : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}

// -----

// Convolutions left in f32: grouped (depthwise), a filter known only at run
// time, a bias known only at run time, a filter holding a NaN.
// CHECK-LABEL: func.func @conv_not_quantized
// CHECK-NOT: onnx.ConvInteger
// CHECK-COUNT-4: "onnx.Conv"
// CHECK-NOT: onnx.ConvInteger
func.func @conv_not_quantized(%x: tensor<1x2x3x3xf32>, %wr: tensor<2x2x1x1xf32>, %br: tensor<2xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %dw = "onnx.Constant"() {value = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %none = onnx.NoValue
  %0 = "onnx.Conv"(%x, %dw, %none) {group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %1 = "onnx.Conv"(%x, %wr, %none) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  %w = "onnx.Constant"() {value = dense<1.0> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %2 = "onnx.Conv"(%x, %w, %br) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %wnan = "onnx.Constant"() {value = dense<[[[[1.0]], [[0x7FC00000]]], [[[2.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %3 = "onnx.Conv"(%x, %wnan, %none) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x3x3xf32>
  return %0, %1, %2, %3 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// Left in f32: a B that is not a constant, an f64 weight, a batched (3-D)
// weight, a 1-D A, a transposed A, a weight holding an infinity.
// CHECK-LABEL: func.func @not_quantized
// CHECK-NOT: onnx.DynamicQuantizeLinear
// CHECK-NOT: onnx.MatMulInteger
// CHECK-COUNT-4: "onnx.MatMul"
// CHECK: "onnx.Gemm"
// CHECK: "onnx.MatMul"
// CHECK-NOT: onnx.MatMulInteger
func.func @not_quantized(%a: tensor<3x2xf32>, %b: tensor<2x2xf32>, %a64: tensor<3x2xf64>, %a3: tensor<2x3x2xf32>, %v: tensor<2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf64>, tensor<2x3x2xf32>, tensor<2xf32>, tensor<2x2xf32>, tensor<3x2xf32>) {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  %w64 = "onnx.Constant"() {value = dense<1.0> : tensor<2x2xf64>} : () -> tensor<2x2xf64>
  %1 = "onnx.MatMul"(%a64, %w64) : (tensor<3x2xf64>, tensor<2x2xf64>) -> tensor<3x2xf64>
  %w3 = "onnx.Constant"() {value = dense<1.0> : tensor<2x2x2xf32>} : () -> tensor<2x2x2xf32>
  %2 = "onnx.MatMul"(%a3, %w3) : (tensor<2x3x2xf32>, tensor<2x2x2xf32>) -> tensor<2x3x2xf32>
  %w = "onnx.Constant"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %3 = "onnx.MatMul"(%v, %w) : (tensor<2xf32>, tensor<2x2xf32>) -> tensor<2xf32>
  %at = "onnx.Constant"() {value = dense<[[1.0, 2.0, 3.0], [3.0, 4.0, 5.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %none = onnx.NoValue
  %4 = "onnx.Gemm"(%a, %at, %none) {transA = 1 : i64} : (tensor<3x2xf32>, tensor<2x3xf32>, none) -> tensor<2x2xf32>
  %winf = "onnx.Constant"() {value = dense<[[1.0, 0x7F800000], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %5 = "onnx.MatMul"(%a, %winf) : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<3x2xf32>, tensor<3x2xf64>, tensor<2x3x2xf32>, tensor<2xf32>, tensor<2x2xf32>, tensor<3x2xf32>
}
