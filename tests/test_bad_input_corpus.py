"""Every command against the bad-input corpus (tests/bad_input_corpus.py), each case in its own process with a
timeout (tests/corpus_runner.py): a non-zero exit, exactly one error line and no traceback on stderr (beside at
most one informational line), nothing left in the case's output folder, no input changed, nothing written where
an output was refused, no malicious pickle run, no hang."""

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnx")

import bad_input_corpus  # noqa: E402

ERROR_LINE = re.compile(r"^stylecast( [\w-]+)?: error: ")


def snapshot(paths: list[Path]) -> dict:
    """Every entry under `paths`: regular files by content, everything else by type (links are not followed)."""
    seen = {}
    for top in paths:
        for entry in [top, *sorted(top.rglob("*"))] if top.is_dir() and not top.is_symlink() else [top]:
            seen[str(entry)] = _state(entry)
    return seen


def _state(path: Path):
    try:
        status = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(status.st_mode):
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return ("unreadable", status.st_size, status.st_mtime_ns)
    return (stat.S_IFMT(status.st_mode), status.st_ino)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, exported_model):
    checkpoint, model, _ = exported_model("lite")
    root = tmp_path_factory.mktemp("corpus")
    cases, inputs = bad_input_corpus.build(root, model, checkpoint)
    before = snapshot(inputs)
    watched = {str(p): _state(p) for case in cases for p in case.watch}
    (root / "cases.json").write_text(json.dumps([{"argv": c.argv, "cwd": str(root)} for c in cases]))
    runner = Path(__file__).with_name("corpus_runner.py")
    subprocess.run([sys.executable, str(runner), str(root / "cases.json"), str(root / "results.json")], check=True,
                   timeout=1500, env={**os.environ, "PYTHONPATH": str(runner.parent)})
    results = json.loads((root / "results.json").read_text())
    yield root, cases, results, before, snapshot(inputs), watched
    for path in root.rglob("*"):  # let pytest remove what the corpus locked
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


def test_the_corpus_is_large_and_covers_every_command(corpus):
    _, cases, *_ = corpus
    assert len(cases) >= 500
    commands = {case.argv[0] for case in cases}
    assert {"stylize", "video", "live", "bench", "optimize", "texture", "train", "train-gan", "make-pairs",
            "export", "build-engine", "blend", "batch", "export-triton", "train-arbitrary"} <= commands


def test_every_case_fails_cleanly(corpus):
    root, cases, results, *_ = corpus
    failures = []
    for case, result in zip(cases, results):
        problems = []
        if result["code"] is None:
            problems.append("hang (killed after the timeout)")
        elif result["code"] not in case.codes:
            problems.append(f"exit {result['code']}")
        lines = [line for line in result["stderr"].splitlines() if line.strip()]
        errors = [line for line in lines if ERROR_LINE.match(line)]
        if "Traceback" in result["stderr"] or len(errors) != 1 or len(lines) > 2:
            problems.append(f"stderr {lines[-4:]!r}")
        left = sorted(p.name for p in case.out.iterdir())
        if left:
            problems.append(f"left {left}")
        if problems:
            failures.append(f"{case.name}: {'; '.join(problems)}")
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)
    assert not (root / bad_input_corpus.MARKER).exists(), "a checkpoint ran code"


def test_no_input_changed_and_no_refused_output_written(corpus):
    _, cases, _, before, after, watched = corpus
    changed = [path for path in before.keys() | after.keys() if before.get(path) != after.get(path)]
    assert not changed
    assert {str(p): _state(p) for case in cases for p in case.watch} == watched


@pytest.mark.parametrize("frame", [
    np.zeros((32, 32), np.uint8), np.zeros((32, 32, 4), np.uint8), np.zeros((32, 32, 3), np.float32),
    np.zeros((0, 32, 3), np.uint8), np.zeros((32, 0, 3), np.uint8), np.zeros((2, 32, 32, 3), np.uint8),
    [[0, 0, 0]], None, np.zeros((32, 32, 3), np.int64), np.zeros((70000, 1, 3), np.uint8)[:, :0]],
    ids=lambda f: getattr(f, "shape", type(f).__name__).__str__())
def test_the_python_api_refuses_bad_frames_with_a_user_error(exported_model, frame):
    """The API's counterpart of the corpus: what is not an HxWx3 uint8 image is a UserError, not a numpy,
    OpenCV or onnxruntime exception."""
    from stylecast.runtime.errors import UserError
    from stylecast.runtime.stylizer import Stylizer

    stylizer = Stylizer(model=str(exported_model("lite")[1]), backend="onnxruntime", device="cpu")
    with pytest.raises(UserError):
        stylizer.stylize(frame)


@pytest.mark.parametrize("model, reason", [("nosuch", "unknown model"), ("", "empty model name"),
                                           ("x.txt", "model files are .onnx or .plan"),
                                           ("missing.onnx", "no such model file")])
def test_the_python_api_refuses_bad_models_with_a_user_error(model, reason):
    from stylecast.runtime.errors import UserError
    from stylecast.runtime.stylizer import Stylizer

    with pytest.raises(UserError, match=reason):
        Stylizer(model=model)
