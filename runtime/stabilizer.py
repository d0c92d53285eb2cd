"""`--stabilize`: flicker reduction for video and live stylisation at a few milliseconds per frame.

Each stylised frame is blended with the previous STABILISED frame warped along the optical flow of the input
(a recursive filter along motion trajectories), where the flow is reliable. The flow is computed at reduced
resolution with DIS (ultrafast, but refined further than its preset, which stops at a quarter of the width, too
coarse to follow a walking person at 640x480: to the flow's full width beside a costly network, to half of it
beside a light one, whose frame time could not hide the finer flow); reliability is a photometric test (the
warped previous input must match the current input), cheaper than a second flow for a forward-backward check.
The test forgives a pixel of misalignment: a fast flow is a pixel off at the edges of moving people, and an exact
test sent those pixels, most of the flicker left on a street scene, back to per-frame output. At occlusions the
current frame is used as it is; at scene cuts (most pixels failing the exact test) the filter resets. The
Stylizer runs it at the network's resolution, before any guided upsampling (--scale), and tracks the input's
motion on a thread of its own while the network runs, so that most of the stabiliser's work overlaps the
network's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .errors import UserError
from .temporal import INTERPOLATIONS, sample, sample_points


@dataclass
class StabilizerSettings:
    """Defaults chosen with benchmarks/temporal_video.py: a finer flow and bicubic warping keep brush strokes
    aligned and sharp, which both lowers flicker and keeps the style loss near per-frame output. Refining the flow
    one DIS level further than the preset (finest scale 1) was the largest single gain (Sintel, great_wave
    TransformerNet: 48% -> 64% less flicker), and forgiving a pixel of misalignment the next (vtest.avi, people
    walking past a fixed camera: 41-49% -> 61-68% for the six models that missed the goal there; a slower, finer
    flow, DIS medium, reached only 46-51% on three of them); a weight above 0.7 or bilinear warping moved the style
    loss by up to 9% and 22%. A DIS patch stride of 7 would save about 0.5 ms at 320x240 and cost 3-13 points.

    How far the flow is refined follows the network's cost (`finest_scale`). The TransformerNets, trained with the
    temporal loss, flicker little per frame, so the stabiliser's own warp error weighs more: at finest scale 1 six
    of their rows (Sintel, bigbuckbunny) stayed at 43-48%, at 0 they reach 52-65%, for about 2.5x the tracking time,
    which is nothing beside a network of 150,000 MACs per pixel. Beside a LiteNet (4,150) that time is not hidden:
    on a 2-core AMD EPYC (Zen 5) whose LiteNet runs a 640x480 frame at --scale 0.5 in 7.7 ms, finest scale 0 added
    18% to the frame, against a goal of 15%; the LiteNets flicker more per frame, and at finest scale 1 their rows
    stay 67-86% below per-frame output (the weight-2 bases were 72-87% at 0)."""

    flow_width: int = 320  # the flow is computed at most this wide (half of 640x480; all of it at --scale 0.5)
    flow_finest_scale: int | None = None  # DIS refines the flow down to 1/2**this of flow_width (ultrafast
    # preset: 2); None: by the network's cost, see finest_scale
    fine_flow_macs: float = 20_000  # networks of at least this many MACs per output pixel get finest scale 0
    flow_patch_stride: int = 6  # pixels between DIS patches at that scale (ultrafast: 4; 6 costs half as much)
    weight: float = 0.7  # share of the warped previous output where the flow is reliable
    interpolation: str = "cubic"  # of the previous output: bilinear softens strokes at every frame
    tolerance: float = 20.0  # grey levels: a larger input mismatch after warping marks a pixel unreliable
    misalignment: int = 1  # pixels (at flow_width) the warped previous input may be off by and still match
    cut_fraction: float = 0.6  # more unreliable pixels than this is a scene cut: reset

    def __post_init__(self):
        if self.interpolation not in INTERPOLATIONS:
            raise UserError(f"unknown interpolation {self.interpolation!r}; choose one of: "
                            f"{', '.join(INTERPOLATIONS)}")
        if not (0.0 <= self.weight < 1.0 and self.flow_width >= 16):
            raise UserError("stabiliser weight must be in [0, 1) and its flow width at least 16")
        if not ((self.flow_finest_scale is None or 0 <= self.flow_finest_scale <= 4) and self.flow_patch_stride >= 1):
            raise UserError("stabiliser flow_finest_scale must be in 0..4 (or None: by the network's cost) and "
                            "flow_patch_stride at least 1")
        if self.misalignment < 0:
            raise UserError("stabiliser misalignment must be at least 0 pixels")

    def finest_scale(self, network_macs: float | None) -> int:
        """The DIS level the flow is refined to, for a network of `network_macs` MACs per output pixel (None: not
        known, as for a stabiliser used on its own: the finest). The flow costs the same per frame whatever the
        network, so what a frame can afford grows with the network's cost (see the class docstring)."""
        if self.flow_finest_scale is not None:
            return self.flow_finest_scale
        return 0 if network_macs is None or network_macs >= self.fine_flow_macs else 1

    def flow_estimator(self) -> cv2.DISOpticalFlow:
        """A DIS instance of its own for each stabiliser: DIS objects keep state, so two threads must not share one.
        Its finest scale is set at each frame (finest_scale)."""
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        dis.setPatchStride(self.flow_patch_stride)
        return dis


def matching(warped: np.ndarray, current: np.ndarray, tolerance: float, misalignment: int) -> np.ndarray:
    """255 where `current` lies within `tolerance` of the values `warped` takes within `misalignment` pixels (its
    min and max over that neighbourhood, as in Birchfield and Tomasi's sampling-insensitive dissimilarity), else
    0. With misalignment 0, the plain |warped - current| < tolerance; with 1, a sharp edge one pixel off still
    matches, while content that is not there at all (an occlusion) does not. uint8 images: this runs on every
    frame."""
    if misalignment:
        kernel = np.ones((2 * misalignment + 1,) * 2, np.uint8)
        mismatch = cv2.max(cv2.subtract(cv2.erode(warped, kernel), current),
                           cv2.subtract(current, cv2.dilate(warped, kernel)))
    else:
        mismatch = cv2.absdiff(warped, current)
    return cv2.compare(mismatch, tolerance, cv2.CMP_LT)


@dataclass
class Motion:
    """What the stabiliser learnt from one input frame: where the previous output is sampled and how much of it is
    kept (both at the output's size). `points` None: nothing to follow (the first frame, a new size, a scene cut).
    Input-only, so that `Stylizer.start` can compute it on another thread while the network runs."""

    points: np.ndarray | None = None
    alpha: np.ndarray | None = None


class Stabilizer:
    """`stabilizer(network_input, network_output) -> output`, or in two halves, `track` (the input's motion: flow
    and reliability, nearly all of the cost) and `blend` (the previous output along it). `track` must see every
    frame in order; `blend` must see them in the same order, but may run on another thread, a frame behind."""

    def __init__(self, settings: StabilizerSettings | None = None):
        self.settings = settings or StabilizerSettings()
        self._dis = self.settings.flow_estimator()
        self.previous_input: np.ndarray | None = None  # small gray: track's state
        self.previous_output: np.ndarray | None = None  # blend's state
        self.resets = 0
        self.last_reliable = 0.0

    def reset(self) -> None:
        """Blend nothing into the next frame (a model switch, a new clip). Only the output side: the input's
        motion stays valid, and the thread that tracks it is left alone."""
        self.previous_output = None

    def __call__(self, frame: np.ndarray, styled: np.ndarray, network_macs: float | None = None) -> np.ndarray:
        return self.blend(self.track(frame, network_macs), styled)

    def track(self, frame: np.ndarray, network_macs: float | None = None) -> Motion:
        """The motion from the previous frame to this one (BGR uint8, the network's input); `network_macs`, the
        network's MACs per output pixel, sets how fine the flow is (StabilizerSettings.finest_scale)."""
        s = self.settings
        h, w = frame.shape[:2]
        small_w = min(w, s.flow_width)
        small_h = max(1, round(h * small_w / w))
        same = (small_w, small_h) == (w, h)  # e.g. --scale 0.5 at 640x480: the network's 320x240 is small already
        small = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if not same:
            small = cv2.resize(small, (small_w, small_h), interpolation=cv2.INTER_AREA)
        previous_input, self.previous_input = self.previous_input, small
        if previous_input is None or previous_input.shape != small.shape:
            return Motion()
        self._dis.setFinestScale(s.finest_scale(network_macs))
        backward = self._dis.calc(small, previous_input, None)
        points = sample_points(backward)
        # Nearest-pixel sampling is enough for a test that forgives a pixel, at a third of bilinear's cost.
        warped_input = sample(previous_input, points, cv2.INTER_NEAREST)
        # Scene cuts by the exact test: on pairs of the benchmark clips' frames it passes at most 26% of the pixels
        # of two unrelated frames and at least 91% of consecutive ones; the forgiving test passes up to 43% of a cut.
        exact = matching(warped_input, small, s.tolerance, 0)
        self.last_reliable = cv2.countNonZero(exact) / exact.size
        if self.last_reliable < 1.0 - s.cut_fraction:
            self.resets += 1
            return Motion()
        reliable = matching(warped_input, small, s.tolerance, s.misalignment) if s.misalignment else exact
        alpha = np.multiply(cv2.blur(reliable, (3, 3)), np.float32(s.weight / 255), dtype=np.float32)
        if not same:  # scaled to full-resolution pixels while still small (cheaper than strided passes at full size)
            flow = cv2.resize(backward * np.float32((w / small_w, h / small_h)), (w, h),
                              interpolation=cv2.INTER_LINEAR)
            points, alpha = sample_points(flow), cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        return Motion(points, alpha)

    def blend(self, motion: Motion, styled: np.ndarray) -> np.ndarray:
        """This frame's output: `styled` blended with the previous output sampled along `motion`."""
        previous_output = self.previous_output
        if motion.points is None or previous_output is None or previous_output.shape != styled.shape \
                or motion.points.shape[:2] != styled.shape[:2]:
            self.previous_output = styled
            return styled
        warped = sample(previous_output, motion.points, INTERPOLATIONS[self.settings.interpolation])
        out = cv2.blendLinear(warped, styled, motion.alpha, 1.0 - motion.alpha)
        self.previous_output = out
        return out
