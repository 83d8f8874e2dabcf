#!/usr/bin/python3
"""Benchmarks onnx-compile's generated code against ONNX Runtime.

Run it through bench/run.sh, which first installs onnxruntime-node (see
bench/README.md).  For each model it

  1. exports the model with test/models/export_real_models.py (cached),
  2. compiles it with onnx-compile (timed; the library size is recorded) and
     checks the library's output against PyTorch's with onnx-run --test-data,
  3. times onnx-run --benchmark and bench/ort_bench.js on the same input with
     the same warmup and run counts, at each thread count,

then times a one-node MatMul at a few sizes against the single-core FMA peak
that bench/fma_peak.c measures, prints the tables, and writes them (via
bench/report.py) to docs/performance.md, plus the raw numbers to
BUILD/bench/results.json.

Only Debian's interpreter has python3-onnx and numpy: run with /usr/bin/python3.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (bench/report.py)

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)

FULL_MODELS = ["resnet50", "mobilenet_v2", "squeezenet1_1", "mlp", "bert"]
QUICK_MODELS = ["mlp", "squeezenet1_1"]
FULL_GEMM = [512, 1024, 2048]
QUICK_GEMM = [512]
OPSET = 17
# Tolerances of test/conformance/real-models*.test.
RTOL, ATOL = 1e-3, 1e-4
# A GEMM output element is a sum of n products: its f32 rounding error grows
# with n, so near-zero elements need a larger absolute tolerance.
GEMM_ATOL = 1e-3
# Variants: a row of an exported model compiled with extra flags, maybe
# against ORT on another export: (our model, onnx-compile flags, atol, ORT's
# model). The int8 rows are checked against PyTorch's f32 output with a
# tolerance that fits their quantization error (BERT's outputs reach 16.6).
# bert_ortq is BERT quantized as onnxruntime's quantize_dynamic does it
# (test/models/quantize_ort_style.py: DynamicQuantizeLinear + MatMulInteger,
# int8 weights per tensor), so
#   bert-int8:         ours int8 (--quantize) vs ORT f32 (the int8 speedup),
#   bert-int8-vs-ortq: ours int8 (--quantize) vs ORT int8 (int8 vs int8),
#   bert-ortq:         both run the ORT-quantized model (int8 vs int8, the
#                      same graph; ours through onnxc-rewrite-quantized-matmul).
#   resnet50-int8:     ours int8 (--quantize, convolutions as ConvInteger) vs
#                      ORT f32. Its atol only keeps the check from failing:
#                      the random-weight resnet50 amplifies int8 rounding to
#                      ~14% relative L2 (docs/user-guide.md, Quantization).
VARIANTS = {
    "bert-int8": ("bert", ["--quantize=dynamic-int8"], 0.5, "bert"),
    "bert-int8-vs-ortq": ("bert", ["--quantize=dynamic-int8"], 0.5, "bert_ortq"),
    "bert-ortq": ("bert_ortq", [], 1.0, "bert_ortq"),
    "resnet50-int8": ("resnet50", ["--quantize=dynamic-int8"], 2.0, "resnet50"),
}
ALL_MODELS = FULL_MODELS + ["resnet50-b8"] + list(VARIANTS)


def base_model(name: str) -> str:
    """The exported model a row runs: resnet50-b8 is resnet50 rebatched, a
    variant its base model compiled with other flags."""
    return VARIANTS[name][0] if name in VARIANTS else name.replace("-b8", "")


def exports_of(name: str) -> List[str]:
    """Every export a row needs (ours and ORT's model)."""
    if name in VARIANTS:
        return sorted({VARIANTS[name][0], VARIANTS[name][3]})
    return [base_model(name)]


def log(message: str) -> None:
    print(message, flush=True)


def run(cmd: List[str], timeout: Optional[float] = None,
        env: Optional[Dict[str, str]] = None) -> Tuple[int, str, float]:
    """Runs cmd; returns (exit code, stdout+stderr, wall seconds)."""
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, time.perf_counter() - start
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out + f"\n(timed out after {timeout} s)", time.perf_counter() - start


def first_line(text: str, pattern: str = "") -> str:
    for line in text.splitlines():
        if line.strip() and (not pattern or re.search(pattern, line)):
            return line.strip()[:200]
    return text.strip()[:200]


def load1() -> Optional[float]:
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return None


# --------------------------------------------------------------------------
# Machine and versions
# --------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> Optional[float]:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 2 ** 20
    except OSError:
        pass
    return None


def tool_version(cmd: List[str]) -> str:
    rc, out, _ = run(cmd, timeout=60)
    return first_line(out) if rc == 0 else "unknown"


def git_revision() -> str:
    rc, out, _ = run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"], 30)
    if rc != 0:
        return "unknown"
    rev = out.strip()
    rc, out, _ = run(["git", "-C", ROOT, "status", "--porcelain",
                      "--untracked-files=no"], 30)
    return rev + ("-dirty" if rc == 0 and out.strip() else "")


def ort_version() -> str:
    path = os.path.join(BENCH_DIR, "node_modules", "onnxruntime-node", "package.json")
    try:
        with open(path) as f:
            return json.load(f)["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


def measure_fma_peak(work: str) -> Tuple[Optional[float], str]:
    """Builds and runs bench/fma_peak.c for this host; (GFLOP/s, ISA)."""
    exe = os.path.join(work, "fma_peak")
    rc, out, _ = run(["cc", "-O2", "-march=native", "-o", exe,
                      os.path.join(BENCH_DIR, "fma_peak.c")], 120)
    if rc != 0:
        log(f"fma_peak: cannot build: {first_line(out)}")
        return None, "unknown"
    rc, out, _ = run([exe, "1.0"], 120)
    values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    if rc != 0 or "peak_gflops" not in values:
        log(f"fma_peak: failed: {first_line(out)}")
        return None, "unknown"
    return float(values["peak_gflops"]), values.get("isa", "unknown")


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class Case:
    """One model at one batch size: a directory laid out like ONNX's test data."""

    def __init__(self, name: str, batch: int, model_dir: str,
                 atol: float = ATOL, gemm_n: Optional[int] = None,
                 flags: Optional[List[str]] = None,
                 ort_dir: Optional[str] = None):
        self.name, self.batch, self.dir = name, batch, model_dir
        self.atol, self.gemm_n = atol, gemm_n
        self.flags = flags or []  # extra onnx-compile flags
        self.ort_dir = ort_dir or model_dir  # the model ORT runs

    @property
    def model(self) -> str:
        return os.path.join(self.dir, "model.onnx")

    @property
    def ort_model(self) -> str:
        return os.path.join(self.ort_dir, "model.onnx")

    @property
    def data(self) -> str:
        return os.path.join(self.dir, "test_data_set_0")


def export_models(models: List[str], models_dir: str) -> bool:
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "test/models/export_real_models.py"),
           "--out", models_dir, "--models", ",".join(models), "--opsets", str(OPSET)]
    log("$ " + " ".join(cmd))
    return subprocess.run(cmd).returncode == 0


def rebatch(src: Case, batch: int, out_dir: str) -> Case:
    """The model of src with batch dimension `batch`, fed src's input repeated.

    The exported CNNs have a static batch of 1 (only the MLP's is symbolic),
    so onnx-compile --shape cannot change it and ORT would reject a bigger
    input: set the graph input's and output's first dim, drop the exporter's
    value_info (batch-1 shapes) and let strict shape inference re-derive
    every shape, which fails loudly if some node hard-codes the batch.  The
    expected output is PyTorch's batch-1 output repeated, so the check
    against PyTorch still holds.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    dst = Case(src.name, batch, out_dir)
    marker = os.path.join(out_dir, ".source-mtime")
    stamp = str(os.path.getmtime(src.model))
    if os.path.isfile(marker) and open(marker).read() == stamp:
        return dst
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(dst.data)

    model = onnx.load(src.model)
    initializers = {i.name for i in model.graph.initializer}
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name in initializers:
            continue
        dim = value.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_value = batch
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    onnx.save(model, dst.model)

    for kind in ("input", "output"):
        tensor = onnx.load_tensor(os.path.join(src.data, f"{kind}_0.pb"))
        array = numpy_helper.to_array(tensor)
        tiled = np.concatenate([array] * batch, axis=0)
        with open(os.path.join(dst.data, f"{kind}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(tiled, tensor.name).SerializeToString())
    with open(marker, "w") as f:
        f.write(stamp)
    return dst


def make_gemm(n: int, out_dir: str) -> Case:
    """A one-node MatMul: Y = A (input, n x n) @ B (initializer, n x n)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    case = Case(f"gemm{n}", 1, out_dir, atol=GEMM_ATOL, gemm_n=n)
    if os.path.isfile(os.path.join(case.data, "output_0.pb")):
        return case
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(case.data)
    rng = np.random.default_rng(n)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["Y"])], f"gemm{n}",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])],
        initializer=[numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    onnx.save(model, case.model)
    y = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    for name, array, file in (("A", a, "input_0.pb"), ("Y", y, "output_0.pb")):
        with open(os.path.join(case.data, file), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
    return case


def raw_feeds(case: Case, raw_dir: str) -> Tuple[List[str], List[str], str]:
    """The .pb input as (onnx-run --input args, ort_bench.js --input args,
    raw expected output path) -- the same numbers for both engines."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    os.makedirs(raw_dir, exist_ok=True)
    ours, ort = [], []
    i = 0
    while os.path.isfile(os.path.join(case.data, f"input_{i}.pb")):
        pb = os.path.join(case.data, f"input_{i}.pb")
        tensor = onnx.load_tensor(pb)
        array = numpy_helper.to_array(tensor)
        raw = os.path.join(raw_dir, f"input_{i}.bin")
        np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tofile(raw)
        dims = "x".join(str(d) for d in array.shape)
        ours += ["--input", f"{tensor.name}={pb}"]
        ort += ["--input", f"{tensor.name}={raw}:{array.dtype.name}:{dims}"]
        i += 1
    expected = numpy_helper.to_array(onnx.load_tensor(os.path.join(case.data, "output_0.pb")))
    expected_raw = os.path.join(raw_dir, "expected_0.bin")
    expected.astype("<f4").tofile(expected_raw)
    return ours, ort, expected_raw


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------

def parse_onnx_run(out: str) -> Optional[Dict]:
    values = dict(re.findall(r"^(median_ms|min_ms|max_ms|first_call_ms): "
                             r"([0-9.eE+-]+)$", out, re.M))
    if not all(k in values for k in ("median_ms", "min_ms", "max_ms")):
        return None
    # first_call_ms: loading the library, creating the session and the
    # first run (onnx-run times it apart from the statistics).
    return {k: float(v) for k, v in values.items()}


def choose_counts(probe_s: float, args) -> Tuple[int, int]:
    """(runs, warmup) so that a row takes about args.budget seconds per engine."""
    runs = int(args.budget / max(probe_s, 1e-4))
    runs = max(args.min_runs, min(args.max_runs, runs))
    warmup = 1 if probe_s > 1.0 else max(1, min(100, runs // 10))
    return runs, warmup


def bench_ours(lib: str, feeds: List[str], threads: int, runs: int,
               warmup: int, onnx_run: str) -> Tuple[Optional[Dict], str]:
    rc, out, _ = run([onnx_run, lib, "--benchmark", str(runs), "--warmup",
                      str(warmup), "--threads", str(threads)] + feeds)
    stats = parse_onnx_run(out) if rc == 0 else None
    # onnx-run prints the count the session resolved: a library that would
    # not take the thread count must not pass for one that ran with it.
    used = re.search(r"threads: (\d+)", out)
    if stats and used and int(used.group(1)) != threads:
        return None, f"onnx-run: asked for {threads} threads, the session has {used.group(1)}"
    return stats, "" if stats else f"onnx-run: {first_line(out, 'rror|fail|MISMATCH') or out}"


def bench_ort(model: str, feeds: List[str], expected: Optional[str], threads: int,
              runs: int, warmup: int) -> Tuple[Optional[Dict], str]:
    cmd = ["node", os.path.join(BENCH_DIR, "ort_bench.js"), "--model", model,
           "--threads", str(threads), "--warmup", str(warmup), "--runs", str(runs)]
    cmd += feeds + (["--expected", expected] if expected else [])
    rc, out, _ = run(cmd)
    if rc != 0:
        return None, f"ORT: {first_line(out, 'rror') }"
    try:
        return json.loads(out.strip().splitlines()[-1]), ""
    except (ValueError, IndexError):
        return None, f"ORT: unexpected output: {first_line(out)}"


def bench_case(case: Case, threads_list: List[int], args, tools: Dict[str, str],
               work: str, results: Dict, rows_key: str) -> None:
    label = f"{case.name} batch {case.batch}"
    tag = f"{case.name}-b{case.batch}"
    lib = os.path.join(work, "libs", tag + ".so")
    os.makedirs(os.path.dirname(lib), exist_ok=True)
    entry = {"model": case.name, "batch": case.batch}
    if case.gemm_n is None:
        results["compile"].append(entry)

    log(f"\n== {label}: compiling")
    rc, out, seconds = run([tools["onnx-compile"], case.model, "-o", lib]
                           + case.flags)
    ok = rc == 0
    if ok:
        entry.update(compile_s=seconds, lib_bytes=os.path.getsize(lib))
        log(f"   compile {seconds:.1f} s, library {os.path.getsize(lib) / 1e6:.1f} MB")
    else:
        entry["error"] = f"onnx-compile: {first_line(out, 'rror') }"
        entry["check"] = "compile failed"
        log(f"   {entry['error']}")

    feeds_ours, feeds_ort, expected = raw_feeds(case, os.path.join(work, "raw", tag))

    # One checked run: is the output right, and how long does a run take
    # (process start and loading included, so it errs on the long side)?
    probe_s = None
    if ok:
        rc, out, probe_s = run([tools["onnx-run"], lib, "--test-data", case.data,
                                "--rtol", str(RTOL), "--atol", str(case.atol)])
        entry["check"] = "match" if rc == 0 else first_line(out, "MISMATCH|rror|fail")
        errs = [float(e) for e in re.findall(r"max_abs_err ([0-9.eE+-]+)", out)]
        if rc == 0 and errs and case.atol > ATOL:
            # A quantized build: how far from f32 is the point.
            entry["check"] += f" (max abs err {max(errs):.2g})"
        log(f"   check vs reference: {entry['check']} ({probe_s:.2f} s)")
    if probe_s is None:
        # No library: size the ORT runs from one ORT run instead.
        stats, _ = bench_ort(case.ort_model, feeds_ort, None, threads_list[0], 1, 0)
        probe_s = stats["median_ms"] / 1e3 if stats else 1.0
    runs, warmup = choose_counts(probe_s, args)

    for threads in threads_list:
        row = {"threads": threads, "batch": case.batch, "runs": runs,
               "warmup": warmup, "load1": load1()}
        if case.gemm_n is None:
            row["model"] = case.name
        else:
            row["n"] = case.gemm_n
        errs = []
        row["ours"] = None
        if ok:
            log(f"   ours  threads {threads}: {runs} runs + {warmup} warmup ...")
            row["ours"], err = bench_ours(lib, feeds_ours, threads, runs, warmup,
                                          tools["onnx-run"])
            errs += [err] if err else []
        log(f"   ORT   threads {threads}: {runs} runs + {warmup} warmup ...")
        ort, err = bench_ort(case.ort_model, feeds_ort, expected, threads, runs, warmup)
        errs += [err] if err else []
        row["ort"] = {k: ort[k] for k in ("median_ms", "min_ms", "max_ms")} if ort else None
        if ort and "max_abs_diff" in ort:
            entry["ort_check"] = f"{ort['max_abs_diff']:.2g} (max abs ref {ort['max_abs_ref']:.3g})"
        if errs:
            row["error"] = "; ".join(errs)
        results[rows_key].append(row)
        log("   " + "  ".join(
            f"{name} {report.fmt_ms(s['median_ms'])} ms [{report.fmt_range(s)}]"
            for name, s in (("ours", row["ours"]), ("ORT", row["ort"])) if s)
            + (f"  ours/ORT {report.fmt_ratio(row['ours'], row['ort'])}"
               if row["ours"] and row["ort"] else "")
            + (f"  ERROR {row['error']}" if errs else ""))
    if case.gemm_n is not None:
        for row in results[rows_key][-len(threads_list):]:
            row["check"] = entry.get("check")
            if entry.get("error"):
                row["error"] = entry["error"]


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {', '.join(QUICK_MODELS)} and GEMM "
                             f"{QUICK_GEMM[0]} only; does not touch docs/")
    parser.add_argument("--models", help="comma-separated subset of "
                        f"{','.join(ALL_MODELS)} (default: all)")
    parser.add_argument("--gemm", help="comma-separated GEMM sizes, or 'none' "
                        f"(default: {','.join(map(str, FULL_GEMM))})")
    parser.add_argument("--threads", default="1,2",
                        help="thread counts for the models (default: %(default)s)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="target seconds of timed runs per row and engine "
                             "(default: %(default)s)")
    parser.add_argument("--min-runs", type=int, default=3)
    parser.add_argument("--max-runs", type=int, default=1000)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="onnx-compile build directory (default: %(default)s)")
    parser.add_argument("--models-dir",
                        help="export cache, shared with test/conformance/real-models*.test "
                             "(default: BUILD/real-models)")
    parser.add_argument("--output", help="Markdown file to write (default: "
                        "docs/performance.md; with --quick BUILD/bench/performance-quick.md)")
    args = parser.parse_args(argv)

    if args.models:
        models = [m for m in args.models.split(",") if m]
    else:
        models = QUICK_MODELS if args.quick else ALL_MODELS
    unknown = [m for m in models if m not in ALL_MODELS]
    if unknown:
        parser.error(f"unknown model(s): {', '.join(unknown)}")
    if args.gemm:
        gemm_sizes = [] if args.gemm == "none" else [int(n) for n in args.gemm.split(",")]
    else:
        gemm_sizes = QUICK_GEMM if args.quick else FULL_GEMM
    threads_list = [int(t) for t in args.threads.split(",") if t]

    build = os.path.abspath(args.build)
    tools = {t: os.path.join(build, "bin", t) for t in ("onnx-compile", "onnx-run")}
    for path in tools.values():
        if not os.access(path, os.X_OK):
            parser.error(f"{path} not found: build onnx-compile first (scripts/build.sh)")
    work = os.path.join(build, "bench")
    models_dir = args.models_dir or os.path.join(build, "real-models")
    os.makedirs(work, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    output = args.output or (os.path.join(work, "performance-quick.md") if args.quick
                             else os.path.join(ROOT, "docs", "performance.md"))

    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": os.environ.get("BENCH_COMMAND") or
                   " ".join(["bench/bench.py"] + (argv if argv is not None else sys.argv[1:])),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "onnxc_version": tool_version([tools["onnx-compile"], "--version"]),
        "git": git_revision(),
        "ort_version": ort_version(),
        "node_version": tool_version(["node", "--version"]),
        "cc_version": tool_version(["cc", "--version"]),
        "budget_s": args.budget,
    }
    log(f"{meta['cpu']}, {meta['cpus']} CPUs; onnx-compile {meta['git']}; "
        f"onnxruntime-node {meta['ort_version']}; load {load1()}")
    results = {"meta": meta, "compile": [], "rows": [], "gemm": []}

    if gemm_sizes:
        log("\n== FMA peak (bench/fma_peak.c)")
        meta["fma_peak_gflops"], meta["fma_isa"] = measure_fma_peak(work)
        log(f"   {meta['fma_peak_gflops']} GFLOP/s ({meta['fma_isa']})")

    order = FULL_MODELS + ["bert_ortq"]
    base = sorted({e for m in models for e in exports_of(m)}, key=order.index)
    if base and not export_models(base, models_dir):
        log("some exports failed; benchmarking the models that exist")

    for name in models:
        base_name = base_model(name)
        src = Case(base_name, 1, os.path.join(models_dir, f"{base_name}-opset{OPSET}"))
        if not os.path.isfile(src.model):
            results["compile"].append({"model": src.name, "batch": 1,
                                       "error": "export failed"})
            continue
        case = src
        if name in VARIANTS:
            _, flags, atol, ort_name = VARIANTS[name]
            ort_dir = os.path.join(models_dir, f"{ort_name}-opset{OPSET}")
            if not os.path.isfile(os.path.join(ort_dir, "model.onnx")):
                results["compile"].append({"model": ort_name, "batch": 1,
                                           "error": "export failed"})
                continue
            case = Case(name, 1, src.dir, atol=atol, flags=flags, ort_dir=ort_dir)
        if name.endswith("-b8"):
            try:
                case = rebatch(src, 8, os.path.join(work, "models", "resnet50-b8"))
            except Exception as e:  # report it, go on with the other models
                results["compile"].append({"model": src.name, "batch": 8,
                                           "error": f"rebatch: {e}"})
                continue
        bench_case(case, threads_list, args, tools, work, results, "rows")

    for n in gemm_sizes:
        case = make_gemm(n, os.path.join(work, "models", f"gemm{n}"))
        bench_case(case, [1], args, tools, work, results, "gemm")

    with open(os.path.join(work, f"results{suffix}.json"), "w") as f:
        json.dump(results, f, indent=1)
    log("\n" + report.console(results))
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as f:
        f.write(report.document(results))
    log(f"wrote {output} and {os.path.join(work, f'results{suffix}.json')}")
    return 1 if report.errors(results) else 0


if __name__ == "__main__":
    sys.exit(main())
