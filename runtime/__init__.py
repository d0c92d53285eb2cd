"""The lean stylecast runtime: numpy, OpenCV and onnxruntime (TensorRT when present).

Nothing in this package imports torch at import time; the torch backend imports it only when a user picks it.
"""

__version__ = "0.1.0"


def __getattr__(name):
    """`from stylecast.runtime import Stylizer` without importing onnxruntime for every CLI command."""
    if name in ("Stylizer", "StylizeOptions"):
        from . import stylizer

        return getattr(stylizer, name)
    if name == "Stabilizer":
        from .stabilizer import Stabilizer

        return Stabilizer
    if name == "keep_freed_memory":
        from .allocator import keep_freed_memory

        return keep_freed_memory
    raise AttributeError(name)
