"""The runtime's own reader of ONNX metadata (runtime/onnx_metadata.py) against the onnx package's parser."""

import pytest

from stylecast.runtime.errors import UserError
from stylecast.runtime.onnx_file_check import read_checked_metadata
from stylecast.runtime.onnx_metadata import parse_metadata

onnx = pytest.importorskip("onnx")


def test_metadata_equals_what_onnx_parses(exported_model):
    path = exported_model("transformer")[1]
    expected = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert len(expected) > 10 and read_checked_metadata(path) == expected


def test_unicode_and_empty_values_survive():
    graph = onnx.helper.make_graph([], "g", [], [])
    model = onnx.helper.make_model(graph)
    onnx.helper.set_model_props(model, {"style": "Komposition VII — Кандинский", "empty": ""})
    assert parse_metadata(model.SerializeToString()) == {"style": "Komposition VII — Кандинский", "empty": ""}


def test_truncated_and_foreign_files_are_refused(tmp_path, exported_model):
    data = exported_model("lite")[1].read_bytes()
    for name, blob in [("cut.onnx", data[:len(data) // 2]), ("text.onnx", b"not onnx at all"),
                       ("empty.onnx", b"")]:
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(UserError, match="not a loadable ONNX model"):
            read_checked_metadata(tmp_path / name)
