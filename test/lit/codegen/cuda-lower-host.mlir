// RUN: onnxc-opt %s -onnxc-cuda-lower-host -split-input-file -verify-diagnostics | FileCheck %s

// The host side of the CUDA path: allocations from the runtime's device
// arena, weights from their device copies, launches with the kernel's
// arguments in i64 slots (a memref as allocated and aligned pointer,
// offset, sizes, strides; a float's bits in the low bytes).

module attributes {gpu.container_module} {
  memref.global "private" constant @w : memref<4x3xf32> = dense<1.0>
  func.func @main_graph(%x: memref<?x4xf32>) -> memref<?x3xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %cst = arith.constant 2.5 : f32
    %w = memref.get_global @w : memref<4x3xf32>
    %n = memref.dim %x, %c0 : memref<?x4xf32>
    %out = memref.alloc(%n) {alignment = 64 : i64} : memref<?x3xf32>
    gpu.launch_func @onnxc_kernels::@k blocks in (%n, %c1, %c1) threads in (%c256, %c1, %c1) args(%cst : f32, %x : memref<?x4xf32>, %w : memref<4x3xf32>, %out : memref<?x3xf32>)
    %tmp = memref.alloc() : memref<16xf32>
    gpu.launch_func @onnxc_kernels::@k2 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%tmp : memref<16xf32>)
    memref.dealloc %tmp : memref<16xf32>
    return %out : memref<?x3xf32>
  }
  gpu.module @onnxc_kernels {
    gpu.func @k(%a: f32, %b: memref<?x4xf32>, %c: memref<4x3xf32>, %d: memref<?x3xf32>) kernel {
      gpu.return
    }
    gpu.func @k2(%a: memref<16xf32>) kernel {
      gpu.return
    }
  }
}

// CHECK: module attributes {onnxc.cuda_kernels = ["k", "k2"], onnxc.cuda_weights = 1 : i64}
// CHECK-NOT: gpu.container_module
// CHECK-DAG: func.func private @onnxc_cuda_rt_alloc(i64) -> memref<?xi8> attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @onnxc_cuda_rt_weight(i64) -> memref<?xi8> attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @onnxc_cuda_rt_launch(i64, i64, i64, i64, i64, i64, i64, memref<?xi64>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @main_graph
// CHECK: %[[WRAW:.*]] = call @onnxc_cuda_rt_weight(%c0_i64{{.*}}) : (i64) -> memref<?xi8>
// CHECK: %[[W:.*]] = memref.view %[[WRAW]][%{{.*}}][] : memref<?xi8> to memref<4x3xf32>
// CHECK: %[[N:.*]] = memref.dim
// 12 bytes per row of 3 floats, times the dynamic batch:
// CHECK: %[[C12:.*]] = arith.constant 12 : index
// CHECK: %[[BYTES:.*]] = arith.muli %[[C12]], %[[N]] : index
// CHECK: %[[BYTES64:.*]] = arith.index_cast %[[BYTES]] : index to i64
// CHECK: %[[RAW:.*]] = call @onnxc_cuda_rt_alloc(%[[BYTES64]]) : (i64) -> memref<?xi8>
// CHECK: %[[OUT:.*]] = memref.view %[[RAW]][%{{.*}}][%[[N]]] : memref<?xi8> to memref<?x3xf32>
// The float: its bits, zero-extended.
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[WIDE:.*]] = arith.extui %[[BITS]] : i32 to i64
// x: aligned pointer twice, offset, 2 sizes, 2 strides.
// CHECK: memref.extract_aligned_pointer_as_index %arg0
// CHECK: memref.extract_strided_metadata %arg0
// CHECK: memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: memref.extract_aligned_pointer_as_index %[[OUT]]
// 1 + 3 memrefs of rank 2 (7 slots each) = 22 slots.
// CHECK: %[[COUNT:.*]] = arith.constant 22 : index
// CHECK: %[[SLOTS:.*]] = memref.alloca(%[[COUNT]]) : memref<?xi64>
// CHECK: memref.store %[[WIDE]], %[[SLOTS]][%{{.*}}] : memref<?xi64>
// CHECK-COUNT-21: memref.store %{{.*}}, %[[SLOTS]]
// CHECK: call @onnxc_cuda_rt_launch(%c0_i64{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SLOTS]])
// CHECK: call @onnxc_cuda_rt_alloc
// CHECK: arith.constant 5 : index
// CHECK: call @onnxc_cuda_rt_launch(%c1_i64
// CHECK-NOT: memref.dealloc
// CHECK-NOT: gpu.launch_func
// CHECK: return %[[OUT]]
// CHECK-LABEL: func.func @onnxc_cuda_weight_table(%arg0: memref<?xi64>) attributes {llvm.emit_c_interface}
// CHECK: %[[G:.*]] = memref.get_global @w : memref<4x3xf32>
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[G]]
// CHECK: %[[P64:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: memref.store %[[P64]], %arg0[%c0{{.*}}]
// CHECK: %[[SIZE:.*]] = arith.constant 48 : i64
// CHECK: memref.store %[[SIZE]], %arg0[%c1{{.*}}]
// CHECK-NOT: gpu.module

// -----

// Elements the host reads or writes go through the runtime: the address is
// the aligned pointer plus (offset + index . strides) elements; a float
// travels as its bits.
module attributes {gpu.container_module} {
  func.func @main_graph(%x: memref<?xi64>, %y: memref<4xf32>) {
    %c2 = arith.constant 2 : index
    %v = memref.load %x[%c2] : memref<?xi64>
    %f = arith.sitofp %v : i64 to f32
    memref.store %f, %y[%c2] : memref<4xf32>
    return
  }
}

// CHECK-LABEL: func.func @main_graph(%arg0: memref<?xi64>, %arg1: memref<4xf32>)
// CHECK: %{{.*}}, %[[OFFSET:.*]], %{{.*}}, %[[STRIDE:.*]] = memref.extract_strided_metadata %arg0
// CHECK: %[[SCALED:.*]] = arith.muli %c2, %[[STRIDE]] : index
// CHECK: %[[ELEM:.*]] = arith.addi %[[OFFSET]], %[[SCALED]] : index
// CHECK: %[[BYTES:.*]] = arith.muli %[[ELEM]], %c8{{.*}} : index
// CHECK: %[[BASE:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[ADDR:.*]] = arith.addi %[[BASE]], %[[BYTES]] : index
// CHECK: %[[ADDR64:.*]] = arith.index_cast %[[ADDR]] : index to i64
// CHECK: %[[V:.*]] = call @onnxc_cuda_rt_read(%[[ADDR64]], %c8_i64) : (i64, i64) -> i64
// CHECK: %[[F:.*]] = arith.sitofp %[[V]] : i64 to f32
// CHECK: %[[FB:.*]] = arith.bitcast %[[F]] : f32 to i32
// CHECK: %[[FW:.*]] = arith.extui %[[FB]] : i32 to i64
// CHECK: memref.extract_aligned_pointer_as_index %arg1
// CHECK: call @onnxc_cuda_rt_write(%{{.*}}, %[[FW]], %c4_i64) : (i64, i64, i64) -> ()
// CHECK-NOT: memref.load
// CHECK-NOT: memref.store

// -----

// The host's own stack memory is read and written in place.
module attributes {gpu.container_module} {
  func.func @main_graph() -> index {
    %c0 = arith.constant 0 : index
    %c7 = arith.constant 7 : index
    %s = memref.alloca() : memref<1xindex>
    memref.store %c7, %s[%c0] : memref<1xindex>
    %v = memref.load %s[%c0] : memref<1xindex>
    return %v : index
  }
}

// CHECK-LABEL: func.func @main_graph() -> index
// CHECK: memref.store %c7, %{{.*}}[%c0] : memref<1xindex>
// CHECK: memref.load %{{.*}}[%c0] : memref<1xindex>
// CHECK-NOT: onnxc_cuda_rt_read

// -----

// Errors: a layout the byte view cannot give, a mutable global, an
// argument with no slot form.
module attributes {gpu.container_module} {
  func.func @main_graph() {
    // expected-error @+1 {{the CUDA backend allocates only buffers with the identity layout}}
    %a = memref.alloc() : memref<4xf32, strided<[2]>>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  memref.global "private" @counter : memref<f32> = dense<0.0>
  func.func @main_graph() {
    // expected-error @+1 {{the CUDA backend reads only constant, static, dense globals on the device}}
    %g = memref.get_global @counter : memref<f32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  func.func @main_graph(%s: complex<f32>) {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{the CUDA backend cannot pass a kernel argument of type 'complex<f32>'}}
    gpu.launch_func @m::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%s : complex<f32>)
    return
  }
  gpu.module @m {
    gpu.func @k(%s: complex<f32>) kernel {
      gpu.return
    }
  }
}
