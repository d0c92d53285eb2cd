"""Where should the stabiliser run with --scale 0.5: before the guided upsampling (as the runtime does) or after it?

Before it, the stabiliser handles a quarter of the pixels; the question is whether flicker suffers. For each clip
(the Sintel frames and the video files in ../shared/data/video, 60 frames at 640x480), the warping error
(runtime/temporal.py) of: per-frame stylisation at --scale 0.5; the stabiliser applied to the upsampled
640x480 output; and the stabiliser at the network's 320x240, before the upsampling (Stylizer.finish with a
frame filter, what `video` and `live` do).

    python benchmarks/stabiliser_placement.py --video ../shared/data/video [--model starry_night-lite]

Writes benchmarks/results/experiments/stabiliser_placement.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2

from machine import machine_info
from temporal_video import clips_in, read_clip

RESULTS = Path(__file__).parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True, help="folder with the clips and frames_sintel_raft/")
    parser.add_argument("--model", default="starry_night-lite")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--out", type=Path, default=RESULTS / "experiments" / "stabiliser_placement.json")
    args = parser.parse_args(argv)

    from stylecast.runtime.stabilizer import Stabilizer
    from stylecast.runtime.stylizer import StylizeOptions, Stylizer
    from stylecast.runtime.temporal import input_flows, warping_error

    clips = clips_in(args.video)
    stylizer = Stylizer(model=args.model, options=StylizeOptions(scale=0.5))
    rows = []
    for clip in clips:
        frames = [cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA)
                  for f in read_clip(clip, args.frames, 640)]
        flows, masks = input_flows(frames)
        pending = [stylizer.start(f) for f in frames]
        per_frame = [stylizer.finish(p) for p in pending]
        after = Stabilizer()
        before = Stabilizer()
        errors = {"input": warping_error(frames, frames, flows, masks),
                  "per_frame": warping_error(frames, per_frame, flows, masks),
                  "after_upsampling": warping_error(frames, [after(f, s) for f, s in zip(frames, per_frame)],
                                                    flows, masks),
                  "before_upsampling": warping_error(frames, [stylizer.finish(p, before) for p in pending],
                                                     flows, masks)}
        rows.append({"clip": clip.name, "frames": len(frames), **errors})
        print(f"{clip.name:24s} " + "  ".join(f"{k} {v:.5f}" for k, v in errors.items()), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "stabiliser_placement", "machine": machine_info(),
                                    "settings": {"model": args.model, "scale": 0.5, "size": "640x480"},
                                    "rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
