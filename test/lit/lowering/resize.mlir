// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Nearest, half_pixel, round_prefer_floor: coord = (o + 0.5) / scale - 0.5,
// rounded with ceil(coord - 0.5), clamped, then read.
// CHECK-LABEL: func.func @resize_nearest
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.ceil
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: tensor.extract
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Linear over two resized dims reads four corners.
// CHECK-LABEL: func.func @resize_linear
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract
func.func @resize_linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) {mode = "linear"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Cubic reads the 4 neighbours per resized dim (16 reads in 2-D), with
// the cubic convolution weights computed from the fraction of the coordinate.
// CHECK-LABEL: func.func @resize_cubic
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK-COUNT-16: tensor.extract
// CHECK: arith.truncf
func.func @resize_cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) {mode = "cubic"} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// exclude_outside zeroes the weights of the neighbours outside the input
// and renormalizes the rest; run-time scales are read in the body.
// CHECK-LABEL: func.func @resize_cubic_exclude_outside
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<4xf32>
// CHECK: arith.cmpf oge
// CHECK: arith.cmpf ole
// CHECK: arith.andi
// CHECK: arith.select
// CHECK: arith.divf
func.func @resize_cubic_exclude_outside(%x: tensor<1x1x4x4xf32>, %scales: tensor<4xf32>) -> tensor<1x1x3x3xf32> {
  %none = onnx.NoValue
  %0 = "onnx.Resize"(%x, %none, %scales, %none) {mode = "cubic", cubic_coeff_a = -5.000000e-01 : f32, exclude_outside = 1 : i64} : (tensor<1x1x4x4xf32>, none, tensor<4xf32>, none) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// tf_crop_and_resize maps through the roi (read at run time) and selects
// the extrapolation value where a coordinate leaves the input.
// CHECK-LABEL: func.func @resize_tf_crop_and_resize
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<8xf32>
// CHECK: arith.cmpf ult
// CHECK: arith.cmpf ugt
// CHECK: arith.ori
// CHECK: %[[EXTRAP:.*]] = arith.constant 1.000000e+01 : f32
// CHECK-NEXT: arith.select %{{.*}}, %[[EXTRAP]], %{{.*}} : f32
func.func @resize_tf_crop_and_resize(%x: tensor<1x1x4x4xf32>, %roi: tensor<8xf32>, %sizes: tensor<4xi64>) -> tensor<1x1x3x3xf32> {
  %none = onnx.NoValue
  %0 = "onnx.Resize"(%x, %roi, %none, %sizes) {coordinate_transformation_mode = "tf_crop_and_resize", extrapolation_value = 1.000000e+01 : f32, mode = "linear"} : (tensor<1x1x4x4xf32>, tensor<8xf32>, none, tensor<4xi64>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Nearest copies any element type.
// CHECK-LABEL: func.func @resize_nearest_int
// CHECK: linalg.generic
// CHECK: %[[V:.*]] = tensor.extract %{{.*}} : tensor<1x1x2x2xi32>
// CHECK: linalg.yield %[[V]] : i32
func.func @resize_nearest_int(%x: tensor<1x1x2x2xi32>) -> tensor<1x1x4x4xi32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize"(%x, %none, %scales, %none) : (tensor<1x1x2x2xi32>, none, tensor<4xf32>, none) -> tensor<1x1x4x4xi32>
  return %0 : tensor<1x1x4x4xi32>
}

// -----

// Upsample-9: asymmetric coordinates (o / scale); nearest truncates when
// upsampling and rounds up when downsampling, decided on the run-time scale.
// CHECK-LABEL: func.func @upsample_nearest
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.cmpf olt
// CHECK: math.ceil
// CHECK: math.floor
// CHECK: arith.select
// CHECK: tensor.extract
func.func @upsample_nearest(%x: tensor<1x1x2x2xf32>, %scales: tensor<4xf32>) -> tensor<1x1x4x6xf32> {
  %0 = "onnx.Upsample"(%x, %scales) {mode = "nearest"} : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x6xf32>
  return %0 : tensor<1x1x4x6xf32>
}

// -----

// Upsample-7 takes its scales from an attribute; linear reads 4 corners.
// CHECK-LABEL: func.func @upsample_v7_linear
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract
func.func @upsample_v7_linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32> {
  %0 = "onnx.Upsample_v7"(%x) {mode = "linear", scales = [1.0 : f32, 1.0 : f32, 2.0 : f32, 3.0 : f32]} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32>
  return %0 : tensor<1x1x4x6xf32>
}

// -----

// Resize-10 has Upsample's semantics, downsampling allowed.
// CHECK-LABEL: func.func @resize_v10
// CHECK: linalg.generic
// CHECK: math.ceil
// CHECK: tensor.extract
func.func @resize_v10(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 0.6, 0.6]> : tensor<4xf32>} : () -> tensor<4xf32>
  %0 = "onnx.Resize_v10"(%x, %scales) {mode = "nearest"} : (tensor<1x1x4x4xf32>, tensor<4xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// tf_crop_and_resize with scales is ambiguous (which resized length) and
// stays unsupported.
func.func @resize_crop_scales(%x: tensor<1x1x4x4xf32>, %roi: tensor<8xf32>) -> tensor<1x1x2x2xf32> {
  %none = onnx.NoValue
  %scales = "onnx.Constant"() {value = dense<[1.0, 1.0, 0.5, 0.5]> : tensor<4xf32>} : () -> tensor<4xf32>
  // expected-error @+1 {{failed to legalize operation 'onnx.Resize'}}
  %0 = "onnx.Resize"(%x, %roi, %scales, %none) {coordinate_transformation_mode = "tf_crop_and_resize"} : (tensor<1x1x4x4xf32>, tensor<8xf32>, tensor<4xf32>, none) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
