"""Edge-aware upsampling with the fast guided filter (He et al. 2010; He & Sun 2015).

Running the network at a lower resolution cuts its cost by the square of the scale; upsampling its output
plainly blurs every edge. The guided filter fits, in each small window at low resolution, a linear map from the
content's luminance to each stylised channel (q = a * I + b); the maps' coefficients are smooth, so they are
upsampled and applied to the full-resolution luminance, which puts the content's sharp edges back.

It runs on every live frame at --scale, so it is written for speed: the guide's statistics (mean, variance and
its reciprocal) are single-channel, computed once rather than per colour channel, and are widened to three
channels once, as one-pass OpenCV calls need; the 0..255 scaling is folded into the coefficients so the
full-resolution work is two resizes, one multiply and one saturating add.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def _gray3(image: np.ndarray) -> np.ndarray:
    """BGR uint8 -> its luminance repeated in three channels (uint8)."""
    return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def guided_upsample(stylised_low: np.ndarray, content_low: np.ndarray, content_full: np.ndarray,
                    radius: int = 1, eps: float = 1e-3) -> np.ndarray:
    """Upsample uint8 BGR `stylised_low` to the size of `content_full`, guided by the content's luminance."""
    scale = np.float32(1 / 255)
    guide = cv2.cvtColor(content_low, cv2.COLOR_BGR2GRAY).astype(np.float32) * scale
    p = stylised_low.astype(np.float32) * scale
    mean_i = _box(guide, radius)
    inv_var = 1.0 / (_box(cv2.multiply(guide, guide), radius) - cv2.multiply(mean_i, mean_i) + np.float32(eps))
    guide3, mean_i3, inv_var3 = (cv2.merge((x, x, x)) for x in (guide, mean_i, inv_var))
    mean_p = _box(p, radius)
    cov_ip = _box(cv2.multiply(p, guide3), radius) - cv2.multiply(mean_i3, mean_p)
    a = cv2.multiply(cov_ip, inv_var3)
    b = mean_p - cv2.multiply(a, mean_i3)
    height, width = content_full.shape[:2]
    # out / 255 = a * (gray / 255) + b, so out = a * gray + 255 * b
    a_up = cv2.resize(_box(a, radius), (width, height), interpolation=cv2.INTER_LINEAR)
    b_up = cv2.resize(_box(b, radius) * np.float32(255), (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.add(cv2.multiply(a_up, _gray3(content_full), dtype=cv2.CV_32F), b_up, dtype=cv2.CV_8U)
