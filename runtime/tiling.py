"""Run the network tile by tile for images too large to stylise in one pass.

A 6000x4000 photo through TransformerNet needs several GB of activations; tiles bound that to the tile size.
Neighbouring tiles overlap and are blended with linear ramps (feathering) across the overlap, so there is no visible
seam. Only a band of rows about one tile high is ever held in floating point, so memory beyond the input and the
uint8 output does not grow with the image. Each pixel's weights are normalised to sum to one, so a network that
returned its input would give back the image exactly; what remains is the network's own dependence on context
(instance norm statistics and the receptive field), which the overlap and generous tiles keep small.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import UserError


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of side `tile` covering 0..length, neighbours overlapping by at least `overlap`."""
    if length <= tile:
        return [0]
    step = tile - overlap
    count = -(-(length - overlap) // step)  # ceil: enough tiles for the overlap asked
    # spread the tiles evenly so the last one ends exactly at the border (overlaps become >= `overlap`)
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def _ramp(size: int, start: int, end: int, length: int, overlap_before: int, overlap_after: int) -> np.ndarray:
    """1-D blending weight of one tile: rising over the overlap with its predecessor, falling over its successor."""
    w = np.ones(size, np.float32)
    if start > 0 and overlap_before > 0:
        w[:overlap_before] = (np.arange(overlap_before, dtype=np.float32) + 1) / (overlap_before + 1)
    if end < length and overlap_after > 0:
        w[size - overlap_after:] = np.minimum(
            w[size - overlap_after:], (np.arange(overlap_after, 0, -1, dtype=np.float32)) / (overlap_after + 1))
    return w


def _weights_1d(length: int, starts: list[int], tile: int) -> list[np.ndarray]:
    size = min(tile, length)
    out = []
    for i, s in enumerate(starts):
        before = starts[i - 1] + size - s if i > 0 else 0
        after = s + size - starts[i + 1] if i + 1 < len(starts) else 0
        out.append(_ramp(size, s, s + size, length, before, after))
    return out


def run_tiled(network: Callable[[np.ndarray], np.ndarray], image: np.ndarray, tile: int,
              overlap: int) -> np.ndarray:
    """Apply `network` (HxWx3 uint8 -> HxWx3 uint8, same size) to `image` in feathered, overlapping tiles."""
    if tile < 16 or not 0 <= overlap <= tile // 2:
        raise UserError(f"tile must be at least 16 and its overlap between 0 and half of it, got tile {tile}, "
                        f"overlap {overlap}")
    h, w = image.shape[:2]
    if h <= tile and w <= tile:
        return network(image)
    ys, xs = tile_starts(h, tile, overlap), tile_starts(w, tile, overlap)
    wy, wx = _weights_1d(h, ys, tile), _weights_1d(w, xs, tile)
    th, tw = min(tile, h), min(tile, w)
    # The weights are a product of a y ramp and an x ramp over a grid of tiles, so their sum at each pixel is the
    # product of two 1-D sums: no full-image normaliser is needed.
    norm_y, norm_x = np.zeros(h, np.float32), np.zeros(w, np.float32)
    for y, ry in zip(ys, wy):
        norm_y[y:y + th] += ry
    for x, rx in zip(xs, wx):
        norm_x[x:x + tw] += rx
    # Accumulate in a band of rows that later tiles can still touch; rows above the next row of tiles are final
    # and go to the output at once. Memory beyond the uint8 output: about one tile's height of float rows.
    result = np.empty((h, w, 3), np.uint8)
    band, band_top = np.zeros((0, w, 3), np.float32), 0
    for i, (y, ry) in enumerate(zip(ys, wy)):
        if y + th - band_top > len(band):
            band = np.concatenate([band, np.zeros((y + th - band_top - len(band), w, 3), np.float32)])
        for x, rx in zip(xs, wx):
            out = network(np.ascontiguousarray(image[y:y + th, x:x + tw]))
            band[y - band_top:y - band_top + th, x:x + tw] += out.astype(np.float32) * (ry[:, None] * rx)[:, :, None]
        final = (ys[i + 1] if i + 1 < len(ys) else h) - band_top
        norm = norm_y[band_top:band_top + final, None, None] * norm_x[None, :, None]
        result[band_top:band_top + final] = np.clip(band[:final] / norm + 0.5, 0, 255).astype(np.uint8)
        band, band_top = band[final:], band_top + final
    return result
