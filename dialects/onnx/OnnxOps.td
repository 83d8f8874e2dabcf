//===- OnnxOps.td - All ops of the onnx dialect ---------------------------===//
//
// The hand-written helper ops plus the ops generated at build time from
// libonnx's schema registry (OnnxGeneratedOps.td, in the build tree).
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_ONNX_OPS_TD
#define ONNXC_ONNX_OPS_TD

include "dialects/onnx/OnnxBase.td"
include "dialects/onnx/OnnxHelperOps.td"
include "dialects/onnx/OnnxGeneratedOps.td"

#endif // ONNXC_ONNX_OPS_TD
