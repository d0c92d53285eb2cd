"""Paths of the sample images shipped inside the package, so the first command works on a fresh machine."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "data" / "samples"
SAMPLE_CONTENT = SAMPLES / "astronaut.jpg"
SAMPLE_STYLE = SAMPLES / "hubble_deep_field.jpg"
