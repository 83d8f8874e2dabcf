#!/usr/bin/python3
"""Formats benchmark results (the JSON that bench/bench.py writes) as text.

    bench/report.py RESULTS.json             # Markdown, as in docs/performance.md
    bench/report.py --console RESULTS.json   # the plain-text tables bench.py prints

Split out of bench.py so that the tables can be regenerated from a saved
results file, and tested on canned numbers (test/lit/bench/report.test),
without running a benchmark.  Standard library only.

The results JSON has four keys:
  meta:    date, cpu, cpus, memory_gib, kernel, onnxc_version, git, ort_version,
           node_version, cc_version, command, budget_s, fma_peak_gflops, fma_isa
  compile: [{model, batch, compile_s, lib_bytes, check, ort_check}]
  rows:    [{model, threads, batch, runs, warmup, load1,
             ours: {median_ms, min_ms, max_ms} | null,
             ort:  {median_ms, min_ms, max_ms} | null, error?}]
  gemm:    [{n, threads, runs, warmup, check, ours: {...} | null,
             ort: {...} | null, error?}]
"""

import argparse
import json
import sys
from typing import Dict, List, Optional


def fmt_ms(ms: Optional[float]) -> str:
    """Milliseconds with about 3 significant digits (and no fake precision)."""
    if ms is None:
        return "-"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_range(stats: Optional[Dict]) -> str:
    if not stats:
        return "-"
    return f"{fmt_ms(stats['min_ms'])}–{fmt_ms(stats['max_ms'])}"


def fmt_ratio(ours: Optional[Dict], ort: Optional[Dict]) -> str:
    if not ours or not ort or not ort["median_ms"]:
        return "-"
    r = ours["median_ms"] / ort["median_ms"]
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def gemm_gflops(n: int, stats: Optional[Dict]) -> Optional[float]:
    """An n x n x n matrix product is n^3 multiply-adds, 2 n^3 flops."""
    if not stats or not stats["median_ms"]:
        return None
    return 2.0 * n ** 3 / (stats["median_ms"] * 1e-3) / 1e9


def fmt_num(x: Optional[float], digits: int = 2, suffix: str = "") -> str:
    return "-" if x is None else f"{x:.{digits}f}{suffix}"


# --------------------------------------------------------------------------
# Tables as lists of rows; rendered below as Markdown or aligned plain text.
# --------------------------------------------------------------------------

def model_table(rows: List[Dict]) -> List[List[str]]:
    out = [["model", "threads", "batch", "runs", "ours median ms",
            "ours min–max", "ours first call ms", "ORT median ms",
            "ORT min–max", "ours/ORT", "load"]]
    for r in rows:
        ours = r.get("ours") or {}
        first = ours.get("first_call_ms")
        out.append([
            r["model"], str(r["threads"]), str(r["batch"]),
            f"{r['runs']}+{r['warmup']}w" if r.get("runs") else "-",
            fmt_ms(ours.get("median_ms")),
            fmt_range(r.get("ours")),
            f"{fmt_ms(first)} ({first / ours['median_ms']:.2f}x)"
            if first and ours.get("median_ms") else "-",
            fmt_ms((r.get("ort") or {}).get("median_ms")),
            fmt_range(r.get("ort")),
            fmt_ratio(r.get("ours"), r.get("ort")),
            fmt_num(r.get("load1")),
        ])
    return out


def compile_table(entries: List[Dict]) -> List[List[str]]:
    out = [["model", "batch", "compile s", "library MB",
            "ours vs PyTorch", "ORT max abs diff"]]
    for c in entries:
        out.append([
            c["model"], str(c["batch"]),
            fmt_num(c.get("compile_s"), 1),
            fmt_num(c["lib_bytes"] / 1e6 if c.get("lib_bytes") else None, 1),
            c.get("check") or "-",
            c.get("ort_check") or "-",
        ])
    return out


def gemm_table(entries: List[Dict], peak: Optional[float]) -> List[List[str]]:
    out = [["n", "threads", "runs", "ours median ms", "ours GFLOP/s",
            "ours % of peak", "ORT median ms", "ORT GFLOP/s", "ORT % of peak",
            "ours vs numpy"]]
    for g in entries:
        ours = gemm_gflops(g["n"], g.get("ours"))
        ort = gemm_gflops(g["n"], g.get("ort"))

        def pct(x):
            return fmt_num(100 * x / peak if x is not None and peak else None,
                           1 if x is not None and peak and 100 * x / peak >= 1
                           else 2, "%")
        out.append([
            str(g["n"]), str(g["threads"]),
            f"{g['runs']}+{g['warmup']}w" if g.get("runs") else "-",
            fmt_ms((g.get("ours") or {}).get("median_ms")),
            fmt_num(ours), pct(ours),
            fmt_ms((g.get("ort") or {}).get("median_ms")),
            fmt_num(ort), pct(ort),
            g.get("check") or "-",
        ])
    return out


def markdown(table: List[List[str]]) -> str:
    head, body = table[0], table[1:]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def plain(table: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                  for i, (c, w) in enumerate(zip(r, widths))).rstrip()
        for r in table)


def errors(results: Dict) -> List[str]:
    out = []
    for r in results.get("rows", []) + results.get("gemm", []):
        if r.get("error"):
            name = r.get("model") or f"gemm {r['n']}"
            out.append(f"{name} (threads {r['threads']}): {r['error']}")
    for c in results.get("compile", []):
        if c.get("error"):
            out.append(f"{c['model']} (batch {c['batch']}): {c['error']}")
    return out


def load_warning(results: Dict) -> Optional[str]:
    """A warning when rows ran with more runnable work than cores.

    With a 1-minute load average above the number of CPUs, each process got
    only part of a core: times are inflated (single-threaded code by about
    load / cpus), multi-threaded ORT rows most (its threads wait for each
    other), and the ratio between engines is less reliable."""
    cpus = results["meta"].get("cpus")
    loads = [r["load1"] for r in results.get("rows", []) + results.get("gemm", [])
             if r.get("load1") is not None]
    if not cpus or not loads or max(loads) <= cpus:
        return None
    return (f"Measured on a busy machine: the 1-minute load average was "
            f"{min(loads):.1f} to {max(loads):.1f} on {cpus} logical CPUs, so "
            f"other work shared the cores and the times are inflated and noisy "
            f"(ORT's multi-threaded rows most). Rerun on an idle machine for "
            f"numbers to quote.")


def console(results: Dict) -> str:
    peak = results["meta"].get("fma_peak_gflops")
    parts = ["Models (times in ms):", plain(model_table(results["rows"])), "",
             "Compilation:", plain(compile_table(results["compile"]))]
    if results.get("gemm"):
        parts += ["", f"GEMM (f32, single-core FMA peak {fmt_num(peak)} GFLOP/s):",
                  plain(gemm_table(results["gemm"], peak))]
    warning = load_warning(results)
    if warning:
        parts += ["", "WARNING: " + warning]
    errs = errors(results)
    if errs:
        parts += ["", "Errors:"] + [f"  {e}" for e in errs]
    return "\n".join(parts) + "\n"


def document(results: Dict) -> str:
    """The whole of docs/performance.md."""
    m = results["meta"]
    peak = m.get("fma_peak_gflops")
    out = [
        "# Performance",
        "",
        "Inference latency of onnx-compile's generated code against ONNX Runtime",
        "on the same machine, inputs and run counts. This file is written by the",
        "benchmark harness (bench/, see bench/README.md); rerun it rather than",
        "editing the numbers by hand.",
        "",
        f"- Date: {m.get('date', '-')}",
        f"- Command: `{m.get('command', '-')}`",
        f"- Machine: {m.get('cpu', '-')}, {m.get('cpus', '-')} logical CPUs, "
        f"{fmt_num(m.get('memory_gib'), 1)} GiB, Linux {m.get('kernel', '-')}",
        f"- Single-core f32 FMA peak, measured by bench/fma_peak.c: "
        f"{fmt_num(peak)} GFLOP/s ({m.get('fma_isa', '-')})",
        f"- onnx-compile: commit {m.get('git', '-')} ({m.get('onnxc_version', '-')})",
        f"- ONNX Runtime: onnxruntime-node {m.get('ort_version', '-')} (CPU "
        f"execution provider), Node.js {m.get('node_version', '-')}",
        f"- C compiler (links the libraries, builds fma_peak): {m.get('cc_version', '-')}",
        "",
    ]
    warning = load_warning(results)
    if warning:
        out += ["**" + warning + "**", ""]
    out += [
        "## Method",
        "",
        "- Models come from `test/models/export_real_models.py` (opset 17, random",
        "  weights, seed 0); each engine gets the model's `test_data_set_0` input.",
        "  resnet50 batch 8 is the same model with its batch dimension set to 8,",
        "  fed the reference input repeated 8 times.",
        "- Ours: `onnx-compile model.onnx -o lib.so` (default `--O3`, host CPU),",
        "  then `onnx-run lib.so --benchmark N --warmup W --threads T --input ...`.",
        "  The output is first checked against PyTorch's (`--test-data`, rtol",
        "  1e-3, atol 1e-4).",
        "- ORT: `bench/ort_bench.js`: `graphOptimizationLevel: 'all'`,",
        "  `intraOpNumThreads: T`, `interOpNumThreads: 1`, sequential execution;",
        "  session creation is not timed. Its output is compared with PyTorch's",
        "  too (max abs diff below).",
        "- Both engines run W warmup runs, then N timed runs of one inference",
        "  each; median, min and max are over the N runs. N is chosen per model",
        f"  from the time of one of our runs so that a row takes about "
        f"{fmt_num(m.get('budget_s'), 0)} s per",
        "  engine (at least 3 runs), the same N and W for both engines.",
        "- `runs` reads N+Ww; `load` is the 1-minute load average when the row",
        "  started (the machine is shared: a load well above the thread count",
        "  means the row was measured next to other work and is noisy).",
        "- `ours first call ms` is loading the library, creating the session",
        "  and the first run, as an app starting up sees them (in brackets: over",
        "  the median run).",
        "- Our threads: contractions, large elementwise ops, im2col copies, pads",
        "  and row reductions run on the session's threads (OpenMP).",
        "- int8 rows: `bert-int8` is ours with `--quantize=dynamic-int8` next to",
        "  ORT on the f32 model; `bert-int8-vs-ortq` the same build next to ORT",
        "  running `bert_ortq`, BERT quantized as onnxruntime's `quantize_dynamic`",
        "  does it (test/models/quantize_ort_style.py); `bert-ortq`: both engines",
        "  run `bert_ortq`. `resnet50-int8` is ours with `--quantize=dynamic-int8`",
        "  (convolutions included) next to ORT on the f32 model. Their outputs are",
        "  checked against PyTorch's f32 ones with the quantization error's",
        "  tolerance (max abs err below; resnet50's random weights amplify int8",
        "  rounding, see docs/user-guide.md, Quantization).",
        "",
        "## Models",
        "",
        "Times in milliseconds per inference.",
        "",
        markdown(model_table(results["rows"])),
        "",
        "## Compilation",
        "",
        "Wall time of `onnx-compile` (import, passes, LLVM, linking) and the",
        "size of the shared library (weights are embedded in it).",
        "",
        markdown(compile_table(results["compile"])),
    ]
    if results.get("gemm"):
        out += [
            "",
            "## GEMM",
            "",
            "One `MatMul` node, A (n x n input) times B (n x n initializer), f32,",
            "one thread; GFLOP/s = 2 n^3 / median time, against the measured",
            "single-core FMA peak.",
            "",
            markdown(gemm_table(results["gemm"], peak)),
        ]
    errs = errors(results)
    if errs:
        out += ["", "## Errors", ""] + [f"- {e}" for e in errs]
    return "\n".join(out) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="results JSON written by bench.py")
    parser.add_argument("--console", action="store_true",
                        help="plain-text tables instead of the Markdown document")
    args = parser.parse_args(argv)
    with open(args.results) as f:
        results = json.load(f)
    sys.stdout.write(console(results) if args.console else document(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
