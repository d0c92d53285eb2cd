"""Perceptual loss terms over VGG features, each a small function with its formula and source.

Shapes: features are (B, C, H, W); an image is (B, 3, H, W) RGB in 0..1. Every term returns a scalar averaged over
the batch, so losses of different resolutions and batch sizes are comparable.

Normalisation: each feature term is a mean squared error divided by the mean square of its target ("relative
error"). VGG19's layers differ by orders of magnitude in activation size (Gram entries average about 11 at
relu1_1, 735 at relu4_1 and 2 at relu5_1 on a photo), so plain errors would let one layer drown the others and
tie every weight to the layers chosen; relative errors make equal layer weights mean equal influence and keep
the weights' meaning when the layers change.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

HISTOGRAM_BINS = 256


EPS = 1e-8


def _relative_mse(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(value, target.expand_as(value)) / (target.square().mean() + EPS)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Feature reconstruction loss (Gatys et al. 2016, eq. 1; Johnson et al. 2016):
    mean over B, C, H, W of (F - F_c)^2, divided by the mean of F_c^2."""
    return _relative_mse(features, target)


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix normalised by the number of entries (Johnson et al. 2016, eq. 3): G = F F^T / (C H W).

    Normalising by C*H*W makes G independent of image size, so a target computed on a style image of one size
    applies to outputs of any size. Returns (B, C, C).
    """
    b, c, h, w = features.shape
    flat = features.float().reshape(b, c, h * w)  # float32 even under autocast: sums of h*w products
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


def layer_mask(mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The (1, 1, H, W) mask at a layer's resolution: the share of each feature cell the mask covers, thresholded
    at a half (at least the cell that covers most of it, so a small object keeps a position at deep layers)."""
    share = F.adaptive_avg_pool2d(mask, features.shape[-2:])
    binary = (share >= 0.5).to(features.dtype)
    if binary.sum() == 0:
        binary = (share == share.max()).to(features.dtype)
    return binary


def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Gram matrix of the feature vectors where `mask` (1, 1, H, W, binary, the layer's size) is 1, normalised by
    channels times masked positions: equal to gram_matrix of those vectors alone. Returns (B, C, C)."""
    b, c = features.shape[:2]
    flat = (features.float() * mask).reshape(b, c, -1)
    count = mask.sum().clamp(min=1)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * count)


def style_loss(gram: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Gram style loss (Gatys et al. 2016, eq. 4 up to constants): mean over B, C, C of (G - G_s)^2,
    divided by the mean of G_s^2."""
    return _relative_mse(gram, target_gram)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Squared total variation (Mahendran & Vedaldi 2015, beta = 2): the mean squared difference between
    vertical neighbours plus the mean squared difference between horizontal neighbours."""
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    return dy.square().mean() + dx.square().mean()


def mean_std(features: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and (biased) standard deviation over H, W: each (B, C)."""
    flat = features.flatten(2)
    mean = flat.mean(dim=2)
    std = (flat.var(dim=2, unbiased=False) + eps).sqrt()
    return mean, std


def stats_loss(features: torch.Tensor, target_mean: torch.Tensor, target_std: torch.Tensor) -> torch.Tensor:
    """Mean/std feature statistics loss (Huang & Belongie 2017, AdaIN eq. 11; Li et al. 2017):
    [mean over B, C of (mu - mu_s)^2 + mean over B, C of (sigma - sigma_s)^2] / [mean of mu_s^2 + sigma_s^2]."""
    mean, std = mean_std(features)
    error = F.mse_loss(mean, target_mean.expand_as(mean)) + F.mse_loss(std, target_std.expand_as(std))
    return error / (target_mean.square().mean() + target_std.square().mean() + EPS)


def channel_quantiles(features: torch.Tensor, bins: int = HISTOGRAM_BINS) -> torch.Tensor:
    """Each channel's sorted activations resampled to `bins` evenly spaced quantiles, pooled over the batch.

    This is the histogram target of the histogram loss: a (C, bins) table of the style's quantile function.
    """
    c = features.shape[1]
    flat = features.transpose(0, 1).reshape(c, -1)
    ordered = flat.sort(dim=1).values
    return F.interpolate(ordered[:, None, :], size=bins, mode="linear", align_corners=True)[:, 0, :]


def histogram_match(features: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Remap each channel of each sample so its values follow the target quantile function, keeping their order
    (exact histogram matching by sorting)."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    order = flat.argsort(dim=2)
    targets = F.interpolate(quantiles[:, None, :], size=h * w, mode="linear", align_corners=True)[:, 0, :]
    matched = torch.empty_like(flat).scatter_(2, order, targets.unsqueeze(0).expand(b, c, h * w).to(flat.dtype))
    return matched.reshape(b, c, h, w)


def histogram_loss(features: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Histogram loss (Risser et al. 2017, eq. 5): mean of (F - R(F))^2 divided by the mean of R(F)^2, where R(F)
    is F histogram-matched to the style's per-channel histogram and treated as a constant. It fixes the
    instabilities Gram matrices leave (the same Gram for different means and variances)."""
    with torch.no_grad():
        remapped = histogram_match(features, quantiles)
    return _relative_mse(features, remapped)
