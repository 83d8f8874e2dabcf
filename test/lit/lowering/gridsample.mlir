// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Bilinear, zeros padding: the grid's (x, y) are read, mapped to pixels,
// and four taps are read, each zeroed when outside the image.
// CHECK-LABEL: func.func @gridsample_bilinear
// CHECK: linalg.generic
// CHECK-COUNT-2: tensor.extract %arg1
// CHECK: math.floor
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @gridsample_bilinear(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32> {
  %0 = "onnx.GridSample"(%x, %g) {align_corners = 0 : i64, mode = "bilinear", padding_mode = "zeros"} : (tensor<1x1x3x2xf32>, tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

// Nearest rounds half to even, reads one tap; f16 is computed in f32;
// the batch dim may be dynamic.
// CHECK-LABEL: func.func @gridsample_nearest_f16
// CHECK: tensor.dim %arg0
// CHECK: linalg.generic
// CHECK: arith.extf
// CHECK: math.roundeven
// CHECK: math.roundeven
// CHECK-COUNT-1: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
// CHECK: arith.truncf {{.*}} f32 to f16
func.func @gridsample_nearest_f16(%x: tensor<?x2x3x2xf16>, %g: tensor<?x2x4x2xf16>) -> tensor<?x2x2x4xf16> {
  %0 = "onnx.GridSample"(%x, %g) {align_corners = 1 : i64, mode = "nearest", padding_mode = "reflection"} : (tensor<?x2x3x2xf16>, tensor<?x2x4x2xf16>) -> tensor<?x2x2x4xf16>
  return %0 : tensor<?x2x2x4xf16>
}

// -----

// Bicubic reads 4x4 taps (opset 20's name "cubic" is accepted too).
// CHECK-LABEL: func.func @gridsample_cubic
// CHECK-COUNT-16: tensor.extract %arg0
func.func @gridsample_cubic(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32> {
  %0 = "onnx.GridSample"(%x, %g) {mode = "cubic", padding_mode = "border"} : (tensor<1x1x3x2xf32>, tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

// Volumetric (3 spatial dims) input is not lowered.
func.func @gridsample_3d(%x: tensor<1x1x2x3x2xf32>, %g: tensor<1x2x2x4x3xf32>) -> tensor<1x1x2x2x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.GridSample'}}
  %0 = "onnx.GridSample"(%x, %g) : (tensor<1x1x2x3x2xf32>, tensor<1x2x2x4x3xf32>) -> tensor<1x1x2x2x4xf32>
  return %0 : tensor<1x1x2x2x4xf32>
}

// -----

// RoiAlign avg with a fixed sampling_ratio: per output element, two nested
// scf.for loops over the samples, four corner reads each, divided by the
// sample count.
// CHECK-LABEL: func.func @roialign_avg
// CHECK: linalg.generic
// CHECK: tensor.extract %arg2
// CHECK: scf.for
// CHECK: scf.for
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: arith.divf
func.func @roialign_avg(%x: tensor<1x1x10x10xf32>, %r: tensor<3x4xf32>, %b: tensor<3xi64>) -> tensor<3x1x5x5xf32> {
  %0 = "onnx.RoiAlign"(%x, %r, %b) {coordinate_transformation_mode = "output_half_pixel", mode = "avg", output_height = 5 : i64, output_width = 5 : i64, sampling_ratio = 2 : i64, spatial_scale = 1.000000e+00 : f32} : (tensor<1x1x10x10xf32>, tensor<3x4xf32>, tensor<3xi64>) -> tensor<3x1x5x5xf32>
  return %0 : tensor<3x1x5x5xf32>
}

// -----

// RoiAlign max, adaptive sampling (ceil(roi / out) samples) and a dynamic
// number of rois: max of the weighted corners, zero with no samples.
// CHECK-LABEL: func.func @roialign_max
// CHECK: tensor.dim %arg1
// CHECK: linalg.generic
// CHECK: math.ceil
// CHECK: math.ceil
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.maximumf
// CHECK: arith.select
func.func @roialign_max(%x: tensor<1x1x10x10xf64>, %r: tensor<?x4xf64>, %b: tensor<?xi64>) -> tensor<?x1x5x5xf64> {
  %0 = "onnx.RoiAlign"(%x, %r, %b) {mode = "max", output_height = 5 : i64, output_width = 5 : i64, sampling_ratio = 0 : i64} : (tensor<1x1x10x10xf64>, tensor<?x4xf64>, tensor<?xi64>) -> tensor<?x1x5x5xf64>
  return %0 : tensor<?x1x5x5xf64>
}
