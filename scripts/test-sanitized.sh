#!/usr/bin/env bash
# The compiler under AddressSanitizer and UndefinedBehaviorSanitizer:
# builds onnx-compile, onnxc-opt and onnx-run with
# ONNXC_SANITIZE=address,undefined (gcc) into build-sanitized, then runs
# with them
#   - the pass and dialect tests (onnxc-opt: test/lit/{dialect,lowering,
#     graph} and the .mlir tests of test/lit/codegen),
#   - the importer tests (test/lit/importer: hostile and broken models),
#   - the tool tests that only run the compiler (test/lit/tools/{help,
#     version,info,progress}),
#   - a conformance sample: every CONFORMANCE_STRIDE-th case of ONNX's
#     backend test data (default 8, about 130 cases), compiled by the
#     sanitized onnx-compile and run by the sanitized onnx-run against
#     expected.txt.
# Exits non-zero when a test fails or when any sanitizer reported anything,
# in any process, even one that a test expected to fail: reports go to log
# files (ASAN_OPTIONS/UBSAN_OPTIONS log_path), which are checked at the end,
# so that `not onnx-compile ...` cannot pass on a sanitizer's exit code.
#
#   SANITIZED_BUILD_DIR=build-sanitized  JOBS=2  CONFORMANCE_STRIDE=8
set -euo pipefail
cd "$(dirname "$0")/.."
# A clone in another folder (CI's fresh one) shares the compiler cache:
# ccache hashes the paths under the repository relative to it.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

BUILD_DIR=${SANITIZED_BUILD_DIR:-build-sanitized}
STRIDE=${CONFORMANCE_STRIDE:-8}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # -O1: the sanitizers' checks, at about half the compile time of -O3.
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DONNXC_SANITIZE=address,undefined \
    "${launcher[@]}" >/dev/null
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}" onnx-compile onnxc-opt onnx-run \
  onnxc_runtime

reports=$(mktemp -d /tmp/onnxc-sanitizer-reports.XXXXXX)
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="log_path=$reports/lsan"
# Model libraries run their large loops on libomp's threads; with those
# threads alive at exit, LeakSanitizer's tracer (gcc 12's) dies with
# "Tracer caught signal 11" instead of checking for leaks. What is
# instrumented here is the compiler and onnx-run's own single-threaded
# code, not the generated kernels, so one thread loses no coverage; the
# runtime's threads have their own TSan test (test/lit/runtime/threads.test).
export ONNXC_NUM_THREADS=1

status=0
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test" \
  --filter 'lit/(dialect|lowering|graph|importer)/|lit/codegen/.*\.mlir$|lit/tools/(help|version|info|progress)\.test$' ||
  status=1

/usr/bin/python3 test/conformance/run_conformance.py \
  --onnx-compile "$BUILD_DIR/bin/onnx-compile" \
  --onnx-run "$BUILD_DIR/bin/onnx-run" \
  --data /usr/share/libonnx-testdata/data \
  --expected test/conformance/expected.txt \
  --tolerances test/conformance/tolerances.txt \
  --stride "$STRIDE" -j "${JOBS:-$(nproc)}" || status=1

if [ -n "$(ls -A "$reports")" ]; then
  echo "sanitized: the sanitizers reported errors (in $reports):"
  for f in "$reports"/*; do
    echo "== $f"
    head -40 "$f"
  done
  status=1
else
  rm -rf "$reports"
  echo "sanitized: no sanitizer reports"
fi
exit "$status"
