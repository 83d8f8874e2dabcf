//===- ShapeFolding.h - Fold shape computations before import ---*- C++ -*-===//
//
// Exporters (and ONNX's own function expansions) compute shapes at run
// time: Shape -> Gather -> Concat -> Reshape. Where the shapes are in fact
// known, ONNX shape inference alone often cannot see through the chain, and
// every value downstream of the Reshape is left unranked, which the code
// generator cannot compile. These fold such chains into constants and let
// shape inference run again, so the types downstream become static.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_LIB_IMPORTER_SHAPEFOLDING_H
#define ONNXC_LIB_IMPORTER_SHAPEFOLDING_H

namespace onnx {
class ModelProto;
} // namespace onnx

namespace onnxc {

/// Runs ONNX shape inference (with data propagation) on `model`; then,
/// until nothing changes, replaces every main-graph node whose result is
/// computable now (a Shape of a tensor with static dims, or a small integer
/// or float computation on constants) by a Constant node with the same
/// outputs, and infers again. Inference is best effort: a node it cannot
/// handle keeps its declared type.
void inferShapesAndFoldConstants(onnx::ModelProto &model);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_SHAPEFOLDING_H
