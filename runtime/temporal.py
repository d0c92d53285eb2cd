"""Temporal consistency: optical flow of the input frames, warping, occlusion masks, and the warping error.

Warping error (Lai et al. 2018, "Learning blind video temporal consistency"): warp the previous OUTPUT frame
to the current one along the flow of the INPUT frames, mask out occluded pixels by the forward-backward
consistency check (Sundaram et al. 2010), and average the squared difference over the unmasked pixels; average
over the clip. Images are uint8 BGR; errors are on the 0..1 scale.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

INTERPOLATIONS = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}


@lru_cache(maxsize=1)
def _dis_medium() -> cv2.DISOpticalFlow:
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def dis_flow(source_gray: np.ndarray, target_gray: np.ndarray) -> np.ndarray:
    """Dense flow F with source(p) ~ target(p + F(p)), by OpenCV's DIS (Kroeger et al. 2016), medium preset: the
    measuring flow. One instance serves every call (DIS keeps state: not for concurrent threads); the stabiliser,
    which runs in the pipelines' threads, makes its own, faster one (StabilizerSettings.flow_estimator)."""
    return _dis_medium().calc(source_gray, target_gray, None)


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> np.ndarray:
    """(h, w, 2) float32 pixel coordinates; cached, as a video's frames share one size."""
    grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
    grid.setflags(write=False)
    return grid


def sample_points(flow: np.ndarray) -> np.ndarray:
    """p + flow(p) for every pixel p: where a warp along `flow` samples. Worth keeping when two images follow one
    flow (the stabiliser warps the previous input and the previous output)."""
    return cv2.add(_grid(*flow.shape[:2]), flow)


def sample(image: np.ndarray, points: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """`image` at `points` (an OpenCV interpolation flag); outside the image replicates the border."""
    return cv2.remap(image, points, None, interpolation, borderMode=cv2.BORDER_REPLICATE)


def warp(image: np.ndarray, flow: np.ndarray, interpolation: str = "linear") -> np.ndarray:
    """Sample `image` at p + flow(p), bilinear or bicubic."""
    return sample(image, sample_points(flow), INTERPOLATIONS[interpolation])


def inside(flow: np.ndarray) -> np.ndarray:
    """Pixels whose flow target lies inside the image."""
    h, w = flow.shape[:2]
    coords = sample_points(flow)
    x, y = coords[..., 0], coords[..., 1]
    return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def consistent(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Forward-backward check (Sundaram et al. 2010): `backward` maps current -> previous, `forward` previous ->
    current; a pixel is reliable when following one and then the other returns (almost) to where it started."""
    forward_at_target = warp(forward, backward)
    round_trip = backward + forward_at_target
    bound = 0.01 * ((backward ** 2).sum(-1) + (forward_at_target ** 2).sum(-1)) + 0.5
    return ((round_trip ** 2).sum(-1) < bound) & inside(backward)


def gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def pair_error(previous_out: np.ndarray, current_out: np.ndarray, backward: np.ndarray, mask: np.ndarray) -> float:
    warped = warp(previous_out.astype(np.float32) / 255.0, backward)
    diff = ((current_out.astype(np.float32) / 255.0 - warped) ** 2).mean(-1)
    return float(diff[mask].mean()) if mask.any() else 0.0


def input_flows(inputs: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Backward flow (current -> previous, DIS medium) of each consecutive pair of input frames and its
    forward-backward-consistent pixels: what `warping_error` needs, computed once for any number of outputs."""
    flows, masks = [], []
    for t in range(1, len(inputs)):
        previous, current = gray(inputs[t - 1]), gray(inputs[t])
        backward = dis_flow(current, previous)
        flows.append(backward)
        masks.append(consistent(backward, dis_flow(previous, current)))
    return flows, masks


def warping_error(inputs: list[np.ndarray], outputs: list[np.ndarray], flows: list | None = None,
                  masks: list | None = None) -> float:
    """Mean warping error of `outputs` over consecutive pairs, with flow estimated from `inputs` (DIS, medium)
    unless `flows` gives the backward flow (current -> previous) of each pair (and `masks` its valid pixels)."""
    if len(inputs) != len(outputs) or len(outputs) < 2:
        raise ValueError("need as many outputs as inputs, and at least two frames")
    if flows is None:
        flows, masks = input_flows(inputs)
    elif masks is None:
        masks = [inside(flow) for flow in flows]
    return float(np.mean([pair_error(outputs[t - 1], outputs[t], flows[t - 1], masks[t - 1])
                          for t in range(1, len(outputs))]))
