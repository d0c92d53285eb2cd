"""CycleGAN's ResNet generator (Zhu et al. 2017, after Johnson et al. 2016): a 7x7 convolution, stride-2
convolutions down to 1/2**downsamplings, residual blocks, as many upsampling steps, a 7x7 convolution to RGB;
reflection padding and instance norm throughout. The paper's (width 64, 2 downsamplings, 9 blocks at 256 px) is about
750,000 multiply-accumulates per output pixel, far from real time on a CPU; the default here is that layout, at
867,000 (a 3x3 convolution after nearest upsampling costs more than the paper's stride-2 transposed one).
CycleGAN's real-time variant in stylecast is the LiteNet (`--arch lite`, about 4,000 MACs per pixel).

As everywhere in stylecast: nearest-neighbour upsampling + 3x3 convolution instead of the paper's transposed
convolutions (no checkerboard), no dropout, and any input size (generator.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..generator import Generator
from ..layers import ConvNormAct, ResidualBlock, UpsampleConv


@dataclass
class ResnetGeneratorConfig:
    width: int = 64
    downsamplings: int = 2
    residual_blocks: int = 9  # the paper: 9 at 256 px, 6 at 128 px

    def __post_init__(self):
        if self.width < 1 or self.downsamplings < 0 or self.residual_blocks < 0:
            raise ValueError("width must be at least 1; downsamplings and residual_blocks at least 0")


class ResnetGenerator(Generator):
    def __init__(self, config: ResnetGeneratorConfig = ResnetGeneratorConfig()):
        super().__init__()
        self.config = config
        self.stride = 2 ** config.downsamplings
        w, n = config.width, config.downsamplings
        layers: list[nn.Module] = [ConvNormAct(3, w, 7)]
        layers += [ConvNormAct(w * 2 ** i, w * 2 ** (i + 1), 3, stride=2) for i in range(n)]
        layers += [ResidualBlock(w * 2 ** n) for _ in range(config.residual_blocks)]
        layers += [UpsampleConv(w * 2 ** i, w * 2 ** (i - 1)) for i in range(n, 0, -1)]
        layers.append(ConvNormAct(w, 3, 7, norm=False, act=False))
        self.layers = nn.Sequential(*layers)

    def body(self, x):
        return self.layers(x)
