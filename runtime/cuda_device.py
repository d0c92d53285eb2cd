"""CUDA memory, copies, one stream and CUDA graphs for the TensorRT backend, through cuda-python.

cuda-python is NVIDIA's thin binding of the CUDA runtime API: the TensorRT backend needs device buffers and a
stream, not a deep-learning framework, and the lean runtime never imports torch unless the user asks for the
torch backend. Every call's status is checked and turned into one line naming the CUDA error.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .backends import INSTALL
from .errors import UserError


class CudaDevice:
    """The current CUDA device with one stream; buffers are raw device pointers (ints)."""

    def __init__(self):
        try:
            from cuda.bindings import runtime
        except ModuleNotFoundError:
            raise UserError("the TensorRT backend needs cuda-python for device buffers: "
                            + INSTALL["cuda-python"]) from None
        self.rt = runtime
        error, count = runtime.cudaGetDeviceCount()
        if error != runtime.cudaError_t.cudaSuccess or count == 0:
            raise UserError("the TensorRT backend needs an NVIDIA GPU, and none is visible here "
                            f"({error.name if error != runtime.cudaError_t.cudaSuccess else 'no devices'})")
        self.stream = self._check(runtime.cudaStreamCreate(), "cudaStreamCreate")
        self.handle = int(self.stream)  # what TensorRT's execute_async_v3 takes

    def _check(self, result: tuple, call: str):
        error, *values = result
        if error != self.rt.cudaError_t.cudaSuccess:
            raise UserError(f"CUDA error in {call}: {error.name}")
        return values[0] if len(values) == 1 else None

    def alloc(self, nbytes: int) -> int:
        return int(self._check(self.rt.cudaMalloc(max(1, nbytes)), "cudaMalloc"))

    def free(self, pointer: int) -> None:
        self._check(self.rt.cudaFree(pointer), "cudaFree")

    def upload(self, pointer: int, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        self._check(self.rt.cudaMemcpyAsync(pointer, array.ctypes.data, array.nbytes,
                                            self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice, self.stream),
                    "cudaMemcpyAsync")

    def download(self, array: np.ndarray, pointer: int) -> None:
        self._check(self.rt.cudaMemcpyAsync(array.ctypes.data, pointer, array.nbytes,
                                            self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost, self.stream),
                    "cudaMemcpyAsync")

    def synchronize(self) -> None:
        self._check(self.rt.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def capture(self, work: Callable[[], None]):
        """Record what `work` enqueues on the stream as an executable CUDA graph (nothing runs now)."""
        rt = self.rt
        self._check(rt.cudaStreamBeginCapture(self.stream, rt.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal),
                    "cudaStreamBeginCapture")
        try:
            work()
        finally:
            graph = self._check(rt.cudaStreamEndCapture(self.stream), "cudaStreamEndCapture")
        try:
            return self._check(rt.cudaGraphInstantiate(graph, 0), "cudaGraphInstantiate")
        finally:
            self._check(rt.cudaGraphDestroy(graph), "cudaGraphDestroy")

    def launch(self, graph) -> None:
        self._check(self.rt.cudaGraphLaunch(graph, self.stream), "cudaGraphLaunch")

    def destroy(self, graph) -> None:
        self._check(self.rt.cudaGraphExecDestroy(graph), "cudaGraphExecDestroy")
