"""How well does the colourisation model colour photos it never saw?

For each held-out photo: its grayscale version (Rec. 601 luminance, what the model sees) goes through the bundled
model by name, exactly as `stylecast stylize` runs it. Measured against the photo itself (the ground truth):
- PSNR of the output, and of the grayscale input as the baseline a colourisation must beat;
- colourfulness (Hasler and Suesstrunk 2003: sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mean_rg^2 + mean_yb^2) on
  rg = R - G, yb = (R + G)/2 - B), of the output, of the input (0) and of the ground truth;
- how much of the luminance the model kept (PSNR of the output's luminance against the input's).
A picture: grayscale | output | ground truth, one row per photo.

    python benchmarks/colorize.py --photos ../shared/data/demo [--model colorize-pix2pix] [--size 256]

Writes benchmarks/results/colorize.json and colorize_demo.jpg.
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


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def colourfulness(bgr: np.ndarray) -> float:
    """Hasler and Suesstrunk 2003, on 0..255 values."""
    b, g, r = (bgr[:, :, i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def grayscale(bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--model", default="colorize-pix2pix")
    parser.add_argument("--size", type=int, default=256, help="longest side of the photos")
    parser.add_argument("--out", type=Path, default=RESULTS / "colorize.json")
    args = parser.parse_args(argv)

    from stylecast.runtime.imageio import image_files, read_image
    from stylecast.runtime.stylizer import Stylizer

    stylizer = Stylizer(model=args.model, backend="onnxruntime", device="cpu")
    rows, picture = [], []
    for path in image_files(args.photos, (".jpg", ".jpeg", ".png")):
        photo = read_image(path)
        scale = args.size / max(photo.shape[:2])
        photo = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA)
        gray = grayscale(photo)
        out = stylizer.stylize(gray)
        rows.append({"photo": path.name, "psnr_output": round(psnr(out, photo), 2),
                     "psnr_grayscale": round(psnr(gray, photo), 2),
                     "colourfulness_output": round(colourfulness(out), 2),
                     "colourfulness_truth": round(colourfulness(photo), 2),
                     "luminance_psnr": round(psnr(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY),
                                                  cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)), 2)})
        width = args.size
        picture.append(np.hstack([cv2.resize(x, (width, round(width * photo.shape[0] / photo.shape[1])))
                                  for x in (gray, out, photo)]))
        print(rows[-1], flush=True)
    keys = ("psnr_output", "psnr_grayscale", "colourfulness_output", "colourfulness_truth", "luminance_psnr")
    summary = {k: round(statistics.median(r[k] for r in rows), 2) for k in keys}
    result = {"benchmark": "colorize", "model": stylizer.name,
              "settings": {"size": args.size, "photos": [r["photo"] for r in rows], "statistic": "median"},
              "summary": summary, "rows": rows, "machine": machine_info()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    cv2.imwrite(str(args.out.with_name("colorize_demo.jpg")), np.vstack(picture), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
