"""The Python API: `Stylizer(model=..., backend=...).stylize(frame_bgr_uint8)`.

Per frame: optional resize to --max-size, optional lower-resolution inference with guided upsampling (--scale),
the network (whole, or in feathered tiles with --tile), then optional colour preservation and strength blending.
Each stage is timed, because users of a real-time tool measure latency and need to know where it goes.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from . import color, photo_smooth
from .backends import Backend, open_backend
from .errors import UserError
from .guided import guided_upsample
from .models import DEFAULT_ARBITRARY_MODEL, ModelFile, resolve_model
from .stabilizer import Motion, Stabilizer
from .style_vectors import StyleEncoder, toward_own
from .tiling import run_tiled


@dataclass
class StageTimes:
    """Seconds spent in each stage of the last frame; `total` is the frame's time."""

    preprocess: float = 0.0
    inference: float = 0.0
    stabilize: float = 0.0  # what the temporal filter added to the frame's time, when given one
    postprocess: float = 0.0
    track: float = 0.0  # the Stabilizer's motion tracking on its own thread, overlapping inference: not in total

    @property
    def total(self) -> float:
        return self.preprocess + self.inference + self.stabilize + self.postprocess


@dataclass
class StylizeOptions:
    strength: float = 1.0  # 0 returns the input, 1 the full stylisation
    preserve_color: bool = False  # keep the input's colours (luminance-only transfer)
    scale: float = 1.0  # run the network at this fraction of the resolution, then guided upsampling
    max_size: int | None = None  # shrink inputs whose longest side exceeds this
    tile: int | None = None  # run the network on tiles of at most this side (bounded memory for huge images)
    tile_overlap: int = 32  # pixels shared by neighbouring tiles, feathered across
    photo_smooth: str | None = None  # guided | exact: outputs locally affine in the input's colours (photo_smooth.py)


    def __post_init__(self):
        if not 0.0 <= self.strength <= 1.0:
            raise UserError(f"strength must be between 0 and 1, got {self.strength}")
        if not 0.0 < self.scale <= 1.0:
            raise UserError(f"scale must be in (0, 1], got {self.scale}")
        if self.max_size is not None and self.max_size < 1:
            raise UserError("max-size must be at least 1")
        if self.tile_overlap < 0:
            raise UserError(f"tile-overlap must not be negative, got {self.tile_overlap}")
        if self.photo_smooth not in (None, *photo_smooth.METHODS):
            raise UserError(f"unknown photo smoothing {self.photo_smooth!r}; choose one of: "
                            f"{', '.join(photo_smooth.METHODS)}")
        if self.tile is not None and not (self.tile >= 16 and 0 <= self.tile_overlap <= self.tile // 2):
            raise UserError(f"tile must be at least 16 and its overlap between 0 and half of it, got tile "
                            f"{self.tile}, overlap {self.tile_overlap}")


@dataclass
class Pending:
    """A frame between `Stylizer.start` and `Stylizer.finish`."""

    frame: np.ndarray  # the input (after --max-size)
    net_in: np.ndarray  # what the network saw
    network_out: np.ndarray
    options: StylizeOptions  # a copy: a key press between start and finish does not mix settings in one frame
    times: StageTimes
    done: bool = False  # strength 0: the output is the input
    motion: Motion | None = None  # tracked by `start` while the network ran, when it was given a Stabilizer


@dataclass
class Stylizer:
    model: str | None = None  # bundled model name or path to .onnx / .plan; None: the default model (with `style`:
    # the default arbitrary-style model)
    backend: str = "auto"
    device: str = "auto"
    options: StylizeOptions = field(default_factory=StylizeOptions)
    threads: int | None = None
    spin: bool = True  # False in pipelines whose other threads need the cores (see open_backend)
    style: Sequence[str | os.PathLike | np.ndarray] | None = None  # arbitrary-style models: painting(s) to paint
    style_blend: Sequence[float] | None = None  # their weights (default equal)

    def __post_init__(self):
        limit = max(64, 4 * (os.cpu_count() or 1))
        if self.threads is not None and not 1 <= self.threads <= limit:
            raise UserError(f"--threads must be between 1 and {limit} (4 per core here), got {self.threads}")
        if self.style is not None and not isinstance(self.style, (list, tuple)):
            self.style = [self.style]
        self.model_file: ModelFile = resolve_model(DEFAULT_ARBITRARY_MODEL if self.model is None and self.style
                                                   else self.model)
        meta = self.model_file.meta
        self._encoder: StyleEncoder | None = None  # opened when a style vector is first needed
        self._style_vector = self._vector = self._own_vector = None
        self._in_clip = False
        if meta.conditional.get("role") == "style-encoder":
            raise UserError(f"{self.model_file.path} is the style side of an arbitrary-style model; give the model "
                            "itself")
        self.conditional = bool(meta.conditional)  # an arbitrary-style model: --strength acts on its style vector
        if self.conditional:
            if self.style_blend is not None and not self.style:
                raise UserError("--style-blend weighs --style images; give them")
            if self.style and self.model_file.path.suffix == ".plan":
                raise UserError(f"{self.model_file.path} is a TensorRT engine, whose style is built in; --style "
                                "needs the .onnx model (onnxruntime or torch backend)")
            if self.style:
                self._style_vector = self.encoder.mixed(self.style, self.style_blend)
        elif self.style or self.style_blend is not None:
            raise UserError(f"{self.model_file.name} paints one style; --style needs an arbitrary-style model "
                            f"(--model {DEFAULT_ARBITRARY_MODEL})")
        self._open(self._style_vector)
        self.times = StageTimes()
        self._tracker: ThreadPoolExecutor | None = None  # the Stabilizer's thread, started on first use

    @property
    def encoder(self) -> StyleEncoder:
        """The model's style side (an arbitrary-style model's; a UserError for others)."""
        if not self.conditional:
            raise UserError(f"{self.model_file.name} paints one style and has no style side")
        if self._encoder is None:
            self._encoder = StyleEncoder(self.model_file.path, self.model_file.meta)
        return self._encoder

    def _open(self, vector: np.ndarray | None) -> None:
        """(Re)open the backend, with `vector` as the arbitrary-style model's style (None: the one built in)."""
        meta = self.model_file.meta
        initializers = None if vector is None else {meta.conditional["initializer"]: vector}
        self.runner: Backend = open_backend(self.model_file.path, meta, self.backend, self.device, self.threads,
                                            self.spin, initializers)
        self._vector = vector

    def _condition(self, frame: np.ndarray, strength: float) -> None:
        """Point an arbitrary-style model at the style vector for this frame: the chosen style moved toward the
        photo's own by `strength`; reopened only when the vector changes (a still, a key press)."""
        if not self.conditional:
            return
        vector = self._style_vector
        if strength < 1.0:
            if self._own_vector is None or not self._in_clip:
                self._own_vector = self.encoder.vector(frame)
            style = vector if vector is not None else self._default_vector()
            vector = toward_own(style, self._own_vector, strength)
        if not (vector is None and self._vector is None) and not (
                vector is not None and self._vector is not None and np.array_equal(vector, self._vector)):
            self._open(vector)

    def _default_vector(self) -> np.ndarray:
        """The built-in style's vector (for --strength without --style), which export also writes into the
        metadata."""
        values = self.model_file.meta.conditional.get("default_vector")
        if not isinstance(values, list) or len(values) != self.encoder.embedding:
            raise UserError(f"{self.model_file.path}: its metadata holds no default style vector")
        return np.asarray(values, dtype=np.float32).reshape(1, -1)

    @contextmanager
    def clip(self):
        """Frames of one video or stream: --strength's own style vector comes from the first frame and is kept
        (per frame it would cost a VGG pass each); per image otherwise."""
        saved, self._in_clip, self._own_vector = self._in_clip, True, None
        try:
            yield self
        finally:
            self._in_clip, self._own_vector = saved, None

    @property
    def name(self) -> str:
        if self.style:
            labels = [Path(s).stem if not isinstance(s, np.ndarray) else "image" for s in self.style]
            return f"{self.model_file.name}-{'+'.join(labels)}"
        return self.model_file.name

    def _network(self, frame: np.ndarray) -> np.ndarray:
        if self.model_file.meta.layout == "bgr8":
            return self.runner.run(frame[None])[0]
        batch = (frame[:, :, ::-1].transpose(2, 0, 1)[None] / 255.0).astype(np.float32)
        out = self.runner.run(np.ascontiguousarray(batch))[0]
        return (np.clip(out.transpose(1, 2, 0)[:, :, ::-1], 0, 1) * 255 + 0.5).astype(np.uint8)

    def stylize(self, frame: np.ndarray, frame_filter=None) -> np.ndarray:
        """HxWx3 uint8 BGR in, the same out (resized only if max_size asks for it); `frame_filter` as in
        `finish`."""
        return self.finish(self.start(frame, frame_filter), frame_filter)

    def start(self, frame: np.ndarray, frame_filter=None) -> Pending:
        """Preprocess and run the network now; `finish` does the rest. Split so that a live loop can upsample
        and blend one frame on another thread while the network already runs on the next.

        Given the Stabilizer that `finish` will get, it tracks the input's motion on a thread of its own while
        the network runs: the network leaves a core idle often enough that this hides much of the stabiliser's
        cost (its flow and reliability test; only the blend is left for `finish`)."""
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise UserError("stylize expects an HxWx3 uint8 BGR array (as cv2.imread returns)")
        opts = self.options
        t0 = time.perf_counter()
        if opts.max_size and max(frame.shape[:2]) > opts.max_size:
            s = opts.max_size / max(frame.shape[:2])
            frame = cv2.resize(frame, (max(1, round(frame.shape[1] * s)), max(1, round(frame.shape[0] * s))),
                               interpolation=cv2.INTER_AREA)
        self._condition(frame, opts.strength)  # arbitrary-style models take --strength in their style vector
        if opts.strength == 0.0 and not self.conditional:
            return Pending(frame, frame, frame.copy(), replace(opts), StageTimes(time.perf_counter() - t0), True)
        net_in = frame
        if opts.scale < 1.0:
            h, w = frame.shape[:2]
            net_in = cv2.resize(frame, (max(1, round(w * opts.scale)), max(1, round(h * opts.scale))),
                                interpolation=cv2.INTER_AREA)
        if opts.preserve_color:
            lum = color.luminance_image(net_in.astype(np.float32) / 255.0)
            net_in = (lum * 255.0 + 0.5).astype(np.uint8)
        tracking = None
        if isinstance(frame_filter, Stabilizer):
            self._tracker = self._tracker or ThreadPoolExecutor(1, thread_name_prefix="stylecast-stabilizer")
            tracking = self._tracker.submit(_timed, frame_filter.track, net_in, self.model_file.meta.macs_per_pixel)
        t1 = time.perf_counter()
        if opts.tile:
            out = run_tiled(self._network, net_in, opts.tile, opts.tile_overlap)
        else:
            out = self._network(np.ascontiguousarray(net_in))
        t2 = time.perf_counter()
        times, motion = StageTimes(preprocess=t1 - t0, inference=t2 - t1), None
        if tracking is not None:  # waited for here, so that frames are tracked one at a time and in order
            motion, times.track = tracking.result()
            times.stabilize = time.perf_counter() - t2
        return Pending(frame, net_in, out, replace(opts), times, motion=motion)

    def finish(self, pending: Pending, frame_filter=None) -> np.ndarray:
        """Upsample, restore colour and blend a started frame (with the options it was started with).

        `frame_filter(network_input, network_output) -> output` (the temporal Stabilizer; only its blend is left
        when `start` was given it too) runs first, at the network's resolution: with --scale 0.5 it handles a
        quarter of the pixels, and the guided upsampling that follows takes its fine detail from the current input
        frame, which does not flicker (640x480 at --scale 0.5: 10.4 ms per frame after the upsampling, 4.0 ms
        before it; the flicker left is 12-26% higher, still 49-77% below per-frame output,
        benchmarks/results/experiments/stabiliser_placement.json)."""
        frame, net_in, out, opts = pending.frame, pending.net_in, pending.network_out, pending.options
        if frame_filter is not None and not pending.done:
            t = time.perf_counter()
            if pending.motion is not None:
                out = frame_filter.blend(pending.motion, out)
            else:
                out = frame_filter(net_in, out)
            pending.times.stabilize += time.perf_counter() - t
        t2 = time.perf_counter()
        if not pending.done:
            if opts.scale < 1.0:
                out = guided_upsample(out, net_in, frame)  # the guide is luminance, so colour preservation agrees
            if opts.preserve_color:
                out = (color.combine_luminance(out.astype(np.float32) / 255.0, frame.astype(np.float32) / 255.0)
                       * 255.0 + 0.5).astype(np.uint8)
            if opts.photo_smooth:
                out = photo_smooth.smooth(out, frame, opts.photo_smooth)
            if opts.strength < 1.0 and not self.conditional:
                out = cv2.addWeighted(out, opts.strength, frame, 1.0 - opts.strength, 0.0)
        pending.times.postprocess = time.perf_counter() - t2
        self.times = pending.times
        return out

    def stream(self, frames: Iterable[np.ndarray], frame_filter=None) -> Iterator[np.ndarray]:
        """Stylise frames from any iterable (a video reader, a camera loop) lazily, one at a time; pass a
        Stabilizer() as `frame_filter` for less flicker. The frames are one clip (see `clip`)."""
        with self.clip():
            for frame in frames:
                yield self.stylize(frame, frame_filter)


def _timed(function, *args):
    """(function(*args), seconds it took), for work timed on another thread."""
    t = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - t
