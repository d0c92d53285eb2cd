"""Test helpers that need torch: checkpoints made directly (no training) for export and runtime tests."""

from __future__ import annotations

import torch

from stylecast.training.architectures import build_model, model_config
from stylecast.training.checkpoint import save_checkpoint
from stylecast.training.perceptual import LossConfig

SMALL = {"transformer": {"width": 8, "residual_blocks": 1}, "lite": {"width": 4, "residual_blocks": 1},
         "texture": {"scales": 3, "channels": 4}, "unet": {"width": 4, "depth": 3, "max_width": 8},
         "pix2pixhd": {"width": 4, "downsamplings": 2, "residual_blocks": 1, "local_residual_blocks": 1},
         "resnet": {"width": 4, "residual_blocks": 1},
         "arbitrary-lite": {"width": 4, "residual_blocks": 1, "embedding": 8, "hidden": 16}}


def make_checkpoint(path, arch: str, config: dict | None = None, seed: int = 0):
    """A valid checkpoint of a freshly initialised model (weights perturbed so outputs are not flat grey)."""
    torch.manual_seed(seed)
    model = build_model(arch, SMALL[arch] if config is None else config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    save_checkpoint(path, {
        "arch": arch, "model_config": model_config(model), "loss_config": LossConfig().to_dict(),
        "style": {"name": f"test-{arch}", "images": ["style.png"], "weights": [1.0], "licence": "test"},
        "train": {"size": 64, "style_size": 64, "batch_size": 1, "lr": 1e-3, "seed": seed, "device": "cpu",
                  "amp": "fp32", "noise_weight": 0.0, "noise_std": 0.04},
        "data": {"folder": "synthetic", "images": 1, "skipped": 0}, "step": 0, "metrics": {},
        "model": model.state_dict(),
        **({"default_style": {"image": "style.png", "vector": torch.randn(1, model.config.embedding)}}
           if hasattr(model, "embed") else {})})
    return path


def held_out_losses(data: dict, arch: str, config: dict) -> tuple[float, float]:
    """(loss of the trainer's initial model, loss of the trained one) on two photos it never saw, under the
    checkpoint's own loss; the initial model is rebuilt from the trainer's seed 0."""
    from conftest import synthetic_painting, synthetic_photo

    from stylecast.training.checkpoint import model_from_checkpoint
    from stylecast.training.perceptual import PerceptualLoss
    from stylecast.training.tensors import bgr8_to_tensor

    torch.manual_seed(0)
    initial = build_model(arch, config).eval()
    loss = PerceptualLoss(LossConfig.from_dict(data["loss_config"]), [bgr8_to_tensor(synthetic_painting(64, 64))])
    held_out = torch.cat([bgr8_to_tensor(synthetic_photo(32, 32, seed=s)) for s in (20, 21)])
    targets = loss.content_targets(held_out)
    with torch.no_grad():
        return (loss(initial(held_out), targets).total.item(),
                loss(model_from_checkpoint(data)(held_out), targets).total.item())
