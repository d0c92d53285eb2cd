"""The PyTorch backend: runs the exported ONNX graph node by node with torch operators.

Why interpret the ONNX file instead of loading the training checkpoint: the runtime must not depend on the
training code, and a pickled torch program (`torch.export.load`) may execute code. The ONNX graph is plain data,
and the few operators stylecast's exporter emits map one to one onto torch. This gives a reference that shares
no kernels with onnxruntime (a second opinion on numerics) and runs on any device torch supports, CUDA included.
An operator outside the table is refused by name before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from .backends import Backend
from .errors import UserError, missing_dependency
from .model_metadata import ModelMetadata, check_model_io


def _import():
    try:
        import torch
        import torch.nn.functional as F  # noqa: N812
    except ModuleNotFoundError:
        raise missing_dependency("torch", "torch") from None
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ModuleNotFoundError:
        raise missing_dependency("onnx (to read the graph for the torch backend)", "onnx") from None
    return torch, F, onnx, helper, numpy_helper


def _ints(value) -> list[int]:
    """An integer tensor (shape arithmetic) as a Python list."""
    return [int(v) for v in value.reshape(-1).tolist()]


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, path: str | Path, meta: ModelMetadata, device: str = "cpu",
                 initializers: dict[str, np.ndarray] | None = None):
        super().__init__(meta)
        torch, self.F, onnx, helper, numpy_helper = _import()
        self.torch = torch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise UserError("the torch backend was asked for CUDA, but this torch has no CUDA device "
                            f"(torch {torch.__version__})")
        if device not in ("cpu", "cuda"):
            raise UserError(f"unknown torch device {device!r}; choose one of: auto, cpu, cuda")
        self.device = torch.device(device)
        self.on_gpu = self.device.type == "cuda"
        model = onnx.load(str(path))
        graph = model.graph
        constant_names = {t.name for t in graph.initializer}

        def io(value) -> tuple[str, list]:
            tensor = value.type.tensor_type
            name = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name if tensor.elem_type else "unknown"
            return name, [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]

        check_model_io(path, meta, [io(v) for v in graph.input if v.name not in constant_names],
                       [io(v) for v in graph.output])
        unsupported = sorted({n.op_type for n in graph.node if n.domain not in ("", "ai.onnx")
                              or n.op_type not in self._ops()})
        if unsupported:
            raise UserError(f"{path}: the torch backend cannot run operator(s) {', '.join(unsupported)} "
                            f"(int8 models run with --backend onnxruntime)")
        self.constants = {t.name: self._tensor(numpy_helper.to_array(t)) for t in graph.initializer}
        for name, value in (initializers or {}).items():  # as onnxruntime's add_initializer: same name and shape
            if name not in self.constants or tuple(self.constants[name].shape) != tuple(value.shape):
                raise UserError(f"{path}: has no constant {name!r} of shape {tuple(value.shape)} to replace")
            self.constants[name] = self._tensor(np.ascontiguousarray(value))
        self.nodes = [(n.op_type, list(n.input), list(n.output),
                       {a.name: helper.get_attribute_value(a) for a in n.attribute}) for n in graph.node]
        for op, _, outputs, attrs in self.nodes:
            if op == "Constant":
                self.constants[outputs[0]] = self._tensor(numpy_helper.to_array(attrs["value"]))
        self.ops = self._ops()
        self.input_name = graph.input[0].name
        self.output_name = graph.output[0].name

    def _tensor(self, array: np.ndarray):
        """Float data lives on the device; integer shape arithmetic stays on the host, as ONNX runtimes keep it."""
        tensor = self.torch.from_numpy(np.array(array))
        return tensor.to(self.device) if tensor.is_floating_point() else tensor

    def describe(self) -> str:
        return f"torch ({self.device.type})"

    def infer(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        values = dict(self.constants)
        values[self.input_name] = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)
        ops = self.ops
        with torch.inference_mode():
            for op, inputs, outputs, attrs in self.nodes:
                if op == "Constant":
                    continue
                args = [values[name] if name else None for name in inputs]
                result = ops[op](args, attrs)
                if isinstance(result, (tuple, list)):  # Split: one value per output
                    values.update(zip(outputs, result))
                else:
                    values[outputs[0]] = result
            out = values[self.output_name]
            if self.device.type == "cuda":
                torch.cuda.synchronize()
        return out.cpu().numpy()

    # ---- the operator table: each takes (inputs, attributes) and follows the ONNX opset 18 definition ----

    def _ops(self) -> dict[str, Callable]:
        torch, F = self.torch, self.F
        dtypes = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 6: torch.int32, 7: torch.int64,
                  9: torch.bool, 10: torch.float16, 11: torch.float64, 16: torch.bfloat16}

        def same_device(a, b):
            if a.device != b.device:
                return (a.to(b.device), b) if a.device.type == "cpu" else (a, b.to(a.device))
            return a, b

        def binary(fn):
            def run(x, _):
                a, b = same_device(x[0], x[1])
                return fn(a, b)
            return run

        def div(a, b):
            if not a.is_floating_point() and not b.is_floating_point():
                return torch.div(a, b, rounding_mode="trunc")
            return a / b

        def conv(x, a):
            pads = a.get("pads", [0, 0, 0, 0])
            data = x[0]
            if pads[0] != pads[2] or pads[1] != pads[3]:
                data = F.pad(data, (pads[1], pads[3], pads[0], pads[2]))
                padding = (0, 0)
            else:
                padding = (pads[0], pads[1])
            return F.conv2d(data, x[1], x[2] if len(x) > 2 else None, stride=a.get("strides", [1, 1]),
                            padding=padding, dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))

        def pad(x, a):
            data = x[0]
            pads = _ints(x[1])
            axes = _ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(data.ndim))
            axes = [ax % data.ndim for ax in axes]
            n = len(axes)
            begin = dict(zip(axes, pads[:n]))
            end = dict(zip(axes, pads[n:]))
            flat: list[int] = []
            for ax in reversed(range(data.ndim)):
                flat += [begin.get(ax, 0), end.get(ax, 0)]
            mode = a.get("mode", b"constant").decode()
            if mode == "constant":
                value = float(x[2].item()) if len(x) > 2 and x[2] is not None else 0.0
                return F.pad(data, flat, mode="constant", value=value)
            torch_mode = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}[mode]
            # torch pads only trailing spatial dimensions in these modes: N and C must have no padding
            if any(flat[2 * (data.ndim - 1 - ax)] or flat[2 * (data.ndim - 1 - ax) + 1] for ax in (0, 1)):
                raise UserError(f"the torch backend cannot {mode}-pad the batch or channel axis")
            return F.pad(data, flat[: 2 * (data.ndim - 2)], mode=torch_mode)

        def resize(x, a):
            mode = a.get("mode", b"nearest").decode()
            ctm = a.get("coordinate_transformation_mode", b"half_pixel").decode()
            data = x[0]
            if len(x) > 3 and x[3] is not None and x[3].numel():
                size = _ints(x[3])[2:]
                kwargs = {"size": size}
            else:
                scales = [float(s) for s in x[2].cpu().reshape(-1).tolist()]
                kwargs = {"size": [int(np.floor(d * s)) for d, s in zip(data.shape[2:], scales[2:])]}
            if mode == "nearest" and ctm == "asymmetric" and a.get("nearest_mode", b"round_prefer_floor") == b"floor":
                return F.interpolate(data, mode="nearest", **kwargs)
            if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
                return F.interpolate(data, mode="bilinear", align_corners=ctm == "align_corners", **kwargs)
            raise UserError(f"the torch backend does not support Resize mode={mode} "
                            f"coordinate_transformation_mode={ctm}")

        def slice_(x, _):
            data = x[0]
            starts, ends = _ints(x[1]), _ints(x[2])
            axes = _ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
            steps = _ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
            for start, end, axis, step in zip(starts, ends, axes, steps):
                size = data.shape[axis]
                index = torch.arange(*slice(start, end, step).indices(size), device=data.device)
                data = data.index_select(axis, index)
            return data

        def reshape(x, a):
            shape = _ints(x[1])
            if not a.get("allowzero", 0):
                shape = [x[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return x[0].reshape(shape)

        def shape(x, a):
            dims = list(x[0].shape)[a.get("start", 0): a.get("end", None)]
            return torch.tensor(dims, dtype=torch.int64)

        def squeeze(x, _):
            if len(x) > 1 and x[1] is not None:
                return x[0].squeeze(tuple(_ints(x[1])))
            return x[0].squeeze()

        def unsqueeze(x, _):
            data = x[0]
            for axis in sorted(ax % (data.ndim + len(_ints(x[1]))) for ax in _ints(x[1])):
                data = data.unsqueeze(axis)
            return data

        def clip(x, _):
            data = x[0]
            low = x[1] if len(x) > 1 and x[1] is not None else None
            high = x[2] if len(x) > 2 and x[2] is not None else None
            return torch.clamp(data, min=None if low is None else low.item(), max=None if high is None else high.item())

        def elementwise(function):
            def run(x, _):
                out = x[0]
                for other in x[1:]:
                    out, other = same_device(out, other)
                    out = function(out, other)
                return out
            return run

        def expand(x, _):
            target = _ints(x[1])
            shape = torch.broadcast_shapes(tuple(x[0].shape), tuple(target))
            return x[0].expand(shape)

        def average_pool(x, a):
            pads = a.get("pads", [0, 0, 0, 0])
            if pads[0] != pads[2] or pads[1] != pads[3]:
                raise UserError("the torch backend supports only symmetric AveragePool padding")
            return F.avg_pool2d(x[0], a["kernel_shape"], stride=a.get("strides", None), padding=(pads[0], pads[1]),
                                ceil_mode=bool(a.get("ceil_mode", 0)),
                                count_include_pad=bool(a.get("count_include_pad", 0)))

        def gemm(x, a):
            left = x[0].T if a.get("transA", 0) else x[0]
            right = x[1].T if a.get("transB", 0) else x[1]
            out = a.get("alpha", 1.0) * (left @ right)
            return out + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else out

        def split(x, a):
            axis = a.get("axis", 0)
            if len(x) > 1 and x[1] is not None:
                return torch.split(x[0], _ints(x[1]), dim=axis)
            return torch.tensor_split(x[0], a["num_outputs"], dim=axis)

        return {
            "Gemm": gemm, "Split": split,
            "Add": binary(torch.add), "Sub": binary(torch.sub), "Mul": binary(torch.mul), "Div": binary(div),
            "Max": elementwise(torch.maximum), "Min": elementwise(torch.minimum),
            "Relu": lambda x, a: torch.relu(x[0]), "Tanh": lambda x, a: torch.tanh(x[0]),
            "Sigmoid": lambda x, a: torch.sigmoid(x[0]), "Round": lambda x, a: torch.round(x[0]),
            "Identity": lambda x, a: x[0], "Cast": lambda x, a: x[0].to(dtypes[a["to"]]),
            "Clip": clip, "Conv": conv, "Pad": pad, "Resize": resize, "Slice": slice_, "Reshape": reshape,
            "Shape": shape, "Squeeze": squeeze, "Unsqueeze": unsqueeze, "Expand": expand,
            "Concat": lambda x, a: torch.cat([t.to(x[0].device) for t in x], dim=a["axis"]),
            "Transpose": lambda x, a: x[0].permute(a["perm"]),
            "Tile": lambda x, a: x[0].repeat(_ints(x[1])),
            "InstanceNormalization": lambda x, a: F.instance_norm(x[0], weight=x[1], bias=x[2],
                                                                  eps=a.get("epsilon", 1e-5)),
            "AveragePool": average_pool, "Constant": lambda x, a: None,
        }
