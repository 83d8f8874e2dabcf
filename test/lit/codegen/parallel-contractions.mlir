// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 parallel=1 min-parallel-macs=1000 min-peel-macs=0}),canonicalize,cse)' | FileCheck %s
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 parallel=1 min-parallel-macs=1000 min-peel-macs=2000}),canonicalize,cse)' | FileCheck %s --check-prefix=NOPEEL
// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=32 rows=4 column-vectors=2 parallel=1 min-parallel-macs=1000 min-peel-macs=0}),canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},cse,canonicalize,func.func(scf-forall-to-parallel))' | FileCheck %s --check-prefix=BUF

// With `parallel`, the 4 x 16 blocks of a large enough contraction are one
// scf.forall over columns, then rows (each thread's share is rows of a
// column panel); each block is the vector kernel, written back with
// parallel_insert_slice. The last, partial block of columns (4 of 20) gets
// a forall of its own, writing into the first one's result, so that the
// threads share the cheap blocks evenly (passes/PeelPartialBlocks.h); here
// each forall has one block of columns, which canonicalize drops.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[FULL:.*]] = scf.forall (%[[M:.*]]) = (0) to (10) step (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<10x20xf32>)
// CHECK: %[[C:.*]] = tensor.extract_slice %[[OUT]][%[[M]], 0] [%{{.*}}, 16]
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args
// CHECK-COUNT-4: vector.fma
// CHECK: vector.transfer_write
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[M]], 0] [%{{.*}}, 16]
// CHECK: %[[LAST:.*]] = scf.forall (%[[M2:.*]]) = (0) to (10) step (4) shared_outs(%[[OUT2:.*]] = %[[FULL]]) -> (tensor<10x20xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args
// CHECK-COUNT-4: vector.fma {{.*}} : vector<8xf32>
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT2]][%[[M2]], 16] [%{{.*}}, 4]
// CHECK: return %[[LAST]]
// CHECK-NOT: scf.for %{{.*}} step %c16
// Below min-peel-macs (1400 multiply-adds here), one forall: a second
// parallel region would cost more than the imbalance.
// NOPEEL-LABEL: func.func @matmul
// NOPEEL: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (20, 10) step (16, 4)
// NOPEEL-NOT: scf.forall (
// NOPEEL: return
// Bufferized in place: the loops write into the result's buffer through
// subviews, with no copy of the output and no buffer per block.
// BUF-LABEL: func.func @matmul
// BUF-SAME: %[[ACC:[a-z0-9]+]]: memref<10x20xf32>
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c10) step (%c4)
// BUF: memref.subview %[[ACC]][%{{.*}}, 0] [%{{.*}}, 16]
// BUF: scf.reduce
// BUF: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c10{{[_0-9]*}}) step (%c4{{[_0-9]*}})
// BUF: memref.subview %[[ACC]][%{{.*}}, 16] [%{{.*}}, 4]
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: scf.reduce
// BUF: return
func.func @matmul(%x: tensor<10x7xf32>, %w: tensor<7x20xf32>, %acc: tensor<10x20xf32>) -> tensor<10x20xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<10x7xf32>, tensor<7x20xf32>) outs(%acc : tensor<10x20xf32>) -> tensor<10x20xf32>
  return %r : tensor<10x20xf32>
}

// Batch dims join the forall (outermost); a second reduction dim is a
// serial loop inside each block.
// CHECK-LABEL: func.func @batched_split_k
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (3, 10) step (1, 4)
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<1x?x16xf32>)
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args
// CHECK: tensor.insert_slice
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (3, 10) step (1, 4)
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<1x?x4xf32>)
#a = affine_map<(b, m, n, k1, k) -> (b, m, k1, k)>
#b = affine_map<(b, m, n, k1, k) -> (k1, k, n)>
#c = affine_map<(b, m, n, k1, k) -> (b, m, n)>
func.func @batched_split_k(%x: tensor<3x10x2x7xf32>, %w: tensor<2x7x20xf32>, %acc: tensor<3x10x20xf32>) -> tensor<3x10x20xf32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<3x10x2x7xf32>, tensor<2x7x20xf32>) outs(%acc : tensor<3x10x20xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x10x20xf32>
  return %r : tensor<3x10x20xf32>
}

// A dynamic row count: parallel whatever it turns out to be, if the work
// with one row already pays (here 7 x 200 = 1400 multiply-adds). The 12
// full blocks of columns and the last one (8 of 200) are two loops.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: %[[FULL:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (192, %{{.*}}) step (16, 4)
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (4) shared_outs(%{{.*}} = %[[FULL]])
func.func @dynamic_rows(%x: tensor<?x7xf32>, %w: tensor<7x200xf32>, %acc: tensor<?x200xf32>) -> tensor<?x200xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<?x7xf32>, tensor<7x200xf32>) outs(%acc : tensor<?x200xf32>) -> tensor<?x200xf32>
  return %r : tensor<?x200xf32>
}

// Too little work (8 x 7 x 16 = 896 multiply-adds), or one block only:
// serial loops.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: scf.for %{{.*}} = %c0 to %c8 step %c4
func.func @small(%x: tensor<8x7xf32>, %w: tensor<7x16xf32>, %acc: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<8x7xf32>, tensor<7x16xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
// CHECK-LABEL: func.func @one_block
// CHECK-NOT: scf.forall
// CHECK: vector.fma
// CHECK-LABEL: func.func @dynamic_small
func.func @one_block(%x: tensor<4x300xf32>, %w: tensor<300x16xf32>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<4x300xf32>, tensor<300x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// Dynamic rows, but one row is too little work (7 x 20 = 140).
// CHECK-NOT: scf.forall
// CHECK: scf.for
func.func @dynamic_small(%x: tensor<?x7xf32>, %w: tensor<7x20xf32>, %acc: tensor<?x20xf32>) -> tensor<?x20xf32> {
  %r = linalg.matmul ins(%x, %w : tensor<?x7xf32>, tensor<7x20xf32>) outs(%acc : tensor<?x20xf32>) -> tensor<?x20xf32>
  return %r : tensor<?x20xf32>
}
