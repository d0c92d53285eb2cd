"""`stylecast batch`: every image and video under the inputs into a mirrored output tree, here or on Ray."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import UserError
from .stylize_cli import add_model_arguments, stylizer_options


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="folders (recursive) or files: images and videos")
    parser.add_argument("--out", required=True, help="output folder; the input tree is mirrored under it")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: this process; ray: a Ray Data pipeline on the cluster at --address (or a local "
                             "one it starts)")
    parser.add_argument("--address", help="ray: the cluster's address (default: start a local cluster)")
    parser.add_argument("--num-gpus", type=float, default=0.0, help="ray: GPUs per actor")
    parser.add_argument("--concurrency", type=int, default=2, help="ray: actors (one model each)")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    add_model_arguments(parser, stills=False)


def run(args: argparse.Namespace) -> int:
    from .batch import plan, run_local, run_ray
    from .models import DEFAULT_ARBITRARY_MODEL, DEFAULT_MODEL, resolve_model

    model = args.model or (DEFAULT_ARBITRARY_MODEL if args.style else DEFAULT_MODEL)
    resolve_model(model)  # a bad model fails now, with one line, before any cluster starts
    jobs = plan(args.inputs, Path(args.out))
    options = stylizer_options(args)
    if args.engine == "ray":
        report = run_ray(jobs, model, args.address, args.num_gpus, args.concurrency, progress=not args.quiet,
                         **options)
    else:
        report = run_local(jobs, model, progress=not args.quiet, **options)
    summary = report.to_dict()
    if args.json:
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(f"batch ({report.engine}): {report.done} written, {report.skipped} already there, "
              f"{len(report.failed)} failed, {summary['files_per_second']} files/s", file=sys.stderr)
        for failure in report.failed:
            reason = failure["reason"]  # reasons usually start with the file's name already
            print(f"  failed: {reason if failure['input'] in reason else failure['input'] + ': ' + reason}",
                  file=sys.stderr)
    if report.failed:
        raise UserError(f"{len(report.failed)} of {len(jobs)} inputs failed (listed above)" if not args.json else
                        f"{len(report.failed)} of {len(jobs)} inputs failed (in the JSON summary)")
    return 0
