"""Backends that run an exported model: one small contract, one class per engine (as Polygraphy's runners).

Contract: `Backend.run(batch)` validates the input against the model's layout, runs it and returns the output;
`last_seconds` holds the time of the last run. A backend that is asked for by name and cannot run here is an
error that names the install command, never a silent fallback; 'auto' picks the fastest available and says so.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .errors import UserError, missing_dependency
from .model_metadata import ModelMetadata

BACKENDS = ("auto", "onnxruntime", "tensorrt")
ORT_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}


class Backend:
    name = "base"

    def __init__(self, meta: ModelMetadata):
        self.meta = meta
        self.last_seconds = 0.0

    def validate(self, batch: np.ndarray) -> None:
        if self.meta.layout == "bgr8":
            if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[-1] != 3:
                raise UserError(f"model expects uint8 (N, H, W, 3) BGR, got {batch.dtype} {batch.shape}")
        elif batch.dtype != np.float32 or batch.ndim != 4 or batch.shape[1] != 3:
            raise UserError(f"model expects float32 (N, 3, H, W) RGB, got {batch.dtype} {batch.shape}")

    def infer(self, batch: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, batch: np.ndarray) -> np.ndarray:
        self.validate(batch)
        start = time.perf_counter()
        out = self.infer(batch)
        self.last_seconds = time.perf_counter() - start
        return out

    def describe(self) -> str:
        return self.name


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(self, path: str | Path, meta: ModelMetadata, device: str = "cpu", threads: int | None = None):
        super().__init__(meta)
        try:
            import onnxruntime as ort
        except ModuleNotFoundError:
            raise missing_dependency("onnxruntime", "onnxruntime") from None
        if device not in ORT_PROVIDERS:
            raise UserError(f"unknown onnxruntime device {device!r}; choose one of: {', '.join(ORT_PROVIDERS)}")
        provider = ORT_PROVIDERS[device]
        available = ort.get_available_providers()
        if provider not in available:
            raise UserError(f"onnxruntime has no {provider} here (available: {', '.join(available)}); for CUDA: "
                            f"pip uninstall -y onnxruntime && pip install onnxruntime-gpu")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=[provider])
        self.input_name = self.session.get_inputs()[0].name
        self.device = device

    def infer(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: batch})[0]

    def describe(self) -> str:
        return f"onnxruntime ({self.device})"


def open_backend(path: str | Path, meta: ModelMetadata, backend: str = "auto", device: str = "auto",
                 threads: int | None = None) -> Backend:
    """The backend asked for, or for 'auto' the fastest that can run this model file here."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    path = Path(path)
    if path.suffix == ".plan":
        if backend not in ("auto", "tensorrt"):
            raise UserError(f"{path} is a TensorRT engine; it runs only with --backend tensorrt")
        from .tensorrt_backend import TensorRTBackend

        return TensorRTBackend(path, meta)
    if backend == "tensorrt":
        raise UserError(f"{path} is an ONNX file; build an engine first: stylecast build-engine {path} "
                        f"--shapes HxW,... --out MODEL.plan")
    if device == "auto":
        import onnxruntime as ort

        device = "cuda" if ORT_PROVIDERS["cuda"] in ort.get_available_providers() else "cpu"
    return OnnxRuntimeBackend(path, meta, device=device, threads=threads)
