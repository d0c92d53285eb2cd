"""`stylecast train-arbitrary`: the command-line face of trainer.py. Imports no torch until `run`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError

from ..train_cli import model_setting

CPU_STEPS, GPU_STEPS = 3_000, 40_000


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    io = parser.add_argument_group("data and output")
    io.add_argument("--data", required=True, help="folder of training photos (searched recursively)")
    io.add_argument("--styles", required=True, help="folder of paintings to learn styles from")
    io.add_argument("--hold-out", action="append", default=[], metavar="PAINTING",
                    help="a painting in --styles not to train on (file name or stem), kept to measure how the "
                    "model does on paintings it never saw; repeatable")
    io.add_argument("--out", required=True, help="checkpoint file to write (.pt); previews and log.csv go to "
                    "OUT_train/")
    io.add_argument("--licence", default="not recorded", help="licence of the paintings, for the model card")
    io.add_argument("--resume", action="store_true", help="continue from OUT if it exists")
    io.add_argument("--init", metavar="CKPT", help="start the transformer from a trained lite checkpoint of the same "
                    "width (it already paints; training then learns how styles move its norms)")
    model = parser.add_argument_group("model")
    model.add_argument("--model-setting", type=model_setting, action="append", default=[], metavar="NAME=VALUE",
                       help="width, residual_blocks, embedding, hidden")
    run = parser.add_argument_group("training")
    run.add_argument("--steps", type=int, help=f"steps (default: {GPU_STEPS:,} on a GPU, {CPU_STEPS:,} on the CPU)")
    run.add_argument("--batch-size", type=int, default=4)
    run.add_argument("--size", type=int, default=192, help="side of the content crops")
    run.add_argument("--lr", type=float, default=5e-4)
    run.add_argument("--lr-decay", type=float, default=0.3, metavar="FRACTION",
                     help="the rate falls to zero along a cosine over this final fraction of the run")
    run.add_argument("--style-weight", type=float, default=5.0)
    run.add_argument("--content-weight", type=float, default=1.0)
    run.add_argument("--views", type=int, default=24, help="augmented views of each training painting")
    run.add_argument("--photo-views", type=int, default=64, help="photos used as unpainted styles")
    run.add_argument("--content-layer", action="append", dest="content_layers", metavar="LAYER",
                     help="VGG19 layer of the content loss; repeatable (default: relu2_2)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--time-limit", type=float, metavar="MINUTES", help="stop after this many minutes, with a "
                     "checkpoint")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--checkpoint-every", type=int, default=250)
    run.add_argument("--preview-every", type=int, default=250)
    run.add_argument("--log-every", type=int, default=25)
    run.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from stylecast.runtime.imageio import check_writable_place

    out = Path(args.out)
    if out.exists() and not args.resume:
        raise UserError(f"{out} exists; pass --resume to continue it or choose another --out")
    if args.init and args.resume:
        raise UserError("choose one of --init and --resume")
    for folder, option in ((args.data, "--data"), (args.styles, "--styles")):
        if not Path(folder).is_dir():
            raise UserError(f"{option} {folder}: not a folder")
    check_writable_place(out)

    from ..device import default_steps
    from .trainer import ArbitrarySettings, train_arbitrary

    if args.steps is None:
        args.steps, on_gpu = default_steps(args.device, CPU_STEPS, GPU_STEPS)
        if not args.quiet:
            print(f"stylecast train-arbitrary: {args.steps:,} steps, the default on the {'GPU' if on_gpu else 'CPU'}",
                  file=sys.stderr)
    settings = ArbitrarySettings(
        steps=args.steps, batch_size=args.batch_size, size=args.size, lr=args.lr, lr_decay=args.lr_decay,
        style_weight=args.style_weight, content_weight=args.content_weight, views=args.views,
        photo_views=args.photo_views, seed=args.seed, time_limit=args.time_limit, device=args.device,
        checkpoint_every=args.checkpoint_every, preview_every=args.preview_every, log_every=args.log_every,
        progress=not args.quiet, **({"content_layers": tuple(args.content_layers)} if args.content_layers else {}))
    result = train_arbitrary(settings, Path(args.data), Path(args.styles), out, args.hold_out,
                             model_settings=dict(args.model_setting), init=Path(args.init) if args.init else None,
                             resume=args.resume, licence=args.licence)
    if not args.quiet and result:
        print(f"wrote {out} (step {result['step']}, loss {result['metrics'].get('total', float('nan')):.4g})",
              file=sys.stderr)
    return 0
