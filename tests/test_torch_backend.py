"""The torch backend interprets the exported ONNX graph: it must agree with the PyTorch model the graph came from
within the export tolerance table, for every architecture, and refuse operators it does not know by name."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")

from conftest import synthetic_photo  # noqa: E402
from stylecast.export.graph import ExportGraph  # noqa: E402
from stylecast.export.parity import TOLERANCE, psnr  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.runtime.models import read_model_metadata  # noqa: E402
from stylecast.runtime.torch_backend import TorchBackend  # noqa: E402
from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402

# The exports other test files make too (the session fixture exports each once): every architecture, both
# layouts, and fp16 with its fp32 instance norm casts.
CASES = [("transformer", "bgr8", "fp32"), ("lite", "bgr8", "fp32"), ("texture", "bgr8", "fp32"),
         ("lite", "rgb_float", "fp32"), ("transformer", "bgr8", "fp16")]


def reference_and_input(ckpt, layout, height=37, width=53):
    image = synthetic_photo(height, width)
    graph = ExportGraph(model_from_checkpoint(load_checkpoint(ckpt)), layout).eval()
    if layout == "bgr8":
        batch = image[None]
    else:
        batch = np.ascontiguousarray((image[:, :, ::-1].transpose(2, 0, 1)[None] / 255.0).astype(np.float32))
    with torch.no_grad():
        expected = graph(torch.from_numpy(batch)).numpy()
    return batch, expected


@pytest.mark.parametrize("arch,layout,precision", CASES)
def test_torch_backend_matches_the_pytorch_model(exported_model, arch, layout, precision):
    ckpt, path, _ = exported_model(arch, layout, precision)
    backend = TorchBackend(path, read_model_metadata(path), device="cpu")
    batch, expected = reference_and_input(ckpt, layout)
    actual = backend.run(batch)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    tolerance = TOLERANCE[(precision, layout)]
    if "max_abs" in tolerance:
        assert np.abs(actual.astype(np.float64) - expected.astype(np.float64)).max() <= tolerance["max_abs"]
    else:
        assert psnr(actual.astype(np.float64) / 255.0, expected.astype(np.float64) / 255.0) >= tolerance["min_psnr"]


def test_unknown_operators_are_refused_by_name(tmp_path):
    from onnx import TensorProto, helper

    from stylecast.runtime.model_metadata import ModelMetadata

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
    node = helper.make_node("Hardmax", ["x"], ["y"])
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), opset_imports=[helper.make_opsetid("", 18)])
    onnx.save(model, tmp_path / "odd.onnx")
    meta = ModelMetadata.__new__(ModelMetadata)
    meta.layout = "rgb_float"  # what this graph's float NCHW input and output are
    with pytest.raises(UserError, match="cannot run operator\\(s\\) Hardmax"):
        TorchBackend(tmp_path / "odd.onnx", meta)


def test_stylize_cli_runs_the_bundled_model_on_the_torch_backend(tmp_path, capsys):
    """Same file, two unrelated implementations: torch and onnxruntime agree within one grey level."""
    import cv2

    from stylecast.runtime.cli import main
    from stylecast.runtime.stylizer import Stylizer

    image = synthetic_photo(64, 96)
    cv2.imwrite(str(tmp_path / "in.png"), image)
    assert main(["stylize", str(tmp_path / "in.png"), "--backend", "torch", "--device", "cpu",
                 "--out", str(tmp_path / "out.png"), "--json", "--quiet"]) == 0
    assert '"backend": "torch (cpu)"' in capsys.readouterr().out
    by_torch = cv2.imread(str(tmp_path / "out.png")).astype(int)
    by_ort = Stylizer(backend="onnxruntime", threads=1).stylize(image).astype(int)
    assert np.abs(by_torch - by_ort).max() <= 1
    assert main(["stylize", str(tmp_path / "in.png"), "--backend", "torch", "--device", "cuda"]) == (
        0 if torch.cuda.is_available() else 2)
