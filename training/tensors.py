"""Conversions between what OpenCV hands over (HxWx3 uint8 BGR) and what the networks take ((B, 3, H, W) RGB
float in 0..1), and the resizing rules every training-side command shares."""

from __future__ import annotations

import cv2
import numpy as np
import torch


def bgr8_to_tensor(image: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    rgb = np.ascontiguousarray(image[:, :, ::-1]).astype(np.float32) / 255.0
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def float_bgr_to_tensor(image: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """(H, W, 3) float BGR in 0..1 to (1, 3, H, W) RGB."""
    rgb = np.ascontiguousarray(image[:, :, ::-1], dtype=np.float32)
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous().to(device)


def tensor_to_float_bgr(tensor: torch.Tensor) -> np.ndarray:
    """First image of (B, 3, H, W) RGB to (H, W, 3) float32 BGR, clipped to 0..1."""
    rgb = tensor[0].detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(rgb[:, :, ::-1])


def tensor_to_bgr8(tensor: torch.Tensor) -> np.ndarray:
    return (tensor_to_float_bgr(tensor) * 255.0 + 0.5).astype(np.uint8)


def fit_size(height: int, width: int, longest: int | None) -> tuple[int, int]:
    """(height, width) scaled so the longest side is `longest` (None keeps the size), at least 1 pixel each."""
    if longest is None:
        return height, width
    scale = longest / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def fitted_tensor(image: np.ndarray, longest: int | None) -> torch.Tensor:
    """A uint8 BGR image scaled so its longest side is `longest`, as (1, 3, H, W): how style images and photos
    enter the loss, in training and in the benchmarks that score a model with its own loss."""
    return bgr8_to_tensor(resize(image, fit_size(*image.shape[:2], longest)))


def size_for_area(height: int, width: int, area: int) -> tuple[int, int]:
    """(height, width) with the same aspect ratio and about `area` pixels."""
    scale = (area / (height * width)) ** 0.5
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (height, width): area averaging when shrinking (no aliasing), cubic when enlarging."""
    height, width = size
    if (height, width) == image.shape[:2]:
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
