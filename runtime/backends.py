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
from .model_metadata import ModelMetadata, check_model_io

BACKENDS = ("auto", "onnxruntime", "tensorrt", "torch")
ORT_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}
INSTALL = {"onnxruntime": "pip install onnxruntime",
           "onnxruntime-gpu": "pip uninstall -y onnxruntime && pip install 'onnxruntime-gpu[cuda,cudnn]'",
           "tensorrt_rtx": "pip install tensorrt-rtx-cu13", "tensorrt": "pip install tensorrt",
           "torch": "pip install torch", "cuda-python": "pip install cuda-python"}


def auto_ort_device(available_providers: list[str]) -> str:
    """The onnxruntime device `--device auto` picks: CUDA when its execution provider is there."""
    return "cuda" if ORT_PROVIDERS["cuda"] in available_providers else "cpu"


class Backend:
    name = "base"
    on_gpu = False  # whether its work runs on an NVIDIA GPU (bench then reports GPU memory)

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
        """The model on one batch; a model that fails or returns another shape than its input's is a UserError
        naming the model's reason, not a backend's traceback."""
        self.validate(batch)
        start = time.perf_counter()
        try:
            out = self.infer(batch)
        except (UserError, MemoryError, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - each backend raises its own types for a graph that fails
            reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            raise UserError(f"the model failed on a {tuple(batch.shape)} input: {reason}") from None
        self.last_seconds = time.perf_counter() - start
        if out.shape != batch.shape or out.dtype != batch.dtype:
            raise UserError(f"the model returned {out.dtype} {tuple(out.shape)} for a {batch.dtype} "
                            f"{tuple(batch.shape)} input; a stylecast model returns its input's type and shape")
        return out

    def describe(self) -> str:
        return self.name


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"

    def __init__(self, path: str | Path, meta: ModelMetadata, device: str = "cpu", threads: int | None = None,
                 spin: bool = True, initializers: dict[str, np.ndarray] | None = None):
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
                            f"{INSTALL['onnxruntime-gpu']}")
        ort.set_default_logger_severity(4)  # its own log lines (shape merging, a failing node) would surround the
        # one line stylecast prints for the same failure: the exception carries the message
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.log_severity_level = 4
        if not spin:  # idle threads sleep at once instead of spin-waiting for the next run
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Values that replace the graph's initializers of those names (an arbitrary-style model's style vector);
        # the OrtValues must outlive the session's creation.
        self._initializers = {name: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(value))
                              for name, value in (initializers or {}).items()}
        for name, value in self._initializers.items():
            options.add_initializer(name, value)
        if device == "cuda" and hasattr(ort, "preload_dlls"):
            ort.preload_dlls()  # CUDA and cuDNN from the nvidia-* pip packages (torch's), where those are the ones
        try:
            self.session = ort.InferenceSession(str(path), options, providers=[provider])
        except Exception as error:  # noqa: BLE001 - onnxruntime raises several types for bad files
            raise UserError(f"{path}: not a loadable ONNX model ({str(error).splitlines()[0][:160]})") from None
        if provider not in self.session.get_providers():  # onnxruntime falls back to the CPU with a mere warning
            raise UserError(f"onnxruntime could not start its {provider} (CUDA 13 or cuDNN 9 missing? "
                            f"{INSTALL['onnxruntime-gpu']}); not running on the CPU instead")
        ort_types = {"tensor(uint8)": "uint8", "tensor(float)": "float32", "tensor(float16)": "float16"}
        check_model_io(path, meta, *([(ort_types.get(t.type, t.type), list(t.shape)) for t in tensors]
                                     for tensors in (self.session.get_inputs(), self.session.get_outputs())))
        self.input_name = self.session.get_inputs()[0].name
        self.device = device
        self.on_gpu = device == "cuda"
        self.ort = ort

        self.output_name = self.session.get_outputs()[0].name
        self.binding = self.session.io_binding()
        self._bound_shape: tuple[int, ...] | None = None

    def _bind(self, batch: np.ndarray) -> None:
        """Allocate input and output buffers on the execution provider's device once per shape and keep them
        bound: a video's frames all have one shape, so each frame costs two copies and no allocation."""
        ort = self.ort
        device = "cuda" if self.device == "cuda" else "cpu"
        self.input_value = ort.OrtValue.ortvalue_from_shape_and_type(batch.shape, batch.dtype, device, 0)
        out_dtype = np.uint8 if self.meta.layout == "bgr8" else np.float32  # the output has the input's shape
        self.output_value = ort.OrtValue.ortvalue_from_shape_and_type(batch.shape, out_dtype, device, 0)
        self.binding.clear_binding_inputs()
        self.binding.clear_binding_outputs()
        self.binding.bind_ortvalue_input(self.input_name, self.input_value)
        self.binding.bind_ortvalue_output(self.output_name, self.output_value)
        self._bound_shape = batch.shape

    def infer(self, batch: np.ndarray) -> np.ndarray:
        if batch.shape != self._bound_shape:
            self._bind(batch)
        self.input_value.update_inplace(np.ascontiguousarray(batch))
        self.session.run_with_iobinding(self.binding)
        return self.output_value.numpy().copy()  # numpy() views the bound buffer, which the next frame overwrites

    def describe(self) -> str:
        return f"onnxruntime ({self.device})"


def open_backend(path: str | Path, meta: ModelMetadata, backend: str = "auto", device: str = "auto",
                 threads: int | None = None, spin: bool = True,
                 initializers: dict[str, np.ndarray] | None = None) -> Backend:
    """The backend asked for, or for 'auto' the fastest that can run this model file here.

    `spin=False` stops onnxruntime's worker threads from spin-waiting between runs: spinning shaves a little
    latency off back-to-back calls, but in a pipeline it takes the cores that the capture and output threads need
    (live at 640x480 --scale 0.5 on 2 cores: 24-26 fps spinning, 30 of 30 without).

    `initializers` replace graph constants by name when the model is opened (an arbitrary-style model's style
    vector); an engine has its constants built in and refuses them."""
    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    path = Path(path)
    if path.suffix == ".plan":
        if backend not in ("auto", "tensorrt"):  # an engine is opaque: no other backend can read it
            raise UserError(f"{path} is a TensorRT engine; it runs only with --backend tensorrt")
        if initializers:
            raise UserError(f"{path} is a TensorRT engine, whose style is built in; --style needs the .onnx model "
                            "(onnxruntime or torch backend)")
        from .tensorrt_backend import TensorRTBackend

        return TensorRTBackend(path, meta)
    if backend == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend(path, meta, device=device, initializers=initializers)
    if backend == "tensorrt":
        raise UserError(f"{path} is an ONNX file; build an engine first: stylecast build-engine {path} "
                        f"--shapes HxW,... --out MODEL.plan")
    if device == "auto":
        import onnxruntime as ort

        device = auto_ort_device(ort.get_available_providers())
    return OnnxRuntimeBackend(path, meta, device=device, threads=threads, spin=spin, initializers=initializers)
