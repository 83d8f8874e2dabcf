"""Writes a model and its expected tensors in ONNX's test_data_set layout,
for the make_*_model.py scripts beside it:

    OUT/model.onnx
    OUT/test_data_set_0/input_N.pb, output_N.pb   (in the order given)"""

import os

import onnx
from onnx import numpy_helper


def save_test_case(out, model, inputs, outputs):
    """`inputs` and `outputs`: lists of (name, numpy array)."""
    data = os.path.join(out, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, (name, array) in enumerate(tensors):
            path = os.path.join(data, f"{kind}_{i}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(array, name).SerializeToString())
