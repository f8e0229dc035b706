"""``#define`` lines read without parsing: which macros a file defines
with one of some literals in their definition."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["define_rx", "header_macros"]


def define_rx(lits: Iterable[str | bytes]) -> re.Pattern[bytes]:
    """A ``#define`` whose (continued) line names one of ``lits``; group
    1 is the macro's name."""
    alt = b"|".join(re.escape(lit.encode() if isinstance(lit, str) else lit)
                    for lit in lits)
    return re.compile(rb"^[ \t]*#[ \t]*define[ \t]+(\w+)(?:\\\r?\n|[^\n])*?(?:"
                      + alt + rb")", re.M)


def header_macros(data: bytes, lits: tuple[bytes, ...]) -> frozenset[bytes]:
    """The object-like macros ``data`` defines with one of ``lits`` in
    the definition (continued lines included), but those a literal
    covers already: a cheap superset, read without parsing, of the
    flag sets and composing macros a header defines that a search for
    ``lits`` would miss."""
    return frozenset(m.group(1) for m in define_rx(lits).finditer(data)
                     if data[m.end(1):m.end(1) + 1] != b"("
                     and not any(lit in m.group(1) for lit in lits))
