"""Run many `stylecast` command lines, each in its own process, fast: the bad-input corpus's runner.

Starting Python and importing torch, onnxruntime and OpenCV takes one to three seconds, which over 500 cases would
be most of CI's test time. So this runner imports them once and forks a child per case: the child is a separate
process (its own memory, exit code, stdout, stderr, working folder and signal handlers, exactly as a fresh
`stylecast` would have them) that calls the CLI's `main(argv)` and exits with what it returns. Children that do
not end within the timeout are killed and reported as hangs. Two run at a time.

    python tests/corpus_runner.py CASES.json RESULTS.json

CASES.json: [{"argv": [...], "cwd": "..."}...]; RESULTS.json gets, per case, its exit code (None for a hang),
stdout, stderr and seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time

TIMEOUT = 60.0
PARALLEL = 2


def _child(argv: list[str], cwd: str, out_fd: int, err_fd: int) -> None:
    os.setsid()  # its own process group, so a kill reaches anything it started (FFmpeg)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    code = 70
    try:
        os.chdir(cwd)
        from stylecast.runtime.cli import main

        code = main(argv)
    except SystemExit as exit_:  # argparse's --help and friends
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - anything escaping main() is the bug this corpus looks for
        import traceback

        traceback.print_exc()
        code = 71
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code) & 0xFF)


def run_cases(cases: list[dict]) -> list[dict]:
    import cv2  # noqa: F401 - imported once here, inherited by every child
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import torch  # noqa: F401

    import importlib

    from stylecast.runtime.cli import COMMANDS

    for command in COMMANDS.values():  # every command's module, as `stylecast` would import it
        importlib.import_module(command.module)

    results: list[dict | None] = [None] * len(cases)
    running: dict[int, tuple] = {}
    pending = list(range(len(cases)))
    while pending or running:
        while pending and len(running) < PARALLEL:
            index = pending.pop(0)
            out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
            pid = os.fork()
            if pid == 0:
                _child(cases[index]["argv"], cases[index]["cwd"], out.fileno(), err.fileno())
            running[pid] = (index, out, err, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (index, out, err, started) in list(running.items()):
                if time.monotonic() - started > TIMEOUT:
                    try:
                        os.killpg(child, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    os.waitpid(child, 0)
                    results[index] = _result(None, out, err, started)
                    del running[child]
            time.sleep(0.005)
            continue
        if pid not in running:
            continue
        index, out, err, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        results[index] = _result(code, out, err, started)
    return results


def _result(code, out, err, started) -> dict:
    texts = []
    for handle in (out, err):
        handle.seek(0)
        texts.append(handle.read().decode(errors="replace"))
        handle.close()
    return {"code": code, "stdout": texts[0], "stderr": texts[1], "seconds": round(time.monotonic() - started, 3)}


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        loaded = json.load(handle)
    with open(sys.argv[2], "w") as handle:
        json.dump(run_cases(loaded), handle)
