// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions --split-input-file | FileCheck %s
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx512-vnni rows=2 column-vectors=1' --split-input-file | FileCheck %s --check-prefix=VNNI

// A u8 x s8 convolution (ConvInteger's lowering) of one image with a
// constant filter becomes a channels-last copy of the input, an im2col
// with the channel innermost ([pixels, (kh, kw, c)]), and a product whose
// C is [channels, pixels]: the NCHW result, reshaped. The filter is
// transposed at compile time to W'[(kh, kw, c), m]: W[0] = (1, 2, 3, 4),
// W[1] = (5, 6, 7, 8) -> rows (1, 5), (2, 6), (3, 7), (4, 8).
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, 0, d3, d1, d2)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[CT:.*]] = affine_map<(d0, d1, d2) -> (d1, d0)>
// CHECK-LABEL: func.func @conv_strided
// CHECK: %[[XT:.*]] = linalg.generic {indexing_maps = [#[[LAST]], #{{.*}}]{{.*}} ins(%arg0 : tensor<1x1x1x5x5xi8>) outs(%{{.*}} : tensor<1x5x5x1xi8>)
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[WIN]], #{{.*}}]{{.*}} ins(%[[XT]] : tensor<1x5x5x1xi8>) outs(%{{.*}} : tensor<1x2x2x2x2x1xi8>)
// CHECK: %[[W:.*]] = arith.constant dense_resource<onnxc_int8_conv_filter> : tensor<4x2xi8>
// CHECK: %[[A:.*]] = tensor.collapse_shape {{.*}} into tensor<4x4xi8>
// CHECK: %[[C:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[CT]]]{{.*}} ins(%[[A]], %[[W]] : tensor<4x4xi8>, tensor<4x2xi8>) outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[C]] {{\[\[}}0, 1, 2], [3, 4]] output_shape [1, 1, 2, 2, 2]
// CHECK: return %[[Y]]
// CHECK: onnxc_int8_conv_filter: "0x100000000105020603070408"

// The kernel writes each register block of C (2 pixels x 16 channels here)
// transposed, 2 contiguous pixels for each of 16 channels, masked past the
// 2 channels there are; the one-row tail the same way.
// VNNI-LABEL: func.func @conv_strided
// VNNI: arith.constant dense_resource<onnxc_int8_panels> : tensor<1x1x64xi8>
// VNNI: llvm.call @onnxc_dot_avx512_vnni
// VNNI: vector.transpose %{{.*}}, [1, 0] : vector<2x16xi32> to vector<16x2xi32>
// VNNI: vector.transfer_write %{{.*}} {in_bounds = [false, true]} : vector<16x2xi32>, tensor<2x4xi32>
// VNNI: vector.transpose %{{.*}}, [1, 0] : vector<1x16xi32> to vector<16x1xi32>
// VNNI: vector.transfer_write %{{.*}} {in_bounds = [false, true]} : vector<16x1xi32>, tensor<2x4xi32>
// VNNI: onnxc_int8_panels{{(_[0-9]+)?}}: "0x400000000102030405060708000000
#x = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
func.func @conv_strided(%x: tensor<1x1x1x5x5xi8>) -> tensor<1x1x2x2x2xi32> {
  %w = arith.constant dense<[[[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]]> : tensor<1x2x1x2x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x2x2x2xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x2x2x2xi32>) -> tensor<1x1x2x2x2xi32>
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x1x1x5x5xi8>, tensor<1x2x1x2x2xi8>) outs(%f : tensor<1x1x2x2x2xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<1x1x2x2x2xi32>
  return %r : tensor<1x1x2x2x2xi32>
}

// -----

// A 1x1 convolution over the whole input of a batch of 2, whose input is
// quantized in its body (elementwise fusion moves the quantization in when
// nothing pads the input): the quantization runs in the channels-last
// copy, once per element; that copy is the product's A itself (no im2col).
// The batch is a loop over its images, each a product with C [channels,
// pixels] inserted into the NCHW result.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-LABEL: func.func @conv_1x1_fused_quantize
// CHECK: %[[XT:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]{{.*}} ins(%arg0, %arg1 : tensor<2x1x4x3x3xf32>, tensor<f32>) outs(%{{.*}} : tensor<2x3x3x4xi8>)
// CHECK: arith.divf
// CHECK: %[[Q:.*]] = arith.fptoui
// CHECK: linalg.yield %[[Q]] : i8
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[XT]] {{\[\[}}0], [1, 2], [3]] : tensor<2x3x3x4xi8> into tensor<2x9x4xi8>
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[Y:.*]] = %{{.*}}) -> (tensor<2x1x20x3x3xi32>)
// CHECK: %[[AI:.*]] = tensor.extract_slice %[[A]][%[[I]], 0, 0] [1, 9, 4] [1, 1, 1] : tensor<2x9x4xi8> to tensor<9x4xi8>
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[AI]], %{{.*}} : tensor<9x4xi8>, tensor<4x20xi8>) outs(%{{.*}} : tensor<20x9xi32>)
// CHECK: %[[CE:.*]] = tensor.expand_shape %[[C]] {{.*}} into tensor<1x1x20x3x3xi32>
// CHECK: tensor.insert_slice %[[CE]] into %[[Y]][%[[I]], 0, 0, 0, 0] [1, 1, 20, 3, 3]
// VNNI-LABEL: func.func @conv_1x1_fused_quantize
// VNNI: scf.for
// VNNI: vector.transpose %{{.*}}, [1, 0] : vector<2x16xi32> to vector<16x2xi32>
// VNNI: vector.transfer_write {{.*}} : vector<16x2xi32>, tensor<20x9xi32>
#x1 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#s = affine_map<(n, g, m, oh, ow, c, kh, kw) -> ()>
#w1 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y1 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
func.func @conv_1x1_fused_quantize(%x: tensor<2x1x4x3x3xf32>, %scale: tensor<f32>) -> tensor<2x1x20x3x3xi32> {
  %w = arith.constant dense<3> : tensor<1x20x4x1x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x1x20x3x3xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x1x20x3x3xi32>) -> tensor<2x1x20x3x3xi32>
  %r = linalg.generic {indexing_maps = [#x1, #s, #w1, #y1], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %scale, %w : tensor<2x1x4x3x3xf32>, tensor<f32>, tensor<1x20x4x1x1xi8>) outs(%f : tensor<2x1x20x3x3xi32>) {
  ^bb0(%a: f32, %sc: f32, %b: i8, %acc: i32):
    %q = arith.divf %a, %sc : f32
    %a8 = arith.fptoui %q : f32 to i8
    %0 = arith.extui %a8 : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<2x1x20x3x3xi32>
  return %r : tensor<2x1x20x3x3xi32>
}

// -----

// Not this form: two groups (the group dim is 2), and a filter that is not
// a constant; both stay convolutions.
// CHECK-LABEL: func.func @conv_not_rewritten
// CHECK-NOT: onnxc_int8_conv_filter
// CHECK-COUNT-2: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
#x2 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, c, oh + kh, ow + kw)>
#w2 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (g, m, c, kh, kw)>
#y2 = affine_map<(n, g, m, oh, ow, c, kh, kw) -> (n, g, m, oh, ow)>
func.func @conv_not_rewritten(%x: tensor<1x2x1x3x3xi8>, %wr: tensor<1x2x1x1x1xi8>, %x1: tensor<1x1x1x3x3xi8>) -> (tensor<1x2x2x3x3xi32>, tensor<1x1x2x3x3xi32>) {
  %w = arith.constant dense<3> : tensor<2x2x1x1x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x2x3x3xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x2x3x3xi32>) -> tensor<1x2x2x3x3xi32>
  %r = linalg.generic {indexing_maps = [#x2, #w2, #y2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x2x1x3x3xi8>, tensor<2x2x1x1x1xi8>) outs(%f : tensor<1x2x2x3x3xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<1x2x2x3x3xi32>
  %e1 = tensor.empty() : tensor<1x1x2x3x3xi32>
  %f1 = linalg.fill ins(%c0 : i32) outs(%e1 : tensor<1x1x2x3x3xi32>) -> tensor<1x1x2x3x3xi32>
  %r1 = linalg.generic {indexing_maps = [#x2, #w2, #y2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x1, %wr : tensor<1x1x1x3x3xi8>, tensor<1x2x1x1x1xi8>) outs(%f1 : tensor<1x1x2x3x3xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %0 = arith.extui %a : i8 to i32
    %1 = arith.extsi %b : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<1x1x2x3x3xi32>
  return %r, %r1 : tensor<1x2x2x3x3xi32>, tensor<1x1x2x3x3xi32>
}
