// RUN: onnxc-opt %s --onnxc-recognize-decomposed-ops --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-recognize-decomposed-ops=report --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REPORT

// The opset-13 PyTorch export of LayerNorm over the last axis, with scale
// and bias: one LayerNormalization, epsilon from the Add.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%[[X]], %[[G]], %[[B]]) <{axis = 2 : i64, epsilon = 9.99999996E-13 : f32, stash_type = 1 : i64}> : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, none, none)
// CHECK-NOT: onnx.ReduceMean
// CHECK-NOT: onnx.Sqrt
// CHECK: return %[[Y]]
func.func @layer_norm(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %mean = "onnx.ReduceMean"(%x) {axes = [-1]} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %two = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [-1]} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-12> : tensor<f32>} : () -> tensor<f32>
  %ve = "onnx.Add"(%var, %eps) : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %m = "onnx.Mul"(%n, %g) : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %y = "onnx.Add"(%m, %b) : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Operands swapped (eps + var, scale * n, bias + m), the square as
// Mul(d, d), over the last two axes: axis 1, the scale of shape [3, 4].
// CHECK-LABEL: func.func @layer_norm_swapped
// CHECK: "onnx.LayerNormalization"(%arg0, %arg1, %arg2) <{axis = 1 : i64
// CHECK-NOT: onnx.ReduceMean
func.func @layer_norm_swapped(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %mean = "onnx.ReduceMean"(%x) {axes = [1, 2]} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %sq = "onnx.Mul"(%d, %d) : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [-2, -1]} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-5> : tensor<1xf32>} : () -> tensor<1xf32>
  %ve = "onnx.Add"(%eps, %var) : (tensor<1xf32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %m = "onnx.Mul"(%g, %n) : (tensor<3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %y = "onnx.Add"(%b, %m) : (tensor<3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// No scale or bias: the LayerNormalization gets a scale of ones.
// CHECK-LABEL: func.func @layer_norm_plain
// CHECK: %[[ONES:.*]] = "onnx.Constant"() <{value = dense<1.000000e+00> : tensor<4xf32>}>
// CHECK: %[[NONE:.*]] = onnx.NoValue
// CHECK: "onnx.LayerNormalization"(%arg0, %[[ONES]], %[[NONE]])
func.func @layer_norm_plain(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %mean = "onnx.ReduceMean"(%x) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %two = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32>
  %ve = "onnx.Add"(%var, %eps) : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %n : tensor<3x4xf32>
}

// -----

// Normalizing over a leading axis (not a trailing suffix): no match.
// CHECK-LABEL: func.func @layer_norm_first_axis
// CHECK-NOT: onnx.LayerNormalization
// CHECK-COUNT-2: onnx.ReduceMean
func.func @layer_norm_first_axis(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %mean = "onnx.ReduceMean"(%x) {axes = [0]} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  %two = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [0]} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32>
  %ve = "onnx.Add"(%var, %eps) : (tensor<1x4xf32>, tensor<f32>) -> tensor<1x4xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %n : tensor<3x4xf32>
}

// -----

// The variance is also returned (a second user), and in the second chain
// the exponent is 3 and the epsilon a run-time value: no match.
// CHECK-LABEL: func.func @layer_norm_blocked
// CHECK-NOT: onnx.LayerNormalization
func.func @layer_norm_blocked(%x: tensor<3x4xf32>, %e: tensor<f32>) -> (tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x4xf32>) {
  %mean = "onnx.ReduceMean"(%x) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %two = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32>
  %ve = "onnx.Add"(%var, %eps) : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %mean2 = "onnx.ReduceMean"(%x) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d2 = "onnx.Sub"(%x, %mean2) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %three = "onnx.Constant"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %sq2 = "onnx.Pow"(%d2, %three) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var2 = "onnx.ReduceMean"(%sq2) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %ve2 = "onnx.Add"(%var2, %e) : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %sd2 = "onnx.Sqrt"(%ve2) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %n2 = "onnx.Div"(%d2, %sd2) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %n, %var, %n2 : tensor<3x4xf32>, tensor<3x1xf32>, tensor<3x4xf32>
}

// -----

// The scaled value has a second user: the LayerNormalization takes the
// scale (it replaces every use of the Mul) but not the bias Add, which
// stays and reads the LayerNormalization.
// CHECK-LABEL: func.func @layer_norm_mul_two_users
// CHECK: %[[LN:.*]], %{{.*}}, %{{.*}} = "onnx.LayerNormalization"(%arg0, %arg1, %{{.*}})
// CHECK: onnx.Add"(%[[LN]], %arg2)
func.func @layer_norm_mul_two_users(%x: tensor<3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %mean = "onnx.ReduceMean"(%x) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = "onnx.Sub"(%x, %mean) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %two = "onnx.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %var = "onnx.ReduceMean"(%sq) {axes = [1]} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %eps = "onnx.Constant"() {value = dense<1.0e-5> : tensor<f32>} : () -> tensor<f32>
  %ve = "onnx.Add"(%var, %eps) : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %sd = "onnx.Sqrt"(%ve) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = "onnx.Div"(%d, %sd) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %m = "onnx.Mul"(%n, %g) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %y = "onnx.Add"(%m, %b) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %y, %m : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Softmax and LogSoftmax written out over axis 1.
// CHECK-LABEL: func.func @softmaxes
// CHECK: %[[S:.*]] = "onnx.Softmax"(%arg0) <{axis = 1 : i64}>
// CHECK: %[[L:.*]] = "onnx.LogSoftmax"(%arg0) <{axis = 1 : i64}>
// CHECK-NOT: onnx.Exp
// CHECK: return %[[S]], %[[L]]
func.func @softmaxes(%x: tensor<2x5x3xf32>) -> (tensor<2x5x3xf32>, tensor<2x5x3xf32>) {
  %ax = "onnx.Constant"() {value = dense<[1]> : tensor<1xi64>} : () -> tensor<1xi64>
  %max = "onnx.ReduceMax"(%x) {axes = [1]} : (tensor<2x5x3xf32>) -> tensor<2x1x3xf32>
  %d = "onnx.Sub"(%x, %max) : (tensor<2x5x3xf32>, tensor<2x1x3xf32>) -> tensor<2x5x3xf32>
  %e = "onnx.Exp"(%d) : (tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %s = "onnx.ReduceSum"(%e, %ax) : (tensor<2x5x3xf32>, tensor<1xi64>) -> tensor<2x1x3xf32>
  %y = "onnx.Div"(%e, %s) : (tensor<2x5x3xf32>, tensor<2x1x3xf32>) -> tensor<2x5x3xf32>
  %max2 = "onnx.ReduceMax"(%x) {axes = [-2]} : (tensor<2x5x3xf32>) -> tensor<2x1x3xf32>
  %d2 = "onnx.Sub"(%x, %max2) : (tensor<2x5x3xf32>, tensor<2x1x3xf32>) -> tensor<2x5x3xf32>
  %e2 = "onnx.Exp"(%d2) : (tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
  %s2 = "onnx.ReduceSum_v1"(%e2) {axes = [1]} : (tensor<2x5x3xf32>) -> tensor<2x1x3xf32>
  %l2 = "onnx.Log"(%s2) : (tensor<2x1x3xf32>) -> tensor<2x1x3xf32>
  %y2 = "onnx.Sub"(%d2, %l2) : (tensor<2x5x3xf32>, tensor<2x1x3xf32>) -> tensor<2x5x3xf32>
  return %y, %y2 : tensor<2x5x3xf32>, tensor<2x5x3xf32>
}

// -----

// Sum over another axis than the max, and an Exp with a third user: no
// match.
// CHECK-LABEL: func.func @softmax_blocked
// CHECK-NOT: onnx.Softmax
func.func @softmax_blocked(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) {
  %ax0 = "onnx.Constant"() {value = dense<[0]> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax1 = "onnx.Constant"() {value = dense<[1]> : tensor<1xi64>} : () -> tensor<1xi64>
  %max = "onnx.ReduceMax"(%x) {axes = [1]} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %d = "onnx.Sub"(%x, %max) : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %e = "onnx.Exp"(%d) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %s = "onnx.ReduceSum"(%e, %ax0) : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<1x5xf32>
  %y = "onnx.Div"(%e, %s) : (tensor<2x5xf32>, tensor<1x5xf32>) -> tensor<2x5xf32>
  %max2 = "onnx.ReduceMax"(%x) {axes = [1]} : (tensor<2x5xf32>) -> tensor<2x1xf32>
  %d2 = "onnx.Sub"(%x, %max2) : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %e2 = "onnx.Exp"(%d2) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %s2 = "onnx.ReduceSum"(%e2, %ax1) : (tensor<2x5xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %y2 = "onnx.Div"(%e2, %s2) : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %y, %y2, %e2 : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>
}

// REPORT: remark: onnxc-recognize-decomposed-ops: 1 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 8 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 1 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 8 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 1 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 6 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 0 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 0 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 0 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 0 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 1 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 7 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 0 LayerNormalization, 1 Softmax, 1 LogSoftmax, 0 Gelu; removed 9 onnx ops
// REPORT: remark: onnxc-recognize-decomposed-ops: 0 LayerNormalization, 0 Softmax, 0 LogSoftmax, 0 Gelu; removed 0 onnx ops
