#!/usr/bin/python3
"""Export real-architecture models to ONNX for onnx-compile's import and conformance tests.

The hand-written lit tests only cover small graphs.  This generator produces
models with the shape of real workloads (ResNet-50, MobileNetV2,
SqueezeNet 1.1, an MLP and a BERT-base sized Transformer encoder) so the
importer, the passes and the generated code are exercised on the operator
mixes, depths and tensor sizes that users actually compile.

The weights are random: the build and test machines have no network, so no
pretrained checkpoint can be downloaded.  Random weights are fine for
conformance testing, since each model comes with a reference input and
PyTorch's output for it, laid out like ONNX's backend test data:

    OUT/<model>-opset<K>/model.onnx
    OUT/<model>-opset<K>/test_data_set_0/input_0.pb    (TensorProto)
    OUT/<model>-opset<K>/test_data_set_0/output_0.pb   (TensorProto)

Only Debian's interpreter has torch (python3-torch 1.13, python3-torchvision
0.14), so run it as:

    /usr/bin/python3 test/models/export_real_models.py --out DIR \\
        [--models resnet50,mobilenet_v2,squeezenet1_1,mlp,bert,bert_ortq,mlp_ortq] \\
        [--opsets 13,17] [--seed 0] [--force]

A model directory that already exists and is complete is re-used unless
--force is given, so repeated test runs only pay for the export once.
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torchvision


@dataclass
class ModelSpec:
    """What build_* returns: the module in eval mode and an example input."""
    model: nn.Module
    example_input: torch.Tensor
    # Symbolic dimensions passed to torch.onnx.export (None: all static).
    dynamic_axes: Optional[Dict[str, Dict[int, str]]] = None
    # Trace with autograd enabled (see build_bert for why).
    trace_with_grad: bool = False


# --------------------------------------------------------------------------
# Weight randomisation
# --------------------------------------------------------------------------

@torch.no_grad()
def randomise_biases_and_norms(model: nn.Module) -> None:
    """Give every bias, norm parameter and BatchNorm statistic a random value.

    (For the torchvision CNNs calibrate_batchnorm then replaces the random
    BatchNorm statistics with measured ones.)

    PyTorch initialises all biases and BatchNorm/LayerNorm parameters to
    constants (0 and 1) and BatchNorm statistics to mean 0 / var 1.  That is
    bad for tests in two ways:
      * the exporter de-duplicates equal initializers, so many of them end up
        shared or behind Identity nodes, which no real (trained) model has;
      * with gamma=1, beta=0, mean=0, var=1 the BatchNorms are near no-ops and
        constant folding/fusion bugs in the compiler would go unnoticed, and
        all-zero biases hide bugs in bias broadcasting.
    """
    # Biases first (Linear, Conv, MultiheadAttention in_proj_bias, ...); the
    # norm layers below overwrite their own biases with their own ranges.
    for name, param in model.named_parameters():
        if name.endswith("bias"):
            param.normal_(0.0, 0.1)

    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0.0, 0.1)
            module.running_mean.normal_(0.0, 0.1)
            # Variance must stay positive or BN produces NaNs.
            module.running_var.uniform_(0.5, 1.5)
        elif isinstance(module, nn.LayerNorm):
            module.weight.uniform_(0.5, 1.5)
            module.bias.normal_(0.0, 0.1)


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, batch: torch.Tensor) -> None:
    """Replace BatchNorm running statistics with those of a random batch.

    Statistics drawn at random (mean ~0, var ~1) do not match the activations
    the random convolutions actually produce, and through ResNet-50's 16
    residual blocks the mismatch compounds: outputs reach |y| ~ 2000, where
    fp32 rounding of large partial sums swamps any sensible absolute
    tolerance.  Measured statistics keep activations O(1), like a trained
    network, and are still distinct per channel (and var > 0).
    """
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: the stats of exactly `batch`
    model.train()
    model(batch)
    model.eval()
    for bn in norms:
        bn.momentum = 0.1


# --------------------------------------------------------------------------
# Model builders (one per model)
# --------------------------------------------------------------------------

def _torchvision_cnn(constructor: Callable[..., nn.Module]) -> ModelSpec:
    # weights=None: random init, nothing is downloaded.
    model = constructor(weights=None)
    randomise_biases_and_norms(model)
    calibrate_batchnorm(model, torch.randn(4, 3, 224, 224))
    return ModelSpec(model.eval(), torch.randn(1, 3, 224, 224))


def build_resnet50() -> ModelSpec:
    return _torchvision_cnn(torchvision.models.resnet50)


def build_mobilenet_v2() -> ModelSpec:
    return _torchvision_cnn(torchvision.models.mobilenet_v2)


def build_squeezenet1_1() -> ModelSpec:
    return _torchvision_cnn(torchvision.models.squeezenet1_1)


def build_mlp() -> ModelSpec:
    """784-512-256-10 MLP (MNIST-sized), the one model with a symbolic batch."""
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )
    randomise_biases_and_norms(model)
    # A symbolic batch dimension gives the compiler's dynamic-shape path a
    # real model; every other model is fully static.
    dynamic_axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    return ModelSpec(model.eval(), torch.randn(1, 784), dynamic_axes=dynamic_axes)


@torch.no_grad()
def _reinit_transformer_layer(layer: nn.TransformerEncoderLayer) -> None:
    layer.self_attn._reset_parameters()
    layer.self_attn.out_proj.reset_parameters()
    layer.linear1.reset_parameters()
    layer.linear2.reset_parameters()


def build_bert() -> ModelSpec:
    """BERT-base encoder stack: 12 post-LN layers, d_model 768, 12 heads, FFN 3072.

    The input is the (1, 128, 768) embedding sequence; embeddings and
    tokenizer are not part of the model.  GELU is exported as Erf-based
    arithmetic (Div, Erf, Add, Mul) at both opset 13 and 17.
    """
    layer = nn.TransformerEncoderLayer(
        d_model=768, nhead=12, dim_feedforward=3072,
        activation="gelu", batch_first=True)
    # enable_nested_tensor=False: the nested-tensor (sparsity) fast path of
    # nn.TransformerEncoder has no ONNX export.
    model = nn.TransformerEncoder(layer, num_layers=12, enable_nested_tensor=False)
    # TransformerEncoder deep-copies `layer` 12 times, so all layers would
    # share identical weights (and the exporter would de-duplicate them).
    # Re-initialise each layer on its own.
    for encoder_layer in model.layers:
        _reinit_transformer_layer(encoder_layer)
    randomise_biases_and_norms(model)
    # In eval mode under no_grad every TransformerEncoderLayer takes the fused
    # fast path aten::_transformer_encoder_layer_fwd, which the ONNX exporter
    # cannot export (enable_nested_tensor=False does not switch it off).  The
    # fast path is skipped when autograd is on and the weights require grad,
    # so trace (and compute the reference output) with grad enabled.
    return ModelSpec(model.eval(), torch.randn(1, 128, 768), trace_with_grad=True)


BUILDERS: Dict[str, Callable[[], ModelSpec]] = {
    "resnet50": build_resnet50,
    "mobilenet_v2": build_mobilenet_v2,
    "squeezenet1_1": build_squeezenet1_1,
    "mlp": build_mlp,
    "bert": build_bert,
}

# Models derived from an exported one: the f32 model quantized the way
# onnxruntime.quantization.quantize_dynamic does it (quantize_ort_style.py;
# DynamicQuantizeLinear + MatMulInteger + Cast + Mul), with the same input
# and PyTorch's f32 output as reference data (so a check against it
# measures the quantization error).  bert_ortq is ORT's default form (int8
# weights, symmetric, per tensor); mlp_ortq the other one (uint8 weights
# with zero points, per column; its Gemms first become MatMul + Add).
DERIVED: Dict[str, Tuple[str, Dict]] = {
    "bert_ortq": ("bert", dict(weight_type="int8", per_channel=False)),
    "mlp_ortq": ("mlp", dict(weight_type="uint8", per_channel=True,
                             gemm_as_matmul=True)),
}


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------

def _graph_inputs(model: onnx.ModelProto) -> List[str]:
    initializers = {init.name for init in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in initializers]


def is_complete(model_dir: str) -> bool:
    """A model directory is complete when the model and its test data exist.

    Directories are only ever created by an atomic rename of a finished temp
    directory, so this is a sanity check rather than a real validation.
    """
    return all(os.path.isfile(os.path.join(model_dir, f)) for f in (
        "model.onnx",
        os.path.join("test_data_set_0", "input_0.pb"),
        os.path.join("test_data_set_0", "output_0.pb"),
    ))


def _save_tensor(array: np.ndarray, name: str, path: str) -> None:
    tensor = numpy_helper.from_array(array, name=name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def export_one(spec: ModelSpec, opset: int, out_dir: str) -> float:
    """Export spec into out_dir (which must exist); returns export seconds."""
    model_path = os.path.join(out_dir, "model.onnx")
    with torch.set_grad_enabled(spec.trace_with_grad):
        start = time.perf_counter()
        torch.onnx.export(
            spec.model, (spec.example_input,), model_path,
            opset_version=opset,
            do_constant_folding=True,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes=spec.dynamic_axes,
        )
        seconds = time.perf_counter() - start
        # Same autograd mode as the trace, so the reference output comes from
        # exactly the code path that was exported.
        outputs = spec.model(spec.example_input)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)

    # check_model with a path also works for models close to 2 GB.
    onnx.checker.check_model(model_path)
    proto = onnx.load(model_path, load_external_data=False)
    input_names = _graph_inputs(proto)
    output_names = [o.name for o in proto.graph.output]
    assert len(input_names) == 1 and len(output_names) == len(outputs), (
        input_names, output_names)

    data_dir = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data_dir)
    _save_tensor(spec.example_input.numpy(), input_names[0],
                 os.path.join(data_dir, "input_0.pb"))
    for i, (name, value) in enumerate(zip(output_names, outputs)):
        _save_tensor(value.detach().numpy(), name,
                     os.path.join(data_dir, f"output_{i}.pb"))
    return seconds


def _make_scratch_dir(out_root: str, final_name: str) -> str:
    """A hidden directory beside the final one, tagged with this process id."""
    path = tempfile.mkdtemp(prefix=f".{final_name}.pid{os.getpid()}.", dir=out_root)
    # mkdtemp creates mode 0700; give the directory that gets renamed into
    # place the permissions an ordinary mkdir would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o777 & ~umask)
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_scratch_dirs(out_root: str) -> None:
    """Delete scratch directories of runs that were killed (SIGKILL skips all
    cleanup).  Those of live processes are left alone, so concurrent runs into
    the same directory do not delete each other's work."""
    for entry in os.listdir(out_root):
        match = re.fullmatch(r"\..*\.pid(\d+)\..*", entry)
        if match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(os.path.join(out_root, entry), ignore_errors=True)


def _install(scratch_dir: str, final_dir: str) -> None:
    """Rename a finished export into place, replacing an existing directory."""
    out_root, final_name = os.path.split(final_dir)
    if not os.path.exists(final_dir):
        os.rename(scratch_dir, final_dir)
        return
    # --force (or an incomplete leftover): move the old directory aside
    # first, since rename cannot replace a non-empty directory.
    trash = _make_scratch_dir(out_root, final_name)
    os.rename(final_dir, os.path.join(trash, "old"))
    os.rename(scratch_dir, final_dir)
    shutil.rmtree(trash)


def _write_model_dir(name: str, opset: int, out_root: str, final_dir: str,
                     write):
    """Runs write(scratch_dir), which fills a scratch directory and returns
    what the caller reports, then renames the directory into final_dir, so
    an interrupted run never leaves a half-written model directory. On
    failure prints why and returns None (the caller goes on with the other
    models)."""
    scratch_dir = _make_scratch_dir(out_root, os.path.basename(final_dir))
    try:
        result = write(scratch_dir)
        _install(scratch_dir, final_dir)
        return result
    except Exception as e:  # report, keep going with the other models
        print(f"{name:<14} opset {opset:<3} FAILED: {type(e).__name__}: {e}",
              file=sys.stderr, flush=True)
        return None
    finally:
        # Gone already after a successful rename; otherwise (failure,
        # Ctrl-C, SIGTERM) drop the partial write.
        shutil.rmtree(scratch_dir, ignore_errors=True)


def export_model(name: str, opsets: List[int], out_root: str, seed: int,
                 force: bool) -> bool:
    spec: Optional[ModelSpec] = None
    ok = True
    for opset in opsets:
        final_name = f"{name}-opset{opset}"
        final_dir = os.path.join(out_root, final_name)
        model_path = os.path.join(final_dir, "model.onnx")
        if not force and is_complete(final_dir):
            size_mb = os.path.getsize(model_path) / 1e6
            print(f"{name:<14} opset {opset:<3} cached    {size_mb:8.1f} MB", flush=True)
            continue
        if spec is None:
            # Seed per model (not per run) so a model's weights and input do
            # not depend on which other models were selected, and are the
            # same for every opset.
            torch.manual_seed(seed)
            spec = BUILDERS[name]()

        seconds = _write_model_dir(
            name, opset, out_root, final_dir,
            lambda scratch: export_one(spec, opset, scratch))
        if seconds is None:
            ok = False
            continue
        size_mb = os.path.getsize(model_path) / 1e6
        print(f"{name:<14} opset {opset:<3} {seconds:7.1f} s {size_mb:8.1f} MB", flush=True)
    return ok


def derive_model(name: str, opsets: List[int], out_root: str, seed: int,
                 force: bool) -> bool:
    """Exports the base model of DERIVED[name] (if needed) and writes the
    quantized copy beside it, with the base's test data."""
    from quantize_ort_style import quantize_dynamic_ort_style

    base, options = DERIVED[name]
    if not export_model(base, opsets, out_root, seed, False):
        return False
    ok = True
    for opset in opsets:
        final_dir = os.path.join(out_root, f"{name}-opset{opset}")
        base_dir = os.path.join(out_root, f"{base}-opset{opset}")
        model_path = os.path.join(final_dir, "model.onnx")
        if not force and is_complete(final_dir):
            size_mb = os.path.getsize(model_path) / 1e6
            print(f"{name:<14} opset {opset:<3} cached    {size_mb:8.1f} MB", flush=True)
            continue
        def quantize(scratch_dir):
            start = time.perf_counter()
            model = quantize_dynamic_ort_style(
                onnx.load(os.path.join(base_dir, "model.onnx")), **options)
            onnx.save(model, os.path.join(scratch_dir, "model.onnx"))
            shutil.copytree(os.path.join(base_dir, "test_data_set_0"),
                            os.path.join(scratch_dir, "test_data_set_0"))
            return time.perf_counter() - start, model

        done = _write_model_dir(name, opset, out_root, final_dir, quantize)
        if done is None:
            ok = False
            continue
        seconds, model = done
        size_mb = os.path.getsize(model_path) / 1e6
        print(f"{name:<14} opset {opset:<3} {seconds:7.1f} s {size_mb:8.1f} MB "
              f"({model.doc_string})", flush=True)
    return ok


def _exit_on_sigterm(signum, frame):
    # Python dies on SIGTERM (e.g. a test-runner timeout) without unwinding;
    # raising SystemExit instead runs the finally blocks that remove the
    # partial export.
    sys.exit(128 + signum)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--models", default=",".join(list(BUILDERS) + list(DERIVED)),
                        help="comma-separated subset of: %(default)s")
    parser.add_argument("--opsets", default="13,17",
                        help="comma-separated ONNX opset versions (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="torch RNG seed for weights and inputs (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="re-export models whose directory already exists")
    args = parser.parse_args(argv)

    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in BUILDERS and m not in DERIVED]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(list(BUILDERS) + list(DERIVED))}")
    opsets = [int(k) for k in args.opsets.split(",") if k]

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    os.makedirs(args.out, exist_ok=True)
    remove_stale_scratch_dirs(args.out)
    ok = True
    for name in models:
        if name in DERIVED:
            ok &= derive_model(name, opsets, args.out, args.seed, args.force)
        else:
            ok &= export_model(name, opsets, args.out, args.seed, args.force)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
