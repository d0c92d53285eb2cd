"""The perceptual loss that both Gatys optimisation and generator training minimise.

`LossConfig` is plain data (stored in checkpoints, so a model's quality can be re-measured with its own loss).
`PerceptualLoss` runs VGG19 once per call for every layer any term needs, and holds the style targets, computed
once from the style images when it is built: never per step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Sequence

import torch
from torch import nn

from stylecast.runtime.errors import UserError

from . import losses
from .vgg import VGG19Features, check_layers

GATYS_CONTENT_LAYERS = ("relu4_2",)
GATYS_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
RISSER_HISTOGRAM_LAYERS = ("relu1_1", "relu4_1")


@dataclass
class LossConfig:
    """Weights and layers of every loss term. A weight of 0 switches its term off (and its layers are not run)."""

    content_layers: tuple[str, ...] = GATYS_CONTENT_LAYERS
    style_layers: tuple[str, ...] = GATYS_STYLE_LAYERS
    # Relative weight of each style layer; None = equal. Multiplied by style_weight.
    style_layer_weights: tuple[float, ...] | None = None
    histogram_layers: tuple[str, ...] = RISSER_HISTOGRAM_LAYERS
    content_weight: float = 1.0
    style_weight: float = 5.0
    tv_weight: float = 0.0
    histogram_weight: float = 0.0
    stats_weight: float = 0.0
    pooling: str = "max"

    def __post_init__(self):
        for name in ("content_layers", "style_layers", "histogram_layers"):
            setattr(self, name, check_layers(getattr(self, name)) if getattr(self, name) else ())
        if self.style_layer_weights is not None:
            self.style_layer_weights = tuple(float(w) for w in self.style_layer_weights)
            if len(self.style_layer_weights) != len(self.style_layers):
                raise UserError(f"{len(self.style_layer_weights)} style layer weights given for "
                                f"{len(self.style_layers)} style layers")
        for f in fields(self):
            if f.name.endswith("_weight") and getattr(self, f.name) < 0:
                raise UserError(f"{f.name.replace('_', '-')} must not be negative")

    def to_dict(self) -> dict:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "LossConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{key: tuple(value) if isinstance(value, list) else value
                      for key, value in data.items() if key in known})

    def layer_weights(self) -> tuple[float, ...]:
        if self.style_layer_weights is not None:
            return self.style_layer_weights
        return tuple(1.0 / len(self.style_layers) for _ in self.style_layers)

    def encoder_layers(self, with_content: bool) -> tuple[str, ...]:
        """Every layer some active term needs, in network order."""
        wanted = set()
        if with_content and self.content_weight > 0:
            wanted.update(self.content_layers)
        if self.style_weight > 0 or self.stats_weight > 0:
            wanted.update(self.style_layers)
        if self.histogram_weight > 0:
            wanted.update(self.histogram_layers)
        return tuple(sorted(wanted, key=lambda name: VGG19Features.order(name)))


@dataclass
class StyleTargets:
    """What the style images contribute, per layer, blended over several style images by their weights."""

    grams: dict[str, torch.Tensor] = field(default_factory=dict)  # (1, C, C)
    means: dict[str, torch.Tensor] = field(default_factory=dict)  # (1, C)
    stds: dict[str, torch.Tensor] = field(default_factory=dict)  # (1, C)
    quantiles: dict[str, torch.Tensor] = field(default_factory=dict)  # (C, bins)


@dataclass
class LossTerms:
    """Weighted loss terms of one evaluation; `total` is their sum and the only one that carries gradients
    the caller needs."""

    total: torch.Tensor
    content: torch.Tensor
    style: torch.Tensor
    tv: torch.Tensor
    histogram: torch.Tensor
    stats: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


class PerceptualLoss(nn.Module):
    """Content + Gram style + total variation + histogram + mean/std statistics, over one VGG19 pass.

    Several style images blend by weight. For the Gram, mean/std and histogram terms the blended target is the
    weighted mean of the per-image targets (Grams and statistics averaged; for histograms, quantile functions
    averaged, the 1-D Wasserstein barycentre); for the Gram and statistics terms this has exactly the gradient of
    the weighted sum of per-image losses.
    """

    def __init__(self, config: LossConfig, styles: Sequence[torch.Tensor] | None,
                 style_weights: Sequence[float] | None = None,
                 with_content: bool = True, device: str | torch.device = "cpu"):
        super().__init__()
        self.config = config
        self.with_content = with_content
        layers = config.encoder_layers(with_content)
        if not layers:
            raise UserError("every loss weight is zero: nothing to optimise")
        self.encoder = VGG19Features(layers, pooling=config.pooling).to(device)
        self.device = torch.device(device)
        self.targets = StyleTargets()
        if styles is not None:  # None: the caller sets them later, e.g. once per pyramid level
            self.set_styles(styles, style_weights)

    @torch.no_grad()
    def set_styles(self, styles: Sequence[torch.Tensor], style_weights: Sequence[float] | None = None) -> None:
        """Compute and cache the blended style targets; each style is (1, 3, H, W) RGB in 0..1."""
        if not styles:
            raise UserError("at least one style image is needed")
        if style_weights is None:
            style_weights = [1.0] * len(styles)
        if len(style_weights) != len(styles):
            raise UserError(f"{len(style_weights)} style weights given for {len(styles)} style images")
        if any(w < 0 for w in style_weights) or sum(style_weights) <= 0:
            raise UserError("style weights must be non-negative and not all zero")
        total = float(sum(style_weights))
        cfg = self.config
        targets = StyleTargets()
        for style, weight in zip(styles, style_weights):
            share = weight / total
            features = self.encoder(style.to(self.device))
            for layer in cfg.style_layers if cfg.style_weight > 0 else ():
                _accumulate(targets.grams, layer, share * losses.gram_matrix(features[layer]).mean(0, keepdim=True))
            for layer in cfg.style_layers if cfg.stats_weight > 0 else ():
                mean, std = losses.mean_std(features[layer])
                _accumulate(targets.means, layer, share * mean.mean(0, keepdim=True))
                _accumulate(targets.stds, layer, share * std.mean(0, keepdim=True))
            for layer in cfg.histogram_layers if cfg.histogram_weight > 0 else ():
                _accumulate(targets.quantiles, layer, share * losses.channel_quantiles(features[layer]))
        self.targets = targets

    @torch.no_grad()
    def content_targets(self, content: torch.Tensor) -> dict[str, torch.Tensor]:
        """Content features for `content` (B, 3, H, W); compute once per content image and pass to forward."""
        if not (self.with_content and self.config.content_weight > 0):
            return {}
        return self.encoder(content, self.config.content_layers)

    def forward(self, image: torch.Tensor, content_targets: dict[str, torch.Tensor] | None = None) -> LossTerms:
        cfg = self.config
        features = self.encoder(image)
        zero = image.new_zeros(())
        content = style = histogram = stats = zero
        if content_targets:
            for layer in cfg.content_layers:
                content = content + losses.content_loss(features[layer], content_targets[layer])
            content = cfg.content_weight * content
        if self.targets.grams:
            for term in self._style_layer_terms(features).values():
                style = style + term
            style = cfg.style_weight * style
        if self.targets.means:
            for layer, weight in zip(cfg.style_layers, cfg.layer_weights()):
                stats = stats + weight * losses.stats_loss(features[layer], self.targets.means[layer],
                                                           self.targets.stds[layer])
            stats = cfg.stats_weight * stats
        if self.targets.quantiles:
            for layer in cfg.histogram_layers:
                histogram = histogram + losses.histogram_loss(features[layer], self.targets.quantiles[layer])
            histogram = cfg.histogram_weight * histogram / len(cfg.histogram_layers)
        tv = cfg.tv_weight * losses.total_variation(image) if cfg.tv_weight > 0 else zero
        total = content + style + tv + histogram + stats
        return LossTerms(total=total, content=content, style=style, tv=tv, histogram=histogram, stats=stats)

    def style_by_layer(self, image: torch.Tensor) -> dict[str, float]:
        """Each style layer's share of the weighted style term (they sum to `forward(image).style`): which
        layers a generator falls short on, where a total hides it."""
        with torch.no_grad():
            terms = self._style_layer_terms(self.encoder(image))
        return {layer: self.config.style_weight * float(term) for layer, term in terms.items()}

    def _style_layer_terms(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Layer weight x Gram loss per style layer, before the style weight."""
        terms = {}
        for layer, weight in zip(self.config.style_layers, self.config.layer_weights()):
            gram = losses.gram_matrix(features[layer])
            terms[layer] = weight * losses.style_loss(gram, self.targets.grams[layer].to(gram.dtype))
        return terms


def _accumulate(table: dict[str, torch.Tensor], key: str, value: torch.Tensor) -> None:
    table[key] = table[key] + value if key in table else value
