"""int8 static quantisation (QDQ) with onnxruntime, calibrated on a folder of photos, for the CPU.

Convolutions get int8 weights (per channel) and activations; pre/post-processing and instance norm stay float.
Parity is reported as PSNR against fp32 PyTorch, like fp16.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylecast.runtime.errors import UserError, missing_dependency
from stylecast.runtime.imageio import image_files, read_image

CALIBRATION_SIZE = 256
MAX_CALIBRATION_IMAGES = 32


def calibration_batches(folder: str | Path, layout: str) -> list[np.ndarray]:
    files = image_files(folder, (".jpg", ".jpeg", ".png", ".webp"))
    if not files:
        raise UserError(f"{folder}: no calibration photos (.jpg, .png, .webp) found")
    batches = []
    for path in files[:MAX_CALIBRATION_IMAGES]:
        image = cv2.resize(read_image(path), (CALIBRATION_SIZE, CALIBRATION_SIZE), interpolation=cv2.INTER_AREA)
        if layout == "bgr8":
            batches.append(image[None])
        else:
            batches.append((image[:, :, ::-1].transpose(2, 0, 1)[None] / 255.0).astype(np.float32))
    return batches


def quantize_int8(model, calibration: str | Path, layout: str):
    """Quantise an fp32 ModelProto; returns the int8 (QDQ) ModelProto."""
    try:
        import onnx
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    except ModuleNotFoundError:
        raise missing_dependency("onnxruntime quantization", "stylecast[export]") from None

    batches = calibration_batches(calibration, layout)
    name = model.graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(batches)

        def get_next(self):
            item = next(self.items, None)
            return None if item is None else {name: item}

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, source)
        quantize_static(str(source), str(target), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"])
        return onnx.load(str(target))
