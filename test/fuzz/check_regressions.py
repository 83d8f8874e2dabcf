#!/usr/bin/python3
"""Runs inputs that once crashed the importer through onnx-compile.

Usage: check_regressions.py ONNX_COMPILE DIR

Each file in DIR was found by the fuzzer (test/fuzz/run-fuzzers.sh) and
crashed, hung or overflowed before its fix. Now onnx-compile must refuse it
with exit code 1 and one error line that starts with the file's path. A
crash, a sanitizer report, a hang (60 s) or a success fails the test.
"""

import os
import subprocess
import sys


def main():
    compiler, folder = sys.argv[1], sys.argv[2]
    names = sorted(os.listdir(folder))
    bad = 0
    for name in names:
        path = os.path.join(folder, name)
        try:
            run = subprocess.run([compiler, path, "--emit=onnx", "-o",
                                  os.devnull], capture_output=True,
                                 text=True, errors="replace", timeout=60)
        except subprocess.TimeoutExpired:
            print("HANG %s" % name)
            bad += 1
            continue
        lines = run.stderr.splitlines()
        clean = (run.returncode == 1 and len(lines) == 1 and
                 lines[0].startswith(path + ": "))
        print("%s %s: exit %d: %s" % ("ok" if clean else "BAD", name,
                                      run.returncode,
                                      run.stderr.strip()[:400]))
        bad += not clean
    print("%d inputs, %d refused cleanly, %d bad" %
          (len(names), len(names) - bad, bad))
    sys.exit(1 if bad or not names else 0)


if __name__ == "__main__":
    main()
