// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// MaxPool on uint8: padding and the accumulator start at 0, the max is
// unsigned.
// CHECK-LABEL: func.func @maxpool_uint8
// CHECK: tensor.pad
// CHECK: arith.constant 0 : i8
// CHECK: linalg.generic
// CHECK: arith.maxui
func.func @maxpool_uint8(%x: tensor<1x1x5x5xui8>) -> tensor<1x1x5x5xui8> {
  %y, %i = "onnx.MaxPool"(%x) {kernel_shape = [5, 5], pads = [2, 2, 2, 2]} : (tensor<1x1x5x5xui8>) -> (tensor<1x1x5x5xui8>, none)
  return %y : tensor<1x1x5x5xui8>
}

// -----

// MaxPool on int8 pads with -128 and takes the signed max.
// CHECK-LABEL: func.func @maxpool_int8
// CHECK: arith.constant -128 : i8
// CHECK: tensor.pad
// CHECK: arith.maxsi
func.func @maxpool_int8(%x: tensor<1x1x4x4xi8>) -> tensor<1x1x2x2xi8> {
  %y, %i = "onnx.MaxPool"(%x) {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : (tensor<1x1x4x4xi8>) -> (tensor<1x1x2x2xi8>, none)
  return %y : tensor<1x1x2x2xi8>
}

// -----

// With Indices: one reduction yields the max and its flat row-major index;
// only taps inside the input may win.
// CHECK-LABEL: func.func @maxpool_indices
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.select
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, i64
// CHECK-NOT: arith.remsi
// CHECK: return
func.func @maxpool_indices(%x: tensor<1x1x5x5xf32>) -> (tensor<1x1x5x5xf32>, tensor<1x1x5x5xi64>) {
  %y, %i = "onnx.MaxPool"(%x) {kernel_shape = [5, 5], pads = [2, 2, 2, 2]} : (tensor<1x1x5x5xf32>) -> (tensor<1x1x5x5xf32>, tensor<1x1x5x5xi64>)
  return %y, %i : tensor<1x1x5x5xf32>, tensor<1x1x5x5xi64>
}

// -----

// storage_order = 1 re-linearizes the spatial offset column-major.
// CHECK-LABEL: func.func @maxpool_indices_column_major
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, i64
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK: arith.divsi
func.func @maxpool_indices_column_major(%x: tensor<1x1x5x5xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  %y, %i = "onnx.MaxPool"(%x) {kernel_shape = [2, 2], storage_order = 1 : i64, strides = [2, 2]} : (tensor<1x1x5x5xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
  return %y, %i : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

// MaxUnpool scatters into the inferred 4x4 tensor in a loop, then pads its
// end up to output_shape.
// CHECK-LABEL: func.func @maxunpool
// CHECK: tensor.collapse_shape
// CHECK: linalg.fill
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: tensor.insert
// CHECK: tensor.expand_shape {{.*}} into tensor<1x1x4x4xf32>
// CHECK: tensor.pad {{.*}} low[0, 0, 0, 0] high[0, 0, 1, 1]
func.func @maxunpool(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>, %s: tensor<4xi64>) -> tensor<1x1x5x5xf32> {
  %0 = "onnx.MaxUnpool"(%x, %i, %s) {kernel_shape = [2, 2], strides = [2, 2]} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>, tensor<4xi64>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

// LRN: squares zero-padded along C by floor((size-1)/2) before and
// ceil((size-1)/2) after, a window sum, then x / (bias + alpha/size*s)^beta.
// CHECK-LABEL: func.func @lrn
// CHECK: arith.mulf
// CHECK: tensor.pad {{.*}} low[0, 1, 0, 0] high[0, 2, 0, 0]
// CHECK: linalg.generic
// CHECK-SAME: "reduction"
// CHECK: arith.addf
// CHECK: math.powf
// CHECK: arith.divf
func.func @lrn(%x: tensor<2x5x3x3xf32>) -> tensor<2x5x3x3xf32> {
  %0 = "onnx.LRN"(%x) {size = 4 : i64} : (tensor<2x5x3x3xf32>) -> tensor<2x5x3x3xf32>
  return %0 : tensor<2x5x3x3xf32>
}

// -----

// MeanVarianceNormalization as its function body: (x - mean) /
// (sqrt(E[x^2] - mean^2) + 1e-9).
// CHECK-LABEL: func.func @mvn
// CHECK-COUNT-2: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: math.sqrt
// CHECK: arith.constant 9.99999971E-10 : f32
// CHECK: arith.addf
// CHECK: arith.divf
func.func @mvn(%x: tensor<3x3x3x1xf32>) -> tensor<3x3x3x1xf32> {
  %0 = "onnx.MeanVarianceNormalization"(%x) : (tensor<3x3x3x1xf32>) -> tensor<3x3x3x1xf32>
  return %0 : tensor<3x3x3x1xf32>
}

// -----

// Det: LU with partial pivoting per batch matrix in scf loops; a 2-D input
// gives a 0-D result.
// CHECK-LABEL: func.func @det_2d
// CHECK: tensor.expand_shape {{.*}} into tensor<1x3x3xf32>
// CHECK: scf.for
// CHECK: tensor.extract_slice
// CHECK: scf.for
// CHECK: math.absf
// CHECK: arith.cmpf ogt
// CHECK: arith.negf
// CHECK: arith.divf
// CHECK: tensor.collapse_shape {{.*}} [] : tensor<1xf32> into tensor<f32>
func.func @det_2d(%x: tensor<3x3xf32>) -> tensor<f32> {
  %0 = "onnx.Det"(%x) : (tensor<3x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// f16 batches are computed in f32.
// CHECK-LABEL: func.func @det_nd_f16
// CHECK: tensor.collapse_shape {{.*}} into tensor<6x2x2xf16>
// CHECK: arith.extf
// CHECK: scf.for
// CHECK: arith.truncf
// CHECK: tensor.expand_shape {{.*}} into tensor<2x3xf16>
func.func @det_nd_f16(%x: tensor<2x3x2x2xf16>) -> tensor<2x3xf16> {
  %0 = "onnx.Det"(%x) : (tensor<2x3x2x2xf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// ReverseSequence reads x at len - 1 - t for t < len, len clamped.
// CHECK-LABEL: func.func @reversesequence
// CHECK: linalg.generic
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<4xi64>
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: tensor.extract %{{.*}} : tensor<4x?xf32>
func.func @reversesequence(%x: tensor<4x?xf32>, %lens: tensor<4xi64>) -> tensor<4x?xf32> {
  %0 = "onnx.ReverseSequence"(%x, %lens) {batch_axis = 0 : i64, time_axis = 1 : i64} : (tensor<4x?xf32>, tensor<4xi64>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// Det of non-square matrices is rejected.
func.func @det_not_square(%x: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{failed to legalize operation 'onnx.Det'}}
  %0 = "onnx.Det"(%x) : (tensor<2x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
