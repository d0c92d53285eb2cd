"""Flicker, measured: warping error of each shipped model per frame, with --stabilize, and of the input itself.

For each clip (the Sintel frame sequence and the video files in ../shared/data/video, frames scaled to at most
640 px wide) and each bundled model: the warping error (Lai et al. 2018, runtime/temporal.py; flow of the INPUT
frames by DIS, occlusions masked by the forward-backward check) of
  - the input frames: the floor, the error that flow estimation and warping leave on a consistent video (a
    smoothing filter can go below it, by blurring what the flow gets wrong);
  - per-frame stylisation;
  - the same with the runtime stabiliser (`--stabilize`).
Style is checked too: the style loss (the model's own loss configuration and style image, from its checkpoint)
of stabilised frames against per-frame ones, on every 10th frame from the 6th. Goals (issue 7): stabilised error
at least 50% below per-frame, style loss at most 10% higher; temporal-loss models ('-stable') below their base model
per frame. Finally, the stabiliser's cost at 640x480: a frame's time stylised with the stabiliser against stylised
alone, same frames.

    python benchmarks/temporal_video.py --video ../shared/data/video --styles ../shared/data/styles
    python benchmarks/temporal_video.py ... --models M1 M2 --update     # re-measure some models' rows
    python benchmarks/temporal_video.py ... --timing-only               # re-measure the stabiliser's cost

Writes benchmarks/results/temporal_video.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from machine import machine_info
from update import updated

RESULTS = Path(__file__).parent / "results"
ZOO = Path(__file__).resolve().parents[1] / "training" / "zoo"
GOALS = {"stabilised_error_reduction": 0.5, "style_loss_increase": 0.10, "stabiliser_overhead": 0.15}


def read_clip(path: Path, frames: int, width: int) -> list[np.ndarray]:
    """The first `frames` frames of a video file or a folder of images, at most `width` pixels wide."""
    if path.is_dir():
        images = [cv2.imread(str(p)) for p in sorted(path.glob("*.png"))[:frames]]
    else:
        capture, images = cv2.VideoCapture(str(path)), []
        while len(images) < frames:
            ok, frame = capture.read()
            if not ok:
                break
            images.append(frame)
        capture.release()
    if images and images[0].shape[1] > width:
        height = round(images[0].shape[0] * width / images[0].shape[1])
        images = [cv2.resize(im, (width, height), interpolation=cv2.INTER_AREA) for im in images]
    return images


def clips_in(folder: Path) -> list[Path]:
    """The Sintel frame sequence first, then the video files, in name order."""
    return [folder / "frames_sintel_raft"] + sorted(p for p in folder.iterdir() if p.suffix in (".mp4", ".avi"))


class StyleLoss:
    """The style term of a shipped model's own loss, from its checkpoint (training code: benchmarks may use it)."""

    def __init__(self, checkpoint: Path, styles_dir: Path, size: int = 256):
        from stylecast.training.checkpoint import load_checkpoint, loss_from_checkpoint
        from stylecast.training.tensors import fitted_tensor

        self.loss = loss_from_checkpoint(load_checkpoint(checkpoint), styles_dir)
        self.prepare = lambda image: fitted_tensor(image, size)

    def __call__(self, content: np.ndarray, output: np.ndarray) -> float:
        import torch

        with torch.no_grad():
            x = self.prepare(content)
            return float(self.loss(self.prepare(output), self.loss.content_targets(x)).style)


def evaluate_clip(name: str, frames: list[np.ndarray], models: list[str], styles_dir: Path) -> list[dict]:
    from stylecast.runtime.stabilizer import Stabilizer
    from stylecast.runtime.stylizer import Stylizer
    from stylecast.runtime.temporal import input_flows, warping_error

    flows, masks = input_flows(frames)  # the input's flow, shared by every output of this clip

    def error(outputs: list[np.ndarray]) -> float:
        return warping_error(frames, outputs, flows, masks)

    floor = error(frames)
    rows = []
    for model in models:
        stylizer, stabilizer = Stylizer(model=model), Stabilizer()
        per_frame = [stylizer.stylize(f) for f in tqdm(frames, desc=f"{name} {model}", leave=False)]
        macs = stylizer.model_file.meta.macs_per_pixel  # sets the flow's detail, as in Stylizer.start
        stabilised = [stabilizer(f, s, macs) for f, s in zip(frames, per_frame)]
        row = {"clip": name, "model": model, "frames": len(frames), "size": f"{frames[0].shape[1]}x"
               f"{frames[0].shape[0]}", "input_error": floor, "per_frame_error": error(per_frame),
               "stabilised_error": error(stabilised), "stabiliser_resets": stabilizer.resets}
        row["stabilised_reduction"] = 1 - row["stabilised_error"] / row["per_frame_error"]
        checkpoint = ZOO / f"{model}.pt"
        if checkpoint.exists():
            style = StyleLoss(checkpoint, styles_dir)
            picks = range(min(5, len(frames) - 1), len(frames), 10)  # after the stabiliser has history
            row["style_loss_per_frame"] = statistics.mean(style(frames[i], per_frame[i]) for i in picks)
            row["style_loss_stabilised"] = statistics.mean(style(frames[i], stabilised[i]) for i in picks)
            row["style_loss_increase"] = row["style_loss_stabilised"] / row["style_loss_per_frame"] - 1
        rows.append(row)
        print(f"{name:22s} {model:28s} input {floor:.5f}  per-frame {row['per_frame_error']:.5f}  stabilised "
              f"{row['stabilised_error']:.5f} ({100 * row['stabilised_reduction']:.0f}% lower)  style loss "
              f"{100 * row.get('style_loss_increase', float('nan')):+.1f}%", flush=True)
    return rows


def stabiliser_overhead(frames: list[np.ndarray], model: str, scale: float, repeats: int = 3) -> dict:
    """Milliseconds per 640x480 frame, stylised alone and with the stabiliser, interleaved frame by frame on the
    same frames: the difference is the time the stabiliser adds to a frame.

    Both run as `video` and `live` run them: the stabiliser tracks the input's motion on its own thread while the
    network runs (Stylizer.start) and blends in Stylizer.finish; onnxruntime threads do not spin-wait after each
    run (spinning threads would take the cores from the stabiliser, and the pipelines turn it off for that
    reason); freed memory is kept, as they keep it."""
    from stylecast.runtime.allocator import keep_freed_memory
    from stylecast.runtime.stabilizer import Stabilizer
    from stylecast.runtime.stylizer import StylizeOptions, Stylizer

    keep_freed_memory()

    frames = [cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA) for f in frames]
    stylizer = Stylizer(model=model, options=StylizeOptions(scale=scale), spin=False)
    for f in frames[:5]:
        stylizer.stylize(f, Stabilizer())  # warm-up, the stabiliser's thread too
    alone, stabilised, added, track = [], [], [], []
    for _ in range(repeats):
        stabilizer = Stabilizer()
        for f in frames:
            t = time.perf_counter()
            stylizer.finish(stylizer.start(f))
            alone.append(time.perf_counter() - t)
            t = time.perf_counter()
            pending = stylizer.start(f, stabilizer)
            stylizer.finish(pending, stabilizer)
            stabilised.append(time.perf_counter() - t)
            added.append(pending.times.stabilize)
            track.append(pending.times.track)
    result = {"model": model, "size": "640x480", "scale": scale, "frames": len(alone),
              "stylise_ms_p50": 1e3 * statistics.median(alone),
              "stabilised_ms_p50": 1e3 * statistics.median(stabilised),
              "stabilise_ms_p50": 1e3 * statistics.median(added),  # waiting for the tracker, and the blend
              "track_ms_p50": 1e3 * statistics.median(track)}  # on its own thread, beside the network
    result["overhead"] = result["stabilised_ms_p50"] / result["stylise_ms_p50"] - 1
    print(f"stabiliser at 640x480 with {model}, scale {scale:g}: {result['stylise_ms_p50']:.1f} ms per frame "
          f"alone, {result['stabilised_ms_p50']:.1f} ms stabilised (+{100 * result['overhead']:.1f}%; tracking "
          f"{result['track_ms_p50']:.1f} ms beside the network)")
    return result


def stabiliser_costs(clip: Path, models: list[str]) -> list[dict]:
    """The stabiliser's cost at full resolution and with --scale 0.5, with the default model if it is among
    `models`."""
    from stylecast.runtime.models import DEFAULT_MODEL

    frames = read_clip(clip, 40, 10_000)
    model = DEFAULT_MODEL if DEFAULT_MODEL in models else models[0]
    return [stabiliser_overhead(frames, model, scale) for scale in (1.0, 0.5)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True, help="folder with the clips and frames_sintel_raft/")
    parser.add_argument("--styles", type=Path, required=True, help="folder holding the models' style images")
    parser.add_argument("--models", nargs="*", help="bundled model names (default: every bundled model)")
    parser.add_argument("--frames", type=int, default=60, help="frames per clip")
    parser.add_argument("--width", type=int, default=640, help="largest frame width")
    parser.add_argument("--out", type=Path, default=RESULTS / "temporal_video.json")
    parser.add_argument("--timing-only", action="store_true",
                        help="measure only the stabiliser's cost and replace it in an existing --out")
    parser.add_argument("--update", action="store_true",
                        help="measure only these --models' rows and replace them in an existing --out")
    args = parser.parse_args(argv)
    if (args.update or args.timing_only) and not args.out.is_file():
        parser.error("--update and --timing-only need an existing --out")
    if args.update and not args.models:
        parser.error("--update needs --models")

    from stylecast.runtime.models import bundled_names

    models = args.models or bundled_names()
    clips = clips_in(args.video)
    settings = {"frames": args.frames, "width": args.width}
    old = json.loads(args.out.read_text()) if args.update or args.timing_only else None
    if args.timing_only:
        result = {**old, "stabiliser_overhead": stabiliser_costs(clips[1], models),
                  "timing_machine": machine_info()}
    else:
        rows = []
        for clip in clips:
            rows += evaluate_clip(clip.name, read_clip(clip, args.frames, args.width), models, args.styles)
        result = {"machine": machine_info(), "settings": settings, "goals": GOALS, "rows": rows}
        if args.update:
            order = [c.name for c in clips]
            result = updated(old, result, models, order=lambda r: (order.index(r["clip"]), r["model"]))
        else:
            result["stabiliser_overhead"] = stabiliser_costs(clips[1], models)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
