// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// Per-tensor uint8: divide, round half to even, add the zero point
// (zero-extended), saturate to [0, 255].
// CHECK-LABEL: func.func @quantize_per_tensor
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.extui
// CHECK: math.roundeven
// CHECK: arith.maxnumf
// CHECK: arith.minnumf
// CHECK: arith.fptosi
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @quantize_per_tensor(%x: tensor<6xf32>, %s: tensor<f32>, %zp: tensor<ui8>) -> tensor<6xui8> {
  %0 = "onnx.QuantizeLinear"(%x, %s, %zp) : (tensor<6xf32>, tensor<f32>, tensor<ui8>) -> tensor<6xui8>
  return %0 : tensor<6xui8>
}

// -----

// Per-axis: the scale and zero point are read along axis 1.
// CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @quantize_axis
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[AX]], #[[AX]], #{{.*}}]
// CHECK: arith.extsi
func.func @quantize_axis(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>, %zp: tensor<3xi8>) -> tensor<2x3x4xi8> {
  %0 = "onnx.QuantizeLinear"(%x, %s, %zp) {axis = -2 : i64} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xi8>) -> tensor<2x3x4xi8>
  return %0 : tensor<2x3x4xi8>
}

// -----

// Opset 10 has no per-axis form.
func.func @quantize_v10_per_axis(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %zp: tensor<3xui8>) -> tensor<2x3xui8> {
  // expected-error @+1 {{failed to legalize operation 'onnx.QuantizeLinear_v10'}}
  %0 = "onnx.QuantizeLinear_v10"(%x, %s, %zp) : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xui8>) -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}

// -----

// Without a zero point the output is uint8 with zero point 0.
// CHECK-LABEL: func.func @quantize_no_zero_point
// CHECK: arith.divf
// CHECK-NOT: arith.addf
// CHECK: arith.maxnumf
func.func @quantize_no_zero_point(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xui8> {
  %none = onnx.NoValue
  %0 = "onnx.QuantizeLinear"(%x, %s, %none) : (tensor<4xf32>, tensor<f32>, none) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// (x - zp) in i32, then times the scale.
// CHECK-LABEL: func.func @dequantize
// CHECK: linalg.generic
// CHECK: arith.extui
// CHECK: arith.extui
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize(%x: tensor<4xui8>, %s: tensor<f32>, %zp: tensor<ui8>) -> tensor<4xf32> {
  %0 = "onnx.DequantizeLinear"(%x, %s, %zp) : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// int32 input needs no extension.
// CHECK-LABEL: func.func @dequantize_i32
// CHECK: linalg.generic
// CHECK-NOT: arith.ext
// CHECK: arith.sitofp
func.func @dequantize_i32(%x: tensor<4xi32>, %s: tensor<1xf32>) -> tensor<4xf32> {
  %none = onnx.NoValue
  %0 = "onnx.DequantizeLinear_v10"(%x, %s, %none) : (tensor<4xi32>, tensor<1xf32>, none) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// One reduction gives min and max (both starting at 0), then the scalar
// scale and zero point, then the elementwise quantization.
// CHECK-LABEL: func.func @dynamic_quantize
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.select
// CHECK: math.roundeven
// CHECK: linalg.generic
// CHECK: math.roundeven
// CHECK: tensor.from_elements
// CHECK: tensor.from_elements
func.func @dynamic_quantize(%x: tensor<3x4xf32>) -> (tensor<3x4xui8>, tensor<f32>, tensor<ui8>) {
  %y, %s, %zp = "onnx.DynamicQuantizeLinear"(%x) : (tensor<3x4xf32>) -> (tensor<3x4xui8>, tensor<f32>, tensor<ui8>)
  return %y, %s, %zp : tensor<3x4xui8>, tensor<f32>, tensor<ui8>
}

// -----

// Zero points subtracted inside one i32 contraction: A's per row, B's per
// column.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @matmul_integer
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[ROW]], #[[COL]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: arith.extui
// CHECK: arith.extsi
// CHECK: arith.subi
// CHECK: arith.subi
// CHECK: arith.muli
// CHECK: arith.addi
func.func @matmul_integer(%a: tensor<4x3xui8>, %b: tensor<3x2xi8>, %azp: tensor<4xui8>, %bzp: tensor<2xi8>) -> tensor<4x2xi32> {
  %0 = "onnx.MatMulInteger"(%a, %b, %azp, %bzp) : (tensor<4x3xui8>, tensor<3x2xi8>, tensor<4xui8>, tensor<2xi8>) -> tensor<4x2xi32>
  return %0 : tensor<4x2xi32>
}

// -----

// Integer product, then requantized with a_scale * b_scale / y_scale.
// CHECK-LABEL: func.func @qlinear_matmul
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.muli
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: arith.sitofp
// CHECK: math.roundeven
func.func @qlinear_matmul(%a: tensor<2x2x4xui8>, %as: tensor<1xf32>, %azp: tensor<1xui8>, %b: tensor<2x4x3xui8>, %bs: tensor<1xf32>, %bzp: tensor<1xui8>, %ys: tensor<1xf32>, %yzp: tensor<1xui8>) -> tensor<2x2x3xui8> {
  %0 = "onnx.QLinearMatMul"(%a, %as, %azp, %b, %bs, %bzp, %ys, %yzp) : (tensor<2x2x4xui8>, tensor<1xf32>, tensor<1xui8>, tensor<2x4x3xui8>, tensor<1xf32>, tensor<1xui8>, tensor<1xf32>, tensor<1xui8>) -> tensor<2x2x3xui8>
  return %0 : tensor<2x2x3xui8>
}

// -----

// The shifted input is padded with 0 (the zero point before the shift).
// CHECK-LABEL: func.func @conv_integer_padded
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: tensor.pad
// CHECK: tensor.yield %c0_i32
// CHECK: tensor.expand_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: tensor.collapse_shape
func.func @conv_integer_padded(%x: tensor<1x1x3x3xui8>, %w: tensor<1x1x2x2xui8>, %xzp: tensor<ui8>) -> tensor<1x1x4x4xi32> {
  %none = onnx.NoValue
  %0 = "onnx.ConvInteger"(%x, %w, %xzp, %none) {pads = [1, 1, 1, 1]} : (tensor<1x1x3x3xui8>, tensor<1x1x2x2xui8>, tensor<ui8>, none) -> tensor<1x1x4x4xi32>
  return %0 : tensor<1x1x4x4xi32>
}

// -----

// Per-channel weight scale and bias read along the output channel.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @qlinear_conv
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[CH]], #{{.*}}, #{{.*}}, #[[CH]], #{{.*}}]
// CHECK: arith.addi
// CHECK: math.roundeven
func.func @qlinear_conv(%x: tensor<1x2x4x4xi8>, %xs: tensor<f32>, %xzp: tensor<i8>, %w: tensor<3x2x1x1xi8>, %ws: tensor<3xf32>, %wzp: tensor<3xi8>, %ys: tensor<f32>, %yzp: tensor<ui8>, %bias: tensor<3xi32>) -> tensor<1x3x4x4xui8> {
  %0 = "onnx.QLinearConv"(%x, %xs, %xzp, %w, %ws, %wzp, %ys, %yzp, %bias) : (tensor<1x2x4x4xi8>, tensor<f32>, tensor<i8>, tensor<3x2x1x1xi8>, tensor<3xf32>, tensor<3xi8>, tensor<f32>, tensor<ui8>, tensor<3xi32>) -> tensor<1x3x4x4xui8>
  return %0 : tensor<1x3x4x4xui8>
}

// -----

// A u8 input with a per-tensor zero point and an s8 filter without one
// (what --quantize=dynamic-int8 emits): the product runs on the 8-bit
// values (zero-extended x, sign-extended w), the padding reads the zero
// point, and zp * sum(W[m]) is subtracted once per output. The filter is a
// constant, so its sums are too: 1 - 2 + 3 + 4 = 6 and -5 + 6 + 7 + 8 = 16.
// CHECK-LABEL: func.func @conv_integer_u8s8
// CHECK: %[[ZP:.*]] = tensor.extract %arg1[] : tensor<i8>
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 0, 1]
// CHECK: tensor.yield %[[ZP]] : i8
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x2x3x4xi8>, tensor<1x2x2x1x2xi8>) outs(%{{.*}} : tensor<1x1x2x3x3xi32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.extui
// CHECK-NEXT: arith.extsi
// CHECK-NEXT: arith.muli
// CHECK-NEXT: arith.addi
// CHECK: %[[SUMS:.*]] = arith.constant dense<{{\[\[}}6, 16]]> : tensor<1x2xi32>
// CHECK: %[[ZP32:.*]] = arith.extui %[[ZP]] : i8 to i32
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SUMS]] : tensor<1x1x2x3x3xi32>, tensor<1x2xi32>)
// CHECK: %[[SHARE:.*]] = arith.muli %[[ZP32]], %{{.*}} : i32
// CHECK: arith.subi %{{.*}}, %[[SHARE]] : i32
// CHECK: tensor.collapse_shape
func.func @conv_integer_u8s8(%x: tensor<1x2x3x3xui8>, %xzp: tensor<ui8>) -> tensor<1x2x3x3xi32> {
  %w = "onnx.Constant"() {value = dense<[[[[1, -2]], [[3, 4]]], [[[-5, 6]], [[7, 8]]]]> : tensor<2x2x1x2xi8>} : () -> tensor<2x2x1x2xi8>
  %none = onnx.NoValue
  %0 = "onnx.ConvInteger"(%x, %w, %xzp, %none) {pads = [0, 0, 0, 1]} : (tensor<1x2x3x3xui8>, tensor<2x2x1x2xi8>, tensor<ui8>, none) -> tensor<1x2x3x3xi32>
  return %0 : tensor<1x2x3x3xi32>
}

// -----

// The same with a filter known only at run time: its sums are a reduction.
// CHECK-LABEL: func.func @conv_integer_u8s8_runtime_filter
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}} : tensor<1x2x2x1x2xi8>) outs(%{{.*}} : tensor<1x2xi32>)
// CHECK: arith.extsi
// CHECK: arith.subi
func.func @conv_integer_u8s8_runtime_filter(%x: tensor<1x2x3x3xui8>, %w: tensor<2x2x1x2xi8>, %xzp: tensor<ui8>) -> tensor<1x2x3x3xi32> {
  %none = onnx.NoValue
  %0 = "onnx.ConvInteger"(%x, %w, %xzp, %none) {pads = [0, 0, 0, 1]} : (tensor<1x2x3x3xui8>, tensor<2x2x1x2xi8>, tensor<ui8>, none) -> tensor<1x2x3x3xi32>
  return %0 : tensor<1x2x3x3xi32>
}
