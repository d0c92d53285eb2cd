"""The temporal loss's synthetic motion: warps that are exact for whole-pixel shifts, masks of pixels that left
the image, and a loss that is zero for a network that moves with the image."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from stylecast.training.motion import next_frame, random_affine, temporal_loss, warp  # noqa: E402


def shift_theta(dx_pixels: float, width: int) -> torch.Tensor:
    return torch.tensor([[[1.0, 0.0, 2 * dx_pixels / width], [0.0, 1.0, 0.0]]])


def test_whole_pixel_shift_is_exact_and_masks_the_new_border():
    image = torch.rand(1, 3, 8, 10, generator=torch.Generator().manual_seed(0))
    moved, mask = warp(image, shift_theta(2, 10))
    # affine_grid samples the input at x + 2: the picture moves two pixels left, two new columns enter at the right
    assert torch.allclose(moved[..., :8], image[..., 2:], atol=1e-6)
    assert mask[..., :8].min() == 1 and mask[..., 8:].max() == 0


def test_identity_motion_changes_nothing():
    image = torch.rand(2, 3, 9, 7)
    theta = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).expand(2, 2, 3)
    moved, mask = warp(image, theta)
    assert torch.allclose(moved, image, atol=1e-6) and mask.min() == 1
    assert warp(image, None)[0] is image


def test_random_affine_stays_within_its_limits():
    theta = random_affine(500, size=200, max_shift=4, max_degrees=1, max_zoom=0.02,
                          device="cpu")
    shift_pixels = theta[:, :, 2].abs() * 200 / 2
    scale = torch.sqrt(theta[:, 0, 0] ** 2 + theta[:, 1, 0] ** 2)
    angle = torch.atan2(theta[:, 1, 0], theta[:, 0, 0])
    assert shift_pixels.max() <= 4 + 1e-5 and shift_pixels.max() > 3  # the range is used, not just bounded
    assert (scale - 1).abs().max() <= 0.02 + 1e-6 and angle.abs().max() <= math.radians(1) + 1e-6


def test_temporal_loss_hand_values():
    first = torch.rand(1, 3, 6, 8, generator=torch.Generator().manual_seed(1))
    theta = shift_theta(1, 8)
    moved, mask = warp(first, theta)
    assert temporal_loss(first, moved, theta).item() == pytest.approx(0.0, abs=1e-12)  # moves with the image
    # a constant error of 0.1 on the kept pixels, and anything at all where the mask is zero
    second = moved + 0.1
    second[..., 7:] = 5.0
    assert temporal_loss(first, second, theta).item() == pytest.approx(0.01, rel=1e-5)
    # without motion it is the plain mean squared difference (the noise-robustness term)
    other = torch.rand(1, 3, 6, 8)
    assert temporal_loss(first, other, None).item() == pytest.approx(((first - other) ** 2).mean().item(), rel=1e-6)


def test_next_frame_is_the_moved_frame_plus_noise_in_range():
    torch.manual_seed(0)
    image = torch.rand(4, 3, 32, 32)
    theta = random_affine(4, 32, 3)
    frame = next_frame(image, theta, noise_std=0.04)
    residual = (frame - warp(image, theta)[0]).numpy()
    assert frame.min() >= 0 and frame.max() <= 1
    assert np.std(residual) == pytest.approx(0.04, rel=0.15)
