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
set -e

# One plain summary line for tools that read it.
# lit ends with lines such as "  Passed: 10 (100.00%)".
awk '
  { split($0, kv, ":"); n = kv[2] + 0 }
  /^ +Passed *:/                                            { p += n }
  /^ +(Failed|Unresolved|Timed Out|Unexpectedly Passed) *:/ { f += n }
  /^ +(Unsupported|Expectedly Failed|Skipped) *:/           { s += n }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
