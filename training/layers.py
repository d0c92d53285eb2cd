"""Building blocks shared by the generators: reflection-padded convs, instance norm, residual blocks and
nearest-upsample convs (no transposed convs, so no checkerboard artefacts; Odena et al. 2016)."""

from __future__ import annotations

from torch import nn


def instance_norm(channels: int) -> nn.InstanceNorm2d:
    """Affine instance norm without running statistics: each image is normalised by its own statistics at
    training and at inference alike (Ulyanov et al. 2016), which is what makes the output contrast-independent."""
    return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)


class ConvNormAct(nn.Sequential):
    """Reflection pad -> conv -> instance norm -> ReLU (norm and activation optional)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, norm: bool = True,
                 act: bool = True):
        layers: list[nn.Module] = []
        if kernel > 1:
            layers.append(nn.ReflectionPad2d(kernel // 2))
        layers.append(nn.Conv2d(cin, cout, kernel, stride=stride, groups=groups, bias=not norm))
        if norm:
            layers.append(instance_norm(cout))
        if act:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class ResidualBlock(nn.Module):
    """Two 3x3 convs with instance norm and an identity skip (He et al. 2016; Johnson et al. 2016, fig. 1 of
    the supplement, with padding so the spatial size is kept)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(ConvNormAct(channels, channels, 3), ConvNormAct(channels, channels, 3, act=False))

    def forward(self, x):
        return x + self.body(x)


class SeparableResidualBlock(nn.Module):
    """Depthwise-separable residual block: (depthwise 3x3 -> pointwise 1x1 with norm) twice, identity skip.
    About 9C + C^2 multiply-accumulates per pixel and conv instead of 9C^2."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(channels, channels, 3, groups=channels, norm=False, act=False),
            ConvNormAct(channels, channels, 1),
            ConvNormAct(channels, channels, 3, groups=channels, norm=False, act=False),
            ConvNormAct(channels, channels, 1, act=False),
        )

    def forward(self, x):
        return x + self.body(x)


class UpsampleConv(nn.Sequential):
    """Nearest-neighbour x2 upsampling, then a conv block."""

    def __init__(self, cin: int, cout: int, kernel: int = 3):
        super().__init__(nn.Upsample(scale_factor=2, mode="nearest"), ConvNormAct(cin, cout, kernel))
