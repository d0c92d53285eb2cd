"""Batch stylisation of a photo library or a film archive: in this process, or on a Ray cluster (`--engine ray`).

A job is a list of (input, output) files: images and videos found under the inputs (folders recursively), each
output at the same relative path under the output folder. Outputs that exist are skipped, so a job restarted after
a crash redoes only what was not finished (every output is written atomically, so an existing one is complete).
A file that fails (unreadable, not an image) is listed with its one-line reason and never stops the others.

The Ray engine builds a Ray Data pipeline: the job's rows -> `map_batches` with a callable class that holds one
Stylizer per actor (loaded once, `--num-gpus` per actor when asked, `--concurrency` actors) and writes each output
-> the rows of results collected. A video is one task (its frames are not split across actors: stitching encoded
pieces exactly is not guaranteed, so a video always goes whole to one actor).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError, missing_dependency
from .imageio import IMAGE_EXTENSIONS, KEPT_FORMATS, image_files, read_image, write_image
from .video_writer import VIDEO_EXTENSIONS



@dataclass
class BatchReport:
    done: int = 0
    skipped: int = 0  # outputs that already existed
    failed: list[dict] = field(default_factory=list)  # {"input", "reason"}
    seconds: float = 0.0
    engine: str = "local"

    def to_dict(self) -> dict:
        rate = self.done / self.seconds if self.seconds else 0.0
        return {"engine": self.engine, "done": self.done, "skipped": self.skipped, "failed": self.failed,
                "seconds": round(self.seconds, 3), "files_per_second": round(rate, 3)}


def plan(inputs: list[str], out: Path) -> list[tuple[str, str]]:
    """(input, output) path pairs for every image and video under `inputs`, outputs mirroring the tree."""
    jobs: list[tuple[str, str]] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = [(p, p.relative_to(path)) for p in image_files(path, IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)]
            if not found:
                raise UserError(f"{path}: no images or videos found")
        elif path.is_file():
            found = [(path, Path(path.name))]
        else:
            raise UserError(f"{path}: no such file or folder")
        for source, relative in found:
            suffix = source.suffix.lower()
            target = relative if suffix in KEPT_FORMATS + VIDEO_EXTENSIONS else relative.with_suffix(".png")
            jobs.append((str(source), str(out / target)))
    targets = [t for _, t in jobs]
    if len(set(targets)) != len(targets):
        duplicate = next(t for t in targets if targets.count(t) > 1)
        raise UserError(f"two inputs would both be written to {duplicate}; nothing was written")
    return jobs


def stylise_file(stylizer, source: str, target: str) -> str | None:
    """Stylise one image or video into `target`; None on success, the one-line reason on failure."""
    try:
        if Path(source).suffix.lower() in VIDEO_EXTENSIONS:
            from .video import stylise_video

            stylise_video(stylizer, source, target, progress=False)
        else:
            write_image(target, stylizer.stylize(read_image(source)))
    except (UserError, OSError, MemoryError) as error:
        return str(error) or type(error).__name__
    return None


def run_local(jobs: list[tuple[str, str]], model: str, progress: bool = True, **stylizer_options) -> BatchReport:
    from .progress import progress_bar
    from .stylizer import Stylizer

    stylizer = Stylizer(model=model, **stylizer_options)
    report, start = BatchReport(engine="local"), time.perf_counter()
    todo = [(s, t) for s, t in jobs if not Path(t).exists()]
    report.skipped = len(jobs) - len(todo)
    bar = progress_bar(todo, quiet=not progress, desc="batch", unit="file")
    for source, target in bar:
        reason = stylise_file(stylizer, source, target)
        if reason is None:
            report.done += 1
        else:
            report.failed.append({"input": source, "reason": reason})
        bar.set_postfix(files_s=f"{report.done / max(time.perf_counter() - start, 1e-9):.2f}")
    report.seconds = time.perf_counter() - start
    return report


class _RayStylizer:
    """The per-actor callable of the Ray pipeline: one Stylizer, loaded when the actor starts."""

    def __init__(self, model: str, stylizer_options: dict):
        from .stylizer import Stylizer

        self.stylizer = Stylizer(model=model, **stylizer_options)

    def __call__(self, batch: dict) -> dict:
        reasons = [stylise_file(self.stylizer, s, t) or "" for s, t in zip(batch["input"], batch["output"])]
        return {"input": list(batch["input"]), "reason": reasons}


def run_ray(jobs: list[tuple[str, str]], model: str, address: str | None = None, num_gpus: float = 0.0,
            concurrency: int = 2, progress: bool = True, **stylizer_options) -> BatchReport:
    try:
        import ray
    except ModuleNotFoundError:
        raise missing_dependency("ray (for --engine ray)", "stylecast[ray]") from None
    if concurrency < 1 or num_gpus < 0:
        raise UserError("--concurrency must be at least 1 and --num-gpus not negative")
    report, start = BatchReport(engine="ray"), time.perf_counter()
    todo = [(s, t) for s, t in jobs if not Path(t).exists()]
    report.skipped = len(jobs) - len(todo)
    results = []
    if todo:
        from .native_stderr import quiet_native_stderr
        from .progress import progress_bar

        started_here = not ray.is_initialized()
        terminal = os.fdopen(os.dup(2), "w")  # the progress bar's, while Ray's own messages are kept off it
        bar = progress_bar(total=len(todo), quiet=not progress, desc="batch (ray)", unit="file", file=terminal)
        try:
            with quiet_native_stderr():  # Ray's start-up and scheduling messages (shown with --verbose)
                if started_here:
                    ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
                ray.data.DataContext.get_current().enable_progress_bars = False
                rows = [{"input": s, "output": t} for s, t in todo]
                dataset = ray.data.from_items(rows, override_num_blocks=len(todo))
                for row in dataset.map_batches(
                        _RayStylizer, fn_constructor_args=(model, stylizer_options), batch_size=1,
                        compute=ray.data.ActorPoolStrategy(size=concurrency), num_gpus=num_gpus or None).iter_rows():
                    results.append(row)
                    bar.update(1)
                    bar.set_postfix(files_s=f"{len(results) / max(time.perf_counter() - start, 1e-9):.2f}")
        finally:
            bar.close()
            terminal.close()
            if started_here:
                ray.shutdown()
        for row in results:
            if row["reason"]:
                report.failed.append({"input": row["input"], "reason": row["reason"]})
            else:
                report.done += 1
    report.seconds = time.perf_counter() - start
    return report
