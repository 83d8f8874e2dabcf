#!/usr/bin/env bash
# The main job: set up, build, and compile the shipped example model.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
./scripts/build.sh onnx-compile

echo "== onnx-compile examples/mlp/mlp.onnx --emit=onnx"
./build/bin/onnx-compile examples/mlp/mlp.onnx --emit=onnx \
  --mlir-elide-resource-strings-if-larger=64
