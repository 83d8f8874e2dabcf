# -*- Python -*-
# lit configuration for onnx-compile. Tests live in test/lit (FileCheck tests
# of the tools and passes) and test/conformance (whole-suite runs over ONNX's
# test data).

import os
import shutil

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
