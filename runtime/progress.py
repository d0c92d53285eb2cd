"""Progress bars on a terminal only: a pipe or a log file gets no redraws (a piped `video` used to write one
progress line per frame into its log). `--quiet` turns them off on a terminal too."""

from __future__ import annotations

import sys


def progress_bar(iterable=None, *, quiet: bool = False, **kwargs):
    """A tqdm bar on stderr when stderr is a terminal and not `quiet`; a silent pass-through otherwise."""
    from tqdm.auto import tqdm

    on_terminal = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    return tqdm(iterable, disable=quiet or not on_terminal, leave=False, **kwargs)
