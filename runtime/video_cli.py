"""`stylecast video` (files) and `stylecast live` (camera, file, URL, GStreamer)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import UserError
from .stylize_cli import add_model_arguments, stylizer_from_args
from .video_writer import DEFAULT_CRF


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    if command == "video":
        parser.add_argument("input", help="video file")
        parser.add_argument("--out", required=True, help="output video (.mp4, .mkv, .mov: H.264; .avi: Motion JPEG)")
        parser.add_argument("--crf", type=int, default=DEFAULT_CRF, help="H.264 quality: 0 lossless, 18 visually "
                            "lossless, 28 small; 51 worst")
        parser.add_argument("--encoder", choices=("auto", "ffmpeg", "opencv"), default="auto",
                            help="auto: FFmpeg (imageio-ffmpeg) when installed, else OpenCV's MPEG-4 Part 2")
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
        parser.add_argument("--loop", action="store_true", help="replay a file source from its start when it ends "
                            "(a kiosk, a soak test); stop with --frames, q or Ctrl-C")
        parser.add_argument("--drop-frames", action="store_true", help="treat a file source like a camera: keep "
                            "only the newest frame when the network falls behind (cameras and streams always do)")
    parser.add_argument("--stabilize", action="store_true",
                        help="reduce flicker: blend with the previous frame warped along the input's optical flow")
    parser.add_argument("--json", action="store_true", help="print frames, dropped frames, fps and per-stage "
                        "p50/p95 latency as one JSON object")
    parser.add_argument("--quiet", action="store_true")
    add_model_arguments(parser, several=command == "live", stills=False)


def run(args: argparse.Namespace) -> int:
    if args.command == "video":
        from .video import open_video, stylise_video
        from .video_writer import check_video_output

        check_video_output(Path(args.out))  # fail before any work, and before any other output
        if not 0 <= args.crf <= 51:
            raise UserError(f"--crf must be between 0 and 51, got {args.crf}")
        open_video(args.input).release()
    else:
        from .live import check_display, open_source

        if args.frames is not None and args.frames < 1:
            raise UserError("--frames must be at least 1")
        if args.output not in (None, "-"):
            from .imageio import file_identity
            from .video_writer import check_video_output

            check_video_output(Path(args.output))
            identity = file_identity(Path(args.output))
            if identity is not None and identity == file_identity(Path(args.source)):
                raise UserError(f"{args.output}: is the source; choose another --output (the source is never "
                                "overwritten)")
        if not args.no_window:
            check_display()
        capture, kind = open_source(args.source)  # a missing camera or file fails before any other output
        capture.release()
        if args.loop and kind != "file":
            raise UserError(f"--loop replays video files; {args.source} is a {kind}")
    if args.command == "live":
        from .models import DEFAULT_MODEL, bundled_names

        if args.style and args.style_blend is None and len(args.style) > 1:  # n/p switch between the paintings
            stylizers = [stylizer_from_args(args, args.model[0] if args.model else None, pipelined=True,
                                            style=[style]) for style in args.style]
        elif args.style:
            stylizers = [stylizer_from_args(args, name, pipelined=True) for name in args.model or [None]]
        else:
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
        result = stylise_video(stylizer, args.input, args.out, progress=not args.quiet, frame_filter=frame_filter,
                               crf=args.crf, encoder=args.encoder)
        report = result.to_dict()
        if result.note and not args.quiet:
            print(f"stylecast video: note: {result.note}", file=sys.stderr)
        if not args.json and not args.quiet:
            print(f"wrote {args.out}: {report['frames']} frames at {report['fps']} fps, {report['codec']}; audio "
                  f"{report['audio']}", file=sys.stderr)
    else:
        from .live import run_live

        if args.output == "-" and args.json:
            raise UserError("--output - writes frames to stdout; --json cannot share it")
        record = args.output if args.output not in (None, "-") else None
        report = run_live(stylizers, args.source, frames=args.frames, window=not args.no_window,
                          stdout=args.output == "-", record=record, virtual_camera=args.virtual_camera,
                          pace=not args.no_pace, frame_filter=frame_filter, drop_frames=args.drop_frames,
                          loop=args.loop).to_dict()
        report.update(model=stylizer.name, models=[s.name for s in stylizers], backend=stylizer.runner.describe())
    if frame_filter is not None:
        report["stabilizer_resets"] = frame_filter.resets
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    return 0
