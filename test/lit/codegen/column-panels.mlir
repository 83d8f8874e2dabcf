// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 pack-panels=true}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=8 column-vectors=2 pack-panels=true}),canonicalize,cse)' | FileCheck %s --check-prefix=ROWS8
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2}),canonicalize,cse)' | FileCheck %s --check-prefix=OFF

// Column panels (passes/ColumnPanels.h): with 8-lane vectors and two
// vectors per block row, a panel is 16 columns of B.

// A constant B is packed at compile time: [2, 20] becomes two panels of
// [2, 16], the second zero-padded past column 20, and the kernel reads its
// rows from there, whole (in bounds).
// CHECK-LABEL: func.func @constant_b
// CHECK: %[[P:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00, {{.*}}, 1.600000e+01], [2.100000e+01, {{.*}}, 3.600000e+01]], {{\[\[}}1.700000e+01, 1.800000e+01, 1.900000e+01, 2.000000e+01, 0.000000e+00, {{.*}}, 0.000000e+00], [3.700000e+01, 3.800000e+01, 3.900000e+01, 4.000000e+01, 0.000000e+00, {{.*}}]]]> : tensor<2x2x16xf32>
// CHECK: scf.for %[[N:.*]] = %c0 to %c20 step %c16
// CHECK: scf.for %[[K:.*]] = %c0 to %c2 step %c1
// CHECK: %[[J:.*]] = affine.apply {{.*}}(%[[N]])
// CHECK: vector.transfer_read %[[P]][%[[J]], %[[K]], %c0], %{{.*}} {in_bounds = [true]} : tensor<2x2x16xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.fma
// The packing is the pass's option.
// OFF-LABEL: func.func @constant_b
// OFF: arith.constant dense<{{.*}}> : tensor<2x20xf32>
// OFF-NOT: tensor<2x2x16xf32>
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @constant_b(%x: tensor<8x2xf32>, %acc: tensor<8x20xf32>) -> tensor<8x20xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0],
                             [21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0]]> : tensor<2x20xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x2xf32>, tensor<2x20xf32>) outs(%acc : tensor<8x20xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x20xf32>
  return %r : tensor<8x20xf32>
}

// A B read across its rows (attention's K^T: B[n, k]) would be gathered
// one element per lane: it is copied into panels before the product (16
// rows, four blocks, read each panel). 40 columns are two whole panels,
// copied by one generic, and a last one of 8 columns zero-padded to 16.
// CHECK-LABEL: func.func @transposed_b
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x8x16xf32>
// CHECK: %[[FULL:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<40x8xf32>) outs(%{{.*}} : tensor<2x8x16xf32>)
// CHECK: %[[P1:.*]] = tensor.insert_slice %[[FULL]] into %[[E]][0, 0, 0] [2, 8, 16]
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %{{.*}}[32, 0] [8, 8] [1, 1] : tensor<40x8xf32> to tensor<8x8xf32>
// CHECK: %[[PAD:.*]] = tensor.pad %[[TAIL]] low[0, 0] high[8, 0]
// CHECK: tensor.yield %cst : f32
// CHECK: %[[LAST:.*]] = linalg.generic {{.*}} ins(%[[PAD]] : tensor<16x8xf32>) outs(%{{.*}} : tensor<1x8x16xf32>)
// CHECK: %[[P:.*]] = tensor.insert_slice %[[LAST]] into %[[P1]][2, 0, 0] [1, 8, 16]
// CHECK: vector.transfer_read %[[P]][{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<3x8x16xf32>, vector<16xf32>
func.func @transposed_b(%x: tensor<16x8xf32>, %w: tensor<40x8xf32>, %acc: tensor<16x40xf32>) -> tensor<16x40xf32> {
  %r = linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x8xf32>, tensor<40x8xf32>) outs(%acc : tensor<16x40xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x40xf32>
  return %r : tensor<16x40xf32>
}

// With a single block of rows, nothing would reuse the copy: B is read in
// place, gathers and all.
// CHECK-LABEL: func.func @transposed_b_one_block
// CHECK-NOT: linalg.generic
// CHECK: vector.transfer_read %{{.*}} : tensor<?x8xf32>, vector<16xf32>
func.func @transposed_b_one_block(%x: tensor<4x8xf32>, %w: tensor<40x8xf32>, %acc: tensor<4x40xf32>) -> tensor<4x40xf32> {
  %r = linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x8xf32>, tensor<40x8xf32>) outs(%acc : tensor<4x40xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x40xf32>
  return %r : tensor<4x40xf32>
}

// A plain B whose rows spread over the caches (40 floats apart) is read in
// place: a copy would cost as much as it saves.
// CHECK-LABEL: func.func @plain_b
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.pad
// CHECK: vector.transfer_read %{{.*}} : tensor<7x?xf32>, vector<16xf32>
func.func @plain_b(%x: tensor<16x7xf32>, %w: tensor<7x40xf32>, %acc: tensor<16x40xf32>) -> tensor<16x40xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x7xf32>, tensor<7x40xf32>) outs(%acc : tensor<16x40xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x40xf32>
  return %r : tensor<16x40xf32>
}

// A B whose rows are 1024 floats (4 KiB) apart: a panel's 1024 rows fall
// into 32 of the L2's sets, too few to keep it there while the row blocks
// reuse it. Packed at run time. With 8-row blocks, A's 8 rows, 4 KiB
// apart, would all share one L1 set: A is packed too, into [2, 1024, 8].
// CHECK-LABEL: func.func @aliasing_b
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1024x1024xf32>) outs(%{{.*}} : tensor<64x1024x16xf32>)
// CHECK-NOT: tensor<2x1024x8xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<64x1024x16xf32>, vector<16xf32>
// ROWS8-LABEL: func.func @aliasing_b
// ROWS8: linalg.generic {{.*}} outs(%{{.*}} : tensor<64x1024x16xf32>)
// ROWS8: linalg.generic {{.*}} ins(%{{.*}} : tensor<16x1024xf32>) outs(%{{.*}} : tensor<2x1024x8xf32>)
// ROWS8: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<64x1024x16xf32>, vector<16xf32>
// ROWS8-COUNT-8: tensor.extract %{{.*}} : tensor<2x1024x8xf32>
func.func @aliasing_b(%x: tensor<16x1024xf32>, %w: tensor<1024x1024xf32>, %acc: tensor<16x1024xf32>) -> tensor<16x1024xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x1024xf32>, tensor<1024x1024xf32>) outs(%acc : tensor<16x1024xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x1024xf32>
  return %r : tensor<16x1024xf32>
}

// B's rows are short (196 floats: a convolution's 14x14 output): every
// panel row starts mid-line and the last panel (4 of 16 columns) is a
// masked read on each k step. With 32 blocks of rows (128 rows of 4) to
// reuse it, B is copied into panels at run time.
// CHECK-LABEL: func.func @short_rows
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<9x196xf32>) outs(%{{.*}} : tensor<12x9x16xf32>)
// CHECK: tensor.pad
// CHECK: vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<13x9x16xf32>, vector<16xf32>
func.func @short_rows(%x: tensor<128x9xf32>, %w: tensor<9x196xf32>, %acc: tensor<128x196xf32>) -> tensor<128x196xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<128x9xf32>, tensor<9x196xf32>) outs(%acc : tensor<128x196xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<128x196xf32>
  return %r : tensor<128x196xf32>
}

// The same rows read by only 31 blocks (124 rows): in place. (At 56x56,
// with 8 or 16 blocks, the copy measured up to 40% slower.)
// CHECK-LABEL: func.func @short_rows_few_blocks
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.pad
// CHECK: vector.transfer_read {{.*}} : tensor<9x?xf32>, vector<16xf32>
func.func @short_rows_few_blocks(%x: tensor<124x9xf32>, %w: tensor<9x196xf32>, %acc: tensor<124x196xf32>) -> tensor<124x196xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<124x9xf32>, tensor<9x196xf32>) outs(%acc : tensor<124x196xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<124x196xf32>
  return %r : tensor<124x196xf32>
}
