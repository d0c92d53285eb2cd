"""Checkpoints: everything needed to rebuild, evaluate and resume a generator, from the file alone.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
`torch.load(..., weights_only=True)`: opening a checkpoint never runs code from it.
Keys: format, version, arch, model_config, loss_config, style (name, images, weights), train (settings),
step, model (state dict), and for resuming: optimizer, rng; `metrics` holds the latest losses.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import torch

from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import write_atomic

from .architectures import build_model

FORMAT = "stylecast-checkpoint"
VERSION = 1


def save_checkpoint(path: str | Path, data: dict) -> Path:
    """Write atomically (a crash mid-save keeps the previous checkpoint)."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **data}, buffer)
    return write_atomic(path, buffer.getvalue())


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such checkpoint")
    try:
        with warnings.catch_warnings():  # e.g. on a pickle's protocol: the one-line error below says what matters
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure is a bad file to the user
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"{path}: not a loadable stylecast checkpoint ({first_line[:200]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError(f"{path}: not a stylecast checkpoint")
    if data.get("version", 0) > VERSION:
        raise UserError(f"{path}: checkpoint version {data['version']} is newer than this stylecast reads "
                        f"({VERSION}); upgrade stylecast")
    return data


def model_from_checkpoint(data: dict, source: str = "checkpoint") -> torch.nn.Module:
    """The checkpoint's model in eval mode; a UserError when its weights do not fit its architecture or hold NaN or
    infinity (a model that would train nothing, or export as NaN images that pass parity as 'PSNR inf')."""
    try:
        model = build_model(data["arch"], data["model_config"])
        model.load_state_dict(data["model"])
    except KeyError as error:
        raise UserError(f"{source}: not a complete stylecast checkpoint (no {error})") from None
    except (RuntimeError, TypeError, AttributeError) as error:
        reason = str(error).strip().splitlines()[0][:160]
        raise UserError(f"{source}: its weights do not fit its {data.get('arch')} architecture ({reason})") from None
    broken = [name for name, tensor in model.state_dict().items()
              if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise UserError(f"{source}: {len(broken)} weight tensor(s) hold NaN or infinity (first: {broken[0]})")
    return model.eval()


def loss_from_checkpoint(data: dict, styles_dir: str | Path):
    """The perceptual loss the checkpoint's model was trained with: its loss configuration, and its style images
    (found by name in `styles_dir`, since checkpoints do not carry them) at its training style size. Benchmarks
    measure a model against this, its own objective, not one shared loss."""
    from stylecast.runtime.imageio import read_image

    from .perceptual import LossConfig, PerceptualLoss
    from .tensors import fitted_tensor

    styles = [fitted_tensor(read_image(Path(styles_dir) / name), data["train"]["style_size"])
              for name in data["style"]["images"]]
    return PerceptualLoss(LossConfig.from_dict(data["loss_config"]), styles, data["style"]["weights"])


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def slim_checkpoint(path: str | Path, half: bool = False) -> Path:
    """Drop the resume-only state (Adam's moments, twice the model's size; a GAN's discriminator and its moments)
    from a checkpoint, in place.

    For shipping large models in the zoo: the file still rebuilds, exports and evaluates the model, and
    `--resume` from it continues the step count with fresh optimiser moments (and a GAN with a fresh
    discriminator). `half` also stores the weights in
    float16, halving the file again: the model keeps computing in float32 (loading casts the weights back), and
    the rounding moves TransformerNet's outputs by at most one grey level. Export then stores the ONNX weights in
    float16 too (export/half_weights.py), so the checkpoint and the ONNX file still hold the same model."""
    data = load_checkpoint(path)
    for key in ("optimizer", "optimizer_d", "discriminator", "discriminator_a"):
        data.pop(key, None)
    if half:
        data["model"] = {k: v.half() if v.is_floating_point() else v for k, v in data["model"].items()}
    return save_checkpoint(path, {k: v for k, v in data.items() if k not in ("format", "version")})


def stores_half_weights(data: dict) -> bool:
    return any(v.dtype == torch.float16 for v in data["model"].values())


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="drop the optimiser state from checkpoints (for the zoo)")
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--half", action="store_true", help="also store the weights in float16 (half the size; "
                        "the model still computes in float32)")
    args = parser.parse_args(argv)
    try:
        for path in args.checkpoints:
            before = path.stat().st_size if path.is_file() else 0
            slim_checkpoint(path, half=args.half)
            print(f"{path}: {before / 2**20:.1f} MB -> {path.stat().st_size / 2**20:.1f} MB")
    except UserError as error:
        print(f"error: {error}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
