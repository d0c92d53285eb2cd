"""No bundled model marks the image border.

A generator trained on crops can learn to paint something of its own where its coarse body meets the image's edge
(the default model painted yellow half-discs along the bottom of every large image). The measure holds the content
fixed and moves the edge: a photo-like image is stylised on its own, and again extended by 96 px of reflection on
every side (the reference, cropped back), so the same pixels are painted once at the edge and once far from it. A
mark the model adds at the edge shifts the colour of the whole border band, so the test compares the mean colour
(CIE Lab) of each 16 px border band with the reference's (benchmarks/border.py). Without the fix
(training/generator.py, EDGE_CONTEXT) the default model's worst band was 66.7 Lab units off, great_wave-lite's
31.2 (benchmarks/results/experiments/border.json); with it, every model's is under 12.
"""

from __future__ import annotations

import pytest

from conftest import load_benchmark
from stylecast.runtime.models import bundled_names
from stylecast.runtime.stylizer import Stylizer

LIMIT = 12.0  # Lab units (OpenCV's 8-bit scale) a border band's mean colour may move
measure = load_benchmark("border")  # the measure itself, shared with benchmarks/border.py
photo_like, band_shifts = measure.photo_like, measure.band_shifts


def test_band_shift_sees_a_painted_border():
    """The measure itself: a band of colour painted along one edge is found, and only there."""
    reference = photo_like(256, 320, seed=3)
    marked = reference.copy()
    marked[-12:] = (0, 220, 255)
    border, inner = band_shifts(marked, reference)
    assert border > 40 and inner == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", bundled_names())
def test_no_bundled_model_marks_the_border(name):
    stylizer = Stylizer(model=name, backend="onnxruntime", device="cpu")
    worst = measure.worst_border(stylizer.stylize)
    assert worst < LIMIT, f"{name}: border bands shift by up to {worst:.1f} Lab units"
