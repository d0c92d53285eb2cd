"""Photorealistic smoothing (runtime/photo_smooth.py): the matting Laplacian against a dense computation, and the
smoothing steps' contracts."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from conftest import synthetic_photo  # noqa: E402
from stylecast.runtime.errors import UserError  # noqa: E402
from stylecast.runtime.photo_smooth import matting_laplacian, smooth, smooth_exact, smooth_guided  # noqa: E402


def dense_laplacian(image: np.ndarray, eps: float) -> np.ndarray:
    """Levin et al.'s definition, window by window, in plain loops."""
    h, w, _ = image.shape
    n = 9
    laplacian = np.zeros((h * w, h * w))
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            pixels = [(y + dy) * w + (x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            colours = image.reshape(-1, 3)[pixels]
            mean = colours.mean(axis=0)
            inverse = np.linalg.inv(np.cov(colours.T, bias=True) + eps / n * np.eye(3))
            for a, i in enumerate(pixels):
                for b, j in enumerate(pixels):
                    weight = (1 + (colours[a] - mean) @ inverse @ (colours[b] - mean)) / n
                    laplacian[i, j] += (1.0 if i == j else 0.0) - weight
    return laplacian


def test_matting_laplacian_equals_the_dense_definition_and_has_its_properties():
    rng = np.random.default_rng(0)
    image = rng.random((5, 6, 3))
    sparse = matting_laplacian(image, eps=1e-3).toarray()
    assert np.allclose(sparse, dense_laplacian(image, 1e-3), atol=1e-9)
    assert np.allclose(sparse, sparse.T) and np.allclose(sparse.sum(axis=1), 0, atol=1e-9)
    affine = (image @ np.array([0.3, -0.2, 0.5]) + 0.1).ravel()  # locally (here globally) affine in the colours
    assert affine @ sparse @ affine < 1e-3 * (affine @ affine)
    noise = rng.random(30)
    assert noise @ sparse @ noise > 100 * (affine @ sparse @ affine)


def test_smoothing_leaves_a_flat_output_flat():
    content = synthetic_photo(40, 48)
    flat = np.full_like(content, 90)
    for method in ("guided", "exact"):
        assert np.abs(smooth(flat, content, method).astype(int) - 90).max() <= 1, method


def test_smoothing_takes_edges_from_the_input():
    """An output that is the input's colours shifted by a constant, plus noise: the smoothed version is closer to
    the shifted input (locally affine in it) than the noisy output was."""
    content = synthetic_photo(48, 64)
    target = np.clip(content.astype(int) + 40, 0, 255)
    noisy = np.clip(target + np.random.default_rng(1).normal(0, 25, target.shape), 0, 255).astype(np.uint8)
    for smoothed in (smooth_guided(noisy, content), smooth_exact(noisy, content)):
        assert np.abs(smoothed.astype(int) - target).mean() < 0.6 * np.abs(noisy.astype(int) - target).mean()


def test_bad_smoothing_requests_are_user_errors():
    content = synthetic_photo(20, 20)
    with pytest.raises(UserError, match="choose one of: guided, exact"):
        smooth(content, content, "magic")
    with pytest.raises(UserError, match="one size"):
        smooth(content[:10], content, "guided")
