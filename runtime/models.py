"""Finding models: bundled ones by name (package data written by 'stylecast export --zoo'), files by path.

Before a model is used its metadata is read and checked: ONNX files must carry stylecast's metadata, engines
their sidecar. Nothing is guessed from a file name.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .engine_sidecar import read_sidecar
from .errors import UserError
from .model_metadata import STYLE_ENCODER_SUFFIX, ModelMetadata
from .onnx_file_check import read_checked_metadata

MODELS_DIR = Path(__file__).resolve().parent / "data" / "models"
DEFAULT_MODEL = "starry_night-lite"
DEFAULT_ARBITRARY_MODEL = "arbitrary-lite"  # the model --style uses when no --model is given


class ModelFile(NamedTuple):
    name: str
    path: Path
    meta: ModelMetadata


def bundled_names() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.onnx") if not p.name.endswith(STYLE_ENCODER_SUFFIX))


def read_model_metadata(path: Path) -> ModelMetadata:
    if path.suffix == ".plan":
        return ModelMetadata.from_props(read_sidecar(path).get("metadata", {}), str(path))
    return ModelMetadata.from_props(read_checked_metadata(path), str(path))


def resolve_model(spec: str | None) -> ModelFile:
    """A bundled model name, or a path to an .onnx / .plan file."""
    spec = DEFAULT_MODEL if spec is None else spec
    if not spec.strip():
        raise UserError(f"empty model name; bundled models: {', '.join(bundled_names())}")
    path = Path(spec)
    if path.suffix in (".onnx", ".plan"):
        if not path.is_file():
            raise UserError(f"{path}: no such model file")
        return ModelFile(path.stem, path, read_model_metadata(path))
    if path.suffix:
        raise UserError(f"{spec}: model files are .onnx or .plan")
    candidate = MODELS_DIR / f"{spec}.onnx"
    if not candidate.is_file():
        names = bundled_names()
        raise UserError(f"unknown model {spec!r}; bundled models: {', '.join(names) if names else '(none)'}; "
                        f"or give a path to an .onnx or .plan file")
    return ModelFile(spec, candidate, read_model_metadata(candidate))
