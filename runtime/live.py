"""`stylecast live`: real-time stylisation of a camera, file, URL or GStreamer source.

Three stages overlap: a capture thread that keeps only the newest frame (older unread frames are dropped and
counted, so latency never builds up behind a slow network), the network loop, and an output thread that finishes
each frame (guided upsampling, colour, strength, stabiliser, overlay) and shows, writes or records it while the
network already runs on the next one. File sources are paced at their own frame rate, like a camera, unless
`pace=False`, and every frame of a file is processed (the reader waits for the network) unless `drop_frames`
asks for a camera's behaviour: so `--frames N` on a file means its first N frames.
"""

from __future__ import annotations

import contextlib

import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from .allocator import keep_freed_memory
from .errors import UserError
from .latency import LatencyLog, finish_frame, start_frame
from .native_stderr import quiet_native_stderr
from .video import MIN_FRAME_SIDE
from .video_writer import VideoFile

RECONNECT_ATTEMPTS = 5


def open_source(source: str) -> tuple[cv2.VideoCapture, str]:
    """(capture, kind) with kind one of camera, file, url, gstreamer; a missing source is a UserError."""
    if not source.isdigit() and "!" not in source and "://" not in source and not Path(source).is_file():
        raise UserError(f"{source}: no such file (give a camera index, a file, a URL or a GStreamer pipeline)")
    with quiet_native_stderr():
        if source.isdigit():
            capture, kind = cv2.VideoCapture(int(source)), "camera"
        elif "!" in source:
            capture, kind = cv2.VideoCapture(source, cv2.CAP_GSTREAMER), "gstreamer"
        elif "://" in source:
            capture, kind = cv2.VideoCapture(source), "url"
        else:
            capture, kind = cv2.VideoCapture(source), "file"
    if not capture.isOpened():
        what = {"camera": f"camera {source} is not available (is it connected, and free?)",
                "gstreamer": "this GStreamer pipeline does not open (is OpenCV built with GStreamer?)",
                "url": f"{source}: stream does not open", "file": f"{source}: not a video OpenCV can decode"}
        raise UserError(what[kind])
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture, kind


def check_display() -> None:
    """A window needs a display: without one, OpenCV's GUI aborts the whole process (exit 134)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UserError("no display to open a window on (DISPLAY is not set): run with --no-window, and "
                        "--output FILE.mp4 or --output - to keep the frames")


class LatestFrame(threading.Thread):
    """Reads frames continuously and keeps only the newest one."""

    def __init__(self, source: str, pace: bool = True, drop_frames: bool = False, loop: bool = False):
        super().__init__(daemon=True)
        self.source = source
        self.capture, self.kind = open_source(source)
        self.loop = loop and self.kind == "file"
        self.passes = 1
        self.wait_for_reader = self.kind == "file" and not drop_frames  # a file has no frames to lose
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.interval = 1.0 / fps if pace and self.kind == "file" and fps and fps > 0 else 0.0
        self.condition = threading.Condition()
        self.frame: np.ndarray | None = None
        self.stamp = 0.0
        self.fresh = False
        self.ended = False
        self.error: str | None = None
        self.dropped = self.corrupt = self.read = 0
        self.stopping = threading.Event()

    def run(self):
        next_due = time.perf_counter()
        failures = read_this_pass = 0
        while not self.stopping.is_set():
            ok, frame = self.capture.read()
            if not ok and self.loop and read_this_pass:  # replay from the start (reopened: seeking is inexact)
                self.capture.release()
                self.capture, _ = open_source(self.source)
                self.passes += 1
                read_this_pass = 0
                continue
            if not ok:
                if self.kind == "url" and failures < RECONNECT_ATTEMPTS:
                    failures += 1
                    time.sleep(0.5 * failures)
                    self.capture.release()
                    self.capture = cv2.VideoCapture(self.source)
                    continue
                if self.kind == "camera":
                    self.error = f"camera {self.source} disconnected"
                elif self.kind == "url":
                    self.error = f"{self.source}: stream lost after {RECONNECT_ATTEMPTS} reconnect attempts"
                break
            failures = 0
            read_this_pass += 1
            if frame is None or frame.ndim != 3 or frame.size == 0:
                self.corrupt += 1
                continue
            if self.interval:
                next_due += self.interval
                delay = next_due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            with self.condition:
                while self.wait_for_reader and self.fresh and not self.stopping.is_set():
                    self.condition.wait(timeout=0.5)
                if self.stopping.is_set():
                    break  # the consumer has all it wanted: this frame is not dropped, just not needed
                self.read += 1
                if self.fresh:
                    self.dropped += 1
                self.frame, self.stamp, self.fresh = frame, time.perf_counter(), True
                self.condition.notify_all()
        with self.condition:
            self.ended = True
            self.condition.notify_all()
        self.capture.release()

    def next(self) -> tuple[np.ndarray, float] | None:
        """The newest unseen frame and when it was captured; None once the source has ended."""
        with self.condition:
            while not self.fresh and not self.ended:
                self.condition.wait(timeout=1.0)
            if not self.fresh:
                return None
            self.fresh = False
            self.condition.notify_all()  # a reader waiting to hand over the next frame of a file
            return self.frame, self.stamp

    def stop(self):
        self.stopping.set()
        with self.condition:
            self.condition.notify_all()


@dataclass
class LiveReport:
    frames: int = 0
    dropped_frames: int = 0
    corrupt_frames: int = 0
    seconds: float = 0.0
    source: str = ""
    ended_by: str = ""
    passes: int = 1  # times a file source was played (--loop)
    latency: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"frames": self.frames, "dropped_frames": self.dropped_frames, "corrupt_frames": self.corrupt_frames,
                "fps": round(self.frames / self.seconds, 3) if self.seconds else 0.0,
                "seconds": round(self.seconds, 3), "source": self.source, "passes": self.passes,
                "ended_by": self.ended_by, "latency": self.latency}


class Sink:
    """Where stylised frames go: stdout (raw BGR), a recorder, a window, a virtual camera; in its own thread.

    `put` takes a function that makes the frame, so the frame's last processing runs on this thread too."""

    def __init__(self, stdout: bool = False, record: str | None = None, window: bool = False,
                 virtual_camera: bool = False, log: LatencyLog | None = None, fps: float = 30.0):
        self.stdout, self.record_path, self.window, self.virtual = stdout, record, window, virtual_camera
        self.fps = fps  # of recordings
        self.log = log or LatencyLog()
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.recorder = None
        self.recording_to: str | None = None  # the path `recorder` writes; record_path may change under it
        self.camera = None
        self.key = -1
        self.last: np.ndarray | None = None  # the newest stylised frame without overlay, for screenshots
        self.error: BaseException | None = None
        if window:
            check_display()
            try:
                cv2.namedWindow("stylecast", cv2.WINDOW_NORMAL)
            except cv2.error:
                raise UserError("this OpenCV has no GUI support (opencv-python-headless): pip install "
                                "opencv-python, or run with --no-window") from None
        if virtual_camera:
            try:
                import pyvirtualcam  # noqa: F401
            except ImportError:
                raise UserError("a virtual camera needs pyvirtualcam: pip install pyvirtualcam") from None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def put(self, make_frame, captured: float) -> None:
        """Queue `make_frame()` (returns the BGR frame to output) for a frame captured at `captured`."""
        self.queue.put((make_frame, captured))

    def _run(self):
        try:
            while True:
                item = self.queue.get()
                if item is None:
                    break
                make_frame, captured = item
                frame = make_frame()
                start = time.perf_counter()
                if self.stdout:
                    sys.stdout.buffer.write(np.ascontiguousarray(frame).tobytes())
                    sys.stdout.buffer.flush()
                if self.record_path != self.recording_to:  # the 'r' key started, stopped or restarted recording
                    if self.recorder is not None:
                        self.recorder.finish()
                        self.recorder = None
                    self.recording_to = self.record_path
                if self.record_path:
                    if self.recorder is None:
                        self.recorder = VideoFile(Path(self.record_path), self.fps)
                    self.recorder.write(frame)
                if self.virtual:
                    if self.camera is None:
                        import pyvirtualcam

                        self.camera = pyvirtualcam.Camera(width=frame.shape[1], height=frame.shape[0], fps=30)
                    self.camera.send(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                if self.window:
                    cv2.imshow("stylecast", frame)
                    self.key = cv2.waitKey(1) & 0xFF
                now = time.perf_counter()
                self.log.add("output", now - start)
                self.log.add("end_to_end", now - captured)
        except BaseException as error:  # noqa: BLE001 - reported by the main loop
            self.error = error

    def close(self, keep: bool = True):
        """Stop the thread; a recording is finished and moved into place when `keep` (the run ended as asked: by
        its frame count, the source's end, q, Ctrl-C or SIGTERM) and nothing went wrong here, else removed."""
        self.queue.put(None)
        self.thread.join()
        if self.recorder is not None:
            if keep and self.error is None:
                self.recorder.finish()
            else:
                self.recorder.discard()
        if self.camera is not None:
            self.camera.close()
        if self.window:
            cv2.destroyAllWindows()


def overlay(frame: np.ndarray, text: str) -> np.ndarray:
    out = frame.copy()
    cv2.putText(out, text, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return out


@dataclass
class Controls:
    """What the window's keys change: n/p next/previous model, +/- strength of the current one, b side-by-side,
    s screenshot, r start/stop recording, q or Esc quit."""

    current: int = 0
    side_by_side: bool = False

    def press(self, key: int, stylizers: list, styled: np.ndarray | None, sink: "Sink") -> bool:
        """Apply one key; True means quit."""
        options = stylizers[self.current].options
        if key in (ord("q"), 27):
            return True
        if key == ord("n"):
            self.current = (self.current + 1) % len(stylizers)
        elif key == ord("p"):
            self.current = (self.current - 1) % len(stylizers)
        elif key in (ord("+"), ord("=")):
            options.strength = round(min(1.0, options.strength + 0.1), 2)
        elif key == ord("-"):
            options.strength = round(max(0.0, options.strength - 0.1), 2)
        elif key == ord("b"):
            self.side_by_side = not self.side_by_side
        elif key == ord("s") and styled is not None:
            cv2.imwrite(f"stylecast-{int(time.time())}.png", styled)
        elif key == ord("r"):
            sink.record_path = None if sink.record_path else f"stylecast-{int(time.time())}.mp4"
        return False


def run_live(stylizers: list, source: str, frames: int | None = None, window: bool = True, stdout: bool = False,
             record: str | None = None, virtual_camera: bool = False, pace: bool = True,
             frame_filter=None, drop_frames: bool = False, loop: bool = False) -> LiveReport:
    """The live loop over one or more models (keys: see Controls)."""
    with contextlib.ExitStack() as clips:
        for stylizer in stylizers:
            clips.enter_context(stylizer.clip())
        return _run_live(stylizers, source, frames, window, stdout, record, virtual_camera, pace, frame_filter,
                         drop_frames, loop)


def _run_live(stylizers, source, frames, window, stdout, record, virtual_camera, pace, frame_filter, drop_frames,
              loop) -> LiveReport:
    keep_freed_memory()
    log = LatencyLog()
    # a missing source fails here, before any output
    grabber = LatestFrame(source, pace=pace, drop_frames=drop_frames, loop=loop)
    source_fps = grabber.capture.get(cv2.CAP_PROP_FPS)
    sink = Sink(stdout=stdout, record=record, window=window, virtual_camera=virtual_camera, log=log,
                fps=source_fps if source_fps and 1 <= source_fps <= 240 else 30.0)
    report = LiveReport(source=source)
    controls = Controls()
    switched = False

    def finish(stylizer, pending, reset: bool, fps: float) -> np.ndarray:
        """The rest of one frame, on the sink's thread."""
        styled = finish_frame(stylizer, pending, log, frame_filter, reset)
        sink.last = styled
        if not window:
            return styled
        shown = (np.hstack([pending.frame, cv2.resize(styled, pending.frame.shape[1::-1])])
                 if controls.side_by_side else styled)
        total = pending.times.total * 1e3
        return overlay(shown, f"{stylizer.name}  {fps:.1f} fps  {total:.0f} ms")

    grabber.start()
    start = time.perf_counter()
    failed = False
    try:
        while frames is None or report.frames < frames:
            t = time.perf_counter()
            item = grabber.next()
            if item is None:
                report.ended_by = grabber.error or "source ended"
                break
            frame, captured = item
            if report.frames == 0 and min(frame.shape[:2]) < MIN_FRAME_SIDE:
                raise UserError(f"{source}: frames of {frame.shape[1]}x{frame.shape[0]} are below the "
                                f"{MIN_FRAME_SIDE} px a side that stylisation and its optical flow need")
            log.add("capture_wait", time.perf_counter() - t)
            stylizer = stylizers[controls.current]
            pending = start_frame(stylizer, frame, log, frame_filter)
            fps = (report.frames + 1) / max(time.perf_counter() - start, 1e-9)
            sink.put(partial(finish, stylizer, pending, switched, fps), captured)
            report.frames += 1
            if sink.error is not None:
                raise sink.error
            key, sink.key = sink.key, -1
            model_before_keys = controls.current
            if controls.press(key, stylizers, sink.last, sink):
                report.ended_by = "quit"
                break
            switched = controls.current != model_before_keys  # the stabiliser must not blend two models' frames
        else:
            report.ended_by = f"{frames} frames"
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM: an ending the user asked for, the recording is kept
        raise
    except BaseException:
        failed = True
        raise
    finally:
        grabber.stop()
        sink.close(keep=not failed)
        grabber.join(timeout=5)
    if sink.error is not None:  # the output failed on one of the last frames
        raise sink.error
    report.seconds = time.perf_counter() - start
    report.dropped_frames, report.corrupt_frames, report.passes = grabber.dropped, grabber.corrupt, grabber.passes
    report.latency = log.report()
    if grabber.error and report.frames == 0:
        raise UserError(grabber.error)
    return report
