"""Device choice shared by every torch command: 'auto' picks CUDA when present; an explicit choice that is not
available is an error, never a silent fallback."""

from __future__ import annotations

import torch

from stylecast.runtime.errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise UserError(f"device {name!r} was asked for, but this PyTorch sees no CUDA GPU "
                            f"(torch {torch.__version__}); use --device cpu or install a CUDA build of torch")
        return torch.device(name)
    raise UserError(f"unknown device {name!r}; choose one of: {', '.join(DEVICE_CHOICES)} (or cuda:N)")


def default_steps(name: str, cpu_steps: int, gpu_steps: int) -> tuple[int, bool]:
    """(steps, on a GPU) for a training command whose user gave no --steps: the CPU's default is an hour or so of
    work, the GPU's the paper's run."""
    on_gpu = resolve_device(name).type == "cuda"
    return (gpu_steps if on_gpu else cpu_steps), on_gpu
