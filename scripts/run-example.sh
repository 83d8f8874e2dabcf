#!/usr/bin/env bash
# The main job: set up, build, compile the shipped example model into a
# static library, and run it from a small C program (examples/mlp/main.c).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
./scripts/build.sh onnx-compile onnxc_runtime

out=build/example
mkdir -p "$out"
echo "== onnx-compile examples/mlp/mlp.onnx -o $out/libmlp.a"
./build/bin/onnx-compile examples/mlp/mlp.onnx -o "$out/libmlp.a"
echo "== cc examples/mlp/main.c $out/libmlp.a -o $out/mlp-example"
cc -std=c11 -O2 -I"$out" examples/mlp/main.c "$out/libmlp.a" -lm -o "$out/mlp-example"
echo "== $out/mlp-example"
"$out/mlp-example"
