"""Loss formulas against hand computations on tiny tensors."""

import pytest

torch = pytest.importorskip("torch")

from stylecast.training import losses  # noqa: E402


def test_gram_by_hand():
    # One sample, 2 channels, 1x2 pixels: F = [[1, 2], [3, 4]]; G = F F^T / (C H W) = [[5, 11], [11, 25]] / 4
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4
    assert torch.allclose(losses.gram_matrix(f), expected)


def test_gram_symmetric_and_scales_quadratically():
    f = torch.randn(2, 5, 7, 3, generator=torch.Generator().manual_seed(0))
    g = losses.gram_matrix(f)
    assert torch.allclose(g, g.transpose(1, 2))
    assert torch.allclose(losses.gram_matrix(3 * f), 9 * g, rtol=1e-5)
    # Size-independent: tiling the feature map spatially leaves G unchanged.
    assert torch.allclose(losses.gram_matrix(torch.cat([f, f], dim=3)), g, rtol=1e-5, atol=1e-6)


def test_content_loss_by_hand():
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    target = torch.tensor([[[[1.0, 0.0], [3.0, 2.0]]]])
    # mean((f - t)^2) = (0 + 4 + 0 + 4) / 4 = 2; mean(t^2) = (1 + 0 + 9 + 4) / 4 = 3.5
    assert losses.content_loss(f, target).item() == pytest.approx(2 / 3.5, rel=1e-6)


def test_style_loss_by_hand():
    g = torch.tensor([[[2.0, 1.0], [1.0, 2.0]]])
    target = torch.tensor([[[1.0, 1.0], [1.0, 3.0]]])
    # mean((g - t)^2) = (1 + 0 + 0 + 1) / 4 = 0.5; mean(t^2) = (1 + 1 + 1 + 9) / 4 = 3
    assert losses.style_loss(g, target).item() == pytest.approx(0.5 / 3, rel=1e-6)
    assert losses.style_loss(target, target).item() == 0


def test_total_variation_by_hand():
    image = torch.tensor([[[[0.0, 1.0], [2.0, 4.0]]]])
    # vertical diffs 2, 3 -> mean of squares 6.5; horizontal diffs 1, 2 -> 2.5
    assert losses.total_variation(image).item() == pytest.approx(9.0)
    assert losses.total_variation(torch.ones(1, 3, 5, 5)).item() == 0


def test_mean_std_and_stats_loss_by_hand():
    f = torch.tensor([[[[1.0, 3.0]], [[2.0, 2.0]]]])
    mean, std = losses.mean_std(f, eps=0.0)
    assert mean.tolist() == [[2.0, 2.0]]
    assert std.tolist() == [[1.0, 0.0]]
    target_mean, target_std = torch.tensor([[2.0, 0.0]]), torch.tensor([[1.0, 1.0]])
    # stats_loss uses eps = 1e-5 inside the square root: stds are sqrt(1 + eps) and sqrt(eps).
    # errors: means (0, 2) -> mean 2; stds -> mean of squares; normaliser mean(mu_t^2) + mean(s_t^2) = 2 + 1
    std_error = ((1 + 1e-5) ** 0.5 - 1) ** 2 + (1e-5 ** 0.5 - 1) ** 2
    value = losses.stats_loss(f, target_mean, target_std).item()
    assert value == pytest.approx((2 + std_error / 2) / 3, rel=1e-5)


def test_histogram_match_reorders_target_values():
    f = torch.tensor([[[[0.3, -1.0, 5.0, 2.0]]]])
    quantiles = torch.tensor([[10.0, 20.0, 30.0, 40.0]])
    matched = losses.histogram_match(f, quantiles)
    # Ranks of f: -1.0 < 0.3 < 2.0 < 5.0, so they take 10, 20, 30, 40 in that order.
    assert matched.flatten().tolist() == [20.0, 10.0, 40.0, 30.0]


def test_histogram_loss_zero_on_own_histogram_and_by_hand():
    f = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    q = losses.channel_quantiles(f, bins=64)
    assert losses.histogram_loss(f, losses.channel_quantiles(f, bins=64)).item() == pytest.approx(0.0, abs=2e-3)
    shifted = losses.channel_quantiles(f + 1.0, bins=64)
    # Matching to the histogram shifted by one moves every value by one: mse 1, over mean((f+1)^2).
    expected = 1.0 / (f + 1.0).square().mean().item()
    assert losses.histogram_loss(f, shifted).item() == pytest.approx(expected, rel=0.05)
    assert q.shape == (4, 64)


def test_channel_quantiles_endpoints():
    f = torch.arange(12.0).reshape(1, 1, 3, 4)
    q = losses.channel_quantiles(f, bins=5)
    assert q.flatten().tolist() == pytest.approx([0.0, 2.75, 5.5, 8.25, 11.0])
