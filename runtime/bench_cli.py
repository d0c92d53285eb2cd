"""`stylecast bench`: see runtime/bench.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import UserError


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--model", action="append", help="bundled name or .onnx/.plan path; repeat (default: "
                        "every bundled model)")
    parser.add_argument("--backend", action="append", choices=("onnxruntime", "tensorrt"),
                        help="repeat to compare (default: onnxruntime)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--resolution", action="append", help="HxW or 480p/720p/1080p; repeat (default: 480p, "
                        "720p, 1080p)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, help="CPU threads for onnxruntime (default: all cores)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--csv", help="also write a CSV file")
    parser.add_argument("--plot", help="also write a PNG of latency against resolution (needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    from .bench import bench_one, parse_resolution, plot, to_csv, to_json, to_table
    from .imageio import check_writable_place, write_atomic
    from .models import bundled_names

    if args.warmup < 0 or args.runs < 1:
        raise UserError("--warmup must be >= 0 and --runs >= 1")
    for output in (args.csv, args.plot):  # before minutes of measuring
        if output:
            check_writable_place(Path(output))
    models = args.model or bundled_names()
    if not models:
        raise UserError("no bundled models; give --model PATH")
    sizes = [parse_resolution(r) for r in (args.resolution or ["480p", "720p", "1080p"])]
    results = []
    for model in models:
        for backend in args.backend or ["onnxruntime"]:
            for size in sizes:
                result = bench_one(model, backend, args.device, size, args.warmup, args.runs, args.threads)
                results.append(result)
                if not args.json and not args.quiet:
                    print(f"{result.model} {result.backend} {size[0]}x{size[1]}: p50 {result.p50_ms:.2f} ms",
                          file=sys.stderr)
    if args.csv:
        write_atomic(args.csv, to_csv(results).encode())
    if args.plot:
        plot(results, args.plot)
    print(to_json(results) if args.json else to_table(results))
    return 0
