#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz (clang-22, ASan + UBSan) and
# runs each for a bounded time from its seed corpus. Exits non-zero when a
# fuzzer finds a crash, leaving the input under $FUZZ_OUT (printed).
#
#   FUZZ_SECONDS=60 (per target)   FUZZ_BUILD_DIR=build-fuzz   JOBS=2
#
# Skips (exit 0, with the reason) only when clang-22's libFuzzer runtime is
# not installed (Debian package libclang-rt-22-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."
# A clone in another folder (CI's fresh one) shares the compiler cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
CLANG_RT=$(/usr/lib/llvm-22/bin/clang -print-resource-dir 2>/dev/null || true)
if ! ls "$CLANG_RT"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang-22's libFuzzer runtime is missing" \
       "(install libclang-rt-22-dev)"
  exit 0
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DONNXC_BUILD_FUZZERS=ON \
    "${launcher[@]}" >/dev/null
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}" onnxc-fuzzers

# CI fuzzes from a fixed seed, so that a red run can be replayed and a
# landing does not hinge on a lucky draw; FUZZ_SEED=0 picks one at random.
FUZZ_SEED=${FUZZ_SEED:-$([ -n "${CI:-}" ] && echo 1 || echo 0)}
FUZZ_OUT=${FUZZ_OUT:-$(mktemp -d /tmp/onnxc-fuzz.XXXXXX)}
echo "fuzz: working corpora and any crash inputs go to $FUZZ_OUT"
status=0
run() { # NAME EXTRA_FLAGS...
  local name=$1
  shift
  mkdir -p "$FUZZ_OUT/$name"
  local log="$FUZZ_OUT/$name.log"
  # New inputs go to the first folder (scratch); the checked-in seeds and
  # the inputs of fixed crashes (regressions/, replayed first) are only
  # read. -rss_limit_mb and -malloc_limit_mb catch allocation bombs;
  # -timeout catches hangs.
  if "$BUILD_DIR/bin/onnxc-fuzz-$name" "$FUZZ_OUT/$name" "test/fuzz/corpus/$name" \
      "test/fuzz/regressions/$name" \
      -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=3072 \
      -malloc_limit_mb=1024 -print_final_stats=1 -seed="$FUZZ_SEED" \
      -artifact_prefix="$FUZZ_OUT/$name-" "$@" >"$log" 2>&1; then
    echo "fuzz: $name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" |
      awk '{print $2}') executions in ${FUZZ_SECONDS}s, no crash" \
      "(corpus $(ls "$FUZZ_OUT/$name" | wc -l) new inputs)"
  else
    echo "fuzz: $name: FAILED; log $log, inputs:" \
      "$(ls "$FUZZ_OUT" | grep "^$name-" | sed "s|^|$FUZZ_OUT/|" | tr '\n' ' ')"
    grep -E "^(==|SUMMARY|.*runtime error)" "$log" | head -20 || true
    status=1
  fi
}
run importer -dict=test/fuzz/onnx.dict
run tensor-reader
exit "$status"
