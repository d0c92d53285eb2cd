"""Running TensorRT engines (full `tensorrt` or `tensorrt_rtx`), with device buffers from PyTorch's CUDA
allocator when torch is present, else cuda-python. The engine's sidecar is checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .backends import INSTALL, Backend
from .engine_sidecar import check_engine
from .errors import UserError
from .model_metadata import ModelMetadata


class TensorRTBackend(Backend):
    name = "tensorrt"

    def __init__(self, path: str | Path, meta: ModelMetadata):
        super().__init__(meta)
        sidecar = check_engine(path, {})
        module = sidecar["trt_module"]
        try:
            trt = __import__(module)
        except ImportError:
            hint = INSTALL.get(module, INSTALL["tensorrt"])
            raise UserError(f"{path} was built with {module}, which is not installed: {hint}") from None
        check_engine(path, {"trt_module": module, "trt_version": trt.__version__})
        try:
            import torch
        except ImportError:
            raise UserError("the TensorRT backend needs torch for CUDA buffers: " + INSTALL["torch"]) from None
        if not torch.cuda.is_available():
            raise UserError("the TensorRT backend needs an NVIDIA GPU, and none is visible here")
        self.torch, self.trt, self.sidecar = torch, trt, sidecar
        logger = trt.Logger(trt.Logger.ERROR)
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(Path(path).read_bytes())
        if self.engine is None:
            raise UserError(f"{path}: {module} could not load this engine; rebuild it with 'stylecast build-engine'")
        self.context = self.engine.create_execution_context()
        self.input_name, self.output_name = self.engine.get_tensor_name(0), self.engine.get_tensor_name(1)
        self.stream = torch.cuda.Stream()

    def infer(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        h, w = (batch.shape[1], batch.shape[2]) if self.meta.layout == "bgr8" else batch.shape[2:]
        check_engine_shape(self.sidecar, h, w, batch.shape[0])
        device_in = torch.from_numpy(batch).cuda(non_blocking=True)
        self.context.set_input_shape(self.input_name, tuple(batch.shape))
        device_out = torch.empty(tuple(self.context.get_tensor_shape(self.output_name)),
                                 dtype=device_in.dtype if self.meta.layout == "bgr8" else torch.float32,
                                 device="cuda")
        self.context.set_tensor_address(self.input_name, device_in.data_ptr())
        self.context.set_tensor_address(self.output_name, device_out.data_ptr())
        with torch.cuda.stream(self.stream):
            self.context.execute_async_v3(self.stream.cuda_stream)
        self.stream.synchronize()
        return device_out.cpu().numpy()

    def describe(self) -> str:
        return f"tensorrt ({self.sidecar['trt_module']} {self.sidecar['trt_version']})"


def check_engine_shape(sidecar: dict, h: int, w: int, batch: int) -> None:
    from .engine_sidecar import mismatches

    problems = mismatches(sidecar, {"shape": (h, w), "batch": batch})
    if problems:
        raise UserError(f"engine cannot run this input: {'; '.join(problems)}; rebuild it with a wider --shapes")
