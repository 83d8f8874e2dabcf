//===- OnnxHelperOps.td - Ops ONNX has no operator for --------------------===//

#ifndef ONNXC_ONNX_HELPER_OPS_TD
#define ONNXC_ONNX_HELPER_OPS_TD

include "dialects/onnx/OnnxBase.td"

def Onnx_NoValueOp : Onnx_Op<"NoValue", [Pure]> {
  let summary = "The value of an absent optional input";
  let description = [{
    ONNX marks a missing optional input with an empty name. Every operand
    position of an ONNX op is kept, so the missing one is this op's `none`.
  }];
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
}

def Onnx_YieldOp : Onnx_Op<"Yield", [Pure, Terminator]> {
  let summary = "Returns a subgraph's outputs to its If, Loop or Scan";
  let arguments = (ins Variadic<Onnx_Any>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

#endif // ONNXC_ONNX_HELPER_OPS_TD
