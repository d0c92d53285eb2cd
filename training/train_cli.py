"""`stylecast train`: the command-line face of training/trainer.py. Imports no torch until `run`.

Several GPUs or processes: `torchrun --nproc-per-node N --no-python stylecast train ...`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError

from .loss_options import add_loss_arguments, float_list, loss_config_from_args

ARCHITECTURES = ("transformer", "lite", "texture", "unet", "pix2pixhd", "resnet")  # as architectures.py (a test checks)


def model_setting(text: str) -> tuple[str, object]:
    """'name=value' with value parsed as JSON when it can be (numbers, true/false), else kept as text."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"invalid model setting {text!r}: give NAME=VALUE, e.g. width=16")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    io = parser.add_argument_group("data and output")
    io.add_argument("--style", action="append", required=True, help="style image; repeat to blend several")
    io.add_argument("--style-blend", type=float_list, metavar="W,W,...", help="weight of each --style image")
    io.add_argument("--data", required=True, help="folder of training photos (searched recursively)")
    io.add_argument("--out", required=True, help="checkpoint file to write (.pt); previews and log.csv go "
                    "to OUT's name + '_train/'")
    io.add_argument("--name", help="style name recorded in the checkpoint (default: the style file's name)")
    io.add_argument("--style-licence", default="not recorded", help="licence of the style image, for the model card")
    io.add_argument("--resume", action="store_true", help="continue from OUT if it exists")
    io.add_argument("--init", metavar="CKPT", help="start from this checkpoint's weights (same --arch; e.g. a "
                    "model of another style: it already makes paintings, so a new style takes fewer steps); the "
                    "step count and optimiser start afresh")

    model = parser.add_argument_group("model")
    model.add_argument("--arch", choices=ARCHITECTURES, default="transformer")
    model.add_argument("--model-setting", type=model_setting, action="append", default=[], metavar="NAME=VALUE",
                       help="architecture setting, e.g. width=16 or residual_blocks=3")

    run = parser.add_argument_group("training")
    run.add_argument("--steps", type=int, help=f"optimiser steps (default: {GPU_STEPS:,} on a GPU, as Johnson et al.; "
                     f"{CPU_STEPS:,} on the CPU, about an hour on 2 cores)")
    run.add_argument("--batch-size", type=int, default=4, help="per process")
    run.add_argument("--size", type=int, default=256, help="side of the random training crops")
    run.add_argument("--style-size", type=int, default=512, help="longest side of the style images")
    run.add_argument("--lr", type=float, default=1e-3)
    run.add_argument("--lr-decay", type=float, default=0.0, metavar="FRACTION",
                     help="let the learning rate fall to zero along a cosine over this final fraction of the run "
                     "(of --steps, or of --time-limit when that comes first); 0 keeps it constant")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--noise-weight", type=float, default=0.0,
                     help="noise robustness: penalise output change under input noise (less video flicker)")
    run.add_argument("--noise-std", type=float, default=0.04, help="std of that noise in 0..1 image units")
    run.add_argument("--temporal-weight", type=float, default=0.0,
                     help="temporal loss: stylise a moved, noisy copy and penalise its difference from the "
                     "first output moved the same way (stable video; exclusive with --noise-weight)")
    run.add_argument("--max-shift", type=float, default=4.0, help="largest motion in pixels for that loss")
    run.add_argument("--saturation-weight", type=float, default=1.0,
                     help="penalise output values deep in the tanh's flat tails, where no other loss reaches "
                     "them (flat white blobs); 0 turns it off")
    run.add_argument("--time-limit", type=float, metavar="MINUTES",
                     help="stop after this many minutes of training, with a checkpoint (for a rented GPU's "
                     "slot; without it the run ends at --steps)")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--no-amp", action="store_true", help="full fp32 on CUDA (default: mixed precision)")
    run.add_argument("--workers", type=int, default=0, help="data loading processes")
    run.add_argument("--checkpoint-every", type=int, default=1000)
    run.add_argument("--preview-every", type=int, default=500)
    run.add_argument("--log-every", type=int, default=50)
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    add_loss_arguments(parser, content=True, content_layers="relu2_2", style_weight=5.0, tv_weight=0.0)


GPU_STEPS = 40_000  # two epochs of COCO at batch 4 in Johnson et al. 2016
CPU_STEPS = 1_000  # ~3.6 s a step of batch 4 on a 2-core CPU (the VGG loss dominates): about an hour


def run(args: argparse.Namespace) -> int:
    from stylecast.runtime.imageio import read_image

    for path in args.style:
        read_image(path)  # a bad style image fails now, with one line, not after the data scan
    if args.style_blend is not None and len(args.style_blend) != len(args.style):
        raise UserError(f"--style-blend has {len(args.style_blend)} weights for {len(args.style)} --style images")
    out = Path(args.out)
    if out.exists() and not args.resume:
        raise UserError(f"{out} exists; pass --resume to continue it or choose another --out")
    from stylecast.runtime.imageio import check_writable_place

    check_writable_place(out)
    if args.init and args.resume:
        raise UserError("choose one of --init (new training from another model's weights) and --resume")

    import torch  # noqa: F401

    from .device import default_steps
    from .trainer import TrainSettings, train

    if args.steps is None:
        args.steps, on_gpu = default_steps(args.device, CPU_STEPS, GPU_STEPS)
        if not args.quiet:
            print(f"stylecast train: {args.steps:,} steps, the default on the {'GPU' if on_gpu else 'CPU'} "
                  "(--steps to change, --time-limit MINUTES to bound the time)", file=sys.stderr)

    settings = TrainSettings(
        arch=args.arch, steps=args.steps, batch_size=args.batch_size, size=args.size, style_size=args.style_size,
        lr=args.lr, seed=args.seed, checkpoint_every=args.checkpoint_every, preview_every=args.preview_every,
        log_every=args.log_every, noise_weight=args.noise_weight, noise_std=args.noise_std,
        temporal_weight=args.temporal_weight, max_shift=args.max_shift, saturation_weight=args.saturation_weight,
        device=args.device, time_limit=args.time_limit, lr_decay=args.lr_decay,
        amp=not args.no_amp, workers=args.workers, progress=not args.quiet)
    result = train(settings, loss_config_from_args(args), [Path(p) for p in args.style], Path(args.data), out,
                   style_weights=args.style_blend, model_settings=dict(args.model_setting), name=args.name,
                   style_licence=args.style_licence, resume=args.resume,
                   init=Path(args.init) if args.init else None)
    if not args.quiet:
        print(f"wrote {out} (step {result['step']}, loss {result['metrics'].get('total', float('nan')):.4g})",
              file=sys.stderr)
    return 0
