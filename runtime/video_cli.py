"""`stylecast video` (files) and `stylecast live` (camera, file, URL, GStreamer)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import UserError
from .stylize_cli import add_model_arguments, stylizer_from_args


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "video":
        parser.add_argument("input", help="video file")
        parser.add_argument("--out", required=True, help="output video (.mp4, .avi, .mkv, .mov)")
    else:
        parser.add_argument("--source", default="0", help="camera index, video file, URL or GStreamer pipeline")
        parser.add_argument("--no-window", action="store_true", help="run headless")
        parser.add_argument("--frames", type=int, help="stop after N frames")
        parser.add_argument("--output", help="'-' writes raw BGR frames to stdout (for ffmpeg/GStreamer); a "
                            ".mp4 path records")
        parser.add_argument("--virtual-camera", action="store_true", help="send frames to a virtual camera "
                            "(needs pyvirtualcam)")
        parser.add_argument("--no-pace", action="store_true",
                            help="read file sources as fast as possible instead of at their frame rate")
    parser.add_argument("--stabilize", action="store_true",
                        help="reduce flicker: blend with the previous frame warped along the input's optical flow")
    parser.add_argument("--json", action="store_true", help="print frames, dropped frames, fps and per-stage "
                        "p50/p95 latency as one JSON object")
    parser.add_argument("--quiet", action="store_true")
    add_model_arguments(parser, several=command == "live")


def run(args: argparse.Namespace) -> int:
    if args.command == "video":
        from .video import FOURCC, open_video, stylise_video

        if Path(args.out).suffix.lower() not in FOURCC:  # fail before any work, and before any other output
            raise UserError(f"{args.out}: unknown video extension {Path(args.out).suffix!r}; choose one of "
                            f"{', '.join(FOURCC)}")
        open_video(args.input).release()
    else:
        from .live import open_source

        if args.frames is not None and args.frames < 1:
            raise UserError("--frames must be at least 1")
        open_source(args.source)[0].release()  # a missing camera or file fails before any other output
    if args.command == "live":
        from .models import DEFAULT_MODEL, bundled_names

        names = args.model or [DEFAULT_MODEL] + [n for n in bundled_names() if n != DEFAULT_MODEL]
        stylizers = [stylizer_from_args(args, name, pipelined=True) for name in names]
    else:
        stylizers = [stylizer_from_args(args, pipelined=True)]
    stylizer = stylizers[0]
    frame_filter = None
    if args.stabilize:
        from .stabilizer import Stabilizer

        frame_filter = Stabilizer()
    if not args.quiet and not args.json:
        print(f"stylecast: model {', '.join(s.name for s in stylizers)} on {stylizer.runner.describe()}",
              file=sys.stderr)
    if args.command == "video":
        report = stylise_video(stylizer, args.input, args.out, progress=not args.quiet,
                               frame_filter=frame_filter).to_dict()
        if not args.json and not args.quiet:
            print(f"wrote {args.out}: {report['frames']} frames at {report['fps']} fps; audio {report['audio']}",
                  file=sys.stderr)
    else:
        from .live import run_live

        if args.output == "-" and args.json:
            raise UserError("--output - writes frames to stdout; --json cannot share it")
        record = args.output if args.output not in (None, "-") else None
        if record and Path(record).suffix.lower() not in (".mp4", ".avi"):
            raise UserError(f"{record}: record to .mp4 or .avi")
        report = run_live(stylizers, args.source, frames=args.frames, window=not args.no_window,
                          stdout=args.output == "-", record=record, virtual_camera=args.virtual_camera,
                          pace=not args.no_pace, frame_filter=frame_filter).to_dict()
        report.update(model=stylizer.name, models=[s.name for s in stylizers], backend=stylizer.runner.describe())
    if frame_filter is not None:
        report["stabilizer_resets"] = frame_filter.resets
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    return 0
