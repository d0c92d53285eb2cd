"""Per-stage latency bookkeeping for video and live runs: samples per stage, percentiles, one report."""

from __future__ import annotations

import math
import random
from collections import defaultdict

STAGES = ("capture_wait", "preprocess", "inference", "track", "postprocess", "stabilize", "output", "end_to_end")


def percentile(samples: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), q in 0..100."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class LatencyLog:
    """Samples per stage in bounded memory: every sample up to CAPACITY, then a uniform random sample of CAPACITY
    of them (reservoir sampling), so a live session of hours does not grow; the mean stays exact."""

    CAPACITY = 20_000  # per stage: 11 minutes of 30 fps kept exactly

    def __init__(self):
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.sums: dict[str, float] = defaultdict(float)
        self._random = random.Random(0)

    def add(self, stage: str, seconds: float) -> None:
        self.counts[stage] += 1
        self.sums[stage] += seconds
        samples = self.samples[stage]
        if len(samples) < self.CAPACITY:
            samples.append(seconds)
        else:
            slot = self._random.randrange(self.counts[stage])
            if slot < self.CAPACITY:
                samples[slot] = seconds

    def report(self) -> dict:
        """{stage: {"p50_ms", "p95_ms", "mean_ms"}} for every stage with samples, in STAGES order."""
        out = {}
        for stage in [s for s in STAGES if s in self.samples] + [s for s in self.samples if s not in STAGES]:
            values = self.samples[stage]
            out[stage] = {"p50_ms": round(percentile(values, 50) * 1e3, 3),
                          "p95_ms": round(percentile(values, 95) * 1e3, 3),
                          "mean_ms": round(self.sums[stage] / self.counts[stage] * 1e3, 3)}
        return out


def start_frame(stylizer, frame, log: LatencyLog, frame_filter=None):
    """The first half of a pipelined frame (preprocessing, the network, and the stabiliser's tracking beside it),
    timed into `log`."""
    pending = stylizer.start(frame, frame_filter)
    log.add("preprocess", pending.times.preprocess)
    log.add("inference", pending.times.inference)
    if pending.motion is not None:
        log.add("track", pending.times.track)
    return pending


def finish_frame(stylizer, pending, log: LatencyLog, frame_filter=None, reset: bool = False):
    """The second half, on the output thread of `live` and `video`: finishing and the stabiliser (reset first
    when `reset`, e.g. after a model switch), timed into `log`."""
    if frame_filter is not None and reset:
        frame_filter.reset()
    styled = stylizer.finish(pending, frame_filter)
    log.add("postprocess", pending.times.postprocess)
    if frame_filter is not None:
        log.add("stabilize", pending.times.stabilize)
    return styled
