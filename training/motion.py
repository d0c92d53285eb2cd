"""Synthetic video from still photos, for the temporal loss (Ruder et al. 2016; ReCoNet, Gao et al. 2018).

A second "frame" is the photo moved by a small random affine motion (shift, rotation, zoom) plus sensor-like
noise. Because the motion is known exactly, the stylised first frame can be warped onto the second without any
optical flow estimate, and the difference between the two stylisations is flicker the network can unlearn.
Pixels that the motion brings in from outside the image have no counterpart and are masked out.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(batch: int, size: int, max_shift: float, max_degrees: float = 1.0, max_zoom: float = 0.02,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """(batch, 2, 3) matrices for `F.affine_grid`: shifts up to `max_shift` pixels of a `size`-pixel image, small
    rotations and zooms, as between two neighbouring video frames."""
    uniform = torch.rand(batch, 4, device=device) * 2 - 1
    angle = uniform[:, 0] * math.radians(max_degrees)
    zoom = 1 + uniform[:, 1] * max_zoom
    shift = uniform[:, 2:] * (2 * max_shift / size)  # affine_grid's coordinates span 2 units across the image
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def warp(images: torch.Tensor, theta: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images moved by `theta` (None: unchanged), and the mask of pixels that came from inside the image."""
    if theta is None:
        return images, torch.ones_like(images[:, :1])
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    moved = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    inside = F.grid_sample(torch.ones_like(images[:, :1]), grid, mode="bilinear", padding_mode="zeros",
                           align_corners=False)
    return moved, (inside > 0.999).to(images.dtype)


def next_frame(images: torch.Tensor, theta: torch.Tensor | None, noise_std: float) -> torch.Tensor:
    """The synthetic next frame: moved (where theta is given), with Gaussian noise, kept in 0..1."""
    moved, _ = warp(images, theta)
    return (moved + noise_std * torch.randn_like(moved)).clamp(0, 1)


def temporal_loss(first_out: torch.Tensor, second_out: torch.Tensor, theta: torch.Tensor | None) -> torch.Tensor:
    """Mean squared difference between the second frame's stylisation and the first's moved along the known
    motion, over the pixels the motion keeps inside the image. With theta None it is the noise-robustness term:
    plain mean squared difference of the two outputs."""
    expected, mask = warp(first_out, theta)
    squared = (second_out - expected) ** 2 * mask
    return squared.sum() / (mask.sum() * first_out.shape[1]).clamp_min(1.0)
