"""Ulyanov et al. 2016, "Texture networks" (with the instance normalisation of Ulyanov et al. 2016b).

A multi-scale generator: at each of `scales` resolutions (1, 1/2, ..., 1/2^(scales-1)) the input image, average-
pooled to that resolution, is concatenated with uniform noise and passed through a 3x3-3x3-1x1 conv block; from
the coarsest scale up, each result is upsampled and joined (concatenated) with the next finer one. With
`use_content=False` the image is ignored except for its size: texture synthesis from noise alone.

Noise: in training mode fresh uniform noise is drawn for every call. In eval mode a fixed noise pattern (seeded,
NOISE_TILE pixels square, tiled over the image) is used instead, so inference is deterministic: a video frame
that does not change gives the same output (no flicker from resampled noise), and the exported ONNX graph can be
checked against PyTorch value for value.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .generator import Generator
from .layers import ConvNormAct, instance_norm

NOISE_TILE = 64


@dataclass
class TextureNetConfig:
    scales: int = 5
    channels: int = 8  # per scale; the joined path grows by this much at each finer scale
    noise_channels: int = 3
    use_content: bool = True


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(ConvNormAct(cin, cout, 3), ConvNormAct(cout, cout, 3), ConvNormAct(cout, cout, 1))


class TextureNet(Generator):
    def __init__(self, config: TextureNetConfig = TextureNetConfig()):
        super().__init__()
        self.config = config
        self.stride = 2 ** (config.scales - 1)
        c, k = config.channels, config.scales
        cin = (3 if config.use_content else 0) + config.noise_channels
        self.inputs = nn.ModuleList([_block(cin, c) for _ in range(k)])  # index 0 = finest
        # Joining at scale s (from coarse to fine) combines the upsampled path (c * (k - 1 - s) channels) with the
        # scale's own branch (c channels).
        self.join_norms = nn.ModuleList([instance_norm(c * (k - 1 - s)) for s in range(k - 1)])
        self.branch_norms = nn.ModuleList([instance_norm(c) for _ in range(k - 1)])
        self.joins = nn.ModuleList([_block(c * (k - s), c * (k - s)) for s in range(k - 1)])
        self.head = nn.Conv2d(c * k, 3, 1)
        seeded = torch.Generator().manual_seed(0)
        pattern = torch.rand(1, config.noise_channels, NOISE_TILE, NOISE_TILE, generator=seeded)
        self.register_buffer("noise_tile", pattern, persistent=False)

    def _branch_input(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        image = F.avg_pool2d(x, 2 ** scale) if scale else x
        template = image[:, :1].expand(-1, self.config.noise_channels, -1, -1)
        if self.training:
            noise = torch.rand_like(template)
        else:
            h, w = image.shape[-2], image.shape[-1]
            tiled = self.noise_tile.repeat(1, 1, (h + NOISE_TILE - 1) // NOISE_TILE, (w + NOISE_TILE - 1) // NOISE_TILE)
            noise = tiled[:, :, :h, :w].to(image.dtype).expand_as(template)
        return torch.cat([image, noise], 1) if self.config.use_content else noise

    def body(self, x):
        k = self.config.scales
        path = self.inputs[k - 1](self._branch_input(x, k - 1))
        for s in range(k - 2, -1, -1):
            branch = self.inputs[s](self._branch_input(x, s))
            upsampled = F.interpolate(path, scale_factor=2, mode="nearest")
            path = self.joins[s](torch.cat([self.join_norms[s](upsampled), self.branch_norms[s](branch)], 1))
        return self.head(path)
