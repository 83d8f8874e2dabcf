// RUN: onnxc-opt %s --pass-pipeline='builtin.module(func.func(onnxc-vectorize-windows{vector-bytes=64}),canonicalize,cse)' | FileCheck %s

// An im2col copy with unit strides: col[c, kw, ow] = X[c, ow + kw]. Each
// row of 32 is two contiguous vectors of 16, read and written in bounds.
// CHECK-LABEL: func.func @im2col_unit_stride
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = tensor.extract_slice %arg0[%{{.*}}, %{{.*}}] [1, 32] [1, 1]
// CHECK: %[[A:.*]] = vector.transfer_read %[[ROW]][%c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<1x32xf32>, vector<16xf32>
// CHECK: %[[W:.*]] = vector.transfer_write %[[A]], %{{.*}}[%c0, %c0, %c0] {in_bounds = [true]}
// CHECK: %[[B:.*]] = vector.transfer_read %[[ROW]][%c0, %c16], %{{.*}} {in_bounds = [true]}
// CHECK: vector.transfer_write %[[B]], %[[W]][%c0, %c0, %c16] {in_bounds = [true]}
// CHECK-NOT: linalg.generic
#x1 = affine_map<(c, kw, ow) -> (c, ow + kw)>
#o3 = affine_map<(c, kw, ow) -> (c, kw, ow)>
func.func @im2col_unit_stride(%x: tensor<4x40xf32>) -> tensor<4x3x32xf32> {
  %e = tensor.empty() : tensor<4x3x32xf32>
  %r = linalg.generic {indexing_maps = [#x1, #o3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x40xf32>) outs(%e : tensor<4x3x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x3x32xf32>
  return %r : tensor<4x3x32xf32>
}

// Stride 2: twice the lanes read, the even ones kept by a shuffle; the
// row of 20 ends in a masked piece (a read past the 39 elements the row
// spans, a write past its 20).
// CHECK-LABEL: func.func @im2col_stride_two
// CHECK: %[[ROW:.*]] = tensor.extract_slice %arg0[%{{.*}}, 0] [1, 39] [1, 1]
// CHECK: %[[A:.*]] = vector.transfer_read %[[ROW]][%c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<1x39xf32>, vector<32xf32>
// CHECK: %[[EA:.*]] = vector.shuffle %[[A]], %[[A]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK: %[[W:.*]] = vector.transfer_write %[[EA]], %{{.*}}[%c0, %c0] {in_bounds = [true]} : vector<16xf32>, tensor<1x20xf32>
// CHECK: %[[B:.*]] = vector.transfer_read %[[ROW]][%c0, %c32], %{{.*}} : tensor<1x39xf32>, vector<32xf32>
// CHECK: %[[EB:.*]] = vector.shuffle %[[B]], %[[B]]
// CHECK: vector.transfer_write %[[EB]], %[[W]][%c0, %c16] : vector<16xf32>, tensor<1x20xf32>
#x2 = affine_map<(c, ow) -> (c, ow * 2)>
#o2 = affine_map<(c, ow) -> (c, ow)>
func.func @im2col_stride_two(%x: tensor<4x64xf32>) -> tensor<4x20xf32> {
  %e = tensor.empty() : tensor<4x20xf32>
  %r = linalg.generic {indexing_maps = [#x2, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x20xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x20xf32>
  return %r : tensor<4x20xf32>
}

// The dims tiled by 1 may be dynamic (a parallel loop's chunk of rows);
// the row is static.
// CHECK-LABEL: func.func @dynamic_outer_rows
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: vector.transfer_read %{{.*}}[%c0, %c2], %{{.*}} {in_bounds = [true]} : tensor<1x34xf32>, vector<16xf32>
// CHECK: vector.transfer_read %{{.*}}[%c0, %c18], %{{.*}} {in_bounds = [true]} : tensor<1x34xf32>, vector<16xf32>
#xd = affine_map<(r, ow) -> (r, ow + 2)>
func.func @dynamic_outer_rows(%x: tensor<?x40xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x40xf32>
  %e = tensor.empty(%n) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#xd, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x40xf32>) outs(%e : tensor<?x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// int8 rows move 64 lanes per vector (the int8 convolutions' im2col).
// CHECK-LABEL: func.func @int8_row
// CHECK: vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<1x100xi8>, vector<64xi8>
// CHECK: vector.transfer_read %{{.*}} : tensor<1x100xi8>, vector<64xi8>
#x3 = affine_map<(c, ow) -> (c, ow)>
func.func @int8_row(%x: tensor<4x100xi8>) -> tensor<4x100xi8> {
  %e = tensor.empty() : tensor<4x100xi8>
  %r = linalg.generic {indexing_maps = [#x3, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x100xi8>) outs(%e : tensor<4x100xi8>) {
  ^bb0(%in: i8, %out: i8):
    linalg.yield %in : i8
  } -> tensor<4x100xi8>
  return %r : tensor<4x100xi8>
}

// MaxPool's window reduction (kernel 3, stride 2, a shape-only window
// operand): per piece of the row, the accumulator read from the init,
// one strided read and a maximumf per window position, one write.
// CHECK-LABEL: func.func @max_pool_row
// CHECK: scf.for
// CHECK: %[[ACC:.*]] = vector.transfer_read %{{.*}}[%c0, %c0], %{{.*}} {in_bounds = [true]} : tensor<1x16xf32>, vector<16xf32>
// CHECK: %[[X0:.*]] = vector.transfer_read %{{.*}}[%c0, %c0], %{{.*}} : tensor<1x33xf32>, vector<32xf32>
// CHECK: %[[E0:.*]] = vector.shuffle %[[X0]], %[[X0]] [0, 2, 4
// CHECK: %[[M0:.*]] = arith.maximumf %[[E0]], %[[ACC]] : vector<16xf32>
// CHECK: %[[X1:.*]] = vector.transfer_read %{{.*}}[%c0, %c1], %{{.*}} : tensor<1x33xf32>, vector<32xf32>
// CHECK: %[[E1:.*]] = vector.shuffle %[[X1]], %[[X1]]
// CHECK: %[[M1:.*]] = arith.maximumf %[[E1]], %[[M0]] : vector<16xf32>
// CHECK: %[[X2:.*]] = vector.transfer_read %{{.*}}[%c0, %c2]
// CHECK: %[[E2:.*]] = vector.shuffle %[[X2]], %[[X2]]
// CHECK: %[[M2:.*]] = arith.maximumf %[[E2]], %[[M1]] : vector<16xf32>
// CHECK: vector.transfer_write %[[M2]], %{{.*}}[%c0, %c0] {in_bounds = [true]} : vector<16xf32>, tensor<1x16xf32>
// CHECK-NOT: linalg.generic
#px = affine_map<(c, ow, kw) -> (c, ow * 2 + kw)>
#pk = affine_map<(c, ow, kw) -> (kw)>
#py = affine_map<(c, ow, kw) -> (c, ow)>
func.func @max_pool_row(%x: tensor<4x33xf32>) -> tensor<4x16xf32> {
  %lowest = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%lowest : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %w = tensor.empty() : tensor<3xf32>
  %r = linalg.generic {indexing_maps = [#px, #pk, #py], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x33xf32>, tensor<3xf32>) outs(%f : tensor<4x16xf32>) {
  ^bb0(%in: f32, %k: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// An elementwise body on one input (a ReLU with its zero from outside the
// body) is computed on vectors too.
// CHECK-LABEL: func.func @relu_row
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[X:.*]] = vector.transfer_read
// CHECK: %[[R:.*]] = arith.maximumf %[[X]], %[[ZERO]] : vector<16xf32>
// CHECK: vector.transfer_write %[[R]]
func.func @relu_row(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#x3, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// Ops with properties keep them on vectors: the compare's predicate.
// CHECK-LABEL: func.func @select_relu_row
// CHECK: %[[X:.*]] = vector.transfer_read
// CHECK: %[[C:.*]] = arith.cmpf ogt, %[[X]], %{{.*}} : vector<16xf32>
// CHECK: %[[R:.*]] = arith.select %[[C]], %[[X]], %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK: vector.transfer_write %[[R]]
func.func @select_relu_row(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#x3, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.cmpf ogt, %in, %zero : f32
    %m = arith.select %c, %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// Negative: a broadcast along the row (the input does not read the
// innermost dim), a stride of 3, a row read across the input's rows, and
// a body without a window that reads the output's old value are left to
// the loop lowering.
// CHECK-LABEL: func.func @not_row_copies
// CHECK-NOT: vector.transfer
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: vector.transfer
// CHECK: return
#bcast = affine_map<(c, ow) -> (c, 0)>
#x4 = affine_map<(c, ow) -> (c, ow * 3)>
#across = affine_map<(c, ow) -> (ow, c)>
func.func @not_row_copies(%x: tensor<4x64xf32>, %y: tensor<16x4xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x64xf32>) {
  %e = tensor.empty() : tensor<4x16xf32>
  %a = linalg.generic {indexing_maps = [#bcast, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %b = linalg.generic {indexing_maps = [#x4, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %c = linalg.generic {indexing_maps = [#across, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<16x4xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x16xf32>
  %e64 = tensor.empty() : tensor<4x64xf32>
  %d = linalg.generic {indexing_maps = [#x3, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e64 : tensor<4x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.addf %in, %out : f32
    linalg.yield %n : f32
  } -> tensor<4x64xf32>
  return %a, %b, %c, %d : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x64xf32>
}

// Negative: a conversion to bf16 stays scalar (onnxc-expand-bfloat16
// rewrites the scalar truncf; Debian's libgcc has no __truncsfbf2).
// CHECK-LABEL: func.func @bf16_cast
// CHECK-NOT: vector.transfer
// CHECK: linalg.generic
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @bf16_cast(%x: tensor<4x64xf32>) -> tensor<4x64xbf16> {
  %e = tensor.empty() : tensor<4x64xbf16>
  %r = linalg.generic {indexing_maps = [#x3, #o2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf32>) outs(%e : tensor<4x64xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x64xbf16>
  return %r : tensor<4x64xbf16>
}
