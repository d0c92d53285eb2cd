"""A Triton Inference Server model repository from stylecast models (`stylecast export-triton`).

Layout: REPO/<name>/config.pbtxt and REPO/<name>/1/model.onnx (platform onnxruntime_onnx) or 1/model.plan (an
engine from `build-engine` with full TensorRT; platform tensorrt_plan). The model's one input and one output are
declared as Triton expects with max_batch_size > 0: without the batch dimension, height and width -1 (any size),
uint8 HxWx3 BGR for the bgr8 layout, float32 3xHxW for rgb_float. Dynamic batching groups requests of one shape
(frames of one video or camera). `--trt-accelerator` asks onnxruntime for its TensorRT execution provider.

Every config written is parsed back with the ModelConfig protobuf that tritonclient ships and its inputs and outputs
compared with the model file's (check_model), so a repository that Triton would reject is never left behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from stylecast.runtime.engine_sidecar import read_sidecar
from stylecast.runtime.errors import UserError, missing_dependency
from stylecast.runtime.models import resolve_model

TYPES = {"bgr8": ("TYPE_UINT8", [-1, -1, 3]), "rgb_float": ("TYPE_FP32", [3, -1, -1])}
ONNX_TYPES = {2: "TYPE_UINT8", 1: "TYPE_FP32", 10: "TYPE_FP16"}


def model_io(path: Path) -> tuple[list[tuple[str, str, list[int]]], list[tuple[str, str, list[int]]]]:
    """(inputs, outputs) of an ONNX file as (name, Triton type, dims without batch; -1 for symbolic)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph

    def describe(values):
        out = []
        for value in values:
            tensor = value.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
            out.append((value.name, ONNX_TYPES.get(tensor.elem_type, f"onnx type {tensor.elem_type}"), dims[1:]))
        return out
    return describe(graph.input), describe(graph.output)


def config_text(name: str, platform: str, layout: str, input_name: str, output_name: str, max_batch_size: int,
                instances: int, trt_accelerator: bool) -> str:
    data_type, dims = TYPES[layout]
    lines = [f'name: "{name}"', f'platform: "{platform}"', f"max_batch_size: {max_batch_size}",
             f'input [{{ name: "{input_name}" data_type: {data_type} dims: {dims} }}]',
             f'output [{{ name: "{output_name}" data_type: {data_type} dims: {dims} }}]',
             f"instance_group [{{ count: {instances} kind: KIND_AUTO }}]"]
    if max_batch_size > 1:
        lines.append("dynamic_batching { }")
    if trt_accelerator:
        lines.append('optimization { execution_accelerators { gpu_execution_accelerator: [{ name: "tensorrt" }] } }')
    return "\n".join(lines) + "\n"


def export_model(spec: str, repo: Path, max_batch_size: int = 8, instances: int = 1, platform: str = "onnxruntime",
                 trt_accelerator: bool = False) -> dict:
    """One model (bundled name, .onnx, or for platform tensorrt a .plan) into the repository; returns its entry."""
    if max_batch_size < 1 or instances < 1:
        raise UserError("--max-batch-size and --instances must be at least 1")
    model = resolve_model(spec)
    if (platform == "tensorrt") != (model.path.suffix == ".plan"):
        wanted = "a .plan engine" if platform == "tensorrt" else "an .onnx model or a bundled name"
        raise UserError(f"{model.path}: --platform {platform} takes {wanted}")
    if platform == "tensorrt":
        sidecar = read_sidecar(model.path)
        if sidecar.get("trt_module") != "tensorrt":
            raise UserError(f"{model.path}: built with {sidecar.get('trt_module')}; Triton runs engines of full "
                            "TensorRT (build-engine --trt tensorrt)")
        onnx_source = None
    else:
        onnx_source = model.path
    folder = repo / model.name
    if folder.exists():
        raise UserError(f"{folder} exists; choose another --out or remove it")
    names = ("image", "stylised")
    if onnx_source is not None:
        inputs, outputs = model_io(onnx_source)
        names = (inputs[0][0], outputs[0][0])
    text = config_text(model.name, "tensorrt_plan" if platform == "tensorrt" else "onnxruntime_onnx",
                       model.meta.layout, *names, max_batch_size, instances, trt_accelerator)
    tmp = repo / f".{model.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        (tmp / "1").mkdir(parents=True)
        shutil.copyfile(model.path, tmp / "1" / ("model.plan" if platform == "tensorrt" else "model.onnx"))
        (tmp / "config.pbtxt").write_text(text)
        check_model(tmp, onnx_source)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"model": model.name, "config": str(folder / "config.pbtxt"), "platform": platform,
            "max_batch_size": max_batch_size, "instances": instances}


def parse_config(path: Path):
    try:
        from google.protobuf import text_format
        from tritonclient.grpc import model_config_pb2
    except (ModuleNotFoundError, RuntimeError):
        raise missing_dependency("tritonclient (Triton's model-configuration schema)", "tritonclient[grpc]") from None
    try:
        return text_format.Parse(Path(path).read_text(), model_config_pb2.ModelConfig())
    except text_format.ParseError as error:
        raise UserError(f"{path}: not a valid Triton model configuration ({error})") from None


def check_model(folder: Path, onnx_path: Path | None) -> None:
    """Parse config.pbtxt against Triton's schema; with an ONNX file, its I/O must match the config's."""
    from tritonclient.grpc import model_config_pb2

    config = parse_config(folder / "config.pbtxt")
    if onnx_path is None:
        return
    inputs, outputs = model_io(onnx_path)
    for role, declared, actual in (("input", config.input, inputs), ("output", config.output, outputs)):
        found = [(t.name, model_config_pb2.DataType.Name(t.data_type), [int(d) for d in t.dims]) for t in declared]
        if found != actual:
            raise UserError(f"{folder}: the config's {role}s {found} differ from the model's {actual}")
