"""A three-way merge of text, line by line (what ``git am -3`` does per file).

``merge3(base, ours, theirs)``: ``base`` is the pre-image the patch was
made against (the blob its ``index`` line names), ``ours`` the tree's
version of the file, ``theirs`` the pre-image with the patch applied.
Regions where only one side changed the base take that side; where
both made the same change, it is taken once; where both changed the
base differently, the region is a :class:`Conflict` and the tree's
lines are kept.  Pure: nothing is read or written.

The regions come from the line matches of base/ours and base/theirs
(difflib, no junk heuristic), intersected: the classic diff3 walk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["Conflict", "Merge", "merge3"]


@dataclass(frozen=True)
class Conflict:
    """Lines both sides changed, differently."""
    base_start: int            # 0-based line in the base where it begins
    base: tuple[str, ...]      # the base's lines there
    ours: tuple[str, ...]      # the tree's lines
    theirs: tuple[str, ...]    # the patch's lines
    line: int                  # 1-based line in the merged result (ours kept)

    @property
    def base_end(self) -> int:
        return self.base_start + len(self.base)


@dataclass(frozen=True)
class Merge:
    lines: tuple[str, ...]           # conflicts resolved to the tree's lines
    conflicts: tuple[Conflict, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


_Sync = tuple[int, int, int, int, int, int]


def _matches(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    """Matching blocks (start in a, start in b, length), the last one
    empty at the ends.  The common head and tail are matched first, as
    git's xdiff does: where a line repeats, the change lines up as git's
    does."""
    n = min(len(a), len(b))
    head = 0
    while head < n and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    out: list[tuple[int, int, int]] = [(0, 0, head)] if head else []
    sm = SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail],
                         autojunk=False)
    out += [(m.a + head, m.b + head, m.size)
            for m in sm.get_matching_blocks() if m.size]
    if tail:
        out.append((len(a) - tail, len(b) - tail, tail))
    out.append((len(a), len(b), 0))
    return out


def _sync_regions(base: Sequence[str], ours: Sequence[str],
                  theirs: Sequence[str]) -> Iterator[_Sync]:
    """Base ranges unchanged on both sides, with where they sit in each."""
    am, bm = _matches(base, ours), _matches(base, theirs)
    ia = ib = 0
    while ia < len(am) and ib < len(bm):
        abase, amatch, alen = am[ia]
        bbase, bmatch, blen = bm[ib]
        lo, hi = max(abase, bbase), min(abase + alen, bbase + blen)
        if lo < hi:
            asub = amatch + lo - abase
            bsub = bmatch + lo - bbase
            yield lo, hi, asub, asub + hi - lo, bsub, bsub + hi - lo
        if abase + alen < bbase + blen:
            ia += 1
        else:
            ib += 1
    yield len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)


def merge3(base: Sequence[str], ours: Sequence[str],
           theirs: Sequence[str]) -> Merge:
    out: list[str] = []
    conflicts: list[Conflict] = []
    iz = ia = ib = 0
    for zmatch, zend, amatch, aend, bmatch, bend in _sync_regions(base, ours,
                                                                  theirs):
        a, b, z = ours[ia:amatch], theirs[ib:bmatch], base[iz:zmatch]
        if a or b:
            if a == b or b == z:
                out.extend(a)
            elif a == z:
                out.extend(b)
            else:
                conflicts.append(Conflict(base_start=iz, base=tuple(z),
                                          ours=tuple(a), theirs=tuple(b),
                                          line=len(out) + 1))
                out.extend(a)
        out.extend(base[zmatch:zend])
        iz, ia, ib = zend, aend, bend
    return Merge(tuple(out), tuple(conflicts))
