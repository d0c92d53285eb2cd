"""How good is each shipped generator? Its output's loss, in Gatys steps.

For each model checkpoint and each held-out photo (never in the training set): the perceptual loss of the
generator's output under the model's OWN loss configuration and style image, and the loss curve of Gatys L-BFGS
optimisation of that same loss, initialised from the photo. The "equivalent steps" are the first step at which
Gatys reaches the generator's loss, where it stops. Goals (issue 3): at least 100 for TransformerNet, at least 50
for LiteNet. Johnson et al. 2016, who report 50 to 100 for their networks, started Gatys from white noise:
`--init noise` measures that way (and writes quality_noise_init.json).

    python benchmarks/quality.py --models training/zoo --styles ../shared/data/styles \
        --photos ../shared/data/demo [--size 256] [--max-steps 300] [--init noise]
    python benchmarks/quality.py --models training/zoo/a.pt training/zoo/b.pt ... --update   # re-measure some

Writes benchmarks/results/quality.json (quality_noise_init.json with --init noise).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from machine import machine_info
from update import updated

RESULTS = Path(__file__).parent / "results"
GOALS = {"transformer": 100, "lite": 50}


def equivalent_steps(history: list[tuple[int, float, float]], target: float) -> int | None:
    """First Gatys step whose loss is at most `target`; None if it never gets there."""
    return next((step for step, _, loss in history if loss <= target), None)


def evaluate_model(path: Path, styles_dir: Path, photos: list[Path], size: int, max_steps: int,
                   init: str = "content") -> dict:
    from stylecast.runtime.imageio import read_image
    from stylecast.training.checkpoint import load_checkpoint, loss_from_checkpoint, model_from_checkpoint
    from stylecast.training.gatys import noise_image, optimise_image
    from stylecast.training.tensors import fitted_tensor

    data = load_checkpoint(path)
    model = model_from_checkpoint(data)
    loss = loss_from_checkpoint(data, styles_dir)
    rows = []
    for photo in photos:
        content = fitted_tensor(read_image(photo), size)
        targets = loss.content_targets(content)
        with torch.no_grad():
            start = time.perf_counter()
            output = model(content)
            generator_seconds = time.perf_counter() - start
            generator_loss = loss(output, targets).total.item()
        history = []
        start = time.perf_counter()
        first = content if init == "content" else noise_image(tuple(content.shape[-2:]))
        optimise_image(loss, first, targets, max_steps, "lbfgs", stop_below=generator_loss,
                       on_step=lambda step, value, _img: history.append((step, time.perf_counter() - start, value)))
        steps = equivalent_steps(history, generator_loss)
        rows.append({"photo": photo.name, "generator_loss": generator_loss, "generator_seconds": generator_seconds,
                     "equivalent_steps": steps, "gatys_seconds_to_match": history[steps - 1][1] if steps else None,
                     "gatys_loss_at_stop": history[-1][2], "curve": [(s, round(t, 3), round(v, 6))
                                                                         for s, t, v in history]})
        print(f"{path.stem} {photo.name}: generator loss {generator_loss:.4f}, Gatys reaches it at step {steps}",
              flush=True)
    found = [r["equivalent_steps"] for r in rows]
    median = statistics.median([s if s is not None else max_steps + 1 for s in found])
    return {"model": path.stem, "arch": data["arch"], "steps_trained": data["step"], "photos": len(rows),
            "equivalent_steps": f">{max_steps}" if median > max_steps else int(median),
            "goal": GOALS.get(data["arch"]), "rows": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["training/zoo"],
                        help="checkpoints (.pt) and folders of them")
    parser.add_argument("--styles", required=True, help="folder holding the models' style images")
    parser.add_argument("--photos", required=True, help="folder of held-out photos")
    parser.add_argument("--max-photos", type=int, help="use only the first N photos (sorted by name)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--init", choices=("content", "noise"), default="content",
                        help="where Gatys starts: the photo (the goals), or white noise (Johnson et al.'s baseline)")
    parser.add_argument("--out", help="default: benchmarks/results/quality.json, or quality_noise_init.json")
    parser.add_argument("--update", action="store_true",
                        help="replace only these --models' entries in an existing --out; the run is recorded")
    args = parser.parse_args(argv)
    args.out = args.out or str(RESULTS / ("quality.json" if args.init == "content" else "quality_noise_init.json"))
    models = [m for arg in map(Path, args.models)
              for m in ([arg] if arg.suffix == ".pt" else sorted(arg.glob("*.pt")))]
    if args.update and not (Path(args.out).is_file() and all(m.suffix == ".pt" for m in map(Path, args.models))):
        parser.error("--update needs checkpoint files as --models and an existing --out")
    photos = sorted(p for p in Path(args.photos).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    photos = photos[:args.max_photos] if args.max_photos else photos
    results = [evaluate_model(m, Path(args.styles), photos, args.size, args.max_steps, args.init) for m in models]
    payload = {"benchmark": "quality", "machine": machine_info(),
               "settings": {"size": args.size, "max_steps": args.max_steps, "optimizer": "lbfgs (max_iter=1)",
                            "init": args.init, "photos": [p.name for p in photos]},
               "models": results}
    if args.update:
        payload = updated(json.loads(Path(args.out).read_text()), payload, [r["model"] for r in results],
                          order=lambda r: r["model"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=1) + "\n")
    for r in results:
        print(f"{r['model']}: {r['equivalent_steps']} Gatys steps (goal {r['goal']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
