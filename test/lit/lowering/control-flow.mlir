// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// If: scf.if on the condition's element, both branches cloned in and
// lowered; onnx.Yield becomes scf.yield.
// CHECK-LABEL: func.func @if_static
// CHECK: %[[C:[^ ,:)]+]] = tensor.extract %{{.*}}[] : tensor<i1>
// CHECK: scf.if %[[C]] -> (tensor<3xf32>)
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: scf.yield
// CHECK: } else {
// CHECK: scf.yield %{{.*}} : tensor<3xf32>
func.func @if_static(%c: tensor<i1>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "onnx.If"(%c) ({
    onnx.Yield %x : tensor<3xf32>
  }, {
    %1 = "onnx.Add"(%x, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    onnx.Yield %1 : tensor<3xf32>
  }) : (tensor<i1>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Branches of different static shapes meet in a dynamic result.
// CHECK-LABEL: func.func @if_dynamic
// CHECK: scf.if %{{.*}} -> (tensor<?xf32>)
// CHECK: tensor.cast %{{.*}} : tensor<3xf32> to tensor<?xf32>
// CHECK: tensor.cast %{{.*}} : tensor<2xf32> to tensor<?xf32>
func.func @if_dynamic(%c: tensor<1xi1>, %a: tensor<3xf32>, %b: tensor<2xf32>) -> tensor<?xf32> {
  %0 = "onnx.If"(%c) ({
    onnx.Yield %b : tensor<2xf32>
  }, {
    onnx.Yield %a : tensor<3xf32>
  }) : (tensor<1xi1>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Loop: scf.while on (iteration < M && cond); the body's unranked
// carried value takes the initial value's type. The carried value is
// copied into its iter arg and the scan row inserted into a preallocated
// buffer, so both stay equivalent to their bbArgs for bufferization.
// CHECK-LABEL: func.func @loop
// CHECK: %[[M:[^ ,:)]+]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[LIMIT:[^ ,:)]+]] = arith.minsi %[[M]], %{{.*}} : i64
// CHECK: %[[INIT:[^ ,:)]+]] = linalg.copy ins(%{{.*}} : tensor<2xf32>)
// CHECK: %[[BUF:[^ ,:)]+]] = linalg.fill
// CHECK: scf.while (%{{.*}} = %[[INIT]], %{{.*}} = %[[BUF]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<2xf32>, tensor<4x2xf32>, i64, i1)
// CHECK: arith.cmpi slt, %{{.*}}, %[[LIMIT]] : i64
// CHECK: arith.andi
// CHECK: scf.condition
// CHECK: } do {
// CHECK: ^bb0(%[[X:[^ ,:)]+]]: tensor<2xf32>, %[[ROWS:[^ ,:)]+]]: tensor<4x2xf32>, %[[I:[^ ,:)]+]]: i64, %{{.*}}: i1):
// CHECK: %[[NEW:[^ ,:)]+]] = linalg.generic
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: tensor.insert_slice %{{.*}} into %[[ROWS]][%{{.*}}, 0] [1, 2] [1, 1] : tensor<2xf32> into tensor<4x2xf32>
// CHECK: linalg.copy ins(%[[NEW]] : tensor<2xf32>) outs(%[[X]] : tensor<2xf32>)
// CHECK: scf.yield
func.func @loop(%m: tensor<i64>, %c: tensor<i1>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<4x2xf32>) {
  %0:2 = "onnx.Loop"(%m, %c, %x) ({
  ^bb0(%i: tensor<i64>, %cin: tensor<i1>, %v: tensor<*xf32>):
    %1 = "onnx.Add"(%v, %v) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
    %2 = "onnx.Mul"(%v, %v) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
    onnx.Yield %cin, %1, %2 : tensor<i1>, tensor<*xf32>, tensor<*xf32>
  }) : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>, tensor<4x2xf32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<4x2xf32>
}

// -----

// Without a trip count and a condition the loop never ends.
func.func @loop_forever(%x: tensor<2xf32>) -> tensor<2xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.Loop'}}
  %0 = "onnx.Loop"(%n, %n, %x) ({
  ^bb0(%i: tensor<i64>, %cin: tensor<i1>, %v: tensor<2xf32>):
    onnx.Yield %cin, %v : tensor<i1>, tensor<2xf32>
  }) : (none, none, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// A carried value whose shape changes between iterations is refused.
func.func @loop_growing(%m: tensor<i64>, %x: tensor<1xf32>) -> tensor<*xf32> {
  %n = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.Loop'}}
  %0 = "onnx.Loop"(%m, %n, %x) ({
  ^bb0(%i: tensor<i64>, %cin: tensor<i1>, %v: tensor<*xf32>):
    %1 = "onnx.Concat"(%v, %v) {axis = 0 : i64} : (tensor<*xf32>, tensor<*xf32>) -> tensor<2xf32>
    onnx.Yield %cin, %1 : tensor<i1>, tensor<2xf32>
  }) : (tensor<i64>, none, tensor<1xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Scan-9+: scf.for over the scanned axis; the second input is read
// backwards (T - 1 - t) and the output is stacked along axis 1.
// CHECK-LABEL: func.func @scan
// CHECK: %[[O:[^ ,:)]+]] = tensor.empty() : tensor<2x3xf32>
// CHECK: %[[S:[^ ,:)]+]] = linalg.copy ins(%{{.*}} : tensor<2xf32>)
// CHECK: scf.for %[[T:[^ ,:)]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:[^ ,:)]+]] = %[[S]], %[[OUT:[^ ,:)]+]] = %[[O]]) -> (tensor<2xf32>, tensor<2x3xf32>)
// CHECK: %[[BACK:[^ ,:)]+]] = arith.subi %{{.*}}, %[[T]] : index
// CHECK: tensor.extract_slice %{{.*}}[%[[T]], 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
// CHECK: tensor.extract_slice %{{.*}}[%[[BACK]], 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
// CHECK: %[[NEW:[^ ,:)]+]] = linalg.generic
// CHECK: tensor.insert_slice %[[NEW]] into %[[OUT]][0, %[[T]]] [2, 1] [1, 1] : tensor<2xf32> into tensor<2x3xf32>
// CHECK: linalg.copy ins(%[[NEW]] : tensor<2xf32>) outs(%[[ACC]] : tensor<2xf32>)
// CHECK: scf.yield
func.func @scan(%s: tensor<2xf32>, %x: tensor<3x2xf32>, %y: tensor<3x2xf32>) -> (tensor<2xf32>, tensor<2x3xf32>) {
  %0:2 = "onnx.Scan"(%s, %x, %y) <{num_scan_inputs = 2 : i64, scan_input_directions = [0, 1], scan_output_axes = [1]}> ({
  ^bb0(%a: tensor<2xf32>, %xi: tensor<2xf32>, %yi: tensor<2xf32>):
    %1 = "onnx.Sum"(%a, %xi, %yi) : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.Yield %1, %1 : tensor<2xf32>, tensor<2xf32>
  }) : (tensor<2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<2xf32>, tensor<2x3xf32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2x3xf32>
}

// -----

// Scan-8: an outer scf.for over the batch around the loop over the
// sequence (axis 1).
// CHECK-LABEL: func.func @scan8
// CHECK: scf.for %[[B:[^ ,:)]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[FINAL:[^ ,:)]+]] = %{{.*}}, %[[OUT:[^ ,:)]+]] = %{{.*}}) -> (tensor<2x2xf32>, tensor<2x3x2xf32>)
// CHECK: tensor.extract_slice %{{.*}}[%[[B]], 0] [1, 2] [1, 1] : tensor<2x2xf32> to tensor<2xf32>
// CHECK: scf.for %[[T:[^ ,:)]+]] = {{.*}} -> (tensor<2xf32>, tensor<2x3x2xf32>)
// CHECK: tensor.extract_slice %{{.*}}[%[[B]], %[[T]], 0] [1, 1, 2] [1, 1, 1] : tensor<2x3x2xf32> to tensor<2xf32>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[T]], 0] [1, 1, 2] [1, 1, 1] : tensor<2xf32> into tensor<2x3x2xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[FINAL]][%[[B]], 0] [1, 2] [1, 1] : tensor<2xf32> into tensor<2x2xf32>
func.func @scan8(%s: tensor<2x2xf32>, %x: tensor<2x3x2xf32>) -> (tensor<2x2xf32>, tensor<2x3x2xf32>) {
  %n = onnx.NoValue
  %0:2 = "onnx.Scan_v8"(%n, %s, %x) <{num_scan_inputs = 1 : i64}> ({
  ^bb0(%a: tensor<2xf32>, %xi: tensor<2xf32>):
    %1 = "onnx.Add"(%a, %xi) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
    onnx.Yield %1, %1 : tensor<2xf32>, tensor<2xf32>
  }) : (none, tensor<2x2xf32>, tensor<2x3x2xf32>) -> (tensor<2x2xf32>, tensor<2x3x2xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x3x2xf32>
}
