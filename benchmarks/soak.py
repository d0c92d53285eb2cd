"""Soak: does `stylecast live` hold its memory over a long run? (issue 25)

Runs the real command on a looping file source, headless, and samples the process's resident set size (VmRSS
in /proc) once a second:

    python benchmarks/soak.py --video ../shared/data/video/vtest.avi [--frames 100000] [--size 320x240] \
        [--model starry_night-lite] [-- extra live options, e.g. --scale 0.5 --stabilize]

The clip is the video resized to --size, 300 frames, written to a temporary MJPEG file that `live --loop` replays
unpaced (`--no-pace`: every frame is stylised, none dropped, as fast as the machine goes). Growth is measured after
warm-up (the first 10% of the run's time): the median RSS over the last 10% of the samples against the median over
the 10% after warm-up. Goal: under 5%. Writes benchmarks/results/soak.json with the RSS samples (MiB, every
10th second) and `live`'s own report (frames, passes, fps, latencies).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from live_cpu import make_clip
from machine import machine_info

RESULTS = Path(__file__).parent / "results"


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def growth(samples: list[float]) -> dict:
    """Median RSS just after the warm-up (the first 10% of samples) and over the last 10%, and the change."""
    n = len(samples)
    tenth = max(1, n // 10)
    after_warmup = statistics.median(samples[tenth:2 * tenth])
    final = statistics.median(samples[-tenth:])
    return {"after_warmup_mib": round(after_warmup, 1), "final_mib": round(final, 1),
            "growth_percent": round(100 * (final - after_warmup) / after_warmup, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--model", default="starry_night-lite")
    parser.add_argument("--out", default=str(RESULTS / "soak.json"))
    parser.add_argument("extra", nargs="*", help="further `live` options, after --")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.avi"
        make_clip(Path(args.video), 300, (width, height), clip)
        command = [sys.executable, "-m", "stylecast.runtime.cli", "live", "--source", str(clip), "--loop",
                   "--no-pace", "--no-window", "--frames", str(args.frames), "--model", args.model,
                   "--json", *args.extra]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples = []
        while process.poll() is None:
            value = rss_mib(process.pid)
            if value:  # 0 before the new process has mapped anything
                samples.append((round(time.monotonic() - started, 1), round(value, 1)))
            time.sleep(1.0)
        seconds = time.monotonic() - started
        stdout, stderr = process.communicate()
    if process.returncode != 0:
        print(stderr, file=sys.stderr)
        return 1
    live = json.loads(stdout.strip().splitlines()[-1])
    result = {
        "benchmark": "soak",
        "machine": machine_info(),
        "settings": {"frames": args.frames, "size": args.size, "model": args.model, "extra": args.extra,
                     "clip_frames": 300, "command": "stylecast " + " ".join(command[3:])},
        "seconds": round(seconds, 1),
        "rss": growth([value for _, value in samples]),
        "live": live,
        "rss_samples": samples[::10],
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({"seconds": result["seconds"], "fps": live["fps"], "frames": live["frames"], **result["rss"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
