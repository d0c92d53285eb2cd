"""Model files that point a backend at data outside their folder, or declare huge tensors, are refused before any
backend loads them (runtime/onnx_file_check.py), and a real exported model passes."""

import numpy as np
import pytest

from stylecast.runtime.errors import UserError
from stylecast.runtime.onnx_file_check import MAX_TENSOR_BYTES, read_checked_metadata

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402


def _model(tensor, subgraph: bool = False):
    """y = x + w, the weight in `tensor`; with `subgraph`, w sits in a Constant node inside an If's branch."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])
    if subgraph:
        branch = helper.make_graph([helper.make_node("Constant", [], ["w"], value=tensor)], "b", [],
                                   [helper.make_tensor_value_info("w", TensorProto.FLOAT, [3])])
        nodes = [helper.make_node("Constant", [], ["c"], value=helper.make_tensor("c", TensorProto.BOOL, [], [1])),
                 helper.make_node("If", ["c"], ["w"], then_branch=branch, else_branch=branch),
                 helper.make_node("Add", ["x", "w"], ["y"])]
        graph = helper.make_graph(nodes, "g", [x], [y])
    else:
        graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", [x], [y], [tensor])
    model = helper.make_model(graph)
    helper.set_model_props(model, {"stylecast.format": "stylecast-onnx"})
    return model.SerializeToString()


def _external(location: str, dims=(3,), **entries) -> "onnx.TensorProto":
    tensor = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=list(dims), data_location=TensorProto.EXTERNAL)
    for key, value in {"location": location, **entries}.items():
        tensor.external_data.add(key=key, value=str(value))
    return tensor


@pytest.fixture
def folders(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    (tmp_path / "secret.bin").write_bytes(np.arange(3, dtype=np.float32).tobytes())
    (models / "weights.bin").write_bytes(np.arange(3, dtype=np.float32).tobytes())
    (models / "link.bin").symlink_to(tmp_path / "secret.bin")
    return models


@pytest.mark.parametrize("tensor, reason", [
    (_external("../secret.bin"), "outside the model's folder"),
    (_external("link.bin"), "outside the model's folder"),  # a link inside that leads out
    (_external("/etc/passwd"), "not a relative path"),
    (_external("/dev/zero"), "not a relative path"),
    (_external("missing.bin"), "missing or not a regular file"),
    (_external("weights.bin", offset=8, length=12), "fewer than the 20 it claims"),
    (_external("weights.bin", length="x"), "not a number"),
    (TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[100000, 100000, 100]), "over the limit"),
    (TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[-1, 3]), "over the limit"),
])
@pytest.mark.parametrize("subgraph", [False, True])
def test_hostile_tensors_are_refused(folders, tensor, reason, subgraph):
    path = folders / "model.onnx"
    path.write_bytes(_model(tensor, subgraph))
    with pytest.raises(UserError, match=reason):
        read_checked_metadata(path)


def test_data_inside_the_folder_passes(folders):
    path = folders / "model.onnx"
    path.write_bytes(_model(_external("weights.bin", offset=0, length=12)))
    assert read_checked_metadata(path) == {"stylecast.format": "stylecast-onnx"}
    assert MAX_TENSOR_BYTES >= 2 ** 30


def test_an_exported_model_passes(exported_model):
    path = exported_model("lite")[1]
    assert read_checked_metadata(path)["stylecast.format"] == "stylecast-onnx"
