// RUN: onnxc-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(convert-scf-to-openmp,onnxc-openmp-regions)' | FileCheck %s

// The entry function asks the runtime, once and on entry, how many threads
// the run may use (passing the scratch arena, whose descriptor carries the
// session), and every parallel region takes that count. The per-iteration
// alloca scope goes, and so does the loop's barrier.
// CHECK: func.func private @onnxc_run_num_threads(memref<?xi8>) -> i32 attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @main_graph
// CHECK-SAME: %[[ARENA:[a-z0-9]+]]: memref<?xi8>
// CHECK-NEXT: %[[N:.*]] = call @onnxc_run_num_threads(%[[ARENA]]) : (memref<?xi8>) -> i32
// CHECK-NOT: call @onnxc_run_num_threads
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK-NEXT: omp.wsloop nowait
// CHECK-NOT: alloca_scope
// CHECK: memref.store
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK-LABEL: func.func @helper
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: omp.parallel num_threads(%[[ONE]] : i32)
func.func @main_graph(%out: memref<64xf32>, %arena: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %v, %out[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %v, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// No session is in reach outside the entry function: one thread.
func.func @helper(%out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %v = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %v, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// A loop that allocates per iteration cannot lose its scope.
func.func @main_graph(%out: memref<64xf32>, %arena: memref<?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    // expected-error @+1 {{a parallel loop allocates on the stack in each iteration; the CPU pipeline cannot lower it}}
    %t = memref.alloca() : memref<4xf32>
    scf.reduce
  }
  return
}
