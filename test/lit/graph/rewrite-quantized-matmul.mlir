// RUN: onnxc-opt %s --onnxc-rewrite-quantized-matmul --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-rewrite-quantized-matmul=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// ORT's quantize_dynamic with its default int8 weights: symmetric, zero
// point 0, so only A's run-time zero point needs a correction,
// - z_a * c[n] with the column sums c = [1 + 3 - 5, -2 + 4 + 6] = [-1, 8].
// No row sums of A (every z_w is 0).
// CHECK-LABEL: func.func @ort_dynamic_s8
// CHECK: %[[Q:.*]], %[[S:.*]], %[[ZP:.*]] = "onnx.DynamicQuantizeLinear"(%arg0)
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<3x2xi8>}>
// CHECK-DAG: %[[ACC:.*]] = "onnx.MatMulInteger"(%[[Q]], %[[W]], %{{.*}}, %{{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
// CHECK-DAG: %[[ZA:.*]] = "onnx.Cast"(%[[ZP]]) <{to = 6 : i64}> : (tensor<ui8>) -> tensor<i32>
// CHECK-DAG: %[[C:.*]] = "onnx.Constant"() <{value = dense<[-1, 8]> : tensor<2xi32>}>
// CHECK-DAG: %[[T:.*]] = "onnx.Mul"(%[[ZA]], %[[C]]) : (tensor<i32>, tensor<2xi32>) -> tensor<2xi32>
// CHECK-DAG: %[[Y:.*]] = "onnx.Sub"(%[[ACC]], %[[T]]) : (tensor<4x2xi32>, tensor<2xi32>) -> tensor<4x2xi32>
// CHECK-NOT: onnx.ReduceSum
// CHECK: %[[F:.*]] = "onnx.Cast"(%[[Y]]) <{to = 1 : i64}>
// The int8 weight unchanged, row-major: [[1, -2], [3, 4], [-5, 6]].
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x1000000001FE0304FB06"
// REPORT: remark: onnxc-rewrite-quantized-matmul: 0 QDQ MatMuls to MatMulInteger, 1 MatMulIntegers to the u8 x s8 form
func.func @ort_dynamic_s8(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %q, %s, %zp = "onnx.DynamicQuantizeLinear"(%x) : (tensor<4x3xf32>) -> (tensor<4x3xui8>, tensor<f32>, tensor<ui8>)
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %wzp = "onnx.Constant"() {value = dense<0> : tensor<i8>} : () -> tensor<i8>
  %ws = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %acc = "onnx.MatMulInteger"(%q, %w, %zp, %wzp) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<4x2xi32>
  %f = "onnx.Cast"(%acc) {to = 1 : i64} : (tensor<4x2xi32>) -> tensor<4x2xf32>
  %scale = "onnx.Mul"(%s, %ws) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %y = "onnx.Mul"(%f, %scale) : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// uint8 weights with a zero point per column (z_w = [128, 130]): W and
// z_w shift by -128 to int8 (w - z_w is unchanged): W' = [[0, 2], [-128,
// 127], [10, -3]], z_w' = [0, 2], c = [-118, 126]. The A term is
// z_a (c - K z_w') = z_a [-118, 126 - 6] = z_a [-118, 120]; the row sums
// of A (as i32) times z_w' = [0, 2] come off too.
// CHECK-LABEL: func.func @ort_dynamic_u8_per_column
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<3x2xi8>}>
// CHECK-DAG: %[[ACC:.*]] = "onnx.MatMulInteger"(%[[Q:.*]], %[[W]], %{{.*}}, %{{.*}}) : (tensor<2x4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<2x4x2xi32>
// CHECK-DAG: %[[AT:.*]] = "onnx.Constant"() <{value = dense<[-118, 120]> : tensor<2xi32>}>
// CHECK-DAG: %[[T1:.*]] = "onnx.Mul"(%{{.*}}, %[[AT]]) : (tensor<i32>, tensor<2xi32>) -> tensor<2xi32>
// CHECK-DAG: %[[Y1:.*]] = "onnx.Sub"(%[[ACC]], %[[T1]])
// CHECK-DAG: %[[A32:.*]] = "onnx.Cast"(%[[Q]]) <{to = 6 : i64}> : (tensor<2x4x3xui8>) -> tensor<2x4x3xi32>
// CHECK-DAG: %[[AX:.*]] = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}>
// CHECK-DAG: %[[R:.*]] = "onnx.ReduceSum"(%[[A32]], %[[AX]]) <{keepdims = 1 : i64, noop_with_empty_axes = 0 : i64}> : (tensor<2x4x3xi32>, tensor<1xi64>) -> tensor<2x4x1xi32>
// CHECK-DAG: %[[ZW:.*]] = "onnx.Constant"() <{value = dense<[0, 2]> : tensor<2xi32>}>
// CHECK-DAG: %[[T2:.*]] = "onnx.Mul"(%[[R]], %[[ZW]]) : (tensor<2x4x1xi32>, tensor<2xi32>) -> tensor<2x4x2xi32>
// CHECK-DAG: %[[Y2:.*]] = "onnx.Sub"(%[[Y1]], %[[T2]])
// CHECK: return %[[Y2]]
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000000002807F0AFD"
func.func @ort_dynamic_u8_per_column(%q: tensor<2x4x3xui8>, %zp: tensor<ui8>) -> tensor<2x4x2xi32> {
  %w = "onnx.Constant"() {value = dense<[[128, 130], [0, 255], [138, 125]]> : tensor<3x2xui8>} : () -> tensor<3x2xui8>
  %wzp = "onnx.Constant"() {value = dense<[128, 130]> : tensor<2xui8>} : () -> tensor<2xui8>
  %acc = "onnx.MatMulInteger"(%q, %w, %zp, %wzp) : (tensor<2x4x3xui8>, tensor<3x2xui8>, tensor<ui8>, tensor<2xui8>) -> tensor<2x4x2xi32>
  return %acc : tensor<2x4x2xi32>
}

// -----

// A uint8 W without zero points still shifts (the kernel's W is signed):
// z_w' = -128 for every column, so the row sums come in, and there is no
// A term.
// CHECK-LABEL: func.func @u8_weight_no_zero_points
// CHECK: "onnx.MatMulInteger"({{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
// CHECK-NOT: "onnx.Cast"(%{{.*}}) <{to = 6 : i64}> : (tensor<ui8>)
// CHECK: "onnx.ReduceSum"
// CHECK: dense<-128> : tensor<2xi32>
func.func @u8_weight_no_zero_points(%q: tensor<4x3xui8>) -> tensor<4x2xi32> {
  %w = "onnx.Constant"() {value = dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xui8>} : () -> tensor<3x2xui8>
  %n = onnx.NoValue
  %acc = "onnx.MatMulInteger"(%q, %w, %n, %n) : (tensor<4x3xui8>, tensor<3x2xui8>, none, none) -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

// -----

// QDQ: per-tensor x, per-column W (axis 1). The dequantizations go into
// MatMulInteger's zero points and two scale Muls after it; then the
// MatMulInteger takes the u8 x s8 form (z_w = [1, -1], so with row sums).
// The DequantizeLinear of x has another user, which keeps reading it.
// CHECK-LABEL: func.func @qdq_per_column
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>)
// CHECK-DAG: %[[XS:.*]] = "onnx.Constant"() <{value = dense<1.250000e-01> : tensor<f32>}>
// CHECK-DAG: %[[WS:.*]] = "onnx.Constant"() <{value = dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>}>
// CHECK-DAG: %[[XQ:.*]] = "onnx.QuantizeLinear"(%[[X]], %[[XS]], %{{.*}})
// CHECK-DAG: %[[XD:.*]] = "onnx.DequantizeLinear"(%[[XQ]], %[[XS]], %{{.*}})
// CHECK-DAG: %[[ACC:.*]] = "onnx.MatMulInteger"(%[[XQ]], %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
// CHECK-DAG: "onnx.ReduceSum"
// CHECK-DAG: %[[F:.*]] = "onnx.Cast"(%{{.*}}) <{to = 1 : i64}> : (tensor<4x2xi32>) -> tensor<4x2xf32>
// CHECK-DAG: %[[M1:.*]] = "onnx.Mul"(%[[F]], %[[XS]]) : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
// CHECK-DAG: %[[M2:.*]] = "onnx.Mul"(%[[M1]], %[[WS]]) : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-DAG: %[[OTHER:.*]] = "onnx.Relu"(%[[XD]])
// CHECK-NOT: "onnx.MatMul"(
// CHECK: return %[[M2]], %[[OTHER]]
// REPORT: remark: onnxc-rewrite-quantized-matmul: 1 QDQ MatMuls to MatMulInteger, 1 MatMulIntegers to the u8 x s8 form
func.func @qdq_per_column(%x: tensor<4x3xf32>) -> (tensor<4x2xf32>, tensor<4x3xf32>) {
  %xs = "onnx.Constant"() {value = dense<0.125> : tensor<f32>} : () -> tensor<f32>
  %xz = "onnx.Constant"() {value = dense<128> : tensor<ui8>} : () -> tensor<ui8>
  %xq = "onnx.QuantizeLinear"(%x, %xs, %xz) : (tensor<4x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x3xui8>
  %xd = "onnx.DequantizeLinear"(%xq, %xs, %xz) : (tensor<4x3xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x3xf32>
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %ws = "onnx.Constant"() {value = dense<[0.5, 0.25]> : tensor<2xf32>} : () -> tensor<2xf32>
  %wz = "onnx.Constant"() {value = dense<[1, -1]> : tensor<2xi8>} : () -> tensor<2xi8>
  %wd = "onnx.DequantizeLinear"(%w, %ws, %wz) {axis = 1 : i64} : (tensor<3x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%xd, %wd) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %other = "onnx.Relu"(%xd) : (tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y, %other : tensor<4x2xf32>, tensor<4x3xf32>
}

// -----

// QDQ with the weight quantized per row of W (axis 0: the scale varies
// along k and cannot be taken out of the sum): left in f32.
// CHECK-LABEL: func.func @qdq_per_row_of_w
// CHECK-NOT: onnx.MatMulInteger
// CHECK: "onnx.MatMul"
// REPORT: remark: onnxc-rewrite-quantized-matmul: 0 QDQ MatMuls to MatMulInteger, 0 MatMulIntegers to the u8 x s8 form
func.func @qdq_per_row_of_w(%xq: tensor<4x3xui8>) -> tensor<4x2xf32> {
  %xs = "onnx.Constant"() {value = dense<0.125> : tensor<f32>} : () -> tensor<f32>
  %n = onnx.NoValue
  %xd = "onnx.DequantizeLinear"(%xq, %xs, %n) : (tensor<4x3xui8>, tensor<f32>, none) -> tensor<4x3xf32>
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %ws = "onnx.Constant"() {value = dense<[0.5, 0.25, 1.0]> : tensor<3xf32>} : () -> tensor<3xf32>
  %wd = "onnx.DequantizeLinear"(%w, %ws, %n) {axis = 0 : i64} : (tensor<3x2xi8>, tensor<3xf32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%xd, %wd) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// QDQ with a per-axis activation scale (one per row of x): left in f32.
// CHECK-LABEL: func.func @qdq_per_axis_activation
// CHECK-NOT: onnx.MatMulInteger
// CHECK: "onnx.MatMul"
func.func @qdq_per_axis_activation(%xq: tensor<4x3xui8>) -> tensor<4x2xf32> {
  %xs = "onnx.Constant"() {value = dense<[0.125, 0.25, 0.5, 1.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %n = onnx.NoValue
  %xd = "onnx.DequantizeLinear"(%xq, %xs, %n) {axis = 0 : i64} : (tensor<4x3xui8>, tensor<4xf32>, none) -> tensor<4x3xf32>
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %ws = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %wd = "onnx.DequantizeLinear"(%w, %ws, %n) : (tensor<3x2xi8>, tensor<f32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%xd, %wd) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Non-constant weights (both in the QDQ and the integer form), a
// non-constant W zero point, an int8 A and a per-row A zero point: all
// left as written.
// CHECK-LABEL: func.func @left_alone
// CHECK: "onnx.MatMul"(%{{.*}}, %{{.*}}) : (tensor<4x3xf32>, tensor<3x2xf32>)
// CHECK: "onnx.MatMulInteger"(%arg0, %arg1, %arg2, %arg4) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<i8>)
// CHECK: "onnx.MatMulInteger"(%arg0, %{{.*}}, %arg2, %arg3) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<2xi8>)
// CHECK: "onnx.MatMulInteger"(%arg5, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<4x3xi8>, tensor<3x2xi8>, none, tensor<i8>)
// CHECK: "onnx.MatMulInteger"(%arg0, %{{.*}}, %arg6, %{{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<4x1xui8>, tensor<i8>)
// CHECK-NOT: onnxc_q8
func.func @left_alone(%xq: tensor<4x3xui8>, %wq: tensor<3x2xi8>, %zp: tensor<ui8>, %wzp: tensor<2xi8>, %wzp1: tensor<i8>, %sq: tensor<4x3xi8>, %rowzp: tensor<4x1xui8>) -> (tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x2xi32>, tensor<4x2xi32>, tensor<4x2xi32>) {
  %xs = "onnx.Constant"() {value = dense<0.125> : tensor<f32>} : () -> tensor<f32>
  %n = onnx.NoValue
  %xd = "onnx.DequantizeLinear"(%xq, %xs, %n) : (tensor<4x3xui8>, tensor<f32>, none) -> tensor<4x3xf32>
  %wd = "onnx.DequantizeLinear"(%wq, %xs, %n) : (tensor<3x2xi8>, tensor<f32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%xd, %wd) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %a = "onnx.MatMulInteger"(%xq, %wq, %zp, %wzp1) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<4x2xi32>
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %b = "onnx.MatMulInteger"(%xq, %w, %zp, %wzp) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<ui8>, tensor<2xi8>) -> tensor<4x2xi32>
  %z1 = "onnx.Constant"() {value = dense<1> : tensor<i8>} : () -> tensor<i8>
  %c = "onnx.MatMulInteger"(%sq, %w, %n, %z1) : (tensor<4x3xi8>, tensor<3x2xi8>, none, tensor<i8>) -> tensor<4x2xi32>
  %d = "onnx.MatMulInteger"(%xq, %w, %rowzp, %z1) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<4x1xui8>, tensor<i8>) -> tensor<4x2xi32>
  return %y, %a, %b, %c, %d : tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x2xi32>, tensor<4x2xi32>, tensor<4x2xi32>
}

// -----

// Already the kernel's form (what QuantizeDynamic emits): nothing to do.
// CHECK-LABEL: func.func @bare
// CHECK: "onnx.MatMulInteger"(%arg0, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none)
// CHECK-NOT: onnx.Sub
func.func @bare(%q: tensor<4x3xui8>) -> tensor<4x2xi32> {
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %n = onnx.NoValue
  %acc = "onnx.MatMulInteger"(%q, %w, %n, %n) : (tensor<4x3xui8>, tensor<3x2xi8>, none, none) -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

// -----

// QDQ with an int8 x: MatMulInteger would run on the scalar integer
// fallback (the kernel needs uint8 activations), slower than the f32
// MatMul's kernel: left in f32.
// CHECK-LABEL: func.func @qdq_int8_activation
// CHECK-NOT: onnx.MatMulInteger
// CHECK: "onnx.MatMul"
func.func @qdq_int8_activation(%xq: tensor<4x3xi8>) -> tensor<4x2xf32> {
  %xs = "onnx.Constant"() {value = dense<0.125> : tensor<f32>} : () -> tensor<f32>
  %n = onnx.NoValue
  %xd = "onnx.DequantizeLinear"(%xq, %xs, %n) : (tensor<4x3xi8>, tensor<f32>, none) -> tensor<4x3xf32>
  %w = "onnx.Constant"() {value = dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>} : () -> tensor<3x2xi8>
  %wd = "onnx.DequantizeLinear"(%w, %xs, %n) : (tensor<3x2xi8>, tensor<f32>, none) -> tensor<3x2xf32>
  %y = "onnx.MatMul"(%xd, %wd) : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
