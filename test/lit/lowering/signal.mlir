// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// A symmetric Hann window whose size is only known at run time: the size
// is read from the input, sizes the result and, less one, is the divisor.
// CHECK-LABEL: func.func @hann_dynamic
// CHECK: %[[N:.*]] = tensor.extract %{{.*}}[] : tensor<i32>
// CHECK: %[[NF:.*]] = arith.sitofp %[[N]] : i32 to f64
// CHECK: %[[DEN:.*]] = arith.subf %[[NF]]
// CHECK: %[[LEN:.*]] = arith.index_cast %[[N]] : i32 to index
// CHECK: %[[CLAMPED:.*]] = arith.maxsi %[[LEN]]
// CHECK: tensor.empty(%[[CLAMPED]]) : tensor<?xf32>
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[DEN]] : f64
// CHECK: math.sin
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @hann_dynamic(%n: tensor<i32>) -> tensor<?xf32> {
  %0 = "onnx.HannWindow"(%n) {periodic = 0 : i64} : (tensor<i32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Hamming: 25/46 - 21/46 cos(2 pi n / N).
// CHECK-LABEL: func.func @hamming
// CHECK: linalg.generic
// CHECK: math.cos
// CHECK: arith.mulf
// CHECK: arith.subf
func.func @hamming(%n: tensor<i64>) -> tensor<10xf32> {
  %0 = "onnx.HammingWindow"(%n) : (tensor<i64>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

// Blackman with an integer output type truncates toward zero.
// CHECK-LABEL: func.func @blackman_int
// CHECK: linalg.generic
// CHECK-COUNT-2: math.cos
// CHECK: arith.fptosi %{{.*}} : f64 to i32
func.func @blackman_int(%n: tensor<i32>) -> tensor<8xi32> {
  %0 = "onnx.BlackmanWindow"(%n) {output_datatype = 6 : i64} : (tensor<i32>) -> tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

// A complex DFT over 6 of 8 points along axis 1, onesided: the input is
// cut to 6 samples, both components are read, and the twiddle angle is
// reduced mod 6 in integers before cos/sin.
// CHECK-LABEL: func.func @dft_truncated_onesided
// CHECK: linalg.fill {{.*}} -> tensor<2x4x2xf64>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [2, 6, 2] [1, 1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.remui
// CHECK: math.cos
// CHECK: math.sin
// CHECK: arith.select
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @dft_truncated_onesided(%x: tensor<2x8x2xf32>) -> tensor<2x4x2xf32> {
  %l = "onnx.Constant"() {value = dense<6> : tensor<i64>} : () -> tensor<i64>
  %0 = "onnx.DFT"(%x, %l) {axis = 1 : i64, onesided = 1 : i64} : (tensor<2x8x2xf32>, tensor<i64>) -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// -----

// The inverse divides by the transform length.
// CHECK-LABEL: func.func @dft_inverse
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.generic
// CHECK: math.cos
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.truncf
func.func @dft_inverse(%x: tensor<1x10x10x2xf32>) -> tensor<1x10x10x2xf32> {
  %none = onnx.NoValue
  %0 = "onnx.DFT"(%x, %none) {axis = 1 : i64, inverse = 1 : i64} : (tensor<1x10x10x2xf32>, none) -> tensor<1x10x10x2xf32>
  return %0 : tensor<1x10x10x2xf32>
}

// -----

// Inverse and onesided together are refused.
func.func @dft_inverse_onesided(%x: tensor<1x8x2xf32>) -> tensor<1x5x2xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.DFT'}}
  %0 = "onnx.DFT"(%x, %none) {axis = 1 : i64, inverse = 1 : i64, onesided = 1 : i64} : (tensor<1x8x2xf32>, none) -> tensor<1x5x2xf32>
  return %0 : tensor<1x5x2xf32>
}

// -----

// STFT with a window and a run-time frame_step: the frame count
// 1 + (64 - 16) // step sizes the result; each sample is read at
// f * step + n and weighted by the window.
// CHECK-LABEL: func.func @stft_window
// CHECK: %[[STEP:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: arith.floordivsi %{{.*}}, %[[STEP]]
// CHECK: %[[FRAMES:.*]] = arith.maxsi
// CHECK: tensor.empty(%[[FRAMES]]) : tensor<1x?x9x2xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<16xf32>)
// CHECK: arith.muli %{{.*}}, %[[STEP]]
// CHECK: tensor.extract %{{.*}} : tensor<1x64x1xf32>
// CHECK: math.cos
// CHECK: math.sin
func.func @stft_window(%s: tensor<1x64x1xf32>, %step: tensor<i64>, %w: tensor<16xf32>) -> tensor<1x?x9x2xf32> {
  %none = onnx.NoValue
  %0 = "onnx.STFT"(%s, %step, %w, %none) : (tensor<1x64x1xf32>, tensor<i64>, tensor<16xf32>, none) -> tensor<1x?x9x2xf32>
  return %0 : tensor<1x?x9x2xf32>
}

// -----

// STFT without a window: a window of ones of frame_length gives the
// reduction its extent.
// CHECK-LABEL: func.func @stft_no_window
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16xf32>)
// CHECK: linalg.generic
// CHECK: tensor.extract
func.func @stft_no_window(%s: tensor<1x128x1xf32>, %step: tensor<i64>) -> tensor<1x15x9x2xf32> {
  %none = onnx.NoValue
  %len = "onnx.Constant"() {value = dense<16> : tensor<i64>} : () -> tensor<i64>
  %0 = "onnx.STFT"(%s, %step, %none, %len) : (tensor<1x128x1xf32>, tensor<i64>, none, tensor<i64>) -> tensor<1x15x9x2xf32>
  return %0 : tensor<1x15x9x2xf32>
}

// -----

// MelWeightMatrix with run-time sizes: [dft_length / 2 + 1, num_mel_bins];
// the mel edges are computed in f32 like the inputs, the bins in f64 with
// numpy's floor division.
// CHECK-LABEL: func.func @mel
// CHECK: math.log10 %{{.*}} : f32
// CHECK: arith.divsi
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.generic
// CHECK: math.powf %{{.*}} : f64
// CHECK: arith.remf
// CHECK: math.floor
// CHECK: arith.fptosi %{{.*}} : f64 to i64
func.func @mel(%a: tensor<i32>, %b: tensor<i32>, %c: tensor<i32>, %d: tensor<f32>, %e: tensor<f32>) -> tensor<?x?xf32> {
  %0 = "onnx.MelWeightMatrix"(%a, %b, %c, %d, %e) : (tensor<i32>, tensor<i32>, tensor<i32>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
