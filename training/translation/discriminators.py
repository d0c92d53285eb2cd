"""PatchGAN discriminators: pix2pix's 70x70 one and pix2pixHD's multi-scale set.

A PatchGAN classifies each overlapping patch of the image as real or fake and is fully convolutional, so it
scores images of any size (Isola et al. 2017, section 3.2.2). Layers: 4x4 convolutions, `layers` of them with
stride 2 (64, 128, 256, ... channels, capped at 512), one more with stride 1, then a 4x4 convolution to one
channel; LeakyReLU 0.2; no norm on the first. With the default 3 the receptive field of one output is 70x70 pixels
(`receptive_field`). Instance norm, as pix2pixHD, rather than batch norm: the discriminators are trained with small
batches here. Conditional: it sees the input and the output (or the target) concatenated.
"""

from __future__ import annotations

import torch
from torch import nn

from .pix2pixhd import downsample


class PatchDiscriminator(nn.Module):
    def __init__(self, channels_in: int = 6, width: int = 64, layers: int = 3):
        super().__init__()
        blocks: list[nn.Module] = [nn.Sequential(nn.Conv2d(channels_in, width, 4, stride=2, padding=1),
                                                 nn.LeakyReLU(0.2, inplace=True))]
        previous = width
        for index in range(1, layers + 1):
            channels = min(width * 2 ** index, 512)
            blocks.append(nn.Sequential(nn.Conv2d(previous, channels, 4, stride=2 if index < layers else 1, padding=1),
                                        nn.InstanceNorm2d(channels), nn.LeakyReLU(0.2, inplace=True)))
            previous = channels
        blocks.append(nn.Conv2d(previous, 1, 4, stride=1, padding=1))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every block's output, the last being the patch scores (features for pix2pixHD's matching loss)."""
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features


def receptive_field(discriminator: PatchDiscriminator) -> int:
    """Side in pixels of the input patch one output score depends on."""
    field, jump = 1, 1
    for block in discriminator.blocks:
        conv = block if isinstance(block, nn.Conv2d) else block[0]
        field += (conv.kernel_size[0] - 1) * jump
        jump *= conv.stride[0]
    return field


class MultiscaleDiscriminator(nn.Module):
    """`scales` PatchGANs on the image at full, half, quarter, ... resolution (pix2pixHD: 3): the coarse ones judge
    global structure, the fine one detail, with the same patch size."""

    def __init__(self, channels_in: int = 6, width: int = 64, layers: int = 3, scales: int = 3):
        super().__init__()
        self.discriminators = nn.ModuleList(PatchDiscriminator(channels_in, width, layers) for _ in range(scales))

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        outputs = []
        for index, discriminator in enumerate(self.discriminators):
            if index:
                x = downsample(x)
            outputs.append(discriminator(x))
        return outputs
