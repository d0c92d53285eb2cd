"""The registry of generator architectures: the name a checkpoint and the `--arch` option use, the class, and its
config dataclass. Rebuilding a model needs only (name, config dict)."""

from __future__ import annotations

from dataclasses import MISSING, asdict, fields

import torch
from typing import NamedTuple

from stylecast.runtime.errors import UserError

from .arbitrary.network import ArbitraryLiteConfig, ArbitraryLiteNet
from .generator import Generator
from .lite_net import LiteNet, LiteNetConfig
from .texture_net import TextureNet, TextureNetConfig
from .transformer_net import TransformerNet, TransformerNetConfig
from .translation.pix2pixhd import Pix2PixHD, Pix2PixHDConfig
from .translation.resnet_generator import ResnetGenerator, ResnetGeneratorConfig
from .translation.unet import UNet, UNetConfig


class Architecture(NamedTuple):
    model: type
    config: type


ARCHITECTURES = {
    "transformer": Architecture(TransformerNet, TransformerNetConfig),
    "lite": Architecture(LiteNet, LiteNetConfig),
    "texture": Architecture(TextureNet, TextureNetConfig),
    "unet": Architecture(UNet, UNetConfig),  # pix2pix
    "pix2pixhd": Architecture(Pix2PixHD, Pix2PixHDConfig),
    "resnet": Architecture(ResnetGenerator, ResnetGeneratorConfig),  # CycleGAN's
    "arbitrary-lite": Architecture(ArbitraryLiteNet, ArbitraryLiteConfig),  # any painting at run time
}
CONDITIONAL = ("arbitrary-lite",)  # take a style vector besides the image; trained by `train-arbitrary`


def build_model(arch: str, config: dict | None = None) -> Generator:
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown architecture {arch!r}; choose one of: {', '.join(ARCHITECTURES)}")
    spec = ARCHITECTURES[arch]
    config = dict(config or {})
    known = {f.name for f in fields(spec.config)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise UserError(f"{arch} has no setting {unknown[0]!r}; its settings: {', '.join(sorted(known))}")
    for f in fields(spec.config):  # a setting of the wrong type (width=abc) fails here, not deep in a layer
        value = config.get(f.name)
        expected = type(f.default) if f.default is not MISSING and f.default is not None else None
        if value is not None and expected in (int, float, bool) and not (
                isinstance(value, expected) or (expected is float and isinstance(value, int))) or \
                isinstance(value, bool) and expected in (int, float):
            raise UserError(f"{arch} setting {f.name} must be {expected.__name__}, got {value!r}")
    try:
        return spec.model(spec.config(**config))
    except (ValueError, TypeError, RuntimeError, ZeroDivisionError) as error:
        raise UserError(f"{arch}: settings {config} do not make a model ({error})") from None


def check_input_size(net: torch.nn.Module, size: int, channels: int = 3, what: str = "generator") -> None:
    """A UserError when `net` cannot take size x size training crops (more halvings than the crop has pixels, or
    instance norm over a 1x1 map), found by one forward of zeros before any folder or file is made."""
    was_training = net.training
    try:
        with torch.no_grad():
            net.train()(torch.zeros(1, channels, size, size))
    except (RuntimeError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:120]
        raise UserError(f"--size {size} is too small for the {what} ({reason})") from None
    finally:
        net.train(was_training)


def model_config(model: Generator) -> dict:
    return asdict(model.config)


def architecture_name(model: Generator) -> str:
    for name, spec in ARCHITECTURES.items():
        if type(model) is spec.model:
            return name
    raise ValueError(f"{type(model).__name__} is not a registered architecture")
