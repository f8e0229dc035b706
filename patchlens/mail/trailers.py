"""Trailers: ``Reviewed-by:``, ``Acked-by:`` ... lines of a message.

In a patch they sit at the end of the commit message; in a reply they
are the reviewer's own (unquoted) lines.

Which of a reply's trailers belong to the patch follows b4's rules for
follow-up trailers: a trailer counts for the patch when it answers the
patch itself, directly or through other replies.  Not credited:

- trailers in a reply that carries a diff of its own (a fix or a
  suggestion posted in the thread: its ``Signed-off-by`` is that
  diff's), or in a reply under such a message (a ``Tested-by`` given
  for the fix, not for the patch);
- in a reply, trailers that do not review: ``Reported-by`` and
  ``Closes`` come with a regression report and ask credit in the fix,
  ``Fixes``, ``Link``, ``Signed-off-by``, ``Co-developed-by`` belong to
  a patch being written, not to the one answered.

A trailer given twice (the same name and person, in the patch and
again in a reply, or in two replies) is kept once, the first time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from patchlens.mail.model import Message, Trailer

__all__ = ["TRAILER_NAMES", "REVIEW_TRAILERS", "find_trailers",
           "reply_trailers", "merge_trailers"]

# lower-case name -> canonical spelling
TRAILER_NAMES: dict[str, str] = {n.lower(): n for n in (
    "Signed-off-by", "Reviewed-by", "Acked-by", "Tested-by", "Suggested-by",
    "Reported-by", "Co-developed-by", "Link", "Fixes", "Closes",
)}
# The trailers a reviewer gives a patch in a reply.
REVIEW_TRAILERS = frozenset({"Reviewed-by", "Acked-by", "Tested-by",
                             "Suggested-by"})
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


def reply_trailers(reply: Message, has_diff: bool,
                   diff_above: Message | None
                   ) -> tuple[tuple[Trailer, ...], tuple[Trailer, ...]]:
    """(credited, set aside) trailers of ``reply`` for the patch it is
    about.  ``has_diff``: the reply carries an unquoted diff;
    ``diff_above``: the nearest message between it and the patch that
    does (a fix posted in the thread)."""
    given = find_trailers(reply.body, reply.msgid)
    credited: list[Trailer] = []
    aside: list[Trailer] = []
    for t in given:
        if has_diff:
            aside.append(_why(t, "given in a reply that posts its own diff"))
        elif diff_above is not None:
            aside.append(_why(t, "given for the diff posted in "
                                 f"<{diff_above.msgid}>"))
        elif t.name not in REVIEW_TRAILERS:
            aside.append(_why(t, f"a {t.name} in a reply is for a fix, "
                                 "not the patch"))
        else:
            credited.append(t)
    return tuple(credited), tuple(aside)


def _why(t: Trailer, why: str) -> Trailer:
    return Trailer(t.name, t.value, t.msgid, why)


def _key(t: Trailer) -> tuple[str, str]:
    return t.name.lower(), " ".join(t.value.casefold().split())


def merge_trailers(*groups: Iterable[Trailer]) -> tuple[Trailer, ...]:
    """The trailers of ``groups`` in order, each (name, person) once."""
    seen: set[tuple[str, str]] = set()
    out: list[Trailer] = []
    for group in groups:
        for t in group:
            if _key(t) not in seen:
                seen.add(_key(t))
                out.append(t)
    return tuple(out)
