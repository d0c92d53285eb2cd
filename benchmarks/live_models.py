"""Can `stylecast live` keep up with a 30 fps 640x480 camera on this CPU, model by model?

The clip (the input video resized to 640x480, played at 30 fps like a camera: `--drop-frames`) goes through the real
pipeline (`stylecast live --no-window`), each model at full resolution and at `--scale 0.5`. "fps" is the rate of
stylised frames, "dropped" the camera frames it could not keep up with (live_cpu.py has the default model against
the peer).

    python benchmarks/live_models.py --video ../shared/data/video/vtest.avi --model colorize-pix2pix \
        --model starry_night-pix2pix

Writes benchmarks/results/live_models.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from live_cpu import make_clip, stylecast_live
from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--model", action="append", required=True)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RESULTS / "live_models.json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip_640x480.avi"
        make_clip(args.video, args.frames, (640, 480), clip)
        for model in args.model:
            for scale in ("1", "0.5"):
                report = stylecast_live(clip, args.frames, model, ["--scale", scale])
                rows.append({"model": model, "scale": float(scale), "fps": round(report["fps"], 2),
                             "frames": report["frames"], "dropped_frames": report["dropped_frames"],
                             "inference_p50_ms": report["latency"]["inference"]["p50_ms"],
                             "end_to_end_p50_ms": report["latency"]["end_to_end"]["p50_ms"]})
                print(rows[-1], flush=True)
    result = {"benchmark": "live_models", "settings": {"video": args.video.name, "size": "640x480", "source_fps": 30,
                                                       "frames": args.frames}, "rows": rows, "machine": machine_info()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
