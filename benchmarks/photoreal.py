"""Photorealistic style transfer, measured (issue 29): a photo's look moved onto another photo by plain Gatys,
Gatys with --photorealistic (with and without semantic masks), and Reinhard et al.'s colour transfer, each as it is
and after each smoothing step (--photo-smooth guided, exact).

    python benchmarks/photoreal.py --data ../shared/data [--size 256] [--steps 100]

Pairs (content -> style, both photos of ../shared/data): a daylight lighthouse by a night launch, an islet by a
desert; their masks are two regions each (sky and what is above the horizon / the ground), split at a row read off
each picture. Measures:
- structure kept: SSIM between the gradient magnitudes (Sobel, grayscale) of content and output (1: the same edges);
- colour: the distance between the output's and the style photo's Lab statistics (sum over L, a, b of the absolute
  differences of mean and standard deviation; lower is closer);
- style: the referee's Gram loss (relu1_1-relu5_1) against the style photo;
- seconds (the method; smoothing timed apart).
Gatys runs 2 x --steps L-BFGS steps from the content, like the two photorealistic stages. Writes
benchmarks/results/photoreal.json and a picture per pair to benchmarks/results/photoreal/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
PAIRS = [  # content, its horizon (fraction of height), style, its horizon
    ("content/sun_hays80/lighthouse_sun_akeqnxvbhbktajfl.jpg", 0.8, "demo/rocket.jpg", 0.88),
    ("content/sun_hays80/islet_sun_afezricptqyijjur.jpg", 0.34,
     "content/sun_hays80/desert_sand_sun_bgwdwaeuakbmuxeg.jpg", 0.36),
]


def labels(image: np.ndarray, horizon: float) -> np.ndarray:
    out = np.zeros_like(image)
    row = int(horizon * image.shape[0])
    out[:row] = (255, 0, 0)
    out[row:] = (0, 160, 0)
    return out


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004: 11x11 Gaussian windows, sigma 1.5) of two float images scaled to 0..1."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    blur = lambda x: cv2.GaussianBlur(x, (11, 11), 1.5)  # noqa: E731
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b, cov = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2, blur(a * b) - mu_a * mu_b
    return float((((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
                 .mean())


def gradient_ssim(content: np.ndarray, output: np.ndarray) -> float:
    def magnitude(image):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
        return np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    a, b = magnitude(content), magnitude(output)
    top = max(a.max(), b.max(), 1e-6)
    return ssim(a / top, b / top)


def lab_distance(output: np.ndarray, style: np.ndarray) -> float:
    lab = [cv2.cvtColor(x.astype(np.float32) / 255, cv2.COLOR_BGR2LAB).reshape(-1, 3) for x in (output, style)]
    return float(np.abs(lab[0].mean(0) - lab[1].mean(0)).sum() + np.abs(lab[0].std(0) - lab[1].std(0)).sum())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", default=str(RESULTS / "photoreal.json"))
    args = parser.parse_args(argv)
    import torch

    from stylecast.runtime.color import reinhard_transfer
    from stylecast.runtime.imageio import read_image
    from stylecast.runtime.photo_smooth import smooth
    from stylecast.training.gatys import OptimizeSettings, stylise
    from stylecast.training.losses import gram_matrix, style_loss
    from stylecast.training.perceptual import LossConfig
    from stylecast.training.photoreal import PhotorealSettings, photoreal_stylise
    from stylecast.training.tensors import bgr8_to_tensor, fit_size, resize
    from stylecast.training.vgg import VGG19Features

    layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    vgg = VGG19Features(layers)
    data, pictures = Path(args.data), RESULTS / "photoreal"
    pictures.mkdir(parents=True, exist_ok=True)
    rows = []
    for content_path, content_horizon, style_path, style_horizon in PAIRS:
        content, style = read_image(data / content_path), read_image(data / style_path)
        size = fit_size(*content.shape[:2], args.size)
        small, style_small = resize(content, size), resize(style, fit_size(*style.shape[:2], args.size))
        with torch.no_grad():
            target = {k: gram_matrix(v) for k, v in vgg(bgr8_to_tensor(style_small)).items()}
        name = f"{Path(content_path).stem.split('_')[0]}_by_{Path(style_path).stem.split('_')[0]}"
        methods = {
            "gatys": lambda: stylise(small, [style], LossConfig(), OptimizeSettings(steps=2 * args.steps,
                                                                                    progress=False), size).image,
            "photorealistic": lambda: photoreal_stylise(content, style, size, PhotorealSettings(
                steps=args.steps, progress=False)).image,
            "photorealistic + masks": lambda: photoreal_stylise(content, style, size, PhotorealSettings(
                steps=args.steps, progress=False), labels(content, content_horizon),
                labels(style, style_horizon)).image,
            "reinhard": lambda: reinhard_transfer(small, style_small),
        }
        strip = [small, resize(style_small, size)]
        for method, run in methods.items():
            start = time.perf_counter()
            output = run()
            seconds = time.perf_counter() - start
            for smoothing in (None, "guided", "exact"):
                t = time.perf_counter()
                final = output if smoothing is None else smooth(output, small, smoothing)
                smooth_seconds = time.perf_counter() - t
                with torch.no_grad():
                    features = vgg(bgr8_to_tensor(final))
                    gram = sum(float(style_loss(gram_matrix(features[k]), target[k])) for k in layers) / len(layers)
                row = {"pair": name, "method": method, "smoothing": smoothing or "none",
                       "structure_ssim": round(gradient_ssim(small, final), 4),
                       "lab_distance": round(lab_distance(final, style_small), 2), "gram_loss": round(gram, 4),
                       "seconds": round(seconds, 2), "smoothing_seconds": round(smooth_seconds, 3)}
                rows.append(row)
                print(json.dumps(row), flush=True)
                if smoothing in (None, "exact"):
                    strip.append(final)
        cv2.imwrite(str(pictures / f"{name}.jpg"), np.hstack(strip), [cv2.IMWRITE_JPEG_QUALITY, 88])
    result = {"benchmark": "photoreal", "machine": machine_info(),
              "settings": {"size": args.size, "steps_per_stage": args.steps, "gatys_steps": 2 * args.steps,
                           "pairs": [{"content": p[0], "style": p[2]} for p in PAIRS]},
              "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
