"""Keep freed memory in the process while frames stream through it.

A frame loop allocates and frees the same large arrays on every frame (a 640x480 float image is 3.7 MB). glibc
may serve such blocks with fresh mmap()s or trim them off its heaps when they are freed, and then every frame
touches new pages and pays a page fault per 4 KB. It adapts its thresholds as large blocks come and go, so a
plain single-threaded loop often escapes, but the threaded pipelines did not: in `live` at 640x480 --scale 0.5
the output thread's postprocessing took 19-28 ms per frame (p50) with glibc's defaults and 7-13 ms with freed
memory kept (benchmarks/results/live_cpu.json, before and after). In a fresh process, guided upsampling of one
640x480 frame pays about 5,100 faults (16 ms) against none (7 ms) once memory is kept (tests/test_allocator.py).
Fixing glibc's mmap and trim thresholds high keeps freed blocks for reuse; the process's footprint stays at its
peak instead of shrinking between frames.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MMAP_LIMIT = 32 << 20  # glibc's largest mmap threshold on 64-bit; larger blocks (4K float frames) still mmap
_TRIM_LIMIT = 512 << 20


def keep_freed_memory() -> bool:
    """Tell glibc to keep freed blocks of up to 32 MB; True when it took effect (False off glibc, e.g. macOS,
    Windows or musl, where there is nothing to do or no such knob). Process-wide: `video` and `live` call it
    before their frame loops; programs that stream frames through the Python API may call it too."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_LIMIT)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_LIMIT))
