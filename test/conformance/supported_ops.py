#!/usr/bin/python3
"""Writes docs/supported-ops.md: which ONNX operators onnx-compile compiles,
at which opsets and dtypes, on which targets, as the conformance run shows.

Nothing is compiled: the table is derived from what the conformance tests
already pin down.

- The cases: ONNX's node tests (DATA/node/*/model.onnx). A case "has" every
  operator that appears in it, subgraphs included.
- x86-64: conformance.test requires every case not listed in expected.txt
  to pass, and every listed case to end as listed. So a case passes exactly
  when expected.txt does not list it.
- aarch64: aarch64-qemu.test runs every --aarch64-stride-th passing node
  case (sorted, as run_cross_conformance.py samples them) under qemu; a
  sampled case passes unless expected_aarch64.txt lists it.
- dtypes: the element type of a node's first input (its first output when
  it has no input), after ONNX shape inference; "passing" lists the dtypes
  of the passing cases that have the operator.
- opsets: the versions the onnx dialect has for the operator (libonnx's
  schema history, which the dialect is generated from), and the opsets of
  the cases that exercise it.

Usage: supported_ops.py --data DIR --expected expected.txt
         --expected-aarch64 expected_aarch64.txt [--aarch64-stride 3]
         [-o docs/supported-ops.md]
"""

import argparse
import os
import sys
import types
from collections import defaultdict

import onnx
from onnx import defs, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_conformance import read_table  # noqa: E402
from run_cross_conformance import sample_cases  # noqa: E402

DTYPE_NAMES = {
    onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.DOUBLE: "float64",
    onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.BFLOAT16: "bfloat16",
    onnx.TensorProto.INT8: "int8", onnx.TensorProto.INT16: "int16",
    onnx.TensorProto.INT32: "int32", onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.UINT8: "uint8", onnx.TensorProto.UINT16: "uint16",
    onnx.TensorProto.UINT32: "uint32", onnx.TensorProto.UINT64: "uint64",
    onnx.TensorProto.BOOL: "bool", onnx.TensorProto.STRING: "string",
    onnx.TensorProto.COMPLEX64: "complex64",
    onnx.TensorProto.COMPLEX128: "complex128",
}
# Table order of dtypes: floats, signed, unsigned, bool, the rest.
DTYPE_ORDER = ["float32", "float64", "float16", "bfloat16", "int8", "int16",
               "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "bool", "string", "complex64", "complex128", "sequence",
               "optional"]


def domain_name(domain):
    return "ai.onnx" if domain in ("", "ai.onnx") else domain


def value_dtype(type_proto):
    """The element type of a value's TypeProto, as the table names it."""
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        return DTYPE_NAMES.get(type_proto.tensor_type.elem_type)
    if kind == "sequence_type":
        return "sequence"
    if kind == "optional_type":
        return "optional"
    return None


def graph_types(graph, types_by_name):
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        if v.name and v.HasField("type"):
            types_by_name.setdefault(v.name, v.type)
    for init in graph.initializer:
        types_by_name.setdefault(
            init.name, onnx.helper.make_tensor_type_proto(init.data_type, None))
    for node in graph.node:
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(
                    attr.graphs):
                graph_types(sub, types_by_name)


def graph_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(
                    attr.graphs):
                yield from graph_nodes(sub)


def case_ops(path):
    """{(domain, op): set of dtypes} of one model, and its opsets."""
    model = onnx.load(path, load_external_data=False)
    try:
        model = shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - keep the declared types only
        pass
    opsets = {domain_name(o.domain): o.version for o in model.opset_import}
    if not model.opset_import:
        opsets["ai.onnx"] = 1
    types_by_name = {}
    graph_types(model.graph, types_by_name)
    ops = defaultdict(set)
    for node in graph_nodes(model.graph):
        key = (domain_name(node.domain), node.op_type)
        first = next((n for n in node.input if n), None)
        if first is None:
            first = next((n for n in node.output if n), None)
        dtype = value_dtype(types_by_name[first]) if (
            first in types_by_name) else None
        ops[key]  # the op counts even when its dtype is unknown
        if dtype:
            ops[key].add(dtype)
    return ops, opsets


def dialect_versions(domain, op):
    try:
        schema = defs.get_schema(op, defs.onnx_opset_version() + 100,
                                 "" if domain == "ai.onnx" else domain)
    except defs.SchemaError:
        return []
    versions = set()
    # Walk back through the schema's history: each schema names its
    # since_version; the one before it is the newest below that.
    while schema is not None:
        versions.add(schema.since_version)
        if schema.since_version <= 1:
            break
        try:
            schema = defs.get_schema(op, schema.since_version - 1,
                                     "" if domain == "ai.onnx" else domain)
        except defs.SchemaError:
            schema = None
    return sorted(versions)


def version_span(values):
    values = sorted(set(values))
    if not values:
        return ""
    return str(values[0]) if values[0] == values[-1] else \
        f"{values[0]}-{values[-1]}"


def dtype_list(dtypes):
    return ", ".join(sorted(dtypes, key=lambda d: (
        DTYPE_ORDER.index(d) if d in DTYPE_ORDER else len(DTYPE_ORDER), d)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--expected-aarch64", required=True)
    ap.add_argument("--aarch64-stride", type=int, default=3,
                    help="as aarch64-qemu.test's --stride")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()

    expected = {case: status for case, status, _reason
                in read_table(args.expected, 3)}
    expected_arm = {case for case, _s, _r
                    in read_table(args.expected_aarch64, 3)}
    sampled = {case for case, _folder in sample_cases(
        types.SimpleNamespace(data=args.data, stride=args.aarch64_stride,
                              filter=None), expected)}

    root = os.path.join(args.data, "node")
    if not os.path.isdir(root):
        sys.exit(f"missing test data: {root} (install libonnx-testdata)")
    stats = defaultdict(lambda: {"cases": 0, "pass": 0, "arm": 0,
                                 "arm_pass": 0, "opsets": set(),
                                 "dtypes": set(), "all_dtypes": set()})
    total = passed = 0
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "model.onnx")
        if not os.path.isfile(path):
            continue
        case = f"node/{name}"
        ok = case not in expected
        total += 1
        passed += ok
        ops, opsets = case_ops(path)
        for (domain, op), dtypes in ops.items():
            s = stats[(domain, op)]
            s["cases"] += 1
            s["pass"] += ok
            s["opsets"].add(opsets.get(domain, 1))
            s["all_dtypes"] |= dtypes
            if ok:
                s["dtypes"] |= dtypes
            if case in sampled:
                s["arm"] += 1
                s["arm_pass"] += case not in expected_arm

    lines = [
        "# Supported operators",
        "",
        "<!-- Generated by test/conformance/supported_ops.py from ONNX's node",
        "     test cases, test/conformance/expected.txt and",
        "     expected_aarch64.txt; test/conformance/supported-ops.test fails",
        "     when this file is stale. Do not edit by hand. -->",
        "",
        "Which ONNX operators onnx-compile compiles and runs correctly, as "
        "the",
        "conformance run shows: ONNX 1.12's node test cases "
        f"({passed} of {total} pass on",
        "x86-64), each compiled to a shared library and compared with its",
        "reference outputs (`test/conformance/conformance.test`).",
        "",
        "- **dialect versions**: the operator versions (since_version) the",
        "  `onnx` dialect has, from libonnx 1.12's schemas. Models of opsets",
        "  18 to 24 are imported too where the operator did not change",
        "  meaning (`lib/importer/OpsetBridge.cpp`).",
        "- **tested opsets**: the opsets of the cases that use the operator.",
        "- **dtypes passing**: the element type of the operator's first",
        "  input in the passing cases that use it.",
        "- **x86-64**: passing cases out of the cases that use the operator",
        "  (a case with several operators counts for each; `_expanded` cases",
        "  are ONNX's function expansions). Why a case does not pass:",
        "  `test/conformance/expected.txt`.",
        "- **aarch64**: the same for the cases `aarch64-qemu.test` runs "
        "under",
        f"  qemu (one passing case in {args.aarch64_stride}, sorted by "
        "name); \"-\" where",
        "  none is sampled.",
        "  Why a case does not pass: `test/conformance/expected_aarch64.txt`.",
        "",
        "| op | dialect versions | tested opsets | dtypes passing | x86-64 "
        "| aarch64 |",
        "|---|---|---|---|---|---|",
    ]
    for (domain, op) in sorted(stats, key=lambda k: (k[0] != "ai.onnx",
                                                      k[0], k[1].lower())):
        s = stats[(domain, op)]
        label = op if domain == "ai.onnx" else f"{domain}.{op}"
        versions = ", ".join(str(v) for v in dialect_versions(domain, op))
        arm = f"{s['arm_pass']}/{s['arm']}" if s["arm"] else "-"
        lines.append(
            f"| {label} | {versions or '-'} | {version_span(s['opsets'])} | "
            f"{dtype_list(s['dtypes']) or '-'} | {s['pass']}/{s['cases']} | "
            f"{arm} |")

    # Operators of the dialect that no node case exercises.
    untested = sorted({
        schema.name for schema in defs.get_all_schemas()
        if schema.domain in ("", "ai.onnx")
        and not schema.deprecated
        and ("ai.onnx", schema.name) not in stats})
    lines += [
        "",
        "## Operators without a node test case",
        "",
        "The dialect has these ai.onnx operators, but no node case of ONNX",
        "1.12 uses them, so this table cannot say whether they work (nor",
        "for the `ai.onnx.ml` operators, which have no node cases):",
        "",
        ", ".join(untested) if untested else "(none)",
        "",
    ]
    text = "\n".join(lines)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
