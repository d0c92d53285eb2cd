"""Export: ONNX parity with PyTorch for every architecture, metadata, fp16/int8, and TensorRT-RTX engines."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")

from conftest import synthetic_photo  # noqa: E402
from helpers import make_checkpoint  # noqa: E402
from stylecast.export import parity as parity_mod  # noqa: E402
from stylecast.export.graph import ExportGraph  # noqa: E402
from stylecast.export.onnx_export import export_checkpoint  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.runtime.models import read_model_metadata  # noqa: E402
from stylecast.training.checkpoint import file_sha256, load_checkpoint, model_from_checkpoint  # noqa: E402

ARCHS = ("transformer", "lite", "texture", "unet", "pix2pixhd", "resnet")


@pytest.fixture(scope="module")
def exported(exported_model):
    """Each architecture exported once (fp32, bgr8): {arch: (checkpoint, onnx, parity report)}."""
    return {arch: exported_model(arch) for arch in ARCHS}


@pytest.mark.parametrize("arch", ARCHS)
def test_onnx_matches_pytorch_within_one_grey_level(exported, arch):
    ckpt, onnx_path, report = exported[arch]
    assert report["passed"] and report["worst"]["max_abs"] <= 1.0
    assert [c["input"] for c in report["cases"]] == ["photo 256x256", "random 1x64x64", "random 1x97x131",
                                                     "random 2x128x96"]
    # Independently: another odd shape, straight through onnxruntime.
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    image = synthetic_photo(45, 77)[None]
    actual = session.run(None, {session.get_inputs()[0].name: image})[0]
    with torch.no_grad():
        expected = ExportGraph(model_from_checkpoint(load_checkpoint(ckpt))).eval()(torch.from_numpy(image)).numpy()
    assert actual.shape == (1, 45, 77, 3) and actual.dtype == np.uint8
    assert np.abs(actual.astype(int) - expected.astype(int)).max() <= 1
    assert actual.std() > 1  # not a flat image


@pytest.mark.parametrize("arch", ARCHS)
def test_metadata_round_trip(exported, arch):
    ckpt, onnx_path, report = exported[arch]
    meta = read_model_metadata(onnx_path)
    data = load_checkpoint(ckpt)
    assert (meta.arch, meta.model_config, meta.style_name) == (arch, data["model_config"], f"test-{arch}")
    assert meta.layout == "bgr8" and meta.precision == "fp32" and meta.train_size == 64
    assert meta.stride == {"transformer": 4, "lite": 8, "texture": 4, "unet": 8, "pix2pixhd": 8, "resnet": 4}[arch]
    assert meta.checkpoint_sha256 == file_sha256(ckpt)
    assert meta.parity["worst"] == report["worst"] and meta.macs_per_pixel > 0


def test_float_layout_within_1e_4(exported_model):
    _, path, report = exported_model("lite", "rgb_float")
    assert report["passed"] and report["worst"]["max_abs"] <= 1e-4
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(float)"


def test_fp16_psnr_at_least_40_db(exported_model):
    _, path, report = exported_model("transformer", "bgr8", "fp16")
    assert report["worst"]["psnr"] >= 40.0
    assert read_model_metadata(path).precision == "fp16"


def test_int8_runs_and_reports_psnr(tmp_path):
    import cv2

    calibration = tmp_path / "calibration"
    calibration.mkdir()
    for seed in range(3):
        cv2.imwrite(str(calibration / f"{seed}.png"), synthetic_photo(64, 80, seed=seed))
    ckpt = make_checkpoint(tmp_path / "l.pt", "lite")
    report = export_checkpoint(ckpt, tmp_path / "l8.onnx", precision="int8", calibration=calibration)
    assert report["precision"] == "int8" and np.isfinite(report["worst"]["psnr"])
    assert report["speed_ms"]["fp32"] > 0 and report["speed_ms"]["int8"] > 0
    assert report["worst"]["psnr"] >= parity_mod.TOLERANCE[("int8", "bgr8")]["min_psnr"]
    import onnx

    ops = {node.op_type for node in onnx.load(str(tmp_path / "l8.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops


def test_parity_failure_is_loud_and_writes_nothing(tmp_path, monkeypatch):
    ckpt = make_checkpoint(tmp_path / "l.pt", "lite")
    monkeypatch.setitem(parity_mod.TOLERANCE, ("fp32", "bgr8"), {"max_abs": -1.0})
    with pytest.raises(UserError, match="parity check failed.*no file written"):
        export_checkpoint(ckpt, tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()


def test_onnx_without_stylecast_metadata_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), tmp_path / "plain.onnx")
    with pytest.raises(UserError, match="not a stylecast model"):
        read_model_metadata(tmp_path / "plain.onnx")


def test_export_cli(capsys, tmp_path):
    ckpt = make_checkpoint(tmp_path / "l.pt", "lite")
    assert main(["export", str(ckpt), "--out", str(tmp_path / "m.onnx"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["parity"]["passed"] and (tmp_path / "m.onnx").is_file()
    assert main(["export", str(ckpt), "--out", str(tmp_path / "m.txt")]) == 2
    assert main(["export", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.onnx")]) == 2
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    assert main(["export", str(tmp_path / "junk.pt"), "--out", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err
    assert "no such checkpoint" in err and "not a loadable stylecast checkpoint" in err
    assert not (tmp_path / "x.onnx").exists()


def test_half_weight_checkpoint_exports_half_the_file_with_the_same_outputs(tmp_path):
    from stylecast.training.checkpoint import slim_checkpoint

    config = {"width": 16, "residual_blocks": 2}  # big enough that the weights dominate the file
    full = make_checkpoint(tmp_path / "full.pt", "transformer", config)
    half = slim_checkpoint(make_checkpoint(tmp_path / "half.pt", "transformer", config), half=True)
    reports = {name: export_checkpoint(tmp_path / f"{name}.pt", tmp_path / f"{name}.onnx") for name in ("full", "half")}
    assert reports["half"]["passed"] and reports["half"]["worst"]["max_abs"] <= 1.0
    onnx = pytest.importorskip("onnx")
    proto = onnx.load(str(tmp_path / "half.onnx"))
    stored_half = [t for t in proto.graph.initializer if t.data_type == onnx.TensorProto.FLOAT16]
    casts = [n for n in proto.graph.node if n.op_type == "Cast" and n.name.endswith("_to_fp32")]
    assert len(stored_half) == len(casts) >= 8  # every conv weight
    assert (tmp_path / "half.onnx").stat().st_size < 0.6 * (tmp_path / "full.onnx").stat().st_size
    assert read_model_metadata(tmp_path / "half.onnx").precision == "fp32"  # it still computes in float32
    image = synthetic_photo(37, 53)[None]
    outputs = [ort.InferenceSession(str(tmp_path / f"{name}.onnx"), providers=["CPUExecutionProvider"])
               .run(None, {"image": image})[0].astype(int) for name in ("full", "half")]
    difference = np.abs(outputs[0] - outputs[1])  # only the weights' rounding apart (random weights amplify it)
    assert difference.max() <= 4 and difference.mean() < 0.2
    assert full.is_file() and half.is_file()


# ---- TensorRT-RTX: builds ahead of time on this CPU-only machine ----

SHAPES = [(64, 64), (96, 128), (256, 256)]


@pytest.fixture(scope="module")
def trt_rtx():
    return pytest.importorskip("tensorrt_rtx", reason="tensorrt-rtx-cu13 is not installed (pip install "
                                                      "'stylecast[trt]')")


@pytest.mark.parametrize("arch", ARCHS)
def test_tensorrt_rtx_engine_builds_from_every_architecture(exported, trt_rtx, tmp_path, arch):
    from stylecast.export.tensorrt_build import build_engine

    _, onnx_path, _ = exported[arch]
    result = build_engine(onnx_path, SHAPES, out=tmp_path / f"{arch}.plan", trt_choice="tensorrt_rtx",
                          cache_dir=tmp_path / "cache")
    assert (tmp_path / f"{arch}.plan").stat().st_size > 100_000 and not result["cached"]
    sidecar = json.loads((tmp_path / f"{arch}.plan.json").read_text())
    profile = sidecar["profile"]
    assert profile["min"] == [64, 64] and profile["max"] == [256, 256] and profile["opt"] == [96, 128]
    assert all(profile["min"][0] <= h <= profile["max"][0] and profile["min"][1] <= w <= profile["max"][1]
               for h, w in SHAPES)
    assert sidecar["trt_module"] == "tensorrt_rtx" and sidecar["trt_version"] == trt_rtx.__version__
    assert sidecar["onnx_sha256"] == file_sha256(onnx_path) and sidecar["layers"] > 10
    again = build_engine(onnx_path, SHAPES, out=tmp_path / f"{arch}.plan", trt_choice="tensorrt_rtx",
                         cache_dir=tmp_path / "cache")
    assert again["cached"]


def test_mismatched_engine_is_refused_with_rebuild_hint(exported, trt_rtx, tmp_path):
    from stylecast.export.tensorrt_build import build_engine
    from stylecast.runtime.engine_sidecar import check_engine

    _, onnx_path, _ = exported["lite"]
    result = build_engine(onnx_path, SHAPES, out=tmp_path / "e.plan", trt_choice="tensorrt_rtx",
                          cache_dir=tmp_path / "cache")
    ok = {"onnx_sha256": result["onnx_sha256"], "trt_module": "tensorrt_rtx", "trt_version": trt_rtx.__version__,
          "precision": "fp32", "shape": (100, 100), "compute_capability": "sm89"}
    assert check_engine(tmp_path / "e.plan", ok)["key"] == result["key"]
    for change, reason in [({"trt_version": "0.0.1"}, "trt_version"), ({"onnx_sha256": "0" * 64}, "onnx_sha256"),
                           ({"shape": (1080, 1920)}, "outside the engine's profile"),
                           ({"precision": "fp16"}, "precision")]:
        with pytest.raises(UserError, match=f"refusing a mismatched engine.*{reason}.*rebuild it with "
                                            f"'stylecast build-engine"):
            check_engine(tmp_path / "e.plan", {**ok, **change})


def test_parser_error_names_node_and_op(trt_rtx, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from stylecast.export.tensorrt_build import build_engine
    from stylecast.runtime.model_metadata import ModelMetadata

    node = helper.make_node("NoSuchOp", ["image"], ["stylised"], name="mystery_node", domain="custom.ops")
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("stylised", TensorProto.FLOAT, [1, 3, 8, 8])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18), helper.make_opsetid("custom.ops", 1)])
    meta = ModelMetadata(arch="lite", model_config={}, style_name="x", style_images=[], train_size=64,
                         layout="rgb_float", stride=8, macs_per_pixel=1.0, checkpoint_sha256="0", precision="fp32",
                         stylecast_version="0")
    for key, value in meta.to_props().items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, tmp_path / "odd.onnx")
    with pytest.raises(UserError, match="cannot parse node 'mystery_node' \\(op NoSuchOp\\)"):
        build_engine(tmp_path / "odd.onnx", SHAPES, out=tmp_path / "odd.plan", trt_choice="tensorrt_rtx",
                     cache_dir=tmp_path / "cache")
    assert not (tmp_path / "odd.plan").exists()


def test_build_engine_cli(exported, trt_rtx, tmp_path, capsys):
    _, onnx_path, _ = exported["transformer"]
    out = tmp_path / "t.plan"
    assert main(["build-engine", str(onnx_path), "--shapes", "64x64,128x128", "--out", str(out),
                 "--trt", "tensorrt_rtx", "--cache-dir", str(tmp_path / "c"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["max"] == [128, 128]
    assert main(["build-engine", str(onnx_path), "--shapes", "64by64", "--trt", "tensorrt_rtx"]) == 2
    assert "HxW" in capsys.readouterr().err


def test_engine_on_a_machine_without_gpu_is_a_clear_error(exported, trt_rtx, tmp_path, capsys):
    from stylecast.runtime.backends_cli import cuda_devices

    pytest.importorskip("cuda.bindings", reason="cuda-python is not installed (pip install 'stylecast[trt]')")
    if cuda_devices():
        pytest.skip("this machine has a GPU")
    import cv2

    from stylecast.export.tensorrt_build import build_engine

    _, onnx_path, _ = exported["lite"]
    build_engine(onnx_path, SHAPES, out=tmp_path / "e.plan", trt_choice="tensorrt_rtx", cache_dir=tmp_path / "c")
    cv2.imwrite(str(tmp_path / "p.png"), synthetic_photo(64, 64))
    assert main(["stylize", str(tmp_path / "p.png"), "--model", str(tmp_path / "e.plan"), "--out",
                 str(tmp_path / "o.png"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs an NVIDIA GPU" in err and err.count("\n") == 1 and not (tmp_path / "o.png").exists()
    assert main(["stylize", str(tmp_path / "p.png"), "--model", str(tmp_path / "e.plan"), "--backend",
                 "onnxruntime", "--quiet"]) == 2
    assert "only with --backend tensorrt" in capsys.readouterr().err


def test_every_bundled_model_builds_a_tensorrt_rtx_engine(trt_rtx, tmp_path):
    from stylecast.export.tensorrt_build import build_engine
    from stylecast.runtime.models import MODELS_DIR, bundled_names

    names = bundled_names()
    if not names:
        pytest.skip("no bundled models in runtime/data/models")
    for name in names:
        result = build_engine(MODELS_DIR / f"{name}.onnx", SHAPES, out=tmp_path / f"{name}.plan",
                              trt_choice="tensorrt_rtx", cache_dir=tmp_path / "cache")
        assert result["layers"] > 10 and (tmp_path / f"{name}.plan").stat().st_size > 100_000
        assert read_model_metadata(MODELS_DIR / f"{name}.onnx").parity["passed"]
