"""The one error type the CLI turns into ``patchlens: <file>: <what>``.

Every stage raises :class:`InputError` for input it cannot use; the CLI
prints it as one line on stderr and exits 2.  Nothing else should reach
the user as a traceback.
"""

from __future__ import annotations

__all__ = ["InputError", "Warning_", "EXIT_OK", "EXIT_FINDINGS", "EXIT_USAGE",
           "EXIT_INTERNAL"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
# A bug in patchlens (any other exception): never 0 or 1, so an internal
# error can not pass for "clean" or for "findings".
EXIT_INTERNAL = 3


class InputError(Exception):
    """Input that cannot be used: names the file (or option) and the problem."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


class Warning_(UserWarning):
    """A problem in part of the input; the rest is still analysed."""
