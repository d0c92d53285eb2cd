"""Style vectors for arbitrary-style models: a painting in, the numbers that tell the per-frame network how to paint.

An arbitrary-style model is two ONNX files (export/arbitrary_export.py): MODEL.onnx, an ordinary one-input model
whose `style` initializer holds a style vector, and MODEL.style.onnx, which computes a vector from an image. This
module runs the second (always with onnxruntime on the CPU: it runs once per style image, so its speed does not
matter, and it needs no GPU or engine), caches vectors by the image file's contents, and mixes them: several
paintings blend by weight, and --strength moves the vector toward the photo's own (strength 0 paints the photo in
its own style, Ghiasi et al. 2017's interpolation).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .errors import UserError
from .imageio import decode_image, read_image_bytes
from .model_metadata import STYLE_ENCODER_SUFFIX, ModelMetadata
from .onnx_file_check import read_checked_metadata

ENCODER_THREADS = None  # onnxruntime's default: all cores


def encoder_path(model_path: Path) -> Path:
    """The style side's file: MODEL.style.onnx beside MODEL.onnx (renamed together, they stay a pair; the style
    side's metadata is checked before use)."""
    return Path(model_path).with_name(Path(model_path).stem + STYLE_ENCODER_SUFFIX)


class StyleEncoder:
    """vector(image) -> (1, embedding) float32; `vector_of_file` caches by the file's bytes."""

    def __init__(self, model_path: Path, meta: ModelMetadata):
        path = encoder_path(model_path)
        if not path.is_file():
            raise UserError(f"{path}: missing; an arbitrary-style model needs its style side beside it")
        encoder_meta = ModelMetadata.from_props(read_checked_metadata(path), str(path))
        self.embedding = int(meta.conditional.get("embedding", 0))
        self.side = int(meta.conditional.get("side", 512))
        if encoder_meta.conditional.get("role") != "style-encoder" or \
                encoder_meta.conditional.get("embedding") != self.embedding:
            raise UserError(f"{path}: not the style side of {Path(model_path).name}")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 4
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 - onnxruntime raises several types for bad files
            raise UserError(f"{path}: not a loadable ONNX model ({str(error).splitlines()[0][:160]})") from None
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1 or inputs[0].type != "tensor(uint8)" or \
                outputs[0].shape[-1] != self.embedding:
            raise UserError(f"{path}: its inputs and outputs are not a style side's")
        self.input_name = inputs[0].name
        self._cache: dict[str, np.ndarray] = {}

    def vector(self, image: np.ndarray) -> np.ndarray:
        """The style vector of an HxWx3 uint8 BGR image, encoded at `side` px on its longer side."""
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise UserError("a style image must be an HxWx3 uint8 BGR array")
        scale = self.side / max(image.shape[:2])
        size = (max(16, round(image.shape[1] * scale)), max(16, round(image.shape[0] * scale)))
        resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        out = self.session.run(None, {self.input_name: np.ascontiguousarray(resized)[None]})[0]
        return out.reshape(1, self.embedding).astype(np.float32)

    def vector_of_file(self, path: str | Path) -> np.ndarray:
        """The style vector of an image file, computed once per distinct file contents in this process."""
        data = read_image_bytes(path)
        key = hashlib.sha256(data).hexdigest()
        if key not in self._cache:
            self._cache[key] = self.vector(decode_image(data, str(path)))
        return self._cache[key].copy()

    def mixed(self, styles: Sequence[str | Path | np.ndarray], weights: Sequence[float] | None = None) -> np.ndarray:
        """The weighted mean of several styles' vectors (paths or BGR arrays); weights default to equal."""
        if not styles:
            raise UserError("no style image given")
        weights = [1.0] * len(styles) if weights is None else [float(w) for w in weights]
        if len(weights) != len(styles):
            raise UserError(f"{len(weights)} style weights given for {len(styles)} style images")
        if any(not np.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
            raise UserError("style weights must be non-negative and not all zero")
        vectors = [self.vector(s) if isinstance(s, np.ndarray) else self.vector_of_file(s) for s in styles]
        return (sum(w * v for w, v in zip(weights, vectors)) / sum(weights)).astype(np.float32)


def toward_own(style: np.ndarray, own: np.ndarray, strength: float) -> np.ndarray:
    """Strength 1: the style; 0: the photo's own style vector; between: the straight line (Ghiasi et al.)."""
    return (strength * style + (1.0 - strength) * own).astype(np.float32)
