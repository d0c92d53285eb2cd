"""Training pix2pix and pix2pixHD (conditional GANs on paired data).

Per step: the generator G maps the input batch A to fakes; the discriminator D (conditional: it sees A beside the
image) learns to score real pairs (A, B) as real and (A, G(A)) as fake; then G learns to make D score its pairs as
real, plus the reconstruction terms of its recipe: L1 to the target (pix2pix, weight 100), or D's feature matching
and VGG19 features (pix2pixHD, weight 10 each). Adam at 2e-4 with beta1 0.5; the learning rate is constant, then
falls linearly to zero over the last `decay` of the run (the papers: 100 epochs constant + 100 decaying).

The loop keeps the perceptual trainer's habits (trainer.py): a progress bar with the losses on a terminal, a CSV
log, previews (input | output | target), atomic checkpoints with both networks and optimisers, `--resume`,
`--time-limit`, mixed precision (bf16) on CUDA, torchrun/DistributedDataParallel. D's accuracy (the share of
patches it classifies right) is logged: near 1.0 for long means G has lost the game (mode collapse, D
overpowering), near 0.5 a balanced game.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import read_image, write_image
from stylecast.runtime.progress import progress_bar

from ..architectures import ARCHITECTURES, build_model, check_input_size, model_config
from ..checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from ..dataset import StepBatches
from ..device import resolve_device
from ..tensors import bgr8_to_tensor, resize, tensor_to_bgr8
from ..graceful_stop import StopAtStepEnd
from ..log_window import LogWindow, end_distributed, set_learning_rate
from ..trainer import Distributed, _progress, _setup_distributed
from .discriminators import MultiscaleDiscriminator
from .gan_losses import VGGFeatureLoss, adversarial, feature_matching
from .pairs import PairDataset, find_pairs

LOSS_FIELDS = ("g_total", "g_gan", "l1", "feature_matching", "vgg", "d_real", "d_fake", "d_accuracy")


@dataclass
class GanSettings:
    """Every setting of a translation run; stored in the checkpoint. `recipe` fills the paper's defaults."""

    method: str = "pix2pix"  # which paper's recipe: pix2pix or pix2pixhd (recorded; the fields below act)
    arch: str = "unet"
    steps: int = 20000
    batch_size: int = 4
    size: int = 256
    lr: float = 2e-4
    beta1: float = 0.5
    decay: float = 0.5  # final fraction of the run over which the rate falls linearly to zero
    l1_weight: float = 100.0
    feature_matching_weight: float = 0.0
    vgg_weight: float = 0.0
    least_squares: bool = False  # LSGAN (pix2pixHD) instead of the vanilla cross-entropy GAN loss (pix2pix)
    d_width: int = 64
    d_layers: int = 3  # 3: 70x70 patches
    d_scales: int = 1  # pix2pixHD: 3 (2 for small images)
    seed: int = 0
    checkpoint_every: int = 1000
    preview_every: int = 500
    log_every: int = 50
    device: str = "auto"
    amp: bool = True
    workers: int = 0
    progress: bool = True
    time_limit: float | None = None

    def __post_init__(self):
        if self.method not in RECIPES:
            raise UserError(f"unknown method {self.method!r}; choose one of: {', '.join(RECIPES)}")
        check_gan_run(self, ("d_scales",))
        weights = (self.l1_weight, self.feature_matching_weight, self.vgg_weight)
        if not all(np.isfinite(w) and w >= 0 for w in weights):
            raise UserError("loss weights must be finite and not negative")


def check_gan_run(settings, counts: tuple[str, ...] = ()) -> None:
    """The checks every GAN run's settings share (GanSettings, cyclegan_trainer.CycleGanSettings): a registered
    generator; steps, sizes, intervals, the discriminator's width and layers and `counts` at least 1; Adam's rate
    and beta1, the decay fraction and the time limit in range."""
    if settings.arch not in ARCHITECTURES:
        raise UserError(f"unknown architecture {settings.arch!r}; choose one of: {', '.join(ARCHITECTURES)}")
    for name in ("steps", "batch_size", "size", "checkpoint_every", "preview_every", "log_every", "d_width",
                 "d_layers", *counts):
        if getattr(settings, name) < 1:
            raise UserError(f"{name.replace('_', '-')} must be at least 1")
    if not (settings.lr > 0 and 0 <= settings.beta1 < 1 and 0 <= settings.decay <= 1):
        raise UserError("lr must be positive, beta1 in [0, 1), decay a fraction between 0 and 1")
    if settings.time_limit is not None and not settings.time_limit > 0:
        raise UserError("time-limit must be positive (minutes)")
    if settings.seed < 0 or settings.workers < 0:
        raise UserError("seed and workers must not be negative")


RECIPES = {  # the papers' settings, as GanSettings fields
    "pix2pix": {"arch": "unet", "l1_weight": 100.0, "feature_matching_weight": 0.0, "vgg_weight": 0.0,
                "least_squares": False, "d_scales": 1},
    "pix2pixhd": {"arch": "pix2pixhd", "l1_weight": 0.0, "feature_matching_weight": 10.0, "vgg_weight": 10.0,
                  "least_squares": True, "d_scales": 2},
}


def recipe(method: str, **overrides) -> GanSettings:
    """The paper's settings for `method`, then `overrides` (None values are left at the recipe's)."""
    if method not in RECIPES:
        raise UserError(f"unknown method {method!r}; choose one of: {', '.join(RECIPES)}")
    return GanSettings(method=method, **{**RECIPES[method], **{k: v for k, v in overrides.items() if v is not None}})


def linear_decay(progress: float, decay: float) -> float:
    """Learning-rate multiplier: 1, then linearly down to 0 over the last `decay` of the run (pix2pix, CycleGAN)."""
    if decay <= 0 or progress <= 1 - decay:
        return 1.0
    return max(0.0, (1 - progress) / decay)


def patch_accuracy(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]], least_squares: bool) -> float:
    """Share of patches, over every scale, that D puts on the right side of its decision threshold."""
    threshold = 0.5 if least_squares else 0.0
    right = total = 0
    for real_scale, fake_scale in zip(real, fake):
        right += int((real_scale[-1] > threshold).sum()) + int((fake_scale[-1] <= threshold).sum())
        total += real_scale[-1].numel() + fake_scale[-1].numel()
    return right / total


def train_gan(settings: GanSettings, pairs_root: Path, out: Path, model_settings: dict | None = None,
              name: str | None = None, task: str = "translate", licence: str = "not recorded",
              resume: bool = False) -> dict:
    """Train (or resume) a translation GAN on `pairs_root` (A/ and B/); returns the last checkpoint dict."""
    dist_env = Distributed.from_env()
    device = _setup_distributed(dist_env, resolve_device(settings.device))
    torch.manual_seed(settings.seed + dist_env.rank)
    pairs = find_pairs(pairs_root)
    run_dir = out.with_name(out.stem + "_train")
    state = load_checkpoint(out) if resume and out.exists() else None
    if state is not None:
        if state.get("method") != settings.method or state["arch"] != settings.arch:
            raise UserError(f"{out} holds a {state.get('method')} {state['arch']} model; resume it with "
                            f"--method {state.get('method')}")
        generator = model_from_checkpoint(state)
        start_step = int(state["step"])
    else:
        generator = build_model(settings.arch, model_settings)
        start_step = 0
    if start_step >= settings.steps:
        raise UserError(f"{out} is already at step {start_step}; ask for more --steps to continue")
    discriminator = MultiscaleDiscriminator(6, settings.d_width, settings.d_layers, settings.d_scales)
    check_input_size(generator, settings.size)
    check_input_size(discriminator, settings.size, 6, f"{settings.d_layers}-layer discriminator")
    if state is not None and "discriminator" in state:  # a slimmed checkpoint resumes with a fresh one
        discriminator.load_state_dict(state["discriminator"])

    cuda = device.type == "cuda"
    amp_dtype = torch.bfloat16 if cuda and settings.amp and torch.cuda.is_bf16_supported() else None
    generator, discriminator = generator.to(device).train(), discriminator.to(device).train()
    betas = (settings.beta1, 0.999)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.lr, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.lr, betas=betas)
    if state is not None and "optimizer" in state and "optimizer_d" in state:
        opt_g.load_state_dict(state["optimizer"])
        opt_d.load_state_dict(state["optimizer_d"])
    g_net, d_net = generator, discriminator
    if dist_env.world > 1:
        ids = [device.index] if cuda else None
        g_net = torch.nn.parallel.DistributedDataParallel(generator, device_ids=ids)
        d_net = torch.nn.parallel.DistributedDataParallel(discriminator, device_ids=ids)
    vgg = VGGFeatureLoss().to(device) if settings.vgg_weight > 0 else None

    batches = StepBatches(len(pairs), settings.batch_size, settings.steps, start_step, settings.seed, dist_env.rank)
    loader = torch.utils.data.DataLoader(PairDataset(pairs, settings.size), batch_sampler=batches,
                                         num_workers=settings.workers, pin_memory=cuda,
                                         persistent_workers=settings.workers > 0)
    preview_pair = [bgr8_to_tensor(resize(read_image(p), (settings.size, settings.size)), device) for p in pairs[0]]
    base = {"arch": settings.arch, "model_config": model_config(generator), "loss_config": {},
            "task": task, "method": settings.method,
            "style": {"name": name or out.stem, "images": [], "weights": [], "licence": licence},
            "train": {**asdict(settings), "device": str(device), "world_size": dist_env.world,
                      "amp": "bf16" if amp_dtype else "fp32"},
            "data": {"folder": Path(pairs_root).name, "images": len(pairs), "skipped": 0}}
    if dist_env.main:
        run_dir.mkdir(parents=True, exist_ok=True)

    def checkpoint(step: int, metrics: dict) -> dict:
        data = {**base, "step": step, "metrics": metrics, "model": generator.state_dict(),
                "discriminator": discriminator.state_dict(), "optimizer": opt_g.state_dict(),
                "optimizer_d": opt_d.state_dict()}
        if dist_env.main:
            save_checkpoint(out, data)
        return data

    window = LogWindow(LOSS_FIELDS, run_dir / "log.csv", settings.batch_size, dist_env, device)
    metrics = dict(state.get("metrics", {})) if state else {}
    bar = progress_bar(total=settings.steps, initial=start_step, desc=f"train {settings.method}", unit="step",
                       quiet=not (settings.progress and dist_env.main))
    step, final, finished = start_step, None, False
    autocast = torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None)
    interrupt = StopAtStepEnd(dist_env.world == 1)
    try:
        for a, b in loader:
            step += 1
            a, b = a.to(device, non_blocking=True), b.to(device, non_blocking=True)
            with autocast:
                fake = g_net(a)
                real_scores = d_net(torch.cat([a, b], 1))
                fake_scores = d_net(torch.cat([a, fake.detach()], 1))
                d_real = adversarial(real_scores, True, settings.least_squares)
                d_fake = adversarial(fake_scores, False, settings.least_squares)
                loss_d = 0.5 * (d_real + d_fake)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            accuracy = patch_accuracy(real_scores, fake_scores, settings.least_squares)
            with autocast:
                scores = d_net(torch.cat([a, fake], 1))
                g_gan = adversarial(scores, True, settings.least_squares)
                l1 = F.l1_loss(fake.float(), b) if settings.l1_weight else g_gan.new_zeros(())
                fm = feature_matching(scores, real_scores) if settings.feature_matching_weight else g_gan.new_zeros(())
                perceptual = vgg(fake, b) if vgg is not None else g_gan.new_zeros(())
                loss_g = (g_gan + settings.l1_weight * l1 + settings.feature_matching_weight * fm
                          + settings.vgg_weight * perceptual)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            if not (torch.isfinite(loss_g) and torch.isfinite(loss_d)):
                raise UserError(f"training diverged at step {step} (G {float(loss_g.detach())}, "
                                f"D {float(loss_d.detach())}); lower --lr")
            window.add([loss_g, g_gan, l1, fm, perceptual, d_real, d_fake, accuracy])
            bar.update(1)
            progress, stop = _progress(step, window.started, settings, dist_env, device)
            set_learning_rate([opt_g, opt_d], settings.lr * linear_decay(progress, settings.decay))
            last = stop or step == settings.steps or interrupt.requested
            if step % settings.log_every == 0 or last:
                metrics = window.close(step, opt_g.param_groups[0]["lr"])
                bar.set_postfix(G=f"{metrics['g_total']:.3g}", D=f"{0.5 * (metrics['d_real'] + metrics['d_fake']):.3g}",
                                D_acc=f"{metrics['d_accuracy']:.2f}")
            if dist_env.main and (step % settings.preview_every == 0 or last):
                _save_preview(generator, preview_pair, run_dir / "previews" / f"step_{step:06d}.jpg")
            if step % settings.checkpoint_every == 0 or last:
                final = checkpoint(step, metrics)
            if stop:
                bar.write(f"time limit of {settings.time_limit:g} min reached at step {step}; checkpoint saved")
                break
            if interrupt.requested:
                bar.write(f"interrupted at step {step}; checkpoint saved (--resume continues from it)")
                interrupt.end()
        finished = True
    finally:
        interrupt.restore()
        bar.close()
        end_distributed(dist_env, finished)
    return final


@torch.no_grad()
def _save_preview(generator: torch.nn.Module, pair: list[torch.Tensor], path: Path) -> None:
    """input | output (as exported: eval mode) | target."""
    generator.eval()
    out = generator(pair[0]).float()
    generator.train()
    write_image(path, np.concatenate([tensor_to_bgr8(pair[0]), tensor_to_bgr8(out), tensor_to_bgr8(pair[1])], 1),
                quality=90)
