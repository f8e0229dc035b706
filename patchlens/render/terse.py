"""``FILE:LINE: LEVEL: CODE: message``, one finding a line, as
``checkpatch.pl --terse`` prints them (editors and CI parse this).

A finding with no file is reported against the mailbox (line 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from patchlens.findings import PATCH_LINE, Finding
from patchlens.text import ascii_text

__all__ = ["render", "marks"]


def marks(f: Finding) -> str:
    """What a finding's location and evidence are, when not the tree's:
    " [patch line]" (read from a hunk that did not apply: where it
    would land), " [patch-only]" (no tree fact checked it)."""
    words = (["patch line"] if f.location_kind == PATCH_LINE else []) + \
        (["patch-only"] if f.patch_only else [])
    return f" [{'; '.join(words)}]" if words else ""


def render(findings: Sequence[Finding], source: str = "-") -> str:
    lines = []
    ordered = sorted(findings, key=lambda f: (-int(f.severity), f.file or "",
                                              f.line or 0, f.code))
    for f in ordered:
        patch = f" ({f.patch})" if f.patch else ""
        msg = ascii_text(" ".join(f.message.split()))
        lines.append(f"{f.file or source}:{f.line or 0}: {f.severity.name}: "
                     f"{f.code}: {msg}{marks(f)}{patch}")
    return "\n".join(lines) + ("\n" if lines else "")
