"""Reading and writing images the way every stylecast command does it.

Reading normalises what users actually have (grayscale, alpha, 16-bit) to 8-bit BGR and turns what cannot be
used (missing, empty, not an image, CMYK) into a one-line UserError. Writing is atomic: encode to memory, write a
temporary file beside the target, then rename, so a failed or interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from .errors import UserError
from .image_header import MAX_PIXELS, declared_size, jpeg_frame

WRITABLE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
IMAGE_EXTENSIONS = WRITABLE_EXTENSIONS  # what folders are searched for (stylize, batch): the same formats
KEPT_FORMATS = (".png", ".jpg", ".jpeg", ".webp")  # an output keeps its input's format if it is one of these


def decode_image(data: bytes, name: str = "input", max_pixels: int = MAX_PIXELS,
                 longest: int | None = None, keep_alpha: bool = False) -> np.ndarray:
    """Decode encoded image bytes to HxWx3 uint8 BGR, converting grayscale, alpha and 16-bit. A size declared
    beyond `max_pixels` is refused before decoding (image_header.py). `longest` (what --max-size will shrink the
    image to) lets a JPEG decode at 1/2, 1/4 or 1/8 of its size straight away, as long as that stays at least
    `longest` on its longer side: a large photo then never exists in memory at full size."""
    if len(data) == 0:
        raise UserError(f"{name}: file is empty")
    frame = jpeg_frame(data)  # a JPEG's markers are scanned once, for its size and its components
    size = (frame[2], frame[1]) if frame is not None else declared_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise UserError(f"{name}: declares {size[0]}x{size[1]} pixels ({size[0] * size[1] / 1e6:.0f} megapixels), over "
                        f"the limit of {max_pixels:,}; raise it with --max-pixels if the image is real")
    if size is not None and 0 in size:
        raise UserError(f"{name}: declares an empty image ({size[0]}x{size[1]})")
    if frame is not None and frame[0] == 4:
        raise UserError(f"{name}: CMYK images are not supported; convert it to RGB first")
    # JPEG (8-bit, no alpha) decodes as colour, which applies its EXIF orientation as every photo viewer does;
    # IMREAD_UNCHANGED, which keeps alpha and 16-bit for the other formats, ignores it.
    jpeg = data[:2] == b"\xff\xd8"
    flags = cv2.IMREAD_COLOR if jpeg else cv2.IMREAD_UNCHANGED
    if jpeg and longest and size is not None:
        for factor, reduced in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                (2, cv2.IMREAD_REDUCED_COLOR_2)):
            if max(size) // factor >= longest:
                flags = reduced
                break
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None or image.size == 0:
        raise UserError(f"{name}: not an image, or a format OpenCV cannot decode")
    return to_bgr8(image, name, keep_alpha)


def to_bgr8(image: np.ndarray, name: str = "input", keep_alpha: bool = False) -> np.ndarray:
    """Normalise a decoded array (any of gray, gray+alpha, BGR, BGRA; 8 or 16 bit) to HxWx3 uint8 BGR; with
    `keep_alpha`, an image with alpha comes back as HxWx4 BGRA instead of composited over white."""
    if image.dtype == np.uint16:
        image = (image.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise UserError(f"{name}: {image.dtype} pixels are not supported; use 8- or 16-bit images")
    if image.ndim == 2:
        image = image[:, :, None]
    channels = image.shape[2]
    if channels in (2, 4) and keep_alpha:
        colour = image[:, :, :-1] if channels == 4 else np.repeat(image[:, :, :1], 3, axis=2)
        return np.ascontiguousarray(np.concatenate([colour, image[:, :, -1:]], axis=2))
    if channels in (2, 4):  # composite over white, so transparent areas do not become arbitrary colours
        alpha = image[:, :, -1:].astype(np.float32) / 255.0
        colour = image[:, :, :-1].astype(np.float32)
        image = (colour * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
        channels -= 1
    if channels == 1:
        image = np.repeat(image, 3, axis=2)
    elif channels != 3:
        raise UserError(f"{name}: images with {channels} channels are not supported")
    return np.ascontiguousarray(image)


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, longest: int | None = None,
               keep_alpha: bool = False) -> np.ndarray:
    """Read an image file as HxWx3 uint8 BGR, or raise a UserError that names the file and the problem."""
    return decode_image(read_image_bytes(path), str(path), max_pixels, longest, keep_alpha)


def read_image_bytes(path: str | os.PathLike) -> bytes:
    """An image file's bytes, undecoded, or a UserError: only regular files are read (a FIFO would block, a device
    such as /dev/zero would be read without end)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a directory, not an image")
    if not path.is_file():
        raise UserError(f"{path}: is not a regular file (a device, FIFO or socket), not an image")
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror or error})") from None


def image_files(folder: str | os.PathLike, extensions: tuple[str, ...]) -> list[Path]:
    """Files under `folder` (recursively) whose extension is one of `extensions`, sorted by path."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in extensions and p.is_file())


def refuse_special_output(path: Path) -> None:
    """A UserError for an existing output path that is not a regular file (followed through links)."""
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file (a device, FIFO or socket)"
        raise UserError(f"{path}: is {kind}; give a file name (stylecast never writes over such a path)")


def file_identity(path: Path | None) -> tuple[int, int] | None:
    """(device, inode) of an existing file, the same through links and other spellings; None otherwise."""
    try:
        status = os.stat(path) if path is not None else None
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if status is not None else None


def refuse_overwriting_input(output: Path, inputs: dict[tuple[int, int], Path]) -> None:
    """A UserError when `output` is one of the inputs, given as {file_identity: path} (built once for a whole
    folder, so checking every output against every input costs one stat per output)."""
    source = inputs.get(file_identity(output))
    if source is not None:
        raise UserError(f"{output}: is the input {source}; choose another output (the input is never overwritten)")


def check_output_path(path: str | os.PathLike) -> Path:
    """Validate an output path before any long work starts: a known image extension, not a device or folder, and a
    place where a file can be created. Nothing is created here: a run refused later leaves no empty folders."""
    path = Path(path)
    if path.suffix.lower() not in WRITABLE_EXTENSIONS:
        raise UserError(f"{path}: unknown output extension {path.suffix!r}; choose one of "
                        f"{', '.join(WRITABLE_EXTENSIONS)}")
    check_writable_place(path)
    return path


def check_writable_place(path: Path) -> None:
    """A UserError when `path` could not be written: it is a device, FIFO or folder, its name is too long, or its
    nearest existing folder is a file or cannot be written to (for this user)."""
    refuse_special_output(path)
    limit = os.pathconf(path.parent if path.parent.exists() else "/", "PC_NAME_MAX") if hasattr(os, "pathconf") \
        else 255
    if len(os.fsencode(path.name)) > limit:
        raise UserError(f"{path}: file name longer than the {limit} bytes this file system allows")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{path}: cannot create it, {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot write in {folder} (permission denied or read-only)")


def encode_image(image: np.ndarray, extension: str, quality: int = 95) -> bytes:
    """Encode HxWx3 uint8 BGR to the format named by `extension` (".png", ".jpg", ...)."""
    extension = extension.lower()
    params: list[int] = []
    if extension in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif extension == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, buffer = cv2.imencode(extension, image, params)
    if not ok:
        raise UserError(f"cannot encode an image as {extension}")
    return buffer.tobytes()


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes so that `path` either keeps its old content or holds all of the new one. An existing path that
    is not a regular file (a device such as /dev/null, a FIFO, a folder) is refused, never replaced by a file."""
    path = Path(path)
    refuse_special_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    """Atomically write HxWx3 uint8 BGR to `path`, in the format its extension names."""
    path = check_output_path(path)
    return write_atomic(path, encode_image(image, path.suffix, quality))
