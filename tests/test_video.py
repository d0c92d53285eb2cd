"""Video files and live sources end to end on clips the tests write with cv2.VideoWriter."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from conftest import synthetic_photo  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.latency import percentile  # noqa: E402
from test_runtime import model_path  # noqa: E402,F401  (module-scoped fixture)


def write_clip(path, frames=12, size=(48, 64), fps=24.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (size[1], size[0]))
    for i in range(frames):
        writer.write(np.roll(synthetic_photo(*size), 2 * i, axis=1))
    writer.release()
    return path


def count_frames(path):
    capture = cv2.VideoCapture(str(path))
    n = 0
    while capture.read()[0]:
        n += 1
    return n


def test_percentiles_on_known_samples():
    samples = [float(v) for v in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 95) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0


def test_latency_log_keeps_bounded_memory_and_exact_means():
    """100,000 samples of 1..1000 ms in a shuffled order: the log holds CAPACITY of them, the mean is exact and the
    percentiles of the reservoir land within 2% of the true ones (500.5 and 950.05 ms)."""
    from stylecast.runtime.latency import LatencyLog

    values = np.random.default_rng(0).permutation(np.repeat(np.arange(1, 1001) / 1e3, 100))
    log = LatencyLog()
    for value in values:
        log.add("inference", float(value))
    assert len(log.samples["inference"]) == LatencyLog.CAPACITY < len(values)
    report = log.report()["inference"]
    assert report["mean_ms"] == pytest.approx(500.5, abs=1e-3)
    assert report["p50_ms"] == pytest.approx(500.5, rel=0.02) and report["p95_ms"] == pytest.approx(950.05, rel=0.02)


def test_video_file_end_to_end(capsys, tmp_path, model_path):  # noqa: F811
    clip = write_clip(tmp_path / "in.avi", frames=12, size=(37, 53))
    out = tmp_path / "styled.avi"
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(out), "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 12 and report["fps"] > 0 and count_frames(out) == 12
    assert set(report["latency"]) >= {"capture_wait", "preprocess", "inference", "postprocess", "output",
                                      "end_to_end"}
    assert report["latency"]["end_to_end"]["p95_ms"] >= report["latency"]["end_to_end"]["p50_ms"] > 0
    source_frame = cv2.VideoCapture(str(clip)).read()[1]  # the codec may round odd sizes; compare with the input
    ok, frame = cv2.VideoCapture(str(out)).read()
    assert ok and frame.shape == source_frame.shape
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # temporary folder cleaned


def test_video_keeps_audio_when_ffmpeg_is_present(capsys, tmp_path, model_path):  # noqa: F811
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    clip = tmp_path / "talk.mp4"
    subprocess.run([ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "mpeg4", "-c:a", "aac",
                    "-shortest", str(clip)], check=True)
    out = tmp_path / "styled.mp4"
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(out), "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["audio"] == "kept"
    probe = subprocess.run([ffmpeg, "-hide_banner", "-i", str(out)], capture_output=True, text=True)
    assert "Audio:" in probe.stderr and "Video:" in probe.stderr


def test_live_headless_on_a_file_source(capsys, tmp_path, model_path):  # noqa: F811
    clip = write_clip(tmp_path / "cam.avi", frames=20)
    # Paced at the clip's 24 fps, like a camera: the network keeps up, so N frames means N stylised frames.
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "6",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 6 and report["ended_by"] == "6 frames" and report["fps"] > 0
    assert "inference" in report["latency"]
    # Unpaced, a file is still processed frame by frame: --frames N means its first N frames, and all of it
    # when N is larger.
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "15",
                 "--json", "--no-pace"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 15 and report["dropped_frames"] == 0
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "100",
                 "--json", "--no-pace"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ended_by"] == "source ended" and report["frames"] == 20 and report["dropped_frames"] == 0
    # Like a camera (--drop-frames), the reader outruns the network: every frame is stylised or dropped as stale.
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "100",
                 "--json", "--no-pace", "--drop-frames"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ended_by"] == "source ended"
    assert report["frames"] + report["dropped_frames"] == 20
    # --loop replays the file: 50 frames of a 20-frame clip are its third pass, none dropped
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "50",
                 "--json", "--no-pace", "--loop"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["frames"], report["passes"], report["dropped_frames"]) == (50, 3, 0)
    assert main(["live", "--source", "0", "--model", str(model_path), "--no-window", "--loop"]) == 2


def test_live_raw_frames_to_stdout_equal_the_serial_stylisation(tmp_path, model_path):  # noqa: F811
    """Live finishes frames (guided upsampling, strength) on its output thread while the network runs on the next
    frame; every frame it writes must still be exactly what `Stylizer.stylize` makes of some source frame, in
    order (the capture thread may drop frames, so which ones is not fixed)."""
    from stylecast.runtime.stylizer import StylizeOptions, Stylizer

    clip = write_clip(tmp_path / "cam.avi", frames=6, size=(32, 48))
    result = subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", "live", "--source", str(clip),
                             "--model", str(model_path), "--no-window", "--frames", "4", "--output", "-",
                             "--scale", "0.5", "--strength", "0.7", "--quiet"],
                            capture_output=True, check=True, timeout=120)
    written = np.frombuffer(result.stdout, np.uint8).reshape(-1, 32, 48, 3)
    stylizer = Stylizer(model=str(model_path), options=StylizeOptions(scale=0.5, strength=0.7))
    capture = cv2.VideoCapture(str(clip))
    expected = []
    while (frame := capture.read()[1]) is not None:
        expected.append(stylizer.stylize(frame))
    indices = [next(i for i, e in enumerate(expected) if np.array_equal(w, e)) for w in written]
    assert len(written) == 4 and indices == sorted(set(indices))


@pytest.mark.parametrize("argv, message", [
    (["video", "missing.avi", "--out", "o.avi"], "no such video file"),
    (["video", "notvideo.avi", "--out", "o.avi"], "not a video"),
    (["video", "clip.avi", "--out", "o.gif"], "unknown video extension"),
    (["live", "--source", "missing.avi", "--no-window", "--frames", "2"], "no such file"),
    (["live", "--source", "7", "--no-window", "--frames", "2"], "camera 7 is not available"),
])
def test_bad_video_inputs(capsys, tmp_path, model_path, monkeypatch, argv, message):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notvideo.avi").write_text("nope")
    write_clip(tmp_path / "clip.avi", frames=3)
    assert main([*argv, "--model", str(model_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o.avi").exists() and not (tmp_path / "o.gif").exists()


def test_stabilize_on_video_and_live(capsys, tmp_path, model_path):  # noqa: F811
    clip = write_clip(tmp_path / "in.avi", frames=8)
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(tmp_path / "s.avi"), "--stabilize",
                 "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 8 and "stabilize" in report["latency"] and report["stabilizer_resets"] == 0
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--no-window", "--frames", "4",
                 "--stabilize", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 4


def test_live_loads_every_model_given_and_keys_switch_between_them(capsys, tmp_path, model_path):  # noqa: F811
    from types import SimpleNamespace

    from stylecast.runtime.live import Controls
    from stylecast.runtime.stylizer import StylizeOptions

    clip = write_clip(tmp_path / "cam.avi", frames=4)
    assert main(["live", "--source", str(clip), "--model", str(model_path), "--model", "starry_night-lite",
                 "--no-window", "--frames", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["models"] == [model_path.stem, "starry_night-lite"] and report["model"] == model_path.stem

    stylizers = [SimpleNamespace(options=StylizeOptions()) for _ in range(3)]
    sink = SimpleNamespace(record_path=None)
    controls = Controls()
    for key, expected in (("n", 1), ("n", 2), ("n", 0), ("p", 2), ("p", 1)):
        assert controls.press(ord(key), stylizers, None, sink) is False and controls.current == expected
    for key in "---":
        controls.press(ord(key), stylizers, None, sink)
    assert stylizers[1].options.strength == 0.7 and stylizers[0].options.strength == 1.0
    controls.press(ord("+"), stylizers, None, sink)
    assert stylizers[1].options.strength == 0.8
    controls.press(ord("b"), stylizers, None, sink)
    controls.press(ord("r"), stylizers, None, sink)
    assert controls.side_by_side and sink.record_path.endswith(".mp4")
    controls.press(ord("r"), stylizers, None, sink)
    assert sink.record_path is None
    assert controls.press(ord("q"), stylizers, None, sink) and controls.press(27, stylizers, None, sink)


def test_switching_models_resets_the_stabiliser(tmp_path, model_path, monkeypatch):  # noqa: F811
    """Pressing n mid-stream must not blend the new model's frames with the old model's output."""
    from stylecast.runtime import live
    from stylecast.runtime.stylizer import Stylizer

    class CountingFilter:
        resets = 0

        def __call__(self, frame, styled):
            return styled

        def reset(self):
            self.resets += 1

    original_put = live.Sink.put
    calls = {"n": 0}

    def put_then_press_n(self, make_frame, captured):
        original_put(self, make_frame, captured)
        calls["n"] += 1
        if calls["n"] == 2:
            self.key = ord("n")

    monkeypatch.setattr(live.Sink, "put", put_then_press_n)
    frame_filter = CountingFilter()
    clip = write_clip(tmp_path / "cam.avi", frames=6)
    stylizers = [Stylizer(model=str(model_path)), Stylizer(model="starry_night-lite")]
    report = live.run_live(stylizers, str(clip), frames=4, window=False, frame_filter=frame_filter)
    assert report.frames == 4 and frame_filter.resets == 1


@pytest.mark.parametrize("command", ["video", "live"])
def test_video_and_live_open_their_models_for_a_pipeline(tmp_path, model_path, monkeypatch, command):  # noqa: F811
    from stylecast.runtime import video_cli

    calls = []

    def recording(args, model=None, pipelined=False):
        calls.append(pipelined)
        return original(args, model, pipelined)

    original = video_cli.stylizer_from_args
    monkeypatch.setattr(video_cli, "stylizer_from_args", recording)
    clip = write_clip(tmp_path / "clip.avi", frames=3)
    argv = (["video", str(clip), "--out", str(tmp_path / "o.avi")] if command == "video"
            else ["live", "--source", str(clip), "--no-window", "--frames", "2"])
    assert main([*argv, "--model", str(model_path), "--quiet"]) == 0
    assert calls == [True]
