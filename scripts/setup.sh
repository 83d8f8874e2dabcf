#!/usr/bin/env bash
# Installs every Debian 12 package onnx-compile needs to build and test.
# Safe to run twice: it installs only what is missing.
set -euo pipefail

PACKAGES=(
  # Toolchain: LLVM/MLIR 22 (see docs/developers.md for why exactly these).
  cmake ninja-build ccache g++ pkgconf
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  # libFuzzer and the sanitizer runtimes for test/fuzz.
  libclang-rt-22-dev
  libomp-22-dev
  # ONNX's C++ schemas, protobuf, and the backend test data.
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  # Test generators: python3-onnx, numpy, and torch for real architectures.
  python3-onnx python3-numpy python3-torch python3-torchvision
  # aarch64: the cross compiler builds the runtime shim and onnx-run-lite,
  # the cross libc links model libraries, qemu runs them in the tests.
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # The runtime's leak test (test/lit/runtime/leaks.test). Its sanitizer
  # tests use gcc's libasan, libubsan and libtsan, which g++ brings.
  valgrind
)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
