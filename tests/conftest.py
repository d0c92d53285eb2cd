"""Shared fixtures: small images the tests write themselves (never ../shared), and the loss network loaded once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str):
    """A script of benchmarks/ as a module, so tests can call its functions; the folder is on the import path
    while it loads, for the scripts' own imports (machine, update)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def synthetic_photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth, photo-like HxWx3 uint8 BGR image: gradients, a disc and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([x / max(width - 1, 1), y / max(height - 1, 1), 0.5 + 0.5 * np.sin(x / 5.0 + y / 7.0)], -1)
    disc = ((x - width * 0.6) ** 2 + (y - height * 0.4) ** 2) < (min(height, width) * 0.25) ** 2
    image[disc] = [0.9, 0.2, 0.1]
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def synthetic_painting(height: int, width: int, seed: int = 1) -> np.ndarray:
    """A 'style' image: bold random strokes of saturated colour."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 240, np.uint8)
    for _ in range(40):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        p1 = tuple(int(v) for v in rng.integers(0, [width, height]))
        p2 = tuple(int(v) for v in rng.integers(0, [width, height]))
        cv2.line(image, p1, p2, colour, int(rng.integers(2, 6)))
    return image


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), synthetic_photo(40, 56))
    return path


@pytest.fixture
def painting_file(tmp_path):
    path = tmp_path / "painting.png"
    cv2.imwrite(str(path), synthetic_painting(48, 48))
    return path


@pytest.fixture
def dataset(tmp_path):
    """A training folder (six photos, one nested level, one unreadable file) and a style image, for the trainer."""
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    for i in range(6):
        cv2.imwrite(str(folder / ("nested" if i % 2 else "") / f"p{i}.png"), synthetic_photo(48, 64, seed=i))
    (folder / "broken.jpg").write_text("not an image")
    style = tmp_path / "style.png"
    cv2.imwrite(str(style), synthetic_painting(64, 64))
    return folder, style


@pytest.fixture(scope="session")
def exported_model(tmp_path_factory):
    """`exported_model(arch, layout, precision)` -> (checkpoint, onnx path, parity report), each combination
    exported once per test session: an export with its parity checks takes seconds, and several test files
    need the same small models."""
    cache: dict[tuple[str, str, str], tuple] = {}
    root = tmp_path_factory.mktemp("exported")

    def get(arch: str, layout: str = "bgr8", precision: str = "fp32"):
        key = (arch, layout, precision)
        if key not in cache:
            pytest.importorskip("torch")
            pytest.importorskip("onnxscript")
            from helpers import make_checkpoint

            from stylecast.export.onnx_export import export_checkpoint

            ckpt = root / f"{arch}.pt"
            if not ckpt.exists():
                make_checkpoint(ckpt, arch)
            folder = root / f"{layout}-{precision}"
            folder.mkdir(exist_ok=True)
            path = folder / f"tiny-{arch}.onnx"
            cache[key] = (ckpt, path, export_checkpoint(ckpt, path, layout=layout, precision=precision))
        return cache[key]

    return get
