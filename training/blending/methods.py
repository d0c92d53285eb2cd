"""Blending an object into a painting: four methods behind one function, `blend`.

- paste: the naive composite; poisson: OpenCV's seamless cloning (composite.py).
- deep (Deep Image Blending, Zhang, Wen and Shi 2020). Pass 1 optimises the pixels inside the mask, in the blend
  B = X * mask + background * (1 - mask), for the Poisson gradient term, the painting's Gram style over the whole
  blend, the object's content (relu4_2, inside the mask) and total variation. Pass 2 refines the whole image for
  style consistency, its content anchored to a frozen copy of the pass-1 result (the reference code anchors it to
  the image being optimised, which makes the term vanish).
- painterly (Deep Painterly Harmonization, Luan et al. 2018). Pass 1: inside a dilated mask, content relu4_1 and a
  style target made by matching each masked feature patch to the painting's (relu3_1-relu5_1). Pass 2: matched
  again on the pass-1 result at relu4_1 and carried to relu1_1-relu4_1 (consistent mapping), with Gram, histogram
  (Risser et al. 2017) and TV terms. `stylization_level` 1-10 takes the place of the paper's painting classifier:
  each level up multiplies the style weights by sqrt(2), 5 being the defaults.
Both run L-BFGS from the pasted composite (gatys.optimise_image), on the CPU at 512 px in minutes.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable

import cv2
import numpy as np
import torch

from stylecast.runtime.errors import UserError
from stylecast.runtime.progress import progress_bar

from ..device import resolve_device
from ..gatys import Objective, optimise_image
from ..losses import channel_quantiles, content_loss, gram_matrix, histogram_loss, style_loss, total_variation
from ..tensors import bgr8_to_tensor, tensor_to_bgr8
from ..vgg import VGG19Features
from . import composite
from .losses import (carry_mapping, gram_of_vectors, layer_mask, masked_content_loss, masked_gram, match_patches,
                     poisson_gradient_loss, poisson_guidance)

METHODS = ("paste", "poisson", "deep", "painterly")
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PAINTERLY_PASS1 = ("relu3_1", "relu4_1", "relu5_1")
PAINTERLY_PASS2 = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
REFERENCE = "relu4_1"
PASS2_TV = 0.01  # deep, pass 2 works on the whole painting: full TV would blur its brush strokes


@dataclass
class BlendSettings:
    """Every setting of a blend; the JSON report repeats them."""

    method: str = "deep"
    steps: int = 200  # L-BFGS steps per pass
    content_weight: float = 1.0
    style_weight: float = 5.0
    gradient_weight: float = 1e4  # deep: the Poisson term (Laplacians of 0..1 images are small)
    tv_weight: float = 10.0
    histogram_weight: float = 1.0  # painterly, pass 2
    stylization_level: int = 5  # painterly: 1 (faithful) .. 10 (most painted)
    device: str = "auto"
    progress: bool = True
    snapshot_every: int = 0

    def __post_init__(self):
        if self.method not in METHODS:
            raise UserError(f"unknown method {self.method!r}; choose one of: {', '.join(METHODS)}")
        if self.steps < 1 or self.snapshot_every < 0 or not 1 <= self.stylization_level <= 10:
            raise UserError("steps must be at least 1, snapshot-every not negative, stylization-level 1 to 10")
        weights = (self.content_weight, self.style_weight, self.gradient_weight, self.tv_weight,
                   self.histogram_weight)
        if not all(math.isfinite(w) and w >= 0 for w in weights):
            raise UserError("weights must be finite and not negative")


@dataclass
class BlendResult:
    image: np.ndarray  # HxWx3 uint8 BGR at the background's working size
    composite: np.ndarray  # the naive paste, for comparison
    mask: np.ndarray  # HxW float32 {0, 1}
    seconds: float
    steps: int
    terms: dict  # final loss terms of each pass


SnapshotFn = Callable[[int, np.ndarray], None]


def blend(background: np.ndarray, object_bgr: np.ndarray, mask: np.ndarray, settings: BlendSettings | None = None,
          at: tuple[float, float] | None = None, scale: float = 1.0, size: int | None = 512,
          on_snapshot: SnapshotFn | None = None) -> BlendResult:
    """Blend `object_bgr` (HxWx3 uint8 BGR) where `mask` (HxW, nonzero = object; see composite.object_mask) into
    `background` (uint8 BGR), placed as composite.place describes."""
    settings = settings or BlendSettings()
    placed = composite.place(background, object_bgr, composite.object_mask(object_bgr, mask), size, at, scale)
    pasted = composite.paste(placed)
    start = time.perf_counter()
    if settings.method in ("paste", "poisson"):
        image = pasted if settings.method == "paste" else composite.poisson(placed)
        return BlendResult(image, pasted, placed.mask, time.perf_counter() - start, 0, {})
    device = resolve_device(settings.device)
    run = _deep if settings.method == "deep" else _painterly
    image, terms = run(placed, pasted, settings, device, on_snapshot)
    return BlendResult(image, pasted, placed.mask, time.perf_counter() - start, 2 * settings.steps, terms)


def _optimise(objective: Objective, init: torch.Tensor, settings: BlendSettings, bar, done: int,
              on_snapshot: SnapshotFn | None, view: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    def on_step(step: int, value: float, current: torch.Tensor) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{value:.4g}")
        if on_snapshot and settings.snapshot_every and (done + step) % settings.snapshot_every == 0:
            on_snapshot(done + step, tensor_to_bgr8(view(current.detach().clamp(0, 1))))

    return optimise_image(objective, init, {}, settings.steps, "lbfgs", None, on_step)


def _tensors(placed: composite.Placement, pasted: np.ndarray, device):
    as_t = lambda image: bgr8_to_tensor(image, device)  # noqa: E731
    mask = torch.from_numpy(placed.mask)[None, None].to(device)
    return as_t(placed.background), as_t(placed.object), as_t(pasted), mask


def _deep(placed, pasted, settings: BlendSettings, device, on_snapshot):
    background, source, init, mask = _tensors(placed, pasted, device)
    vgg = VGG19Features((*STYLE_LAYERS, "relu4_2")).to(device)
    with torch.no_grad():
        style_grams = {k: gram_matrix(v) for k, v in vgg(background, STYLE_LAYERS).items()}
        content_target = vgg(source, ["relu4_2"])["relu4_2"]
        guidance = poisson_guidance(source, background, mask)
    content_mask = layer_mask(mask, content_target)

    def style(features):
        return sum(style_loss(gram_matrix(features[k]), style_grams[k]) for k in STYLE_LAYERS) / len(STYLE_LAYERS)

    def blended(x):
        return x * mask + background * (1 - mask)

    def pass_one(x):
        b = blended(x)
        f = vgg(b)
        return {"gradient": settings.gradient_weight * poisson_gradient_loss(b, guidance),
                "style": settings.style_weight * style(f),
                "content": settings.content_weight * masked_content_loss(f["relu4_2"], content_target, content_mask),
                "tv": settings.tv_weight * total_variation(b)}

    bar = progress_bar(total=2 * settings.steps, quiet=not settings.progress, desc="blend deep", unit="step")
    try:
        first = Objective(pass_one)
        x = blended(_optimise(first, init, settings, bar, 0, on_snapshot, blended)).detach()
        with torch.no_grad():
            anchor = vgg(x, ["relu4_2"])["relu4_2"]  # frozen: pass 2 must not drift from pass 1's content

        def pass_two(y):
            f = vgg(y)
            return {"style": settings.style_weight * style(f),
                    "content": settings.content_weight * content_loss(f["relu4_2"], anchor),
                    "tv": PASS2_TV * settings.tv_weight * total_variation(y)}

        second = Objective(pass_two)
        y = _optimise(second, x, settings, bar, settings.steps, on_snapshot, lambda t: t)
    finally:
        bar.close()
    return tensor_to_bgr8(y.clamp(0, 1)), {"pass1": first.last, "pass2": second.last}


def _painterly(placed, pasted, settings: BlendSettings, device, on_snapshot):
    background, source, init, mask = _tensors(placed, pasted, device)
    dilated = torch.from_numpy(cv2.dilate(placed.mask, np.ones((7, 7), np.uint8)))[None, None].to(device)
    vgg = VGG19Features(STYLE_LAYERS).to(device)
    style_weight = settings.style_weight * math.sqrt(2) ** (settings.stylization_level - 5)
    with torch.no_grad():
        style_features = vgg(background)
        content_target = vgg(source, [REFERENCE])[REFERENCE]

    def targets(image: torch.Tensor, layers) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """For each layer: (its mask, the matched style vectors (C, N)), matched at REFERENCE and carried."""
        with torch.no_grad():
            ours = vgg(image)
            ref_mask = layer_mask(dilated, ours[REFERENCE])
            ref = match_patches(ours[REFERENCE], style_features[REFERENCE], ref_mask)
            out = {}
            for layer in layers:
                m = layer_mask(dilated, ours[layer])
                index = ref if layer == REFERENCE else carry_mapping(
                    ref, ref_mask, ours[REFERENCE].shape[-2:], style_features[REFERENCE].shape[-2:], m,
                    ours[layer].shape[-2:], style_features[layer].shape[-2:])
                out[layer] = (m, style_features[layer].flatten(2)[0][:, index])
        return out

    def blended(x):
        return x * dilated + background * (1 - dilated)

    def objective(matched, histogram: bool):
        grams = {k: gram_of_vectors(v) for k, (_, v) in matched.items()}
        quantiles = {k: channel_quantiles(v[None, :, :, None]) for k, (_, v) in matched.items()
                     if k in ("relu1_1", REFERENCE)}
        content_mask = layer_mask(mask, content_target)

        def terms(x):
            b = blended(x)
            f = vgg(b)
            out = {"content": settings.content_weight * masked_content_loss(f[REFERENCE], content_target,
                                                                            content_mask),
                   "style": style_weight * sum(style_loss(masked_gram(f[k], m), grams[k])
                                               for k, (m, _) in matched.items()) / len(matched),
                   "tv": settings.tv_weight * total_variation(b)}
            if histogram:
                out["histogram"] = settings.histogram_weight * style_weight * sum(
                    histogram_loss(f[k].flatten(2)[:, :, matched[k][0].flatten().bool()][..., None], q)
                    for k, q in quantiles.items()) / len(quantiles)
            return out
        return Objective(terms)

    bar = progress_bar(total=2 * settings.steps, quiet=not settings.progress, desc="blend painterly", unit="step")
    try:
        first = objective(targets(init, PAINTERLY_PASS1), histogram=False)
        x = blended(_optimise(first, init, settings, bar, 0, on_snapshot, blended)).detach()
        second = objective(targets(x, PAINTERLY_PASS2), histogram=True)
        y = blended(_optimise(second, x, settings, bar, settings.steps, on_snapshot, blended))
    finally:
        bar.close()
    return tensor_to_bgr8(y.clamp(0, 1)), {"pass1": first.last, "pass2": second.last}


def settings_dict(settings: BlendSettings) -> dict:
    return {k: v for k, v in asdict(settings).items() if k not in ("progress",)}

