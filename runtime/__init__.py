"""The lean stylecast runtime: numpy, OpenCV and onnxruntime (TensorRT when present).

Nothing in this package imports torch at import time; the torch backend imports it only when a user picks it.
"""

__version__ = "0.1.0"
