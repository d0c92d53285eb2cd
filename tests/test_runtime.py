"""The lean runtime: Stylizer, guided upsampling, `stylecast stylize` and `models`, bad inputs, and no torch."""

import argparse
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

from conftest import synthetic_photo  # noqa: E402
from stylecast.runtime import models as models_mod  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.runtime.guided import guided_upsample  # noqa: E402
from stylecast.runtime.stylizer import Stylizer, StylizeOptions  # noqa: E402


@pytest.fixture(scope="module")
def model_path(exported_model):
    """A small exported LiteNet (needs torch and onnx to make; the runtime itself uses neither)."""
    return exported_model("lite")[1]


def direct(model_path, image):
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: image[None]})[0][0]


@pytest.mark.parametrize("size", [(37, 53), (64, 64), (5, 300)])
def test_any_size_matches_the_model_run_directly(model_path, size):
    image = synthetic_photo(*size)
    out = Stylizer(model=str(model_path), backend="onnxruntime").stylize(image)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out, direct(model_path, image))


def test_strength_zero_returns_input_and_half_blends(model_path):
    image = synthetic_photo(40, 48)
    assert np.array_equal(Stylizer(model=str(model_path), options=StylizeOptions(strength=0.0)).stylize(image), image)
    full = direct(model_path, image).astype(np.float32)
    half = Stylizer(model=str(model_path), options=StylizeOptions(strength=0.5)).stylize(image).astype(np.float32)
    assert np.abs(half - (0.5 * full + 0.5 * image)).max() <= 1.0


def test_preserve_color_keeps_input_chrominance(model_path):
    from stylecast.runtime import color

    image = synthetic_photo(48, 48)
    out = Stylizer(model=str(model_path), options=StylizeOptions(preserve_color=True)).stylize(image)
    iq_in = color.bgr_to_yiq(image.astype(np.float32) / 255)[..., 1:]
    iq_out = color.bgr_to_yiq(out.astype(np.float32) / 255)[..., 1:]
    # Equal up to 8-bit rounding, except where the new luminance pushes a saturated colour out of gamut (clipped).
    assert np.median(np.abs(iq_in - iq_out)) < 0.005


def test_guided_upsampling_restores_edges_better_than_bilinear():
    # Flat regions with sharp edges, where plain upsampling blurs and guided upsampling should not.
    full = np.full((128, 160, 3), 40, np.uint8)
    cv2.rectangle(full, (20, 15), (90, 100), (30, 160, 220), -1)
    cv2.circle(full, (115, 70), 33, (200, 60, 40), -1)
    cv2.line(full, (0, 127), (159, 0), (250, 250, 250), 3)
    low = cv2.resize(full, (80, 64), interpolation=cv2.INTER_AREA)
    guided = guided_upsample(low, low, full)
    bilinear = cv2.resize(low, (160, 128), interpolation=cv2.INTER_LINEAR)
    error = lambda x: np.abs(x.astype(float) - full.astype(float)).mean()  # noqa: E731
    assert error(guided) < 0.5 * error(bilinear)  # measured: 1.0 against 4.3 grey levels


def test_guided_upsampling_matches_the_textbook_formula():
    """The runtime's version folds the 0..255 scaling into the coefficients and uses OpenCV calls; it must equal
    the guided filter written out plainly (He et al.: a = cov(I, p) / (var(I) + eps), b = mean(p) - a mean(I),
    both box-averaged, upsampled and applied to the full-resolution guide) to 8-bit rounding."""
    rng = np.random.default_rng(3)
    full = cv2.GaussianBlur(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8), (5, 5), 2)
    low = cv2.resize(full, (45, 30), interpolation=cv2.INTER_AREA)
    stylised = cv2.GaussianBlur(rng.integers(0, 256, (30, 45, 3), dtype=np.uint8), (3, 3), 1)
    box = lambda x: cv2.boxFilter(x, -1, (3, 3), borderType=cv2.BORDER_REFLECT)  # noqa: E731
    guide = cv2.cvtColor(low, cv2.COLOR_BGR2GRAY).astype(np.float64) / 255
    p = stylised.astype(np.float64) / 255
    mean_i, var_i = box(guide)[..., None], (box(guide * guide) - box(guide) ** 2)[..., None]
    a = (box(p * guide[..., None]) - mean_i * box(p)) / (var_i + 1e-3)
    b = box(p) - a * mean_i
    up = lambda x: cv2.resize(box(x), (90, 60), interpolation=cv2.INTER_LINEAR)  # noqa: E731
    expected = up(a) * cv2.cvtColor(full, cv2.COLOR_BGR2GRAY)[..., None] / 255 + up(b)
    got = guided_upsample(stylised, low, full).astype(np.float64)
    assert np.abs(got - np.clip(expected * 255, 0, 255)).max() <= 1.0


def test_scale_runs_at_low_resolution_and_returns_full_size(model_path):
    image = synthetic_photo(96, 128)
    stylizer = Stylizer(model=str(model_path), options=StylizeOptions(scale=0.5))
    out = stylizer.stylize(image)
    assert out.shape == image.shape and stylizer.times.inference > 0


def test_frame_filter_runs_at_the_networks_resolution_before_upsampling(model_path):
    image = synthetic_photo(96, 128)
    stylizer = Stylizer(model=str(model_path), options=StylizeOptions(scale=0.5))
    seen = []

    def grey(network_input, network_output):
        seen.append((network_input.shape, network_output.shape))
        return np.full_like(network_output, 100)

    pending = stylizer.start(image)
    out = stylizer.finish(pending, grey)
    assert seen == [((48, 64, 3), (48, 64, 3))]
    np.testing.assert_array_equal(out, guided_upsample(np.full((48, 64, 3), 100, np.uint8), pending.net_in, image))
    assert pending.times.stabilize > 0 and pending.times.total == pytest.approx(
        pending.times.preprocess + pending.times.inference + pending.times.stabilize + pending.times.postprocess)


def test_stream_and_stage_times(model_path):
    stylizer = Stylizer(model=str(model_path))
    frames = [synthetic_photo(32, 32, seed=s) for s in range(3)]
    outs = list(stylizer.stream(iter(frames)))
    assert len(outs) == 3 and stylizer.times.total >= stylizer.times.inference > 0


def test_stream_with_a_stabilizer_filters_the_per_frame_outputs(model_path):
    from stylecast.runtime import Stabilizer

    photo = synthetic_photo(48, 64)
    frames = [np.roll(photo, 2 * t, axis=1) for t in range(4)]  # a pan: the stabiliser blends along it
    stylizer = Stylizer(model=str(model_path))
    expected_filter = Stabilizer()
    macs = stylizer.model_file.meta.macs_per_pixel  # the stylizer tells the stabiliser, which sets the flow by it
    expected = [expected_filter(f, stylizer.stylize(f), macs) for f in frames]
    outs = list(stylizer.stream(frames, Stabilizer()))  # tracked beside the network, blended in finish
    assert all(np.array_equal(a, b) for a, b in zip(outs, expected))
    assert not np.array_equal(outs[2], stylizer.stylize(frames[2]))  # it did blend
    pending = stylizer.start(frames[0], Stabilizer())
    times = pending.times
    assert pending.motion is not None and times.track > 0 and times.stabilize >= 0
    assert times.total == times.preprocess + times.inference + times.stabilize + times.postprocess  # not track


def test_bad_options_and_frames(model_path):
    with pytest.raises(UserError, match="strength"):
        StylizeOptions(strength=1.5)
    with pytest.raises(UserError, match="HxWx3 uint8"):
        Stylizer(model=str(model_path)).stylize(np.zeros((4, 4), np.float32))
    with pytest.raises(UserError, match="auto, onnxruntime, tensorrt"):
        Stylizer(model=str(model_path), backend="openvino")
    with pytest.raises(UserError, match="build an engine first"):
        Stylizer(model=str(model_path), backend="tensorrt")


def test_stylize_cli_file_folder_stdin_json(capsys, tmp_path, model_path, monkeypatch):
    photo = tmp_path / "in" / "a.png"
    (tmp_path / "in" / "sub").mkdir(parents=True)
    cv2.imwrite(str(photo), synthetic_photo(33, 47))
    cv2.imwrite(str(tmp_path / "in" / "sub" / "b.jpg"), synthetic_photo(20, 24))
    assert main(["stylize", str(photo), "--model", str(model_path), "--out", str(tmp_path / "one.png"),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["output"].endswith("one.png") and (report["width"], report["height"]) == (47, 33)
    assert report["backend"] == "onnxruntime (cpu)" and report["seconds"] > 0
    assert main(["stylize", str(tmp_path / "in"), "--model", str(model_path), "--out", str(tmp_path / "outdir"),
                 "--quiet"]) == 0
    assert (tmp_path / "outdir" / "a.png").is_file() and (tmp_path / "outdir" / "sub" / "b.jpg").is_file()
    before = (tmp_path / "outdir" / "a.png").stat().st_mtime_ns
    assert main(["stylize", str(tmp_path / "in"), "--model", str(model_path), "--out", str(tmp_path / "outdir"),
                 "--quiet", "--skip-existing", "--json"]) == 0
    assert (tmp_path / "outdir" / "a.png").stat().st_mtime_ns == before and capsys.readouterr().out == ""
    # stdin -> stdout, through a subprocess so the byte streams are real.
    result = subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", "stylize", "-", "--model",
                             str(model_path), "--quiet"], input=photo.read_bytes(), capture_output=True, check=True)
    decoded = cv2.imdecode(np.frombuffer(result.stdout, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (33, 47, 3)


@pytest.mark.parametrize("problem, message", [
    ("missing", "no such file"), ("text", "not an image"), ("model_text", "not a loadable ONNX model"),
    ("model_plain", "not a stylecast model"), ("model_name", "unknown model 'nope'"),
    ("model_bad_graph", "not a loadable ONNX model"),
])
def test_stylize_bad_inputs_exit_2_with_one_line_and_no_output(capsys, tmp_path, model_path, problem, message):
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), synthetic_photo(16, 16))
    model, source = str(model_path), str(photo)
    if problem == "missing":
        source = str(tmp_path / "gone.png")
    elif problem == "text":
        (tmp_path / "t.png").write_text("hello")
        source = str(tmp_path / "t.png")
    elif problem == "model_text":
        (tmp_path / "m.onnx").write_text("not onnx")
        model = str(tmp_path / "m.onnx")
    elif problem == "model_plain":
        onnx = pytest.importorskip("onnx")
        from onnx import TensorProto, helper

        graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                                  [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 2, 2, 3])],
                                  [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 2, 2, 3])])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9),
                  tmp_path / "plain.onnx")
        model = str(tmp_path / "plain.onnx")
    elif problem == "model_bad_graph":  # stylecast's metadata, but a graph onnxruntime refuses
        onnx = pytest.importorskip("onnx")
        proto = onnx.load(str(model_path))
        proto.graph.node[0].op_type = "NoSuchOperator"
        onnx.save(proto, tmp_path / "bad.onnx")
        model = str(tmp_path / "bad.onnx")
    else:
        model = "nope"
    out = tmp_path / "result.png"
    assert main(["stylize", source, "--model", model, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_models_lists_bundled_models(capsys, tmp_path, model_path, monkeypatch):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "tiny-lite.onnx").write_bytes(model_path.read_bytes())
    monkeypatch.setattr(models_mod, "MODELS_DIR", bundle)
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"name": "tiny-lite", "task": "style", "method": "perceptual", "arch": "lite",
                     "macs_per_pixel": rows[0]["macs_per_pixel"],
                     "precision": "fp32", "style": "test-lite", "layout": "bgr8", "default": False}]
    assert rows[0]["macs_per_pixel"] > 0
    out = Stylizer(model="tiny-lite").stylize(synthetic_photo(16, 16))
    assert out.shape == (16, 16, 3)


def test_runtime_never_imports_torch(model_path, tmp_path):
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), synthetic_photo(24, 24))
    code = (f"import sys, cv2\nfrom stylecast.runtime import Stylizer\n"
            f"out = Stylizer(model={str(model_path)!r}).stylize(cv2.imread({str(photo)!r}))\n"
            f"from stylecast.runtime.cli import main\n"
            f"main(['stylize', {str(photo)!r}, '--model', {str(model_path)!r}, '--out', {str(tmp_path / 'o.png')!r},"
            f" '--quiet'])\nmain(['backends'])\n"
            f"print(out.shape, 'torch' in sys.modules, 'tensorrt_rtx' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "(24, 24, 3) False False"


def test_backends_lists_what_runs_here(capsys):
    import importlib.util

    import onnxruntime as ort

    from stylecast.runtime.backends_cli import cuda_devices

    assert main(["backends", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {row["backend"]: row for row in report["backends"]}
    assert rows["onnxruntime"]["providers"] == ort.get_available_providers()
    assert ("cuda" in rows["onnxruntime"]["devices"]) == ("CUDAExecutionProvider" in ort.get_available_providers())
    for module in ("tensorrt", "tensorrt_rtx"):
        row = rows[f"tensorrt ({module})"]
        assert row["installed"] == (importlib.util.find_spec(module) is not None)
        runs_engines = row["installed"] and importlib.util.find_spec("cuda.bindings") is not None
        assert (row["install"] is None) == runs_engines  # engines run through cuda-python's device buffers
    assert rows["torch"]["installed"] == (importlib.util.find_spec("torch") is not None)
    assert report["cuda_devices"] == cuda_devices()
    expected = "cuda" if "cuda" in rows["onnxruntime"]["devices"] else "cpu"
    assert report["auto"] == f"onnxruntime ({expected})"


def test_pipelines_stop_onnxruntime_threads_spinning(model_path):
    """live and video share the cores between the network and their other threads, so their onnxruntime workers
    must sleep when idle; single images keep onnxruntime's default (spin-wait, lowest latency)."""
    from stylecast.runtime.stylize_cli import configure, stylizer_from_args

    def spinning(pipelined: bool) -> str | None:
        parser = argparse.ArgumentParser()
        configure(parser, "stylize")
        args = parser.parse_args(["x.png", "--model", str(model_path)])
        options = stylizer_from_args(args, pipelined=pipelined).runner.session.get_session_options()
        try:
            return options.get_session_config_entry("session.intra_op.allow_spinning")
        except Exception:  # noqa: BLE001 - onnxruntime raises when the entry was never set (its default: spin)
            return None

    assert spinning(pipelined=True) == "0" and spinning(pipelined=False) is None
