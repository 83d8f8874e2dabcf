// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-contractions{vector-bytes=64 rows=6 column-vectors=4 gemv-max-rows=0}),canonicalize,cse)' | FileCheck %s

// N = 100 is not whole 64-column blocks: every tile's column size is then
// dynamic (min(64, 100 - n)), which would make every transfer along the
// columns masked, the full tiles' included. The tile is versioned on its
// width: the full tiles (width 64) run a kernel whose B rows and C rows
// are in bounds, the last tile the masked one.
// CHECK-LABEL: func.func @partial_columns
// CHECK: scf.for %[[N:.*]] = %c0 to %c100 step %c64
// CHECK: %[[W:.*]] = affine.min
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[W]], %c64 : index
// CHECK: scf.if %[[FULL]] -> (tensor<6x?xf32>)
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<32x?xf32>, vector<64xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true, true]} : vector<1x64xf32>, tensor<6x?xf32>
// CHECK: } else {
// CHECK: vector.transfer_read %{{.*}} : tensor<32x?xf32>, vector<64xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true, false]} : vector<1x64xf32>, tensor<6x?xf32>
func.func @partial_columns(%a: tensor<12x32xf32>, %b: tensor<32x100xf32>) -> tensor<12x100xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x100xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x100xf32>) -> tensor<12x100xf32>
  %r = linalg.matmul ins(%a, %b : tensor<12x32xf32>, tensor<32x100xf32>) outs(%f : tensor<12x100xf32>) -> tensor<12x100xf32>
  return %r : tensor<12x100xf32>
}

// Negative: whole blocks (N = 128) have static tiles, in bounds already:
// no version.
// CHECK-LABEL: func.func @whole_columns
// CHECK-NOT: scf.if
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<32x64xf32>, vector<64xf32>
// CHECK-NOT: scf.if
// CHECK: return
func.func @whole_columns(%a: tensor<12x32xf32>, %b: tensor<32x128xf32>) -> tensor<12x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x128xf32>) -> tensor<12x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<12x32xf32>, tensor<32x128xf32>) outs(%f : tensor<12x128xf32>) -> tensor<12x128xf32>
  return %r : tensor<12x128xf32>
}

// Negative: a single tile narrower than a block (N = 40) is the masked
// kernel alone.
// CHECK-LABEL: func.func @one_partial_tile
// CHECK-NOT: scf.if
// CHECK: return
func.func @one_partial_tile(%a: tensor<12x32xf32>, %b: tensor<32x40xf32>) -> tensor<12x40xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x40xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x40xf32>) -> tensor<12x40xf32>
  %r = linalg.matmul ins(%a, %b : tensor<12x32xf32>, tensor<32x40xf32>) outs(%f : tensor<12x40xf32>) -> tensor<12x40xf32>
  return %r : tensor<12x40xf32>
}

// The last tile gets a kernel only as wide as the power of two of vectors
// covering its columns: N = 68 leaves 4 columns, read and written as one
// masked vector of 16, not 64 (a quarter of the FMAs of resnet50's 14 x 14
// convolutions went to masked-off lanes).
// CHECK-LABEL: func.func @narrow_last_tile
// CHECK: scf.if %{{.*}} -> (tensor<6x?xf32>)
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<32x?xf32>, vector<64xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true, true]} : vector<1x64xf32>, tensor<6x?xf32>
// CHECK: } else {
// CHECK-NOT: vector<64xf32>
// CHECK: vector.transfer_read %{{.*}} : tensor<32x?xf32>, vector<16xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true, false]} : vector<1x16xf32>, tensor<6x?xf32>
func.func @narrow_last_tile(%a: tensor<12x32xf32>, %b: tensor<32x68xf32>) -> tensor<12x68xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x68xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x68xf32>) -> tensor<12x68xf32>
  %r = linalg.matmul ins(%a, %b : tensor<12x32xf32>, tensor<32x68xf32>) outs(%f : tensor<12x68xf32>) -> tensor<12x68xf32>
  return %r : tensor<12x68xf32>
}

// A last tile of exactly one vector (N = 80: 64 + 16) needs no mask.
// CHECK-LABEL: func.func @whole_vector_last_tile
// CHECK: } else {
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<32x?xf32>, vector<16xf32>
// CHECK-COUNT-6: vector.transfer_write %{{.*}} {in_bounds = [true, true]} : vector<1x16xf32>, tensor<6x?xf32>
func.func @whole_vector_last_tile(%a: tensor<12x32xf32>, %b: tensor<32x80xf32>) -> tensor<12x80xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x80xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<12x80xf32>) -> tensor<12x80xf32>
  %r = linalg.matmul ins(%a, %b : tensor<12x32xf32>, tensor<32x80xf32>) outs(%f : tensor<12x80xf32>) -> tensor<12x80xf32>
  return %r : tensor<12x80xf32>
}
