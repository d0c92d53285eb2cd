"""Issue 25's first findings: no input overwritten, no two inputs into one output, no device or FIFO replaced or
read, only known TensorRT modules imported, NaN options and weights refused."""

from __future__ import annotations

import json
import os

import cv2
import pytest

from conftest import synthetic_photo
from stylecast.runtime.cli import main
from test_runtime import model_path  # noqa: F401  (module-scoped fixture)

pytest.importorskip("onnxruntime")


def test_stylize_never_overwrites_its_input(capsys, tmp_path, model_path):  # noqa: F811
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), synthetic_photo(24, 32))
    before = photo.read_bytes()
    os.symlink(photo, tmp_path / "link.png")
    for out in (photo, tmp_path / "link.png", tmp_path / "." / "a.png"):
        assert main(["stylize", str(photo), "--model", str(model_path), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "is the input" in err and err.count("\n") == 1
    assert photo.read_bytes() == before


def test_two_inputs_never_share_an_output(capsys, tmp_path, model_path):  # noqa: F811
    folder = tmp_path / "in"
    folder.mkdir()
    cv2.imwrite(str(folder / "photo.jpg"), synthetic_photo(24, 32))
    cv2.imwrite(str(folder / "photo.png"), synthetic_photo(24, 32, seed=1))
    assert main(["stylize", str(folder), "--model", str(model_path), "--out", str(tmp_path / "out"), "--format",
                 "png"]) == 2
    assert "would both be written to" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert main(["stylize", str(folder), "--model", str(model_path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["photo.jpg", "photo.png"]


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_devices_and_fifos_are_never_replaced_or_read(capsys, tmp_path, model_path):  # noqa: F811
    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), synthetic_photo(24, 32))
    assert main(["bench", "--model", str(model_path), "--resolution", "16x16", "--runs", "1", "--warmup", "0",
                 "--csv", "/dev/null", "--quiet"]) == 2
    assert "not a regular file" in capsys.readouterr().err and os.path.exists("/dev/null")
    assert not os.path.isfile("/dev/null")  # still the device node
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert main(["stylize", str(fifo), "--model", str(model_path), "--out", str(tmp_path / "o.png")]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert main(["stylize", str(photo), "--model", str(model_path), "--out", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_engine_sidecar_cannot_choose_what_is_imported(tmp_path):
    from stylecast.runtime.errors import UserError
    from stylecast.runtime.model_metadata import ModelMetadata
    from stylecast.runtime.tensorrt_backend import TensorRTBackend

    engine = tmp_path / "m.plan"
    engine.write_bytes(b"\0" * 64)
    from stylecast.runtime.engine_sidecar import FORMAT, FORMAT_VERSION

    sidecar = {"format": FORMAT, "format_version": FORMAT_VERSION, "onnx_sha256": "0" * 64, "trt_module": "this",
               "trt_version": "1", "precision": "fp32"}
    (tmp_path / "m.plan.json").write_text(json.dumps(sidecar))
    meta = ModelMetadata(arch="lite", model_config={}, style_name="x", style_images=[], train_size=64,
                         layout="bgr8", stride=8, macs_per_pixel=1.0, checkpoint_sha256="0", precision="fp32",
                         stylecast_version="0")
    import sys

    sys.modules.pop("this", None)
    with pytest.raises(UserError, match="runs engines of tensorrt, tensorrt_rtx only"):
        TensorRTBackend(engine, meta)
    assert "this" not in sys.modules  # the module the sidecar named was never imported


@pytest.mark.parametrize("argv", [
    ["stylize", "x.png", "--strength", "nan"],
    ["train", "--style", "s.png", "--data", ".", "--out", "m.pt", "--style-weight", "nan"],
    ["optimize", "--lr", "inf", "--out", "o.png"],
])
def test_non_finite_numbers_are_refused_at_parse_time(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "must be a finite number" in err and err.count("\n") == 1


def test_export_refuses_nan_weights(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    from helpers import make_checkpoint

    from stylecast.export.onnx_export import export_checkpoint
    from stylecast.runtime.errors import UserError

    ckpt = make_checkpoint(tmp_path / "m.pt", "lite")
    data = torch.load(ckpt, weights_only=True)
    first = next(k for k, v in data["model"].items() if v.is_floating_point())
    data["model"][first] = torch.full_like(data["model"][first], float("nan"))
    torch.save(data, ckpt)
    with pytest.raises(UserError, match="NaN or infinity"):
        export_checkpoint(ckpt, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_unexpected_errors_are_one_line_unless_verbose(capsys, monkeypatch, tmp_path, model_path):  # noqa: F811
    from stylecast.runtime import stylizer as stylizer_module

    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), synthetic_photo(24, 32))

    def broken(self, frame, frame_filter=None):
        raise RuntimeError("a bug\nwith a second line")

    monkeypatch.setattr(stylizer_module.Stylizer, "start", broken)
    argv = ["stylize", str(photo), "--model", str(model_path), "--out", str(tmp_path / "o.png")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: a bug (rerun with --verbose" in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1 and "Traceback" not in err
    with pytest.raises(RuntimeError):
        main([*argv, "--verbose"])
    assert not (tmp_path / "o.png").exists()


def test_a_denied_write_is_one_line_exit_1(capsys, monkeypatch, tmp_path, model_path):  # noqa: F811
    import errno

    from stylecast.runtime import imageio

    photo = tmp_path / "a.png"
    cv2.imwrite(str(photo), synthetic_photo(24, 32))

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(imageio, "write_atomic", full)
    assert main(["stylize", str(photo), "--model", str(model_path), "--out", str(tmp_path / "o.png")]) == 1
    err = capsys.readouterr().err
    assert err.strip().endswith("No space left on device") and "Traceback" not in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1


def test_exif_rotated_jpeg_is_read_upright(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    import numpy as np

    from stylecast.runtime.imageio import read_image

    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10] = 255  # a white band on the left
    exif = pil.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    pil.fromarray(pixels).save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    image = read_image(tmp_path / "r.jpg")
    assert image.shape == (40, 20, 3)
    assert image[:10].mean() > 200 and image[-10:].mean() < 50  # the left band is now on top


@pytest.mark.parametrize("extension", [".png", ".jpg", ".bmp", ".webp", ".tif"])
def test_declared_size_is_read_from_every_header(tmp_path, extension):
    from stylecast.runtime.image_header import declared_size

    path = tmp_path / f"x{extension}"
    params = [cv2.IMWRITE_WEBP_QUALITY, 101] if extension == ".webp" else []  # 101: lossless (VP8L)
    cv2.imwrite(str(path), synthetic_photo(37, 53), params)
    assert declared_size(path.read_bytes()) == (53, 37)
    if extension == ".webp":
        cv2.imwrite(str(path), synthetic_photo(37, 53), [cv2.IMWRITE_WEBP_QUALITY, 80])  # lossy (VP8)
        assert declared_size(path.read_bytes()) == (53, 37)


def test_images_declaring_huge_sizes_are_refused_before_decoding(capsys, tmp_path, model_path):  # noqa: F811
    import struct

    ok, buffer = cv2.imencode(".png", synthetic_photo(8, 8))
    data = bytearray(buffer.tobytes())
    data[16:24] = struct.pack(">II", 30000, 30000)  # IHDR: a 30000x30000 claim in a file of a few hundred bytes
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bytes(data))
    assert main(["stylize", str(bomb), "--model", str(model_path), "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err
    assert "declares 30000x30000 pixels (900 megapixels)" in err and "--max-pixels" in err
    assert not (tmp_path / "o.png").exists()
    cv2.imwrite(str(tmp_path / "small.png"), synthetic_photo(20, 20))
    assert main(["stylize", str(tmp_path / "small.png"), "--model", str(model_path), "--out",
                 str(tmp_path / "o.png"), "--max-pixels", "100"]) == 2
    assert "over the limit of 100;" in capsys.readouterr().err


@pytest.mark.parametrize("signum, code", [(2, 130), (15, 143)])
def test_video_stops_on_a_signal_and_leaves_nothing_behind(tmp_path, model_path, signum, code):  # noqa: F811
    import subprocess
    import sys
    import time

    from test_video import write_clip

    clip = write_clip(tmp_path / "long.avi", frames=600, size=(120, 160))
    out = tmp_path / "out" / "styled.mp4"
    process = subprocess.Popen([sys.executable, "-m", "stylecast.runtime.cli", "video", str(clip), "--model",
                                str(model_path), "--out", str(out)], stderr=subprocess.PIPE, text=True)
    process.stderr.readline()  # "stylecast: model ...": the command is running, its handlers are installed
    time.sleep(0.3)
    started = time.perf_counter()
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert time.perf_counter() - started < 5
    assert process.returncode == code, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() and list(out.parent.iterdir()) == []  # no partial video, no hidden temporary folder


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
@pytest.mark.parametrize("lie", ["layout", "two inputs"])
def test_model_files_that_break_the_contract_are_refused(tmp_path, exported_model, backend, lie):
    onnx = pytest.importorskip("onnx")
    if backend == "torch":
        pytest.importorskip("torch")
    from stylecast.runtime.errors import UserError
    from stylecast.runtime.stylizer import Stylizer

    model = onnx.load(str(exported_model("lite")[1]))
    if lie == "layout":  # the metadata promises float NCHW; the graph takes uint8 NHWC
        for prop in model.metadata_props:
            if prop.key == "stylecast.layout":
                prop.value = "rgb_float"
    else:
        model.graph.input.append(onnx.helper.make_tensor_value_info("extra", onnx.TensorProto.FLOAT, [1]))
    path = tmp_path / "liar.onnx"
    onnx.save(model, str(path))
    with pytest.raises(UserError, match="metadata's layout|one input and one output"):
        Stylizer(model=str(path), backend=backend, device="cpu")


def test_max_size_decodes_a_large_jpeg_reduced(tmp_path):
    import numpy as np

    from stylecast.runtime.imageio import decode_image

    photo = cv2.resize(synthetic_photo(120, 160), (1600, 1200), interpolation=cv2.INTER_CUBIC)
    data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    reduced = decode_image(data, "big.jpg", longest=300)
    assert reduced.shape == (300, 400, 3)  # decoded at a quarter: never held at 1600x1200
    assert decode_image(data, "big.jpg", longest=1000).shape == (1200, 1600, 3)  # a half would be under 1000
    full = cv2.resize(decode_image(data, "big.jpg"), (400, 300), interpolation=cv2.INTER_AREA)
    psnr = 10 * np.log10(255.0 ** 2 / np.mean((full.astype(float) - reduced.astype(float)) ** 2))
    assert psnr > 30


def test_tiny_videos_are_refused_with_one_line(capsys, tmp_path, model_path):  # noqa: F811
    from test_video import write_clip

    clip = write_clip(tmp_path / "tiny.avi", frames=3, size=(8, 8))
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(tmp_path / "o.mp4"),
                 "--stabilize"]) == 2
    err = capsys.readouterr().err
    assert "below the 16 px a side" in err and not (tmp_path / "o.mp4").exists()


def test_live_recording_survives_sigterm_and_plays(tmp_path, model_path):  # noqa: F811
    import signal
    import subprocess
    import sys
    import time

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    from test_video import write_clip

    clip = write_clip(tmp_path / "cam.avi", frames=240, size=(48, 64), fps=24.0)  # paced: 10 s of camera
    record = tmp_path / "rec.mp4"
    process = subprocess.Popen([sys.executable, "-m", "stylecast.runtime.cli", "live", "--source", str(clip),
                                "--model", str(model_path), "--no-window", "--output", str(record)],
                               stderr=subprocess.PIPE, text=True)
    process.stderr.readline()  # the model line: running
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 143, err
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(record), "-f", "null", "-"],
                           capture_output=True, text=True)
    assert probe.returncode == 0 and "Video: h264" in probe.stderr  # finalised: it plays
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cam.avi", "rec.mp4"]  # and nothing beside it
