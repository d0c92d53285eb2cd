"""Every way to run a stylecast generator on an NVIDIA GPU, side by side, and how close each gets to the GPU's limit.

Variants, at 720p and 1080p, one uint8 BGR frame per call from host memory to host memory (the copies to and from
the GPU included, as a video pipeline pays them), all timed the same way (warm-up calls discarded, then each call
synchronised with the device and timed; median and p95):
  - torch eager fp32, fp16 (instance norm kept in fp32), fp16 + channels_last;
  - torch.compile (mode "reduce-overhead", which captures CUDA graphs) in fp16;
  - onnxruntime's CUDA execution provider with IO binding (needs onnxruntime-gpu);
  - a TensorRT-RTX engine (stylecast build-engine) if `tensorrt_rtx` is installed and runs on this GPU; when it
    cannot, the row says why instead of a number.
How close to the limit: achieved FLOP/s (2 x MACs per pixel x pixels / time) against the GPU's peak for that
precision, and the minimum memory traffic (every layer's input and output activations once, plus the weights)
per second against its memory bandwidth. A network at 10% of both is launch- or latency-bound, not compute-bound.

    python benchmarks/gpu.py --model training/zoo/starry_night-lite.pt [--model ...] [--device cuda]

Writes benchmarks/results/gpu.json. With --device cpu it runs the eager fp32 row only (a smoke test of the script).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from machine import machine_info

RESULTS = Path(__file__).parent / "results"
SIZES = {"720p": (720, 1280), "1080p": (1080, 1920)}
# Dense peak throughput (FLOP/s) and memory bandwidth (bytes/s) from NVIDIA's data sheets, by device name.
PEAKS = {
    "H100 SXM": {"fp32": 67e12, "fp16": 989e12, "bandwidth": 3.35e12},
    "H100 PCIe": {"fp32": 51e12, "fp16": 756e12, "bandwidth": 2.0e12},
    "H100": {"fp32": 67e12, "fp16": 989e12, "bandwidth": 3.35e12},
    "H200": {"fp32": 67e12, "fp16": 989e12, "bandwidth": 4.8e12},
    "A100": {"fp32": 19.5e12, "fp16": 312e12, "bandwidth": 2.0e12},
    "L4": {"fp32": 30e12, "fp16": 121e12, "bandwidth": 0.3e12},
}


def peaks_for(name: str) -> dict | None:
    return next((v for k, v in PEAKS.items() if k in name), None)


def time_calls(call: Callable[[], object], sync: Callable[[], None], warmup: int, runs: int) -> dict:
    for _ in range(warmup):
        call()
    sync()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        sync()
        samples.append(time.perf_counter() - start)
    from stylecast.runtime.latency import percentile

    return {"p50_ms": 1e3 * percentile(samples, 50), "p95_ms": 1e3 * percentile(samples, 95)}


def activation_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Each leaf layer's input and output once, plus the weights: the least memory traffic of one forward pass."""
    total = [sum(p.numel() * p.element_size() for p in model.parameters())]

    def hook(_module, inputs, output):
        total[0] += sum(t.numel() * t.element_size() for t in inputs if torch.is_tensor(t))
        total[0] += output.numel() * output.element_size()

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    with torch.inference_mode():
        model(x)
    for h in handles:
        h.remove()
    return total[0]


def variants(checkpoint: Path, device: str, tmp: Path) -> dict[str, tuple[str, Callable[[np.ndarray], Callable]]]:
    """name -> (precision, factory: frame -> zero-argument call that runs one frame on the device)."""
    from stylecast.export.graph import ExportGraph, half_precision
    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint

    model = model_from_checkpoint(load_checkpoint(checkpoint)).eval()
    out: dict = {}

    def torch_variant(graph: torch.nn.Module):
        def factory(frame: np.ndarray):
            host = torch.from_numpy(frame)[None]

            def call():  # host frame in, host frame out, as the onnxruntime and TensorRT rows
                with torch.inference_mode():
                    return graph(host.to(device, non_blocking=True)).cpu()
            return call
        return factory

    out["torch eager fp32"] = ("fp32", torch_variant(ExportGraph(model).to(device).eval()))
    if device != "cuda":
        return out
    fp16 = ExportGraph(half_precision(model), dtype=torch.float16).to(device).eval()
    out["torch eager fp16"] = ("fp16", torch_variant(fp16))
    out["torch eager fp16 channels_last"] = ("fp16", torch_variant(
        ExportGraph(half_precision(model).to(memory_format=torch.channels_last), dtype=torch.float16)
        .to(device).eval()))
    out["torch.compile fp16 (reduce-overhead: CUDA graphs)"] = ("fp16", torch_variant(
        torch.compile(fp16, mode="reduce-overhead", dynamic=False)))

    from stylecast.export.onnx_export import export_checkpoint
    from stylecast.runtime.models import read_model_metadata

    onnx_path = tmp / "model_fp16.onnx"
    export_checkpoint(checkpoint, onnx_path, precision="fp16")
    try:
        from stylecast.runtime.backends import OnnxRuntimeBackend

        backend = OnnxRuntimeBackend(onnx_path, read_model_metadata(onnx_path), device="cuda")
        out["onnxruntime CUDA EP fp16 (IO binding)"] = ("fp16", lambda frame: (lambda: backend.run(frame[None])))
    except Exception as error:  # noqa: BLE001 - report why the row is missing, do not stop the benchmark
        out["onnxruntime CUDA EP fp16 (IO binding)"] = ("fp16", str(error).splitlines()[0])
    try:
        from stylecast.export.tensorrt_build import build_engine
        from stylecast.runtime.tensorrt_backend import TensorRTBackend

        plan = tmp / "model.plan"
        build_engine(onnx_path, [SIZES["720p"], SIZES["1080p"]], out=plan, trt_choice="tensorrt_rtx")
        engine = TensorRTBackend(plan, read_model_metadata(onnx_path))
        out["TensorRT-RTX engine fp16"] = ("fp16", lambda frame: (lambda: engine.run(frame[None])))
    except Exception as error:  # noqa: BLE001
        out["TensorRT-RTX engine fp16"] = ("fp16", f"does not run here: {str(error).splitlines()[0]}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", type=Path, required=True, help="checkpoint (.pt); repeat")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--sizes", default="720p,1080p")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=RESULTS / "gpu.json")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("no CUDA device visible; this benchmark is for a GPU machine (--device cpu for a smoke run)")
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    gpu = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    peaks = peaks_for(gpu)

    from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint
    from stylecast.training.macs import macs_per_pixel

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for checkpoint in args.model:
            model = model_from_checkpoint(load_checkpoint(checkpoint)).eval()
            macs = macs_per_pixel(model)
            traffic_fp32 = {size: activation_bytes(model, torch.rand(1, 3, *SIZES[size]))
                            for size in args.sizes.split(",")}
            for name, (precision, factory) in variants(checkpoint, args.device, Path(tmp)).items():
                for size in args.sizes.split(","):
                    h, w = SIZES[size]
                    row = {"model": checkpoint.stem, "variant": name, "precision": precision, "size": size}
                    if isinstance(factory, str):
                        row["error"] = factory
                    else:
                        frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
                        row.update(time_calls(factory(frame), sync, args.warmup, args.runs))
                        flops = 2 * macs * h * w / (row["p50_ms"] / 1e3)
                        traffic = traffic_fp32[size] / (1 if precision == "fp32" else 2)
                        row.update(fps=1e3 / row["p50_ms"], tflops=flops / 1e12,
                                   bandwidth_gbs=traffic / (row["p50_ms"] / 1e3) / 1e9)
                        if peaks:
                            row["of_peak_flops"] = flops / peaks[precision]
                            row["of_peak_bandwidth"] = traffic / (row["p50_ms"] / 1e3) / peaks["bandwidth"]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "gpu", "machine": {**machine_info(), "gpu": gpu},
                                    "peaks": peaks, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
