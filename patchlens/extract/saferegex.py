"""Regular expressions that come from input -- a profile's
``own_subjects``, a ``MAINTAINERS`` ``N:`` line (from the tree or a
patch) -- are accepted only in a subset that cannot backtrack
catastrophically, and are matched only against bounded text.

The subset (:func:`unbounded_reason` says why a pattern is outside it):
at most :data:`MAX_PATTERN` characters; no backreference and no
lookaround; no repetition inside a repetition and no alternation inside
a repetition (``(d+)+``, ``(a|aa)*``: exponential); at most
:data:`MAX_AMBIGUOUS` *ambiguous* repetitions -- one whose characters
overlap what may follow it (``.*/``), the only kind the engine retries
position by position.  With the subject at most :data:`MAX_SUBJECT`
characters, a search then costs at most ~N**3 / 6 steps (a few ms).
"""

from __future__ import annotations

import re
from typing import Any

# The parser of ``re`` (Python 3.11+, the floor): no stubs exist for it.
import re._parser as _sre  # type: ignore[import-not-found]
from re import _constants as _c  # type: ignore[attr-defined]
from patchlens.limits import MAX_AMBIGUOUS, MAX_PATTERN, MAX_SUBJECT

__all__ = ["unbounded_reason", "bounded_search", "MAX_PATTERN",
           "MAX_SUBJECT", "MAX_AMBIGUOUS"]


_PROBES = "".join(chr(c) for c in range(32, 127)) + "\t\n\u00e9"
_CATEGORY = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D",
             "CATEGORY_SPACE": r"\s", "CATEGORY_NOT_SPACE": r"\S",
             "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
             "CATEGORY_LINEBREAK": r"\n", "CATEGORY_NOT_LINEBREAK": r"[^\n]"}
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)


def _chars(op: Any, av: Any) -> set[str]:
    """Probe characters one element accepts as its first character."""
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.NOT_LITERAL:
        return {c for c in _PROBES if ord(c) != av}
    if op is _c.ANY:
        return set(_PROBES) - {"\n"}
    if op is _c.IN:
        negate = any(o is _c.NEGATE for o, _ in av)
        ok: set[str] = set()
        for c in _PROBES:
            hit = False
            for o, a in av:
                if o is _c.LITERAL and ord(c) == a:
                    hit = True
                elif o is _c.RANGE and a[0] <= ord(c) <= a[1]:
                    hit = True
                elif o is _c.CATEGORY and re.match(_CATEGORY.get(str(a), "(?!)"), c):
                    hit = True
            if hit != negate:
                ok.add(c)
        return ok
    return set()


def _first(seq: list[Any], i: int) -> tuple[set[str], bool]:
    """(first characters of ``seq[i:]``, whether it may match empty)."""
    out: set[str] = set()
    for op, av in seq[i:]:
        if op is _c.AT:
            continue
        if op is _c.SUBPATTERN:
            got, empty = _first(list(av[-1]), 0)
        elif op is _c.ATOMIC_GROUP:
            got, empty = _first(list(av), 0)
        elif op is _c.BRANCH:
            got, empty = set(), False
            for b in av[1]:
                g, e = _first(list(b), 0)
                got |= g
                empty = empty or e
        elif op in _REPEATS:
            got, empty = _first(list(av[2]), 0)
            empty = empty or av[0] == 0
        else:
            got, empty = _chars(op, av), False
        out |= got
        if not empty:
            return out, False
    return out, True


def _contains(seq: list[Any], kinds: tuple[Any, ...]) -> bool:
    for op, av in seq:
        if op in _REPEATS and av[1] > 1 and _c.MAX_REPEAT in kinds:
            return True
        if op is _c.BRANCH and _c.BRANCH in kinds:
            return True
        subs: list[list[Any]] = []
        if op is _c.SUBPATTERN:
            subs = [list(av[-1])]
        elif op is _c.ATOMIC_GROUP:
            subs = [list(av)]
        elif op in _REPEATS:
            subs = [list(av[2])]
        elif op is _c.BRANCH:
            subs = [list(b) for b in av[1]]
        if any(_contains(s, kinds) for s in subs):
            return True
    return False


def _check(seq: list[Any], follow: set[str], ambiguous: list[int]) -> str | None:
    """Why ``seq`` (followed by characters ``follow``) is unsafe."""
    for i, (op, av) in enumerate(seq):
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            return "a backreference"
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return "a lookaround"
        rest, empty = _first(seq, i + 1)
        after = rest | follow if empty else rest
        if op in _REPEATS:
            body = list(av[2])
            if av[1] > 1:
                if _contains(body, (_c.MAX_REPEAT, _c.BRANCH)):
                    return "a repetition of a repetition or of an alternation"
                if op is not _c.POSSESSIVE_REPEAT and _first(body, 0)[0] & after:
                    ambiguous[0] += 1
                    if ambiguous[0] > MAX_AMBIGUOUS:
                        return (f"more than {MAX_AMBIGUOUS} repetitions whose "
                                "characters overlap what follows them")
            why = _check(body, after, ambiguous)
        elif op is _c.SUBPATTERN:
            why = _check(list(av[-1]), after, ambiguous)
        elif op is _c.ATOMIC_GROUP:
            why = _check(list(av), after, ambiguous)
        elif op is _c.BRANCH:
            why = None
            for b in av[1]:
                why = why or _check(list(b), after, ambiguous)
        else:
            why = None
        if why:
            return why
    return None


def unbounded_reason(pattern: str) -> str | None:
    """Why ``pattern`` is outside the bounded subset (None: inside it)."""
    if len(pattern) > MAX_PATTERN:
        return f"longer than {MAX_PATTERN} characters"
    try:
        re.compile(pattern)
        parsed = list(_sre.parse(pattern))
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        return f"not a regex: {exc}"
    return _check(parsed, set(), [0])


def bounded_search(rx: re.Pattern[str], text: str) -> bool:
    """``rx.search(text)`` for a pattern :func:`unbounded_reason`
    accepted; text over :data:`MAX_SUBJECT` characters never matches."""
    return len(text) <= MAX_SUBJECT and rx.search(text) is not None
