//===- GraphPreparation.h - Proto-level fixes before import -----*- C++ -*-===//
//
// Models in the wild are not always in the shape the importer wants. These
// rewrite the ModelProto in place before anything is built from it.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_LIB_IMPORTER_GRAPHPREPARATION_H
#define ONNXC_LIB_IMPORTER_GRAPHPREPARATION_H

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
} // namespace onnx

namespace onnxc {

/// Replaces every call of a model-local function (ModelProto.functions) by
/// the function's body, with values renamed apart and attribute references
/// resolved. Throws ImportError on recursion or malformed calls.
void inlineModelFunctions(onnx::ModelProto &model);

/// Orders the nodes of `graph` (and of its subgraphs) so every value is
/// defined before it is used, counting values a subgraph captures from an
/// enclosing scope. `outerScope` holds the names visible from outside.
/// Throws ImportError naming the node for an undefined input or a cycle.
void sortGraphTopologically(onnx::GraphProto &graph,
                            const std::set<std::string> &outerScope = {});

/// Replaces the shapes of graph inputs named in `inputShapes`; throws for a
/// name that is not an input or a rank that does not match.
void overrideInputShapes(
    onnx::GraphProto &graph,
    const std::map<std::string, std::vector<int64_t>> &inputShapes);

/// The highest ai.onnx opset whose schemas libonnx knows.
int maxKnownOpset();

/// For models of ai.onnx opset above maxKnownOpset(): rewrites each node
/// whose operator changed since then into its older equivalent, and throws
/// ImportError for a node whose newer semantics cannot be expressed that
/// way. Afterwards the model's ai.onnx opset is maxKnownOpset(); the
/// original is returned.
int64_t lowerOpsetToKnown(onnx::ModelProto &model);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_GRAPHPREPARATION_H
