"""`stylecast train-gan` and `stylecast make-pairs`: the command-line face of gan_trainer.py (pix2pix, pix2pixHD),
cyclegan_trainer.py and pairs.py.
Imports no torch until `run`.

Several GPUs or processes: `torchrun --nproc-per-node N --no-python stylecast train-gan ...`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError

METHODS = ("pix2pix", "pix2pixhd", "cyclegan")  # gan_trainer.RECIPES, then cyclegan_trainer (a test checks)
TASKS = ("gray2color", "edges2photo", "stylize")  # as pairs.TASKS (a test checks)
CPU_STEPS, GPU_STEPS = 2_000, 40_000


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "make-pairs":
        parser.add_argument("--task", choices=TASKS, required=True, help="gray2color: grayscale -> photo; "
                            "edges2photo: Canny edges -> photo; stylize: photo -> stylised photo")
        parser.add_argument("--photos", required=True, help="folder of photos (searched recursively)")
        parser.add_argument("--out", required=True, help="folder to write A/ (inputs) and B/ (targets) into")
        parser.add_argument("--size", type=int, default=256, help="shorter side of the stored pairs")
        parser.add_argument("--model", help="stylize: the bundled model or .onnx file that makes the targets")
        parser.add_argument("--style", help="stylize: make the targets by Gatys optimisation towards this painting "
                            "instead (square crops of --size; slow on a CPU)")
        parser.add_argument("--gatys-steps", type=int, default=100, help="L-BFGS steps per target with --style")
        parser.add_argument("--batch", type=int, default=16, help="photos optimised together with --style")
        parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (with --style)")
        parser.add_argument("--limit", type=int, help="use only the first N photos")
        return
    io = parser.add_argument_group("data and output")
    io.add_argument("--pairs", help="pix2pix, pix2pixhd: folder with A/ (inputs) and B/ (targets), e.g. from "
                    "make-pairs")
    io.add_argument("--domain-a", help="cyclegan: folder of images of the first collection (e.g. photos)")
    io.add_argument("--domain-b", help="cyclegan: folder of the second (e.g. paintings; large ones give many crops)")
    io.add_argument("--out", required=True, help="checkpoint file to write (.pt); previews and log.csv go to "
                    "OUT_train/")
    io.add_argument("--name", help="model name recorded in the checkpoint (default: the file's name)")
    io.add_argument("--task", default="translate", help="what the model does, recorded for 'stylecast models' "
                    "(e.g. colorize, style)")
    io.add_argument("--licence", default="not recorded", help="licence of the training data, for the model card")
    io.add_argument("--resume", action="store_true", help="continue from OUT if it exists")
    io.add_argument("--init", metavar="CKPT", help="cyclegan: start G (A -> B) from this checkpoint's generator "
                    "(same --arch and settings), e.g. a perceptual model of one of the paintings")
    model = parser.add_argument_group("model")
    model.add_argument("--method", "--mode", dest="method", choices=METHODS, default="pix2pix",
                       help="pix2pix: U-Net, PatchGAN, L1 x100; pix2pixhd: global + local generator, 2-scale "
                            "PatchGANs, LSGAN, feature matching and VGG x10; cyclegan: two generators, two "
                            "PatchGANs, LSGAN, cycle x10, identity x5, a pool of 50 fakes")
    model.add_argument("--arch", help="generator (default: the method's: unet, pix2pixhd; lite for cyclegan, whose "
                       "paper-sized one is resnet)")
    model.add_argument("--model-setting", action="append", default=[], metavar="NAME=VALUE",
                       help="generator setting (e.g. width=32, grayscale_input=true); repeatable")
    run = parser.add_argument_group("training")
    run.add_argument("--steps", type=int, help=f"steps (default: {GPU_STEPS:,} on a GPU, {CPU_STEPS:,} on the CPU)")
    run.add_argument("--batch-size", type=int, default=4, help="per process")
    run.add_argument("--size", type=int, default=256, help="side of the random training crops")
    run.add_argument("--lr", type=float, default=2e-4, help="Adam's rate (beta1 0.5)")
    run.add_argument("--decay", type=float, default=0.5, metavar="FRACTION",
                     help="final fraction of the run over which the rate falls linearly to zero")
    run.add_argument("--l1-weight", type=float, help="L1 to the target (default: the method's, 100 for pix2pix)")
    run.add_argument("--feature-matching-weight", type=float, help="(default: the method's, 10 for pix2pixhd)")
    run.add_argument("--vgg-weight", type=float, help="(default: the method's, 10 for pix2pixhd)")
    run.add_argument("--d-scales", type=int, help="discriminator scales (default: the method's)")
    run.add_argument("--d-layers", type=int, default=3, help="discriminator depth: 3 judges 70x70 patches, 2 judges "
                     "34x34 (texture), 1 judges 16x16")
    run.add_argument("--d-width", type=int, default=64, help="discriminator's first layer's channels")
    run.add_argument("--cycle-weight", type=float, default=10.0, help="cyclegan: cycle consistency")
    run.add_argument("--identity-fraction", type=float, default=0.5,
                     help="cyclegan: identity weight as a fraction of the cycle weight")
    run.add_argument("--zoom-a", type=float, default=1.0, help="cyclegan: A images are scaled to this many crop "
                     "sizes before cropping")
    run.add_argument("--zoom-b", type=float, default=2.0, help="cyclegan: B images are scaled to this many crop "
                     "sizes before cropping (many crops from few paintings)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--time-limit", type=float, metavar="MINUTES", help="stop with a checkpoint after this long")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--no-amp", action="store_true", help="full fp32 on CUDA (default: bf16 mixed precision)")
    run.add_argument("--workers", type=int, default=0, help="data loading processes")
    run.add_argument("--checkpoint-every", type=int, default=1000)
    run.add_argument("--preview-every", type=int, default=500)
    run.add_argument("--log-every", type=int, default=50)


def run(args: argparse.Namespace) -> int:
    if args.command == "make-pairs":
        return _make_pairs(args)
    from ..train_cli import model_setting

    settings_given = dict(model_setting(text) for text in args.model_setting)
    out = Path(args.out)
    if out.exists() and not args.resume:
        raise UserError(f"{out} exists; pass --resume to continue it or choose another --out")
    from stylecast.runtime.imageio import check_writable_place

    check_writable_place(out)
    cyclegan = args.method == "cyclegan"
    if cyclegan and (not args.domain_a or not args.domain_b or args.pairs):
        raise UserError("--method cyclegan takes --domain-a and --domain-b (two unpaired folders), not --pairs")
    if args.init and (not cyclegan or args.resume):
        raise UserError("--init starts a new --method cyclegan run; it cannot be combined with --resume")
    if not cyclegan and (not args.pairs or args.domain_a or args.domain_b):
        raise UserError(f"--method {args.method} takes --pairs (a folder with A/ and B/), not --domain-a/-b")
    from ..dataset import find_images
    from ..device import default_steps
    from .pairs import find_pairs

    if cyclegan:  # bad folders fail now, with one line
        find_images(args.domain_a, progress=False), find_images(args.domain_b, progress=False)
    else:
        find_pairs(args.pairs)
    if args.steps is None:
        args.steps = default_steps(args.device, CPU_STEPS, GPU_STEPS)[0]
    if cyclegan:
        return _train_cyclegan(args, settings_given, out)
    from .gan_trainer import recipe, train_gan

    settings = recipe(args.method, arch=args.arch, steps=args.steps, batch_size=args.batch_size, size=args.size,
                      lr=args.lr, decay=args.decay, l1_weight=args.l1_weight,
                      feature_matching_weight=args.feature_matching_weight, vgg_weight=args.vgg_weight,
                      d_scales=args.d_scales, d_layers=args.d_layers, d_width=args.d_width, seed=args.seed,
                      time_limit=args.time_limit,
                      device=args.device, amp=not args.no_amp, workers=args.workers,
                      checkpoint_every=args.checkpoint_every, preview_every=args.preview_every,
                      log_every=args.log_every, progress=not args.quiet)
    result = train_gan(settings, Path(args.pairs), out, model_settings=settings_given, name=args.name,
                       task=args.task, licence=args.licence, resume=args.resume)
    if not args.quiet:
        metrics = result["metrics"]
        print(f"wrote {out} (step {result['step']}, G {metrics.get('g_total', float('nan')):.4g}, "
              f"L1 {metrics.get('l1', float('nan')):.4g}, D accuracy {metrics.get('d_accuracy', float('nan')):.2f})",
              file=sys.stderr)
    return 0


def _train_cyclegan(args: argparse.Namespace, model_settings: dict, out: Path) -> int:
    from .cyclegan_trainer import CycleGanSettings, train_cyclegan

    settings = CycleGanSettings(
        arch=args.arch or "lite", steps=args.steps, batch_size=args.batch_size, size=args.size, lr=args.lr,
        decay=args.decay, cycle_weight=args.cycle_weight, identity_fraction=args.identity_fraction,
        zoom_a=args.zoom_a, zoom_b=args.zoom_b, d_layers=args.d_layers, d_width=args.d_width, seed=args.seed,
        time_limit=args.time_limit, device=args.device, amp=not args.no_amp,
        workers=args.workers, checkpoint_every=args.checkpoint_every, preview_every=args.preview_every,
        log_every=args.log_every, progress=not args.quiet)
    result = train_cyclegan(settings, Path(args.domain_a), Path(args.domain_b), out, model_settings=model_settings,
                            name=args.name, task=args.task, licence=args.licence, resume=args.resume,
                            init=Path(args.init) if args.init else None)
    if not args.quiet:
        m = result["metrics"]
        print(f"wrote {out} (step {result['step']}, cycle {m.get('cycle', float('nan')):.4g}, change "
              f"{m.get('change', float('nan')):.3f}, D_B accuracy {m.get('d_b_accuracy', float('nan')):.2f})",
              file=sys.stderr)
    return 0


def _make_pairs(args: argparse.Namespace) -> int:
    if args.size < 16 or args.gatys_steps < 1 or args.batch < 1 or (args.limit is not None and args.limit < 1):
        raise UserError("--size must be at least 16; --gatys-steps, --batch and --limit at least 1")
    if args.task != "stylize" and (args.model or args.style):
        raise UserError("--model and --style are for --task stylize")
    if args.model and args.style:
        raise UserError("choose one of --model (a trained model makes the targets) and --style (Gatys does)")
    from .pairs import make_pairs

    count = make_pairs(args.task, Path(args.photos), Path(args.out), size=args.size, model=args.model,
                       style=Path(args.style) if args.style else None, gatys_steps=args.gatys_steps,
                       batch=args.batch, device=args.device, progress=not args.quiet, limit=args.limit)
    if not args.quiet:
        print(f"wrote {count} pairs to {args.out}/A and {args.out}/B", file=sys.stderr)
    return 0
