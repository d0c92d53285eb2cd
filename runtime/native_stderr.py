"""Native libraries' own messages, kept off the terminal unless --verbose.

Some of OpenCV's video readers print straight to file descriptor 2 from C++ (a damaged AVI gives "Unexpected
element. Expected: LIST"), around the one line stylecast prints for the same problem, and no log level reaches
them. While a file is opened, descriptor 2 points at a temporary file instead; with --verbose (`show = True`, set
by the CLI) it is left alone.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager

show = False


@contextmanager
def quiet_native_stderr():
    """Send what native code writes to descriptor 2 inside the block to a temporary file (dropped)."""
    if show:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 (embedded interpreters): nothing to protect
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
