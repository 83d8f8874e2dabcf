// Ops, types and helper ops print and parse back unchanged.
// RUN: onnxc-opt %s | onnxc-opt | FileCheck %s

// CHECK-LABEL: func.func @types
// CHECK-SAME: (%{{.*}}: !onnx.seq<tensor<?xf32>>, %{{.*}}: !onnx.opt<tensor<2xi64>>, %{{.*}}: tensor<3x!onnx.string>)
func.func @types(%s: !onnx.seq<tensor<?xf32>>, %o: !onnx.opt<tensor<2xi64>>, %t: tensor<3x!onnx.string>) -> !onnx.seq<tensor<?xf32>> {
  return %s : !onnx.seq<tensor<?xf32>>
}

// CHECK-LABEL: func.func @ops
func.func @ops(%x: tensor<2x3xf32>, %w: tensor<4x3x1x1xf32>, %img: tensor<1x3x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<3x2xf32>) {
  // CHECK: %[[NONE:.*]] = onnx.NoValue
  %none = onnx.NoValue
  // Attribute defaults are materialized when the op is built.
  // CHECK: "onnx.Conv"(%{{.*}}, %{{.*}}, %[[NONE]]) <{auto_pad = "NOTSET", group = 1 : i64, kernel_shape = [1, 1]}>
  %y = "onnx.Conv"(%img, %w, %none) {kernel_shape = [1, 1]} : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>, none) -> tensor<1x4x8x8xf32>
  // CHECK: "onnx.Transpose"(%{{.*}}) <{perm = [1, 0]}>
  %t = "onnx.Transpose"(%x) {perm = [1, 0]} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y, %t : tensor<1x4x8x8xf32>, tensor<3x2xf32>
}

// CHECK-LABEL: func.func @regions
func.func @regions(%c: tensor<i1>, %x: tensor<2xf32>) -> tensor<2xf32> {
  // CHECK: "onnx.If"
  // CHECK: onnx.Yield %{{.*}} : tensor<2xf32>
  %r = "onnx.If"(%c) ({
    onnx.Yield %x : tensor<2xf32>
  }, {
    %n = "onnx.Neg"(%x) : (tensor<2xf32>) -> tensor<2xf32>
    onnx.Yield %n : tensor<2xf32>
  }) : (tensor<i1>) -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// Each versioned op records the since_versions it covers in its summary.
// CHECK-LABEL: func.func @versions
func.func @versions(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK: "onnx.Softmax_v1"(%{{.*}}) <{axis = 1 : i64}>
  %a = "onnx.Softmax_v1"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: "onnx.Softmax"(%{{.*}}) <{axis = -1 : i64}>
  %b = "onnx.Softmax"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
}
