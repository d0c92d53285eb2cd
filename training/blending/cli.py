"""`stylecast blend`: put an object into a background painting by one of four methods (methods.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError

from .methods import METHODS


def point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid point {text!r}: give X,Y in the background's pixels") from None
    return x, y


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    io = parser.add_argument_group("images")
    io.add_argument("--background", required=True, help="the painting (or any image) to paste into")
    io.add_argument("--object", required=True, help="the image holding the object")
    io.add_argument("--mask", help="which pixels of --object are the object (nonzero); default: its alpha channel")
    io.add_argument("--at", type=point, metavar="X,Y", help="where the object's centre goes, in pixels of the "
                    "working-size background (default: its centre)")
    io.add_argument("--scale", type=float, default=1.0, help="resize the object by this factor")
    io.add_argument("--size", type=int, default=512, help="longest side the background is worked at")
    io.add_argument("--out", required=True, help="output image")
    method = parser.add_argument_group("method")
    method.add_argument("--method", choices=METHODS, default="deep",
                        help="paste: the naive composite; poisson: OpenCV's seamless cloning; deep: Deep Image "
                             "Blending (two passes); painterly: Deep Painterly Harmonization (two passes)")
    method.add_argument("--steps", type=int, default=200, help="L-BFGS steps per pass (deep, painterly)")
    method.add_argument("--stylization-level", type=int, default=5, help="painterly: 1 faithful .. 10 most painted")
    method.add_argument("--style-weight", type=float, default=5.0)
    method.add_argument("--content-weight", type=float, default=1.0)
    method.add_argument("--gradient-weight", type=float, default=1e4, help="deep: the Poisson gradient term")
    method.add_argument("--tv-weight", type=float, default=10.0)
    method.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    out = parser.add_argument_group("output")
    out.add_argument("--snapshot-every", type=int, default=0, metavar="N", help="also save the image every N steps")
    out.add_argument("--json", action="store_true", help="print one JSON object with the run's figures on stdout")


def run(args: argparse.Namespace) -> int:
    from stylecast.runtime.imageio import (check_output_path, file_identity, read_image, refuse_overwriting_input,
                                           write_image)

    out = check_output_path(args.out)
    paths = [Path(p) for p in (args.background, args.object, args.mask) if p]
    refuse_overwriting_input(out, {i: p for p in paths if (i := file_identity(p)) is not None})
    if not 16 <= args.size <= 8192:
        raise UserError(f"--size must be between 16 and 8192, got {args.size}")
    background = read_image(args.background)
    thing = read_image(args.object, keep_alpha=args.mask is None)
    mask = read_image(args.mask)[:, :, 0] if args.mask else None
    from .methods import BlendSettings, blend, settings_dict

    settings = BlendSettings(method=args.method, steps=args.steps, content_weight=args.content_weight,
                             style_weight=args.style_weight, gradient_weight=args.gradient_weight,
                             tv_weight=args.tv_weight, stylization_level=args.stylization_level,
                             device=args.device, progress=not args.quiet, snapshot_every=args.snapshot_every)
    snapshots = out.with_name(out.stem + "_steps")

    def save_snapshot(step, image):
        write_image(snapshots / f"step_{step:05d}{out.suffix}", image)

    if mask is None and thing.shape[2] == 3:
        raise UserError("the object has no alpha channel: give --mask (nonzero = object)")
    if mask is None:
        mask = thing[:, :, 3]
    result = blend(background, thing[:, :, :3], mask, settings, at=args.at, scale=args.scale, size=args.size,
                   on_snapshot=save_snapshot if args.snapshot_every else None)
    write_image(out, result.image)
    if args.json:
        json.dump({"output": str(out), "method": args.method, "seconds": round(result.seconds, 3),
                   "steps": result.steps, "size": list(result.image.shape[1::-1]), "terms": result.terms,
                   "settings": settings_dict(settings)}, sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(f"wrote {out} ({args.method}, {result.image.shape[1]}x{result.image.shape[0]}, "
              f"{result.seconds:.1f} s)", file=sys.stderr)
    return 0
