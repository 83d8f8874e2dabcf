#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite (lit: unit, importer,
# dialect and conformance tests). Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
./scripts/build.sh

BUILD_DIR=${BUILD_DIR:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
/usr/lib/llvm-22/bin/lit -sv "$BUILD_DIR/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Bounded fuzzing of the importer and onnx-run's tensor readers (about
# 2 x FUZZ_SECONDS plus the build of build-fuzz; test/fuzz/run-fuzzers.sh).
# Counted as one test in the summary line.
fuzz_log=$(mktemp)
FUZZ_SECONDS=${FUZZ_SECONDS:-40} ./test/fuzz/run-fuzzers.sh 2>&1 | tee "$fuzz_log"
fuzz_status=${PIPESTATUS[0]}
set -e
if [ "$fuzz_status" -ne 0 ]; then
  status=1
  echo "  Failed: 1" >>"$log"
elif grep -q "^fuzz: SKIPPED" "$fuzz_log"; then
  echo "  Skipped: 1" >>"$log"
else
  echo "  Passed: 1" >>"$log"
fi
rm -f "$fuzz_log"

# The compiler itself under ASan + UBSan: a second build (build-sanitized)
# and the pass, importer and tool tests plus a conformance sample run with
# it (scripts/test-sanitized.sh). Counted as one test in the summary line.
if ./scripts/test-sanitized.sh; then
  echo "  Passed: 1" >>"$log"
else
  status=1
  echo "  Failed: 1" >>"$log"
fi

# One plain summary line for tools that read it.
# lit ends with lines such as "  Passed: 10 (100.00%)".
awk '
  { split($0, kv, ":"); n = kv[2] + 0 }
  /^ +Passed *:/                                            { p += n }
  /^ +(Failed|Unresolved|Timed Out|Unexpectedly Passed) *:/ { f += n }
  /^ +(Unsupported|Expectedly Failed|Skipped) *:/           { s += n }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
