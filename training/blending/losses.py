"""The loss terms blending adds to the perceptual ones: a Poisson gradient term and style statistics over a mask.

- Poisson gradient loss (Zhang, Wen and Shi 2020, eq. 2): the Laplacian of the blended image against a guidance
  field made of the object's Laplacian inside the mask and the background's outside, so the object keeps its own
  detail and the seam carries no step of its own.
- Masked Gram matrix: the Gram matrix of the feature vectors at the mask's pixels only (the mask resized to the
  layer), so a pasted region's style is compared with the painting's without the rest of the picture.
- Patch matching (Luan et al. 2018): each masked position of a layer takes the painting's feature vector whose
  3x3 neighbourhood is most similar (cosine) to its own; the matched vectors are the style target of the region.
  Matching runs at one reference layer and the mapping is carried to the others (Luan et al.'s consistent mapping).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import EPS, _relative_mse, layer_mask, masked_gram  # noqa: F401 - re-exported

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def laplacian(image: torch.Tensor) -> torch.Tensor:
    """The 4-neighbour Laplacian of each channel of (B, C, H, W), with replicated borders."""
    c = image.shape[1]
    kernel = LAPLACIAN.to(image)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(F.pad(image, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)


def poisson_guidance(source: torch.Tensor, background: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The target Laplacian: the source's inside the mask (1, 1, H, W), the background's outside."""
    return laplacian(source) * mask + laplacian(background) * (1 - mask)


def poisson_gradient_loss(blended: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
    """Mean over channels and pixels of (Laplacian(blended) - guidance)^2."""
    return (laplacian(blended) - guidance).square().mean()


def gram_of_vectors(vectors: torch.Tensor) -> torch.Tensor:
    """(C, N) feature vectors -> (1, C, C) Gram matrix normalised by C * N."""
    c, n = vectors.shape
    return (vectors.float() @ vectors.float().T / (c * max(n, 1)))[None]


def match_patches(features: torch.Tensor, style: torch.Tensor, mask: torch.Tensor,
                  chunk: int = 1024) -> torch.Tensor:
    """For each masked position of `features` (1, C, H, W), the flat index into `style` (1, C, Hs, Ws) of the
    position whose 3x3 patch is nearest by cosine similarity. Returns (N,) long, in the order of mask.nonzero."""
    def patches(x):
        unfolded = F.unfold(x.float(), 3, padding=1)[0]  # (C*9, H*W)
        return unfolded / (unfolded.norm(dim=0, keepdim=True) + EPS)

    ours = patches(features)[:, mask.flatten().bool()]
    theirs = patches(style)
    best = [(theirs.T @ ours[:, i:i + chunk]).argmax(dim=0) for i in range(0, ours.shape[1], chunk)]
    return torch.cat(best) if best else torch.zeros(0, dtype=torch.long)


def carry_mapping(indices: torch.Tensor, mask_ref: torch.Tensor, ref_size: tuple[int, int],
                  style_ref_size: tuple[int, int], mask: torch.Tensor, size: tuple[int, int],
                  style_size: tuple[int, int]) -> torch.Tensor:
    """A reference layer's matches carried to another layer: a masked position there takes the style position
    that its reference cell's match points to, offset within the cell as it is offset itself."""
    full = torch.full((ref_size[0] * ref_size[1],), -1, dtype=torch.long)
    full[mask_ref.flatten().bool()] = indices
    ys, xs = mask.flatten().bool().reshape(size).nonzero(as_tuple=True)
    sy, sx = size[0] / ref_size[0], size[1] / ref_size[1]
    ry = (ys.float() / sy).long().clamp(max=ref_size[0] - 1)
    rx = (xs.float() / sx).long().clamp(max=ref_size[1] - 1)
    target = full[ry * ref_size[1] + rx]
    target = torch.where(target < 0, torch.zeros_like(target), target)  # a cell the reference mask dropped
    ty, tx = target // style_ref_size[1], target % style_ref_size[1]
    ty = (ty.float() * style_size[0] / style_ref_size[0] + (ys.float() - ry.float() * sy)).long()
    tx = (tx.float() * style_size[1] / style_ref_size[1] + (xs.float() - rx.float() * sx)).long()
    return ty.clamp(0, style_size[0] - 1) * style_size[1] + tx.clamp(0, style_size[1] - 1)


def masked_content_loss(features: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Content loss (relative MSE) over the masked positions only."""
    keep = mask.flatten().bool()
    return _relative_mse(features.flatten(2)[:, :, keep], target.flatten(2)[:, :, keep])
