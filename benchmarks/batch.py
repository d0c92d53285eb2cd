"""`stylecast batch` throughput: the same library through --engine local and --engine ray (a local cluster started
by the command), one run each (issue 31).

    python benchmarks/batch.py --photos ../shared/data/content/bsds500 [--count 48] [--size 320]

The library: --count photos resized to --size on the longer side (written to a temporary folder) and one 60-frame
clip. Reports seconds, files per second and the overhead Ray adds per file ((ray - local) / files; it includes
starting the cluster and one model per actor). Writes benchmarks/results/batch.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--model", default="starry_night-lite")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS / "batch.json"))
    args = parser.parse_args(argv)
    photos = sorted(p for p in args.photos.rglob("*") if p.suffix.lower() in (".jpg", ".png"))[:args.count]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library"
        library.mkdir()
        for i, path in enumerate(photos):
            image = cv2.imread(str(path))
            scale = args.size / max(image.shape[:2])
            cv2.imwrite(str(library / f"{i:03d}.jpg"), cv2.resize(image, None, fx=scale, fy=scale,
                                                                   interpolation=cv2.INTER_AREA))
        writer = cv2.VideoWriter(str(library / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
        for i in range(60):
            writer.write(np.roll(cv2.resize(cv2.imread(str(photos[0])), (320, 240)), 4 * i, axis=1))
        writer.release()
        files = len(photos) + 1
        for engine in ("local", "ray"):
            command = [sys.executable, "-m", "stylecast.runtime.cli", "batch", str(library), "--out",
                       str(Path(tmp) / engine), "--model", args.model, "--engine", engine, "--json", "--concurrency",
                       str(args.concurrency)]
            result = subprocess.run(command, capture_output=True, text=True, check=True)
            report = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append({"engine": engine, "files": files, "seconds": report["seconds"],
                         "files_per_second": report["files_per_second"], "done": report["done"]})
            print(json.dumps(rows[-1]), flush=True)
    local, ray = rows
    result = {"benchmark": "batch", "machine": machine_info(),
              "settings": {"photos": args.count, "size": args.size, "video": "one 60-frame 320x240 clip",
                           "model": args.model, "concurrency": args.concurrency},
              "rows": rows, "ray_overhead_per_file_s": round((ray["seconds"] - local["seconds"]) / local["files"], 3)}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
