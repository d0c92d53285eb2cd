"""One exception type for problems the user can fix, so the CLI can print them as one line and exit 2."""


class UserError(Exception):
    """Bad input, a bad option or a missing optional dependency: shown as one line, never as a traceback."""


def missing_dependency(what: str, pip_spec: str) -> UserError:
    """The error for an optional dependency that is not installed, naming the exact install command."""
    return UserError(f"{what} is not installed: pip install '{pip_spec}'")


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C's KeyboardInterrupt, so every `finally` cleans up
    (temporary files, encoder processes) and the command exits 128 + the signal's number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
