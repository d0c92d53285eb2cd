"""What every trainer does between optimiser steps: the means of its losses over the steps since the last log
row, one CSV row per window (rank 0 only, with the rate in training images per second), and the end of a
torchrun run. Shared by the perceptual trainer (trainer.py) and the GAN trainers (translation/)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Sequence

import torch


def append_log(path: Path, fields: Sequence[str], row: list) -> None:
    """One row of a CSV log, with the header `fields` when the file is new."""
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(fields)
        writer.writerow(row)


class LogWindow:
    """Sums `losses` per step; `close` averages them over the window (and over ranks), writes the log row and
    starts a new window. The log's columns: step, seconds, images_per_second, lr, then `losses`."""

    def __init__(self, losses: Sequence[str], log_path: Path, images_per_step: int, dist_env, device):
        self.losses, self.log_path, self.images_per_step = tuple(losses), log_path, images_per_step
        self.dist_env = dist_env
        self.sums = torch.zeros(len(self.losses), device=device)
        self.steps = 0
        self.steps_per_second = 0.0
        self.started = self.window_start = time.perf_counter()

    @property
    def fields(self) -> tuple[str, ...]:
        return ("step", "seconds", "images_per_second", "lr", *self.losses)

    def add(self, values: Sequence) -> None:
        """One step's losses, in the order of `losses` (tensors or numbers)."""
        self.sums += torch.stack([torch.as_tensor(v, device=self.sums.device).detach().float() for v in values])
        self.steps += 1

    def close(self, step: int, lr: float) -> dict[str, float]:
        """The window's means as {loss: value}; rank 0 appends the log row."""
        sums = self.sums.clone()
        if self.dist_env.world > 1:
            import torch.distributed as dist

            dist.all_reduce(sums)
            sums = sums / self.dist_env.world
        means = (sums / max(self.steps, 1)).tolist()
        now = time.perf_counter()
        rate = self.steps * self.images_per_step * self.dist_env.world / max(now - self.window_start, 1e-9)
        if self.dist_env.main:
            append_log(self.log_path, self.fields, [step, round(now - self.started, 3), round(rate, 3), f"{lr:.3g}",
                                                    *(round(v, 6) for v in means)])
        self.steps_per_second = self.steps / max(now - self.window_start, 1e-9)  # of the window just closed
        self.sums.zero_()
        self.steps, self.window_start = 0, now
        return dict(zip(self.losses, means))


def set_learning_rate(optimizers: Sequence[torch.optim.Optimizer], lr: float) -> None:
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] = lr


def end_distributed(dist_env, finished: bool) -> None:
    """After a torchrun run: wait for rank 0's last files (tearing gloo down under a writing rank can abort it),
    then leave the process group. `finished` False (an exception) skips the barrier."""
    if dist_env.world <= 1:
        return
    import torch.distributed as dist

    if finished:
        dist.barrier()
    dist.destroy_process_group()
