// RUN: onnxc-opt %s --onnxc-quantize-dynamic=activation-group=4 --split-input-file --mlir-elide-resource-strings-if-larger=64 | FileCheck %s
// RUN: onnxc-opt %s --onnxc-quantize-dynamic --split-input-file | FileCheck %s --check-prefix=ROWS

// activation-group=4 on a MatMul with K = 8: the activation's range is taken
// per run of 4 values of each row ([3, 8] viewed [3, 2, 4], ReduceMin and
// ReduceMax over the last axis), each group quantized to u8 on its own
// grid, and the product is one onnx.onnxc.GroupScaledMatMulInteger with the
// [3, 2] scales and zero points; the result is then scaled by the weight's
// column scales (1/127 and 4/127), as per row.
// CHECK-LABEL: func.func @grouped
// CHECK-DAG: %[[SHAPE:.*]] = "onnx.Constant"() <{value = dense<[0, 2, 4]> : tensor<3xi64>}>
// CHECK-DAG: %[[G:.*]] = "onnx.Reshape"(%arg0, %[[SHAPE]]) {{.*}} : (tensor<3x8xf32>, tensor<3xi64>) -> tensor<3x2x4xf32>
// CHECK-DAG: "onnx.ReduceMin"(%[[G]]) <{axes = [2], keepdims = 1 : i64}> : (tensor<3x2x4xf32>) -> tensor<3x2x1xf32>
// CHECK-DAG: "onnx.ReduceMax"(%[[G]]) <{axes = [2], keepdims = 1 : i64}> : (tensor<3x2x4xf32>) -> tensor<3x2x1xf32>
// CHECK-DAG: %[[Q3:.*]] = "onnx.Cast"({{.*}}) <{to = 2 : i64}> : (tensor<3x2x4xf32>) -> tensor<3x2x4xui8>
// CHECK-DAG: %[[Q:.*]] = "onnx.Reshape"(%[[Q3]], {{.*}}) {{.*}} -> tensor<3x8xui8>
// CHECK-DAG: %[[S:.*]] = "onnx.Reshape"({{.*}}) {{.*}} : (tensor<3x2x1xf32>, tensor<2xi64>) -> tensor<3x2xf32>
// CHECK-DAG: %[[Z:.*]] = "onnx.Reshape"({{.*}}) {{.*}} : (tensor<3x2x1xf32>, tensor<2xi64>) -> tensor<3x2xf32>
// CHECK-DAG: %[[W:.*]] = "onnx.Constant"() <{value = dense_resource<onnxc_q8> : tensor<8x2xi8>}>
// CHECK: %[[P:.*]] = "onnx.onnxc.GroupScaledMatMulInteger"(%[[Q]], %[[W]], %[[S]], %[[Z]]) <{group_size = 4 : i64}> : (tensor<3x8xui8>, tensor<8x2xi8>, tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
// CHECK: %[[WS:.*]] = "onnx.Constant"() <{value = dense<[0.00787401571, 0.0314960629]> : tensor<2xf32>}>
// CHECK: %[[R:.*]] = "onnx.Mul"(%[[P]], %[[WS]])
// CHECK: return %[[R]]
// The weight is quantized as without groups (per column, symmetric).
// CHECK: onnxc_q8{{(_[0-9]+)?}}: "0x100000007FC0407F7F2020E07FC0407F815F5F40"
// Without the option: one range per row, MatMulInteger.
// ROWS-LABEL: func.func @grouped
// ROWS-NOT: GroupScaledMatMulInteger
// ROWS: "onnx.MatMulInteger"
func.func @grouped(%a: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = "onnx.Constant"() {value = dense<[[1.0, -2.0], [0.5, 4.0], [1.0, 1.0], [0.25, -1.0], [1.0, -2.0], [0.5, 4.0], [-1.0, 3.0], [0.75, 2.0]]> : tensor<8x2xf32>} : () -> tensor<8x2xf32>
  %0 = "onnx.MatMul"(%a, %w) : (tensor<3x8xf32>, tensor<8x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A batch of rows with a symbolic dim, through a Gemm-free MatMul: the
// Reshapes copy the leading dims (0), the scales are [?, 5, 2].
// CHECK-LABEL: func.func @batched
// CHECK: "onnx.Reshape"(%arg0, {{.*}}) {{.*}} -> tensor<?x5x2x4xf32>
// CHECK: "onnx.onnxc.GroupScaledMatMulInteger"({{.*}}) <{group_size = 4 : i64}> : (tensor<?x5x8xui8>, tensor<8x3xi8>, tensor<?x5x2xf32>, tensor<?x5x2xf32>) -> tensor<?x5x3xf32>
func.func @batched(%a: tensor<?x5x8xf32>) -> tensor<?x5x3xf32> {
  %w = "onnx.Constant"() {value = dense<0.5> : tensor<8x3xf32>} : () -> tensor<8x3xf32>
  %0 = "onnx.MatMul"(%a, %w) : (tensor<?x5x8xf32>, tensor<8x3xf32>) -> tensor<?x5x3xf32>
  return %0 : tensor<?x5x3xf32>
}

// -----

// Gemm (transB = 1, beta 0.5): beta * C is added after the column scales.
// CHECK-LABEL: func.func @gemm_groups
// CHECK: %[[P:.*]] = "onnx.onnxc.GroupScaledMatMulInteger"({{.*}}) <{group_size = 4 : i64}> : (tensor<2x12xui8>, tensor<12x3xi8>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = "onnx.Mul"(%[[P]], {{.*}})
// CHECK: %[[C:.*]] = "onnx.Mul"(%arg1, {{.*}})
// CHECK: "onnx.Add"(%[[Y]], %[[C]])
func.func @gemm_groups(%a: tensor<2x12xf32>, %c: tensor<3xf32>) -> tensor<2x3xf32> {
  %w = "onnx.Constant"() {value = dense<0.25> : tensor<3x12xf32>} : () -> tensor<3x12xf32>
  %0 = "onnx.Gemm"(%a, %w, %c) {transB = 1 : i64, beta = 0.5 : f32} : (tensor<2x12xf32>, tensor<3x12xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Negative: K = 6 is not whole groups of 4, and K = 4 is one group (the
// row itself): both stay per row.
// CHECK-LABEL: func.func @not_whole_groups
// CHECK-NOT: GroupScaledMatMulInteger
// CHECK: "onnx.MatMulInteger"
// CHECK-NOT: GroupScaledMatMulInteger
// CHECK: "onnx.MatMulInteger"
// CHECK-NOT: GroupScaledMatMulInteger
// CHECK: return
func.func @not_whole_groups(%a: tensor<3x6xf32>, %b: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w6 = "onnx.Constant"() {value = dense<0.5> : tensor<6x2xf32>} : () -> tensor<6x2xf32>
  %w4 = "onnx.Constant"() {value = dense<0.5> : tensor<4x2xf32>} : () -> tensor<4x2xf32>
  %0 = "onnx.MatMul"(%a, %w6) : (tensor<3x6xf32>, tensor<6x2xf32>) -> tensor<3x2xf32>
  %1 = "onnx.MatMul"(%b, %w4) : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xf32>
}
