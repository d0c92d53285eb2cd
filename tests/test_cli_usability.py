"""What a person or a pipeline meets first: help with defaults and an example, one-line errors with the fix,
output paths said, progress only on a terminal, videos that browsers play."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import cv2
import pytest

from conftest import synthetic_photo
from stylecast.runtime.cli import COMMANDS, main
from test_runtime import model_path  # noqa: F401  (module-scoped fixture)

pytest.importorskip("onnxruntime")


def stylecast(*argv, env=None, timeout=120):
    """The command in a subprocess: stdout and stderr are pipes, as in a pipeline."""
    return subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_help_shows_each_default_once_and_an_example(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "example:\n  stylecast " + command in text
    assert "(default: None)" not in text and "default: False" not in text
    options = re.split(r"\n  (?=-)", text.split("options:")[1])
    assert all(option.count("(default") <= 1 for option in options), [o for o in options if o.count("(default") > 1]
    assert "--quiet" in text


def test_bare_command_lists_the_subcommands_and_version_answers():
    bare = stylecast()
    assert bare.returncode == 0 and all(f"  {name} " in bare.stdout for name in COMMANDS)
    version = stylecast("--version")
    assert version.returncode == 0 and re.fullmatch(r"stylecast \d+\.\d+\.\d+\n", version.stdout)


@pytest.mark.parametrize("argv, hint", [
    (["optimize", "--size", "64", "--steps", "1", "--out", "o.png"], "pip install torch 'stylecast[train]'"),
    (["texture", "--size", "64", "--steps", "1", "--out", "o.png"], "pip install torch 'stylecast[train]'"),
    (["export", "model.pt", "--out", "m.onnx"], "pip install torch 'stylecast[train]'"),
    (["train", "--style", "s.png", "--data", ".", "--out", "m.pt"], "pip install torch 'stylecast[train]'"),
])
def test_missing_optional_dependency_is_one_line_with_the_install_command(tmp_path, argv, hint):
    """As on a runtime-only install: torch cannot be imported (sys.modules entry None)."""
    cv2.imwrite(str(tmp_path / "s.png"), synthetic_photo(32, 32))
    (tmp_path / "model.pt").write_bytes(b"x")
    code = ("import sys; sys.modules['torch'] = None; from stylecast.runtime.cli import main; "
            f"sys.exit(main({argv!r}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "needs torch" in result.stderr and hint in result.stderr
    assert not (tmp_path / "o.png").exists()


def test_live_window_without_a_display_is_one_line(tmp_path, model_path):  # noqa: F811
    from test_video import write_clip

    clip = write_clip(tmp_path / "c.avi", frames=3)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", "live", "--source", str(clip),
                             "--model", str(model_path), "--frames", "2"], capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--no-window" in result.stderr


def test_single_file_stylize_says_where_it_wrote(tmp_path, model_path):  # noqa: F811
    cv2.imwrite(str(tmp_path / "p.png"), synthetic_photo(32, 40))
    result = stylecast("stylize", str(tmp_path / "p.png"), "--model", str(model_path), "--out",
                       str(tmp_path / "o.png"))
    assert result.returncode == 0 and f"wrote {tmp_path / 'o.png'} (40x32)" in result.stderr
    assert stylecast("stylize", str(tmp_path / "p.png"), "--model", str(model_path), "--out",
                     str(tmp_path / "q.png"), "--quiet").stderr == ""


def probe(path) -> str:
    import imageio_ffmpeg

    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True).stderr


def test_piped_video_writes_h264_at_the_exact_size_with_no_progress_redraws(tmp_path, model_path):  # noqa: F811
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    from test_video import count_frames, write_clip

    clip = tmp_path / "in.mkv"  # odd sides (H.264 4:2:0 needs even ones), lossless, as OpenCV's writer cannot make
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=53x37:rate=10:duration=3", "-c:v", "ffv1", str(clip)], check=True)
    out = tmp_path / "out.mp4"
    result = stylecast("video", str(clip), "--model", str(model_path), "--out", str(out), "--crf", "30")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and len(result.stderr.splitlines()) == 3  # model line, the 4:4:4 note, wrote
    assert "4:4:4" in result.stderr and "H.264 (libx264, CRF 30, yuv444p)" in result.stderr
    assert "Video: h264" in probe(out) and count_frames(out) == 30
    ok, frame = cv2.VideoCapture(str(out)).read()
    assert ok and frame.shape == (37, 53, 3)
    even = tmp_path / "even.mp4"
    write_clip(tmp_path / "even.avi", frames=5, size=(48, 64))
    assert main(["video", str(tmp_path / "even.avi"), "--model", str(model_path), "--out", str(even), "--quiet"]) == 0
    assert "yuv420p" in probe(even)


def test_video_crf_and_encoder_choices_are_checked(capsys, tmp_path, model_path):  # noqa: F811
    from test_video import write_clip

    clip = write_clip(tmp_path / "in.avi", frames=2)
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(tmp_path / "o.mp4"), "--crf", "60"]) == 2
    assert "--crf must be between 0 and 51" in capsys.readouterr().err
    assert main(["video", str(clip), "--model", str(model_path), "--out", str(tmp_path / "o.avi"), "--encoder",
                 "opencv", "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["codec"] == "OpenCV MJPG"
    assert not (tmp_path / "o.mp4").exists()
