// Hand-written folders: Identity of the same type folds away, Constant
// folds to its value.
// RUN: onnxc-opt %s -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @identity
// CHECK-NEXT: return %arg0
func.func @identity(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = "onnx.Identity"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// Refining a type is not a no-op: the Identity stays.
// CHECK-LABEL: func.func @identity_refines
// CHECK: "onnx.Identity"
func.func @identity_refines(%x: tensor<?xf32>) -> tensor<2xf32> {
  %y = "onnx.Identity"(%x) : (tensor<?xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// Unused ops are dead code: they have no side effects.
// CHECK-LABEL: func.func @dead
// CHECK-NOT: onnx.
// CHECK: return
func.func @dead(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = "onnx.Constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = "onnx.Relu"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %x : tensor<2xf32>
}
