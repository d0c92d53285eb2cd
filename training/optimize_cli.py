"""`stylecast optimize` and `stylecast texture`: the command-line face of training/gatys.py.

Importing this module imports no torch, so `--help` is instant; `run` imports the heavy parts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError
from stylecast.runtime.samples import SAMPLE_CONTENT, SAMPLE_STYLE

from .loss_options import add_loss_arguments, float_list, loss_config_from_args

OPTIMIZERS = ("lbfgs", "adam")  # kept in step with gatys.py without importing torch (a test checks)
INITS = ("content", "style", "noise")


MIN_SIDE, MAX_SIDE = 16, 8192  # the loss network halves an image four times; beyond 8192 no memory suffices


def parse_size(text: str) -> tuple[int | None, int | None]:
    """'512' (longest side) or 'WxH' (exact) -> (longest, None) or (width, height)."""
    try:
        sides = [int(part) for part in text.lower().split("x")] if "x" in text.lower() else [int(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: give N (longest side) or WxH") from None
    if len(sides) > 2 or not all(MIN_SIDE <= side <= MAX_SIDE for side in sides):
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: give N or WxH, each side from {MIN_SIDE} to "
                                         f"{MAX_SIDE} px")
    return (sides[0], sides[1]) if len(sides) == 2 else (sides[0], None)


def style_side(text: str) -> int:
    side = parse_size(text)
    if side[1] is not None:
        raise argparse.ArgumentTypeError(f"invalid style size {text!r}: give N, the longest side")
    return side[0]


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    texture = command == "texture"
    io = parser.add_argument_group("images")
    if not texture:
        io.add_argument("--content", default=str(SAMPLE_CONTENT), help="content image (default: bundled sample)")
    io.add_argument("--style", action="append", help="style image; repeat to blend several "
                    "(default: bundled sample)")
    io.add_argument("--style-blend", type=float_list, metavar="W,W,...",
                    help="relative weight of each --style image (default: equal)")
    io.add_argument("--out", required=True, help="output image (.png, .jpg, .webp, ...)")
    io.add_argument("--size", type=parse_size, default=parse_size("256" if texture else "512"),
                    help="output size: N for the longest side (content's aspect ratio) or WxH")
    io.add_argument("--style-size", type=style_side, metavar="N",
                    help="longest side of the style images (default: same pixel count as the output)")

    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--steps", type=int, default=300, help="steps per pyramid level (one loss evaluation each)")
    opt.add_argument("--optimizer", choices=OPTIMIZERS, default="lbfgs")
    opt.add_argument("--lr", type=float, help="step size (default: 1.0 for L-BFGS, 0.02 for Adam)")
    opt.add_argument("--init", choices=INITS, default="noise" if texture else "content")
    opt.add_argument("--seed", type=int, default=0, help="seed of the noise initialisation")
    opt.add_argument("--scales", type=int, default=1,
                     help="coarse-to-fine pyramid levels (Gatys et al. 2017); 1 optimises at full size only")
    opt.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")

    add_loss_arguments(parser, content=not texture)
    if not texture:
        parser.add_argument("--preserve-color", action="store_true",
                            help="transfer luminance only and keep the content's colours (Gatys et al. 2016b)")
        photo = parser.add_argument_group("photorealistic (Luan et al. 2017)")
        photo.add_argument("--photorealistic", action="store_true",
                           help="two stages, the second with the matting-Laplacian regulariser: the look of the "
                                "style photo without painting (content up to 1 MP; needs scipy)")
        photo.add_argument("--photo-weight", type=float, default=1e4, help="the regulariser's weight")
        photo.add_argument("--content-mask", help="colour-coded regions of the content (same colour = same "
                           "region as in --style-mask)")
        photo.add_argument("--style-mask", help="colour-coded regions of the style image")

    out = parser.add_argument_group("output")
    out.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                     help="also save the image every N steps")
    out.add_argument("--snapshot-dir", help="folder for snapshots (default: OUT's name + '_steps')")
    out.add_argument("--json", action="store_true", help="print one JSON object with the run's figures on stdout")
    out.add_argument("--quiet", action="store_true", help="no progress bar")


def _photorealistic(args: argparse.Namespace, content, styles, size, device, save_snapshot):
    """optimize --photorealistic: training/photoreal.py with the command's weights, steps per stage and masks."""
    from stylecast.runtime.imageio import read_image

    from .photoreal import PhotorealSettings, photoreal_stylise

    if len(styles) != 1 or args.preserve_color or args.scales != 1:
        raise UserError("--photorealistic takes one --style photo, and neither --preserve-color nor --scales")
    settings = PhotorealSettings(steps=args.steps, content_weight=args.content_weight,
                                 style_weight=args.style_weight, photo_weight=args.photo_weight,
                                 progress=not args.quiet, snapshot_every=args.snapshot_every)
    masks = [read_image(path) if path else None for path in (args.content_mask, args.style_mask)]
    return photoreal_stylise(content, styles[0], size, settings, *masks, device=device,
                             on_snapshot=save_snapshot if args.snapshot_every else None,
                             on_note=lambda text: print(f"stylecast optimize: note: {text}", file=sys.stderr))


def _output_size(args: argparse.Namespace, height: int, width: int) -> tuple[int, int]:
    first, second = args.size
    if second is not None:
        return second, first
    scale = first / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def run(args: argparse.Namespace) -> int:
    from stylecast.runtime.imageio import (check_output_path, file_identity, read_image, refuse_overwriting_input,
                                           write_image)

    texture = args.command == "texture"
    out = check_output_path(args.out)
    if args.snapshot_every < 0:
        raise UserError("--snapshot-every must not be negative (0: no snapshots)")
    style_paths = args.style or [str(SAMPLE_STYLE)]
    inputs = {identity: Path(path) for path in [*style_paths, *([] if texture else [args.content])]
              if (identity := file_identity(Path(path))) is not None}
    refuse_overwriting_input(out, inputs)
    content = None if texture else read_image(args.content)
    styles = [read_image(path) for path in style_paths]
    if args.style_blend is not None and len(args.style_blend) != len(styles):
        raise UserError(f"--style-blend has {len(args.style_blend)} weights for {len(styles)} --style images")

    import torch  # noqa: F401  (imported here so a missing torch is reported before the work starts)

    from .device import resolve_device
    from .gatys import OptimizeSettings, stylise
    from .tensors import fit_size

    config = loss_config_from_args(args)
    settings = OptimizeSettings(steps=args.steps, optimizer=args.optimizer, lr=args.lr, init=args.init,
                                seed=args.seed, scales=args.scales, snapshot_every=args.snapshot_every,
                                progress=not args.quiet)
    reference = styles[0] if texture else content
    size = _output_size(args, *reference.shape[:2])
    style_area = None
    if args.style_size:
        h, w = fit_size(*styles[0].shape[:2], args.style_size)
        style_area = h * w

    snapshot_dir = Path(args.snapshot_dir) if args.snapshot_dir else out.with_name(out.stem + "_steps")

    def save_snapshot(step: int, image) -> None:
        write_image(snapshot_dir / f"step_{step:05d}{out.suffix}", image)

    device = resolve_device(args.device)
    if getattr(args, "photorealistic", False):
        result = _photorealistic(args, content, styles, size, device, save_snapshot)
    elif getattr(args, "content_mask", None) or getattr(args, "style_mask", None):
        raise UserError("--content-mask and --style-mask go with --photorealistic")
    else:
        result = stylise(content, styles, config, settings, size, style_weights=args.style_blend,
                         style_area=style_area, preserve_color=getattr(args, "preserve_color", False),
                         device=device, on_snapshot=save_snapshot if args.snapshot_every else None)
    write_image(out, result.image)
    if args.json:
        report = {**result.summary(), "output": str(out), "width": size[1], "height": size[0],
                  "optimizer": settings.optimizer, "device": str(device), "content": getattr(args, "content", None),
                  "styles": style_paths}
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(f"wrote {out} ({size[1]}x{size[0]}, {result.steps} steps in {result.seconds:.1f} s, "
              f"loss {result.loss_initial:.4g} -> {result.loss_final:.4g})", file=sys.stderr)
    return 0
