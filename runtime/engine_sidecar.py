"""The JSON sidecar written beside every TensorRT engine, and the check that refuses a mismatched engine.

A TensorRT engine is only valid for the TensorRT module and version, the GPU (compute capability), the precision
and the shapes it was built for, and for the ONNX file it came from. Running a mismatched engine gives wrong
results or crashes, so the runtime reads the sidecar first and refuses, saying why and how to rebuild.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UserError

FORMAT = "stylecast-engine"
FORMAT_VERSION = 1


def sidecar_path(engine: str | Path) -> Path:
    return Path(str(engine) + ".json")


def read_sidecar(engine: str | Path) -> dict:
    path = sidecar_path(engine)
    if not path.is_file():
        raise UserError(f"{engine}: no sidecar {path.name}; engines must be built with 'stylecast build-engine'")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: unreadable engine sidecar ({error})") from None
    if data.get("format") != FORMAT or int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise UserError(f"{path}: not a stylecast engine sidecar this version reads")
    return data


def mismatches(sidecar: dict, expected: dict) -> list[str]:
    """Human-readable differences between what an engine was built for and what is asked now.

    `expected` holds any of: onnx_sha256, trt_module, trt_version, compute_capability, precision, shape (h, w),
    batch. A compute capability of "portable" in the sidecar matches any GPU the module supports.
    """
    problems = []
    for key in ("onnx_sha256", "trt_module", "trt_version", "precision"):
        if key in expected and sidecar.get(key) != expected[key]:
            problems.append(f"{key} is {sidecar.get(key)!r} in the engine but {expected[key]!r} here")
    cc = expected.get("compute_capability")
    if cc and sidecar.get("compute_capability") not in ("portable", cc):
        problems.append(f"built for compute capability {sidecar.get('compute_capability')}, this GPU is {cc}")
    if "shape" in expected:
        (h, w), profile = expected["shape"], sidecar["profile"]
        if not (profile["min"][0] <= h <= profile["max"][0] and profile["min"][1] <= w <= profile["max"][1]):
            problems.append(f"{h}x{w} is outside the engine's profile {profile['min'][0]}x{profile['min'][1]}.."
                            f"{profile['max'][0]}x{profile['max'][1]}")
    if "batch" in expected and expected["batch"] > sidecar["profile"]["max_batch"]:
        problems.append(f"batch {expected['batch']} exceeds the engine's {sidecar['profile']['max_batch']}")
    return problems


def check_engine(engine: str | Path, expected: dict) -> dict:
    """The sidecar if the engine fits `expected`; otherwise a UserError saying why and how to rebuild."""
    sidecar = read_sidecar(engine)
    problems = mismatches(sidecar, expected)
    if problems:
        shapes = ",".join(f"{h}x{w}" for h, w in sidecar.get("shapes", [])) or "HxW,..."
        raise UserError(f"{engine}: refusing a mismatched engine ({'; '.join(problems)}); rebuild it with "
                        f"'stylecast build-engine {sidecar.get('onnx', 'MODEL.onnx')} --shapes {shapes}'")
    return sidecar
