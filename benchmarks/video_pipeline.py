"""End-to-end live pipeline for every bundled model at 640x480 and 1280x720: fps and per-stage latency.

Runs the real command, `stylecast live --source CLIP --no-window --frames N --json`, on a clip made from a video
in ../shared/data/video, resized and played at 30 fps like a camera (see live_cpu.py), once per model and
resolution, and once more with `--scale 0.5` (network at half resolution, guided upsampling).

    python benchmarks/video_pipeline.py --video ../shared/data/video/vtest.avi [--frames 300]

Writes benchmarks/results/video_pipeline.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from live_cpu import make_clip, stylecast_live
from machine import machine_info
from update import updated

RESULTS = Path(__file__).parent / "results"
RESOLUTIONS = ((640, 480), (1280, 720))
STAGES = ("capture_wait", "preprocess", "inference", "postprocess", "output", "end_to_end")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--models", nargs="*", help="bundled model names (default: every bundled model)")
    parser.add_argument("--out", type=Path, default=RESULTS / "video_pipeline.json")
    parser.add_argument("--update", action="store_true",
                        help="replace only these --models' rows in an existing --out; the run is recorded")
    args = parser.parse_args(argv)
    if args.update and not (args.models and args.out.is_file()):
        parser.error("--update needs --models and an existing --out")

    from stylecast.runtime.models import bundled_names

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in RESOLUTIONS:
            clip = Path(tmp) / f"clip_{width}x{height}.avi"
            make_clip(args.video, args.frames, (width, height), clip)
            models = args.models or bundled_names()
            # Discarded warm-up on each fresh clip: the first model measured should not also pay for first-read
            # costs (file cache, decoder start-up).
            stylecast_live(clip, min(args.frames, 60), models[0], [])
            for model in models:
                for extra in ([], ["--scale", "0.5"]):
                    report = stylecast_live(clip, args.frames, model, extra)
                    latency = report["latency"]
                    row = {"resolution": f"{width}x{height}", "model": model, "options": " ".join(extra) or "-",
                           "fps": report["fps"], "frames": report["frames"],
                           "dropped_frames": report["dropped_frames"], "backend": report["backend"],
                           "p50_ms": {s: latency[s]["p50_ms"] for s in STAGES if s in latency},
                           "p95_ms": {s: latency[s]["p95_ms"] for s in STAGES if s in latency}}
                    rows.append(row)
                    print(f"{width}x{height} {model:28s} {row['options']:12s} {row['fps']:5.1f} fps  inference p50 "
                          f"{row['p50_ms']['inference']:6.1f} ms  end-to-end p50 {row['p50_ms']['end_to_end']:6.1f} ms"
                          f"  dropped {row['dropped_frames']}", flush=True)
    result = {"benchmark": "video_pipeline",
              "machine": machine_info(("onnxruntime", "opencv-python-headless", "numpy")),
              "settings": {"video": args.video.name, "frames": args.frames,
                           "source": "resized clip played at 30 fps"},
              "rows": rows}
    if args.update:
        resolutions = [f"{w}x{h}" for w, h in RESOLUTIONS]
        result = updated(json.loads(args.out.read_text()), result, args.models,
                         order=lambda r: resolutions.index(r["resolution"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
