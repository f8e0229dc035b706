"""Subject prefixes: ``[PATCH v3 07/12]`` -> :class:`SubjectTag`.

Accepts the spellings seen on the lists: ``[patch V2 27/33]``,
``[PATCHv2]``, ``[RFC PATCH]``, ``[PATCH RESEND]``, ``[PATCH net-next
v2 1/3]``, several bracket groups in a row, and ``Re:``/``Fwd:``/``AW:``
in front.

A respin of one patch inside a revision -- ``[patch V4-1 01/21]``,
``[PATCH v2.5 16/20]``, ``[patch V1A 09/20]`` -- is the author fixing
that patch without reposting the series: it belongs to revision N (4,
2, 1 here) and replaces the patch of the same number; its mark (``1``,
``5``, ``A``) is kept as :attr:`SubjectTag.respin`.  A plain ``vN`` in
the same subject is the revision (``[PATCH v5.10 v2]`` is v2: the
first token names a kernel release).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from patchlens.limits import MAX_SUBJECT_DIGITS


@dataclass(frozen=True)
class SubjectTag:
    """What a subject prefix says: ``[PATCH v3 07/12]`` -> v3, 7 of 12."""
    revision: int                 # 1 when no vN is given
    index: int | None             # None for a lone patch with no n/m
    total: int | None
    rfc: bool
    resend: bool
    is_reply: bool                # subject starts with Re:
    title: str                    # subject without prefix and Re:
    # True when a bracket prefix named PATCH or RFC (or gave n/m or vN).
    patch: bool = False
    # The respin mark of ``vN-M``/``vN.M``/``vNA`` ("1", "5", "A"); ""
    # for a patch as the series posted it.
    respin: str = ""

__all__ = ["SubjectTag", "parse_subject", "MAX_DIGITS"]

# Possessive runs: every pattern here sees the whole subject, and none
# may backtrack over a long run of blanks or digits.
_REPLY_RE = re.compile(r"^\s*+(?:(?:re|aw|sv|antw|fwd?)\s*+(?:\[\d++\]\s*+)?:\s*+)++",
                       re.IGNORECASE)
# Used with match(text, pos): no "^", which would only match at 0.  No
# leading blanks (the subject is normalised and Re: takes its own) and
# no "[" inside: each start then reads only up to the next bracket.
_BRACKET_RE = re.compile(r"\[([^\[\]]*+)\]\s*+")
_FWD_RE = re.compile(r"^\s*+fwd?\s*+:", re.IGNORECASE)
_COUNT_RE = re.compile(r"^(\d++)/(\d++)$")
# vN, glued to PATCH/RFC or not; then an optional respin mark: "-M" or
# ".M" (V4-1, v2.5) or one letter (V1A).
_VERSION_RE = re.compile(r"^(?:patch|rfc)?+-?+v(\d++)(?:[-.](\d++)|([a-z]))?+$",
                         re.IGNORECASE)
# Names that look like vN plus a letter and are not revisions: Video4Linux.
_NOT_RESPIN = frozenset({"v4l"})
_TOKEN_SPLIT_RE = re.compile(r"[\s,]+")
MAX_DIGITS = MAX_SUBJECT_DIGITS
_TOO_BIG = 10 ** MAX_DIGITS


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_DIGITS else _TOO_BIG


def parse_subject(subject: str) -> SubjectTag:
    """Read the patch prefix of an (already RFC 2047 decoded) subject.

    ``index``/``total`` stay None when there is no ``n/m``; ``revision``
    is 1 when no ``vN`` is given.  A subject with no ``PATCH``/``RFC``
    bracket still yields a tag (index None) so replies can be told apart.
    """
    text = " ".join(subject.split())
    is_reply = False
    m = _REPLY_RE.match(text)
    if m:
        is_reply = not _FWD_RE.match(text)
        text = text[m.end():]
    revision, index, total = 1, None, None
    respin, respun_revision, plain_revision = "", 0, False
    rfc = resend = is_patch = False
    pos = 0
    while True:
        # match at pos, not a slice per group: a subject of 600,000
        # bracket groups stays linear
        b = _BRACKET_RE.match(text, pos)
        if b is None:
            break
        pos = b.end()
        for token in _TOKEN_SPLIT_RE.split(b.group(1)):
            if not token:
                continue
            low = token.lower()
            c = _COUNT_RE.match(token)
            v = _VERSION_RE.match(token) if low not in _NOT_RESPIN else None
            if c or v or low.startswith(("patch", "rfc")):
                is_patch = True
            if c:
                index, total = _number(c.group(1)), _number(c.group(2))
            elif v:
                mark = v.group(2) or v.group(3) or ""
                if mark:            # a respin: a plain vN elsewhere wins
                    if not respun_revision:
                        respun_revision = _number(v.group(1))
                        respin = (mark.lstrip("0") or "0") if mark.isdigit() \
                            else mark.upper()
                else:
                    revision = _number(v.group(1))
                    plain_revision = True
                if low.startswith("rfc"):
                    rfc = True
            elif low == "rfc":
                rfc = True
            elif low == "resend":
                resend = True
    if respun_revision and not plain_revision:
        revision = respun_revision
    else:
        respin = ""
    return SubjectTag(revision=revision, index=index, total=total, rfc=rfc,
                      resend=resend, is_reply=is_reply, title=text[pos:].strip(),
                      patch=is_patch, respin=respin)
