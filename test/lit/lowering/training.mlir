// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Adagrad: the scalar rate R / (1 + T * decay_factor) in f64, rounded once;
// one generic per tensor yields X_new and H_new.
// CHECK-LABEL: func.func @adagrad
// CHECK: tensor.extract
// CHECK: arith.sitofp
// CHECK: arith.divf {{.*}} : f64
// CHECK: arith.truncf
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK: linalg.yield {{.*}}, {{.*}} : f32, f32
func.func @adagrad(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<3xf32>, %g: tensor<3xf32>, %h: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0:2 = "onnx.training.Adagrad"(%r, %t, %x, %g, %h) {decay_factor = 0.1 : f32, epsilon = 1.0e-5 : f32, norm_coefficient = 0.001 : f32} : (tensor<f32>, tensor<i64>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Adam over two tensors: the bias-corrected rate uses alpha**T and beta**T,
// chosen only when T > 0; each tensor yields X_new, V_new and H_new.
// CHECK-LABEL: func.func @adam_multiple
// CHECK: arith.cmpi sgt
// CHECK: math.powf
// CHECK: math.powf
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: linalg.yield {{.*}}, {{.*}}, {{.*}} : f32, f32, f32
// CHECK: linalg.generic
// CHECK: linalg.yield {{.*}}, {{.*}}, {{.*}} : f32, f32, f32
func.func @adam_multiple(%r: tensor<f32>, %t: tensor<i64>, %x1: tensor<1xf32>, %x2: tensor<2xf32>, %g1: tensor<1xf32>, %g2: tensor<2xf32>, %v1: tensor<1xf32>, %v2: tensor<2xf32>, %h1: tensor<1xf32>, %h2: tensor<2xf32>) -> (tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>) {
  %0:6 = "onnx.training.Adam"(%r, %t, %x1, %x2, %g1, %g2, %v1, %v2, %h1, %h2) {alpha = 0.95 : f32, beta = 0.85 : f32} : (tensor<f32>, tensor<i64>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>) -> (tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>)
  return %0#0, %0#1, %0#2, %0#3, %0#4, %0#5 : tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<2xf32>
}

// -----

// Nesterov momentum: beta is replaced by 1 at T == 0.
// CHECK-LABEL: func.func @nesterov
// CHECK: arith.cmpi sgt
// CHECK: arith.select
// CHECK: linalg.generic
// CHECK: linalg.yield {{.*}}, {{.*}} : f64, f64
func.func @nesterov(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<2x2xf64>, %g: tensor<2x2xf64>, %v: tensor<2x2xf64>) -> (tensor<2x2xf64>, tensor<2x2xf64>) {
  %0:2 = "onnx.training.Momentum"(%r, %t, %x, %g, %v) {alpha = 0.95 : f32, beta = 0.1 : f32, mode = "nesterov", norm_coefficient = 0.01 : f32} : (tensor<f32>, tensor<i64>, tensor<2x2xf64>, tensor<2x2xf64>, tensor<2x2xf64>) -> (tensor<2x2xf64>, tensor<2x2xf64>)
  return %0#0, %0#1 : tensor<2x2xf64>, tensor<2x2xf64>
}

// -----

// An unknown momentum mode is refused.
func.func @momentum_bad_mode(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<2xf32>, %g: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  // expected-error @+1 {{failed to legalize operation 'onnx.training.Momentum'}}
  %0:2 = "onnx.training.Momentum"(%r, %t, %x, %g, %v) {alpha = 0.95 : f32, beta = 0.1 : f32, mode = "heavy", norm_coefficient = 0.01 : f32} : (tensor<f32>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xf32>
}

// -----

// BatchNormalization in training mode: per-channel mean and population
// variance (two reductions over every dim but 1), Y normalized with them,
// and the running statistics blended with momentum.
// CHECK-LABEL: func.func @batchnorm_training
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction", "reduction"]
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: math.sqrt
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @batchnorm_training(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %rm, %rv = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) {epsilon = 0.01 : f32, momentum = 0.9 : f32, training_mode = 1 : i64} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y, %rm, %rv : tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// f16 data: the statistics are computed in f32; the running statistics
// keep input_mean's type (f32 here, allowed since opset 15).
// CHECK-LABEL: func.func @batchnorm_training_f16
// CHECK: arith.extf
// CHECK: linalg.generic
// CHECK: arith.truncf {{.*}} to f16
func.func @batchnorm_training_f16(%x: tensor<?x2x3xf16>, %s: tensor<2xf16>, %b: tensor<2xf16>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<?x2x3xf16>, tensor<2xf32>, tensor<2xf32>) {
  %y, %rm, %rv = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) {training_mode = 1 : i64} : (tensor<?x2x3xf16>, tensor<2xf16>, tensor<2xf16>, tensor<2xf32>, tensor<2xf32>) -> (tensor<?x2x3xf16>, tensor<2xf32>, tensor<2xf32>)
  return %y, %rm, %rv : tensor<?x2x3xf16>, tensor<2xf32>, tensor<2xf32>
}

// -----

// training_mode=0 stays with the inference lowering (no reduction).
// CHECK-LABEL: func.func @batchnorm_inference
// CHECK-NOT: reduction
// CHECK: linalg.generic
// CHECK-NOT: reduction
// CHECK: return
func.func @batchnorm_inference(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<2x3x4xf32> {
  %y, %rm, %rv = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) {training_mode = 0 : i64} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4xf32>, none, none)
  return %y : tensor<2x3x4xf32>
}

// -----

// Training-mode Dropout with a constant zero ratio: the identity and an
// all-true mask.
// CHECK-LABEL: func.func @dropout_training_zero
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[MASK:.*]] = linalg.fill ins(%[[TRUE]] : i1)
// CHECK: return %arg0, %[[MASK]]
func.func @dropout_training_zero(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xi1>) {
  %r = "onnx.Constant"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Constant"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  %y, %mask = "onnx.Dropout"(%x, %r, %t) : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, tensor<3x4xi1>)
  return %y, %mask : tensor<3x4xf32>, tensor<3x4xi1>
}

// -----

// A zero ratio with a run-time training_mode is the identity too.
// CHECK-LABEL: func.func @dropout_runtime_mode_zero
// CHECK: return %arg0
func.func @dropout_runtime_mode_zero(%x: tensor<3x4xf32>, %t: tensor<i1>) -> tensor<3x4xf32> {
  %r = "onnx.Constant"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %y, %mask = "onnx.Dropout"(%x, %r, %t) : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, none)
  return %y : tensor<3x4xf32>
}

// -----

// A run-time ratio in training mode: the random mask cannot be reproduced.
func.func @dropout_training_runtime_ratio(%x: tensor<3x4xf32>, %r: tensor<f32>) -> tensor<3x4xf32> {
  %t = "onnx.Constant"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  // expected-error @+1 {{failed to legalize operation 'onnx.Dropout'}}
  %y, %mask = "onnx.Dropout"(%x, %r, %t) : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, none)
  return %y : tensor<3x4xf32>
}

// -----

// A nonzero constant ratio in training mode is refused as well.
func.func @dropout_training_half(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = "onnx.Constant"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %t = "onnx.Constant"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  // expected-error @+1 {{failed to legalize operation 'onnx.Dropout'}}
  %y, %mask = "onnx.Dropout"(%x, %r, %t) : (tensor<3x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<3x4xf32>, none)
  return %y : tensor<3x4xf32>
}
