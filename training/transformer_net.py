"""Johnson et al. 2016, "Perceptual losses for real-time style transfer": TransformerNet.

9x9 conv, two stride-2 convs, residual blocks at 1/4 resolution, two nearest-upsample convs, 9x9 conv. With the
default width of 32 and 5 residual blocks it costs 153,792 multiply-accumulates per output pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .generator import Generator
from .layers import ConvNormAct, ResidualBlock, UpsampleConv


@dataclass
class TransformerNetConfig:
    width: int = 32  # channels of the first conv; the body has 4x as many
    residual_blocks: int = 5


class TransformerNet(Generator):
    stride = 4

    def __init__(self, config: TransformerNetConfig = TransformerNetConfig()):
        super().__init__()
        self.config = config
        w = config.width
        self.encoder = nn.Sequential(ConvNormAct(3, w, 9), ConvNormAct(w, 2 * w, 3, stride=2),
                                     ConvNormAct(2 * w, 4 * w, 3, stride=2))
        self.residuals = nn.Sequential(*[ResidualBlock(4 * w) for _ in range(config.residual_blocks)])
        self.decoder = nn.Sequential(UpsampleConv(4 * w, 2 * w), UpsampleConv(2 * w, w),
                                     ConvNormAct(w, 3, 9, norm=False, act=False))

    def body(self, x):
        return self.decoder(self.residuals(self.encoder(x)))
