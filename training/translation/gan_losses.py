"""The losses of the translation GANs, each a small function over the discriminators' outputs.

- `adversarial`: the conditional GAN loss, vanilla (binary cross-entropy on logits, Goodfellow et al. 2014, as
  pix2pix) or least squares (Mao et al. 2017, as pix2pixHD and CycleGAN), averaged over patches and over scales.
- `feature_matching`: pix2pixHD's discriminator feature matching: L1 between the discriminator's intermediate
  features of the real and of the generated pair, every layer but the scores, weighted 1/layers and 1/scales.
- `VGGFeatureLoss`: pix2pixHD's perceptual term: L1 between VGG19 features of output and target at relu1_1 ...
  relu5_1, weighted 1/32, 1/16, 1/8, 1/4, 1 (the project's VGG19, no new weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..vgg import VGG19Features

VGG_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
VGG_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


def adversarial(outputs: list[list[torch.Tensor]], real: bool, least_squares: bool) -> torch.Tensor:
    """Mean over scales of the patch-averaged GAN loss of the score maps (the last entry of each scale's list)."""
    losses = []
    for features in outputs:
        scores = features[-1].float()
        target = torch.ones_like(scores) if real else torch.zeros_like(scores)
        losses.append(F.mse_loss(scores, target) if least_squares
                      else F.binary_cross_entropy_with_logits(scores, target))
    return torch.stack(losses).mean()


def feature_matching(fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]) -> torch.Tensor:
    total = fake[0][0].new_zeros((), dtype=torch.float32)
    for fake_scale, real_scale in zip(fake, real):
        layers = len(fake_scale) - 1
        for fake_features, real_features in zip(fake_scale[:-1], real_scale[:-1]):
            total = total + F.l1_loss(fake_features.float(), real_features.detach().float()) / layers
    return total / len(fake)


class VGGFeatureLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = VGG19Features(VGG_LAYERS)

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        both = self.encoder(torch.cat([output, target]).float())
        total = output.new_zeros((), dtype=torch.float32)
        for layer, weight in zip(VGG_LAYERS, VGG_WEIGHTS):
            mine, theirs = both[layer].chunk(2)
            total = total + weight * F.l1_loss(mine, theirs.detach())
        return total
