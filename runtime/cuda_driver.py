"""The CUDA driver through ctypes: how many NVIDIA GPUs there are, and how much of one's memory is in use.

`stylecast backends` and `stylecast bench` need these two facts without a deep-learning framework or cuda-python:
libcuda ships with every NVIDIA driver, so it is there wherever a GPU is, and nothing else is needed.
"""

from __future__ import annotations

import ctypes


def _driver():
    """libcuda, initialised; None without a driver (or where it cannot initialise: no device, broken install)."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            driver = ctypes.CDLL(name)
        except OSError:
            continue
        return driver if driver.cuInit(0) == 0 else None
    return None


def cuda_devices() -> int:
    """NVIDIA GPUs the CUDA driver reports (0 without a driver), without importing any framework."""
    driver, count = _driver(), ctypes.c_int(0)
    if driver is None or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def device_memory_used(device: int = 0) -> int | None:
    """Bytes in use on GPU `device` by every process (total minus free), or None without a driver or device.

    Read in the device's primary context, the one the CUDA runtime (and so onnxruntime and TensorRT) uses; when
    no one holds it yet, retaining it creates it, so a reading before a model is loaded already includes the
    context's own memory and a later difference is the model's."""
    driver = _driver()
    dev, ctx = ctypes.c_int(0), ctypes.c_void_p()
    if driver is None or driver.cuDeviceGet(ctypes.byref(dev), device) != 0:
        return None
    if driver.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev) != 0:
        return None
    free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
    try:
        if driver.cuCtxPushCurrent_v2(ctx) != 0:
            return None
        try:
            ok = driver.cuMemGetInfo_v2(ctypes.byref(free), ctypes.byref(total)) == 0
        finally:
            driver.cuCtxPopCurrent_v2(ctypes.byref(ctypes.c_void_p()))
    finally:
        driver.cuDevicePrimaryCtxRelease_v2(dev)
    return total.value - free.value if ok else None
