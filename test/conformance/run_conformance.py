#!/usr/bin/python3
"""Compiles and runs ONNX's backend test cases and compares the outputs.

Each case (a folder with model.onnx and test_data_set_N/) is compiled with
onnx-compile to a shared library and run with onnx-run on every data set.
A case ends as one of:
  pass         every data set matches within tolerance
  fail         it compiled, but a run failed or an output differs
  unsupported  onnx-compile refused it with a one-line diagnostic
  crash        a tool died (signal, timeout, unexpected exit code)

expected.txt lists every case that is not expected to pass, with its
status and a reason; the run fails on any case whose result differs from
what is listed, in either direction, and on any crash. Tolerances per case
pattern are in tolerances.txt.

With --cuda-emulator DIR (a folder holding the emulating libcuda.so.1 of
test/lit/runtime/Inputs/emulated_libcuda.c), each case is compiled with
--target=x86_64,cuda, its kernels also for the host
(--cuda-emulation-kernels), and run with --device=cuda: the library's GPU
path runs for real, the kernels on the CPU. expected_cuda_emulated.txt is
its list.

Usage: run_conformance.py --onnx-compile BIN --onnx-run BIN --data DIR
                          --expected FILE --tolerances FILE [--work DIR]
                          [--suites node,...] [-j N] [--write-expected FILE]
                          [--cuda-emulator DIR]
"""

import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5
TIMEOUT_S = 300


def read_table(path, min_fields):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split(None, min_fields - 1)
            if len(fields) < min_fields:
                sys.exit(f"{path}:{n}: expected {min_fields} fields")
            rows.append(fields)
    return rows


def tolerance_for(case, tolerances):
    for pattern, rtol, atol, _reason in tolerances:
        if fnmatch.fnmatch(case, pattern):
            return float(rtol), float(atol)
    return DEFAULT_RTOL, DEFAULT_ATOL


def compile_case(command, model):
    """Runs the compiler command line `command` on `model`. Returns None when
    it succeeded, else the case's end: ("unsupported", the diagnostic) for a
    refusal (exit 1 with one line on stderr), ("crash", details) for
    anything else."""
    try:
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "crash", "compile timed out"
    err = proc.stderr.strip()
    if proc.returncode == 1 and err and "\n" not in err:
        return "unsupported", err.replace(model + ": ", "")
    if proc.returncode != 0:
        return "crash", f"compile exit {proc.returncode}: {err[-500:]}"
    return None


def data_sets(folder):
    return sorted(d for d in os.listdir(folder)
                  if d.startswith("test_data_set"))


def compare_with_expected(results, expected):
    """Counts the (case, status, detail) results by status and lists every
    crash and every case whose status is not the expected one (cases absent
    from `expected` must pass)."""
    counts = {"pass": 0, "fail": 0, "unsupported": 0, "crash": 0}
    problems = []
    for case, status, detail in results:
        counts[status] += 1
        want = expected.get(case, ("pass", ""))[0]
        if status == "crash":
            problems.append(f"CRASH {case}: {detail}")
        elif status != want:
            problems.append(f"UNEXPECTED {status.upper()} (expected {want}) "
                            f"{case}: {detail}")
    return counts, problems


def list_cases(data, suites, pattern=None):
    """(suite/name, folder) of every case with a model.onnx in the given
    suites of the test data, sorted; only those matching `pattern` (a
    regular expression) when given."""
    cases = []
    for suite in suites:
        root = os.path.join(data, suite)
        if not os.path.isdir(root):
            sys.exit(f"missing test data: {root} (install libonnx-testdata)")
        for name in sorted(os.listdir(root)):
            if pattern and not re.search(pattern, f"{suite}/{name}"):
                continue
            if os.path.isfile(os.path.join(root, name, "model.onnx")):
                cases.append((f"{suite}/{name}", os.path.join(root, name)))
    return cases


def write_expected(path, results, expected):
    """Writes the non-passing results as an expected file: a case listed
    with the same status keeps its written reason, others get the detail."""
    with open(path, "w") as f:
        for case, status, detail in results:
            if status != "pass":
                listed = expected.get(case)
                reason = listed[1] if listed and listed[0] == status \
                    else detail
                f.write(f"{case} {status} {reason}\n")


def run_case(args, case, folder, tolerances, work):
    lib = os.path.join(work, case.replace("/", "__") + ".so")
    kernels = lib[:-3] + ".kernels.so"
    model = os.path.join(folder, "model.onnx")
    compile_command = [args.onnx_compile, model, "-o", lib]
    run_flags, env = [], None
    if args.cuda_emulator:
        compile_command += ["--target=x86_64,cuda",
                            f"--cuda-emulation-kernels={kernels}"]
        run_flags = ["--device=cuda"]
        env = dict(os.environ, LD_LIBRARY_PATH=args.cuda_emulator,
                   ONNXC_EMULATED_KERNELS=kernels)
    refused = compile_case(compile_command, model)
    if refused:
        return refused
    rtol, atol = tolerance_for(case, tolerances)
    sets = data_sets(folder)
    try:
        for data_set in sets:
            try:
                run = subprocess.run(
                    [args.onnx_run, lib, "--test-data",
                     os.path.join(folder, data_set), "--rtol", str(rtol),
                     "--atol", str(atol)] + run_flags,
                    capture_output=True, text=True, timeout=TIMEOUT_S,
                    env=env)
            except subprocess.TimeoutExpired:
                return "crash", f"{data_set}: run timed out"
            if run.returncode < 0:
                return "crash", f"{data_set}: run killed by signal " \
                                f"{-run.returncode}"
            if run.returncode != 0:
                lines = (run.stdout + run.stderr).strip().splitlines()
                bad = [l for l in lines if "ok" not in l.split(":")[-1]]
                return "fail", f"{data_set}: " + " | ".join(bad[-2:])[:300]
        return "pass", ""
    finally:
        for built in (lib, kernels):
            if os.path.exists(built):
                os.remove(built)
        header = os.path.join(work, os.path.basename(lib)[:-3] + ".h")
        for h in (header,):
            if os.path.exists(h):
                os.remove(h)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-compile", required=True)
    ap.add_argument("--onnx-run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--tolerances", required=True)
    ap.add_argument("--suites",
                    default="node,pytorch-converted,pytorch-operator,simple")
    ap.add_argument("--work")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--filter",
                    help="run only the cases whose 'suite/name' matches "
                         "this regular expression (for development)")
    ap.add_argument("--stride", type=int, default=1,
                    help="run every N-th case only, after --filter (a "
                         "sample for slow builds, e.g. a sanitized one)")
    ap.add_argument("--write-expected",
                    help="write the observed non-passing cases here")
    ap.add_argument("--cuda-emulator",
                    help="run each case's CUDA path against the emulating "
                         "libcuda.so.1 in this folder")
    args = ap.parse_args()

    expected = {case: (status, reason)
                for case, status, reason in read_table(args.expected, 3)}
    tolerances = read_table(args.tolerances, 4)
    cases = list_cases(args.data, args.suites.split(","),
                       args.filter)[::max(args.stride, 1)]

    work = args.work or tempfile.mkdtemp(prefix="onnxc-conformance-")
    os.makedirs(work, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda c: (c[0],) + run_case(args, c[0], c[1], tolerances, work),
            cases))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)

    counts, problems = compare_with_expected(results, expected)
    per_suite = {}
    for case, status, _detail in results:
        suite = case.split("/")[0]
        per_suite.setdefault(suite, {"pass": 0, "total": 0})
        per_suite[suite]["total"] += 1
        per_suite[suite]["pass"] += status == "pass"
    for p in problems:
        print(p)
    for suite, c in sorted(per_suite.items()):
        print(f"{suite}: {c['pass']} of {c['total']} pass")
    print(f"conformance: {counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['unsupported']} unsupported, {counts['crash']} crash "
          f"of {len(results)}")
    if args.write_expected:
        write_expected(args.write_expected, results, expected)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
