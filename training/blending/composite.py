"""Putting an object into a background: its mask, its place, and the two classical composites (numpy + OpenCV).

`place` returns everything the blending methods work on, at the background's working size: the background, the
object on a canvas of that size, and the mask (1 on the object). `paste` is the naive composite; `poisson` is
OpenCV's seamless cloning (Perez et al. 2003), the classical baseline the deep methods are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stylecast.runtime.errors import UserError

MIN_MASK_PIXELS = 16


@dataclass
class Placement:
    background: np.ndarray  # HxWx3 uint8 BGR at the working size
    object: np.ndarray  # HxWx3 uint8: the object where the mask is, the background elsewhere
    mask: np.ndarray  # HxW float32 in {0, 1}


def object_mask(object_bgra: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """HxW {0,1} float32: nonzero pixels of `mask` (any image, resized to the object's size), else the object's
    alpha channel above half; a UserError when there is neither or the mask is empty."""
    h, w = object_bgra.shape[:2]
    if mask is not None:
        gray = mask if mask.ndim == 2 else mask.max(axis=2)
        if gray.shape != (h, w):
            raise UserError(f"the mask is {gray.shape[1]}x{gray.shape[0]} and the object {w}x{h}; they must match")
        binary = (gray > 0).astype(np.float32)
    elif object_bgra.ndim == 3 and object_bgra.shape[2] == 4:
        binary = (object_bgra[:, :, 3] >= 128).astype(np.float32)
    else:
        raise UserError("the object has no alpha channel: give --mask (nonzero = object)")
    if binary.sum() < MIN_MASK_PIXELS:
        raise UserError(f"the mask covers {int(binary.sum())} pixels; it needs at least {MIN_MASK_PIXELS}")
    return binary


def place(background: np.ndarray, object_bgr: np.ndarray, mask: np.ndarray, size: int | None = 512,
          at: tuple[float, float] | None = None, scale: float = 1.0) -> Placement:
    """The background at `size` on its longest side (untouched when it already is that size), the object scaled
    by `scale` relative to that working size and centred (its mask's bounding box) at `at` = (x, y) in working
    pixels (default: the centre). The object must fit inside the background."""
    if not np.isfinite(scale) or scale <= 0:
        raise UserError(f"scale must be positive, got {scale}")
    h, w = background.shape[:2]
    factor = 1.0 if size is None or max(h, w) == size else size / max(h, w)
    if factor != 1.0:
        background = cv2.resize(background, (max(1, round(w * factor)), max(1, round(h * factor))),
                                interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC)
    h, w = background.shape[:2]
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop, crop_mask = object_bgr[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    oh, ow = max(1, round((y1 - y0) * scale)), max(1, round((x1 - x0) * scale))
    if (oh, ow) != crop.shape[:2]:
        crop = cv2.resize(crop, (ow, oh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        crop_mask = (cv2.resize(crop_mask, (ow, oh), interpolation=cv2.INTER_LINEAR) >= 0.5).astype(np.float32)
    cx, cy = (w / 2, h / 2) if at is None else at
    left, top = round(cx - ow / 2), round(cy - oh / 2)
    if left < 1 or top < 1 or left + ow > w - 1 or top + oh > h - 1:
        raise UserError(f"the object ({ow}x{oh} px after --scale) centred at ({cx:g}, {cy:g}) does not fit inside "
                        f"the {w}x{h} background (with a 1 px margin); move it with --at or shrink it with --scale")
    if crop_mask.sum() < MIN_MASK_PIXELS:
        raise UserError("the mask is empty after scaling; use a larger --scale")
    canvas, full_mask = background.copy(), np.zeros((h, w), np.float32)
    canvas[top:top + oh, left:left + ow] = crop
    full_mask[top:top + oh, left:left + ow] = crop_mask
    return Placement(background, canvas, full_mask)


def paste(p: Placement) -> np.ndarray:
    """The naive composite: the object's pixels where the mask is 1, the background's elsewhere."""
    m = p.mask[:, :, None]
    return (p.object * m + p.background * (1 - m)).round().astype(np.uint8)


def poisson(p: Placement) -> np.ndarray:
    """OpenCV's seamless cloning (normal clone) of the masked object into the background."""
    ys, xs = np.nonzero(p.mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    source = p.object[y0:y1, x0:x1]
    mask = (p.mask[y0:y1, x0:x1] * 255).astype(np.uint8)
    centre = (int((x0 + x1) // 2), int((y0 + y1) // 2))
    return cv2.seamlessClone(source, p.background, mask, centre, cv2.NORMAL_CLONE)
