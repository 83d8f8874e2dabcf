// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-depthwise-conv{vector-bytes=32}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-depthwise-conv{vector-bytes=32 parallel=1 min-parallel-macs=1000}),canonicalize,cse)' | FileCheck %s --check-prefix=PAR

// The convolution generic of passes/lowering/Conv.cpp: loops n g m oy ox |
// c ky kx, X[n, g, c, oy*sy + ky*dy, ox*sx + kx*dx], W[g, m, c, ky, kx].
#s1 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
#s2 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 * 2 + d6, d4 * 2 + d7)>
#d2 = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6 * 2, d4 + d7 * 2)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
#y = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>

// Stride 1, 3x3, output rows of 10 with 8 lanes: per row one full vector
// (plain transfers) and one masked one, 9 taps each, no shuffles; planes
// in serial loops (not `parallel`; the unit n and m loops fold away), the
// taps broadcast once per plane.
// CHECK-LABEL: func.func @depthwise_s1
// CHECK: scf.for %[[G:.*]] = %c0 to %c4 step %c1 iter_args(%[[OUT:.*]] = %{{.*}})
// CHECK: tensor.extract_slice %{{.*}}[0, %[[G]], 0, 0, 0] [1, 1, 1, 10, 12] [1, 1, 1, 1, 1] : tensor<1x4x1x10x12xf32> to tensor<10x12xf32>
// CHECK: tensor.extract_slice %[[OUT]][0, %[[G]], 0, 0, 0] [1, 1, 1, 8, 10] [1, 1, 1, 1, 1] : tensor<1x4x1x8x10xf32> to tensor<8x10xf32>
// CHECK-COUNT-9: vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<8x10xf32>, vector<8xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<8x10xf32>, vector<8xf32>
// CHECK-NOT: vector.shuffle
// CHECK-COUNT-18: vector.fma
// CHECK: vector.transfer_write {{.*}} {in_bounds = [true]} : vector<8xf32>, tensor<8x10xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8xf32>, tensor<8x10xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[OUT]][0, %[[G]], 0, 0, 0] [1, 1, 1, 8, 10]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @depthwise_s1(%x: tensor<1x4x1x10x12xf32>, %w: tensor<4x1x1x3x3xf32>, %b: tensor<1x4x1x8x10xf32>) -> tensor<1x4x1x8x10xf32> {
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x1x10x12xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x10xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x10xf32>
  return %r : tensor<1x4x1x8x10xf32>
}

// Stride 2: each vector is 16 contiguous elements deinterleaved by a
// shuffle. 40 output columns are 5 vectors of 8, of which 4 fit entirely
// (the fifth would read past the 81-wide input row): one step of 4 (its
// single-trip loop folds away), then the masked fifth. With `parallel` and
// enough work the planes are an scf.forall (unit dims fold away) writing
// disjoint planes.
// CHECK-LABEL: func.func @depthwise_s2
// CHECK-NOT: scf.forall
// PAR-LABEL: func.func @depthwise_s2
// PAR: scf.forall (%[[G:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x2x1x3x40xf32>)
// PAR: tensor.extract_slice %[[OUT]][0, %[[G]], 0, 0, 0] [1, 1, 1, 3, 40]
// PAR: scf.for %{{.*}} = %c0 to %c3 step %c1
// PAR-COUNT-4: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<3x40xf32>, vector<8xf32>
// PAR-NEXT: arith.muli
// PAR-NEXT: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<7x81xf32>, vector<16xf32>
// PAR-NEXT: vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xf32>, vector<16xf32>
// PAR-COUNT-36: vector.fma
// PAR: vector.transfer_read {{.*}}[%{{.*}}, %c32], %{{.*}} : tensor<3x40xf32>, vector<8xf32>
// PAR: vector.transfer_read {{.*}}[%{{.*}}, %c64], %{{.*}} : tensor<7x81xf32>, vector<16xf32>
// PAR: scf.forall.in_parallel
// PAR-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %[[G]], 0, 0, 0] [1, 1, 1, 3, 40]
func.func @depthwise_s2(%x: tensor<1x2x1x7x81xf32>, %w: tensor<2x1x1x3x3xf32>, %b: tensor<1x2x1x3x40xf32>) -> tensor<1x2x1x3x40xf32> {
  %r = linalg.generic {indexing_maps = [#s2, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x2x1x7x81xf32>, tensor<2x1x1x3x3xf32>) outs(%b : tensor<1x2x1x3x40xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x2x1x3x40xf32>
  return %r : tensor<1x2x1x3x40xf32>
}

// Dilation only moves the taps (columns 0, 2, 4 of the window).
// CHECK-LABEL: func.func @depthwise_dilated
// CHECK-COUNT-9: vector.fma
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @depthwise_dilated(%x: tensor<1x2x1x9x12xf32>, %w: tensor<2x1x1x3x3xf32>, %b: tensor<1x2x1x5x8xf32>) -> tensor<1x2x1x5x8xf32> {
  %r = linalg.generic {indexing_maps = [#d2, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x2x1x9x12xf32>, tensor<2x1x1x3x3xf32>) outs(%b : tensor<1x2x1x5x8xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x2x1x5x8xf32>
  return %r : tensor<1x2x1x5x8xf32>
}

// Two input channels per group: not depthwise, left alone (the contraction
// pass makes it an im2col product).
// CHECK-LABEL: func.func @grouped
// CHECK-NOT: vector.fma
// CHECK: linalg.generic
func.func @grouped(%x: tensor<1x2x2x10x12xf32>, %w: tensor<2x1x2x3x3xf32>, %b: tensor<1x2x1x8x10xf32>) -> tensor<1x2x1x8x10xf32> {
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x2x2x10x12xf32>, tensor<2x1x2x3x3xf32>) outs(%b : tensor<1x2x1x8x10xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x2x1x8x10xf32>
  return %r : tensor<1x2x1x8x10xf32>
}

// f64: left alone.
// CHECK-LABEL: func.func @depthwise_f64
// CHECK-NOT: vector.fma
// CHECK: linalg.generic
func.func @depthwise_f64(%x: tensor<1x4x1x10x12xf64>, %w: tensor<4x1x1x3x3xf64>, %b: tensor<1x4x1x8x10xf64>) -> tensor<1x4x1x8x10xf64> {
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x1x10x12xf64>, tensor<4x1x1x3x3xf64>) outs(%b : tensor<1x4x1x8x10xf64>) {
  ^bb0(%in: f64, %k: f64, %acc: f64):
    %p = arith.mulf %in, %k : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<1x4x1x8x10xf64>
  return %r : tensor<1x4x1x8x10xf64>
}

// A zero-padded input (pad 2 rows and 1 column on each side, through the
// reshapes of the leading dims that the lowering and fusion leave): no
// padded copy; the kernel reads the pad's source [6, 20] per plane. Output
// rows 0-1 and 6-7 reach above or below it: their loops test each kernel
// row (scf.if) and skip it outside; rows 2-5 test nothing. The first
// vector of every row starts one column left of the input: it reads from
// column 0 and shifts right by one lane, a zero coming in.
// CHECK-LABEL: func.func @depthwise_padded
// CHECK-NOT: tensor.pad
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2], [3], [4]] : tensor<1x1x4x6x20xf32> into tensor<4x6x20xf32>
// CHECK: %[[SRC:.*]] = tensor.expand_shape %[[FLAT]] {{.*}} into tensor<1x4x1x6x20xf32>
// CHECK: tensor.extract_slice %[[SRC]]{{.*}} to tensor<6x20xf32>
// CHECK: scf.for %[[OY:.*]] = %c0 to %c2 step %c1
// CHECK: %[[IY:.*]] = arith.addi %{{.*}}, %c-2 : index
// CHECK: %[[BELOW:.*]] = arith.cmpi slt, %[[IY]], %c6 : index
// CHECK: %[[ABOVE:.*]] = arith.cmpi sge, %[[IY]], %c0 : index
// CHECK: %[[IN:.*]] = arith.andi %[[ABOVE]], %[[BELOW]] : i1
// CHECK: scf.if %[[IN]] -> (vector<8xf32>)
// CHECK: %[[AT0:.*]] = vector.transfer_read %{{.*}}[%[[IY]], %c0]
// CHECK: vector.shuffle %{{.*}}, %[[AT0]] [0, 8, 9, 10, 11, 12, 13, 14] : vector<8xf32>, vector<8xf32>
// CHECK: scf.for %{{.*}} = %c2 to %c6 step %c1
// CHECK-NOT: scf.if
// CHECK: scf.for %{{.*}} = %c6 to %c8 step %c1
// CHECK: scf.if
// CHECK: return
#s1p = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 + d6, d4 + d7)>
#wp = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>
#yp = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
func.func @depthwise_padded(%x: tensor<1x1x4x6x20xf32>, %w: tensor<4x1x1x3x3xf32>, %b: tensor<1x4x1x8x20xf32>) -> tensor<1x4x1x8x20xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 0, 2, 1] high[0, 0, 0, 2, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index, %i4: index):
    tensor.yield %zero : f32
  } : tensor<1x1x4x6x20xf32> to tensor<1x1x4x10x22xf32>
  %c = tensor.collapse_shape %p [[0], [1, 2], [3], [4]] : tensor<1x1x4x10x22xf32> into tensor<1x4x10x22xf32>
  %e = tensor.expand_shape %c [[0], [1, 2], [3], [4]] output_shape [1, 4, 1, 10, 22] : tensor<1x4x10x22xf32> into tensor<1x4x1x10x22xf32>
  %r = linalg.generic {indexing_maps = [#s1p, #wp, #yp], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%e, %w : tensor<1x4x1x10x22xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x20xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %m = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x20xf32>
  return %r : tensor<1x4x1x8x20xf32>
}

// Y's initial value is the bias broadcast over each plane (what the Conv
// lowering emits): the accumulators start from the plane's bias, one
// broadcast read per plane from the bias itself, and Y is never read; the
// broadcast generic is gone (passes/AccumulatorInit.h).
// CHECK-LABEL: func.func @depthwise_bias
// CHECK-SAME: %[[BIAS:[a-z0-9]+]]: tensor<1x4xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[G:.*]] = %c0 to %c4 step %c1
// CHECK: %[[START:.*]] = vector.transfer_read %[[BIAS]][%c0, %[[G]]], %{{.*}} {in_bounds = [true], permutation_map = #{{.*}}} : tensor<1x4xf32>, vector<8xf32>
// CHECK: scf.for
// CHECK-NOT: vector.transfer_read {{.*}} : tensor<8x10xf32>, vector<8xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[START]]
// CHECK: return
#bias = affine_map<(n, g, m, oh, ow) -> (n, g)>
#id5 = affine_map<(a, b, c, d, e) -> (a, b, c, d, e)>
func.func @depthwise_bias(%x: tensor<1x4x1x10x12xf32>, %w: tensor<4x1x1x3x3xf32>, %bias: tensor<1x4xf32>) -> tensor<1x4x1x8x10xf32> {
  %e = tensor.empty() : tensor<1x4x1x8x10xf32>
  %b = linalg.generic {indexing_maps = [#bias, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : tensor<1x4xf32>) outs(%e : tensor<1x4x1x8x10xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x4x1x8x10xf32>
  %y = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x4x1x10x12xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x10xf32>) {
  ^bb0(%in: f32, %wt: f32, %out: f32):
    %m = arith.mulf %in, %wt : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x10xf32>
  return %y : tensor<1x4x1x8x10xf32>
}

// A ReLU6 after the convolution (mobilenet_v2's): applied to each vector
// just before its store, so it is no pass of its own over Y; the full
// vector and the masked one of each row both get it.
// CHECK-LABEL: func.func @depthwise_relu6
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK-COUNT-18: vector.fma
// CHECK: %[[LO0:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[HI0:.*]] = arith.minimumf %[[LO0]], %{{.*}} : vector<8xf32>
// CHECK: %[[LO1:.*]] = arith.maximumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NEXT: %[[HI1:.*]] = arith.minimumf %[[LO1]], %{{.*}} : vector<8xf32>
// CHECK: vector.transfer_write %[[HI0]], {{.*}} {in_bounds = [true]} : vector<8xf32>, tensor<8x10xf32>
// CHECK: vector.transfer_write %[[HI1]], {{.*}} : vector<8xf32>, tensor<8x10xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @depthwise_relu6(%x: tensor<1x4x1x10x12xf32>, %w: tensor<4x1x1x3x3xf32>, %b: tensor<1x4x1x8x10xf32>) -> tensor<1x4x1x8x10xf32> {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x1x10x12xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x10xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x10xf32>
  %e = tensor.empty() : tensor<1x4x1x8x10xf32>
  %c = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%r : tensor<1x4x1x8x10xf32>) outs(%e : tensor<1x4x1x8x10xf32>) {
  ^bb0(%v: f32, %o: f32):
    %lo = arith.maximumf %v, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  } -> tensor<1x4x1x8x10xf32>
  return %c : tensor<1x4x1x8x10xf32>
}

// An epilogue with an input of its own, per channel (a PReLU slope): read
// at the plane's channel, broadcast along the row.
// CHECK-LABEL: func.func @depthwise_prelu
// CHECK-SAME: %[[SLOPE:[a-z0-9]+]]: tensor<4xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[G:.*]] = %c0 to %c4 step %c1
// CHECK: vector.fma
// CHECK: vector.transfer_read %[[SLOPE]][%[[G]]], %{{.*}} {in_bounds = [true], permutation_map = #{{.*}}} : tensor<4xf32>, vector<8xf32>
// CHECK: arith.select
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.generic
// CHECK: return
#slope = affine_map<(n, g, m, oh, ow) -> (g)>
func.func @depthwise_prelu(%x: tensor<1x4x1x10x12xf32>, %w: tensor<4x1x1x3x3xf32>, %b: tensor<1x4x1x8x10xf32>, %slope: tensor<4xf32>) -> tensor<1x4x1x8x10xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x1x10x12xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x10xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x10xf32>
  %e = tensor.empty() : tensor<1x4x1x8x10xf32>
  %c = linalg.generic {indexing_maps = [#id5, #slope, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%r, %slope : tensor<1x4x1x8x10xf32>, tensor<4xf32>) outs(%e : tensor<1x4x1x8x10xf32>) {
  ^bb0(%v: f32, %a: f32, %o: f32):
    %neg = arith.cmpf olt, %v, %zero : f32
    %sv = arith.mulf %v, %a : f32
    %out = arith.select %neg, %sv, %v : f32
    linalg.yield %out : f32
  } -> tensor<1x4x1x8x10xf32>
  return %c : tensor<1x4x1x8x10xf32>
}

// The convolution's result is returned too: the ReLU6 cannot be folded
// into the kernel (both values must exist), and stays a generic.
// CHECK-LABEL: func.func @depthwise_relu6_shared
// CHECK: vector.fma
// CHECK-NOT: arith.minimumf {{.*}} : vector<8xf32>
// CHECK: linalg.generic
// CHECK: arith.minimumf
// CHECK: return
func.func @depthwise_relu6_shared(%x: tensor<1x4x1x10x12xf32>, %w: tensor<4x1x1x3x3xf32>, %b: tensor<1x4x1x8x10xf32>) -> (tensor<1x4x1x8x10xf32>, tensor<1x4x1x8x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %r = linalg.generic {indexing_maps = [#s1, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x1x10x12xf32>, tensor<4x1x1x3x3xf32>) outs(%b : tensor<1x4x1x8x10xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %p = arith.mulf %in, %k : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x8x10xf32>
  %e = tensor.empty() : tensor<1x4x1x8x10xf32>
  %c = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%r : tensor<1x4x1x8x10xf32>) outs(%e : tensor<1x4x1x8x10xf32>) {
  ^bb0(%v: f32, %o: f32):
    %lo = arith.maximumf %v, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  } -> tensor<1x4x1x8x10xf32>
  return %r, %c : tensor<1x4x1x8x10xf32>, tensor<1x4x1x8x10xf32>
}
