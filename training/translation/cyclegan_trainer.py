"""Training CycleGAN (Zhu et al. 2017): unpaired translation between two collections, e.g. photos and paintings.

Two generators, G: A -> B (the one exported) and F: B -> A, and two PatchGAN discriminators, D_B (is this a real B?)
and D_A. Per step, on a batch of A images and an unrelated batch of B images:
- G and F: least-squares GAN losses against D_B and D_A, the cycle-consistency loss |F(G(a)) - a| + |G(F(b)) - b|
  (weight 10) and the identity loss |G(b) - b| + |F(a) - a| (half the cycle weight), which keeps colours where
  they need not change;
- D_A and D_B: least squares on real images and on fakes drawn from a pool of 50 past fakes (image_pool.py).
Adam at 2e-4 with beta1 0.5, constant then linearly falling to zero over the last `decay` of the run.

Known ways a run collapses are logged and warned about once past the first tenth of the run: G learning to change
nothing (the mean absolute change it makes, `change`, below `collapse_change`), colours inverting (the correlation
between the luminance of a and of G(a), `luminance_correlation`, below zero), and a discriminator that wins
outright (its patch accuracy, `d_b_accuracy`, near 1.0).

Collections: any folders of images; large images (paintings) give many crops when `zoom_b` scales them to several
crop sizes before cropping.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import read_image, write_image
from stylecast.runtime.progress import progress_bar

from ..architectures import build_model, check_input_size, model_config
from ..checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from ..dataset import find_images, random_crop
from ..device import resolve_device
from ..tensors import tensor_to_bgr8
from ..graceful_stop import StopAtStepEnd
from ..log_window import LogWindow, end_distributed, set_learning_rate
from ..trainer import Distributed, _progress, _setup_distributed
from .discriminators import MultiscaleDiscriminator
from .gan_losses import adversarial
from .gan_trainer import check_gan_run, linear_decay, patch_accuracy
from .image_pool import ImagePool
from .unet import luminance

LOSS_FIELDS = ("g_total", "g_gan", "cycle", "identity", "d_a", "d_b", "d_a_accuracy", "d_b_accuracy", "change",
               "luminance_correlation")


@dataclass
class CycleGanSettings:
    """Every setting of a CycleGAN run; stored in the checkpoint."""

    arch: str = "lite"  # the real-time generator; "resnet" is the paper's
    steps: int = 20000
    batch_size: int = 4
    size: int = 256
    lr: float = 2e-4
    beta1: float = 0.5
    decay: float = 0.5
    cycle_weight: float = 10.0
    identity_fraction: float = 0.5  # identity weight as a fraction of the cycle weight (the paper: 0.5)
    pool_size: int = 50
    d_width: int = 64
    d_layers: int = 3
    zoom_a: float = 1.0  # crops of A cover about 1/zoom of the image's shorter side
    zoom_b: float = 2.0
    collapse_change: float = 0.02  # warn when G's mean change (0..1 units) falls below this
    seed: int = 0
    checkpoint_every: int = 1000
    preview_every: int = 500
    log_every: int = 50
    device: str = "auto"
    amp: bool = True
    workers: int = 0
    progress: bool = True
    time_limit: float | None = None
    method: str = "cyclegan"

    def __post_init__(self):
        check_gan_run(self)
        if self.pool_size < 0:
            raise UserError("pool size must not be negative")
        numbers = (self.cycle_weight, self.identity_fraction, self.zoom_a, self.zoom_b, self.collapse_change)
        if not all(np.isfinite(v) and v >= 0 for v in numbers) or min(self.zoom_a, self.zoom_b) < 1:
            raise UserError("weights must be finite and not negative, zooms at least 1")


class UnpairedBatches(torch.utils.data.Sampler):
    """Batches for steps start+1 .. steps: (index in A, index in B, crop seed) drawn from (seed, step, rank), so a
    resumed run continues exactly and workers need no shared state."""

    def __init__(self, count_a: int, count_b: int, batch_size: int, steps: int, start: int, seed: int, rank: int):
        self.counts, self.batch_size, self.steps, self.start, self.seed, self.rank = (
            (count_a, count_b), batch_size, steps, start, seed, rank)

    def __len__(self) -> int:
        return max(0, self.steps - self.start)

    def __iter__(self) -> Iterator[list[tuple[int, int, int]]]:
        for step in range(self.start + 1, self.steps + 1):
            rng = np.random.default_rng([self.seed, step, self.rank])
            a, b = (rng.integers(0, count, self.batch_size) for count in self.counts)
            seeds = rng.integers(0, 2 ** 62, self.batch_size)
            yield [(int(i), int(j), int(s)) for i, j, s in zip(a, b, seeds)]


class UnpairedDataset(torch.utils.data.Dataset):
    def __init__(self, files_a: list[Path], files_b: list[Path], size: int, zoom_a: float, zoom_b: float):
        self.files, self.size, self.zooms = (files_a, files_b), size, (zoom_a, zoom_b)

    def __len__(self) -> int:
        return len(self.files[0])

    def __getitem__(self, item: tuple[int, int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        index_a, index_b, seed = item
        rng = np.random.default_rng(seed)
        out = []
        for files, index, zoom in zip(self.files, (index_a, index_b), self.zooms):
            crop = random_crop(read_image(files[index]), self.size, rng, zoom)
            out.append(torch.from_numpy(np.ascontiguousarray(crop[:, :, ::-1], dtype=np.float32) / 255.0)
                       .permute(2, 0, 1))
        return out[0], out[1]


def luminance_correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the Pearson correlation between the two images' luminance (1: same light and dark
    places, -1: inverted)."""
    x, y = (luminance(t.float()).flatten(1) for t in (a, b))
    x, y = x - x.mean(1, keepdim=True), y - y.mean(1, keepdim=True)
    return ((x * y).sum(1) / (x.norm(dim=1) * y.norm(dim=1) + 1e-8)).mean()


def train_cyclegan(settings: CycleGanSettings, domain_a: Path, domain_b: Path, out: Path,
                   model_settings: dict | None = None, name: str | None = None, task: str = "style",
                   licence: str = "not recorded", resume: bool = False, init: Path | None = None) -> dict:
    """Train (or resume) a CycleGAN; returns the last checkpoint dict. `model` in it is G: A -> B. `init`: a
    checkpoint of the same architecture whose generator G starts from (e.g. a perceptual model of one painting of
    the collection: G then begins as a stylizer that keeps content, and F and the discriminators start fresh)."""
    dist_env = Distributed.from_env()
    device = _setup_distributed(dist_env, resolve_device(settings.device))
    torch.manual_seed(settings.seed + dist_env.rank)
    files_a, skipped_a = find_images(domain_a, progress=False)
    files_b, skipped_b = find_images(domain_b, progress=False)
    run_dir = out.with_name(out.stem + "_train")
    state = load_checkpoint(out) if resume and out.exists() else None
    if state is not None:
        if state.get("method") != "cyclegan" or state["arch"] != settings.arch:
            raise UserError(f"{out} holds a {state.get('method')} {state['arch']} model; resume it with its own "
                            "--method and --arch")
        g_ab = model_from_checkpoint(state)
        g_ba = model_from_checkpoint({**state, "model": state["model_reverse"]})
        start_step = int(state["step"])
    else:
        g_ab, g_ba = build_model(settings.arch, model_settings), build_model(settings.arch, model_settings)
        if init is not None:
            source = load_checkpoint(init)
            if source["arch"] != settings.arch or source["model_config"] != model_config(g_ab):
                raise UserError(f"{init} holds a {source['arch']} {source['model_config']} model; --init needs "
                                f"{settings.arch} {model_config(g_ab)}")
            g_ab = model_from_checkpoint(source, str(init))
        start_step = 0
    if start_step >= settings.steps:
        raise UserError(f"{out} is already at step {start_step}; ask for more --steps to continue")
    d_a, d_b = (MultiscaleDiscriminator(3, settings.d_width, settings.d_layers, 1) for _ in range(2))
    check_input_size(g_ab, settings.size)
    check_input_size(d_b, settings.size, 3, f"{settings.d_layers}-layer discriminator")
    if state is not None and "discriminator" in state:
        d_b.load_state_dict(state["discriminator"])
        d_a.load_state_dict(state["discriminator_a"])

    cuda = device.type == "cuda"
    amp_dtype = torch.bfloat16 if cuda and settings.amp and torch.cuda.is_bf16_supported() else None
    for net in (g_ab, g_ba, d_a, d_b):
        net.to(device).train()
    betas = (settings.beta1, 0.999)
    opt_g = torch.optim.Adam(itertools.chain(g_ab.parameters(), g_ba.parameters()), lr=settings.lr, betas=betas)
    opt_d = torch.optim.Adam(itertools.chain(d_a.parameters(), d_b.parameters()), lr=settings.lr, betas=betas)
    if state is not None and "optimizer" in state and "optimizer_d" in state:
        opt_g.load_state_dict(state["optimizer"])
        opt_d.load_state_dict(state["optimizer_d"])
    nets = [g_ab, g_ba, d_a, d_b]
    if dist_env.world > 1:
        ids = [device.index] if cuda else None
        nets = [torch.nn.parallel.DistributedDataParallel(n, device_ids=ids) for n in nets]
    G, Fb, DA, DB = nets
    pools = (ImagePool(settings.pool_size, settings.seed), ImagePool(settings.pool_size, settings.seed + 1))

    batches = UnpairedBatches(len(files_a), len(files_b), settings.batch_size, settings.steps, start_step,
                              settings.seed, dist_env.rank)
    dataset = UnpairedDataset(files_a, files_b, settings.size, settings.zoom_a, settings.zoom_b)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=batches, num_workers=settings.workers,
                                         pin_memory=cuda, persistent_workers=settings.workers > 0)
    preview = [t[None].to(device) for t in dataset[(0, 0, settings.seed)]]
    base = {"arch": settings.arch, "model_config": model_config(g_ab), "loss_config": {}, "task": task,
            "method": "cyclegan",
            "style": {"name": name or out.stem, "images": [], "weights": [], "licence": licence},
            "train": {**asdict(settings), "device": str(device), "world_size": dist_env.world,
                      "init": (state or {}).get("train", {}).get("init") if init is None else Path(init).name,
                      "amp": "bf16" if amp_dtype else "fp32"},
            "data": {"folder": Path(domain_a).name, "images": len(files_a), "skipped": skipped_a,
                     "folder_b": Path(domain_b).name, "images_b": len(files_b), "skipped_b": skipped_b}}
    if dist_env.main:
        run_dir.mkdir(parents=True, exist_ok=True)

    def checkpoint(step: int, metrics: dict) -> dict:
        data = {**base, "step": step, "metrics": metrics, "model": g_ab.state_dict(),
                "model_reverse": g_ba.state_dict(), "discriminator": d_b.state_dict(),
                "discriminator_a": d_a.state_dict(), "optimizer": opt_g.state_dict(),
                "optimizer_d": opt_d.state_dict()}
        if dist_env.main:
            save_checkpoint(out, data)
        return data

    window = LogWindow(LOSS_FIELDS, run_dir / "log.csv", settings.batch_size, dist_env, device)
    metrics = dict(state.get("metrics", {})) if state else {}
    bar = progress_bar(total=settings.steps, initial=start_step, desc="train cyclegan", unit="step",
                       quiet=not (settings.progress and dist_env.main))
    autocast = torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None)
    identity_weight = settings.identity_fraction * settings.cycle_weight
    step, final, warned, finished = start_step, None, set(), False
    interrupt = StopAtStepEnd(dist_env.world == 1)
    try:
        for a, b in loader:
            step += 1
            a, b = a.to(device, non_blocking=True), b.to(device, non_blocking=True)
            with autocast:
                fake_b, fake_a = G(a), Fb(b)
                cycle = F.l1_loss(Fb(fake_b).float(), a) + F.l1_loss(G(fake_a).float(), b)
                identity = (F.l1_loss(G(b).float(), b) + F.l1_loss(Fb(a).float(), a)) if identity_weight else \
                    cycle.new_zeros(())
                g_gan = adversarial(DB(fake_b), True, True) + adversarial(DA(fake_a), True, True)
                loss_g = g_gan + settings.cycle_weight * cycle + identity_weight * identity
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            with autocast:
                real_b, pooled_b = DB(b), DB(pools[1].query(fake_b))
                real_a, pooled_a = DA(a), DA(pools[0].query(fake_a))
                loss_db = 0.5 * (adversarial(real_b, True, True) + adversarial(pooled_b, False, True))
                loss_da = 0.5 * (adversarial(real_a, True, True) + adversarial(pooled_a, False, True))
            opt_d.zero_grad(set_to_none=True)
            (loss_da + loss_db).backward()
            opt_d.step()
            if not (torch.isfinite(loss_g) and torch.isfinite(loss_da + loss_db)):
                raise UserError(f"training diverged at step {step}; lower --lr")
            with torch.no_grad():
                change = (fake_b.float() - a).abs().mean()
                correlation = luminance_correlation(a, fake_b)
            window.add([loss_g, g_gan, cycle, identity, loss_da, loss_db, patch_accuracy(real_a, pooled_a, True),
                        patch_accuracy(real_b, pooled_b, True), change, correlation])
            bar.update(1)
            progress, stop = _progress(step, window.started, settings, dist_env, device)
            set_learning_rate([opt_g, opt_d], settings.lr * linear_decay(progress, settings.decay))
            last = stop or step == settings.steps or interrupt.requested
            if step % settings.log_every == 0 or last:
                metrics = window.close(step, opt_g.param_groups[0]["lr"])
                bar.set_postfix(G=f"{metrics['g_total']:.3g}", cycle=f"{metrics['cycle']:.3g}",
                                change=f"{metrics['change']:.3f}", D_B_acc=f"{metrics['d_b_accuracy']:.2f}")
                if dist_env.main:
                    for kind, warning in collapse_warnings(metrics, progress, settings).items():
                        if kind not in warned:  # once per kind of failure
                            warned.add(kind)
                            bar.write(f"warning at step {step}: {warning}")
            if dist_env.main and (step % settings.preview_every == 0 or last):
                _save_preview(g_ab, g_ba, preview, run_dir / "previews" / f"step_{step:06d}.jpg")
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


def collapse_warnings(metrics: dict, progress: float, settings: CycleGanSettings) -> dict[str, str]:
    """{kind: message} for the known failure signs in a window's mean losses, once past the first tenth."""
    if progress < 0.1:
        return {}
    found = {}
    if metrics["change"] < settings.collapse_change:
        found["unchanged"] = (f"the generator changes almost nothing (mean change {metrics['change']:.3f} < "
                              f"{settings.collapse_change}): raise the GAN's share (lower the cycle or identity "
                              "weight)")
    if metrics["luminance_correlation"] < 0:
        found["inverted"] = (f"the output's light and dark are inverted (luminance correlation "
                             f"{metrics['luminance_correlation']:.2f}): restart with another seed or a higher "
                             "identity weight")
    if metrics["d_b_accuracy"] > 0.98:
        found["discriminator"] = (f"the B discriminator wins outright (patch accuracy {metrics['d_b_accuracy']:.2f}):"
                                  " the generator gets no useful gradient")
    return found


@torch.no_grad()
def _save_preview(g_ab, g_ba, pair: list[torch.Tensor], path: Path) -> None:
    """a | G(a) | b | F(b), as exported (eval mode)."""
    g_ab.eval(), g_ba.eval()
    a, b = pair
    images = [a, g_ab(a).float(), b, g_ba(b).float()]
    g_ab.train(), g_ba.train()
    write_image(path, np.concatenate([tensor_to_bgr8(t) for t in images], 1), quality=90)
