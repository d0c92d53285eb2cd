"""`stylecast backends`: which backends and execution providers can run here, and what 'auto' would pick.

Users ask "why is it slow?" before anything else; this answers without running a model. It never imports torch
or TensorRT (it looks for them with importlib and for a GPU through the CUDA driver), so it is as light as the
rest of the runtime.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json

from .backends import INSTALL, ORT_PROVIDERS, auto_ort_device
from .cuda_driver import cuda_devices


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def survey(gpus: int) -> list[dict]:
    """One row per backend: installed, version, what it can run on here given `gpus` NVIDIA GPUs, and the
    install command if not."""
    rows = []
    if importlib.util.find_spec("onnxruntime") is None:
        rows.append({"backend": "onnxruntime", "installed": False, "version": None, "devices": [],
                     "install": INSTALL["onnxruntime"]})
    else:
        import onnxruntime as ort

        providers = ort.get_available_providers()
        devices = [device for device, provider in ORT_PROVIDERS.items() if provider in providers]
        rows.append({"backend": "onnxruntime", "installed": True, "version": ort.__version__, "devices": devices,
                     "providers": providers,
                     "install": None if "cuda" in devices else f"for CUDA: {INSTALL['onnxruntime-gpu']}"})
    try:
        cuda_python = importlib.util.find_spec("cuda.bindings") is not None  # runs engines (runtime/cuda_device.py)
    except ModuleNotFoundError:
        cuda_python = False
    for module in ("tensorrt", "tensorrt_rtx"):
        installed = importlib.util.find_spec(module) is not None
        install = INSTALL[module] if not installed else None if cuda_python else \
            f"to run engines: {INSTALL['cuda-python']}"
        rows.append({"backend": f"tensorrt ({module})", "installed": installed,
                     "version": _version(module.replace("_", "-")) or _version(module + "-cu13") if installed
                     else None,
                     "devices": ["cuda"] if installed and gpus and cuda_python else [],
                     "builds_engines": installed, "install": install})
    torch_installed = importlib.util.find_spec("torch") is not None
    rows.append({"backend": "torch", "installed": torch_installed, "version": _version("torch"),
                 "devices": (["cpu", "cuda"] if gpus else ["cpu"]) if torch_installed else [],
                 "install": None if torch_installed else INSTALL["torch"]})
    return rows


def auto_choice(rows: list[dict]) -> str:
    """What `--backend auto` runs an ONNX model with here (engines always run with TensorRT)."""
    ort_row = rows[0]
    if not ort_row["installed"]:
        return "none: " + INSTALL["onnxruntime"]
    return f"onnxruntime ({auto_ort_device(ort_row['providers'])})"


def configure(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    gpus = cuda_devices()
    rows = survey(gpus)
    if args.json:
        print(json.dumps({"backends": rows, "cuda_devices": gpus, "auto": auto_choice(rows)}))
        return 0
    print(f"{'backend':24s} {'version':18s} runs on   notes")
    for row in rows:
        devices = ", ".join(row["devices"]) or "-"
        notes = row["install"] or ""
        if row.get("builds_engines") and not row["devices"]:
            notes = "builds engines ahead of time; running them needs an NVIDIA GPU" + \
                (f" ({row['install']})" if row["install"] else "")
        if row.get("providers"):
            notes = (notes + "; " if notes else "") + "providers: " + ", ".join(row["providers"])
        print(f"{row['backend']:24s} {str(row['version'] or '-'):18s} {devices:9s} {notes}")
    print(f"NVIDIA GPUs: {gpus}; --backend auto runs ONNX models with {auto_choice(rows)}")
    return 0
