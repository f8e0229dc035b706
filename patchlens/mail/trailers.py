"""Trailers: ``Reviewed-by:``, ``Acked-by:`` ... lines of a message.

In a patch they sit at the end of the commit message; in a reply they
are the reviewer's own (unquoted) lines.
"""

from __future__ import annotations

import re

from patchlens.mail.model import Trailer

__all__ = ["TRAILER_NAMES", "find_trailers"]

# lower-case name -> canonical spelling
TRAILER_NAMES: dict[str, str] = {n.lower(): n for n in (
    "Signed-off-by", "Reviewed-by", "Acked-by", "Tested-by", "Suggested-by",
    "Reported-by", "Co-developed-by", "Link", "Fixes", "Closes",
)}
# Possessive runs and the value's trailing blanks stripped in Python: a
# lazy value before "\s*$" is quadratic on a long line.
_TRAILER_RE = re.compile(r"^\s*+([A-Za-z][A-Za-z-]*+)\s*+:\s*+(\S.*)")


def find_trailers(text: str, msgid: str) -> tuple[Trailer, ...]:
    """Trailers in ``text`` outside quoted (``>``) lines, in order."""
    found: list[Trailer] = []
    for line in text.split("\n"):
        if not line or line[0] == ">" or ":" not in line:
            continue
        m = _TRAILER_RE.match(line)
        if m is None:
            continue
        name = TRAILER_NAMES.get(m.group(1).lower())
        if name is not None:
            found.append(Trailer(name, m.group(2).rstrip(), msgid))
    return tuple(found)
