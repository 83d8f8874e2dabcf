# -*- Python -*-
# lit configuration for onnx-compile. Tests live in test/lit (FileCheck tests
# of the tools and passes) and test/conformance (whole-suite runs over ONNX's
# test data).

import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "onnx-compile"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.onnxc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in",
                   "models", "Inputs"]

llvm_config.with_system_environment(["HOME", "TMPDIR"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Only Debian's interpreter has python3-onnx, numpy and torch.
python = "/usr/bin/python3"
config.substitutions.append(("%python", python))
config.substitutions.append(
    ("%make_model",
     python + " " + os.path.join(config.onnxc_src_root,
                                 "test/models/make_test_model.py")))
config.substitutions.append(("%onnxc_src", config.onnxc_src_root))
config.substitutions.append(("%onnxc_build", config.onnxc_obj_root))
config.substitutions.append(
    ("%onnx_testdata", "/usr/share/libonnx-testdata/data"))

llvm_config.add_tool_substitutions(
    ["onnx-compile", "onnxc-opt", "onnx-run", "onnx-run-lite"],
    [config.onnxc_tools_dir])

# aarch64 tests: the build cross-compiled the runtime and onnx-run-lite
# (runtime/CrossRuntime.cmake) and qemu-aarch64 can run what they link.
if getattr(config, "onnxc_aarch64_cross", False) and \
        shutil.which("qemu-aarch64"):
    config.available_features.add("aarch64-cross")
    config.substitutions.append(
        ("%qemu_aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu"))
    config.substitutions.append(
        ("%onnx_run_lite_aarch64",
         os.path.join(config.onnxc_tools_dir, "aarch64", "onnx-run-lite")))

# CUDA backend tests that need the toolkit (ptxas, libdevice) but no GPU.
cuda_path = "/usr/local/cuda"
ptxas = os.path.join(cuda_path, "bin", "ptxas")
libdevice = os.path.join(cuda_path, "nvvm", "libdevice", "libdevice.10.bc")
if os.access(ptxas, os.X_OK) and os.path.exists(libdevice):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.note(f"no CUDA toolkit at {cuda_path} (ptxas, libdevice): "
                    "tests that REQUIRE cuda-toolkit are skipped")

# Tests that need a usable GPU: libcuda.so.1 loads, cuInit succeeds and
# there is a device. Probed with ctypes in a child process (a broken driver
# must not take lit down). Where there is none, they are skipped, with this
# note saying why.
def _cuda_gpu_reason():
    probe = ("import ctypes,sys\n"
             "try: lib=ctypes.CDLL('libcuda.so.1')\n"
             "except OSError as e: sys.exit('libcuda.so.1 not found')\n"
             "r=lib.cuInit(0)\n"
             "if r: sys.exit('cuInit failed with CUDA error %d' % r)\n"
             "n=ctypes.c_int(0); lib.cuDeviceGetCount(ctypes.byref(n))\n"
             "sys.exit(0 if n.value > 0 else 'no CUDA device')\n")
    import subprocess
    try:
        p = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                           text=True, timeout=60)
    except Exception as e:  # a hung or crashing driver counts as none
        return str(e)
    return "" if p.returncode == 0 else (p.stderr.strip() or "probe failed")

_gpu_reason = _cuda_gpu_reason()
if _gpu_reason.startswith("libcuda.so.1 not found"):
    config.available_features.add("no-libcuda")
if not _gpu_reason:
    config.available_features.add("cuda-gpu")
else:
    lit_config.note(f"no usable GPU ({_gpu_reason}): tests that REQUIRE "
                    "cuda-gpu are skipped")

# The host CPU's int8 dot-product extensions, for tests that run libraries
# built for a CPU that has them (--cpu=alderlake: AVX-VNNI).
def _host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()

_flags = _host_cpu_flags()
if "avx_vnni" in _flags:
    config.available_features.add("host-avx-vnni")
else:
    lit_config.note("the host CPU has no AVX-VNNI: tests that REQUIRE "
                    "host-avx-vnni are skipped")
if {"avx2", "fma"} <= _flags:
    config.available_features.add("host-avx2")
else:
    lit_config.note("the host CPU has no AVX2: tests that REQUIRE host-avx2 "
                    "are skipped")

# MADV_POPULATE_READ (the runtime maps embedded weights at session
# creation with it) is in Linux 5.14 and later.
def _kernel_at_least(major, minor):
    import platform
    try:
        parts = platform.release().split(".")
        return (int(parts[0]), int(parts[1].split("-")[0])) >= (major, minor)
    except (IndexError, ValueError):
        return False

if _kernel_at_least(5, 14):
    config.available_features.add("populate-read")
else:
    lit_config.note("the kernel is older than 5.14 (no MADV_POPULATE_READ): "
                    "tests that REQUIRE populate-read are skipped")
