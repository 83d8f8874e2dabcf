// RUN: onnxc-opt %s --onnxc-resolve-sequences | FileCheck %s

// Inserts (appended, then at a negative position) and a read at a constant
// position become the tensor itself; the sequence ops disappear.
// CHECK-LABEL: func.func @insert_at
// CHECK-NOT: onnx.Sequence
// CHECK: return %arg1 : tensor<1x3xf32>
func.func @insert_at(%x: tensor<2x3xf32>, %y: tensor<1x3xf32>, %z: tensor<3x3xf32>) -> tensor<1x3xf32> {
  %none = onnx.NoValue
  %m1 = "onnx.Constant"() {value = dense<-1> : tensor<i64>} : () -> tensor<i64>
  %one = "onnx.Constant"() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %s0 = "onnx.SequenceEmpty"() : () -> !onnx.seq<tensor<*xf32>>
  %s1 = "onnx.SequenceInsert"(%s0, %x, %none) : (!onnx.seq<tensor<*xf32>>, tensor<2x3xf32>, none) -> !onnx.seq<tensor<*xf32>>
  %s2 = "onnx.SequenceInsert"(%s1, %z, %none) : (!onnx.seq<tensor<*xf32>>, tensor<3x3xf32>, none) -> !onnx.seq<tensor<*xf32>>
  // [x, z] -> insert y before the last: [x, y, z]
  %s3 = "onnx.SequenceInsert"(%s2, %y, %m1) : (!onnx.seq<tensor<*xf32>>, tensor<1x3xf32>, tensor<i64>) -> !onnx.seq<tensor<*xf32>>
  %r = "onnx.SequenceAt"(%s3, %one) : (!onnx.seq<tensor<*xf32>>, tensor<i64>) -> tensor<1x3xf32>
  return %r : tensor<1x3xf32>
}

// Erase (absent position = the last), then read the last one. The read's
// less static type is kept with an onnx.Identity.
// CHECK-LABEL: func.func @erase_at
// CHECK-NOT: onnx.Sequence
// CHECK: %[[ID:.*]] = "onnx.Identity"(%arg1) : (tensor<2x3xf32>) -> tensor<?x3xf32>
// CHECK: return %[[ID]]
func.func @erase_at(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>, %z: tensor<2x3xf32>) -> tensor<?x3xf32> {
  %none = onnx.NoValue
  %m1 = "onnx.Constant"() {value = dense<-1> : tensor<i64>} : () -> tensor<i64>
  %s0 = "onnx.SequenceConstruct"(%x, %y, %z) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> !onnx.seq<tensor<2x3xf32>>
  %s1 = "onnx.SequenceErase"(%s0, %none) : (!onnx.seq<tensor<2x3xf32>>, none) -> !onnx.seq<tensor<2x3xf32>>
  %r = "onnx.SequenceAt"(%s1, %m1) : (!onnx.seq<tensor<2x3xf32>>, tensor<i64>) -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// SequenceLength is a constant.
// CHECK-LABEL: func.func @length
// CHECK-NOT: onnx.Sequence
// CHECK: %[[C:.*]] = "onnx.Constant"() <{value = dense<2> : tensor<i64>}>
// CHECK: return %[[C]]
func.func @length(%x: tensor<2x3xf32>) -> tensor<i64> {
  %s0 = "onnx.SequenceConstruct"(%x, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> !onnx.seq<tensor<2x3xf32>>
  %r = "onnx.SequenceLength"(%s0) : (!onnx.seq<tensor<2x3xf32>>) -> tensor<i64>
  return %r : tensor<i64>
}

// ConcatFromSequence without new_axis is a Concat.
// CHECK-LABEL: func.func @concat
// CHECK-NOT: onnx.Sequence
// CHECK: "onnx.Concat"(%arg0, %arg1) <{axis = 1 : i64}> : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x?xf32>
func.func @concat(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) -> tensor<2x?xf32> {
  %s0 = "onnx.SequenceConstruct"(%x, %y) : (tensor<2x3xf32>, tensor<2x4xf32>) -> !onnx.seq<tensor<2x?xf32>>
  %r = "onnx.ConcatFromSequence"(%s0) {axis = -1 : i64} : (!onnx.seq<tensor<2x?xf32>>) -> tensor<2x?xf32>
  return %r : tensor<2x?xf32>
}

// With new_axis = 1 the elements are stacked: unsqueezed, then concatenated
// (axis -1 means after the last dim).
// CHECK-LABEL: func.func @stack
// CHECK-NOT: onnx.Sequence
// CHECK: %[[AX:.*]] = "onnx.Constant"() <{value = dense<2> : tensor<1xi64>}>
// CHECK: %[[A:.*]] = "onnx.Unsqueeze"(%arg0, %[[AX]]) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
// CHECK: %[[B:.*]] = "onnx.Unsqueeze"(%arg1, %[[AX]]) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2x3x1xf32>
// CHECK: "onnx.Concat"(%[[A]], %[[B]]) <{axis = 2 : i64}> : (tensor<2x3x1xf32>, tensor<2x3x1xf32>) -> tensor<2x3x2xf32>
func.func @stack(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3x2xf32> {
  %s0 = "onnx.SequenceConstruct"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> !onnx.seq<tensor<2x3xf32>>
  %r = "onnx.ConcatFromSequence"(%s0) {axis = -1 : i64, new_axis = 1 : i64} : (!onnx.seq<tensor<2x3xf32>>) -> tensor<2x3x2xf32>
  return %r : tensor<2x3x2xf32>
}

// SplitToSequence without split: pieces of one, squeezed with keepdims = 0.
// CHECK-LABEL: func.func @split_default
// CHECK-NOT: onnx.Sequence
// CHECK: %[[S:.*]]:2 = "onnx.Split"(%arg0, %{{.*}}) <{axis = 0 : i64}> : (tensor<2x3xf64>, tensor<2xi64>) -> (tensor<1x3xf64>, tensor<1x3xf64>)
// CHECK: %[[Q:.*]] = "onnx.Squeeze"(%[[S]]#1, %{{.*}}) : (tensor<1x3xf64>, tensor<1xi64>) -> tensor<3xf64>
// CHECK: return %[[Q]]
func.func @split_default(%x: tensor<2x3xf64>) -> tensor<3xf64> {
  %none = onnx.NoValue
  %one = "onnx.Constant"() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %s = "onnx.SplitToSequence"(%x, %none) {keepdims = 0 : i64} : (tensor<2x3xf64>, none) -> !onnx.seq<tensor<3xf64>>
  %r = "onnx.SequenceAt"(%s, %one) : (!onnx.seq<tensor<3xf64>>, tensor<i64>) -> tensor<3xf64>
  return %r : tensor<3xf64>
}

// A scalar split gives equal chunks and a smaller last one: 7 = 3 + 3 + 1.
// CHECK-LABEL: func.func @split_scalar
// CHECK-NOT: onnx.Sequence
// CHECK: "onnx.Constant"() <{value = dense<[3, 3, 1]> : tensor<3xi64>}>
// CHECK: %[[S:.*]]:3 = "onnx.Split"(%arg0, %{{.*}}) <{axis = 1 : i64}> : (tensor<2x7xf32>, tensor<3xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x1xf32>)
// CHECK: return %[[S]]#2
func.func @split_scalar(%x: tensor<2x7xf32>) -> tensor<2x1xf32> {
  %three = "onnx.Constant"() {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %m1 = "onnx.Constant"() {value = dense<-1> : tensor<i64>} : () -> tensor<i64>
  %s = "onnx.SplitToSequence"(%x, %three) {axis = -1 : i64, keepdims = 0 : i64} : (tensor<2x7xf32>, tensor<i64>) -> !onnx.seq<tensor<2x?xf32>>
  %r = "onnx.SequenceAt"(%s, %m1) : (!onnx.seq<tensor<2x?xf32>>, tensor<i64>) -> tensor<2x1xf32>
  return %r : tensor<2x1xf32>
}

// A 1-D split gives those sizes, then the pieces are concatenated back in
// another order. The piece read back keeps its static type inside the
// sequence (no Identity), which Concat needs.
// CHECK-LABEL: func.func @split_sizes
// CHECK-NOT: onnx.Sequence
// CHECK: %[[S:.*]]:2 = "onnx.Split"(%arg0, %{{.*}}) <{axis = 0 : i64}> : (tensor<5xi32>, tensor<2xi64>) -> (tensor<2xi32>, tensor<3xi32>)
// CHECK: "onnx.Concat"(%[[S]]#1, %[[S]]#0) <{axis = 0 : i64}> : (tensor<3xi32>, tensor<2xi32>) -> tensor<5xi32>
func.func @split_sizes(%x: tensor<5xi32>) -> tensor<5xi32> {
  %sizes = "onnx.Constant"() {value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<2xi64>
  %zero = "onnx.Constant"() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %none = onnx.NoValue
  %s = "onnx.SplitToSequence"(%x, %sizes) : (tensor<5xi32>, tensor<2xi64>) -> !onnx.seq<tensor<?xi32>>
  %a = "onnx.SequenceAt"(%s, %zero) : (!onnx.seq<tensor<?xi32>>, tensor<i64>) -> tensor<?xi32>
  %t = "onnx.SequenceErase"(%s, %zero) : (!onnx.seq<tensor<?xi32>>, tensor<i64>) -> !onnx.seq<tensor<?xi32>>
  %u = "onnx.SequenceInsert"(%t, %a, %none) : (!onnx.seq<tensor<?xi32>>, tensor<?xi32>, none) -> !onnx.seq<tensor<?xi32>>
  %r = "onnx.ConcatFromSequence"(%u) {axis = 0 : i64} : (!onnx.seq<tensor<?xi32>>) -> tensor<5xi32>
  return %r : tensor<5xi32>
}

// A run-time 1-D split still fixes the length, not the pieces.
// CHECK-LABEL: func.func @split_runtime_length
// CHECK-NOT: onnx.S
// CHECK: %[[C:.*]] = "onnx.Constant"() <{value = dense<3> : tensor<i64>}>
// CHECK: return %[[C]]
func.func @split_runtime_length(%x: tensor<?xf32>, %sizes: tensor<3xi64>) -> tensor<i64> {
  %s = "onnx.SplitToSequence"(%x, %sizes) : (tensor<?xf32>, tensor<3xi64>) -> !onnx.seq<tensor<?xf32>>
  %r = "onnx.SequenceLength"(%s) : (!onnx.seq<tensor<?xf32>>) -> tensor<i64>
  return %r : tensor<i64>
}

// A run-time position: nothing is known, everything stays.
// CHECK-LABEL: func.func @runtime_position
// CHECK: onnx.SequenceConstruct
// CHECK: onnx.SequenceAt
func.func @runtime_position(%x: tensor<2xf32>, %y: tensor<2xf32>, %p: tensor<i64>) -> tensor<2xf32> {
  %s = "onnx.SequenceConstruct"(%x, %y) : (tensor<2xf32>, tensor<2xf32>) -> !onnx.seq<tensor<2xf32>>
  %r = "onnx.SequenceAt"(%s, %p) : (!onnx.seq<tensor<2xf32>>, tensor<i64>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// A sequence argument is not known either; an out-of-range constant
// position is left for the conversion to refuse.
// CHECK-LABEL: func.func @unknown
// CHECK: onnx.SequenceInsert
// CHECK: onnx.SequenceLength
// CHECK: onnx.SequenceAt
func.func @unknown(%seq: !onnx.seq<tensor<2xf32>>, %x: tensor<2xf32>) -> (tensor<i64>, tensor<2xf32>) {
  %none = onnx.NoValue
  %five = "onnx.Constant"() {value = dense<5> : tensor<i64>} : () -> tensor<i64>
  %s = "onnx.SequenceInsert"(%seq, %x, %none) : (!onnx.seq<tensor<2xf32>>, tensor<2xf32>, none) -> !onnx.seq<tensor<2xf32>>
  %n = "onnx.SequenceLength"(%s) : (!onnx.seq<tensor<2xf32>>) -> tensor<i64>
  %t = "onnx.SequenceConstruct"(%x) : (tensor<2xf32>) -> !onnx.seq<tensor<2xf32>>
  %r = "onnx.SequenceAt"(%t, %five) : (!onnx.seq<tensor<2xf32>>, tensor<i64>) -> tensor<2xf32>
  return %n, %r : tensor<i64>, tensor<2xf32>
}
