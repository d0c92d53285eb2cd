"""What every generator shares: any input size (pad to the stride, crop back), context beyond the image's edges at
inference, and a 0..1 output.

Input and output are (B, 3, H, W) RGB in 0..1. A generator's body downsamples by `stride`; inputs whose sides are
not a multiple of it are padded up to one (and to at least two strides, so that the coarsest feature map can
still be reflection-padded inside the body) and the output cropped back, so every size works, in PyTorch and in
the exported graph alike.

At inference (eval mode) the image is first extended by EDGE_CONTEXT pixels of reflection on every side. Trained
on crops, a generator whose body works at 1/8 resolution learns to paint something of its own where that body
meets the image's edge (starry_night-lite painted a row of yellow half-discs along the bottom of every image of
512 px and more); with the context, the edge the body sees lies outside the cropped output, and the visible border
is painted as a mirrored continuation of the image, as it is inside. `tests/test_border.py` measures it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


EDGE_CONTEXT = 32  # pixels of reflection on each side at inference: 4 cells of a stride-8 body (+25% work at 640x480)


class Generator(nn.Module):
    stride: int = 1

    def body(self, x: torch.Tensor, *condition: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x: torch.Tensor, *condition: torch.Tensor, with_preactivation: bool = False):
        """The image; with `with_preactivation`, also the values before the tanh (for `saturation`).
        `condition`: what a conditional generator takes besides the image (the arbitrary-style network's style
        vector); plain generators take none."""
        # Branch-free on purpose: the same code exports to ONNX with symbolic height and width.
        height, width = x.shape[-2], x.shape[-1]
        top = left = 0
        if not self.training:  # reflection needs fewer pixels than the side has: tiny images get what they have
            top, left = torch.sym_min(EDGE_CONTEXT, height - 1), torch.sym_min(EDGE_CONTEXT, width - 1)
            x = F.pad(x, (left, left, top, top), mode="reflect")
        padded_h, padded_w = x.shape[-2], x.shape[-1]
        x = F.pad(x, (0, padding(padded_w, self.stride), 0, padding(padded_h, self.stride)), mode="replicate")
        z = self.body(x, *condition)[..., top:top + height, left:left + width]
        # Scaled tanh (Johnson et al. 2016): a bounded output, so the loss sees exactly the image that is shown.
        y = (torch.tanh(z) + 1.0) * 0.5
        return (y, z) if with_preactivation else y


SATURATION_BOUND = 3.0  # tanh(3) = 0.995: the bound still reaches 0 and 255 within one grey level


def saturation(preactivation: torch.Tensor, bound: float = SATURATION_BOUND) -> torch.Tensor:
    """Mean squared excess of the pre-tanh values beyond +-bound.

    Deep in the tanh's flat tails the gradient vanishes (tanh'(10) = 8e-9), so a region that drifts there during
    training is out of reach of every other loss and stays flat white or black (the shipped TransformerNets'
    bright blobs had pre-tanh values of 24-100). This term is zero wherever the output is in the live range and
    pulls saturated regions back, where the content and style losses act on them again; it does not by itself
    keep blobs from forming (README, "Shipped models")."""
    return F.relu(preactivation.float().abs() - bound).square().mean()


def padding(side, stride: int):
    """Pixels to add to a side: up to a multiple of the stride and to at least two strides (works on ints and
    on symbolic sizes during export). Replicate padding: these pixels are cropped away again, and unlike
    reflection it works for any input size."""
    # Only non-negative integer arithmetic: TensorRT's shape analysis rejects graphs whose sizes could go negative.
    return torch.sym_max((side + stride - 1) // stride * stride, 2 * stride) - side
