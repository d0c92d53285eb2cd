"""What every generator shares: any input size (pad to the stride, crop back) and a 0..1 output.

Input and output are (B, 3, H, W) RGB in 0..1. A generator's body downsamples by `stride`; inputs whose sides are
not a multiple of it are padded up to one (and to at least two strides, so that the coarsest feature map can
still be reflection-padded) and the output cropped back, so every size works, in PyTorch and in the exported
graph alike.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Generator(nn.Module):
    stride: int = 1

    def body(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        pad_h, pad_w = padding(height, self.stride), padding(width, self.stride)
        if pad_h or pad_w:
            x = _pad_to(x, pad_h, pad_w)
        y = self.body(x)
        # Scaled tanh (Johnson et al. 2016): a bounded output, so the loss sees exactly the image that is shown.
        y = (torch.tanh(y) + 1.0) * 0.5
        return y[..., :height, :width]


def padding(side: int, stride: int) -> int:
    """Pixels to add to a side: up to a multiple of the stride and to at least two strides."""
    return max(side + (-side) % stride, 2 * stride) - side


def _pad_to(x: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Reflection padding at the bottom and right; replicate padding where the image is too small to reflect."""
    height, width = x.shape[-2:]
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
