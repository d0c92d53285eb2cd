"""`stylecast batch` (local and on a local Ray cluster) and `stylecast export-triton`: outputs equal `stylize`'s,
re-runs skip finished files, a corrupt file is reported while the rest finish; Triton configurations parse against
Triton's schema and match the model's I/O."""

import json

import cv2
import numpy as np
import pytest

from conftest import synthetic_photo
from stylecast.runtime.cli import main
from test_runtime import model_path  # noqa: F401  (module-scoped fixture)
from test_video import write_clip


@pytest.fixture
def library(tmp_path):
    folder = tmp_path / "library"
    (folder / "trip").mkdir(parents=True)
    cv2.imwrite(str(folder / "a.png"), synthetic_photo(40, 56, seed=1))
    cv2.imwrite(str(folder / "trip" / "b.jpg"), synthetic_photo(36, 48, seed=2))
    write_clip(folder / "trip" / "clip.avi", frames=4, size=(32, 48))
    (folder / "broken.png").write_text("not an image")
    return folder


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_batch_mirrors_the_tree_equals_stylize_and_resumes(capsys, tmp_path, library, model_path, engine):  # noqa: F811
    if engine == "ray":
        pytest.importorskip("ray", reason="ray is not installed (pip install 'stylecast[ray]')")
    out = tmp_path / "styled"
    argv = ["batch", str(library), "--out", str(out), "--model", str(model_path), "--engine", engine, "--json",
            "--concurrency", "1"]
    assert main(argv) == 2  # the broken file fails; the rest are written
    report = json.loads(capsys.readouterr().out)
    assert (report["done"], report["skipped"]) == (3, 0)
    assert [f["input"] for f in report["failed"]] == [str(library / "broken.png")]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "a.png", "trip/b.jpg", "trip/clip.avi"]
    assert main(["stylize", str(library / "a.png"), "--model", str(model_path), "--out", str(tmp_path / "a.png"),
                 "--quiet"]) == 0
    assert np.array_equal(cv2.imread(str(out / "a.png")), cv2.imread(str(tmp_path / "a.png")))
    assert main(argv) == 2  # the re-run skips what is done and still reports the broken file
    again = json.loads(capsys.readouterr().out)
    assert (again["done"], again["skipped"], len(again["failed"])) == (0, 3, 1)


def test_export_triton_parses_against_the_schema_and_matches_the_model(capsys, tmp_path, exported_model):
    pytest.importorskip("tritonclient.grpc", reason="tritonclient is not installed (pip install "
                        "'stylecast[triton]')")
    from tritonclient.grpc import model_config_pb2

    from stylecast.export.triton import check_model, parse_config

    onnx_file = exported_model("lite")[1]
    repo = tmp_path / "repo"
    assert main(["export-triton", str(onnx_file), "--out", str(repo), "--max-batch-size", "4", "--instances", "2",
                 "--trt-accelerator", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)[0]
    config = parse_config(repo / "tiny-lite" / "config.pbtxt")
    assert entry["model"] == config.name == "tiny-lite" and config.platform == "onnxruntime_onnx"
    assert config.max_batch_size == 4 and config.instance_group[0].count == 2
    assert config.HasField("dynamic_batching")
    assert config.optimization.execution_accelerators.gpu_execution_accelerator[0].name == "tensorrt"
    assert [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in config.input] == [
        ("image", "TYPE_UINT8", [-1, -1, 3])]
    assert (repo / "tiny-lite" / "1" / "model.onnx").read_bytes() == onnx_file.read_bytes()
    check_model(repo / "tiny-lite", onnx_file)
    # a config that disagrees with its model is caught
    (repo / "tiny-lite" / "config.pbtxt").write_text(
        (repo / "tiny-lite" / "config.pbtxt").read_text().replace("TYPE_UINT8", "TYPE_FP32", 1))
    with pytest.raises(Exception, match="differ from the model"):
        check_model(repo / "tiny-lite", onnx_file)
    # exporting again over it is refused; an engine of TensorRT-RTX or an .onnx with --platform tensorrt too
    assert main(["export-triton", str(onnx_file), "--out", str(repo)]) == 2
    assert main(["export-triton", str(onnx_file), "--out", str(tmp_path / "r2"), "--platform", "tensorrt"]) == 2
    assert "takes a .plan engine" in capsys.readouterr().err
