// RUN: onnxc-opt %s --onnxc-plan-scratch-arena --split-input-file | FileCheck %s

// Three temporaries: %a and %b are live together, %c only after %a's last
// use, so %c reuses %a's bytes. The returned buffer keeps its malloc.
// Offsets are 64-byte aligned; the arena is the new last argument.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 1088 : i64}
// CHECK: func.func @main_graph(%[[X:.*]]: memref<4xf32>, %[[ARENA:.*]]: memref<?xi8>) -> memref<4xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<?xi8> to memref<256xf32>
// CHECK: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[C1024]]][] : memref<?xi8> to memref<4xf32>
// CHECK: %[[CZ:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[CZ]]][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return %[[R]]
module {
  func.func @main_graph(%x: memref<4xf32>) -> memref<4xf32> {
    %a = memref.alloc() : memref<256xf32>
    %b = memref.alloc() : memref<4xf32>
    memref.copy %x, %b : memref<4xf32> to memref<4xf32>
    %sa = memref.subview %a[0] [4] [1] : memref<256xf32> to memref<4xf32, strided<[1]>>
    memref.copy %b, %sa : memref<4xf32> to memref<4xf32, strided<[1]>>
    memref.dealloc %a : memref<256xf32>
    %c = memref.alloc() : memref<16xf32>
    %r = memref.alloc() : memref<4xf32>
    memref.copy %b, %r : memref<4xf32> to memref<4xf32>
    memref.dealloc %b : memref<4xf32>
    memref.dealloc %c : memref<16xf32>
    return %r : memref<4xf32>
  }
}

// -----

// A buffer sized at run time from the inputs goes into the growable part
// of the arena: its size is computed on entry and reserved from the
// runtime. One allocated in a loop, or sized by data, keeps its own
// allocation. Nothing static: scratch_bytes is 0.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 0 : i64}
// CHECK: func.func private @onnxc_scratch_reserve(memref<?xi8>, index) -> memref<?xi8> attributes {llvm.emit_c_interface}
// CHECK: func.func @main_graph(%[[X:.*]]: memref<?xf32>, %[[N:.*]]: memref<1xindex>, %[[ARENA:.*]]: memref<?xi8>)
// CHECK: %[[D:.*]] = memref.dim %[[X]]
// CHECK: %[[DYN:.*]] = call @onnxc_scratch_reserve(%[[ARENA]], %{{.*}})
// CHECK: memref.view %[[DYN]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<8xf32>
module {
  func.func @main_graph(%x: memref<?xf32>, %n: memref<1xindex>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %d = memref.dim %x, %c0 : memref<?xf32>
    %t = memref.alloc(%d) : memref<?xf32>
    memref.copy %x, %t : memref<?xf32> to memref<?xf32>
    memref.dealloc %t : memref<?xf32>
    %m = memref.load %n[%c0] : memref<1xindex>
    %u = memref.alloc(%m) : memref<?xf32>
    memref.dealloc %u : memref<?xf32>
    scf.for %i = %c0 to %d step %c1 {
      %l = memref.alloc() : memref<8xf32>
      memref.dealloc %l : memref<8xf32>
    }
    return
  }
}

// -----

// Ownership-based deallocation frees every buffer at the end of the
// block, so a lifetime ends at the buffer's last use, not at its dealloc.
// %a is last read by the first copy; %c, allocated after it, reuses its
// bytes.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 64 : i64}
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[C0]]][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[C1:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[C1]]][] : memref<?xi8> to memref<16xf32>
// CHECK-NOT: memref.dealloc
module {
  func.func @main_graph(%x: memref<16xf32>, %y: memref<16xf32>) {
    %a = memref.alloc() : memref<16xf32>
    memref.copy %x, %a : memref<16xf32> to memref<16xf32>
    memref.copy %a, %y : memref<16xf32> to memref<16xf32>
    %c = memref.alloc() : memref<16xf32>
    memref.copy %x, %c : memref<16xf32> to memref<16xf32>
    memref.copy %c, %y : memref<16xf32> to memref<16xf32>
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %c : memref<16xf32>
    return
  }
}

// -----

// The same, but %a is read through a subview after %c is allocated: the
// subview's use keeps %a live, and %c gets bytes of its own.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 128 : i64}
// CHECK: arith.constant 0 : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %{{.*}}[%[[C64]]][] : memref<?xi8> to memref<16xf32>
module {
  func.func @main_graph(%x: memref<16xf32>, %y: memref<4xf32>) {
    %a = memref.alloc() : memref<16xf32>
    memref.copy %x, %a : memref<16xf32> to memref<16xf32>
    %s = memref.subview %a[4] [4] [1] : memref<16xf32> to memref<4xf32, strided<[1], offset: 4>>
    %c = memref.alloc() : memref<16xf32>
    memref.copy %x, %c : memref<16xf32> to memref<16xf32>
    memref.copy %s, %y : memref<4xf32, strided<[1], offset: 4>> to memref<4xf32>
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %c : memref<16xf32>
    return
  }
}

// -----

// %a read in the body of a loop that runs after %c is allocated: the loop
// is the use, so %c gets bytes of its own.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 128 : i64}
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %{{.*}}[%[[C64]]][] : memref<?xi8> to memref<16xf32>
// CHECK: scf.for
module {
  func.func @main_graph(%x: memref<16xf32>, %y: memref<16xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %a = memref.alloc() : memref<16xf32>
    memref.copy %x, %a : memref<16xf32> to memref<16xf32>
    %c = memref.alloc() : memref<16xf32>
    memref.copy %x, %c : memref<16xf32> to memref<16xf32>
    scf.for %i = %c0 to %c16 step %c1 {
      %v = memref.load %a[%i] : memref<16xf32>
      memref.store %v, %y[%i] : memref<16xf32>
    }
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %c : memref<16xf32>
    return
  }
}

// -----

// %a's address leaves as an integer, which may be used anywhere later:
// it lives to its dealloc, and %c gets bytes of its own.
// CHECK-LABEL: module attributes {onnxc.scratch_bytes = 128 : i64}
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: memref.view %{{.*}}[%[[C64]]][] : memref<?xi8> to memref<16xf32>
module {
  func.func @main_graph(%x: memref<16xf32>) -> index {
    %a = memref.alloc() : memref<16xf32>
    %p = memref.extract_aligned_pointer_as_index %a : memref<16xf32> -> index
    %c = memref.alloc() : memref<16xf32>
    memref.copy %x, %c : memref<16xf32> to memref<16xf32>
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %c : memref<16xf32>
    return %p : index
  }
}
