#!/usr/bin/env bash
# Configures (once) and builds onnx-compile into ./build with Ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
# A clone in another folder (CI's fresh one) shares the compiler cache:
# ccache hashes the paths under the repository relative to it.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

BUILD_DIR=${BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    "${launcher[@]}"
fi
# Two cores: more jobs only thrash memory on the big generated files.
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}" "$@"
