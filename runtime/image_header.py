"""Image sizes read from file headers, before anything is decoded.

A 6.5 KB JPEG can declare 30000x30000 pixels and make a decoder allocate gigabytes before it fails; a 34-byte WebP
can declare 16383x16383. Reading the declared size first lets the runtime refuse such a file with one line, at no
cost (`MAX_PIXELS`, raised with `--max-pixels`). Formats: PNG, JPEG, BMP, WebP (lossy, lossless, extended) and
TIFF; anything else returns None and is left to the decoder.
"""

from __future__ import annotations

import struct

MAX_PIXELS = 100_000_000  # 100 megapixels: 300 MB as 8-bit BGR, before the network's own buffers


def jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """(components, height, width) from a JPEG's frame header (SOF marker), None if not a JPEG or none found."""
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width, components.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 10 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return data[i + 9], height, width
        i += 2 + length
    return None


def _tiff_size(data: bytes) -> tuple[int, int] | None:
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8:
        return None
    (offset,) = struct.unpack(order + "I", data[4:8])
    if offset + 2 > len(data):
        return None
    (count,) = struct.unpack(order + "H", data[offset:offset + 2])
    found = {}
    for k in range(count):
        entry = data[offset + 2 + 12 * k: offset + 14 + 12 * k]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            short = kind == 3
            found[tag] = struct.unpack(order + ("H" if short else "I"), entry[8:10] if short else entry[8:12])[0]
    return (found[256], found[257]) if len(found) == 2 else None


def declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) the file declares, or None when the format is not one of those above or is cut short."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    frame = jpeg_frame(data)
    if frame is not None:
        return frame[2], frame[1]
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff_size(data)
    return None
