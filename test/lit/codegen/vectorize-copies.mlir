// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-copies{max-row-elements=64}))' | FileCheck %s

// A plane copied into the interior of its padded buffer: one loop over the
// rows (the unit dims get none), each row one vector read and write.
// CHECK-LABEL: func.func @into_padded
// CHECK-SAME: (%[[SRC:.*]]: memref<1x1x5x56xf32>, %[[DST:.*]]: memref<1x1x5x56xf32, strided<[406, 406, 58, 1], offset: 59>>)
// CHECK-NOT: memref.copy
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: scf.for %[[R:.*]] = %[[C0]] to %c5 step %c1
// CHECK: %[[ROW:.*]] = vector.transfer_read %[[SRC]][%[[C0]], %[[C0]], %[[R]], %[[C0]]]{{.*}}{in_bounds = [true]} : memref<1x1x5x56xf32>, vector<56xf32>
// CHECK-NEXT: vector.transfer_write %[[ROW]], %[[DST]][%[[C0]], %[[C0]], %[[R]], %[[C0]]] {in_bounds = [true]} : vector<56xf32>, memref<1x1x5x56xf32, strided<[406, 406, 58, 1], offset: 59>>
func.func @into_padded(%src: memref<1x1x5x56xf32>, %dst: memref<1x1x5x56xf32, strided<[406, 406, 58, 1], offset: 59>>) {
  memref.copy %src, %dst : memref<1x1x5x56xf32> to memref<1x1x5x56xf32, strided<[406, 406, 58, 1], offset: 59>>
  return
}

// The last 4 columns of each of 3 rows into a panel, dynamic offsets on
// both sides; integers too.
// CHECK-LABEL: func.func @partial_panel
// CHECK-NOT: memref.copy
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<4xi32>
// CHECK: vector.transfer_write {{.*}} vector<4xi32>
func.func @partial_panel(%src: memref<3x4xi32, strided<[196, 1], offset: ?>>, %dst: memref<3x4xi32, strided<[64, 1], offset: ?>>) {
  memref.copy %src, %dst : memref<3x4xi32, strided<[196, 1], offset: ?>> to memref<3x4xi32, strided<[64, 1], offset: ?>>
  return
}

// Left alone: both sides contiguous (one memcpy already), rows longer
// than max-row-elements, a strided innermost dim, a dynamic shape, i1.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: memref.copy
// CHECK-NOT: vector.transfer_read
func.func @left_alone(%a: memref<4x8xf32>, %b: memref<4x8xf32>,
                      %c: memref<2x100xf32>, %d: memref<2x100xf32, strided<[128, 1]>>,
                      %e: memref<4x8xf32, strided<[16, 2]>>,
                      %f: memref<?x8xf32>, %g: memref<?x8xf32, strided<[16, 1]>>,
                      %h: memref<2x8xi1>, %i: memref<2x8xi1, strided<[16, 1]>>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  memref.copy %c, %d : memref<2x100xf32> to memref<2x100xf32, strided<[128, 1]>>
  memref.copy %a, %e : memref<4x8xf32> to memref<4x8xf32, strided<[16, 2]>>
  memref.copy %f, %g : memref<?x8xf32> to memref<?x8xf32, strided<[16, 1]>>
  memref.copy %h, %i : memref<2x8xi1> to memref<2x8xi1, strided<[16, 1]>>
  return
}
