"""`stylecast stylize` (images, folders, stdin) and `stylecast models`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .backends import BACKENDS
from .errors import UserError
from .image_header import MAX_PIXELS
from .imageio import IMAGE_EXTENSIONS, KEPT_FORMATS, WRITABLE_EXTENSIONS, image_files



def weights(text: str) -> list[float]:
    """'0.7,0.3' -> [0.7, 0.3]."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid weights {text!r}: give numbers separated by commas") from None


def add_model_arguments(parser: argparse.ArgumentParser, several: bool = False, stills: bool = True) -> None:
    """The model and its options; `several`: --model repeats (live); `stills`: offer the slow exact smoothing."""
    if several:
        parser.add_argument("--model", action="append", help="bundled model name (see 'stylecast models') or an "
                            ".onnx/.plan file; repeat to switch between them with n/p (default: every bundled "
                            "model, the default one first)")
    else:
        parser.add_argument("--model", help="bundled model name (see 'stylecast models') or an .onnx/.plan file")
    parser.add_argument("--backend", choices=BACKENDS, default="auto")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="onnxruntime execution provider")
    parser.add_argument("--threads", type=int, help="CPU threads for onnxruntime (default: all cores)")
    parser.add_argument("--style", action="append", metavar="PAINTING",
                        help="any painting (or image) as the style, with an arbitrary-style model (default then: "
                        "arbitrary-lite); repeat to blend several" + (", or to switch between them with n/p "
                        "when --style-blend is not given" if several else ""))
    parser.add_argument("--style-blend", type=weights, metavar="W,W,...", help="weight of each --style image")
    parser.add_argument("--strength", type=float, default=1.0, help="0: the input (arbitrary-style models: the "
                        "input in its own style); 1: full stylisation")
    parser.add_argument("--preserve-color", action="store_true", help="keep the input's colours")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="run the network at this fraction of the resolution, then guided upsampling")
    parser.add_argument("--max-size", type=int, help="shrink inputs whose longest side exceeds this")
    parser.add_argument("--tile", type=int, help="run the network on tiles of at most this side, blended across "
                        "their overlap: bounded memory for very large images")
    parser.add_argument("--tile-overlap", type=int, default=32, help="pixels neighbouring tiles share")
    parser.add_argument("--photo-smooth", choices=("guided", "exact") if stills else ("guided",),
                        help="photorealistic output: colours made locally affine in the input's, so edges and "
                        "textures stay the photo's (guided: fast, for video; exact: closed-form solve, stills up to "
                        "1 MP, needs scipy)")


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "models":
        parser.add_argument("--json", action="store_true")
        return
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (recursive), or - for stdin")
    parser.add_argument("--out", help="output file (one input) or folder; default: beside each input, "
                        "named NAME_MODEL.EXT; with stdin: stdout")
    parser.add_argument("--format", choices=("png", "jpg", "webp"), help="output format (default: the input's, "
                        "else png)")
    parser.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist")
    parser.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS, help="refuse images that declare more "
                        "pixels than this, before decoding them")
    add_model_arguments(parser)


def stylizer_options(args: argparse.Namespace) -> dict:
    """Stylizer's keyword arguments (all but the model) from add_model_arguments' options."""
    from .stylizer import StylizeOptions

    options = StylizeOptions(strength=args.strength, preserve_color=args.preserve_color, scale=args.scale,
                             max_size=args.max_size, tile=args.tile, tile_overlap=args.tile_overlap,
                             photo_smooth=args.photo_smooth)
    return {"backend": args.backend, "device": args.device, "options": options, "threads": args.threads,
            "style": args.style, "style_blend": args.style_blend}


def stylizer_from_args(args: argparse.Namespace, model: str | None = None, pipelined: bool = False, **overrides):
    """`pipelined`: other threads (decoding, finishing frames) share the cores with the network's; `overrides`
    replace stylizer_options' entries (live: one painting per Stylizer)."""
    from .stylizer import Stylizer

    model = model or (args.model if isinstance(args.model, str) else None)
    return Stylizer(model=model, spin=not pipelined, **{**stylizer_options(args), **overrides})


def _jobs(args: argparse.Namespace, model_name: str) -> list[tuple[Path | None, Path | None]]:
    """(input, output) pairs; None input means stdin, None output means stdout."""
    if args.inputs == ["-"]:
        return [(None, Path(args.out) if args.out else None)]
    files: list[tuple[Path, Path]] = []  # (file, root it was found under)
    for raw in args.inputs:
        path = Path(raw)
        if raw == "-":
            raise UserError("'-' (stdin) cannot be mixed with other inputs")
        if path.is_dir():
            found = image_files(path, IMAGE_EXTENSIONS)
            if not found:
                raise UserError(f"{path}: no images found")
            files += [(p, path) for p in found]
        elif path.exists():
            files.append((path, path.parent))
        else:
            raise UserError(f"{path}: no such file or folder")
    out = Path(args.out) if args.out else None
    single = len(files) == 1 and not Path(args.inputs[0]).is_dir()
    if out is not None and not single and out.suffix.lower() in WRITABLE_EXTENSIONS and not out.is_dir():
        raise UserError(f"{out}: several inputs are written into a folder, and this names an image file; give a "
                        "folder for --out")
    jobs = []
    for path, root in files:
        suffix = f".{args.format}" if args.format else (path.suffix.lower() if path.suffix.lower() in
                                                         KEPT_FORMATS else ".png")
        if out is not None and single and out.suffix:
            target = out
        elif out is not None:
            target = (out / path.relative_to(root)).with_suffix(suffix)
        else:
            target = path.with_name(f"{path.stem}_{model_name}{suffix}")
        jobs.append((path, target))
    return jobs


def run(args: argparse.Namespace) -> int:
    if args.command == "models":
        return _models(args)
    from tqdm.auto import tqdm

    from .progress import progress_bar

    from .imageio import (check_output_path, decode_image, encode_image, file_identity, read_image,
                          refuse_overwriting_input, write_image)

    if args.max_pixels < 1:
        raise UserError("--max-pixels must be at least 1")
    stylizer = stylizer_from_args(args)
    jobs = _jobs(args, stylizer.name)
    sources = {identity: source for source, _ in jobs if (identity := file_identity(source)) is not None}
    claimed: dict[Path, Path | None] = {}
    for source, target in jobs:
        if target is None:
            continue
        check_output_path(target)
        refuse_overwriting_input(target, sources)
        key = Path(os.path.abspath(target))
        if key in claimed:
            raise UserError(f"{claimed[key]} and {source} would both be written to {target}; nothing was written "
                            "(rename one, or leave out --format so each keeps its own format)")
        claimed[key] = source
    if not args.quiet and not args.json:
        print(f"stylecast: model {stylizer.name} on {stylizer.runner.describe()}", file=sys.stderr)
    failures = written = 0
    bar = progress_bar(jobs, quiet=args.quiet or len(jobs) < 2, desc="stylize", unit="img")
    for source, target in bar:
        if args.skip_existing and target is not None and target.exists():
            continue
        start = time.perf_counter()
        try:
            image = (decode_image(sys.stdin.buffer.read(), "stdin", args.max_pixels, args.max_size) if source is None
                     else read_image(source, args.max_pixels, args.max_size))
        except UserError as error:
            if len(jobs) == 1:
                raise
            failures += 1
            tqdm.write(f"stylecast stylize: skipped {error}", file=sys.stderr)
            continue
        out = stylizer.stylize(image)
        if target is None:
            sys.stdout.buffer.write(encode_image(out, f".{args.format or 'png'}"))
            sys.stdout.buffer.flush()
        else:
            write_image(target, out)
            written += 1
            if len(jobs) == 1 and not args.quiet and not args.json:
                print(f"wrote {target} ({out.shape[1]}x{out.shape[0]})", file=sys.stderr)
        if args.json:
            report = {"input": str(source) if source else "-", "output": str(target) if target else "-",
                      "width": int(out.shape[1]), "height": int(out.shape[0]), "model": stylizer.name,
                      "backend": stylizer.runner.describe(), "seconds": round(time.perf_counter() - start, 5),
                      "inference_seconds": round(stylizer.times.inference, 5)}
            print(json.dumps(report), flush=True)
    if len(jobs) > 1 and not args.quiet and not args.json:
        where = args.out if args.out else "beside the inputs"
        print(f"wrote {written} of {len(jobs)} images ({where})", file=sys.stderr)
    if failures:
        raise UserError(f"{failures} of {len(jobs)} inputs could not be read (see above)")
    return 0


def _models(args: argparse.Namespace) -> int:
    from .models import DEFAULT_MODEL, bundled_names, resolve_model

    rows = []
    for name in bundled_names():
        meta = resolve_model(name).meta
        rows.append({"name": name, "task": meta.task, "method": meta.method, "arch": meta.arch,
                     "macs_per_pixel": round(meta.macs_per_pixel),
                     "precision": meta.precision, "style": meta.style_name, "layout": meta.layout,
                     "default": name == DEFAULT_MODEL})
    if args.json:
        json.dump(rows, sys.stdout)
        sys.stdout.write("\n")
    elif not rows:
        print("no bundled models")
    else:
        print(f"{'name':<28} {'task':<9} {'method':<11} {'arch':<12} {'MACs/pixel':>11} {'precision':<9} style")
        for r in rows:
            mark = " (default)" if r["default"] else ""
            print(f"{r['name']:<28} {r['task']:<9} {r['method']:<11} {r['arch']:<12} {r['macs_per_pixel']:>11,} "
                  f"{r['precision']:<9} {r['style']}{mark}")
    return 0
