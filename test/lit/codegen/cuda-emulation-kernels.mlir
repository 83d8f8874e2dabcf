// RUN: onnxc-opt %s -onnxc-cuda-kernels-to-host -split-input-file -verify-diagnostics | FileCheck %s
// RUN: onnxc-opt %s -split-input-file -onnxc-cuda-emulation-entries 2>&1 | FileCheck %s --check-prefix=ENTRY

// Testing support for the CUDA emulator: each kernel as a host function
// whose last 12 arguments are block id, thread id, grid size and block
// size (x, y, z each); host code and the gpu.module go.

module attributes {gpu.container_module} {
  func.func @main_graph() {
    return
  }
  gpu.module @onnxc_kernels {
    func.func @helper(%v: f32) -> f32 {
      return %v : f32
    }
    gpu.func @k(%n: index, %out: memref<?xf32>) kernel {
      %b = gpu.block_id x
      %t = gpu.thread_id y
      %g = gpu.grid_dim z
      %d = gpu.block_dim x
      %i = arith.addi %b, %t : index
      %j = arith.addi %g, %d : index
      %v = memref.load %out[%i] : memref<?xf32>
      %w = func.call @helper(%v) : (f32) -> f32
      memref.store %w, %out[%j] : memref<?xf32>
      gpu.return
    }
  }
}

// CHECK: module {
// CHECK-NOT: @main_graph
// CHECK: func.func @helper
// CHECK: func.func @k.body(%[[N:.*]]: index, %[[OUT:.*]]: memref<?xf32>, %[[BX:[^:]*]]: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[TY:[^:]*]]: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %[[GZ:[^:]*]]: index, %[[DX:[^:]*]]: index, %{{.*}}: index, %{{.*}}: index) attributes {onnxc.emulated_kernel = "k"}
// CHECK: arith.addi %[[BX]], %[[TY]]
// CHECK: arith.addi %[[GZ]], %[[DX]]
// CHECK: call @helper
// CHECK: return
// CHECK-NOT: gpu.

// -----

// Shared memory becomes a host global of the kernel (memory space
// dropped), a barrier a call the emulator answers.
module attributes {gpu.container_module} {
  gpu.module @onnxc_kernels {
    gpu.func @tiled(%out: memref<16xf32>) workgroup(%tile : memref<16xf32, #gpu.address_space<workgroup>>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %out[%t] : memref<16xf32>
      memref.store %v, %tile[%t] : memref<16xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %w = memref.load %tile[%t] : memref<16xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%t] : memref<16xf32>
      gpu.return
    }
  }
}

// CHECK: func.func private @onnxc_emulator_barrier()
// CHECK: memref.global "private" @tiled.shared0 : memref<16xf32> {alignment = 64 : i64}
// CHECK: func.func @tiled.body(%[[OUT:.*]]: memref<16xf32>, {{.*}}) attributes {onnxc.emulated_barriers, onnxc.emulated_kernel = "tiled"}
// CHECK: %[[TILE:.*]] = memref.get_global @tiled.shared0 : memref<16xf32>
// CHECK: memref.store %{{.*}}, %[[TILE]][%{{.*}}] : memref<16xf32>
// CHECK: call @onnxc_emulator_barrier() : () -> ()
// CHECK: memref.load %[[TILE]][%{{.*}}] : memref<16xf32>
// CHECK-NOT: address_space

// -----

module attributes {gpu.container_module} {
  gpu.module @onnxc_kernels {
    // expected-error @+1 {{the CUDA emulation runs only kernels without private memory}}
    gpu.func @k() private(%p : memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @onnxc_kernels {
    gpu.func @k(%v: f32) kernel {
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      // expected-error @+1 {{the CUDA emulation cannot run 'gpu.shuffle' one thread after another}}
      %r, %ok = gpu.shuffle xor %v, %c1, %c32 : f32
      gpu.return
    }
  }
}

// -----

// The entry of a lowered kernel body: argument i read through params[i],
// the 12 ids from the second pointer.
module {
  llvm.func @k.body(%a: f32, %b: !llvm.ptr, %c: i64, %i0: i64, %i1: i64, %i2: i64, %i3: i64, %i4: i64, %i5: i64, %i6: i64, %i7: i64, %i8: i64, %i9: i64, %i10: i64, %i11: i64) attributes {onnxc.emulated_kernel = "k"} {
    llvm.return
  }
}

// ENTRY: llvm.func internal @k.body
// ENTRY: llvm.func @k(%[[PARAMS:.*]]: !llvm.ptr, %[[IDS:.*]]: !llvm.ptr)
// ENTRY: %[[P0:.*]] = llvm.getelementptr %[[PARAMS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// ENTRY: %[[A0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// ENTRY: llvm.load %[[A0]] : !llvm.ptr -> f32
// ENTRY: %[[P2:.*]] = llvm.getelementptr %[[PARAMS]][2]
// ENTRY: %[[A2:.*]] = llvm.load %[[P2]] : !llvm.ptr -> !llvm.ptr
// ENTRY: llvm.load %[[A2]] : !llvm.ptr -> i64
// ENTRY: %[[I11:.*]] = llvm.getelementptr %[[IDS]][11] : (!llvm.ptr) -> !llvm.ptr, i64
// ENTRY: llvm.load %[[I11]] : !llvm.ptr -> i64
// ENTRY: llvm.call @k.body
// ENTRY: llvm.mlir.global external constant @k.param_count(3 : i64)
// ENTRY: llvm.mlir.global external constant @k.barriers(0 : i64)
