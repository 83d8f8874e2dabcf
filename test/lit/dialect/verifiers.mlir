// The generated constraints and the hand-written verifiers reject bad ops.
// RUN: onnxc-opt %s -split-input-file -verify-diagnostics

func.func @sqrt_of_int(%x: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{'onnx.Sqrt' op operand #0 must be tensor of bfloat16 type or 16-bit float or 32-bit float or 64-bit float values, but got 'tensor<2xi32>'}}
  %y = "onnx.Sqrt"(%x) : (tensor<2xi32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// -----

func.func @required_input_is_none(%x: tensor<2xf32>) -> tensor<2xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Add' op operand #1 must be tensor of}}
  %y = "onnx.Add"(%x, %none) : (tensor<2xf32>, none) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @transpose_bad_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'onnx.Transpose' op perm is not a permutation of 0..1}}
  %y = "onnx.Transpose"(%x) {perm = [1, 1]} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @transpose_perm_rank(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'onnx.Transpose' op perm has 3 entries for an input of rank 2}}
  %y = "onnx.Transpose"(%x) {perm = [2, 1, 0]} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'onnx.Concat' op axis 2 is out of range for rank 2}}
  %y = "onnx.Concat"(%x, %x) {axis = 2} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{'onnx.Gemm' op A and B must be 2-D, got rank 3}}
  %y = "onnx.Gemm"(%a, %b, %none) : (tensor<2x3x4xf32>, tensor<4x5xf32>, none) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @constant_without_value() -> tensor<2xf32> {
  // expected-error @+1 {{'onnx.Constant' op needs exactly one of the value attributes, found 0}}
  %y = "onnx.Constant"() : () -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @constant_type_mismatch() -> tensor<3xf32> {
  // expected-error @+1 {{'onnx.Constant' op value of type 'tensor<2xf32>' does not match result type 'tensor<3xf32>'}}
  %y = "onnx.Constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @missing_required_attr(%x: tensor<2xf32>) -> tensor<2xi32> {
  // expected-error @+1 {{'onnx.Cast' op requires attribute 'to'}}
  %y = "onnx.Cast"(%x) : (tensor<2xf32>) -> tensor<2xi32>
  return %y : tensor<2xi32>
}
