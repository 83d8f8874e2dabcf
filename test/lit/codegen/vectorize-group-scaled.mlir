// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions --canonicalize --split-input-file | FileCheck %s --check-prefix=PORTABLE
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=avx512-vnni rows=2 column-vectors=1' --canonicalize --split-input-file | FileCheck %s --check-prefix=VNNI
// RUN: onnxc-opt %s --onnxc-vectorize-integer-contractions='dot-product=neon-dotprod rows=1 column-vectors=1' --canonicalize --split-input-file | FileCheck %s --check-prefix=SDOT

// The group-scaled product (onnx.onnxc.GroupScaledMatMulInteger's lowering,
// after elementwise fusion moved the activation's quantization into it):
// K = 8 in 2 groups of 4, N = 2. The weight's column sums per group are
// [[350, 63], [159, 222]].
#a = affine_map<(m, n, g, k) -> (m, g, k)>
#w = affine_map<(m, n, g, k) -> (g, k, n)>
#p = affine_map<(m, n, g, k) -> (m, g)>
#c = affine_map<(m, n, g, k) -> (m, n)>

// Without a dot product, the portable form, exact in integers: the
// quantization in its own generic writing A as i8 [?, 2, 4]; the i32 sums
// of each group P [?, 2 (g), 2 (n)]; then one generic reducing over g with
// acc = fma(colsum, -(S * Z), fma(P, S, acc)).
// PORTABLE-LABEL: func.func @group_scaled
// PORTABLE-DAG: %[[SUMS:.*]] = arith.constant dense<{{\[\[}}3.500000e+02, 6.300000e+01], [1.590000e+02, 2.220000e+02]]> : tensor<2x2xf32>
// PORTABLE: %[[A8:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<?x2x4xf32>, tensor<?x2xf32>, tensor<?x2xf32>) outs(%{{.*}} : tensor<?x2x4xi8>)
// PORTABLE: arith.fptoui {{.*}} : f32 to i8
// PORTABLE: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[A8]], %{{.*}} : tensor<?x2x4xi8>, tensor<2x4x2xi8>) outs(%{{.*}} : tensor<?x2x2xi32>)
// PORTABLE-NEXT: ^bb0
// PORTABLE-NEXT: arith.extui
// PORTABLE-NEXT: arith.extsi
// PORTABLE-NEXT: arith.muli
// PORTABLE-NEXT: arith.addi
// PORTABLE: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[P]], %arg1, %arg2, %[[SUMS]] : tensor<?x2x2xi32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<2x2xf32>)
// PORTABLE-NEXT: ^bb0(%[[p:.*]]: i32, %[[s:.*]]: f32, %[[z:.*]]: f32, %[[cs:.*]]: f32, %[[acc:.*]]: f32):
// PORTABLE-NEXT: %[[SZ:.*]] = arith.mulf %[[s]], %[[z]]
// PORTABLE-NEXT: %[[NSZ:.*]] = arith.negf %[[SZ]]
// PORTABLE-NEXT: %[[PF:.*]] = arith.sitofp %[[p]] : i32 to f32
// PORTABLE-NEXT: %[[T:.*]] = math.fma %[[PF]], %[[s]], %[[acc]]
// PORTABLE-NEXT: math.fma %[[cs]], %[[NSZ]], %[[T]]

// With vpdpbusd (blocks of 2 rows x 1 vector): per row block, a loop over
// the 2 groups carrying f32 accumulators; inside it the group's 4 / 4 = 1
// dot-product step from i32 zeros, then both rows' sums scaled into the f32
// accumulators with the group's column sums (padded to 16 lanes); the f32
// block is written once, masked past N = 2.
// VNNI-LABEL: func.func @group_scaled
// VNNI-DAG: %[[I0:.*]] = arith.constant dense<0> : vector<16xi32>
// VNNI-DAG: %[[F0:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// VNNI-DAG: %[[SUMS:.*]] = arith.constant dense<{{\[\[}}3.500000e+02, 6.300000e+01, 0.000000e+00, {{.*}}], [1.590000e+02, 2.220000e+02, 0.000000e+00, {{.*}}]]> : tensor<2x16xf32>
// VNNI-DAG: arith.constant dense_resource<onnxc_int8_panels> : tensor<1x2x64xi8>
// VNNI: %[[A2:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<?x2x4xi8> into tensor<?x8xi8>
// VNNI: scf.for %[[M:.*]] = %c0 to %{{.*}} step %c2 iter_args(%{{.*}} = %{{.*}}) -> (tensor<?x2xf32>)
// VNNI: %[[G:.*]]:2 = scf.for %[[GI:.*]] = %c0 to %c2 step %c1 iter_args(%[[ACC0:.*]] = %[[F0]], %[[ACC1:.*]] = %[[F0]]) -> (vector<16xf32>, vector<16xf32>)
// VNNI: %[[S:.*]]:2 = scf.for {{.*}} iter_args({{.*}} = %[[I0]], {{.*}} = %[[I0]]) -> (vector<16xi32>, vector<16xi32>)
// VNNI-COUNT-2: llvm.call @onnxc_dot_avx512_vnni
// VNNI: %[[CS:.*]] = vector.transfer_read %[[SUMS]][%[[GI]], %c0]
// VNNI: tensor.extract %arg1[%[[M]], %[[GI]]]
// VNNI: tensor.extract %arg2[%[[M]], %[[GI]]]
// VNNI: %[[SF:.*]] = arith.sitofp %[[S]]#0 : vector<16xi32> to vector<16xf32>
// VNNI: %[[T:.*]] = vector.fma %[[SF]], %{{.*}}, %[[ACC0]] : vector<16xf32>
// VNNI: vector.fma %[[CS]], %{{.*}}, %[[T]] : vector<16xf32>
// VNNI: arith.sitofp %[[S]]#1
// VNNI: vector.transfer_write %[[G]]#0, %{{.*}} : vector<16xf32>, tensor<?x2xf32>
// VNNI: vector.transfer_write %[[G]]#1, %{{.*}} : vector<16xf32>, tensor<?x2xf32>
// VNNI: onnxc_int8_panels{{(_[0-9]+)?}}: "0x40000000

// sdot multiplies s8 x s8: A's bytes are flipped to a - 128, and each
// group's i32 sums get 128 * colsum back ([[44800, 8064], [20352, 28416]])
// before they are scaled.
// SDOT-LABEL: func.func @group_scaled
// SDOT-DAG: %[[FLIPS:.*]] = arith.constant dense<{{\[\[}}44800, 8064, 0, 0], [20352, 28416, 0, 0]]> : tensor<2x4xi32>
// SDOT: arith.xori
// SDOT: llvm.call @onnxc_dot_neon_dotprod
// SDOT: %[[F:.*]] = vector.transfer_read %[[FLIPS]]
// SDOT: %[[SUM:.*]] = arith.addi %{{.*}}, %[[F]] : vector<4xi32>
// SDOT: arith.sitofp %[[SUM]]
func.func @group_scaled(%a: tensor<?x2x4xf32>, %s: tensor<?x2xf32>, %z: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %c255 = arith.constant 255.0 : f32
  %w = arith.constant dense<[[[127, -64], [64, 127], [127, 32], [32, -32]], [[127, -64], [64, 127], [-127, 95], [95, 64]]]> : tensor<2x4x2xi8>
  %rows = tensor.dim %a, %c0 : tensor<?x2x4xf32>
  %empty = tensor.empty(%rows) : tensor<?x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x2xf32>) -> tensor<?x2xf32>
  %r = linalg.generic {indexing_maps = [#a, #p, #p, #w, #c], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %s, %z, %w : tensor<?x2x4xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<2x4x2xi8>) outs(%init : tensor<?x2xf32>) {
  ^bb0(%in: f32, %sc: f32, %zp: f32, %wt: i8, %out: f32):
    %0 = arith.divf %in, %sc : f32
    %1 = math.roundeven %0 : f32
    %2 = arith.addf %1, %zp : f32
    %3 = arith.maxnumf %2, %zero : f32
    %4 = arith.minnumf %3, %c255 : f32
    %5 = arith.fptoui %4 : f32 to i8
    %6 = arith.uitofp %5 : i8 to f32
    %7 = arith.sitofp %wt : i8 to f32
    %8 = arith.subf %6, %zp : f32
    %9 = arith.mulf %8, %7 : f32
    %10 = arith.mulf %sc, %9 : f32
    %11 = arith.addf %out, %10 : f32
    linalg.yield %11 : f32
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

// Reshape propagation split the group loop into (g, 1) (the ranges were
// [.., G, 1]): the unit reduction is dropped first, then the kernel takes
// the product as above.
#a1 = affine_map<(m, n, g, u, k) -> (m, g, u, k)>
#w1 = affine_map<(m, n, g, u, k) -> (g, u, k, n)>
#p1 = affine_map<(m, n, g, u, k) -> (m, g, u)>
#c1 = affine_map<(m, n, g, u, k) -> (m, n)>
// VNNI-LABEL: func.func @unit_group_dim
// VNNI: llvm.call @onnxc_dot_avx512_vnni
// VNNI: vector.fma
// PORTABLE-LABEL: func.func @unit_group_dim
// PORTABLE: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2x2xi32>)
// PORTABLE: math.fma
func.func @unit_group_dim(%a: tensor<3x2x1x4xi8>, %s: tensor<3x2x1xf32>, %z: tensor<3x2x1xf32>) -> tensor<3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1> : tensor<2x1x4x2xi8>
  %empty = tensor.empty() : tensor<3x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [#a1, #p1, #p1, #w1, #c1], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%a, %s, %z, %w : tensor<3x2x1x4xi8>, tensor<3x2x1xf32>, tensor<3x2x1xf32>, tensor<2x1x4x2xi8>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%in: i8, %sc: f32, %zp: f32, %wt: i8, %out: f32):
    %6 = arith.uitofp %in : i8 to f32
    %7 = arith.sitofp %wt : i8 to f32
    %8 = arith.subf %6, %zp : f32
    %9 = arith.mulf %8, %7 : f32
    %10 = arith.mulf %sc, %9 : f32
    %11 = arith.addf %out, %10 : f32
    linalg.yield %11 : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// A group of 6 is not whole dot products of 4: no kernel, the portable form.
#a2 = affine_map<(m, n, g, k) -> (m, g, k)>
#w2 = affine_map<(m, n, g, k) -> (g, k, n)>
#p2 = affine_map<(m, n, g, k) -> (m, g)>
#c2 = affine_map<(m, n, g, k) -> (m, n)>
// VNNI-LABEL: func.func @group_of_six
// VNNI-NOT: llvm.call
// VNNI: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2x2xi32>)
// VNNI: math.fma
func.func @group_of_six(%a: tensor<3x2x6xi8>, %s: tensor<3x2xf32>, %z: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1> : tensor<2x6x2xi8>
  %empty = tensor.empty() : tensor<3x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [#a2, #p2, #p2, #w2, #c2], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %s, %z, %w : tensor<3x2x6xi8>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<2x6x2xi8>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%in: i8, %sc: f32, %zp: f32, %wt: i8, %out: f32):
    %6 = arith.uitofp %in : i8 to f32
    %7 = arith.sitofp %wt : i8 to f32
    %8 = arith.subf %6, %zp : f32
    %9 = arith.mulf %8, %7 : f32
    %10 = arith.mulf %sc, %9 : f32
    %11 = arith.addf %out, %10 : f32
    linalg.yield %11 : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// Not this form (negative): the scale varies along k', so no group sum can
// be scaled once. The generic is left as it is.
#a3 = affine_map<(m, n, g, k) -> (m, g, k)>
#w3 = affine_map<(m, n, g, k) -> (g, k, n)>
#c3 = affine_map<(m, n, g, k) -> (m, n)>
// VNNI-LABEL: func.func @scale_along_k
// VNNI-NOT: llvm.call
// VNNI: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// VNNI-NOT: llvm.call
// PORTABLE-LABEL: func.func @scale_along_k
// PORTABLE-NOT: math.fma
// PORTABLE: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// PORTABLE-NOT: math.fma
// PORTABLE: return
func.func @scale_along_k(%a: tensor<3x2x4xi8>, %s: tensor<3x2x4xf32>, %z: tensor<3x2x4xf32>) -> tensor<3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1> : tensor<2x4x2xi8>
  %empty = tensor.empty() : tensor<3x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [#a3, #a3, #a3, #w3, #c3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%a, %s, %z, %w : tensor<3x2x4xi8>, tensor<3x2x4xf32>, tensor<3x2x4xf32>, tensor<2x4x2xi8>) outs(%init : tensor<3x2xf32>) {
  ^bb0(%in: i8, %sc: f32, %zp: f32, %wt: i8, %out: f32):
    %6 = arith.uitofp %in : i8 to f32
    %7 = arith.sitofp %wt : i8 to f32
    %8 = arith.subf %6, %zp : f32
    %9 = arith.mulf %8, %7 : f32
    %10 = arith.mulf %sc, %9 : f32
    %11 = arith.addf %out, %10 : f32
    linalg.yield %11 : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}
