"""Checks on an ONNX file's tensors before any backend loads it: where their data lives and how large they claim to be.

A model file is user input. ONNX lets a tensor keep its data outside the file ("external data": a path, an offset
and a length) and lets it declare any shape. A crafted file could then point a backend at /etc/passwd, /dev/zero
or a file beside someone else's model, or declare a weight of 10^15 elements that a backend tries to allocate.
Recent onnxruntime versions check paths themselves, older ones and the torch backend's `onnx.load` may not, so the
runtime checks once, for every backend, by walking the protobuf (no `onnx` package needed): external data must be
a relative path to a regular file inside the model's folder with the bytes it claims, and no tensor may declare
more than MAX_TENSOR_BYTES. Tensors are found in the graph's initializers, in node attributes (Constant nodes),
in sparse initializers, in subgraphs (If, Loop, Scan) and in model-local functions.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .errors import UserError
from .onnx_metadata import LENGTH_DELIMITED, VARINT, _fields, _Malformed, _varint, parse_metadata

MAX_MODEL_BYTES = 2 ** 31  # protobuf's own limit for one message
MAX_TENSOR_BYTES = 2 ** 31  # a real-time generator's largest weight is a few MB
MAX_DEPTH = 32  # nested subgraphs deeper than this are not a model anyone exported

# TensorProto.DataType -> bytes per element (strings and unknown types count as 1)
ELEMENT_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2}
# field numbers of the messages that can hold tensors
MODEL_GRAPH, MODEL_FUNCTIONS = 7, 25
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_SPARSE_INITIALIZER = 1, 5, 15
FUNCTION_NODE = 7
NODE_ATTRIBUTE = 5
ATTRIBUTE_TENSOR, ATTRIBUTE_GRAPH, ATTRIBUTE_TENSORS, ATTRIBUTE_GRAPHS = 5, 6, 10, 11
ATTRIBUTE_SPARSE, ATTRIBUTE_SPARSES = 22, 23
SPARSE_VALUES, SPARSE_INDICES = 1, 2
TENSOR_DIMS, TENSOR_TYPE, TENSOR_NAME, TENSOR_EXTERNAL, TENSOR_LOCATION = 1, 2, 8, 13, 14
EXTERNAL = 1


def read_checked_metadata(path: Path) -> dict[str, str]:
    """The metadata_props of an ONNX file that passed every check here; a UserError with the reason otherwise."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_MODEL_BYTES:
            raise UserError(f"{path}: {size / 2 ** 30:.1f} GiB, over the {MAX_MODEL_BYTES / 2 ** 30:.0f} GiB an ONNX "
                            "file can hold; not a model stylecast runs")
        data = Path(path).read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        props = parse_metadata(data)
        check_onnx_file(path, data)
    except (_Malformed, RecursionError) as error:
        raise UserError(f"{path}: not a loadable ONNX model ({error or 'nested too deep'})") from None
    return props


def check_onnx_file(path: Path, data: bytes) -> None:
    """UserError naming the first tensor that breaks the rules above; _Malformed for bytes that are not protobuf."""
    folder = Path(path).resolve().parent
    for number, wire, value in _fields(memoryview(data)):
        if wire != LENGTH_DELIMITED:
            continue
        if number == MODEL_GRAPH:
            _graph(value, path, folder, 0)
        elif number == MODEL_FUNCTIONS:
            _nodes(value, FUNCTION_NODE, path, folder, 0)


def _graph(data, path: Path, folder: Path, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise UserError(f"{path}: subgraphs nested over {MAX_DEPTH} deep; not a model stylecast runs")
    _nodes(data, GRAPH_NODE, path, folder, depth)
    for number, wire, value in _fields(data):
        if wire != LENGTH_DELIMITED:
            continue
        if number == GRAPH_INITIALIZER:
            _tensor(value, path, folder)
        elif number == GRAPH_SPARSE_INITIALIZER:
            _sparse(value, path, folder)


def _nodes(data, node_field: int, path: Path, folder: Path, depth: int) -> None:
    for number, wire, node in _fields(data):
        if number != node_field or wire != LENGTH_DELIMITED:
            continue
        for n, w, attribute in _fields(node):
            if n != NODE_ATTRIBUTE or w != LENGTH_DELIMITED:
                continue
            for a, aw, value in _fields(attribute):
                if aw != LENGTH_DELIMITED:
                    continue
                if a in (ATTRIBUTE_TENSOR, ATTRIBUTE_TENSORS):
                    _tensor(value, path, folder)
                elif a in (ATTRIBUTE_GRAPH, ATTRIBUTE_GRAPHS):
                    _graph(value, path, folder, depth + 1)
                elif a in (ATTRIBUTE_SPARSE, ATTRIBUTE_SPARSES):
                    _sparse(value, path, folder)


def _sparse(data, path: Path, folder: Path) -> None:
    for number, wire, value in _fields(data):
        if number in (SPARSE_VALUES, SPARSE_INDICES) and wire == LENGTH_DELIMITED:
            _tensor(value, path, folder)


def _tensor(data, path: Path, folder: Path) -> None:
    dims: list[int] = []
    element, name, external, location = 1, "", {}, 0
    for number, wire, value in _fields(data):
        if number == TENSOR_DIMS:
            dims.extend(_packed(value) if wire == LENGTH_DELIMITED else [value])
        elif number == TENSOR_TYPE and wire == VARINT:
            element = ELEMENT_BYTES.get(value, 1)
        elif number == TENSOR_NAME and wire == LENGTH_DELIMITED:
            name = bytes(value[:80]).decode(errors="replace")
        elif number == TENSOR_EXTERNAL and wire == LENGTH_DELIMITED:
            entry = {n: bytes(v).decode(errors="replace") for n, w, v in _fields(value) if w == LENGTH_DELIMITED}
            external[entry.get(1, "")] = entry.get(2, "")
        elif number == TENSOR_LOCATION and wire == VARINT:
            location = value
    label = f"{path}: tensor {name!r}"
    size = math.prod(dims) * element
    if any(d >= 2 ** 63 for d in dims) or size > MAX_TENSOR_BYTES:
        raise UserError(f"{label} declares shape {dims} ({size / 2 ** 30:.3g} GiB), over the limit of "
                        f"{MAX_TENSOR_BYTES / 2 ** 30:.0f} GiB per tensor")
    if location == EXTERNAL or external:
        _external(external, label, folder)


def _external(entries: dict[str, str], label: str, folder: Path) -> None:
    """External data must stay a regular file inside the model's folder, holding the bytes it claims."""
    location = entries.get("location", "")
    if not location or os.path.isabs(location) or location.startswith(("\\", "/")) or ":" in location:
        raise UserError(f"{label}: external data location {location!r} is not a relative path inside the model's "
                        "folder")
    target = (folder / location).resolve()
    if folder not in target.parents:
        raise UserError(f"{label}: external data {location!r} lies outside the model's folder {folder}")
    if not target.is_file():
        raise UserError(f"{label}: external data {location!r} is missing or not a regular file")
    try:
        offset, length = int(entries.get("offset", 0)), entries.get("length")
        end = offset + int(length) if length is not None else target.stat().st_size
    except ValueError:
        raise UserError(f"{label}: external data offset or length is not a number") from None
    if offset < 0 or end < offset or end > target.stat().st_size:
        raise UserError(f"{label}: external data {location!r} holds {target.stat().st_size} bytes, fewer than the "
                        f"{end} it claims")


def _packed(value) -> list[int]:
    out, pos = [], 0
    while pos < len(value):
        number, pos = _varint(value, pos)
        out.append(number)
    return out

