"""Photorealistic style transfer by optimisation (Deep Photo Style Transfer, Luan et al. 2017).

Gatys's content and style losses plus the photorealism regulariser: sum over colour channels of V_c^T L V_c, with
L the matting Laplacian of the content photo (Levin et al. 2008; runtime/photo_smooth.py), which is zero only when
the output is, in every 3x3 window, an affine function of the content's colours: colours may change, edges and
textures may not. L is built once per image as a sparse matrix and applied as a sparse product each step. Two
stages as in the paper: without the regulariser, then with it, starting from the first stage's result.

Semantic masks (the paper's augmented style loss): colour-coded label images for the content and the style (the
same colour is the same region); the style loss is a sum over the labels present in both of the Gram loss between
the output's features in that region and the style's in its region, each weighted by the region's share of the
output. Labels found in only one image are ignored, and the caller is told which.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
import torch

from stylecast.runtime.errors import UserError
from stylecast.runtime.photo_smooth import EXACT_MAX_PIXELS, matting_laplacian
from stylecast.runtime.progress import progress_bar

from .gatys import Objective, OptimizeResult, optimise_image
from .losses import content_loss, layer_mask, masked_gram, style_loss
from .tensors import bgr8_to_tensor, resize, tensor_to_bgr8
from .vgg import VGG19Features

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"


@dataclass
class PhotorealSettings:
    steps: int = 200  # per stage
    content_weight: float = 1.0
    style_weight: float = 5.0
    photo_weight: float = 1e4  # the paper's lambda, on the mean over pixels of sum_c V_c^T L V_c
    progress: bool = True
    snapshot_every: int = 0

    def __post_init__(self):
        if self.steps < 1 or self.snapshot_every < 0:
            raise UserError("steps must be at least 1 and snapshot-every not negative")
        if not all(np.isfinite(w) and w >= 0 for w in (self.content_weight, self.style_weight, self.photo_weight)):
            raise UserError("weights must be finite and not negative")


def label_masks(content_labels: np.ndarray, style_labels: np.ndarray, content_size: tuple[int, int],
                style_size: tuple[int, int]) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    """Per label colour present in both label images (resized to the content's and style's working sizes with
    nearest neighbours): (content mask, style mask) as float32 {0,1}; and the colours present in only one."""
    def regions(labels, size):
        small = cv2.resize(labels, size[::-1], interpolation=cv2.INTER_NEAREST)
        colours, inverse = np.unique(small.reshape(-1, 3), axis=0, return_inverse=True)
        return {tuple(int(v) for v in c): (inverse.reshape(size) == i).astype(np.float32)
                for i, c in enumerate(colours)}

    ours, theirs = regions(content_labels, content_size), regions(style_labels, style_size)
    shared = [(ours[c], theirs[c]) for c in sorted(ours.keys() & theirs.keys())]
    if not shared:
        raise UserError("the content and style masks share no label colour; paint matching regions the same colour")
    lonely = [f"#{c[2]:02x}{c[1]:02x}{c[0]:02x}" for c in sorted(ours.keys() ^ theirs.keys())]
    return shared, lonely


def photoreal_stylise(content: np.ndarray, style: np.ndarray, size: tuple[int, int],
                      settings: PhotorealSettings, content_labels: np.ndarray | None = None,
                      style_labels: np.ndarray | None = None, device: torch.device | str = "cpu",
                      on_snapshot: Callable[[int, np.ndarray], None] | None = None,
                      on_note: Callable[[str], None] | None = None) -> OptimizeResult:
    """Restyle the photo `content` (uint8 BGR) with the look of the photo `style`, at `size` (height, width)."""
    h, w = size
    if h * w > EXACT_MAX_PIXELS:
        raise UserError(f"--photorealistic builds a sparse matrix of one row per pixel: {w}x{h} is over its limit of "
                        f"{EXACT_MAX_PIXELS:,} pixels; use a smaller --size")
    if (content_labels is None) != (style_labels is None):
        raise UserError("give both --content-mask and --style-mask, or neither")
    start = time.perf_counter()
    content_small = resize(content, size)
    style_size = (h, w) if style.shape[0] * style.shape[1] >= h * w else style.shape[:2]
    style_small = resize(style, style_size)
    laplacian = matting_laplacian(content_small.astype(np.float64) / 255.0).tocoo()
    sparse = torch.sparse_coo_tensor(np.vstack([laplacian.row, laplacian.col]), laplacian.data.astype(np.float32),
                                     laplacian.shape, check_invariants=False).coalesce().to(device)
    vgg = VGG19Features((*STYLE_LAYERS, CONTENT_LAYER)).to(device)
    content_t, style_t = bgr8_to_tensor(content_small, device), bgr8_to_tensor(style_small, device)
    if content_labels is not None:
        pairs, lonely = label_masks(content_labels, style_labels, size, style_size)
        if lonely and on_note:
            on_note(f"mask colours present in only one image are ignored: {', '.join(lonely)}")
    else:
        pairs = [(np.ones(size, np.float32), np.ones(style_size, np.float32))]
    with torch.no_grad():
        content_target = vgg(content_t, [CONTENT_LAYER])[CONTENT_LAYER]
        style_features = vgg(style_t, STYLE_LAYERS)
        regions = []
        for ours, theirs in pairs:
            ours_t = torch.from_numpy(ours)[None, None].to(device)
            theirs_t = torch.from_numpy(theirs)[None, None].to(device)
            grams = {k: masked_gram(f, layer_mask(theirs_t, f)) for k, f in style_features.items()}
            regions.append((ours_t, float(ours.mean()), grams))
    setup = time.perf_counter() - start

    def terms(image: torch.Tensor, photo: bool) -> dict[str, torch.Tensor]:
        f = vgg(image)
        style = sum(share * sum(style_loss(masked_gram(f[k], layer_mask(mask, f[k])), grams[k])
                                for k in STYLE_LAYERS) / len(STYLE_LAYERS)
                    for mask, share, grams in regions)
        out = {"content": settings.content_weight * content_loss(f[CONTENT_LAYER], content_target),
               "style": settings.style_weight * style}
        if photo:
            v = image[0].permute(1, 2, 0).reshape(-1, 3)  # (H W, 3): one column per colour channel
            out["photorealism"] = settings.photo_weight * (v * torch.sparse.mm(sparse, v)).sum() / v.shape[0]
        return out

    history: list[tuple[int, float, float]] = []
    t0 = time.perf_counter()
    bar = progress_bar(total=2 * settings.steps, quiet=not settings.progress, desc="photorealistic", unit="step")
    image, objectives = content_t, []
    try:
        for stage, photo in enumerate((False, True)):
            objective = Objective(lambda x, photo=photo: terms(x, photo))
            objectives.append(objective)

            def on_step(step, value, current, done=stage * settings.steps):
                history.append((done + step, time.perf_counter() - t0, value))
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4g}", stage=stage + 1)
                if on_snapshot and settings.snapshot_every and (done + step) % settings.snapshot_every == 0:
                    on_snapshot(done + step, tensor_to_bgr8(current.detach().clamp(0, 1)))

            image = optimise_image(objective, image, {}, settings.steps, "lbfgs", None, on_step)
    finally:
        bar.close()
    final = {k: v for k, v in objectives[-1].last.items()}
    final["total"] = sum(final.values())
    return OptimizeResult(image=tensor_to_bgr8(image.clamp(0, 1)), steps=2 * settings.steps,
                          seconds=time.perf_counter() - t0, setup_seconds=setup, loss_initial=history[0][2],
                          loss_final=final["total"], terms_final=final, history=history)
