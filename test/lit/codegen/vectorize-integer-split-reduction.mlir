// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions | FileCheck %s --check-prefix=PORTABLE
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='vnni=true rows=2 column-vectors=2' | FileCheck %s --check-prefix=VNNI

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
// VNNI: llvm.call @onnxc_vpdpbusd_512
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
