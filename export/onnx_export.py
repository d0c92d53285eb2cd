"""Checkpoint -> ONNX: dynamic batch/height/width, simplified, checked, with metadata and verified parity.

Every export runs onnxruntime against PyTorch on a real photo and on random inputs at three shapes (one odd) and
fails loudly beyond the tolerance table in parity.py; the results are stored in the file's metadata. The file is
written only after the checks pass (to a temporary file, then renamed).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch

from stylecast.runtime import __version__
from stylecast.runtime.errors import UserError, missing_dependency
from stylecast.runtime.imageio import read_image, write_atomic
from stylecast.runtime.model_metadata import LAYOUTS, PRECISIONS, ModelMetadata
from stylecast.runtime.samples import SAMPLE_CONTENT
from stylecast.training.architectures import CONDITIONAL
from stylecast.training.checkpoint import file_sha256, load_checkpoint, model_from_checkpoint, stores_half_weights
from stylecast.training.macs import macs_per_pixel

from .graph import ExportGraph, example_input, half_precision
from .parity import TOLERANCE, compare, within

OPSET = 18
PARITY_SHAPES = ((1, 64, 64), (1, 97, 131), (2, 128, 96))  # (batch, height, width); the second is odd


def _require(module: str):
    try:
        return __import__(module)
    except ModuleNotFoundError:
        raise missing_dependency(module, "stylecast[export]") from None


def to_onnx_bytes(graph: ExportGraph, layout: str) -> bytes:
    """Export with symbolic batch, height and width (torch.export + the dynamo ONNX exporter)."""
    _require("onnxscript")
    batch, height, width = (torch.export.Dim(name) for name in ("batch", "height", "width"))
    dims = {0: batch, 1: height, 2: width} if layout == "bgr8" else {0: batch, 2: height, 3: width}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(graph, (example_input(layout),), dynamo=True, input_names=["image"],
                                    output_names=["stylised"], dynamic_shapes={"x": dims}, opset_version=OPSET,
                                    verbose=False)
    buffer = io.BytesIO()
    program.save(buffer)
    return buffer.getvalue()


def simplify(model_bytes: bytes):
    """onnxslim, then onnx.checker; returns the ModelProto."""
    onnx = _require("onnx")
    model = onnx.load_from_string(model_bytes)
    try:
        import onnxslim

        model = onnxslim.slim(model)
    except ModuleNotFoundError:
        raise missing_dependency("onnxslim", "stylecast[export]") from None
    onnx.checker.check_model(model, full_check=True)
    return model


def parity_inputs(layout: str) -> list[tuple[str, torch.Tensor]]:
    """A real photo (the bundled sample, 256 px) and random inputs at PARITY_SHAPES."""
    import cv2

    photo = cv2.resize(read_image(SAMPLE_CONTENT), (256, 256), interpolation=cv2.INTER_AREA)
    photo_t = torch.from_numpy(photo).unsqueeze(0)
    if layout == "rgb_float":
        photo_t = photo_t.flip(-1).permute(0, 3, 1, 2).float() / 255.0
    cases = [("photo 256x256", photo_t)]
    for index, (b, h, w) in enumerate(PARITY_SHAPES):
        cases.append((f"random {b}x{h}x{w}", example_input(layout, b, h, w, seed=index + 1)))
    return cases


def run_parity(model_bytes: bytes, reference: ExportGraph, layout: str, precision: str) -> dict:
    ort = _require("onnxruntime")
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    rows = []
    for label, tensor in parity_inputs(layout):
        with torch.no_grad():
            expected = reference(tensor).numpy()
        actual = session.run(None, {name: tensor.numpy()})[0]
        rows.append({"input": label, **compare(actual, expected, layout)})
    worst = {"max_abs": max(r["max_abs"] for r in rows), "psnr": min(r["psnr"] for r in rows)}
    return {"precision": precision, "layout": layout, "reference": "pytorch fp32", "backend": "onnxruntime cpu",
            "tolerance": TOLERANCE[(precision, layout)], "worst": worst, "cases": rows,
            "passed": within(worst, precision, layout)}


def cpu_latency_ms(model_bytes: bytes, layout: str, size: int = 512, runs: int = 5) -> float:
    """Median onnxruntime CPU latency at size x size after one warm-up run (for the int8-vs-fp32 report)."""
    import statistics
    import time

    ort = _require("onnxruntime")
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: example_input(layout, 1, size, size).numpy()}
    session.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feed)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e3, 3)


def _metadata_fields(data: dict, model, checkpoint, layout: str, precision: str) -> dict:
    return dict(arch=data["arch"], model_config=data["model_config"], style_name=data["style"]["name"],
                style_images=data["style"]["images"], train_size=int(data["train"]["size"]), layout=layout,
                stride=int(model.stride), macs_per_pixel=macs_per_pixel(model),
                checkpoint_sha256=file_sha256(checkpoint), precision=precision, stylecast_version=__version__,
                loss_config=data["loss_config"], task=data.get("task", "style"),
                method=data.get("method", "perceptual"))


def export_checkpoint(checkpoint: str | Path, out: str | Path, layout: str = "bgr8", precision: str = "fp32",
                      calibration: str | Path | None = None, default_style: str | Path | None = None) -> dict:
    """Export, check parity, write `out`; returns the parity report. Raises UserError beyond tolerance.
    An arbitrary-style checkpoint writes two files (arbitrary_export.py); `default_style` is for those only."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}; choose one of: {', '.join(LAYOUTS)}")
    if precision not in PRECISIONS:
        raise UserError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
    data = load_checkpoint(checkpoint)
    model = model_from_checkpoint(data, str(checkpoint))  # refuses NaN weights, which would pass parity as 'PSNR inf'
    if data["arch"] in CONDITIONAL:
        if (layout, precision) != ("bgr8", "fp32") or calibration is not None:
            raise UserError(f"{data['arch']} exports as bgr8 fp32 only")
        from .arbitrary_export import export_arbitrary

        return export_arbitrary(data, model, out, _metadata_fields(data, model, checkpoint, layout, precision),
                                None if default_style is None else str(default_style))
    if default_style is not None:
        raise UserError("--default-style is for arbitrary-style models; this checkpoint paints one style")
    reference = ExportGraph(model, layout).eval()
    if precision == "fp16":
        graph = ExportGraph(half_precision(model), layout, dtype=torch.float16).eval()
    else:
        graph = reference
    proto = simplify(to_onnx_bytes(graph, layout))
    fp32_bytes = None
    if precision == "int8":
        from .quantize import quantize_int8

        if calibration is None:
            raise UserError("--precision int8 needs --calibration DIR (a folder of photos)")
        fp32_bytes = proto.SerializeToString()
        proto = quantize_int8(proto, calibration, layout)
    elif precision == "fp32" and stores_half_weights(data):
        from .half_weights import store_weights_half

        store_weights_half(proto)
    parity = run_parity(proto.SerializeToString(), reference, layout, precision)
    if fp32_bytes is not None:
        parity["speed_ms"] = {"fp32": cpu_latency_ms(fp32_bytes, layout), "int8": cpu_latency_ms(
            proto.SerializeToString(), layout)}
    if not parity["passed"]:
        worst = parity["worst"]
        raise UserError(f"parity check failed for {precision}/{layout}: max abs difference {worst['max_abs']:.3g}, "
                        f"PSNR {worst['psnr']:.1f} dB, tolerance {parity['tolerance']}; no file written")
    meta = ModelMetadata(**_metadata_fields(data, model, checkpoint, layout, precision), parity=parity)
    for key, value in meta.to_props().items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name, proto.producer_version = "stylecast", __version__
    write_atomic(out, proto.SerializeToString())
    return parity
