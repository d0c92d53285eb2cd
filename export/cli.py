"""`stylecast export` and `stylecast build-engine`. Imports no torch, onnx or TensorRT until `run`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from stylecast.runtime.errors import UserError
from stylecast.runtime.model_metadata import LAYOUTS, PRECISIONS

TRT_CHOICES = ("auto", "tensorrt", "tensorrt_rtx")  # kept in step with tensorrt_build.py, which imports torch
ZOO = Path(__file__).resolve().parent.parent / "training" / "zoo"
PACKAGE_MODELS = Path(__file__).resolve().parent.parent / "runtime" / "data" / "models"


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "export-triton":
        parser.add_argument("models", nargs="+", metavar="MODEL", help="bundled names, .onnx files, or .plan "
                            "engines (with --platform tensorrt)")
        parser.add_argument("--out", required=True, help="the model repository folder")
        parser.add_argument("--max-batch-size", type=int, default=8, help="Triton's max_batch_size; above 1, "
                            "dynamic batching of requests of one shape")
        parser.add_argument("--instances", type=int, default=1, help="model instances (per GPU, or on the CPU)")
        parser.add_argument("--platform", choices=("onnxruntime", "tensorrt"), default="onnxruntime")
        parser.add_argument("--trt-accelerator", action="store_true",
                            help="onnxruntime: use its TensorRT execution provider on Triton's GPUs")
    elif command == "export":
        parser.add_argument("checkpoint", nargs="?", help="checkpoint (.pt) written by 'stylecast train'")
        parser.add_argument("--out", help="ONNX file to write")
        parser.add_argument("--zoo", action="store_true",
                            help="export every shipped checkpoint (training/zoo) into the runtime's package data")
        parser.add_argument("--layout", choices=LAYOUTS, default="bgr8",
                            help="bgr8: uint8 HxWx3 BGR in and out (what OpenCV uses); rgb_float: float NCHW 0..1")
        parser.add_argument("--precision", choices=PRECISIONS, default="fp32")
        parser.add_argument("--calibration", help="folder of photos for --precision int8")
        parser.add_argument("--default-style", metavar="PAINTING", help="arbitrary-style models: the painting they "
                            "paint without --style (default: the one their checkpoint stores)")
    else:
        parser.add_argument("onnx", help="ONNX file written by 'stylecast export'")
        parser.add_argument("--shapes", required=True,
                            help="HxW or 480p/720p/1080p, comma-separated: the profile covers all of them")
        parser.add_argument("--out", help="engine file (.plan); default: the engine cache")
        parser.add_argument("--trt", choices=TRT_CHOICES, default="auto",
                            help="TensorRT module: full tensorrt, tensorrt_rtx, or the first installed")
        parser.add_argument("--precision", choices=PRECISIONS,
                            help="engine precision (default: the ONNX file's)")
        parser.add_argument("--max-batch", type=int, default=1)
        parser.add_argument("--cache-dir", help="engine cache folder (default: $STYLECAST_ENGINE_CACHE or "
                            "~/.cache/stylecast/engines)")
        parser.add_argument("--target", help="TensorRT-RTX: one compute capability, e.g. sm86 (default: portable)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    if not args.verbose:  # onnxruntime.quantization's advice and torch.onnx's notes are not for users
        for name in ("", "torch"):
            logging.getLogger(name).setLevel(logging.ERROR)
    if args.command == "build-engine":
        return _build_engine(args)
    if args.command == "export-triton":
        return _export_triton(args)
    if args.calibration is not None and args.precision != "int8":
        raise UserError("--calibration is for --precision int8 only")
    if args.calibration is not None and not Path(args.calibration).is_dir():
        raise UserError(f"{args.calibration}: no such folder of calibration photos")
    if args.default_style is not None and args.zoo:
        raise UserError("--default-style is for one checkpoint, not --zoo")
    if args.zoo:
        checkpoints = sorted(ZOO.glob("*.pt"))
        if not checkpoints:
            raise UserError(f"no shipped checkpoints in {ZOO}")
        jobs = [(path, PACKAGE_MODELS / f"{path.stem}.onnx") for path in checkpoints]
    else:
        if not args.checkpoint or not args.out:
            raise UserError("give CHECKPOINT and --out MODEL.onnx, or --zoo")
        if Path(args.out).suffix.lower() != ".onnx":
            raise UserError(f"{args.out}: the output must be an .onnx file")
        from stylecast.runtime.imageio import check_writable_place

        check_writable_place(Path(args.out))
        jobs = [(Path(args.checkpoint), Path(args.out))]
    from .onnx_export import export_checkpoint

    reports = []
    for checkpoint, out in jobs:
        parity = export_checkpoint(checkpoint, out, layout=args.layout, precision=args.precision,
                                   calibration=args.calibration, default_style=args.default_style)
        reports.append({"checkpoint": str(checkpoint), "onnx": str(out), "parity": parity})
        worst = parity["worst"]
        if not args.json and not args.quiet:
            print(f"wrote {out}: {args.precision}/{args.layout}, parity vs PyTorch over {len(parity['cases'])} "
                  f"inputs: max abs {worst['max_abs']:.3g}, PSNR {worst['psnr']:.1f} dB (tolerance "
                  f"{parity['tolerance']})", file=sys.stderr)
    if args.json:
        json.dump(reports if args.zoo else reports[0], sys.stdout)
        sys.stdout.write("\n")
    return 0


def _export_triton(args: argparse.Namespace) -> int:
    from .triton import export_model

    repo = Path(args.out)
    if repo.exists() and not repo.is_dir():
        raise UserError(f"{repo}: exists and is not a folder")
    created = not repo.exists()
    repo.mkdir(parents=True, exist_ok=True)
    try:
        entries = [export_model(spec, repo, args.max_batch_size, args.instances, args.platform,
                                args.trt_accelerator) for spec in args.models]
    except BaseException:
        if created and not any(repo.iterdir()):  # a refused export leaves no empty repository behind
            repo.rmdir()
        raise
    if args.json:
        json.dump(entries, sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        for entry in entries:
            print(f"wrote {entry['config']} ({entry['platform']}, max batch {entry['max_batch_size']}, "
                  f"{entry['instances']} instance(s))", file=sys.stderr)
    return 0


def _build_engine(args: argparse.Namespace) -> int:
    from .tensorrt_build import build_engine, parse_shapes

    if not Path(args.onnx).is_file():
        raise UserError(f"{args.onnx}: no such ONNX file")
    if args.max_batch < 1:
        raise UserError("--max-batch must be at least 1")
    result = build_engine(args.onnx, parse_shapes(args.shapes), out=args.out, trt_choice=args.trt,
                          precision=args.precision, max_batch=args.max_batch, cache_dir=args.cache_dir,
                          target=args.target)
    if args.json:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        verb = "reused cached" if result["cached"] else "built"
        p = result["profile"]
        print(f"{verb} {result['engine']} ({result['trt_module']} {result['trt_version']}, {result['precision']}, "
              f"{result['compute_capability']}, profile {p['min'][0]}x{p['min'][1]}..{p['max'][0]}x{p['max'][1]} "
              f"opt {p['opt'][0]}x{p['opt'][1]})", file=sys.stderr)
    return 0
