// RUN: onnxc-opt %s --convert-onnx-to-linalg --split-input-file -verify-diagnostics | FileCheck %s

// RNN, forward: the input projection X*W^T + Wb + Rb for every step is one
// contraction before the loop; each step adds H*R^T and applies f = Tanh,
// writing the new state into the next slot of the loop-carried states.
// CHECK-LABEL: func.func @rnn_forward
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.for
// CHECK: tensor.extract_slice
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: math.tanh
// CHECK: tensor.insert_slice
// CHECK: scf.yield
func.func @rnn_forward(%x: tensor<4x2x3xf32>, %w: tensor<1x5x3xf32>, %r: tensor<1x5x5xf32>, %b: tensor<1x10xf32>) -> (tensor<4x1x2x5xf32>, tensor<1x2x5xf32>) {
  %none = onnx.NoValue
  %y, %yh = "onnx.RNN"(%x, %w, %r, %b, %none, %none) {hidden_size = 5 : i64} : (tensor<4x2x3xf32>, tensor<1x5x3xf32>, tensor<1x5x5xf32>, tensor<1x10xf32>, none, none) -> (tensor<4x1x2x5xf32>, tensor<1x2x5xf32>)
  return %y, %yh : tensor<4x1x2x5xf32>, tensor<1x2x5xf32>
}

// -----

// GRU, reverse, with sequence_lens and linear_before_reset: the projection
// is reversed within each sequence (a gather), each step keeps the state of
// finished sequences (select on step < len), and the reset gate multiplies
// H*Rh^T + Rbh.
// CHECK-LABEL: func.func @gru_reverse_lens
// CHECK: linalg.index
// CHECK: tensor.extract %
// CHECK: scf.for
// CHECK: arith.index_cast {{.*}} : index to i32
// CHECK-COUNT-2: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: math.tanh
// CHECK: arith.cmpi slt
// CHECK: arith.select
// CHECK: scf.yield
func.func @gru_reverse_lens(%x: tensor<3x2x4xf32>, %w: tensor<1x9x4xf32>, %r: tensor<1x9x3xf32>, %b: tensor<1x18xf32>, %lens: tensor<2xi32>) -> tensor<1x2x3xf32> {
  %none = onnx.NoValue
  %y, %yh = "onnx.GRU"(%x, %w, %r, %b, %lens, %none) {direction = "reverse", hidden_size = 3 : i64, linear_before_reset = 1 : i64} : (tensor<3x2x4xf32>, tensor<1x9x4xf32>, tensor<1x9x3xf32>, tensor<1x18xf32>, tensor<2xi32>, none) -> (none, tensor<1x2x3xf32>)
  return %yh : tensor<1x2x3xf32>
}

// -----

// LSTM, bidirectional and batch-major (layout 1): X and the initial states
// are transposed to time-major, each direction runs its own loop carrying
// hidden and cell states, and the outputs are transposed back.
// CHECK-LABEL: func.func @lstm_bidirectional_batchwise
// CHECK: linalg.transpose
// CHECK: scf.for
// CHECK: math.tanh
// CHECK: scf.yield
// CHECK: scf.for
// CHECK: scf.yield
// CHECK: linalg.transpose {{.*}} permutation = [2, 0, 1, 3]
// CHECK: linalg.transpose {{.*}} permutation = [1, 0, 2]
// CHECK: linalg.transpose {{.*}} permutation = [1, 0, 2]
func.func @lstm_bidirectional_batchwise(%x: tensor<2x3x4xf32>, %w: tensor<2x8x4xf32>, %r: tensor<2x8x2xf32>, %h0: tensor<2x2x2xf32>, %c0: tensor<2x2x2xf32>, %p: tensor<2x6xf32>) -> (tensor<2x3x2x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32>) {
  %none = onnx.NoValue
  %y, %yh, %yc = "onnx.LSTM"(%x, %w, %r, %none, %none, %h0, %c0, %p) {direction = "bidirectional", hidden_size = 2 : i64, layout = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x8x4xf32>, tensor<2x8x2xf32>, none, none, tensor<2x2x2xf32>, tensor<2x2x2xf32>, tensor<2x6xf32>) -> (tensor<2x3x2x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32>)
  return %y, %yh, %yc : tensor<2x3x2x2xf32>, tensor<2x2x2xf32>, tensor<2x2x2xf32>
}

// -----

// Older versions share the lowering.
// CHECK-LABEL: func.func @lstm_v7
// CHECK: scf.for
func.func @lstm_v7(%x: tensor<2x1x3xf32>, %w: tensor<1x8x3xf32>, %r: tensor<1x8x2xf32>) -> tensor<1x1x2xf32> {
  %none = onnx.NoValue
  %y, %yh, %yc = "onnx.LSTM_v7"(%x, %w, %r, %none, %none, %none, %none, %none) {hidden_size = 2 : i64} : (tensor<2x1x3xf32>, tensor<1x8x3xf32>, tensor<1x8x2xf32>, none, none, none, none, none) -> (none, tensor<1x1x2xf32>, none)
  return %yh : tensor<1x1x2xf32>
}

// -----

// Dynamic shapes are not lowered.
func.func @rnn_dynamic(%x: tensor<?x2x3xf32>, %w: tensor<1x5x3xf32>, %r: tensor<1x5x5xf32>) -> tensor<1x2x5xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.RNN'}}
  %y, %yh = "onnx.RNN"(%x, %w, %r, %none, %none, %none) {hidden_size = 5 : i64} : (tensor<?x2x3xf32>, tensor<1x5x3xf32>, tensor<1x5x5xf32>, none, none, none) -> (none, tensor<1x2x5xf32>)
  return %yh : tensor<1x2x5xf32>
}

// -----

// An activation the spec does not list is refused.
func.func @rnn_unknown_activation(%x: tensor<1x2x3xf32>, %w: tensor<1x5x3xf32>, %r: tensor<1x5x5xf32>) -> tensor<1x2x5xf32> {
  %none = onnx.NoValue
  // expected-error @+1 {{failed to legalize operation 'onnx.RNN'}}
  %y, %yh = "onnx.RNN"(%x, %w, %r, %none, %none, %none) {activations = ["Gelu"], hidden_size = 5 : i64} : (tensor<1x2x3xf32>, tensor<1x5x3xf32>, tensor<1x5x5xf32>, none, none, none) -> (none, tensor<1x2x5xf32>)
  return %yh : tensor<1x2x5xf32>
}
