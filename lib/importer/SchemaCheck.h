//===- SchemaCheck.h - Nodes that ONNX's shape inference may see -*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_SCHEMACHECK_H
#define ONNXC_LIB_IMPORTER_SCHEMACHECK_H

namespace onnx {
class ModelProto;
} // namespace onnx

namespace onnxc {

/// True when every node of the model, subgraphs included, matches its
/// ONNX schema (input and output counts, required attributes, attribute
/// types), as libonnx's OpSchema::Verify checks. libonnx's inference
/// functions assume this and dereference missing attributes (a Scan
/// without num_scan_inputs crashes), so inference must only run on models
/// that pass. Nodes with no schema (other domains) are left to the
/// importer, which refuses them.
bool nodesMatchSchemas(const onnx::ModelProto &model);

/// True when every type the model declares (graph inputs, outputs and
/// value_info, subgraphs included) says what it is: a TypeProto with no
/// tensor, sequence, optional or map inside crashes libonnx's inference
/// (Shape of such an input dereferences null), and so does a main graph
/// input with no type at all. Absent types in subgraphs are fine.
bool declaredTypesAreComplete(const onnx::ModelProto &model);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_SCHEMACHECK_H
