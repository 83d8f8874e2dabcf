// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions | FileCheck %s --check-prefix=PORTABLE
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx512-vnni rows=2 column-vectors=2' | FileCheck %s --check-prefix=VNNI

#a3 = affine_map<(m, n, h, d) -> (m, h, d)>
#w3 = affine_map<(m, n, h, d) -> (h, d, n)>
#c3 = affine_map<(m, n, h, d) -> (m, n)>

// K split into two reductions (h, d) by reshape propagation (a transformer's
// attention output [M, 2, 4] -> [M, 8] fed to a product with constant
// scales): collapsed back into one reduction over h * d, A and W reshaped
// to [M, 8] and [8, 16], then the usual kernel.
// PORTABLE-LABEL: func.func @split_reduction
// PORTABLE-DAG: tensor.collapse_shape %arg0 {{\[\[}}0], [1, 2]] : tensor<?x2x4xi8> into tensor<?x8xi8>
// PORTABLE: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x8xi8>, tensor<8x16xi8>)
// VNNI-LABEL: func.func @split_reduction
// VNNI-NOT: "reduction", "reduction"
// VNNI: llvm.call @onnxc_dot_avx512_vnni
func.func @split_reduction(%a: tensor<?x2x4xi8>, %init: tensor<?x16xi32>) -> tensor<?x16xi32> {
  %w = arith.constant dense<1> : tensor<2x4x16xi8>
  %0 = linalg.generic {indexing_maps = [#a3, #w3, #c3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %w : tensor<?x2x4xi8>, tensor<2x4x16xi8>) outs(%init : tensor<?x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<?x16xi32>
  return %0 : tensor<?x16xi32>
}

// An f32 contraction with split reductions is not an integer product: left
// as it is.
// PORTABLE-LABEL: func.func @f32_split_reduction
// PORTABLE-NOT: tensor.collapse_shape
// PORTABLE: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @f32_split_reduction(%a: tensor<?x2x4xf32>, %w: tensor<2x4x16xf32>, %init: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = linalg.generic {indexing_maps = [#a3, #w3, #c3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %w : tensor<?x2x4xf32>, tensor<2x4x16xf32>) outs(%init : tensor<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// An i32 convolution (ConvInteger's form): its input reads oh + kh and
// ow + kw, so its trailing reductions (c, kh, kw) cannot be collapsed by a
// reshape: left with its three reductions (collapsing it once crashed
// test_qlinearconv).
#ci = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, c, oh + kh, ow + kw)>
#cw = affine_map<(n, f, oh, ow, c, kh, kw) -> (f, c, kh, kw)>
#co = affine_map<(n, f, oh, ow, c, kh, kw) -> (n, f, oh, ow)>
// PORTABLE-LABEL: func.func @integer_conv
// PORTABLE-NOT: tensor.collapse_shape
// PORTABLE: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @integer_conv(%x: tensor<1x2x5x5xi8>, %init: tensor<1x3x3x3xi32>) -> tensor<1x3x3x3xi32> {
  %w = arith.constant dense<1> : tensor<3x2x3x3xi8>
  %0 = linalg.generic {indexing_maps = [#ci, #cw, #co], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x2x5x5xi8>, tensor<3x2x3x3xi8>) outs(%init : tensor<1x3x3x3xi32>) {
  ^bb0(%a: i8, %b: i8, %acc: i32):
    %ae = arith.extui %a : i8 to i32
    %be = arith.extsi %b : i8 to i32
    %p = arith.muli %ae, %be : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<1x3x3x3xi32>
  return %0 : tensor<1x3x3x3xi32>
}
