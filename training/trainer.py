"""Training a feed-forward generator against the perceptual loss (Johnson et al. 2016).

One loop serves the CPU, one GPU and several (torchrun -> DistributedDataParallel; gloo on the CPU, NCCL on
GPUs). On CUDA it uses mixed precision (bf16 autocast where supported, else fp16 with loss scaling) and
channels_last. Rank 0 alone writes checkpoints, previews and the CSV log.

Optional stability terms, both over a second view of each batch stylised in the same forward pass:
noise robustness (`noise_weight`: the copy has a little Gaussian noise, and the two outputs must agree) and the
temporal loss (`temporal_weight`: the copy is also moved by a small random affine motion, and the second output
must equal the first moved the same way; see motion.py). Small input changes then make small output changes,
which is most of what makes per-frame video stylisation flicker.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from stylecast.runtime.errors import UserError
from stylecast.runtime.progress import progress_bar
from stylecast.runtime.imageio import read_image, write_image
from stylecast.runtime.samples import SAMPLE_CONTENT

from .architectures import build_model, check_input_size, model_config
from .checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from .dataset import CropDataset, StepBatches, find_images
from .device import resolve_device
from .generator import saturation
from .graceful_stop import StopAtStepEnd
from .log_window import LogWindow, end_distributed, set_learning_rate
from .motion import next_frame, random_affine, temporal_loss
from .perceptual import LossConfig, PerceptualLoss
from .tensors import bgr8_to_tensor, fitted_tensor, resize, tensor_to_bgr8

LOSS_FIELDS = ("total", "content", "style", "tv", "histogram", "stats", "consistency", "saturation")  # window means


@dataclass
class TrainSettings:
    arch: str = "transformer"
    steps: int = 40000
    batch_size: int = 4
    size: int = 256  # training crop side
    style_size: int = 512  # longest side of the style images
    lr: float = 1e-3
    seed: int = 0
    checkpoint_every: int = 1000
    preview_every: int = 500
    log_every: int = 50
    noise_weight: float = 0.0
    noise_std: float = 0.04  # in 0..1 image units, about 10 grey levels
    temporal_weight: float = 0.0
    max_shift: float = 4.0  # pixels of motion between the synthetic frames of the temporal loss
    saturation_weight: float = 1.0  # keeps the output out of the tanh's dead tails (see generator.saturation)
    device: str = "auto"
    amp: bool = True  # mixed precision on CUDA; ignored on the CPU
    workers: int = 0
    progress: bool = True
    time_limit: float | None = None  # minutes; stop (with a checkpoint) at the first step past it
    lr_decay: float = 0.0  # final fraction of the run over which the learning rate falls to zero (cosine)

    def __post_init__(self):
        for name in ("steps", "batch_size", "size", "style_size", "checkpoint_every", "preview_every", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"{name.replace('_', '-')} must be at least 1")
        if self.seed < 0 or self.workers < 0:
            raise UserError("seed and workers must not be negative")
        if min(self.size, self.style_size) < 16:
            raise UserError("size and style-size must be at least 16 px (the loss network halves them four times)")
        if self.time_limit is not None and self.time_limit <= 0:
            raise UserError("time-limit must be positive (minutes)")
        if not 0 <= self.lr_decay <= 1:
            raise UserError("lr-decay must be a fraction of the run between 0 and 1")
        if self.lr <= 0 or min(self.noise_weight, self.noise_std, self.temporal_weight, self.max_shift,
                               self.saturation_weight) < 0:
            raise UserError("lr must be positive; noise, temporal and saturation weights, noise std and max shift "
                            "must not be negative")
        if self.noise_weight > 0 and self.temporal_weight > 0:
            raise UserError("choose one of noise weight and temporal weight: the temporal loss's second frame "
                            "already carries the noise")

    @property
    def consistency_weight(self) -> float:
        return self.temporal_weight or self.noise_weight


@dataclass
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> "Distributed":
        return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)),
                   int(os.environ.get("LOCAL_RANK", 0)))


def _setup_distributed(dist_env: Distributed, device: torch.device) -> torch.device:
    if dist_env.world == 1:
        return device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", dist_env.local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def train(settings: TrainSettings, loss_config: LossConfig, styles: Sequence[Path], data: Path, out: Path,
          style_weights: Sequence[float] | None = None, model_settings: dict | None = None,
          name: str | None = None, style_licence: str = "not recorded", resume: bool = False,
          init: Path | None = None) -> dict:
    """Train (or resume) a generator; returns the final checkpoint dict (without its tensors' copies).

    `init` starts from another checkpoint's weights (its architecture and settings) at step 0."""
    dist_env = Distributed.from_env()
    device = _setup_distributed(dist_env, resolve_device(settings.device))
    torch.manual_seed(settings.seed + dist_env.rank)
    files, skipped = find_images(data, progress=settings.progress and dist_env.main)
    style_images = [read_image(path) for path in styles]
    run_dir = out.with_name(out.stem + "_train")

    state = load_checkpoint(out) if resume and out.exists() else None
    if state is not None:
        if state["arch"] != settings.arch:
            raise UserError(f"{out} holds a {state['arch']} model; resume it with --arch {state['arch']}")
        model = model_from_checkpoint(state)
        start_step = int(state["step"])
    elif init is not None:
        source = load_checkpoint(init)
        if source["arch"] != settings.arch:
            raise UserError(f"{init} holds a {source['arch']} model; --init needs a {settings.arch} model")
        model = model_from_checkpoint(source)
        start_step = 0
    else:
        model = build_model(settings.arch, model_settings)
        start_step = 0
    if start_step >= settings.steps:
        raise UserError(f"{out} is already at step {start_step}; ask for more --steps to continue")

    cuda = device.type == "cuda"
    amp_dtype = (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16) if cuda and settings.amp \
        else None
    memory_format = torch.channels_last if cuda else torch.contiguous_format
    check_input_size(model, settings.size)
    model = model.to(device, memory_format=memory_format).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    if state is not None and "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    network = model
    if dist_env.world > 1:
        network = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)

    style_tensors = [fitted_tensor(img, settings.style_size) for img in style_images]
    loss_fn = PerceptualLoss(loss_config, style_tensors, style_weights, device=device)
    preview = bgr8_to_tensor(resize(read_image(SAMPLE_CONTENT), (settings.size, settings.size)), device)

    batches = StepBatches(len(files), settings.batch_size, settings.steps, start_step, settings.seed, dist_env.rank)
    loader = torch.utils.data.DataLoader(CropDataset(files, settings.size), batch_sampler=batches,
                                         num_workers=settings.workers, pin_memory=cuda,
                                         persistent_workers=settings.workers > 0)
    base = {
        "arch": settings.arch, "model_config": model_config(model), "loss_config": loss_config.to_dict(),
        "style": {"name": name or Path(styles[0]).stem, "images": [Path(p).name for p in styles],
                  "weights": list(style_weights) if style_weights else [1.0] * len(styles),
                  "licence": style_licence},
        "train": {**asdict(settings), "device": str(device), "world_size": dist_env.world,
                  "amp": str(amp_dtype).replace("torch.", "") if amp_dtype else "fp32"},
        "data": {"folder": Path(data).name, "images": len(files), "skipped": skipped},
    }
    if init is not None:  # the source's own start too: a fine-tune of a fine-tune keeps its whole history
        base["init"] = {"file": Path(init).name, "step": int(source["step"]), "style": source["style"]["name"],
                        **({"from": source["init"]} if source.get("init") else {})}
    elif state is not None and "init" in state:
        base["init"] = state["init"]
    if dist_env.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        if skipped:
            tqdm.write(f"skipped {skipped} unreadable image(s) in {data}")

    def checkpoint(step: int, metrics: dict) -> dict:
        data_ = {**base, "step": step, "metrics": metrics, "model": model.state_dict(),
                 "optimizer": optimizer.state_dict()}
        if dist_env.main:
            save_checkpoint(out, data_)
        return data_

    window = LogWindow(LOSS_FIELDS, run_dir / "log.csv", settings.batch_size, dist_env, device)
    metrics = dict(state.get("metrics", {})) if state else {}
    bar = progress_bar(total=settings.steps, initial=start_step, desc=f"train {settings.arch}", unit="step",
                       quiet=not (settings.progress and dist_env.main))
    step, finished = start_step, False
    interrupt = StopAtStepEnd(dist_env.world == 1)
    try:
        for batch in loader:
            step += 1
            x = batch.to(device, non_blocking=True).contiguous(memory_format=memory_format)
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                if settings.consistency_weight > 0:  # one forward over both views (instance norm keeps them apart)
                    theta = random_affine(x.shape[0], settings.size, settings.max_shift, device=device) \
                        if settings.temporal_weight > 0 else None
                    both, z = network(torch.cat([x, next_frame(x, theta, settings.noise_std)]),
                                      with_preactivation=True)
                    y, y_next = both.chunk(2)
                else:
                    y, z = network(x, with_preactivation=True)
                terms = loss_fn(y, loss_fn.content_targets(x))
                consistency = terms.total.new_zeros(())
                if settings.consistency_weight > 0:
                    consistency = settings.consistency_weight * temporal_loss(y.float(), y_next.float(), theta)
                saturated = settings.saturation_weight * saturation(z)
                total = terms.total + consistency + saturated
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(total).backward()
            scaler.step(optimizer)
            scaler.update()
            if not torch.isfinite(total):
                raise UserError(f"training diverged at step {step} (loss {float(total.detach())}); lower --lr or the "
                                "weights")
            window.add([total, terms.content, terms.style, terms.tv, terms.histogram, terms.stats, consistency,
                        saturated])
            bar.update(1)
            progress, stop = _progress(step, window.started, settings, dist_env, device)
            set_learning_rate([optimizer], settings.lr * lr_factor(progress, settings.lr_decay))  # the next step's
            last = stop or step == settings.steps or interrupt.requested
            if step % settings.log_every == 0 or last:
                metrics = window.close(step, optimizer.param_groups[0]["lr"])
                bar.set_postfix(loss=f"{metrics['total']:.4g}", steps_s=f"{window.steps_per_second:.2f}")
            if dist_env.main and (step % settings.preview_every == 0 or last):
                _save_preview(model, preview, run_dir / "previews" / f"step_{step:06d}.jpg")
            if step % settings.checkpoint_every == 0 or last:
                final = checkpoint(step, metrics)
            if stop:
                if dist_env.main:
                    tqdm.write(f"time limit of {settings.time_limit:g} min reached at step {step}; checkpoint saved")
                break
            if interrupt.requested:
                tqdm.write(f"interrupted at step {step}; checkpoint saved (--resume continues from it)")
                interrupt.end()
        finished = True
    finally:
        interrupt.restore()
        bar.close()
        end_distributed(dist_env, finished)
    return final


def _progress(step: int, started: float, settings: TrainSettings, dist_env: Distributed,
              device: torch.device) -> tuple[float, bool]:
    """How far the run is (0..1: by steps, or by time under a time limit, whichever is further) and whether its
    time is up. With several processes the time is the furthest clock's (an all-reduce), so that all ranks use the
    same learning rate and stop at the same step (a rank left waiting in an all-reduce would hang). A resumed run
    counts its time limit afresh, its steps from where it stopped."""
    elapsed = 0.0
    if settings.time_limit is not None:
        elapsed = (time.perf_counter() - started) / (60 * settings.time_limit)
        if dist_env.world > 1:
            import torch.distributed as dist

            flag = torch.tensor([elapsed], device=device, dtype=torch.float64)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            elapsed = float(flag.item())
    return min(max(step / settings.steps, elapsed), 1.0), elapsed >= 1


def lr_factor(progress: float, decay: float) -> float:
    """Learning-rate multiplier: 1 until the last `decay` of the run, then a half cosine down to 0 at its end.

    Adam at a constant rate keeps the weights wandering around the minimum: TransformerNets at 1e-3 grow round
    glows that come and go between snapshots. Letting the rate fall at the end settles them (the shipped
    TransformerNets: no glows on the demo photos, 7-17% lower held-out loss; README, "Shipped models")."""
    if decay <= 0 or progress <= 1 - decay:
        return 1.0
    return 0.5 * (1 + math.cos(math.pi * min((progress - (1 - decay)) / decay, 1.0)))


@torch.no_grad()
def _save_preview(model: torch.nn.Module, image: torch.Tensor, path: Path) -> None:
    was_training = model.training
    model.eval()
    out = model(image.contiguous(memory_format=torch.channels_last) if image.is_cuda else image)
    model.train(was_training)
    write_image(path, np.concatenate([tensor_to_bgr8(image), tensor_to_bgr8(out.float())], axis=1), quality=90)
