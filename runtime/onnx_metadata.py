"""An ONNX file's metadata_props, read without loading the model.

The runtime checks a model's metadata before it opens a backend. Creating an onnxruntime session only for that
loaded every weight and cost 12-40 ms per start-up (a LiteNet, a TransformerNet); the metadata sits in a few
hundred bytes of the file's top-level protobuf message, and the graph, however large, is one length-delimited
field that can be stepped over. ModelProto fields used: 1 ir_version, 14 metadata_props (key 1, value 2).
"""

from __future__ import annotations

IR_VERSION, METADATA_PROPS = 1, 14
VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5


class _Malformed(Exception):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(data: memoryview):
    """(field number, wire type, value) of each top-level field; values as views, so stepping over the graph
    copies nothing."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Malformed("field number 0")
        if wire == VARINT:
            value, pos = _varint(data, pos)
        elif wire == LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise _Malformed("field runs past the end of the file")
            value, pos = data[pos:pos + length], pos + length
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            if pos + size > len(data):
                raise _Malformed("field runs past the end of the file")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise _Malformed(f"wire type {wire}")
        yield number, wire, value


def parse_metadata(data: bytes) -> dict[str, str]:
    """metadata_props of a serialised ModelProto; _Malformed when the bytes are not one."""
    props: dict[str, str] = {}
    has_ir_version = False
    for number, wire, value in _fields(memoryview(data)):
        if number == IR_VERSION and wire == VARINT:
            has_ir_version = True
        elif number == METADATA_PROPS and wire == LENGTH_DELIMITED:
            entry = {n: v for n, w, v in _fields(value) if w == LENGTH_DELIMITED}
            try:
                props[bytes(entry.get(1, b"")).decode()] = bytes(entry.get(2, b"")).decode()
            except UnicodeDecodeError:
                raise _Malformed("metadata is not UTF-8") from None
    if not has_ir_version:
        raise _Malformed("no IR version")
    return props

