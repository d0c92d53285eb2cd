"""Model size figures for model cards: parameters and multiply-accumulates per output pixel.

MACs count convolutions only (norms, activations, upsampling and padding are a few operations per value and
do not change the comparison), measured by running the model once at a size that is a multiple of its stride.
The figure is per pixel of a large image: the model runs in training mode, without the reflected context that
inference adds at the image's edges (generator.py), whose cost depends on the image size (+25% at 640x480).
"""

from __future__ import annotations

import torch
from torch import nn


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def macs_per_pixel(model: nn.Module, size: int = 256) -> float:
    total = 0

    def count(module: nn.Conv2d, _inputs, output: torch.Tensor):
        nonlocal total
        kh, kw = module.kernel_size
        total += output[0].numel() * (module.in_channels // module.groups) * kh * kw

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        was_training = model.training
        model.train()  # no edge context (see above); no layer here behaves differently in training mode
        model(torch.zeros(1, 3, size, size))
        model.train(was_training)
    finally:
        for hook in hooks:
            hook.remove()
    return total / (size * size)
