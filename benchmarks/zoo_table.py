"""The README's model table: every bundled model's cost, its speed at 640x480 on this CPU, and a thumbnail.

Speed: `stylecast bench --json` run for each model in a process of its own (onnxruntime on the CPU, a random frame,
warm-up runs discarded, median of the timed runs; in one process, the previous models' idle onnxruntime thread
pools slowed the next by up to 1.8x) at 640x480, and at 320x240: the network's share of a 640x480 frame under
`--scale 0.5`. Speed depends on the architecture and its settings, not on the weights, so each distinct
architecture is measured (with its first model) and its figures given to every model that shares it. This shared
2-core machine has slow spells (the same LiteNet took 41 or 73 ms minutes apart), so each is measured in `--rounds`
interleaved rounds and the fastest round's median kept. Thumbnails: the
model on a 192 px crop of a held-out photo, through the runtime.

    python benchmarks/zoo_table.py --photo ../shared/data/demo/astronaut.png

Writes benchmarks/results/zoo.json and benchmarks/results/thumbnails/MODEL.jpg.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import cv2

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
THUMBNAIL = 192


def bench(model: str, runs: int) -> tuple[float, float]:
    """p50 milliseconds at 640x480 and 320x240, from `stylecast bench` in a fresh process."""
    command = [sys.executable, "-m", "stylecast.runtime.cli", "bench", "--model", model, "--backend", "onnxruntime",
               "--device", "cpu", "--resolution", "480x640", "--resolution", "240x320", "--warmup", "3", "--runs",
               str(runs), "--json"]
    results = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)["results"]
    by_size = {(r["height"], r["width"]): r["p50_ms"] for r in results}
    return by_size[(480, 640)], by_size[(240, 320)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, required=True, help="a photo none of the models trained on")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "zoo.json")
    args = parser.parse_args(argv)

    from stylecast.runtime.imageio import read_image
    from stylecast.runtime.models import DEFAULT_MODEL, bundled_names, resolve_model
    from stylecast.runtime.stylizer import Stylizer

    photo = read_image(args.photo)
    side = min(photo.shape[:2])
    crop = cv2.resize(photo[:side, (photo.shape[1] - side) // 2:][:, :side], (THUMBNAIL * 2, THUMBNAIL * 2),
                      interpolation=cv2.INTER_AREA)
    thumbnails = args.out.parent / "thumbnails"
    thumbnails.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(thumbnails / "photo.jpg"), cv2.resize(crop, (THUMBNAIL, THUMBNAIL), interpolation=cv2.INTER_AREA),
                [cv2.IMWRITE_JPEG_QUALITY, 85])
    names = bundled_names()
    metas = {name: resolve_model(name).meta for name in names}
    kinds = {name: json.dumps([metas[name].arch, metas[name].model_config], sort_keys=True) for name in names}
    measured = {kind: next(n for n in names if kinds[n] == kind) for kind in dict.fromkeys(kinds.values())}
    timings = {kind: [] for kind in measured}
    for _ in range(args.rounds):
        for kind, name in measured.items():
            timings[kind].append(bench(name, args.runs))
    rows = []
    for name in names:
        meta = metas[name]
        full, half = (min(t[i] for t in timings[kinds[name]]) for i in (0, 1))
        given = crop if meta.task != "colorize" else cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY),
                                                                  cv2.COLOR_GRAY2BGR)
        styled = Stylizer(model=name, backend="onnxruntime", device="cpu").stylize(given)
        cv2.imwrite(str(thumbnails / f"{name}.jpg"), cv2.resize(styled, (THUMBNAIL, THUMBNAIL),
                                                                 interpolation=cv2.INTER_AREA),
                    [cv2.IMWRITE_JPEG_QUALITY, 85])
        rows.append({"model": name, "default": name == DEFAULT_MODEL, "arch": meta.arch, "style": meta.style_name,
                     "task": meta.task, "method": meta.method, "timed_with": measured[kinds[name]],
                     "macs_per_pixel": round(meta.macs_per_pixel), "p50_ms_640x480": round(full, 2),
                     "p50_ms_320x240_network": round(half, 2)})
        print(f"{name:28s} {full:8.2f} ms at 640x480, {half:7.2f} ms at 320x240", flush=True)
    result = {"benchmark": "zoo", "settings": {"backend": "onnxruntime cpu", "runs": args.runs, "warmup": 3,
                                              "rounds": args.rounds, "statistic": "fastest round's median",
                                              "photo": args.photo.name, "thumbnail_px": THUMBNAIL},
              "rows": rows, "machine": machine_info()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
