"""Ending a training run on Ctrl-C, SIGTERM or SIGHUP at the end of the current step, with a checkpoint.

The CLI turns those signals into an exception where the main thread stands, which would leave a trainer between
two parameter updates of one optimiser step with nothing saved since the last periodic checkpoint. Inside a
trainer the first signal only asks to stop: the step finishes, the trainer saves a checkpoint of it (so --resume
continues from there, not from up to `checkpoint_every` steps back) and then raises the same exception the CLI
expects, exiting 130 / 143 / 129. A second signal raises at once. Under torchrun (several processes) the signals
keep their usual effect: ranks stopping at different steps would wait for each other for ever.
"""

from __future__ import annotations

import signal
import threading

from stylecast.runtime.errors import Interrupted

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class StopAtStepEnd:
    """`stop = StopAtStepEnd(enabled)`; in the loop `if stop.requested: save; stop.end()`; `stop.restore()` in the
    loop's `finally`."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.signum: int | None = None
        self._previous = {number: signal.signal(number, self._handler) for number in SIGNALS} if self.enabled else {}

    def restore(self) -> None:
        """Put back the handlers this replaced."""
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def _handler(self, signum: int, _frame) -> None:
        if self.signum is not None:
            raise Interrupted(signum)
        self.signum = signum

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def end(self) -> None:
        """Raise the interruption asked for (after the caller saved what it had)."""
        raise Interrupted(self.signum)
