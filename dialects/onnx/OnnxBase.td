//===- OnnxBase.td - The onnx dialect, its types and op base class --------===//
//
// The `onnx` dialect holds ONNX graphs as they were written: one op per ONNX
// operator signature (generated from libonnx's schemas into
// OnnxGeneratedOps.td), on builtin tensor types plus the few ONNX types MLIR
// has no builtin for.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_ONNX_BASE_TD
#define ONNXC_ONNX_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let summary = "ONNX operators, one op per operator signature and opset range";
  let description = [{
    Ops are generated from ONNX's schema registry. A version of an operator
    whose signature differs from the newest one is a separate op named
    `Op_vN`, N being its first since_version; each op lists the
    since_versions it covers (`getOnnxSinceVersions()`).

    Missing optional inputs are values of type `none` made by `onnx.NoValue`;
    optional outputs a node leaves out have type `none`.
  }];
  let cppNamespace = "::onnxc";
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerTypes();
  }];
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

class Onnx_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Onnx_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Onnx_StringType : Onnx_Type<"String", "string"> {
  let summary = "ONNX string tensor element";
}

def Onnx_SeqType : Onnx_Type<"Seq", "seq"> {
  let summary = "ONNX sequence of tensors";
  let parameters = (ins "::mlir::Type":$elementType);
  let assemblyFormat = "`<` $elementType `>`";
}

def Onnx_OptType : Onnx_Type<"Opt", "opt"> {
  let summary = "ONNX optional value";
  let parameters = (ins "::mlir::Type":$elementType);
  let assemblyFormat = "`<` $elementType `>`";
}

/// Any value an ONNX graph can carry.
def Onnx_Any : AnyTypeOf<[AnyTensor, Onnx_SeqType, Onnx_OptType]>;
/// The same, or `none` for an absent optional input or output.
def Onnx_AnyOrNone : AnyTypeOf<[AnyTensor, Onnx_SeqType, Onnx_OptType, NoneType]>;

//===----------------------------------------------------------------------===//
// Op base class
//===----------------------------------------------------------------------===//

class Onnx_Op<string mnemonic, list<Trait> traits = []>
    : Op<Onnx_Dialect, mnemonic, traits>;

#endif // ONNXC_ONNX_BASE_TD
