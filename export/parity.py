"""Numeric agreement between an exported model and its PyTorch source: max abs difference and PSNR.

One tolerance table per precision (as kornia does per dtype): export fails loudly beyond it.
"""

from __future__ import annotations

import math

import numpy as np

# fp32: max abs difference (grey levels for bgr8, 0..1 units for rgb_float); fp16 and int8: minimum PSNR in dB
# against the fp32 PyTorch output.
TOLERANCE = {
    ("fp32", "bgr8"): {"max_abs": 1.0},
    ("fp32", "rgb_float"): {"max_abs": 1e-4},
    ("fp16", "bgr8"): {"min_psnr": 40.0},
    ("fp16", "rgb_float"): {"min_psnr": 40.0},
    ("int8", "bgr8"): {"min_psnr": 20.0},
    ("int8", "rgb_float"): {"min_psnr": 20.0},
}


def as_unit(values: np.ndarray, layout: str) -> np.ndarray:
    """Outputs of either layout as float64 in 0..1."""
    values = values.astype(np.float64)
    return values / 255.0 if layout == "bgr8" else values


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two images in 0..1 (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def compare(actual: np.ndarray, expected: np.ndarray, layout: str) -> dict:
    if actual.shape != expected.shape:
        return {"shape": list(actual.shape), "expected_shape": list(expected.shape), "max_abs": math.inf,
                "psnr": -math.inf}
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    return {"shape": list(actual.shape), "max_abs": float(diff.max()),
            "psnr": psnr(as_unit(actual, layout), as_unit(expected, layout))}


def within(result: dict, precision: str, layout: str) -> bool:
    limit = TOLERANCE[(precision, layout)]
    if "max_abs" in limit:
        return result["max_abs"] <= limit["max_abs"]
    return result["psnr"] >= limit["min_psnr"]
