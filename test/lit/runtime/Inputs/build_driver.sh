#!/bin/sh
# build_driver.sh SRC OUT "FLAGS" MODEL.o
#
# Builds test/runtime/model_driver.c and runtime/onnxc_runtime.c from the
# source tree SRC with FLAGS (the sanitizer options) and links them with
# MODEL.o as onnx-compile emitted it: the model's code is not instrumented,
# only the runtime and the driver are. A model that calls OpenMP's runtime
# (__kmpc_*, omp_*) also gets LLVM's libomp.
set -eu
src=$1
out=$2
flags=$3
model=$4
omp=""
if nm -u "$model" | grep -q -e '__kmpc_' -e ' omp_'; then
  omp="-L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib -lomp"
fi
# $flags and $omp are word lists on purpose.
# shellcheck disable=SC2086
cc -std=c11 -g -O1 -Wall -Wextra -Werror $flags -I"$src/include" -I"$src" \
  "$src/runtime/onnxc_runtime.c" "$src/runtime/onnxc_cuda.c" \
  "$src/runtime/onnxc_cuda_run.c" \
  "$src/test/runtime/model_driver.c" \
  "$model" $omp -lpthread -lm -o "$out"
