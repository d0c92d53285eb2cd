"""The loss options that `stylecast optimize`, `texture` and `train` share, defined once.

Imports no torch: building a parser stays instant.
"""

from __future__ import annotations

import argparse

GATYS_STYLE_LAYERS = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"


def layer_list(text: str) -> tuple[str, ...]:
    layers = tuple(part.strip() for part in text.split(",") if part.strip())
    if not layers:
        raise argparse.ArgumentTypeError("give at least one layer, e.g. relu4_2")
    return layers


def float_list(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid list of numbers {text!r}") from None


def add_loss_arguments(parser: argparse.ArgumentParser, *, content: bool, content_layers: str = "relu4_2",
                       style_weight: float = 5.0, tv_weight: float = 0.0) -> None:
    group = parser.add_argument_group("loss")
    if content:
        group.add_argument("--content-weight", type=float, default=1.0)
        group.add_argument("--content-layers", type=layer_list, default=layer_list(content_layers))
    group.add_argument("--style-weight", type=float, default=style_weight)
    group.add_argument("--style-layers", type=layer_list, default=layer_list(GATYS_STYLE_LAYERS))
    group.add_argument("--style-layer-weights", type=float_list, metavar="W,W,...",
                       help="relative weight of each style layer (default: equal)")
    group.add_argument("--tv-weight", type=float, default=tv_weight, help="total variation")
    group.add_argument("--hist-weight", type=float, default=0.0, help="histogram loss (Risser et al. 2017)")
    group.add_argument("--hist-layers", type=layer_list, default=layer_list("relu1_1,relu4_1"))
    group.add_argument("--stats-weight", type=float, default=0.0, help="mean/std feature statistics loss")
    group.add_argument("--pooling", choices=("max", "avg"), default="max")


def loss_config_from_args(args: argparse.Namespace):
    """The LossConfig the parsed options describe (imports torch)."""
    from .perceptual import LossConfig

    content = hasattr(args, "content_weight")
    return LossConfig(
        content_layers=args.content_layers if content else (), style_layers=args.style_layers,
        style_layer_weights=args.style_layer_weights, histogram_layers=args.hist_layers,
        content_weight=args.content_weight if content else 0.0, style_weight=args.style_weight,
        tv_weight=args.tv_weight, histogram_weight=args.hist_weight, stats_weight=args.stats_weight,
        pooling=args.pooling)
