"""Photorealistic smoothing: make any stylised output a locally affine function of its input's colours.

A painting network or Gatys invents textures and bends lines; a photo restyled as another photo should not. The
smoothing step of FastPhotoStyle (Li et al. 2018) keeps the output's colours but forces them, window by window, to
be an affine function of the input's, so edges and textures come from the input:
- `guided`: the guided filter (He et al. 2010) of the output, guided by the input: linear in each window by
  construction, a few box filters per frame, fast enough for video.
- `exact`: the closed-form solve R = (1 - alpha) (I - alpha S)^-1 Y, with S the normalised matting affinity of the
  input (Levin et al. 2008) and Y the output; a sparse system of one row per pixel (scipy), for stills up to
  EXACT_MAX_PIXELS.
`matting_laplacian` is also the photorealism term of `optimize --photorealistic` (Luan et al. 2017).
"""

from __future__ import annotations

import numpy as np

from .errors import UserError, missing_dependency
from .guided import guided_upsample

METHODS = ("guided", "exact")
EXACT_MAX_PIXELS = 1_000_000  # about 30 s and 3 GB for the sparse solve; larger stills: use guided


def smooth(stylised: np.ndarray, content: np.ndarray, method: str) -> np.ndarray:
    """The smoothing `method` applied to uint8 BGR `stylised`, guided by uint8 BGR `content` of the same size."""
    if method not in METHODS:
        raise UserError(f"unknown photo smoothing {method!r}; choose one of: {', '.join(METHODS)}")
    if stylised.shape != content.shape:
        raise UserError(f"photo smoothing needs the output and its input at one size, got {stylised.shape} and "
                        f"{content.shape}")
    return smooth_guided(stylised, content) if method == "guided" else smooth_exact(stylised, content)


def smooth_guided(stylised: np.ndarray, content: np.ndarray, radius: int | None = None,
                  eps: float = 1e-2) -> np.ndarray:
    """Guided filter of `stylised` by the content's luminance; `radius` defaults to 1/60 of the shorter side."""
    radius = radius or max(2, round(min(content.shape[:2]) / 60))
    return guided_upsample(stylised, content, content, radius=radius, eps=eps)


def matting_laplacian(image: np.ndarray, eps: float = 1e-7, radius: int = 1):
    """The matting Laplacian L = D - W of Levin et al. (2008) of an HxWx3 image (floats in 0..1) over
    (2 radius + 1)^2 windows, as a scipy.sparse matrix of (H W) x (H W). Symmetric, rows summing to zero, and
    x^T L x = 0 (up to eps) for any x that is an affine function of the image's colours within each window."""
    affinity, degree = matting_affinity(image, eps, radius)
    return _scipy_sparse().diags(degree) - affinity


def matting_affinity(image: np.ndarray, eps: float = 1e-7, radius: int = 1):
    """(W, its row sums): W_ij = sum over the windows holding pixels i and j of
    (1 + (I_i - mu_k)^T (Sigma_k + eps / n Id)^-1 (I_j - mu_k)) / n, n pixels a window."""
    sparse = _scipy_sparse()
    h, w, c = image.shape
    size = 2 * radius + 1
    n = size * size
    if h < size or w < size:
        raise UserError(f"the matting Laplacian needs at least {size}x{size} pixels, got {w}x{h}")
    index = np.arange(h * w).reshape(h, w)
    windows = np.lib.stride_tricks.sliding_window_view(index, (size, size)).reshape(-1, n)  # (K, n)
    colours = image.reshape(-1, c)[windows]  # (K, n, 3)
    mean = colours.mean(axis=1, keepdims=True)
    centred = colours - mean
    covariance = np.einsum("kni,knj->kij", centred, centred) / n
    inverse = np.linalg.inv(covariance + (eps / n) * np.eye(c))
    values = (1 + np.einsum("kni,kij,kmj->knm", centred, inverse, centred)) / n  # (K, n, n): W's entries
    rows = np.repeat(windows, n, axis=1).ravel()
    cols = np.tile(windows, (1, n)).ravel()
    affinity = sparse.csr_matrix((values.ravel(), (rows, cols)), shape=(h * w, h * w))
    return affinity, np.asarray(affinity.sum(axis=1)).ravel()


def smooth_exact(stylised: np.ndarray, content: np.ndarray, alpha: float = 0.99) -> np.ndarray:
    """FastPhotoStyle's closed-form smoothing with the matting affinity of `content`."""
    h, w = content.shape[:2]
    if h * w > EXACT_MAX_PIXELS:
        raise UserError(f"exact photo smoothing solves one equation per pixel: {w}x{h} is over its limit of "
                        f"{EXACT_MAX_PIXELS:,} pixels; use --photo-smooth guided, or --max-size")
    sparse = _scipy_sparse()
    from scipy.sparse.linalg import spsolve

    affinity, degree = matting_affinity(content.astype(np.float64) / 255.0)
    inv_sqrt = sparse.diags(1.0 / np.sqrt(np.maximum(degree, 1e-12)))
    system = (sparse.identity(h * w) - alpha * (inv_sqrt @ affinity @ inv_sqrt)).tocsc()
    y = stylised.reshape(-1, 3).astype(np.float64) / 255.0
    solved = spsolve(system, (1 - alpha) * y)
    # (I - alpha S)^-1 scales a constant image by about 1 / (1 - alpha) times its own normalisation: rescale so a
    # flat output stays the same flat output
    ones = spsolve(system, (1 - alpha) * np.ones(h * w))
    out = solved / ones[:, None]
    return np.clip(out.reshape(h, w, 3) * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _scipy_sparse():
    try:
        import scipy.sparse as sparse
    except ModuleNotFoundError:
        raise missing_dependency("scipy (for exact photo smoothing and the matting Laplacian)", "scipy") from None
    return sparse
