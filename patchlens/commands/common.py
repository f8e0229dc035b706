"""What every subcommand shares: writing output where -o says."""

from __future__ import annotations

import sys
from pathlib import Path

from patchlens.errors import InputError

__all__ = ["emit"]


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path) or stdout when None or '-'."""
    if not text.endswith("\n"):
        text += "\n"
    if output in (None, "-"):
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(output, f"cannot write: {exc.strerror}") from None
