"""Blending an object into a painting: the four methods of `stylecast blend` side by side (issue 28).

    python benchmarks/blend.py --data ../shared/data [--size 320] [--steps 60]

Composites: objects cut from demo photos by GrabCut (a rectangle around the subject, OpenCV's seed fixed), pasted
into paintings. For each method (paste, poisson, deep, painterly), measured on the output:
- style: the Gram style loss of the pasted region against the whole painting (masked Gram matrices, relu1_1-
  relu5_1, the referee's relative MSE; lower is more like the painting);
- content: the object's content kept (relu4_2 over the mask, relative MSE against the pasted object; lower keeps
  more);
- border: the mean absolute Laplacian in a 5 px band around the mask's edge, divided by the painting's own there
  (1.0: the seam is as busy as the painting; a hard paste edge is far above);
- seconds.
Writes benchmarks/results/blend.json and a picture grid per composite (background | paste | poisson | deep |
painterly) to benchmarks/results/blend/.
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
COMPOSITES = [  # (object photo, GrabCut rectangle as fractions x, y, w, h, painting, scale, at as fractions)
    ("demo/astronaut.png", (0.15, 0.05, 0.7, 0.9), "styles/vangogh_starry_night.jpg", 0.35, (0.3, 0.62)),
    ("demo/chelsea.png", (0.2, 0.05, 0.6, 0.9), "styles/monet_haystacks.jpg", 0.3, (0.7, 0.75)),
]


def grabcut_mask(image: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    h, w = image.shape[:2]
    box = (int(rect[0] * w), int(rect[1] * h), int(rect[2] * w), int(rect[3] * h))
    labels = np.zeros((h, w), np.uint8)
    cv2.setRNGSeed(0)
    cv2.grabCut(image, labels, box, np.zeros((1, 65)), np.zeros((1, 65)), 5, cv2.GC_INIT_WITH_RECT)
    return np.where((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)


def measures(output: np.ndarray, background: np.ndarray, pasted_object: np.ndarray, mask: np.ndarray) -> dict:
    import torch

    from stylecast.training.blending.losses import layer_mask, laplacian, masked_content_loss, masked_gram
    from stylecast.training.losses import gram_matrix, style_loss
    from stylecast.training.tensors import bgr8_to_tensor
    from stylecast.training.vgg import VGG19Features

    layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    vgg = VGG19Features((*layers, "relu4_2"))
    m = torch.from_numpy(mask)[None, None]
    with torch.no_grad():
        out, bg, obj = (vgg(bgr8_to_tensor(x)) for x in (output, background, pasted_object))
        style = sum(float(style_loss(masked_gram(out[k], layer_mask(m, out[k])), gram_matrix(bg[k])))
                    for k in layers) / len(layers)
        content = float(masked_content_loss(out["relu4_2"], obj["relu4_2"], layer_mask(m, out["relu4_2"])))
        band = cv2.dilate(mask, np.ones((5, 5), np.uint8)) - cv2.erode(mask, np.ones((5, 5), np.uint8))
        band_t = torch.from_numpy(band > 0)
        busy = [float(laplacian(bgr8_to_tensor(x)).abs().mean(1)[0][band_t].mean()) for x in (output, background)]
    return {"style_loss": round(style, 4), "content_loss": round(content, 4), "border": round(busy[0] / busy[1], 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the shared data folder (demo/ and styles/)")
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--out", default=str(RESULTS / "blend.json"))
    args = parser.parse_args(argv)
    from stylecast.runtime.imageio import read_image
    from stylecast.training.blending.methods import METHODS, BlendSettings, blend

    data, pictures = Path(args.data), RESULTS / "blend"
    pictures.mkdir(parents=True, exist_ok=True)
    rows = []
    for photo, rect, painting, scale, at in COMPOSITES:
        thing, background = read_image(data / photo), read_image(data / painting)
        mask = grabcut_mask(thing, rect)
        h, w = background.shape[:2]
        factor = args.size / max(h, w)
        where = (at[0] * w * factor, at[1] * h * factor)
        name = f"{Path(photo).stem}_in_{Path(painting).stem}"
        tiles = []
        for method in METHODS:
            settings = BlendSettings(method=method, steps=args.steps, progress=False)
            start = time.perf_counter()
            result = blend(background, thing, mask, settings, at=where, scale=scale * args.size / 512,
                           size=args.size)
            seconds = time.perf_counter() - start
            work_bg = cv2.resize(background, result.image.shape[1::-1], interpolation=cv2.INTER_AREA)
            row = {"composite": name, "method": method, "seconds": round(seconds, 2), "steps": result.steps,
                   **measures(result.image, work_bg, result.composite, result.mask)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            if not tiles:
                tiles.append(work_bg)
            tiles.append(result.image)
        cv2.imwrite(str(pictures / f"{name}.jpg"), np.hstack(tiles), [cv2.IMWRITE_JPEG_QUALITY, 88])
    result = {"benchmark": "blend", "machine": machine_info(),
              "settings": {"size": args.size, "steps_per_pass": args.steps, "composites": [
                  {"object": c[0], "painting": c[2], "scale": c[3]} for c in COMPOSITES]},
              "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
