"""How a check cites what its words name, as facts of the finding
(``patchlens.findings.Fact``): a constant with its value and where it
is defined, a place in the tree or the patch."""

from __future__ import annotations

import re

from patchlens.extract.definitions import Constant
from patchlens.findings import (PATCH_LINE, TREE_LINE, ConstantRef, HunkRef,
                                Location)

__all__ = ["constant_ref", "definition_place", "line_kind", "origin_hunk"]

# ``Constant.origin`` of a definition read from patch text is one string,
# made by extract/history.py: "patch-only: LABEL: PATH: REASON", REASON
# the hunk's HunkResult.message ("nearly fits at line 544 (3 of 6 lines
# match)").  Read back here into fields, in one place.
_NEAR = re.compile(r"nearly fits at line (\d+) \((\d+) of (\d+) lines match\)")


def origin_hunk(origin: str) -> HunkRef | None:
    """The hunk a patch-only definition was read from, as fields."""
    parts = origin.split(": ", 3)
    if len(parts) < 3 or parts[0] != "patch-only":
        return None
    m = _NEAR.search(parts[3]) if len(parts) > 3 else None
    if m is None:
        return HunkRef(parts[1], parts[2])
    return HunkRef(parts[1], parts[2], int(m.group(1)), int(m.group(2)),
                   int(m.group(3)))


def line_kind(c: Constant) -> str:
    """TREE_LINE for a definition read from the tree; PATCH_LINE for one
    read from the patch text (its hunk did not apply)."""
    return TREE_LINE if c.origin == "tree" else PATCH_LINE


def definition_place(c: Constant, role: str = "definition") -> Location:
    return Location(c.file, c.line, line_kind(c), role)


def constant_ref(c: Constant, role: str = "subject", *,
                 bits: bool = False) -> ConstantRef:
    """``c`` as a fact: name, family key, value, its definition as
    written and where (``bits``: its family holds single bits)."""
    return ConstantRef(c.name, c.family, c.value.value, role,
                       c.value.text or None, definition_place(c), bits,
                       origin_hunk(c.origin))
