// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-row-reductions{vector-bytes=32 unroll=2 parallel=true}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-row-reductions{vector-bytes=32 unroll=2}),canonicalize,cse)' | FileCheck %s --check-prefix=SERIAL

#in = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#tr = affine_map<(i, j) -> (j, i)>
// A ReduceMax over 37 columns with 8-lane vectors, unrolled twice: a loop
// over 32 columns with two accumulators, then the last 5 columns, masked
// to -inf; one vector.reduction per row, combined with the output's
// initial value.
// CHECK-LABEL: func.func @row_max
// CHECK-DAG: %[[NINF:.*]] = arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c4 step %c1
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[ROW]], 0] [1, 37] [1, 1]
// CHECK: %[[ACC:.*]]:2 = scf.for %[[J:.*]] = %c0 to %c32 step %c16 iter_args(%[[A0:.*]] = %[[NINF]], %[[A1:.*]] = %[[NINF]]) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[V0:.*]] = vector.transfer_read %[[X]][%c0, %[[J]]], %{{.*}} {in_bounds = [true]} : tensor<1x37xf32>, vector<8xf32>
// CHECK: arith.maximumf %[[A0]], %[[V0]] : vector<8xf32>
// CHECK: arith.maximumf %[[A1]], %{{.*}} : vector<8xf32>
// CHECK: %[[TAIL:.*]] = vector.transfer_read %[[X]][%c0, %c32], %{{.*}} : tensor<1x37xf32>, vector<8xf32>
// CHECK: %[[MASK:.*]] = vector.constant_mask [5] : vector<8xi1>
// CHECK: %[[T:.*]] = arith.select %[[MASK]], %[[TAIL]], %[[NINF]]
// CHECK: %[[M0:.*]] = arith.maximumf %[[ACC]]#0, %[[T]]
// CHECK: %[[M:.*]] = arith.maximumf %[[M0]], %[[ACC]]#1
// CHECK: %[[R:.*]] = vector.reduction <maximumf>, %[[M]] : vector<8xf32> into f32
// CHECK: %[[INIT:.*]] = tensor.extract
// CHECK: %[[OUT:.*]] = arith.maximumf %[[R]], %[[INIT]] : f32
// CHECK: tensor.insert %[[OUT]]
// CHECK-NOT: linalg.generic
func.func @row_max(%x: tensor<4x37xf32>) -> tensor<4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x37xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// Softmax's sum of exp(x - max): the per-row max is read once and
// broadcast; the body runs on vectors.
// CHECK-LABEL: func.func @sum_exp
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c4 step %c1
// CHECK: %[[MAX:.*]] = tensor.extract %{{.*}}[%c0] : tensor<1xf32>
// CHECK: %[[B:.*]] = vector.broadcast %[[MAX]] : f32 to vector<8xf32>
// CHECK: scf.for
// CHECK: %[[V:.*]] = vector.transfer_read
// CHECK: %[[D:.*]] = arith.subf %[[V]], %[[B]] : vector<8xf32>
// CHECK: %[[E:.*]] = math.exp %[[D]] : vector<8xf32>
// CHECK: arith.addf %{{.*}}, %[[E]] : vector<8xf32>
// CHECK: vector.reduction <add>
// CHECK-NOT: linalg.generic
func.func @sum_exp(%x: tensor<4x32xf32>, %mx: tensor<4xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %mx : tensor<4x32xf32>, tensor<4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %ex = math.exp %d : f32
    %s = arith.addf %o, %ex : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// A whole-tensor min (DynamicQuantizeLinear's): the outer reduced dim is
// a loop around the vector loop, carrying the accumulators; no tiling.
// CHECK-LABEL: func.func @whole_min
// CHECK-DAG: %[[INF:.*]] = arith.constant dense<0x7F800000> : vector<8xf32>
// CHECK: %[[OUTER:.*]]:2 = scf.for %[[I:.*]] = %c0 to %c3 step %c1 iter_args(%[[B0:.*]] = %[[INF]], %[[B1:.*]] = %[[INF]])
// CHECK: scf.for %[[J:.*]] = %c0 to %c32 step %c16 iter_args(%{{.*}} = %[[B0]], %{{.*}} = %[[B1]])
// CHECK: vector.transfer_read %{{.*}}[%[[I]], %[[J]]]
// CHECK: vector.constant_mask [5]
// CHECK: scf.yield
// CHECK: arith.minimumf %[[OUTER]]#0, %[[OUTER]]#1
// CHECK: vector.reduction <minimumf>
// CHECK: tensor.insert %{{.*}} into %{{.*}}[] : tensor<f32>
func.func @whole_min(%x: tensor<3x37xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#in, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<3x37xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.minimumf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// The min and max of one input fused into one generic (dynamic
// quantization's row ranges): an accumulator set each, one loop.
// CHECK-LABEL: func.func @min_and_max
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: %[[R:.*]]:4 = scf.for %{{.*}} = %c0 to %c32 step %c16 iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-2: vector.transfer_read
// CHECK-NOT: vector.transfer_read
// CHECK: scf.yield
// CHECK-DAG: vector.reduction <minimumf>
// CHECK-DAG: vector.reduction <maximumf>
func.func @min_and_max(%x: tensor<4x32xf32>, %lo: tensor<4xf32>, %hi: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = linalg.generic {indexing_maps = [#in, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%lo, %hi : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32, %p: f32):
    %mn = arith.minimumf %a, %o : f32
    %mx = arith.maximumf %a, %p : f32
    linalg.yield %mn, %mx : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// Not along the innermost dim of its input: left alone.
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic
func.func @column_sum(%x: tensor<32x4xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#tr, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<32x4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// Rows shorter than a vector: left alone.
// CHECK-LABEL: func.func @short_rows
// CHECK: linalg.generic
func.func @short_rows(%x: tensor<4x5xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x5xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// A body that reads the iteration index: left alone.
// CHECK-LABEL: func.func @indexed
// CHECK: linalg.generic
func.func @indexed(%x: tensor<4x32xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %p = arith.mulf %a, %jf : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// 512 rows of 256: enough work for the rows to be an scf.forall with
// `parallel`, an scf.for without.
// CHECK-LABEL: func.func @big
// CHECK: scf.forall (%{{.*}}) in (512)
// CHECK: vector.reduction <minimumf>
// SERIAL-LABEL: func.func @big
// SERIAL-NOT: scf.forall
// SERIAL: scf.for %{{.*}} = %c0 to %c512 step %c1
func.func @big(%x: tensor<512x256xf32>, %init: tensor<512xf32>) -> tensor<512xf32> {
  %r = linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<512x256xf32>) outs(%init : tensor<512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.minimumf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<512xf32>
  return %r : tensor<512xf32>
}

#plane_in = affine_map<(i, j, k) -> (i, j, k)>
#plane_swapped = affine_map<(i, j, k) -> (i, k, j)>
#plane_out = affine_map<(i, j, k) -> (i)>
// A GlobalAveragePool's sum over 5x5 planes: each reduced dim is shorter
// than a vector, but together they are one contiguous row of 25, so the
// two reduction loops are collapsed into one and that row is vectorized
// (three whole vectors and a masked last one).
// CHECK-LABEL: func.func @plane_sum
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : tensor<4x5x5xf32> into tensor<4x25xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK: vector.constant_mask [1] : vector<8xi1>
// CHECK: vector.reduction <add>
func.func @plane_sum(%x: tensor<4x5x5xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#plane_in, #plane_out], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x5x5xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// The same planes read transposed: the reduced dims are not one run of
// memory, so nothing is collapsed and the generic is left alone.
// CHECK-LABEL: func.func @plane_sum_transposed
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK-NOT: vector.reduction
func.func @plane_sum_transposed(%x: tensor<4x5x5xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#plane_swapped, #plane_out], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x5x5xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
// A pooling window, x[i, j + k]: not a projected permutation, so the
// reduced dims are not collapsed (and the generic is left alone).
// CHECK-LABEL: func.func @window_sum
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic
#window_x = affine_map<(i, j, k) -> (i, j + k)>
#window_w = affine_map<(i, j, k) -> (j, k)>
func.func @window_sum(%x: tensor<4x9xf32>, %w: tensor<5x5xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#window_x, #window_w, #plane_out], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<4x9xf32>, tensor<5x5xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
