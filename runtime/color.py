"""Luminance-only style transfer (Gatys et al. 2016b, "Preserving color in neural artistic style transfer").

The network (or the optimisation) sees only luminance; the output's luminance is then recombined with the
content's chrominance. YIQ is the colour space the paper uses. All functions take float32 BGR in 0..1.
"""

from __future__ import annotations

import numpy as np

# Rows: Y, I, Q from R, G, B (NTSC).
_RGB_TO_YIQ = np.array(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]], np.float32
)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)


def bgr_to_yiq(bgr: np.ndarray) -> np.ndarray:
    return bgr[..., ::-1] @ _RGB_TO_YIQ.T


def yiq_to_bgr(yiq: np.ndarray) -> np.ndarray:
    return (yiq @ _YIQ_TO_RGB.T)[..., ::-1]


def luminance_image(bgr: np.ndarray) -> np.ndarray:
    """The image's luminance repeated in three channels, the form a network trained on colour accepts."""
    y = bgr_to_yiq(bgr)[..., 0:1]
    return np.repeat(y, 3, axis=-1).astype(np.float32)


def match_luminance(style_bgr: np.ndarray, content_bgr: np.ndarray) -> np.ndarray:
    """The style's luminance, shifted and scaled to the content's mean and standard deviation (paper, eq. 1)."""
    ys = bgr_to_yiq(style_bgr)[..., 0]
    yc = bgr_to_yiq(content_bgr)[..., 0]
    matched = (ys - ys.mean()) * (yc.std() / max(float(ys.std()), 1e-6)) + yc.mean()
    return np.repeat(matched[..., None], 3, axis=-1).astype(np.float32)


def combine_luminance(stylised_bgr: np.ndarray, content_bgr: np.ndarray) -> np.ndarray:
    """Stylised luminance with the content's I and Q channels, clipped to 0..1."""
    yiq = bgr_to_yiq(content_bgr).copy()
    yiq[..., 0] = bgr_to_yiq(stylised_bgr)[..., 0]
    return np.clip(yiq_to_bgr(yiq), 0.0, 1.0).astype(np.float32)


def reinhard_transfer(content_bgr8: np.ndarray, style_bgr8: np.ndarray) -> np.ndarray:
    """Colour transfer of Reinhard et al. (2001): each Lab channel of the content shifted and scaled to the style's
    mean and standard deviation. uint8 BGR in and out: the classical baseline of photorealistic transfer."""
    import cv2

    content, style = (cv2.cvtColor(x.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB) for x in (content_bgr8, style_bgr8))
    mean_c, std_c = content.reshape(-1, 3).mean(0), content.reshape(-1, 3).std(0)
    mean_s, std_s = style.reshape(-1, 3).mean(0), style.reshape(-1, 3).std(0)
    lab = (content - mean_c) * (std_s / np.maximum(std_c, 1e-6)) + mean_s
    return (np.clip(cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2BGR), 0, 1) * 255 + 0.5).astype(np.uint8)
