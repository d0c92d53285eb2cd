"""Writes tests/golden/vgg19.json: statistics of VGG19 features on a fixed, computed input.

Run it only when the loss network is meant to change: `python tests/golden/make_vgg19_golden.py`.
The input is a smooth analytic pattern so that the values do not depend on any image file or decoder.
"""

import json
import math
from pathlib import Path

import torch

from stylecast.training.vgg import VGG19Features

LAYERS = ("conv1_1", "relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1", "pool5")


def golden_input() -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    channels = [0.5 + 0.5 * torch.sin(x / 3.0 + k) * torch.cos(y / (4.0 + k)) for k in range(3)]
    return torch.stack(channels).unsqueeze(0)


def statistics(layers=LAYERS) -> dict:
    features = VGG19Features(layers)(golden_input())
    return {name: {"shape": list(value.shape), "mean": value.mean().item(), "std": value.std().item(),
                   "abs_max": value.abs().max().item(), "corner": value[0, :4, 0, 0].tolist()}
            for name, value in features.items()}


if __name__ == "__main__":
    path = Path(__file__).with_name("vgg19.json")
    data = {"torch": torch.__version__, "input": "golden_input() in this script", "layers": statistics()}
    assert all(math.isfinite(v["mean"]) for v in data["layers"].values())
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}")
