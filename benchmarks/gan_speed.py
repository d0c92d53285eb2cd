"""Training speed of the translation GANs, in training images per second: on this CPU, measured here, and on the GPU
run that trained the shipped models, read from its committed logs.

CPU: `stylecast train-gan` for a few steps of batch 4 at 256 px on pairs made from `--photos` (grayscale -> colour;
CycleGAN: the photos against their own mirror images, which costs the same), each method with its default
generator; the figure is the median of the log windows after the first (which holds the start-up). GPU: the same
median over the logs given with `--gpu-log METHOD=FILE` (there, four trainings shared one GPU; see the logs'
folders).

    python benchmarks/gan_speed.py --photos ../shared/data/content/set14 \
        --gpu-log pix2pix=training/zoo/colorize-pix2pix_train/log.csv ...   # log paths from the repository root

Writes benchmarks/results/gan_speed.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parents[1]
RUNS = {"pix2pix": 12, "pix2pixhd": 8, "cyclegan": 8}  # steps of batch 4


def window_rate(log: Path) -> tuple[float, int]:
    """(median images/s of the windows after the first, batch steps logged)."""
    rows = list(csv.DictReader(open(log)))
    rates = [float(r["images_per_second"]) for r in rows[1:]] or [float(rows[0]["images_per_second"])]
    return statistics.median(rates), int(rows[-1]["step"])


def cpu_rate(method: str, photos: Path, work: Path) -> float:
    pairs, mirrored = work / "pairs", work / "mirrored"
    if not pairs.exists():
        subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", "make-pairs", "--task", "gray2color",
                        "--photos", str(photos), "--out", str(pairs), "--quiet"], check=True)
        mirrored.mkdir()
        for path in sorted((pairs / "B").rglob("*.png")):
            index = len(list(mirrored.iterdir()))
            cv2.imwrite(str(mirrored / f"{path.stem}_{index}.png"), cv2.imread(str(path))[:, ::-1])
    data = ["--domain-a", str(pairs / "B"), "--domain-b", str(mirrored)] if method == "cyclegan" else \
        ["--pairs", str(pairs)]
    out = work / f"{method}.pt"
    subprocess.run([sys.executable, "-m", "stylecast.runtime.cli", "train-gan", "--method", method, *data, "--out",
                    str(out), "--steps", str(RUNS[method]), "--batch-size", "4", "--size", "256", "--log-every", "2",
                    "--device", "cpu", "--quiet"], check=True, capture_output=True)
    return window_rate(work / f"{method}_train" / "log.csv")[0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="a few photos for the CPU runs")
    parser.add_argument("--gpu-log", action="append", default=[], metavar="METHOD=FILE")
    parser.add_argument("--out", type=Path, default=RESULTS / "gan_speed.json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for method in RUNS:
            rate = cpu_rate(method, args.photos, Path(tmp))
            rows.append({"method": method, "device": "cpu", "images_per_second": round(rate, 3),
                         "batch_size": 4, "source": "measured here"})
            print(rows[-1], flush=True)
    for item in args.gpu_log:
        method, path = item.split("=", 1)
        rate, steps = window_rate(ROOT / path)  # paths from the repository's root
        rows.append({"method": method, "device": "gpu (NVIDIA H200, shared by four trainings)",
                     "images_per_second": round(rate, 1), "steps": steps, "source": path})
    result = {"benchmark": "gan_speed", "rows": rows, "machine": machine_info()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
