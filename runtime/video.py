"""`stylecast video`: stylise a video file with decoding, stylisation and encoding overlapped in threads.

Decoding and encoding run in their own threads with small bounded queues, so the network (the slow stage) never
waits for I/O; the encoding thread also finishes each frame (upsampling, blending, stabiliser) while the network
runs on the next. The video goes to a temporary file that is renamed into place at the end: H.264 with the
source's audio through the FFmpeg that imageio-ffmpeg ships, or OpenCV's writer where it is missing
(video_writer.py).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from .allocator import keep_freed_memory
from .errors import UserError
from .native_stderr import quiet_native_stderr
from .latency import LatencyLog, finish_frame, start_frame
from .progress import progress_bar
from .imageio import file_identity
from .video_writer import DEFAULT_CRF, VideoFile, check_video_output

_END = object()
MIN_FRAME_SIDE = 16  # below this the stabiliser's flow pyramid has no levels (a 1x1 video used to hang)


@dataclass
class VideoReport:
    frames: int = 0
    corrupt_frames: int = 0
    seconds: float = 0.0
    audio: str = "none"
    codec: str = ""
    note: str = ""  # a fallback or a special case the user should know of, said once
    latency: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"frames": self.frames, "dropped_frames": 0, "corrupt_frames": self.corrupt_frames,
                "fps": round(self.frames / self.seconds, 3) if self.seconds else 0.0,
                "seconds": round(self.seconds, 3), "audio": self.audio, "codec": self.codec, "latency": self.latency}


def open_video(path: str | Path) -> cv2.VideoCapture:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such video file")
    with quiet_native_stderr():
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise UserError(f"{path}: not a video OpenCV can decode")
        ok, frame = capture.read()
    if not ok or frame is None:
        raise UserError(f"{path}: no decodable frames")
    if min(frame.shape[:2]) < MIN_FRAME_SIDE:
        raise UserError(f"{path}: frames of {frame.shape[1]}x{frame.shape[0]} are below the {MIN_FRAME_SIDE} px a side "
                        "that stylisation and its optical flow need")
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return capture


def stylise_video(stylizer, source: str | Path, out: str | Path, progress: bool = True,
                  frame_filter=None, crf: int = DEFAULT_CRF, encoder: str = "auto") -> VideoReport:
    """Stylise every frame of `source` into `out`; `frame_filter(input, stylised) -> frame` may post-process
    (the temporal stabiliser plugs in here). `crf` and `encoder` as in video_writer.open_writer."""
    with stylizer.clip():
        return _stylise_video(stylizer, source, out, progress, frame_filter, crf, encoder)


def _stylise_video(stylizer, source, out, progress, frame_filter, crf, encoder) -> VideoReport:
    source, out = Path(source), Path(out)
    check_video_output(out)
    if file_identity(out) is not None and file_identity(out) == file_identity(source):
        raise UserError(f"{out}: the output would overwrite the input")
    capture = open_video(source)
    keep_freed_memory()
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    video_file = VideoFile(out, fps, crf, source, encoder)
    report, log = VideoReport(), LatencyLog()
    decoded: queue.Queue = queue.Queue(maxsize=8)
    encoded: queue.Queue = queue.Queue(maxsize=8)
    errors: list[BaseException] = []
    stop = threading.Event()

    def put(target: queue.Queue, item) -> None:
        """Put, unless the run is stopping: a full queue whose reader has gone must never block a thread."""
        while not stop.is_set():
            try:
                target.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

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
                put(decoded, (frame, time.perf_counter() - start))
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)
        finally:
            put(decoded, _END)

    def encode():
        try:
            while True:
                item = encoded.get()
                if item is _END:
                    break
                pending, started = item
                frame = finish_frame(stylizer, pending, log, frame_filter)  # overlaps the next frame's network
                t = time.perf_counter()
                video_file.write(frame)
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
    bar = progress_bar(total=total, quiet=not progress, desc="video", unit="frame")
    start = time.perf_counter()
    try:  # whatever happens from here (an error, Ctrl-C, SIGTERM), the encoder is stopped and the folder removed
        try:  # the main thread's part: start each frame's network, hand it to the encoder
            while True:
                t = time.perf_counter()
                try:
                    item = decoded.get(timeout=0.1)
                except queue.Empty:  # a decoder that stopped (another thread's error) sends no end mark
                    if errors or not threads[0].is_alive():
                        break
                    continue
                if item is _END:
                    break
                frame, decode_seconds = item
                log.add("capture_wait", time.perf_counter() - t + decode_seconds)
                began = time.perf_counter() - decode_seconds
                encoded.put((start_frame(stylizer, frame, log, frame_filter), began))
                report.frames += 1
                bar.update(1)
                bar.set_postfix(fps=f"{report.frames / (time.perf_counter() - start):.1f}")
                if errors:
                    break
        finally:  # bounded: no queue can block a stopping thread
            encoded.put(_END)  # the encoder finishes what it has (or drains after its own error), then stops
            threads[1].join()
            stop.set()  # the decoder may be waiting to put a frame nobody will read
            threads[0].join()
            bar.close()
            capture.release()
        if errors:
            raise errors[0]
        if report.frames == 0:
            raise UserError(f"{source}: no frames could be decoded")
        info = video_file.finish()
        report.seconds = time.perf_counter() - start
        report.codec, report.audio, report.note = info.codec, info.audio, info.note
    finally:
        video_file.discard()
    if total and report.frames + report.corrupt_frames < total:
        report.note = (f"{report.note}; " if report.note else "") + (
            f"the stream ended after {report.frames + report.corrupt_frames} of the {total} frames it declares")
    report.latency = log.report()
    return report
