"""Does a model mark the image border? Each zoo checkpoint with the reflected context at inference (training/
generator.py, EDGE_CONTEXT) set to 0 (as before it existed), 16, 32 (shipped) and 64 px.

The measure (tests/test_border.py asserts it on the bundled ONNX files): a 512x512 photo-like image is stylised on
its own and again inside 96 px of reflection (the reference, cropped back), so the same pixels are painted once at
the edge and once far from it; the result is the largest shift of a 16 px border band's mean colour (CIE Lab,
OpenCV's 8-bit scale) against the reference, over two such images.

    python benchmarks/border.py

Writes benchmarks/results/experiments/border.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
ZOO = Path(__file__).resolve().parents[1] / "training" / "zoo"
MARGIN, BAND, SIZE = 96, 16, 512
CONTEXTS = (0, 16, 32, 64)


def photo_like(height: int, width: int, seed: int) -> np.ndarray:
    """Texture at three scales plus hard-edged discs: statistics that do not depend on position."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), np.float32)
    for step, amplitude in ((48, 50), (12, 25), (3, 10)):
        noise = rng.normal(size=(height // step + 2, width // step + 2, 3)).astype(np.float32)
        big = cv2.resize(noise, (width + 2 * step, height + 2 * step), interpolation=cv2.INTER_CUBIC)
        image += amplitude * big[step:step + height, step:step + width]
    for _ in range(height * width // 12000):
        colour = tuple(float(c) - 128 for c in rng.integers(0, 255, 3))
        centre = tuple(int(v) for v in rng.integers(0, (width, height)))
        cv2.circle(image, centre, int(rng.integers(8, 40)), colour, -1)
    return np.clip(image + 128, 0, 255).astype(np.uint8)


def band_shifts(output: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(worst border band, worst interior band): the length of the mean Lab difference over each band."""
    diff = cv2.cvtColor(output, cv2.COLOR_BGR2LAB).astype(np.float64) - cv2.cvtColor(
        reference, cv2.COLOR_BGR2LAB).astype(np.float64)
    height, width = diff.shape[:2]

    def shift(region) -> float:
        return float(np.linalg.norm(diff[region].reshape(-1, 3).mean(0)))

    border = [np.s_[:BAND], np.s_[-BAND:], np.s_[:, :BAND], np.s_[:, -BAND:]]
    inner = ([np.s_[y:y + BAND, 64:-64] for y in range(64, height - 64, BAND)]
             + [np.s_[64:-64, x:x + BAND] for x in range(64, width - 64, BAND)])
    return max(map(shift, border)), max(map(shift, inner))


def worst_border(stylize) -> float:
    """The measure over two images, for `stylize(bgr) -> bgr`."""
    worst = 0.0
    for seed in (0, 1):
        image = photo_like(SIZE, SIZE, seed)
        large = cv2.copyMakeBorder(image, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_REFLECT_101)
        reference = stylize(large)[MARGIN:-MARGIN, MARGIN:-MARGIN]
        worst = max(worst, band_shifts(stylize(image), reference)[0])
    return worst


def main(argv=None) -> int:
    import torch

    from stylecast.training import generator
    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint
    from stylecast.training.tensors import bgr8_to_tensor, tensor_to_bgr8

    rows = []
    for path in sorted(ZOO.glob("*.pt")):
        data = load_checkpoint(path)
        if data.get("method", "perceptual") != "perceptual":
            continue
        model = model_from_checkpoint(data).float()
        shipped = generator.EDGE_CONTEXT
        row = {"model": path.stem}
        try:
            for context in CONTEXTS:
                generator.EDGE_CONTEXT = context
                with torch.no_grad():
                    worst = worst_border(lambda x: tensor_to_bgr8(model(bgr8_to_tensor(x))))
                row[f"context_{context}"] = round(worst, 1)
        finally:
            generator.EDGE_CONTEXT = shipped
        rows.append(row)
        print(row, flush=True)
    result = {"benchmark": "border", "settings": {"size": SIZE, "margin": MARGIN, "band": BAND, "images": 2,
                                                 "contexts_px": list(CONTEXTS), "backend": "pytorch fp32"},
              "rows": rows, "machine": machine_info()}
    out = RESULTS / "experiments" / "border.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
