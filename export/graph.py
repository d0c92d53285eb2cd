"""The graph that gets exported: a generator plus its input/output conversions, so the runtime does no
per-pixel work in Python.

Layouts:
- bgr8: uint8 (N, H, W, 3) BGR in 0..255 in and out, exactly what OpenCV reads and writes; the cast, transpose,
  channel flip, scaling, rounding and clamping happen inside the graph. Casts come first on the way in and last
  on the way out, because TensorRT does not transpose uint8 tensors.
- rgb_float: float32 (N, 3, H, W) RGB in 0..1 in and out.

Precision fp16 runs the generator in half precision except instance normalisation, whose mean and variance
reductions overflow or lose all precision in fp16 (the known cause of garbage fp16 style transfer outputs); those
layers compute in fp32 between explicit casts, which also makes the ONNX "strongly typed" for TensorRT-RTX.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from stylecast.runtime.model_metadata import LAYOUTS


class Float32InstanceNorm(nn.Module):
    """Instance norm computed in fp32 inside an fp16 network."""

    def __init__(self, norm: nn.InstanceNorm2d):
        super().__init__()
        self.eps = norm.eps
        self.weight = nn.Parameter(norm.weight.detach().float().clone(), requires_grad=False)
        self.bias = nn.Parameter(norm.bias.detach().float().clone(), requires_grad=False)

    def forward(self, x):
        return F.instance_norm(x.float(), weight=self.weight, bias=self.bias, eps=self.eps).to(x.dtype)


def half_precision(generator: nn.Module) -> nn.Module:
    """A copy of the generator in fp16 with every instance norm kept in fp32."""
    model = copy.deepcopy(generator).half()
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.InstanceNorm2d):
                setattr(module, child_name, Float32InstanceNorm(child))
    return model


class ExportGraph(nn.Module):
    def __init__(self, generator: nn.Module, layout: str = "bgr8", dtype: torch.dtype = torch.float32):
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}")
        self.generator, self.layout, self.dtype = generator, layout, dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == "bgr8":
            x = x.to(self.dtype).permute(0, 3, 1, 2).flip(1) / 255.0
        else:
            x = x.to(self.dtype)
        y = self.generator(x)
        if self.layout == "bgr8":
            return (y.float().flip(1) * 255.0).round().clamp(0.0, 255.0).permute(0, 2, 3, 1).to(torch.uint8)
        return y.float()


def example_input(layout: str, batch: int = 1, height: int = 64, width: int = 96, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    if layout == "bgr8":
        return torch.randint(0, 256, (batch, height, width, 3), dtype=torch.uint8, generator=generator)
    return torch.rand(batch, 3, height, width, generator=generator)
