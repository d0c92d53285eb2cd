"""`stylecast bench`: latency of models x backends x precisions x resolutions, measured the reproducible way.

First-call time (model load, session or engine creation, first inference) is reported on its own; warm-up runs
follow and are discarded; only then are runs timed, each one synchronised (the backends return host arrays, so
a timed run includes the device work). Reported: p50/p95/p99 latency, throughput, peak host memory (RSS high
water mark of this process), GPU memory for GPU backends (in use on the device after the timed runs, above what was
in use before the model was loaded: onnxruntime's and TensorRT's allocators keep what they take, so this is their
high-water mark; other processes on the same GPU would be counted too), and the machine.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .cuda_driver import device_memory_used
from .errors import UserError
from .image_header import MAX_PIXELS
from .latency import percentile

RESOLUTIONS = {"480p": (480, 640), "720p": (720, 1280), "1080p": (1080, 1920)}


def parse_resolution(text: str) -> tuple[int, int]:
    """'720p' or 'HxW' -> (height, width)."""
    if text in RESOLUTIONS:
        return RESOLUTIONS[text]
    try:
        h, w = (int(v) for v in text.lower().split("x"))
        if h > 0 and w > 0 and h * w <= MAX_PIXELS:
            return h, w
    except ValueError:
        pass
    raise UserError(f"invalid resolution {text!r}: give HxW (at most {MAX_PIXELS:,} pixels) or one of "
                    f"{', '.join(RESOLUTIONS)}")


@dataclass
class BenchResult:
    model: str
    backend: str
    precision: str
    height: int
    width: int
    first_call_ms: float
    warmup: int
    runs: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    fps: float
    peak_host_mib: float
    peak_gpu_mib: float | None = None  # None when the backend ran on the CPU
    samples_ms: list = field(default_factory=list, repr=False)


def peak_host_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def measure(run, frame: np.ndarray, warmup: int, runs: int) -> tuple[list[float], list[float]]:
    """(warm-up times, timed times) in seconds; warm-up runs are never part of the timed set."""
    warm = []
    for _ in range(warmup):
        start = time.perf_counter()
        run(frame)
        warm.append(time.perf_counter() - start)
    timed = []
    for _ in range(runs):
        start = time.perf_counter()
        run(frame)
        timed.append(time.perf_counter() - start)
    return warm, timed


def summarise(model: str, backend: str, precision: str, size: tuple[int, int], first_call: float,
              warmup: int, timed: list[float]) -> BenchResult:
    return BenchResult(
        model=model, backend=backend, precision=precision, height=size[0], width=size[1],
        first_call_ms=round(first_call * 1e3, 3), warmup=warmup, runs=len(timed),
        p50_ms=round(percentile(timed, 50) * 1e3, 3), p95_ms=round(percentile(timed, 95) * 1e3, 3),
        p99_ms=round(percentile(timed, 99) * 1e3, 3), mean_ms=round(float(np.mean(timed)) * 1e3, 3),
        fps=round(len(timed) / sum(timed), 3), peak_host_mib=peak_host_mib(),
        samples_ms=[round(t * 1e3, 4) for t in timed])


def bench_one(model: str, backend: str, device: str, size: tuple[int, int], warmup: int, runs: int,
              threads: int | None = None) -> BenchResult:
    from .stylizer import Stylizer

    frame = np.random.default_rng(0).integers(0, 256, (*size, 3), dtype=np.uint8)
    gpu_before = device_memory_used() if device != "cpu" else None  # before the clock: may create the context
    start = time.perf_counter()
    stylizer = Stylizer(model=model, backend=backend, device=device, threads=threads)
    stylizer.stylize(frame)
    first_call = time.perf_counter() - start
    _, timed = measure(stylizer.stylize, frame, warmup, runs)
    result = summarise(stylizer.name, stylizer.runner.describe(), stylizer.model_file.meta.precision, size,
                       first_call, warmup, timed)
    result.peak_gpu_mib = gpu_mib(gpu_before, device_memory_used()) if stylizer.runner.on_gpu else None
    return result


def gpu_mib(before: int | None, after: int | None) -> float | None:
    """MiB the model took on the GPU between two device readings (None if either is missing)."""
    if before is None or after is None:
        return None
    return round(max(0, after - before) / 2**20, 1)


def machine() -> dict:
    from importlib import metadata

    versions = {}
    for package in ("onnxruntime", "onnxruntime-gpu", "opencv-python-headless", "numpy", "tensorrt",
                    "tensorrt-rtx-cu13"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    cpu = platform.processor() or "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "packages": versions}


COLUMNS = ("model", "backend", "precision", "height", "width", "first_call_ms", "warmup", "runs", "p50_ms",
           "p95_ms", "p99_ms", "mean_ms", "fps", "peak_host_mib", "peak_gpu_mib")


def to_json(results: list[BenchResult]) -> str:
    return json.dumps({"machine": machine(), "results": [asdict(r) for r in results]})


def to_csv(results: list[BenchResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for r in results:
        writer.writerow([getattr(r, c) for c in COLUMNS])
    return buffer.getvalue()


def to_table(results: list[BenchResult]) -> str:
    header = f"{'model':<24} {'backend':<20} {'prec':<5} {'size':>10} {'first':>9} {'p50':>9} {'p95':>9} " \
             f"{'p99':>9} {'fps':>8} {'RSS MiB':>8} {'GPU MiB':>8}"
    rows = [header]
    for r in results:
        gpu = "-" if r.peak_gpu_mib is None else f"{r.peak_gpu_mib:.1f}"
        rows.append(f"{r.model:<24} {r.backend:<20} {r.precision:<5} {f'{r.height}x{r.width}':>10} "
                    f"{r.first_call_ms:>7.1f}ms {r.p50_ms:>7.2f}ms {r.p95_ms:>7.2f}ms {r.p99_ms:>7.2f}ms "
                    f"{r.fps:>8.2f} {r.peak_host_mib:>8.1f} {gpu:>8}")
    return "\n".join(rows)


def plot(results: list[BenchResult], path: str | Path) -> None:
    """Latency (p50) against resolution (megapixels), one line per model and backend."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("--plot needs matplotlib: pip install 'stylecast[plot]'") from None
    from .imageio import write_atomic

    figure, axes = plt.subplots(figsize=(6, 4))
    groups: dict[tuple[str, str, str], list[BenchResult]] = {}
    for r in results:
        groups.setdefault((r.model, r.backend, r.precision), []).append(r)
    for (model, backend, precision), rows in groups.items():
        rows.sort(key=lambda r: r.height * r.width)
        axes.plot([r.height * r.width / 1e6 for r in rows], [r.p50_ms for r in rows], marker="o",
                  label=f"{model} / {backend} / {precision}")
    axes.set_xlabel("megapixels per frame")
    axes.set_ylabel("p50 latency (ms)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=120)
    plt.close(figure)
    write_atomic(path, buffer.getvalue())
