"""``FILE:LINE: LEVEL: CODE: message``, one finding a line, as
``checkpatch.pl --terse`` prints them (editors and CI parse this).

A finding with no file is reported against the mailbox (line 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from patchlens.findings import Finding
from patchlens.text import ascii_text

__all__ = ["render"]


def render(findings: Sequence[Finding], source: str = "-") -> str:
    lines = []
    ordered = sorted(findings, key=lambda f: (-int(f.severity), f.file or "",
                                              f.line or 0, f.code))
    for f in ordered:
        patch = f" ({f.patch})" if f.patch else ""
        msg = ascii_text(" ".join(f.message.split()))
        lines.append(f"{f.file or source}:{f.line or 0}: {f.severity.name}: "
                     f"{f.code}: {msg}{patch}")
    return "\n".join(lines) + ("\n" if lines else "")
