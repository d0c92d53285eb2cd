"""ONNX -> TensorRT engine, with the full `tensorrt` module (data-centre GPUs) or `tensorrt_rtx` (RTX GPUs; builds
ahead of time on a machine without a GPU).

Precision: fp16 with full TensorRT sets the FP16 builder flag on an fp32 ONNX and pins instance-norm layers to
fp32 (OBEY_PRECISION_CONSTRAINTS). TensorRT-RTX has no precision flags: it builds strongly typed networks, so
the precision is the ONNX file's own (export with --precision fp16 for an fp16 engine, whose instance norms are
already fp32 in the graph).

Engines are cached under a key of everything they depend on, with a JSON sidecar (runtime/engine_sidecar.py);
full TensorRT also keeps a timing cache there, so rebuilding for new shapes skips kernel timing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

from stylecast.runtime import __version__
from stylecast.runtime.bench import parse_resolution
from stylecast.runtime.engine_sidecar import FORMAT, FORMAT_VERSION, sidecar_path
from stylecast.runtime.errors import UserError
from stylecast.runtime.imageio import write_atomic
from stylecast.runtime.models import read_model_metadata
from stylecast.training.checkpoint import file_sha256


TRT_CHOICES = ("auto", "tensorrt", "tensorrt_rtx")
INSTALL = {"tensorrt": "pip install tensorrt", "tensorrt_rtx": "pip install tensorrt-rtx-cu13"}


def import_tensorrt(choice: str = "auto"):
    """(module, name) for the asked TensorRT flavour; 'auto' prefers full TensorRT, then TensorRT-RTX."""
    if choice not in TRT_CHOICES:
        raise UserError(f"unknown --trt {choice!r}; choose one of: {', '.join(TRT_CHOICES)}")
    names = ("tensorrt", "tensorrt_rtx") if choice == "auto" else (choice,)
    for name in names:
        try:
            return __import__(name), name
        except ImportError:
            continue
    if choice == "auto":
        raise UserError(f"no TensorRT module is installed: {INSTALL['tensorrt_rtx']} (RTX GPUs, builds without a "
                        f"GPU) or {INSTALL['tensorrt']} (data-centre GPUs)")
    raise UserError(f"{choice} is not installed: {INSTALL[choice]}")


def parse_shapes(text: str) -> list[tuple[int, int]]:
    """'256x256,720p' -> [(256, 256), (720, 1280)] as (height, width): the runtime's resolution parser, per item."""
    return [parse_resolution(part.strip()) for part in text.split(",")]


def profile_of(shapes: list[tuple[int, int]], max_batch: int) -> dict:
    """One optimisation profile covering every asked shape; opt is the median shape by area."""
    ordered = sorted(shapes, key=lambda s: s[0] * s[1])
    return {"min": [min(h for h, _ in shapes), min(w for _, w in shapes)], "opt": list(ordered[len(ordered) // 2]),
            "max": [max(h for h, _ in shapes), max(w for _, w in shapes)], "max_batch": max_batch}


class _CapturingLogger:
    """A TensorRT logger that keeps errors so they can be reported in one line."""

    def __init__(self, trt):
        class Logger(trt.ILogger):
            def __init__(inner):
                trt.ILogger.__init__(inner)
                inner.errors = []

            def log(inner, severity, msg):
                if severity in (trt.ILogger.Severity.ERROR, trt.ILogger.Severity.INTERNAL_ERROR):
                    inner.errors.append(msg)

        self.logger = Logger()


def _dims(layout: str, batch: int, h: int, w: int) -> tuple[int, ...]:
    return (batch, h, w, 3) if layout == "bgr8" else (batch, 3, h, w)


def cache_key(onnx_sha: str, module: str, version: str, target: str, precision: str, profile: dict) -> str:
    blob = json.dumps([onnx_sha, module, version, target, precision, profile], sort_keys=True).encode()
    return f"{onnx_sha[:12]}-{module}-{version}-{target}-{precision}-{hashlib.sha256(blob).hexdigest()[:10]}"


def default_cache_dir() -> Path:
    return Path(os.environ.get("STYLECAST_ENGINE_CACHE", Path.home() / ".cache" / "stylecast" / "engines"))


def build_engine(onnx_path: str | Path, shapes: list[tuple[int, int]], out: str | Path | None = None,
                 trt_choice: str = "auto", precision: str | None = None, max_batch: int = 1,
                 cache_dir: str | Path | None = None, target: str | None = None) -> dict:
    """Build (or reuse from the cache) an engine; returns its sidecar dict (with 'engine' and 'cached')."""
    onnx_path = Path(onnx_path)
    meta = read_model_metadata(onnx_path)
    trt, module = import_tensorrt(trt_choice)
    precision = precision or meta.precision
    if module == "tensorrt_rtx" and precision != meta.precision:
        raise UserError(f"TensorRT-RTX builds strongly typed networks: the engine's precision is the ONNX file's "
                        f"({meta.precision}); export with --precision {precision} to get a {precision} engine")
    if module == "tensorrt" and (meta.precision, precision) not in (("fp32", "fp32"), ("fp32", "fp16"),
                                                                    ("fp16", "fp16"), ("int8", "int8")):
        raise UserError(f"cannot build a {precision} engine from a {meta.precision} ONNX file")
    onnx_sha = file_sha256(onnx_path)
    profile = profile_of(shapes, max_batch)
    target = target or _default_target(trt, module)
    key = cache_key(onnx_sha, module, trt.__version__, target, precision, profile)
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    engine_path = Path(out) if out else cache / f"{key}.plan"
    sidecar = {"format": FORMAT, "format_version": FORMAT_VERSION, "key": key, "onnx": onnx_path.name,
               "onnx_sha256": onnx_sha, "trt_module": module, "trt_version": trt.__version__,
               "compute_capability": target, "precision": precision, "layout": meta.layout, "shapes": shapes,
               "profile": profile, "metadata": meta.to_props(),
               "stylecast_version": __version__}
    if engine_path.is_file() and sidecar_path(engine_path).is_file():
        old = json.loads(sidecar_path(engine_path).read_text())
        if old.get("key") == key:
            return {**old, "engine": str(engine_path), "cached": True}

    capture = _CapturingLogger(trt)
    builder = trt.Builder(capture.logger)
    strongly_typed = module == "tensorrt_rtx" or meta.precision != "fp32"
    flags = 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED) if strongly_typed else 0
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, capture.logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [parser.get_error(i) for i in range(parser.num_errors)]
        first = errors[0] if errors else None
        where = f"node {first.node_name()!r} (op {first.node_operator()})" if first else "the model"
        reason = first.desc() if first else capture.logger.errors
        raise UserError(f"{onnx_path}: {module} cannot parse {where}: {reason}")
    config = builder.create_builder_config()
    if module == "tensorrt" and precision == "fp16" and meta.precision == "fp32":
        config.set_flag(trt.BuilderFlag.FP16)
        config.set_flag(trt.BuilderFlag.OBEY_PRECISION_CONSTRAINTS)
        for index in range(network.num_layers):
            layer = network.get_layer(index)
            if "InstanceNorm" in layer.name or layer.type == getattr(trt.LayerType, "NORMALIZATION", None):
                layer.precision = trt.float32
    if module == "tensorrt_rtx" and target != "portable":
        config.num_compute_capabilities = 1
        config.set_compute_capability(getattr(trt.ComputeCapability, target.upper()), 0)
    timing_path = cache / "timing.cache"
    if module == "tensorrt":  # TensorRT-RTX has no timing cache (its operations are no-ops since 1.2)
        timing = config.create_timing_cache(timing_path.read_bytes() if timing_path.is_file() else b"")
        config.set_timing_cache(timing, ignore_mismatch=True)
    trt_profile = builder.create_optimization_profile()
    name = network.get_input(0).name
    trt_profile.set_shape(name, _dims(meta.layout, 1, *profile["min"]), _dims(meta.layout, 1, *profile["opt"]),
                          _dims(meta.layout, max_batch, *profile["max"]))
    config.add_optimization_profile(trt_profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise UserError(f"{onnx_path}: {module} could not build an engine: "
                        f"{(capture.logger.errors or ['no reason given'])[0].splitlines()[0][:300]}")
    cache.mkdir(parents=True, exist_ok=True)
    if module == "tensorrt":
        write_atomic(timing_path, bytes(config.get_timing_cache().serialize()))
    write_atomic(engine_path, bytes(serialized))
    sidecar.update({"created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "layers": network.num_layers, "engine_bytes": serialized.nbytes})
    write_atomic(sidecar_path(engine_path), (json.dumps(sidecar, indent=1) + "\n").encode())
    return {**sidecar, "engine": str(engine_path), "cached": False}


def _default_target(trt, module: str) -> str:
    """Full TensorRT builds for the GPU in this machine; TensorRT-RTX builds portable engines without one."""
    if module == "tensorrt_rtx":
        return "portable"
    try:
        import torch

        if torch.cuda.is_available():
            major, minor = torch.cuda.get_device_capability()
            return f"sm{major}{minor}"
    except ImportError:
        pass
    raise UserError("full TensorRT builds engines for the GPU it runs on, and none was found; use --trt "
                    "tensorrt_rtx to build ahead of time without a GPU")
