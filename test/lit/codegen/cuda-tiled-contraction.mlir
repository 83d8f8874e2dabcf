// RUN: onnxc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(onnxc-cuda-map-to-gpu))' | FileCheck %s
// RUN: onnxc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(onnxc-cuda-map-to-gpu{tile-contractions=0}))' | FileCheck %s --check-prefix=OFF

// A batched product [B, 37, 53] x [53, 45] (B dynamic): 16 x 16-thread
// blocks over (N tiles, M tiles, B), two 16 x 16 tiles in shared memory,
// two barriers per step of K, the payload applied to the staged elements.
func.func @batched(%a: memref<?x37x53xf32>, %b: memref<53x45xf32>, %c: memref<?x37x45xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
                                   affine_map<(d0, d1, d2, d3) -> (d3, d2)>,
                                   affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x37x53xf32>, memref<53x45xf32>) outs(%c : memref<?x37x45xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @batched
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %[[BZ:.*]]) in ({{.*}}) threads(%[[TX:.*]], %[[TY:.*]], %{{.*}}) in (%{{.*}} = %[[C16]], %{{.*}} = %[[C16]], %{{.*}} = %c1{{.*}}) workgroup(%[[AT:.*]] : memref<16x16xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<16x16xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: memref.load %arg0
// CHECK: memref.store %{{.*}}, %[[AT]][%[[TY]], %[[TX]]]
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %[[BT]][%[[TY]], %[[TX]]]
// CHECK: gpu.barrier
// CHECK: scf.for %[[KK:[^ ]*]] =
// CHECK: memref.load %[[AT]][%[[TY]], %[[KK]]]
// CHECK: memref.load %[[BT]][%[[KK]], %[[TX]]]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// OFF-LABEL: func.func @batched
// OFF-NOT: gpu.launch
// OFF: scf.parallel

// -----

// Gemm's alpha scales the product; two K dims (a [heads, head size]
// reduction) are walked as one; the unit M dim is not the one tiled.
func.func @scaled_two_k(%a: memref<128x1x12x64xf32>, %b: memref<12x64x768xf32>, %c: memref<128x1x768xf32>, %alpha: f32) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>,
                                   affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>,
                                   affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : memref<128x1x12x64xf32>, memref<12x64x768xf32>) outs(%c : memref<128x1x768xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %q = arith.mulf %p, %alpha : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @scaled_two_k
// Blocks: ceil(128 * 1 / 16) M tiles in x (the M dims 128 and 1 walked as
// one), ceil(768 / 16) N tiles in y, no outer dim in z.
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C768:.*]] = arith.constant 768 : index
// CHECK: %[[M0:.*]] = arith.muli %{{.*}}, %[[C128]] : index
// CHECK: %[[M:.*]] = arith.muli %[[M0]], %c1 : index
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %[[C768]] : index
// CHECK: %[[NP:.*]] = arith.addi %[[N]], %c15
// CHECK: %[[NT:.*]] = arith.divui %[[NP]], %c16
// CHECK: %[[MP:.*]] = arith.addi %[[M]], %c15
// CHECK: %[[MT:.*]] = arith.divui %[[MP]], %c16
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %[[MT]], %{{.*}} = %[[NT]], %{{.*}} = %{{.*}})
// The linear K index: head = k / 64, offset = k % 64.
// CHECK: arith.remui %{{.*}}, %c64
// CHECK: arith.divui %{{.*}}, %c64
// CHECK: gpu.barrier
// CHECK: arith.mulf
// CHECK: arith.mulf %{{.*}}, %arg3
// CHECK: arith.addf
// CHECK: gpu.barrier

// -----

// A convolution as an implicit GEMM: M = (n, oh, ow), N = f, K = (c, kh,
// kw); the input is read through oh + kh and ow + kw.
func.func @conv(%x: memref<1x3x10x10xf32>, %w: memref<20x3x3x3xf32>, %y: memref<1x20x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x10x10xf32>, memref<20x3x3x3xf32>) outs(%y : memref<1x20x8x8xf32>)
  return
}

// CHECK-LABEL: func.func @conv
// CHECK: gpu.launch
// CHECK: affine.apply
// CHECK: memref.load %arg0
// CHECK: gpu.barrier
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: gpu.barrier

// -----

// A producer fused into the product (a bias along K and a ReLU on the A
// side, as GELU is fused into BERT's FFN2): the tile stages the produced
// value; the step of K only multiplies and adds.
func.func @fused_producer(%a: memref<64x32xf32>, %bias: memref<32xf32>, %b: memref<32x48xf32>, %c: memref<64x48xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2)>,
                                   affine_map<(d0, d1, d2) -> (d2, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bias, %b : memref<64x32xf32>, memref<32xf32>, memref<32x48xf32>) outs(%c : memref<64x48xf32>) {
  ^bb0(%x: f32, %bb: f32, %y: f32, %acc: f32):
    %s = arith.addf %x, %bb : f32
    %r = arith.maximumf %s, %zero : f32
    %p = arith.mulf %r, %y : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  }
  return
}

// CHECK-LABEL: func.func @fused_producer
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: scf.if
// CHECK-DAG: memref.load %arg0
// CHECK-DAG: memref.load %arg1
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: memref.store
// CHECK: memref.load %arg2
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK-NEXT: memref.load
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: scf.yield
// CHECK: gpu.barrier

// -----

// Not tiled: a payload that reads an input element outside the product.
func.func @outside_product(%a: memref<64x32xf32>, %b: memref<32x48xf32>, %c: memref<64x48xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<64x32xf32>, memref<32x48xf32>) outs(%c : memref<64x48xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %q = arith.addf %p, %x : f32
    %t = arith.addf %acc, %q : f32
    linalg.yield %t : f32
  }
  return
}

// CHECK-LABEL: func.func @outside_product
// CHECK-NOT: gpu.launch
// CHECK: scf.parallel

// -----

// Not tiled: a matrix-vector product (M = 1), an integer product, and a
// payload that is not acc + a * b (a max-plus product).
func.func @negatives(%v: memref<1x64xf32>, %w: memref<64x256xf32>, %o: memref<1x256xf32>,
                     %ia: memref<32x32xi32>, %ib: memref<32x32xi32>, %ic: memref<32x32xi32>,
                     %fa: memref<32x32xf32>, %fb: memref<32x32xf32>, %fc: memref<32x32xf32>) {
  linalg.matmul ins(%v, %w : memref<1x64xf32>, memref<64x256xf32>) outs(%o : memref<1x256xf32>)
  linalg.matmul ins(%ia, %ib : memref<32x32xi32>, memref<32x32xi32>) outs(%ic : memref<32x32xi32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                   affine_map<(d0, d1, d2) -> (d2, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%fa, %fb : memref<32x32xf32>, memref<32x32xf32>) outs(%fc : memref<32x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.addf %x, %y : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// CHECK-LABEL: func.func @negatives
// CHECK-NOT: gpu.launch
// CHECK-NOT: gpu.barrier
