"""The pix2pixHD generator (Wang et al. 2018): a global generator, and a local enhancer that refines it at twice
its resolution (coarse to fine).

Global generator G1: a 7x7 convolution, `downsamplings` stride-2 convolutions, residual blocks, as many upsampling
steps, a 7x7 convolution to RGB. With the local enhancer G2, G1 runs on the input downsampled by two and its last
features (before the RGB convolution) are added to G2's own half-resolution features; G2's residual blocks and one
upsampling step bring them to full resolution. The paper trains G1 first and then both; this trainer trains both
from the start (`GanSettings` stores how).

As for the U-Net (unet.py): instance norm without running statistics, no dropout, nearest upsampling + 3x3
convolutions instead of transposed ones, reflection padding, any input size. The paper's widths are 64 (G1) and 32
(G2) with 4 downsamplings and 9 + 3 residual blocks; the defaults here are a quarter of that width and fewer blocks,
a size that trains on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..generator import Generator
from ..layers import ConvNormAct, ResidualBlock, UpsampleConv
from .unet import luminance


@dataclass
class Pix2PixHDConfig:
    width: int = 16  # the global generator's first layer (64 in the paper); the local enhancer has half
    downsamplings: int = 3  # in the global generator (4 in the paper)
    residual_blocks: int = 4  # in the global generator (9 in the paper)
    local_enhancer: bool = True  # G2 at full resolution around G1 at half
    local_residual_blocks: int = 2  # (3 in the paper)
    grayscale_input: bool = False  # as UNetConfig's

    def __post_init__(self):
        if self.width < 2 or self.downsamplings < 1 or self.residual_blocks < 0 or self.local_residual_blocks < 0:
            raise ValueError("width must be at least 2, downsamplings at least 1, residual blocks at least 0")


def downsample(x: torch.Tensor) -> torch.Tensor:
    """The paper's input pyramid: 3x3 average pooling, stride 2, padding not counted."""
    return F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)


class GlobalGenerator(nn.Module):
    def __init__(self, channels_in: int, width: int, downsamplings: int, residual_blocks: int):
        super().__init__()
        layers: list[nn.Module] = [ConvNormAct(channels_in, width, 7)]
        for level in range(downsamplings):
            layers.append(ConvNormAct(width * 2 ** level, width * 2 ** (level + 1), 3, stride=2))
        deepest = width * 2 ** downsamplings
        layers += [ResidualBlock(deepest) for _ in range(residual_blocks)]
        for level in range(downsamplings, 0, -1):
            layers.append(UpsampleConv(width * 2 ** level, width * 2 ** (level - 1)))
        self.features = nn.Sequential(*layers)
        self.to_rgb = ConvNormAct(width, 3, 7, norm=False, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_rgb(self.features(x))


class Pix2PixHD(Generator):
    def __init__(self, config: Pix2PixHDConfig = Pix2PixHDConfig()):
        super().__init__()
        self.config = config
        channels_in = 1 if config.grayscale_input else 3
        self.stride = 2 ** (config.downsamplings + (1 if config.local_enhancer else 0))
        self.global_generator = GlobalGenerator(channels_in, config.width, config.downsamplings,
                                                config.residual_blocks)
        if config.local_enhancer:
            half = config.width // 2
            self.local_front = nn.Sequential(ConvNormAct(channels_in, half, 7),
                                             ConvNormAct(half, config.width, 3, stride=2))
            self.local_back = nn.Sequential(*[ResidualBlock(config.width) for _ in range(config.local_residual_blocks)],
                                            UpsampleConv(config.width, half),
                                            ConvNormAct(half, 3, 7, norm=False, act=False))

    def body(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.grayscale_input:
            x = luminance(x)
        if not self.config.local_enhancer:
            return self.global_generator(x)
        coarse = self.global_generator.features(downsample(x))
        return self.local_back(self.local_front(x) + coarse)
