// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=8 rows=2 column-vectors=1 min-reduction=16}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=8 rows=2 column-vectors=1}))' | FileCheck %s --check-prefix=SHORT
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-direct-conv{vector-bytes=16 rows=2 column-vectors=1 min-reduction=16}))' | FileCheck %s --check-prefix=WIDE

// A 3x3 convolution (2 -> 2 channels, pad 1, 4x4 output) followed by a
// Relu, and a 1x1 convolution of the same input, as the Conv lowering
// emits them. With 2-lane vectors, 2-pixel blocks and one vector of
// channels per block:
//  - the 3x3's weights are packed as [g, channel blocks, c*kh*kw, 2]
//    (W[0, 0, 0, 0] = 0 and W[1, 0, 0, 0] = -1 lead);
//  - the kernel reads the padded input flattened, broadcasting one element
//    per pixel and tap: 2 pixels x 9 taps vector.fma per input channel;
//  - the Relu is applied to the accumulators (its generic is gone), and
//    each vector of channels is written transposed, 2 pixels per channel,
//    in bounds (16 pixels and 2 channels are whole blocks: no masks, and
//    no test for a partial block, which direct-conv-model.test has);
//  - the 1x1 stays a linalg.generic (its reduction, 2 channels, is below
//    min-reduction; vectorize-direct-conv-1x1.mlir has 1x1 ones that are
//    taken).
// CHECK-LABEL: func.func @main_graph
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}0.000000e+00, -1.000000e+00], {{.*}}> : tensor<1x1x18x2xf32>
// CHECK: %[[X:.*]] = tensor.collapse_shape %padded {{\[\[}}0], [1], [2, 3, 4]] : tensor<1x1x2x6x6xf32> into tensor<1x1x72xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args
// CHECK-COUNT-9: vector.transfer_read %[[W]]
// CHECK: scf.yield
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nsz> : vector<2xf32>
// CHECK-NOT: scf.if
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true, true], permutation_map = #{{.*}}} : vector<2x2xf32>, tensor<1x1x2x?xf32>
// CHECK: tensor.expand_shape
// CHECK-NOT: fastmath<nsz> : f32
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-SAME: tensor<1x2x2x1x1xf32>

// With the default min-reduction (128), a reduction of 2 x 9 is left to
// the im2col kernels.
// SHORT-NOT: tensor<1x1x18x2xf32>
// SHORT: linalg.generic {{.*}}"reduction"
// SHORT-SAME: tensor<1x2x2x3x3xf32>

// With 4-lane vectors, 2 output channels would leave half of every vector
// idle: left to the im2col kernels, whose vectors run along the pixels.
// WIDE-NOT: x18x4xf32
// WIDE: linalg.generic {{.*}}"reduction"
// WIDE-SAME: tensor<1x2x2x3x3xf32>

#map = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
#map1 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
#map2 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
#map3 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
module attributes {onnx.ir_version = 8 : i64, onnx.opset_import = {ai.onnx = 17 : i64}} {
  func.func @main_graph(%arg0: tensor<1x2x4x4xf32> {onnx.name = "x"}) -> (tensor<1x2x4x4xf32> {onnx.name = "y"}, tensor<1x2x4x4xf32> {onnx.name = "z"}) attributes {llvm.emit_c_interface} {
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant dense<[[[[[0.000000e+00, 0.000000e+00, 5.000000e-01], [1.000000e+00, -1.000000e+00, -7.500000e-01], [7.500000e-01, 1.000000e+00, -5.000000e-01]], [[-5.000000e-01, 7.500000e-01, -2.500000e-01], [-5.000000e-01, 7.500000e-01, -5.000000e-01], [-2.500000e-01, 2.500000e-01, 0.000000e+00]]], [[[-1.000000e+00, -1.000000e+00, 7.500000e-01], [5.000000e-01, 7.500000e-01, 0.000000e+00], [7.500000e-01, -5.000000e-01, 0.000000e+00]], [[7.500000e-01, -7.500000e-01, -5.000000e-01], [-7.500000e-01, 0.000000e+00, 1.000000e+00], [-7.500000e-01, -2.500000e-01, -2.500000e-01]]]]]> : tensor<1x2x2x3x3xf32>
    %cst_1 = arith.constant dense<[[[[[1.000000e+00]], [[-7.500000e-01]]], [[[0.000000e+00]], [[-5.000000e-01]]]]]> : tensor<1x2x2x1x1xf32>
    %expanded = tensor.expand_shape %arg0 [[0], [1, 2], [3], [4]] output_shape [1, 1, 2, 4, 4] : tensor<1x2x4x4xf32> into tensor<1x1x2x4x4xf32>
    %padded = tensor.pad %expanded low[0, 0, 0, 1, 1] high[0, 0, 0, 1, 1] {
    ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index, %arg5: index):
      tensor.yield %cst : f32
    } : tensor<1x1x2x4x4xf32> to tensor<1x1x2x6x6xf32>
    %0 = tensor.empty() : tensor<1x1x2x4x4xf32>
    %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x1x2x4x4xf32>) -> tensor<1x1x2x4x4xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%padded, %cst_0 : tensor<1x1x2x6x6xf32>, tensor<1x2x2x3x3xf32>) outs(%1 : tensor<1x1x2x4x4xf32>) {
    ^bb0(%in: f32, %in_4: f32, %out: f32):
      %6 = arith.mulf %in, %in_4 : f32
      %7 = arith.addf %out, %6 : f32
      linalg.yield %7 : f32
    } -> tensor<1x1x2x4x4xf32>
    %3 = tensor.empty() : tensor<1x1x2x4x4xf32>
    %4 = linalg.generic {indexing_maps = [#map3, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%2 : tensor<1x1x2x4x4xf32>) outs(%3 : tensor<1x1x2x4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %6 = arith.maximumf %in, %cst fastmath<nsz> : f32
      linalg.yield %6 : f32
    } -> tensor<1x1x2x4x4xf32>
    %collapsed = tensor.collapse_shape %4 [[0], [1, 2], [3], [4]] : tensor<1x1x2x4x4xf32> into tensor<1x2x4x4xf32>
    %expanded_2 = tensor.expand_shape %arg0 [[0], [1, 2], [3], [4]] output_shape [1, 1, 2, 4, 4] : tensor<1x2x4x4xf32> into tensor<1x1x2x4x4xf32>
    %5 = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%expanded_2, %cst_1 : tensor<1x1x2x4x4xf32>, tensor<1x2x2x1x1xf32>) outs(%1 : tensor<1x1x2x4x4xf32>) {
    ^bb0(%in: f32, %in_4: f32, %out: f32):
      %6 = arith.mulf %in, %in_4 : f32
      %7 = arith.addf %out, %6 : f32
      linalg.yield %7 : f32
    } -> tensor<1x1x2x4x4xf32>
    %collapsed_3 = tensor.collapse_shape %5 [[0], [1, 2], [3], [4]] : tensor<1x1x2x4x4xf32> into tensor<1x2x4x4xf32>
    return %collapsed, %collapsed_3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
  }
}
