//===- OnnxDialect.h - The onnx dialect -------------------------*- C++ -*-===//
//
// Include this to use the onnx dialect: its types and every op.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_DIALECTS_ONNX_ONNXDIALECT_H
#define ONNXC_DIALECTS_ONNX_ONNXDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/onnx/OnnxDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/onnx/OnnxTypes.h.inc"

#define GET_OP_CLASSES
#include "dialects/onnx/OnnxOps.h.inc"

#endif // ONNXC_DIALECTS_ONNX_ONNXDIALECT_H
