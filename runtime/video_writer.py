"""Video encoders: H.264 through the FFmpeg that imageio-ffmpeg ships, OpenCV's writer as the fallback.

OpenCV's writer can only produce MPEG-4 Part 2 (`mp4v`) here: at its default quality a 0.7 MB clip became 64 MB that
browsers do not play. FFmpeg's libx264 at CRF 23 (its default quality) gives files of the input's order of size that
every browser plays, and it takes the source's audio in the same pass. Frames reach FFmpeg as raw BGR on a pipe.

Odd frame sizes: browsers' H.264 (4:2:0) needs even sides, so an odd-sized video is encoded in 4:4:4 at its exact
size and the writer says so (some browsers do not play 4:4:4); nothing is padded or cropped.

Every video (`video`'s output, `live`'s recording) is written into a hidden temporary folder beside its target and
renamed into place only once the encoder has finished it (VideoFile): a failed run leaves nothing behind, and an
existing file of the same name is either kept whole or replaced whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import UserError
from .imageio import check_writable_place

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".avi")
OPENCV_FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v", ".mov": "mp4v"}
DEFAULT_CRF = 23


def ffmpeg_executable() -> str | None:
    """The ffmpeg binary that imageio-ffmpeg ships, if it is installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return None


def has_audio(ffmpeg: str, path: Path) -> bool:
    probe = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, text=True)
    return "Audio:" in probe.stderr


@dataclass
class WriterInfo:
    codec: str  # what the file holds, e.g. "H.264 (libx264, CRF 23, yuv420p)"
    audio: str  # "kept", "none in the input", or why not
    note: str = ""  # said once to the user when not empty (fallbacks, 4:4:4)


class FfmpegWriter:
    """Raw BGR frames on FFmpeg's stdin; H.264 for .mp4/.mkv/.mov, Motion JPEG for .avi; audio from `audio_from`."""

    def __init__(self, ffmpeg: str, path: Path, size: tuple[int, int], fps: float, crf: int,
                 audio_from: Path | None):
        width, height = size
        odd = width % 2 or height % 2
        suffix = path.suffix.lower()
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "rawvideo",
                   "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", f"{fps:.6g}", "-i", "-"]
        audio = audio_from is not None and has_audio(ffmpeg, audio_from)
        if audio:
            command += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-shortest"]
        if suffix == ".avi":
            command += ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj444p" if odd else "yuvj420p"]
            codec = "Motion JPEG"
        else:
            pix_fmt = "yuv444p" if odd else "yuv420p"
            command += ["-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-pix_fmt", pix_fmt]
            if suffix in (".mp4", ".mov"):
                command += ["-movflags", "+faststart"]
            codec = f"H.264 (libx264, CRF {crf}, {pix_fmt})"
        command += ["-f", {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".avi": "avi"}[suffix], str(path)]
        self._log = tempfile.TemporaryFile()  # FFmpeg's own messages, read back only if it fails
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        self.size = size
        note = (f"odd frame size {width}x{height}: encoded in 4:4:4 at its exact size (some browsers play only "
                "4:2:0, which needs even sides)" if odd and suffix != ".avi" else "")
        self.info = WriterInfo(codec, "kept" if audio else ("none in the input" if audio_from else "none"), note)

    def write(self, frame: np.ndarray) -> None:
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).data)
        except (BrokenPipeError, OSError):
            self.close()  # raises with FFmpeg's own reason
            raise UserError("ffmpeg stopped taking frames") from None

    def close(self) -> None:
        if self._process.stdin and not self._process.stdin.closed:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        code = self._process.wait()
        if self._log.closed:  # closed before (after a failed write): its reason was given then
            return
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        self._log.close()
        if code != 0:
            raise UserError(f"ffmpeg could not encode the video: {(lines[-1] if lines else f'exit {code}')[:200]}")

    def abort(self) -> None:
        """Stop FFmpeg without waiting for it to finish the file (the caller deletes it)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._log.close()


class OpenCVWriter:
    """OpenCV's own writer: MPEG-4 Part 2 or Motion JPEG, no audio. Used only where FFmpeg is missing."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float, asked: bool = False):
        suffix = path.suffix.lower()
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*OPENCV_FOURCC[suffix]), fps, size)
        if not self._writer.isOpened():
            raise UserError(f"{path}: OpenCV cannot encode {suffix} here")
        self.size = size
        self.info = WriterInfo(f"OpenCV {OPENCV_FOURCC[suffix]}", "not kept (OpenCV's writer has no audio)",
                               "" if asked else "FFmpeg (pip install imageio-ffmpeg) is not installed: writing with "
                               "OpenCV's encoder, large files that browsers may not play, no audio")

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(frame)

    def close(self) -> None:
        self._writer.release()

    def abort(self) -> None:
        self._writer.release()


def check_video_output(path: Path) -> None:
    """Before any work: a known video extension and a place where the file can be created."""
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise UserError(f"{path}: unknown video extension {path.suffix!r}; choose one of "
                        f"{', '.join(VIDEO_EXTENSIONS)}")
    check_writable_place(path)


class VideoFile:
    """A video that appears at `out` only when complete: frames go to an encoder writing into a hidden temporary
    folder beside `out` (opened at the first frame, which gives the size); `finish()` closes the encoder and renames
    the file into place; `discard()` (safe after finish) stops the encoder and removes the folder."""

    def __init__(self, out: Path, fps: float, crf: int = DEFAULT_CRF, audio_from: Path | None = None,
                 encoder: str = "auto"):
        check_video_output(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out, self.fps, self.crf, self.audio_from, self.encoder = out, fps, crf, audio_from, encoder
        self.tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        self.partial = self.tmp_dir / f"video{out.suffix}"
        self.writer = None
        self.finished = False

    def write(self, frame: np.ndarray) -> None:
        if self.writer is None:
            h, w = frame.shape[:2]
            self.writer = open_writer(self.partial, (w, h), self.fps, self.crf, self.audio_from, self.encoder)
        self.writer.write(frame)

    def finish(self) -> WriterInfo | None:
        """Close the encoder and move the file into place; the writer's info, or None when no frame came."""
        try:
            if self.writer is None:
                return None
            self.writer.close()
            os.replace(self.partial, self.out)
            self.finished = True
            return self.writer.info
        finally:
            self.discard()

    def discard(self) -> None:
        if self.writer is not None and not self.finished:
            self.writer.abort()
            self.finished = True
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


def open_writer(path: Path, size: tuple[int, int], fps: float, crf: int = DEFAULT_CRF,
                audio_from: Path | None = None, encoder: str = "auto"):
    """A writer for `path` (a temporary name; the caller renames it into place). `encoder`: auto (FFmpeg when
    installed, else OpenCV), ffmpeg (an error when missing) or opencv."""
    ffmpeg = ffmpeg_executable() if encoder in ("auto", "ffmpeg") else None
    if ffmpeg is None and encoder == "ffmpeg":
        raise UserError("--encoder ffmpeg needs FFmpeg: pip install imageio-ffmpeg")
    if ffmpeg is not None:
        return FfmpegWriter(ffmpeg, path, size, fps, crf, audio_from)
    return OpenCVWriter(path, size, fps, asked=encoder == "opencv")
