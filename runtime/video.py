"""`stylecast video`: stylise a video file with decoding, stylisation and encoding overlapped in threads.

Decoding and encoding run in their own threads with small bounded queues, so the network (the slow stage) never
waits for I/O; the encoding thread also finishes each frame (upsampling, blending, stabiliser) while the network
runs on the next. The video goes to a temporary file that is renamed into place at the end; the original audio is
then muxed back with the ffmpeg that imageio-ffmpeg ships, when it is installed (and the run says so when not).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from tqdm.auto import tqdm

from .allocator import keep_freed_memory
from .errors import UserError
from .latency import LatencyLog, finish_frame, start_frame

FOURCC = {".mp4": "mp4v", ".avi": "MJPG", ".mkv": "mp4v", ".mov": "mp4v"}
_END = object()


@dataclass
class VideoReport:
    frames: int = 0
    corrupt_frames: int = 0
    seconds: float = 0.0
    audio: str = "none"
    latency: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"frames": self.frames, "dropped_frames": 0, "corrupt_frames": self.corrupt_frames,
                "fps": round(self.frames / self.seconds, 3) if self.seconds else 0.0,
                "seconds": round(self.seconds, 3), "audio": self.audio, "latency": self.latency}


def open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such video file")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise UserError(f"{path}: not a video OpenCV can decode")
    ok, frame = capture.read()
    if not ok or frame is None:
        raise UserError(f"{path}: no decodable frames")
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return capture


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


def mux_audio(ffmpeg: str, video: Path, source: Path, out: Path) -> None:
    command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-i", str(video), "-i", str(source),
               "-map", "0:v:0", "-map", "1:a?", "-c:v", "copy", "-c:a", "aac", "-shortest", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise UserError(f"ffmpeg could not mux the audio: {result.stderr.strip().splitlines()[-1][:200]}")


def stylise_video(stylizer, source: str | Path, out: str | Path, progress: bool = True,
                  frame_filter=None) -> VideoReport:
    """Stylise every frame of `source` into `out`; `frame_filter(input, stylised) -> frame` may post-process
    (the temporal stabiliser plugs in here)."""
    source, out = Path(source), Path(out)
    if out.suffix.lower() not in FOURCC:
        raise UserError(f"{out}: unknown video extension {out.suffix!r}; choose one of {', '.join(FOURCC)}")
    if out.resolve() == source.resolve():
        raise UserError(f"{out}: the output would overwrite the input")
    capture = open_video(source)
    keep_freed_memory()
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    silent = tmp_dir / f"video{out.suffix}"
    report, log = VideoReport(), LatencyLog()
    decoded: queue.Queue = queue.Queue(maxsize=8)
    encoded: queue.Queue = queue.Queue(maxsize=8)
    errors: list[BaseException] = []
    stop = threading.Event()

    def decode():
        try:
            while not stop.is_set():
                start = time.perf_counter()
                ok, frame = capture.read()
                if not ok:
                    break
                if frame is None or frame.ndim != 3 or frame.size == 0:
                    report.corrupt_frames += 1
                    continue
                decoded.put((frame, time.perf_counter() - start))
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)
        finally:
            decoded.put(_END)

    writer_box: dict = {}

    def encode():
        try:
            while True:
                item = encoded.get()
                if item is _END:
                    break
                pending, started = item
                frame = finish_frame(stylizer, pending, log, frame_filter)  # overlaps the next frame's network
                t = time.perf_counter()
                if "writer" not in writer_box:
                    h, w = frame.shape[:2]
                    writer = cv2.VideoWriter(str(silent), cv2.VideoWriter_fourcc(*FOURCC[out.suffix.lower()]),
                                             fps, (w, h))
                    if not writer.isOpened():
                        raise UserError(f"{out}: OpenCV cannot encode {out.suffix} here")
                    writer_box["writer"] = writer
                writer_box["writer"].write(frame)
                now = time.perf_counter()
                log.add("output", now - t)
                log.add("end_to_end", now - started)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
            stop.set()
            while encoded.get() is not _END:  # drain so the producer never blocks
                pass

    threads = [threading.Thread(target=decode, daemon=True), threading.Thread(target=encode, daemon=True)]
    for thread in threads:
        thread.start()
    bar = tqdm(total=total, desc="video", unit="frame", disable=not progress, leave=False)
    start = time.perf_counter()
    try:
        while True:
            t = time.perf_counter()
            item = decoded.get()
            if item is _END:
                break
            frame, decode_seconds = item
            log.add("capture_wait", time.perf_counter() - t + decode_seconds)
            began = time.perf_counter() - decode_seconds
            encoded.put((start_frame(stylizer, frame, log, frame_filter), began))
            report.frames += 1
            bar.update(1)
            elapsed = time.perf_counter() - start
            bar.set_postfix(fps=f"{report.frames / elapsed:.1f}")
            if errors:
                break
    finally:
        stop.set()
        encoded.put(_END)
        for thread in threads:
            thread.join()
        bar.close()
        capture.release()
        if "writer" in writer_box:
            writer_box["writer"].release()
    try:
        if errors:
            raise errors[0]
        if report.frames == 0:
            raise UserError(f"{source}: no frames could be decoded")
        report.seconds = time.perf_counter() - start
        ffmpeg = ffmpeg_executable()
        if ffmpeg is None:
            report.audio = "not kept: pip install imageio-ffmpeg to keep the audio"
            os.replace(silent, out)
        elif has_audio(ffmpeg, source):
            muxed = tmp_dir / f"muxed{out.suffix}"
            mux_audio(ffmpeg, silent, source, muxed)
            os.replace(muxed, out)
            report.audio = "kept"
        else:
            report.audio = "none in the input"
            os.replace(silent, out)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    report.latency = log.report()
    return report
