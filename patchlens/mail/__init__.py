"""Mail stage: read a mailbox, thread it, choose a series, recover quotes.

Entry point: :func:`patchlens.mail.read_series` (see ``series.py``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_series"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: commands that read no mailbox (refs, graph)
    # start without the mail parser (PEP 562).
    if name == "read_series":
        from patchlens.mail.series import read_series
        return read_series
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
