"""The training styles: augmented views of the training paintings (and some photos), with their Gram targets and
style statistics computed once, up front.

Sixteen paintings are few for a network that must generalise to any painting (Ghiasi et al. trained on 80,000), so
every painting gives `views` views: scaled by a random factor around its run-time size (STYLE_SIDE on the longer
side), a random square crop, a flip, and in half of them a colour change (hue rotation, saturation, gamma) that
makes a new palette with the same brushwork. Photos add plain, unpainted statistics, so a photo's own style vector
(what --strength interpolates toward) means "as it is". One view is always the whole painting at STYLE_SIDE,
exactly what the runtime encodes. Which views are made depends only on the seed, so a resumed run rebuilds the
same bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from stylecast.runtime.imageio import read_image
from stylecast.runtime.progress import progress_bar

from .. import losses
from ..tensors import bgr8_to_tensor, fitted_tensor
from ..vgg import VGG19Features
from .network import STATISTICS_LAYERS, STYLE_SIDE, statistics_from_features

GRAM_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")  # the referee's style layers


@dataclass
class StyleBank:
    statistics: torch.Tensor  # (N, 1920): the style-prediction network's input for each view
    grams: dict[str, torch.Tensor]  # layer -> (N, C, C): each view's Gram matrices (the style loss's targets)
    sources: list[str]  # the file each view came from


def augmented_view(image: np.ndarray, rng: np.random.Generator, colour: bool) -> np.ndarray:
    """A random view of a BGR uint8 painting: scale 0.6-1.3 of its run-time size, square crop of 224-384 px (or the
    shorter side), flip, and optionally a new palette."""
    height, width = image.shape[:2]
    scale = STYLE_SIDE * float(np.exp(rng.uniform(np.log(0.6), np.log(1.3)))) / max(height, width)
    size = (max(16, round(width * scale)), max(16, round(height * scale)))
    view = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    side = min(view.shape[0], view.shape[1], int(rng.integers(224, 385)))
    top = int(rng.integers(0, view.shape[0] - side + 1))
    left = int(rng.integers(0, view.shape[1] - side + 1))
    view = view[top:top + side, left:left + side]
    if rng.random() < 0.5:
        view = view[:, ::-1]
    return recoloured(view, rng) if colour else np.ascontiguousarray(view)


def recoloured(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hue rotated by up to 40 degrees, saturation x0.6-1.4, gamma 0.75-1.33."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV_FULL).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-28, 28)) % 256
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.6, 1.4), 0, 255)
    hsv[..., 2] = 255.0 * (hsv[..., 2] / 255.0) ** float(np.exp(rng.uniform(np.log(0.75), np.log(1.33))))
    return cv2.cvtColor(hsv.round().astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)


@torch.no_grad()
def build_bank(paintings: list[Path], photos: list[Path], views: int, photo_views: int, seed: int,
               device: torch.device, progress: bool = True) -> StyleBank:
    rng = np.random.default_rng([seed, 7])
    jobs: list[tuple[Path, int]] = [(path, view) for path in paintings for view in range(views)]
    if photos:
        chosen = rng.choice(len(photos), size=min(photo_views, len(photos)), replace=False)
        jobs += [(photos[int(i)], -1) for i in chosen]
    vgg = VGG19Features(tuple(sorted(set(GRAM_LAYERS) | set(STATISTICS_LAYERS), key=VGG19Features.order)))
    vgg = vgg.to(device)
    statistics, grams, sources = [], {layer: [] for layer in GRAM_LAYERS}, []
    cache: dict[Path, np.ndarray] = {}
    for path, view in progress_bar(jobs, quiet=not progress, desc="style views", unit="view"):
        image = cache.setdefault(path, read_image(path)) if view >= 0 else read_image(path)
        if view == 0:
            tensor = fitted_tensor(image, STYLE_SIDE).to(device)  # the whole painting, as the runtime sees it
        else:
            tensor = bgr8_to_tensor(augmented_view(image, rng, colour=view > 0 and rng.random() < 0.5), device)
        features = vgg(tensor)
        statistics.append(statistics_from_features(features).cpu())
        for layer in GRAM_LAYERS:
            grams[layer].append(losses.gram_matrix(features[layer]).cpu())
        sources.append(path.name)
    return StyleBank(torch.cat(statistics), {k: torch.cat(v) for k, v in grams.items()}, sources)
