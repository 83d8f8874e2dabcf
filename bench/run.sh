#!/usr/bin/env bash
# One command for the whole benchmark (see bench/README.md):
#
#   bench/run.sh            # all models + GEMM; rewrites docs/performance.md
#   bench/run.sh --quick    # mlp, squeezenet1_1, GEMM 512; writes build/bench/
#
# Other options go to bench/bench.py (bench/run.sh --help lists them).
# Installs what it needs: nodejs/npm from Debian if missing (apt-get, as
# root) and onnxruntime-node into bench/node_modules; builds onnx-compile
# with scripts/build.sh if build/bin has no onnx-compile yet.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
ORT_VERSION=1.30.0   # also pinned in bench/package.json

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench: installing nodejs and npm (Debian packages)" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y nodejs npm
  else
    sudo apt-get install -y nodejs npm
  fi
fi

installed=$(node -p "try { require('$here/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }")
if [ "$installed" != "$ORT_VERSION" ]; then
  echo "bench: installing onnxruntime-node $ORT_VERSION into bench/node_modules" >&2
  # The package's install script would download CUDA/TensorRT binaries from
  # outside npm; the CPU binding is in the npm tarball itself.
  (cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip \
     npm install --no-audit --no-fund --ignore-scripts >&2)
fi
# Fail early, and clearly, if the binding cannot load on this machine.
(cd "$here" && node -e "require('onnxruntime-node')") || {
  echo "bench: onnxruntime-node does not load (see above)" >&2; exit 1; }

if [ ! -x "$root/build/bin/onnx-compile" ] || [ ! -x "$root/build/bin/onnx-run" ]; then
  echo "bench: building onnx-compile (scripts/build.sh)" >&2
  "$root/scripts/build.sh"
fi

# bench.py records the command line in docs/performance.md.
export BENCH_COMMAND="bench/run.sh${*:+ $*}"
exec /usr/bin/python3 "$here/bench.py" "$@"
