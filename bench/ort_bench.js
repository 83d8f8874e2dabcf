#!/usr/bin/env node
// ort_bench.js - times one ONNX model with ONNX Runtime's CPU provider.
//
//   node ort_bench.js --model M.onnx --input NAME=FILE.bin:DTYPE:DIMS
//                     [--expected FILE.bin] --threads T --warmup W --runs N
//
// bench/bench.py drives it with the same input, warmup and run count as
// onnx-run --benchmark, so the two engines are timed alike: each run is one
// session.run() on inputs that already live in memory; session creation
// (and ORT's graph optimisation) is not timed.  Input and expected output
// are raw little-endian arrays (bench.py writes them from the .pb test
// data; the package has no protobuf reader).  DIMS is like 1x3x224x224.
//
// Prints one JSON object: median_ms, min_ms, max_ms, runs, warmup, threads,
// ort_version, and max_abs_diff / max_abs_ref / rel_l2_diff against
// --expected when given.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

const TYPED = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

function usage(message) {
  process.stderr.write(`ort_bench.js: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { inputs: [], threads: 1, warmup: 1, runs: 10, expected: null };
  for (let i = 0; i < argv.length; ++i) {
    const next = () => {
      if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--model': o.model = next(); break;
      case '--input': o.inputs.push(next()); break;
      case '--expected': o.expected = next(); break;
      case '--threads': o.threads = parseInt(next(), 10); break;
      case '--warmup': o.warmup = parseInt(next(), 10); break;
      case '--runs': o.runs = parseInt(next(), 10); break;
      default: usage(`unknown argument ${argv[i]}`);
    }
  }
  if (!o.model) usage('--model is required');
  if (!(o.runs >= 1) || !(o.warmup >= 0) || !(o.threads >= 1))
    usage('--runs must be >= 1, --warmup >= 0, --threads >= 1');
  return o;
}

/// A typed-array view of a whole file (copied, so it is correctly aligned).
function readRaw(path, Typed) {
  const bytes = fs.readFileSync(path);
  if (bytes.length % Typed.BYTES_PER_ELEMENT)
    usage(`${path}: ${bytes.length} bytes is not a whole number of elements`);
  const out = new Typed(bytes.length / Typed.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function parseInput(spec) {
  // NAME=FILE:DTYPE:DIMS (the file name may not contain ':').
  const eq = spec.indexOf('=');
  const [file, dtype, dimsText] = spec.slice(eq + 1).split(':');
  if (eq < 0 || !file || !dtype || dimsText === undefined)
    usage(`--input ${spec}: expected NAME=FILE:DTYPE:DIMS`);
  const Typed = TYPED[dtype];
  if (!Typed) usage(`--input ${spec}: unsupported dtype ${dtype}`);
  const dims = dimsText === '' ? [] : dimsText.split('x').map(Number);
  const data = readRaw(file, Typed);
  if (data.length !== dims.reduce((a, b) => a * b, 1))
    usage(`--input ${spec}: ${data.length} elements do not match the dims`);
  return [spec.slice(0, eq), new ort.Tensor(dtype, data, dims)];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const feeds = Object.fromEntries(o.inputs.map(parseInput));
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });

  let result;
  for (let i = 0; i < o.warmup; ++i) result = await session.run(feeds);
  const ms = [];
  for (let i = 0; i < o.runs; ++i) {
    const start = process.hrtime.bigint();
    result = await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const n = ms.length;
  const median = n % 2 ? ms[(n - 1) / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  const report = {
    median_ms: median, min_ms: ms[0], max_ms: ms[n - 1],
    runs: o.runs, warmup: o.warmup, threads: o.threads,
    ort_version: ort.env.versions ? ort.env.versions.common : 'unknown',
  };

  if (o.expected) {
    // The first output, compared in float: a sanity check that ORT computed
    // the same function as the reference (and so as onnx-compile).
    const got = result[session.outputNames[0]].data;
    const want = readRaw(o.expected, Float32Array);
    if (got.length !== want.length) {
      report.error = `output has ${got.length} elements, expected ${want.length}`;
    } else {
      let diff = 0, ref = 0, diff2 = 0, ref2 = 0;
      for (let i = 0; i < got.length; ++i) {
        const d = Number(got[i]) - want[i];
        diff = Math.max(diff, Math.abs(d));
        ref = Math.max(ref, Math.abs(want[i]));
        diff2 += d * d;
        ref2 += want[i] * want[i];
      }
      report.max_abs_diff = diff;
      report.max_abs_ref = ref;
      // ||got - want|| / ||want||: the error of a quantized model as a whole.
      report.rel_l2_diff = ref2 > 0 ? Math.sqrt(diff2 / ref2) : 0;
    }
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort_bench.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
