"""The registry of generator architectures: the name a checkpoint and the `--arch` option use, the class, and its
config dataclass. Rebuilding a model needs only (name, config dict)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import NamedTuple

from stylecast.runtime.errors import UserError

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
}


def build_model(arch: str, config: dict | None = None) -> Generator:
    if arch not in ARCHITECTURES:
        raise UserError(f"unknown architecture {arch!r}; choose one of: {', '.join(ARCHITECTURES)}")
    spec = ARCHITECTURES[arch]
    config = dict(config or {})
    known = {f.name for f in fields(spec.config)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise UserError(f"{arch} has no setting {unknown[0]!r}; its settings: {', '.join(sorted(known))}")
    return spec.model(spec.config(**config))


def model_config(model: Generator) -> dict:
    return asdict(model.config)


def architecture_name(model: Generator) -> str:
    for name, spec in ARCHITECTURES.items():
        if type(model) is spec.model:
            return name
    raise ValueError(f"{type(model).__name__} is not a registered architecture")
