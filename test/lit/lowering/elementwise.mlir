// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Multidirectional broadcasting: the size-1 and missing dims of an operand
// are read at index 0 by its indexing map.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BCAST:.*]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BCAST]], #[[ID]]]
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<2x3x4xf32>, %b: tensor<1x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3x4xf32>, tensor<1x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Unsigned integers become signless, and ops that care use unsigned arith.
// CHECK-LABEL: func.func @div_unsigned
// CHECK-SAME: (%{{.*}}: tensor<4xi8>, %{{.*}}: tensor<4xi8>) -> tensor<4xi8>
// CHECK: arith.divui
func.func @div_unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = "onnx.Div"(%a, %b) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// A dynamic output dim is taken from the operand that is not broadcast.
// CHECK-LABEL: func.func @relu_dynamic
// CHECK: %[[D:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: tensor.empty(%[[D]]) : tensor<?x8xf32>
// Relu's max propagates NaN but leaves -0 and +0 unordered (nsz).
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : f32
func.func @relu_dynamic(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = "onnx.Relu"(%a) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Clip-11 with only max: one min, no lower bound. NaN-propagating
// (minimumf, not minnumf, which would give the bound for a NaN).
// CHECK-LABEL: func.func @clip_max_only
// CHECK: arith.minimumf %{{.*}}, %{{.*}} fastmath<nsz> : f32
// CHECK-NOT: arith.maximumf
func.func @clip_max_only(%x: tensor<4xf32>, %hi: tensor<f32>) -> tensor<4xf32> {
  %none = onnx.NoValue
  %0 = "onnx.Clip"(%x, %none, %hi) : (tensor<4xf32>, none, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// float -> int8 casts convert with fptosi; int -> bool compares with zero.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi {{.*}} : f32 to i8
// CHECK: arith.cmpi ne
func.func @casts(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xi8>, tensor<4xi1>) {
  %0 = "onnx.Cast"(%x) {to = 3 : i64} : (tensor<4xf32>) -> tensor<4xi8>
  %1 = "onnx.Cast"(%i) {to = 9 : i64} : (tensor<4xi32>) -> tensor<4xi1>
  return %0, %1 : tensor<4xi8>, tensor<4xi1>
}

// -----

// Negative: casting strings to numbers has no lowering; the op is reported
// at its location and the pass fails.
func.func @unsupported(%x: tensor<2x!onnx.string>) -> tensor<2xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.Cast'}}
  %0 = "onnx.Cast"(%x) {to = 1 : i64} : (tensor<2x!onnx.string>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
