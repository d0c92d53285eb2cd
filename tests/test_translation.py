"""pix2pix and pix2pixHD: generators, discriminators, losses, paired data, training, export."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import synthetic_photo  # noqa: E402
from stylecast.runtime.cli import main  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.training.architectures import build_model  # noqa: E402
from stylecast.training.translation.discriminators import (  # noqa: E402
    MultiscaleDiscriminator, PatchDiscriminator, receptive_field)
from stylecast.training.translation.gan_losses import adversarial, feature_matching  # noqa: E402
from stylecast.training.translation.gan_trainer import linear_decay, patch_accuracy, recipe, train_gan  # noqa: E402
from stylecast.training.translation.pairs import find_pairs, grayscale, make_pairs  # noqa: E402


@pytest.mark.parametrize("arch, config", [
    ("unet", {}), ("unet", {"width": 8, "depth": 3, "grayscale_input": True}),
    ("pix2pixhd", {"width": 8}), ("pix2pixhd", {"width": 8, "local_enhancer": False}),
])
@pytest.mark.parametrize("size", [(37, 53), (64, 64), (5, 9)])
def test_generators_keep_any_size_in_both_modes(arch, config, size):
    model = build_model(arch, config)
    x = torch.rand(2, 3, *size)
    for mode in (True, False):
        model.train(mode)
        with torch.no_grad():
            y = model(x)
        assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1


def test_grayscale_input_sees_only_luminance():
    model = build_model("unet", {"width": 4, "depth": 2, "grayscale_input": True}).eval()
    x = torch.rand(1, 3, 16, 16)
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    gray = (x * weights).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    with torch.no_grad():  # the same luminance in other colours gives the same output
        assert torch.allclose(model(x), model(gray), atol=1e-6)


def test_default_unet_is_real_time_sized():
    from stylecast.training.macs import macs_per_pixel, parameter_count

    model = build_model("unet")
    assert 5_000 < macs_per_pixel(model) < 20_000 and parameter_count(model) < 2_000_000


def test_patchgan_receptive_field_and_patch_grid():
    d = PatchDiscriminator(6, 64, 3)
    assert receptive_field(d) == 70
    assert receptive_field(PatchDiscriminator(6, 64, 1)) == 16 and receptive_field(PatchDiscriminator(6, 8, 5)) == 286
    assert d(torch.rand(1, 6, 256, 256))[-1].shape == (1, 1, 30, 30)  # pix2pix's 30x30 patches at 256 px
    scales = MultiscaleDiscriminator(6, 8, 3, scales=3)(torch.rand(1, 6, 128, 128))
    assert [s[-1].shape[-1] for s in scales] == [14, 6, 2] and len(scales[0]) == 5


def test_gan_losses_against_hand_values():
    half = [[torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.5)]]
    assert float(adversarial(half, True, least_squares=True)) == pytest.approx(0.25)
    assert float(adversarial(half, False, least_squares=True)) == pytest.approx(0.25)
    zero = [[torch.zeros(1, 1, 3, 3)]]
    assert float(adversarial(zero, True, least_squares=False)) == pytest.approx(math.log(2))
    two_scales = [[torch.full((1, 1, 1, 1), 3.0)], [torch.full((1, 1, 1, 1), -3.0)]]
    expected = 0.5 * (math.log1p(math.exp(-3.0)) + math.log1p(math.exp(3.0)))  # mean over scales
    assert float(adversarial(two_scales, True, least_squares=False)) == pytest.approx(expected)
    fake = [[torch.zeros(1, 2, 2, 2), torch.ones(1, 1, 1, 1), torch.zeros(1, 1, 1, 1)]]
    real = [[torch.full((1, 2, 2, 2), 2.0), torch.full((1, 1, 1, 1), 4.0), torch.zeros(1, 1, 1, 1)]]
    assert float(feature_matching(fake, real)) == pytest.approx((2.0 + 3.0) / 2)  # scores (last) excluded


def test_patch_accuracy_and_linear_decay():
    real, fake = [[torch.tensor([1.0, 1.0, -1.0, 1.0])]], [[torch.tensor([-1.0, 1.0, -1.0, -1.0])]]
    assert patch_accuracy(real, fake, least_squares=False) == pytest.approx(6 / 8)
    assert [linear_decay(p, 0.5) for p in (0.0, 0.5, 0.75, 1.0)] == [1.0, 1.0, 0.5, 0.0]


def test_vgg_feature_loss_is_zero_for_equal_images_and_positive_otherwise():
    from stylecast.training.translation.gan_losses import VGGFeatureLoss

    loss = VGGFeatureLoss()
    x = torch.rand(1, 3, 32, 32)
    assert float(loss(x, x)) == 0.0 and float(loss(x, x.flip(-1))) > 0


def write_pairs(root, count=6, size=(40, 48), mismatch=False):
    for side in ("A", "B"):
        (root / side).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        photo = synthetic_photo(*size, seed=i)
        cv2.imwrite(str(root / "A" / f"p{i}.png"), grayscale(photo))
        cv2.imwrite(str(root / "B" / (f"q{i}.png" if mismatch and i == 0 else f"p{i}.png")), photo)
    return root


def test_find_pairs_names_what_does_not_match(tmp_path):
    assert len(find_pairs(write_pairs(tmp_path / "ok"))) == 6
    with pytest.raises(UserError, match=r"1 in A/ without a partner in B/ \(first: p0\); 1 in B/ without a partner"):
        find_pairs(write_pairs(tmp_path / "bad", mismatch=True))
    (tmp_path / "empty" / "A").mkdir(parents=True)
    (tmp_path / "empty" / "B").mkdir()
    with pytest.raises(UserError, match="hold no images"):
        find_pairs(tmp_path / "empty")
    with pytest.raises(UserError, match="needs A/"):
        find_pairs(tmp_path)


@pytest.mark.parametrize("make", ["mismatch", "empty", "missing"])
def test_train_gan_bad_pair_folders_are_one_line(capsys, tmp_path, make):
    if make == "mismatch":
        write_pairs(tmp_path / "pairs", mismatch=True)
    elif make == "empty":
        (tmp_path / "pairs" / "A").mkdir(parents=True)
        (tmp_path / "pairs" / "B").mkdir()
    assert main(["train-gan", "--pairs", str(tmp_path / "pairs"), "--out", str(tmp_path / "m.pt"), "--steps", "1",
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and not (tmp_path / "m.pt").exists()


def test_make_pairs_gray2color_and_edges(tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(photos / ("sub" if i else "") / f"x{i}.jpg"), synthetic_photo(60, 80, seed=i))
    assert make_pairs("gray2color", photos, tmp_path / "gray", size=32, progress=False) == 3
    pairs = find_pairs(tmp_path / "gray")
    a, b = (cv2.imread(str(p)) for p in pairs[0])
    assert a.shape == b.shape == (32, 43, 3) and np.array_equal(a[:, :, 0], a[:, :, 2])
    assert np.abs(a.astype(int) - grayscale(b).astype(int)).max() <= 1
    assert main(["make-pairs", "--task", "edges2photo", "--photos", str(photos), "--out", str(tmp_path / "edges"),
                 "--size", "32", "--quiet"]) == 0
    edges = cv2.imread(str(find_pairs(tmp_path / "edges")[0][0]))
    assert set(np.unique(edges)) <= {0, 255} and (edges == 0).any()


@pytest.mark.slow
@pytest.mark.parametrize("method, config", [("pix2pix", {"width": 8, "depth": 3}),
                                            ("pix2pixhd", {"width": 8, "downsamplings": 2, "residual_blocks": 1})])
def test_a_few_steps_lower_the_generators_l1_and_checkpoints_round_trip(tmp_path, method, config):
    import csv

    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint

    pairs = write_pairs(tmp_path / "pairs", count=4, size=(32, 32))
    settings = recipe(method, steps=60, batch_size=4, size=32, device="cpu", log_every=20, preview_every=60,
                      checkpoint_every=60, progress=False, lr=1e-3, d_width=8, d_layers=2)
    out = tmp_path / "m.pt"
    result = train_gan(settings, pairs, out, model_settings=config, task="colorize")
    rows = list(csv.DictReader(open(tmp_path / "m_train" / "log.csv")))
    first, last = float(rows[0]["l1"] or 0), float(rows[-1]["l1"] or 0)
    if method == "pix2pix":
        assert last < 0.7 * first, (first, last)
    else:  # pix2pixHD has no L1 term: its VGG term must fall
        assert float(rows[-1]["vgg"]) < float(rows[0]["vgg"])
    data = load_checkpoint(out)
    assert data["method"] == method and data["task"] == "colorize" and data["step"] == 60 == result["step"]
    assert set(data) >= {"discriminator", "optimizer", "optimizer_d", "train", "model_config"}
    x = torch.rand(1, 3, 24, 40)
    trained = result  # the in-memory state the trainer returned
    model = model_from_checkpoint(data)
    again = model_from_checkpoint(trained)
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    assert (tmp_path / "m_train" / "previews" / "step_000060.jpg").exists()
    resumed = recipe(method, steps=70, batch_size=4, size=32, device="cpu", log_every=5, preview_every=100,
                     checkpoint_every=100, progress=False, lr=1e-3, d_width=8, d_layers=2)
    assert train_gan(resumed, pairs, out, resume=True)["step"] == 70


@pytest.mark.parametrize("arch", ["unet", "pix2pixhd"])
def test_export_parity_and_deterministic_runtime(exported_model, arch):
    from stylecast.runtime.stylizer import Stylizer

    _, path, parity = exported_model(arch)
    assert parity["passed"] and parity["worst"]["max_abs"] <= 1
    stylizer = Stylizer(model=str(path))
    image = synthetic_photo(37, 53)
    first, second = stylizer.stylize(image), stylizer.stylize(image)
    assert np.array_equal(first, second) and first.shape == image.shape


def test_image_pool_fills_then_swaps_half_the_time_deterministically():
    from stylecast.training.translation.image_pool import ImagePool

    pool = ImagePool(size=4, seed=3)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first) and len(pool.images) == 4  # filling: every image back
    new = torch.arange(100.0, 200.0).view(100, 1, 1, 1)
    out = pool.query(new)
    from_pool = int((out < 100).sum()) + int(sum(1 for o, n in zip(out, new) if o >= 100 and o != n))
    assert 35 <= from_pool <= 65  # about half of 100 come from the pool
    again = ImagePool(size=4, seed=3)
    again.query(first)
    assert torch.equal(again.query(new), out)  # the same seed, the same answers
    assert torch.equal(ImagePool(size=0).query(new), new)


def test_cycle_and_identity_terms_against_hand_values():
    """An identity generator has zero cycle and identity loss; a generator adding 0.1 has cycle 2 x 0.2 = 0.4."""
    import torch.nn.functional as F

    a, b = torch.rand(2, 3, 8, 8) * 0.5, torch.rand(2, 3, 8, 8) * 0.5

    def cycle(g, f):
        return F.l1_loss(f(g(a)), a) + F.l1_loss(g(f(b)), b)

    def identity(g, f):
        return F.l1_loss(g(b), b) + F.l1_loss(f(a), a)

    same = lambda x: x  # noqa: E731
    brighter = lambda x: x + 0.1  # noqa: E731
    assert float(cycle(same, same)) == 0 and float(identity(same, same)) == 0
    assert float(cycle(brighter, brighter)) == pytest.approx(0.4) and float(identity(brighter, same)) == \
        pytest.approx(0.1)


def test_luminance_correlation_sees_inversion():
    from stylecast.training.translation.cyclegan_trainer import luminance_correlation

    x = torch.rand(2, 3, 16, 16)
    assert float(luminance_correlation(x, x)) == pytest.approx(1.0, abs=1e-5)
    assert float(luminance_correlation(x, 1 - x)) == pytest.approx(-1.0, abs=1e-5)


def test_resnet_generator_is_the_papers_size_and_keeps_any_size():
    from stylecast.training.macs import macs_per_pixel

    model = build_model("resnet")
    assert 860_000 < macs_per_pixel(model) < 870_000  # the paper's ~750,000, plus full 3x3 convs after upsampling
    small = build_model("resnet", {"width": 4, "residual_blocks": 1}).eval()
    with torch.no_grad():
        assert small(torch.rand(1, 3, 13, 27)).shape == (1, 3, 13, 27)


@pytest.mark.slow
def test_cyclegan_steps_lower_the_cycle_loss_and_checkpoint_both_directions(tmp_path):
    import csv

    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint
    from stylecast.training.translation.cyclegan_trainer import CycleGanSettings, train_cyclegan

    photos, paintings = tmp_path / "photos", tmp_path / "paintings"
    photos.mkdir(), paintings.mkdir()
    for i in range(4):
        cv2.imwrite(str(photos / f"p{i}.png"), synthetic_photo(40, 40, seed=i))
        cv2.imwrite(str(paintings / f"q{i}.png"), 255 - synthetic_photo(80, 80, seed=10 + i))
    settings = CycleGanSettings(arch="lite", steps=60, batch_size=2, size=32, device="cpu", log_every=20,
                                preview_every=60, checkpoint_every=60, progress=False, lr=1e-3, d_width=8,
                                d_layers=2, pool_size=4)
    out = tmp_path / "c.pt"
    train_cyclegan(settings, photos, paintings, out, model_settings={"width": 4, "residual_blocks": 1})
    rows = list(csv.DictReader(open(tmp_path / "c_train" / "log.csv")))
    assert float(rows[-1]["cycle"]) < float(rows[0]["cycle"])
    assert {"change", "luminance_correlation", "d_b_accuracy"} <= set(rows[0])
    data = load_checkpoint(out)
    assert data["method"] == "cyclegan" and "model_reverse" in data and "discriminator_a" in data
    model_from_checkpoint(data), model_from_checkpoint({**data, "model": data["model_reverse"]})


def test_cyclegan_command_checks_its_folders(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    assert main(["train-gan", "--method", "cyclegan", "--domain-a", str(tmp_path / "empty"), "--domain-b",
                 str(tmp_path / "nowhere"), "--out", str(tmp_path / "c.pt"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no readable" in err
    assert main(["train-gan", "--method", "cyclegan", "--pairs", str(tmp_path), "--out", str(tmp_path / "c.pt")]) == 2
    assert "takes --domain-a and --domain-b" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("method", ["pix2pix", "cyclegan"])
def test_two_process_gloo_gan_training(tmp_path, method):
    import socket
    import subprocess
    import sys

    from stylecast.training.checkpoint import load_checkpoint

    pairs = write_pairs(tmp_path / "pairs", count=4, size=(32, 32))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = (["--domain-a", str(pairs / "A"), "--domain-b", str(pairs / "B"), "--model-setting", "width=4"]
            if method == "cyclegan" else ["--pairs", str(pairs), "--model-setting", "width=4",
                                          "--model-setting", "depth=2"])
    out = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
               "--master-port", str(port), "-m", "stylecast.runtime.cli", "train-gan", "--method", method, *data,
               "--out", str(out), "--steps", "3", "--batch-size", "2", "--size", "32", "--log-every", "1",
               "--device", "cpu", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[:3000] + "\n...\n" + result.stderr[-1000:]
    checkpoint = load_checkpoint(out)
    assert checkpoint["step"] == 3 and checkpoint["train"]["world_size"] == 2
    assert np.isfinite(checkpoint["metrics"]["g_total"])


def test_collapse_warnings_name_each_failure_once_past_the_start():
    from stylecast.training.translation.cyclegan_trainer import CycleGanSettings, collapse_warnings

    settings = CycleGanSettings()
    bad = {"change": 0.001, "luminance_correlation": -0.5, "d_b_accuracy": 0.999}
    good = {"change": 0.2, "luminance_correlation": 0.8, "d_b_accuracy": 0.7}
    assert collapse_warnings(bad, 0.05, settings) == {}  # the first tenth is warm-up
    assert set(collapse_warnings(bad, 0.5, settings)) == {"unchanged", "inverted", "discriminator"}
    assert collapse_warnings(good, 0.5, settings) == {}


def test_frechet_distance_against_hand_values():
    from conftest import load_benchmark

    frechet = load_benchmark("frechet").frechet_distance
    a = np.array([[-1.0], [1.0]])  # mean 0, variance 2 (n - 1 in the denominator)
    b = np.array([[1.0], [5.0]])  # mean 3, variance 8
    assert frechet(a, b) == pytest.approx(9 + (math.sqrt(2) - math.sqrt(8)) ** 2)  # 1-D: (mu)^2 + (sigma)^2 gaps
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    assert frechet(x, x) == pytest.approx(0, abs=1e-8)
    assert frechet(x, x + 2.0) == pytest.approx(16.0, rel=1e-6)  # a shift of 2 in each of 4 dimensions
    few = rng.normal(size=(3, 8))  # fewer samples than dimensions: rank-deficient covariances stay finite
    assert np.isfinite(frechet(few, rng.normal(size=(5, 8))))


def test_cyclegan_init_starts_g_from_a_checkpoint(tmp_path):
    """--init: G begins as the given generator (after one step at a zero rate it still is), F fresh; the source is
    recorded; a checkpoint of another configuration is refused."""
    from helpers import make_checkpoint

    from stylecast.training.checkpoint import load_checkpoint
    from stylecast.training.translation.cyclegan_trainer import CycleGanSettings, train_cyclegan

    photos, paintings = tmp_path / "photos", tmp_path / "paintings"
    photos.mkdir(), paintings.mkdir()
    for i in range(2):
        cv2.imwrite(str(photos / f"p{i}.png"), synthetic_photo(40, 40, seed=i))
        cv2.imwrite(str(paintings / f"q{i}.png"), synthetic_photo(80, 80, seed=10 + i))
    source = make_checkpoint(tmp_path / "source.pt", "lite")  # width 4, one residual block
    settings = CycleGanSettings(arch="lite", steps=1, batch_size=1, size=32, device="cpu", progress=False, lr=1e-12,
                                d_width=8, d_layers=2)
    out = tmp_path / "c.pt"
    train_cyclegan(settings, photos, paintings, out, model_settings={"width": 4, "residual_blocks": 1}, init=source)
    data, expected = load_checkpoint(out), load_checkpoint(source)["model"]
    assert all(torch.allclose(data["model"][k], expected[k], atol=1e-6) for k in expected)
    assert not all(torch.allclose(data["model_reverse"][k], expected[k]) for k in expected)
    assert data["train"]["init"] == "source.pt"
    with pytest.raises(UserError, match="--init needs"):
        train_cyclegan(settings, photos, paintings, tmp_path / "d.pt", model_settings={"width": 8}, init=source)
