"""The pix2pix U-Net generator (Isola et al. 2017), made exportable and real-time.

An encoder of stride-2 convolutions down to 1/2**depth, residual blocks there, and a decoder that upsamples and
concatenates the encoder's feature map of the same resolution (the skip connections that carry the input's fine
structure across), back to full resolution, where the input itself joins the last convolution.

What differs from the paper's code, on purpose:
- no dropout and no batch statistics at test time: the paper keeps both on when generating (its noise source);
  here instance norm normalises each image by its own statistics in training and inference alike, so the exported
  model behaves exactly as trained and is deterministic;
- nearest-neighbour upsampling + 3x3 convolution instead of transposed convolutions (no checkerboard, Odena et al.
  2016); 3x3 stride-2 convolutions instead of 4x4 ones, so the padding is symmetric;
- any input size: padded to the network's stride and cropped back (generator.py).

The default settings are a real-time size (about 10,000 MACs per output pixel, against about 19 million for the
paper's 256x256 U-Net with 64 base channels); `width=64, depth=8, max_width=512` is the paper's layout.

`grayscale_input` makes a colourisation model: the network sees only the input's luminance (Rec. 601), so a user
hands it the ordinary BGR frame, colour or not, and the conversion happens inside the exported graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..generator import Generator
from ..layers import ConvNormAct, ResidualBlock

LUMA = (0.299, 0.587, 0.114)  # Rec. 601 weights of R, G, B


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB -> (B, 1, H, W) luminance."""
    weights = torch.tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


@dataclass
class UNetConfig:
    width: int = 16  # channels at 1/2 resolution; doubled at each level down to max_width
    depth: int = 5  # stride-2 levels: the bottleneck works at 1/2**depth of the resolution
    max_width: int = 128
    residual_blocks: int = 2  # at the bottleneck
    grayscale_input: bool = False  # colourisation: the network sees the input's luminance only

    def __post_init__(self):
        if self.width < 1 or self.depth < 1 or self.max_width < 1 or self.residual_blocks < 0:
            raise ValueError("width, depth and max_width must be at least 1, residual_blocks at least 0")


class UNet(Generator):
    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = config
        self.stride = 2 ** config.depth
        channels_in = 1 if config.grayscale_input else 3
        widths = [min(config.width * 2 ** level, config.max_width) for level in range(config.depth)]
        self.down = nn.ModuleList()
        previous = channels_in
        for level, width in enumerate(widths):
            self.down.append(ConvNormAct(previous, width, 3, stride=2, norm=level > 0))
            previous = width
        self.middle = nn.Sequential(*[ResidualBlock(widths[-1]) for _ in range(config.residual_blocks)])
        self.up = nn.ModuleList(
            ConvNormAct(widths[level] + widths[level - 1], widths[level - 1], 3)
            for level in range(config.depth - 1, 0, -1))
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.last = nn.Sequential(ConvNormAct(widths[0] + channels_in, widths[0], 3),
                                  ConvNormAct(widths[0], 3, 3, norm=False, act=False))

    def body(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.grayscale_input:
            x = luminance(x)
        skips = []
        y = x
        for layer in self.down:
            y = layer(y)
            skips.append(y)
        y = self.middle(skips.pop())
        for layer in self.up:
            y = layer(torch.cat([self.upsample(y), skips.pop()], dim=1))
        return self.last(torch.cat([self.upsample(y), x], dim=1))
