"""Training the arbitrary-style network: every content crop of a batch gets a random view from the style bank,
the network stylises it with that view's predicted style vector, and the loss is the referee's (content at
`content_layers`, Gram style relu1_1-relu5_1 against that view, each sample's terms divided by its own target's mean
square) plus the saturation term of the perceptual trainer. The style-prediction MLP and the transformer learn
together; the VGG under both is frozen.

One process (CPU or one GPU, bf16 autocast on CUDA); checkpoints, --resume, --time-limit, previews and the CSV log
as the perceptual trainer (trainer.py), whose learning-rate schedule and log window it shares.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import read_image, write_image
from stylecast.runtime.progress import progress_bar
from stylecast.runtime.samples import SAMPLE_CONTENT

from .. import losses
from ..architectures import build_model, check_input_size, model_config
from ..checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from ..dataset import CropDataset, StepBatches, find_images
from ..device import resolve_device
from ..generator import saturation
from ..graceful_stop import StopAtStepEnd
from ..log_window import LogWindow, set_learning_rate
from ..tensors import bgr8_to_tensor, fitted_tensor, resize, tensor_to_bgr8
from ..trainer import Distributed, _progress, lr_factor
from ..vgg import VGG19Features, check_layers
from .network import STYLE_SIDE
from .style_bank import GRAM_LAYERS, StyleBank, build_bank

LOSS_FIELDS = ("total", "content", "style", "saturation")
ARCH = "arbitrary-lite"
DEFAULT_STYLE = "vangogh_starry_night"  # the painting the exported model paints without --style, when trained on


@dataclass
class ArbitrarySettings:
    steps: int = 20000
    batch_size: int = 4
    size: int = 192  # content crop side
    lr: float = 5e-4
    lr_decay: float = 0.3  # final fraction of the run over which the rate falls to zero (cosine)
    content_weight: float = 1.0
    style_weight: float = 5.0
    content_layers: tuple[str, ...] = ("relu2_2",)  # the zoo LiteNets' (relu4_2 alone lets outputs lose the photo)
    saturation_weight: float = 1.0
    views: int = 24  # bank views per training painting (one of them the whole painting)
    photo_views: int = 64  # photos in the bank as unpainted styles
    seed: int = 0
    checkpoint_every: int = 250
    preview_every: int = 250
    log_every: int = 25
    device: str = "auto"
    progress: bool = True
    time_limit: float | None = None  # minutes

    def __post_init__(self):
        self.content_layers = check_layers(self.content_layers)
        for name in ("steps", "batch_size", "views", "checkpoint_every", "preview_every", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"{name.replace('_', '-')} must be at least 1")
        if self.size < 32:
            raise UserError("size must be at least 32 px")
        if self.lr <= 0 or min(self.content_weight, self.style_weight, self.saturation_weight, self.photo_views) < 0:
            raise UserError("lr must be positive; weights and photo-views must not be negative")
        if self.time_limit is not None and self.time_limit <= 0:
            raise UserError("time-limit must be positive (minutes)")
        if not 0 <= self.lr_decay <= 1:
            raise UserError("lr-decay must be a fraction of the run between 0 and 1")


def per_sample_style_loss(gram: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """losses.style_loss for a batch whose samples have different targets: each sample's mean squared Gram error
    divided by its own target's mean square, averaged over the batch (equal to style_loss for one sample)."""
    error = (gram - target).square().mean((1, 2))
    return (error / (target.square().mean((1, 2)) + losses.EPS)).mean()


def split_paintings(folder: Path, held_out: list[str]) -> tuple[list[Path], list[Path]]:
    """The paintings in `folder` to train on and those held out (by file name or stem); unknown names are an
    error that lists the folder's paintings."""
    paintings, _ = find_images(folder, progress=False)
    names = {p.name: p for p in paintings} | {p.stem: p for p in paintings}
    unknown = [name for name in held_out if name not in names]
    if unknown:
        raise UserError(f"--hold-out {unknown[0]!r} is not a painting in {folder}; there: "
                        f"{', '.join(sorted(p.name for p in paintings))}")
    out = {names[name] for name in held_out}
    train = sorted(p for p in paintings if p not in out)
    if not train:
        raise UserError(f"{folder}: every painting is held out; nothing to train on")
    return train, sorted(out)


def train_arbitrary(settings: ArbitrarySettings, data: Path, styles: Path, out: Path, held_out: list[str],
                    model_settings: dict | None = None, init: Path | None = None, resume: bool = False,
                    licence: str = "not recorded") -> dict:
    device = resolve_device(settings.device)
    torch.manual_seed(settings.seed)
    files, skipped = find_images(data, progress=settings.progress)
    paintings, kept_out = split_paintings(styles, held_out)
    run_dir = out.with_name(out.stem + "_train")

    state = load_checkpoint(out) if resume and out.exists() else None
    if state is not None:
        if state["arch"] != ARCH:
            raise UserError(f"{out} holds a {state['arch']} model, not an arbitrary-style one")
        model, start = model_from_checkpoint(state), int(state["step"])
    else:
        model, start = build_model(ARCH, model_settings), 0
        if init is not None:
            source = load_checkpoint(init)
            if source["arch"] != "lite":
                raise UserError(f"--init needs a lite checkpoint; {init} holds a {source['arch']} model")
            try:
                model.start_from_lite(model_from_checkpoint(source))
            except ValueError as error:
                raise UserError(f"--init {init}: {error}") from None
    if start >= settings.steps:
        raise UserError(f"{out} is already at step {start}; ask for more --steps to continue")
    check_input_size(model, settings.size)
    model = model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    if state is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])

    bank = build_bank(paintings, files, settings.views, settings.photo_views, settings.seed, device,
                      settings.progress)
    if state is None:  # the style-prediction input's standardisation, from the training views (then kept)
        with torch.no_grad():
            model.predict.center.copy_(bank.statistics.mean(0))
            model.predict.scale.copy_(bank.statistics.std(0).clamp(min=1e-3))
    layers = tuple(sorted(set(GRAM_LAYERS) | set(settings.content_layers), key=VGG19Features.order))
    vgg = VGG19Features(layers).to(device)
    amp_dtype = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else None
    preview = Preview(paintings, kept_out, settings.size, device)

    base = {"arch": ARCH, "method": "arbitrary", "task": "style", "model_config": model_config(model),
            "loss_config": {"content_layers": list(settings.content_layers), "style_layers": list(GRAM_LAYERS),
                            "content_weight": settings.content_weight, "style_weight": settings.style_weight},
            "style": {"name": "arbitrary", "images": [p.name for p in paintings],
                      "held_out": [p.name for p in kept_out], "weights": [1.0] * len(paintings), "licence": licence},
            "train": {**asdict(settings), "content_layers": list(settings.content_layers), "device": str(device),
                      "world_size": 1, "amp": "bf16" if amp_dtype else "fp32", "bank_views": len(bank.sources)},
            "data": {"folder": Path(data).name, "images": len(files), "skipped": skipped}}
    if init is not None and state is None:
        base["init"] = {"file": Path(init).name, "step": int(source["step"]), "style": source["style"]["name"]}
    elif state is not None and "init" in state:
        base["init"] = state["init"]
    run_dir.mkdir(parents=True, exist_ok=True)

    batches = StepBatches(len(files), settings.batch_size, settings.steps, start, settings.seed)
    loader = torch.utils.data.DataLoader(CropDataset(files, settings.size), batch_sampler=batches)
    window = LogWindow(LOSS_FIELDS, run_dir / "log.csv", settings.batch_size, Distributed(), device)
    metrics = dict(state.get("metrics", {})) if state else {}
    bar = progress_bar(total=settings.steps, initial=start, desc="train arbitrary", unit="step",
                       quiet=not settings.progress)
    step, final = start, None
    interrupt = StopAtStepEnd()
    try:
        for batch in loader:
            step += 1
            x = batch.to(device)
            picks = torch.from_numpy(np.random.default_rng([settings.seed, step, 99]).integers(
                0, len(bank.sources), x.shape[0]))
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                terms = step_loss(model, vgg, bank, picks, x, settings, device)
            optimizer.zero_grad(set_to_none=True)
            terms[0].backward()
            optimizer.step()
            if not torch.isfinite(terms[0]):
                raise UserError(f"training diverged at step {step}; lower --lr or the style weight")
            window.add(terms)
            bar.update(1)
            progress, stop = _progress(step, window.started, settings, Distributed(), device)
            set_learning_rate([optimizer], settings.lr * lr_factor(progress, settings.lr_decay))
            last = stop or step == settings.steps or interrupt.requested
            if step % settings.log_every == 0 or last:
                metrics = window.close(step, optimizer.param_groups[0]["lr"])
                bar.set_postfix(loss=f"{metrics['total']:.4g}", steps_s=f"{window.steps_per_second:.2f}")
            if step % settings.preview_every == 0 or last:
                preview.save(model, run_dir / "previews" / f"step_{step:06d}.jpg")
            if step % settings.checkpoint_every == 0 or last:
                final = {**base, "step": step, "metrics": metrics, "model": model.state_dict(),
                         "optimizer": optimizer.state_dict(), "default_style": preview.default_style(model)}
                save_checkpoint(out, final)
            if stop:
                tqdm.write(f"time limit of {settings.time_limit:g} min reached at step {step}; checkpoint saved")
                break
            if interrupt.requested:
                tqdm.write(f"interrupted at step {step}; checkpoint saved (--resume continues from it)")
                interrupt.end()
    finally:
        interrupt.restore()
        bar.close()
    return final


def step_loss(model, vgg: VGG19Features, bank: StyleBank, picks: torch.Tensor, x: torch.Tensor,
              settings: ArbitrarySettings, device: torch.device) -> list[torch.Tensor]:
    """[total, content, style, saturation] of one batch, each content crop x[i] stylised as bank view picks[i]."""
    style = model.predict(bank.statistics[picks].to(device))
    y, z = model(x, style, with_preactivation=True)
    with torch.no_grad():
        targets = vgg(x, settings.content_layers)
    features = vgg(y)
    content = sum(losses.content_loss(features[layer], targets[layer]) for layer in settings.content_layers)
    style_term = sum(per_sample_style_loss(losses.gram_matrix(features[layer]), bank.grams[layer][picks].to(device))
                     for layer in GRAM_LAYERS) / len(GRAM_LAYERS)
    content, style_term = settings.content_weight * content, settings.style_weight * style_term
    saturated = settings.saturation_weight * saturation(z)
    return [content + style_term + saturated, content, style_term, saturated]


class Preview:
    """The sample photo under two training paintings and two held-out ones (or as many as there are), one row."""

    def __init__(self, paintings: list[Path], held_out: list[Path], size: int, device: torch.device):
        starry = [p for p in paintings if p.stem == DEFAULT_STYLE]
        chosen = (starry or paintings[:1]) + paintings[len(paintings) // 2:][:1] + held_out[:2]
        self.styles = [fitted_tensor(read_image(p), STYLE_SIDE).to(device) for p in chosen]
        self.names = [p.name for p in chosen]
        self.content = bgr8_to_tensor(resize(read_image(SAMPLE_CONTENT), (size, size)), device)
        self.thumbs = [resize(read_image(p), (size, size)) for p in chosen]

    @torch.no_grad()
    def default_style(self, model) -> dict:
        """The first preview painting's style vector: what the exported model paints without --style."""
        was_training = model.training
        vector = model.eval().embed(self.styles[0]).float().cpu()
        model.train(was_training)
        return {"image": self.names[0], "vector": vector}

    @torch.no_grad()
    def save(self, model, path: Path) -> None:
        was_training = model.training
        model.eval()
        tiles = [tensor_to_bgr8(self.content)]
        for style in self.styles:
            tiles.append(tensor_to_bgr8(model(self.content, model.embed(style)).float()))
        model.train(was_training)
        row = np.concatenate(tiles, axis=1)
        thumbs = np.concatenate([np.zeros_like(self.thumbs[0])] + self.thumbs, axis=1) if self.thumbs else None
        write_image(path, row if thumbs is None else np.concatenate([thumbs, row], axis=0), quality=90)
