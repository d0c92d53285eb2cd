"""Running TensorRT engines (full `tensorrt` or `tensorrt_rtx`) with device buffers from cuda-python.

The engine's sidecar is checked before anything runs. Buffers are kept per input shape (a video allocates once),
and CUDA graphs replay the network when a shape repeats: TensorRT-RTX captures them itself (its runtime config's
graph strategy, which also copes with dynamic-shape kernels); with full TensorRT the runner captures the second
run at a shape and replays it from the third on, the usual recipe (the first run after a shape change does
deferred set-up work that must not be captured).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .backends import INSTALL, Backend
from .engine_sidecar import check_engine
from .errors import UserError
from .model_metadata import ModelMetadata

MAX_SHAPES = 4  # buffers kept for this many recent input shapes


@dataclass
class _Slot:
    """Device buffers for one input shape, and its CUDA graph once captured."""

    input: int
    output: int
    output_shape: tuple[int, ...]
    runs: int = 0
    graph: object = None


class EngineRunner:
    """One execution context on one device (anything with CudaDevice's methods; tests pass a fake)."""

    def __init__(self, context, device, input_name: str, output_name: str, output_dtype, capture_graphs: bool):
        self.context, self.device = context, device
        self.input_name, self.output_name, self.output_dtype = input_name, output_name, np.dtype(output_dtype)
        self.capture_graphs = capture_graphs
        self.slots: OrderedDict[tuple[int, ...], _Slot] = OrderedDict()
        self._bound: tuple[int, ...] | None = None  # the shape the context's input shape and addresses are set for
        self.graph_launches = 0

    def run(self, batch: np.ndarray) -> np.ndarray:
        shape = tuple(batch.shape)
        if shape != self._bound:
            self._drop_graphs()  # a graph replays only while its shape repeats back to back
        slot = self._slot(shape)
        self.device.upload(slot.input, batch)
        if slot.graph is None and self.capture_graphs and slot.runs > 0 and self._capturable():
            self._bind(shape, slot)
            slot.graph = self.device.capture(self._enqueue)
        if slot.graph is not None:
            self.device.launch(slot.graph)
            self.graph_launches += 1
        else:
            self._bind(shape, slot)
            self._enqueue()
        slot.runs += 1
        out = np.empty(slot.output_shape, self.output_dtype)
        self.device.download(out, slot.output)
        self.device.synchronize()
        return out

    def _enqueue(self) -> None:
        if not self.context.execute_async_v3(self.device.handle):
            raise UserError("TensorRT could not run the engine (execute_async_v3 failed)")

    def _capturable(self) -> bool:
        check = getattr(self.context, "is_stream_capturable", None)
        return check is None or bool(check(self.device.handle))

    def _bind(self, shape: tuple[int, ...], slot: _Slot) -> None:
        if self._bound != shape:
            self.context.set_input_shape(self.input_name, shape)
            self.context.set_tensor_address(self.input_name, slot.input)
            self.context.set_tensor_address(self.output_name, slot.output)
            self._bound = shape

    def _slot(self, shape: tuple[int, ...]) -> _Slot:
        if shape in self.slots:
            self.slots.move_to_end(shape)
            return self.slots[shape]
        if len(self.slots) >= MAX_SHAPES:
            _, old = self.slots.popitem(last=False)
            self.device.free(old.input)
            self.device.free(old.output)
        self.context.set_input_shape(self.input_name, shape)
        self._bound = None  # the input shape changed; addresses are set again before the next run
        output_shape = tuple(int(d) for d in self.context.get_tensor_shape(self.output_name))
        size = self.output_dtype.itemsize  # the input has the output's dtype in both layouts
        slot = _Slot(self.device.alloc(int(np.prod(shape)) * size),
                     self.device.alloc(int(np.prod(output_shape)) * size), output_shape)
        self.slots[shape] = slot
        return slot

    def _drop_graphs(self) -> None:
        for slot in self.slots.values():
            if slot.graph is not None:
                self.device.destroy(slot.graph)
                slot.graph, slot.runs = None, 0

    def close(self) -> None:
        self._drop_graphs()
        for slot in self.slots.values():
            self.device.free(slot.input)
            self.device.free(slot.output)
        self.slots.clear()


def recording_logger(trt):
    """A TensorRT logger that keeps the error messages, so a failure can name its cause in one line."""
    class RecordingLogger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.errors: list[str] = []

        def log(self, severity, message):
            if int(severity) <= int(trt.ILogger.Severity.ERROR):
                self.errors.append(message)

    return RecordingLogger()


TRT_MODULES = ("tensorrt", "tensorrt_rtx")  # the only modules an engine's sidecar may name


class TensorRTBackend(Backend):
    name = "tensorrt"
    on_gpu = True

    def __init__(self, path: str | Path, meta: ModelMetadata, cuda_graphs: bool = True):
        super().__init__(meta)
        sidecar = check_engine(path, {})
        module = sidecar["trt_module"]
        if module not in TRT_MODULES:  # the sidecar is user-supplied: it must never choose what gets imported
            raise UserError(f"{path}: its sidecar names TensorRT module {str(module)[:40]!r}; stylecast runs engines "
                            f"of {', '.join(TRT_MODULES)} only")
        try:
            trt = __import__(module)
        except ImportError:
            hint = INSTALL.get(module, INSTALL["tensorrt"])
            raise UserError(f"{path} was built with {module}, which is not installed: {hint}") from None
        check_engine(path, {"trt_module": module, "trt_version": trt.__version__})
        from .cuda_device import CudaDevice

        device = CudaDevice()
        self.sidecar = sidecar
        logger = recording_logger(trt)
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(Path(path).read_bytes())
        if self.engine is None:  # TensorRT says why only through its logger (e.g. a GPU TensorRT-RTX does not support)
            reason = "rebuild it with 'stylecast build-engine'"
            if logger.errors:
                reason = logger.errors[0].split(": ", 1)[-1][:300]
            raise UserError(f"{path}: {module} could not load this engine ({reason})")
        builtin_graphs = cuda_graphs and hasattr(trt, "CudaGraphStrategy")  # TensorRT-RTX
        if builtin_graphs:
            config = self.engine.create_runtime_config()
            config.cuda_graph_strategy = trt.CudaGraphStrategy.WHOLE_GRAPH_CAPTURE
            context = self.engine.create_execution_context(runtime_config=config)
        else:
            context = self.engine.create_execution_context()
        self.graphs = "built-in (TensorRT-RTX)" if builtin_graphs else "captured" if cuda_graphs else "off"
        self.runner = EngineRunner(context, device, self.engine.get_tensor_name(0), self.engine.get_tensor_name(1),
                                   np.uint8 if meta.layout == "bgr8" else np.float32,
                                   capture_graphs=cuda_graphs and not builtin_graphs)

    def infer(self, batch: np.ndarray) -> np.ndarray:
        h, w = (batch.shape[1], batch.shape[2]) if self.meta.layout == "bgr8" else batch.shape[2:]
        check_engine_shape(self.sidecar, h, w, batch.shape[0])
        return self.runner.run(batch)

    def describe(self) -> str:
        return f"tensorrt ({self.sidecar['trt_module']} {self.sidecar['trt_version']}, CUDA graphs {self.graphs})"


def check_engine_shape(sidecar: dict, h: int, w: int, batch: int) -> None:
    from .engine_sidecar import mismatches

    problems = mismatches(sidecar, {"shape": (h, w), "batch": batch})
    if problems:
        raise UserError(f"engine cannot run this input: {'; '.join(problems)}; rebuild it with a wider --shapes")
