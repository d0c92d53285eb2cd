"""LiteNet: stylecast's real-time CPU generator, about 4,000 multiply-accumulates per output pixel (TransformerNet
needs 154,000).

Where the cost goes: three stride-2 convs reach 1/8 resolution within 700 MACs per output pixel; the body is
depthwise-separable residual blocks at 1/8 resolution (64 channels: ~73 MACs per output pixel per conv); a light
decoder upsamples back with nearest-neighbour x2 + 3x3 convs, the last one producing 3 channels at full size.
Everything at full resolution is 3x3 with few channels, because full-resolution work dominates on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .generator import Generator
from .layers import ConvNormAct, SeparableResidualBlock, UpsampleConv


@dataclass
class LiteNetConfig:
    width: int = 16  # channels at 1/2 resolution; 2x at 1/4, 4x in the body at 1/8
    residual_blocks: int = 5


class LiteNet(Generator):
    stride = 8

    def __init__(self, config: LiteNetConfig = LiteNetConfig()):
        super().__init__()
        self.config = config
        w = config.width
        self.encoder = nn.Sequential(ConvNormAct(3, w, 3, stride=2), ConvNormAct(w, 2 * w, 3, stride=2),
                                     ConvNormAct(2 * w, 4 * w, 3, stride=2))
        self.residuals = nn.Sequential(*[SeparableResidualBlock(4 * w) for _ in range(config.residual_blocks)])
        self.decoder = nn.Sequential(UpsampleConv(4 * w, 2 * w), UpsampleConv(2 * w, w),
                                     nn.Upsample(scale_factor=2, mode="nearest"),
                                     ConvNormAct(w, 3, 3, norm=False, act=False))

    def body(self, x):
        return self.decoder(self.residuals(self.encoder(x)))
