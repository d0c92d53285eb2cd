"""Where a generator falls short of Gatys: its output's loss by term and by style layer, beside Gatys's.

quality.py gives each model one number, the Gatys step that matches its output's loss. That says how far a model
is from the goal, not why. This splits the same loss (each model's own configuration and style, from its
checkpoint) into content, style, and each style layer's share, for the generator's output and for Gatys L-BFGS
started from the photo after given numbers of steps (the goals' 50 and 100 by default): the layers where the
generator's share is far above Gatys's are what a better generator has to fix.

    python benchmarks/loss_breakdown.py --models training/zoo/starry_night-lite.pt \
        training/zoo/starry_night-transformer.pt --styles ../shared/data/styles \
        --photos ../shared/data/demo/astronaut.png [--size 256] [--steps 50,100]

Writes benchmarks/results/loss_breakdown.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def breakdown(loss, image: torch.Tensor, targets: dict) -> dict:
    """Total, content and style of `image` under `loss`, and the style term by layer (they sum to style)."""
    with torch.no_grad():
        terms = loss(image, targets)
    return {"total": float(terms.total), "content": float(terms.content), "style": float(terms.style),
            "style_by_layer": loss.style_by_layer(image)}


def evaluate(path: Path, styles_dir: Path, photo: Path, size: int, steps: list[int]) -> dict:
    from stylecast.runtime.imageio import read_image
    from stylecast.training.checkpoint import load_checkpoint, loss_from_checkpoint, model_from_checkpoint
    from stylecast.training.gatys import optimise_image
    from stylecast.training.tensors import fitted_tensor

    data = load_checkpoint(path)
    loss = loss_from_checkpoint(data, styles_dir)
    content = fitted_tensor(read_image(photo), size)
    targets = loss.content_targets(content)
    with torch.no_grad():
        generator = breakdown(loss, model_from_checkpoint(data)(content), targets)
    gatys = {}

    def record(step: int, _value: float, current: torch.Tensor) -> None:
        if step in steps:
            gatys[str(step)] = breakdown(loss, current, targets)

    optimise_image(loss, content, targets, max(steps), "lbfgs", on_step=record)
    print(f"{path.stem} {photo.name}: generator {generator['total']:.4f}, "
          + ", ".join(f"Gatys {s} steps {gatys[str(s)]['total']:.4f}" for s in steps), flush=True)
    return {"model": path.stem, "arch": data["arch"], "photo": photo.name, "generator": generator, "gatys": gatys}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", type=Path, required=True, help="checkpoints (.pt)")
    parser.add_argument("--styles", type=Path, required=True, help="folder holding the models' style images")
    parser.add_argument("--photos", nargs="+", type=Path, required=True, help="held-out photos")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", default="50,100", help="Gatys step counts to break down, comma-separated")
    parser.add_argument("--out", type=Path, default=RESULTS / "loss_breakdown.json")
    args = parser.parse_args(argv)
    try:
        steps = sorted({int(s) for s in args.steps.split(",")})
    except ValueError:
        parser.error(f"--steps: comma-separated whole numbers, not {args.steps!r}")
    if steps[0] < 1:
        parser.error("--steps: counts start at 1")
    rows = [evaluate(model, args.styles, photo, args.size, steps) for model in args.models for photo in args.photos]
    payload = {"benchmark": "loss_breakdown", "machine": machine_info(),
               "settings": {"size": args.size, "steps": steps, "optimizer": "lbfgs (max_iter=1)", "init": "content"},
               "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
