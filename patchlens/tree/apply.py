"""The series applied in memory, hunk by hunk, the way git applies it.

By default (:class:`Rules` with ``fuzz=None``) a hunk is placed as
``git apply`` / ``git am`` place it: its context and removed lines must
equal the file's exactly (whitespace included), at the stated line or
at any distance from it (the nearest place wins, later lines before
earlier at equal distance); a hunk that starts at line 1 must match at
the start of the file and one with no trailing context at its end.
Each hunk is placed on the file as the previous hunks left it.

``Rules(fuzz=N)`` places hunks as GNU ``patch -FN`` does instead: a
running offset, then up to ``N`` context lines ignored at each edge
(status FUZZ, "git would refuse").

A hunk that does not fit is then, in this order:

1. ALREADY when its post-image is already in the file (it reverse-
   applies there): the tree has this change; it is not applied again;
2. when the diff names its pre-image (``index <pre>..<post>``) and the
   tree is a git repository holding that blob, the patch is applied to
   the blob and the result merged onto the tree's file
   (:func:`patchlens.tree.merge.merge3`, as ``git am -3``): MERGED, or
   CONFLICT with the lines both sides changed;
3. else FAILED, with the place where the hunk nearly fits.

A failed hunk stops nothing: the file keeps its content, later hunks
and patches are still tried, and the hunk's added lines stay readable
through :attr:`HunkResult.hunk`.  The state after each patch is an
:class:`~patchlens.tree.overlay.OverlayTree` over the untouched base.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from patchlens.diff import FilePatch, FileStatus, Hunk
from patchlens.mail.model import Patch, Series
from patchlens.tree.merge import Conflict, merge3
from patchlens.tree.overlay import OverlayTree
from patchlens.tree.paths import normalise_path
from patchlens.tree.source import TreeSource

__all__ = [
    "HunkStatus", "NearMiss", "HunkResult", "FileResult", "PatchResult",
    "AppliedSeries", "Rules", "GIT", "apply_series", "apply_hunks",
    "MAX_FUZZ",
]

# GNU patch's default --fuzz.
MAX_FUZZ = 2


class HunkStatus(str, Enum):
    CLEAN = "clean"
    OFFSET = "offset"
    FUZZ = "fuzz"                      # placed only by fuzz: git refuses it
    ALREADY = "already in the tree"    # its post-image is there already
    MERGED = "3-way merged"            # merged from the pre-image blob
    PREIMAGE = "3-way merged"          # the old name of MERGED (an alias)
    CONFLICT = "3-way conflict"
    FAILED = "failed"


# What git does with a hunk of each status.
_GIT_APPLIES = frozenset({HunkStatus.CLEAN, HunkStatus.OFFSET})


@dataclass(frozen=True)
class Rules:
    """How hunks are placed: git's rules (``fuzz=None``, the default) or
    GNU patch's with up to ``fuzz`` context lines ignored; ``three_way``:
    merge from the pre-image blob as ``git am -3`` does."""
    fuzz: int | None = None
    three_way: bool = True

    @property
    def name(self) -> str:
        if self.fuzz is None:
            return "git apply"
        return f"GNU patch -F{self.fuzz}"


GIT = Rules()


@dataclass(frozen=True)
class NearMiss:
    """Where a failed hunk's pre-image lines nearly line up with the file."""
    line: int                  # 1-based file line where the hunk would start
    matched: int               # hunk pre-image lines equal to the file there
    total: int                 # hunk pre-image lines (context and removed)
    differs_at: int | None     # 1-based file line of the first difference
    tree_text: str | None      # the file's line there (None: past the end)
    hunk_text: str | None      # what the hunk expects there


@dataclass(frozen=True)
class HunkResult:
    number: int                # 1-based, within its file patch
    hunk: Hunk                 # the hunk itself; its added lines stay readable
    status: HunkStatus
    offset: int = 0            # lines from the stated position
    fuzz: int = 0              # context lines ignored at each edge
    new_start: int | None = None  # 1-based line range of the hunk in the result
    new_end: int | None = None
    near: NearMiss | None = None  # for FAILED: where it nearly fits
    message: str = ""
    # For ALREADY: 1-based line where the hunk's post-image already is
    # (GNU patch's "Reversed (or previously applied) patch detected").
    already_at: int | None = None
    conflict: Conflict | None = None  # for CONFLICT: what both sides changed

    @property
    def applied(self) -> bool:
        """The hunk's change is in the state (ALREADY: it was before)."""
        return self.status not in (HunkStatus.FAILED, HunkStatus.CONFLICT)

    @property
    def git_applies(self) -> bool:
        """``git apply`` places this hunk as it stands."""
        return self.status in _GIT_APPLIES

    @property
    def context(self) -> tuple[str, ...]:
        """The hunk's pre-image (context and removed lines), as the patch has it."""
        return tuple(l.text for l in self.hunk.lines if l.kind != "+")

    @property
    def describe(self) -> str:
        """``clean``, ``offset +5``, ``fuzz 1: git would refuse``,
        ``already in the tree``, ``3-way merged``, ``3-way conflict``,
        ``failed``."""
        if self.status is HunkStatus.OFFSET:
            return f"offset {self.offset:+d}"
        if self.status is HunkStatus.FUZZ:
            return f"fuzz {self.fuzz}" + (f", offset {self.offset:+d}"
                                          if self.offset else "") \
                + ": git would refuse"
        return str(self.status.value)


@dataclass(frozen=True)
class FileResult:
    file: FilePatch
    path: str                  # normalised; the new path unless deleted
    old_path: str | None       # normalised pre-image path (None: new file)
    status: FileStatus
    hunks: tuple[HunkResult, ...]
    applied: bool              # the file operation took effect in the state
    preimage: str | None = None  # blob id merged from when the tree moved on
    message: str = ""          # file-level problem, "" when none


@dataclass(frozen=True)
class PatchResult:
    patch: Patch
    files: tuple[FileResult, ...]

    @property
    def index(self) -> int:
        return self.patch.index

    @property
    def label(self) -> str:
        return self.patch.label

    @property
    def hunks(self) -> tuple[HunkResult, ...]:
        return tuple(h for f in self.files for h in f.hunks)

    @property
    def already(self) -> bool:
        """Every hunk's post-image is already in the tree: the patch was
        applied before (``git am`` would refuse it; it is not applied
        again)."""
        hunks = self.hunks
        return bool(hunks) and all(h.status is HunkStatus.ALREADY
                                   for h in hunks)

    @property
    def git_applies(self) -> bool:
        """``git apply --check`` accepts the patch on the state before it."""
        return all(f.applied for f in self.files) and \
            all(h.git_applies for h in self.hunks)


@dataclass(frozen=True)
class AppliedSeries:
    """The base tree, the per-patch results, and the state after each patch."""
    base: TreeSource
    results: tuple[PatchResult, ...]
    states: tuple[TreeSource, ...]          # states[0] is the base
    changes: tuple[frozenset[str], ...]     # changes[0] is empty
    rules: Rules = GIT

    def state(self, k: int) -> TreeSource:
        """The tree after the first ``k`` present patches (0: the base)."""
        if not 0 <= k < len(self.states):
            raise IndexError(f"state {k}: the series has {len(self.results)} "
                             "present patches")
        return self.states[k]

    def changed(self, k: int) -> frozenset[str]:
        """Paths the ``k``-th present patch touched (renames: both paths)."""
        if not 0 <= k < len(self.changes):
            raise IndexError(f"patch {k}: the series has {len(self.results)} "
                             "present patches")
        return self.changes[k]

    def _position(self, patch_index: int) -> int:
        """k for the state after patch n (n of n/m); a missing patch's
        state is that of the last present patch before it."""
        k = 0
        for i, r in enumerate(self.results, start=1):
            if r.index <= patch_index:
                k = i
        return k

    def state_after(self, patch_index: int) -> TreeSource:
        """The tree after patch ``n`` of the series (``n`` as in n/m)."""
        return self.states[self._position(patch_index)]

    def changed_by(self, patch_index: int) -> frozenset[str]:
        """Paths patch ``n`` (as in n/m) touched; empty for a missing patch."""
        for i, r in enumerate(self.results, start=1):
            if r.index == patch_index:
                return self.changes[i]
        return frozenset()

    @property
    def final(self) -> TreeSource:
        return self.states[-1]

    @property
    def already(self) -> tuple[PatchResult, ...]:
        """The patches already in the tree."""
        return tuple(r for r in self.results if r.already)

    @property
    def applied_prefix(self) -> int:
        """k when patches 1..k of the series (and no other) are already
        in the tree: the series is partly applied (``git am`` stopped
        after k, or the tree has the first k); 0 otherwise."""
        k = 0
        for r in self.results:
            if r.index != k + 1 or not r.already:
                break
            k += 1
        if k == 0 or any(r.already for r in self.results[k:]):
            return 0
        return k

    def counts(self) -> Counter[HunkStatus]:
        """How many hunks ended in each status."""
        return Counter(h.status for r in self.results for h in r.hunks)


# -- lines ---------------------------------------------------------------

def _split(data: bytes) -> tuple[list[str], bool]:
    """Lines of ``data`` without newlines, and whether it ended in one."""
    if not data:
        return [], True
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
        return lines, True
    return lines, False


def _join(lines: Sequence[str], eol: bool) -> bytes:
    if not lines:
        return b""
    text = "\n".join(lines) + ("\n" if eol else "")
    return text.encode("utf-8", "surrogateescape")


# -- placing hunks -----------------------------------------------------------

@dataclass(frozen=True)
class _Failure:
    near: NearMiss | None
    already_at: int | None     # 0-based start of the post-image, if present


@dataclass(frozen=True)
class _Placement:
    start: int                 # 0-based index of the replaced region
    length: int                # lines replaced
    lines: tuple[str, ...]     # replacement
    lead: int                  # context lines ignored before the region
    offset: int
    fuzz: int


# Positions tried on each side of a hunk's expected line before the
# line index is built (found within: the same answer, without the index).
_NEAR = 2048


class _LineIndex:
    """Positions of each distinct line, built once per file version."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._at: dict[str, list[int]] | None = None

    def positions(self, text: str) -> list[int]:
        if self._at is None:
            at: dict[str, list[int]] = defaultdict(list)
            for i, line in enumerate(self.lines):
                at[line].append(i)
            self._at = at
        return self._at.get(text, [])

    def nearest(self, pattern: Sequence[str], guess: int, floor: int) -> int | None:
        """The start nearest ``guess`` (not before ``floor``) where
        ``pattern`` matches exactly."""
        m, n = len(pattern), len(self.lines)
        if m == 0:
            return min(max(guess, floor), n)
        # Outward from the guess first, as git apply looks (lower first at
        # equal distance, as below): a hunk of a series lands a few lines
        # off, and indexing every line of a 900 KB header per patch made
        # 1,000 patches cost 12 million list appends (31 s, issue 16).
        lines = self.lines
        for d in range(_NEAR):
            for p in ((guess - d, guess + d) if d else (guess,)):
                if floor <= p and 0 <= p and p + m <= n and lines[p] == pattern[0] \
                        and all(lines[p + i] == pattern[i] for i in range(1, m)):
                    return p
            if guess - d < floor and guess + d + m > n:
                return None     # both sides looked at: no match anywhere
        best: int | None = None
        for p in self.positions(pattern[0]):
            if p < floor or p + m > n:
                continue
            if best is not None and abs(p - guess) >= abs(best - guess):
                # positions ascend: once past the guess, distances only grow
                if p > guess:
                    break
                continue
            if all(self.lines[p + i] == pattern[i] for i in range(1, m)):
                best = p
        return best

    def near_miss(self, pattern: Sequence[str], guess: int) -> NearMiss | None:
        """The alignment of ``pattern`` with the most equal lines."""
        votes: Counter[int] = Counter()
        # Blank lines, braces and "#endif" line up anywhere; rank by
        # the lines that say something first.
        telling: Counter[int] = Counter()
        for i, text in enumerate(pattern):
            weak = len(text.strip()) < 4
            for q in self.positions(text):
                if q - i >= 0:
                    votes[q - i] += 1
                    if not weak:
                        telling[q - i] += 1
        if not telling:
            return None
        start = max(votes, key=lambda p: (telling[p], votes[p], -abs(p - guess)))
        differs_at = tree_text = hunk_text = None
        for i, text in enumerate(pattern):
            have = self.lines[start + i] if start + i < len(self.lines) else None
            if have != text:
                differs_at, tree_text, hunk_text = start + i + 1, have, text
                break
        return NearMiss(line=start + 1, matched=votes[start], total=len(pattern),
                        differs_at=differs_at, tree_text=tree_text,
                        hunk_text=hunk_text)


def _edges(hunk: Hunk) -> tuple[int, int]:
    """Context lines at the start and at the end of the hunk."""
    kinds = [l.kind for l in hunk.lines]
    lead = next((i for i, k in enumerate(kinds) if k != " "), len(kinds))
    trail = next((i for i, k in enumerate(reversed(kinds)) if k != " "), len(kinds))
    return lead, trail


def _images(hunk: Hunk) -> tuple[list[str], list[str]]:
    """The hunk's pre-image and post-image lines."""
    return ([l.text for l in hunk.lines if l.kind != "+"],
            [l.text for l in hunk.lines if l.kind != "-"])


@dataclass(frozen=True)
class _Placed:
    """Where a hunk went: its offset, fuzz, and 1-based lines in the result."""
    offset: int
    fuzz: int
    new_start: int | None
    new_end: int | None


_Outcome = _Placed | _Failure


def apply_hunks(lines: Sequence[str], hunks: Sequence[Hunk],
                max_fuzz: int = MAX_FUZZ,
                ) -> tuple[list[str], list[_Placement | _Failure]]:
    """Place each hunk on ``lines`` as GNU patch does, and return the
    patched lines.

    The second result has, per hunk, its placement, or for a hunk that
    did not fit a :class:`_Failure` (where it nearly fits, and whether
    its post-image is already there).  Pure: ``lines`` is not modified.
    """
    index = _LineIndex(lines)
    placed: list[_Placement | _Failure] = []
    running = 0
    floor = 0
    for number, hunk in enumerate(hunks):
        old, new = _images(hunk)
        lead, trail = _edges(hunk)
        # 0-based index of the first pre-image line; a hunk with no
        # pre-image lines inserts after line old_start.
        stated = hunk.old_start - 1 if old else hunk.old_start
        found: _Placement | None = None
        reversed_at: int | None = None
        tried: set[tuple[int, int]] = set()
        for fuzz in range(max_fuzz + 1):
            pf, sf = min(fuzz, lead), min(fuzz, trail)
            if (pf, sf) in tried or (old and pf + sf >= len(old)):
                continue
            tried.add((pf, sf))
            pattern = old[pf:len(old) - sf]
            pos = index.nearest(pattern, stated + running + pf, floor)
            if pos is not None:
                offset = pos - pf - stated
                found = _Placement(start=pos, length=len(pattern),
                                   lines=tuple(new[pf:len(new) - sf]), lead=pf,
                                   offset=offset, fuzz=fuzz)
                break
            if number == 0 and old and new:
                # GNU patch tries a file's first hunk reversed at each
                # fuzz level before the next ("Reversed (or previously
                # applied) patch detected!").
                back = index.nearest(new[pf:len(new) - sf],
                                     stated + running + pf, floor)
                if back is not None:
                    reversed_at = back - pf
                    break
        if reversed_at is not None:
            placed.append(_Failure(None, max(reversed_at, 0)))
            continue
        if found is None:
            already = index.nearest(new, stated + running, 0) if old and new else None
            placed.append(_Failure(index.near_miss(old, stated + running), already))
            continue
        placed.append(found)
        running = found.offset
        floor = found.start + found.length
    out: list[str] = []
    cursor = 0
    for p in placed:
        if isinstance(p, _Placement):
            out.extend(lines[cursor:p.start])
            out.extend(p.lines)
            cursor = p.start + p.length
    out.extend(lines[cursor:])
    return out, placed


def _gnu_apply(lines: Sequence[str], hunks: Sequence[Hunk], max_fuzz: int,
               ) -> tuple[list[str], list[_Outcome]]:
    """:func:`apply_hunks`, with each placement given in the result's lines."""
    out, placed = apply_hunks(lines, hunks, max_fuzz)
    outcomes: list[_Outcome] = []
    delta = 0
    for hunk, p in zip(hunks, placed):
        if isinstance(p, _Failure):
            outcomes.append(p)
            continue
        new_len = sum(1 for l in hunk.lines if l.kind != "-")
        start = max(p.start + delta - p.lead + 1, 1)
        delta += len(p.lines) - p.length
        outcomes.append(_Placed(p.offset, p.fuzz,
                                start if new_len else None,
                                start + new_len - 1 if new_len else None))
    return out, outcomes


def _git_find(image: Sequence[str], index: _LineIndex, pattern: Sequence[str],
              line: int, begin: bool, end: bool) -> int | None:
    """Where ``git apply`` puts ``pattern`` (find_pos in git's apply.c):
    exactly equal, nearest ``line``, a later line first at equal
    distance; at the file's start when ``begin``, its end when ``end``."""
    m, n = len(pattern), len(image)
    if m > n:
        return None
    if begin:
        line = 0
    elif end:
        line = n - m
    line = min(max(line, 0), n)

    def fits(p: int) -> bool:
        if (begin and p != 0) or (end and p + m != n):
            return False
        return list(image[p:p + m]) == list(pattern)

    if fits(line):
        return line
    if m == 0 or begin or end:
        return None
    # Outward first (a later line first at equal distance): a hunk of a
    # series lands a few lines off, and the line index of a 900 KB header
    # built per patch made 1,000 patches take 31 s (issue 16).
    for d in range(1, _NEAR):
        for p in (line + d, line - d):
            if 0 <= p and p + m <= n and image[p] == pattern[0] and fits(p):
                return p
        if line - d < 0 and line + d + m > n:
            return None
    best: int | None = None
    for p in index.positions(pattern[0]):
        if p + m > n or not fits(p):
            continue
        if best is None or (abs(p - line), p < line) < (abs(best - line),
                                                        best < line):
            best = p
    return best


def _git_apply(lines: Sequence[str], hunks: Sequence[Hunk],
               ) -> tuple[list[str], list[_Outcome]]:
    """Place each hunk as ``git apply`` does, on the file as the previous
    hunks left it; a hunk that does not fit is checked in reverse (its
    post-image already there).  Pure: ``lines`` is not modified."""
    image = list(lines)
    index = _LineIndex(image)
    spans: list[list[int] | None] = []    # [0-based start, length] per hunk
    outcomes: list[_Outcome | None] = []
    skew = 0    # lines the failed hunks would have added before the next
    for hunk in hunks:
        old, new = _images(hunk)
        lead, trail = _edges(hunk)
        line = (hunk.new_start - 1 if hunk.new_start else 0) - skew
        end = trail == 0
        p = _git_find(image, index, old, line, hunk.old_start <= 1, end)
        if p is None:
            back = _git_find(image, index, new, line, hunk.new_start <= 1, end)
            near = index.near_miss(old, line) if back is None else None
            outcomes.append(_Failure(near, back))
            spans.append(None)
            if back is None:
                skew += len(new) - len(old)
            continue
        image[p:p + len(old)] = new
        index = _LineIndex(image)
        delta = len(new) - len(old)
        for s in spans:
            if s is not None and s[0] > p:
                s[0] += delta
        spans.append([p, len(new)])
        outcomes.append(_Placed(p - line, 0, None, None))
    done: list[_Outcome] = []
    for o, s in zip(outcomes, spans):
        if isinstance(o, _Placed) and s is not None and s[1]:
            o = _Placed(o.offset, 0, s[0] + 1, s[0] + s[1])
        assert o is not None
        done.append(o)
    return image, done


def _place(lines: Sequence[str], hunks: Sequence[Hunk], rules: Rules,
           ) -> tuple[list[str], list[_Outcome]]:
    if rules.fuzz is None:
        return _git_apply(lines, hunks)
    return _gnu_apply(lines, hunks, rules.fuzz)


def _results(hunks: Sequence[Hunk], outcomes: Sequence[_Outcome | None],
             missing: str = "") -> list[HunkResult]:
    results: list[HunkResult] = []
    for number, (hunk, o) in enumerate(zip(hunks, outcomes), start=1):
        if isinstance(o, _Placed):
            status = (HunkStatus.FUZZ if o.fuzz else
                      HunkStatus.OFFSET if o.offset else HunkStatus.CLEAN)
            results.append(HunkResult(
                number=number, hunk=hunk, status=status, offset=o.offset,
                fuzz=o.fuzz, new_start=o.new_start, new_end=o.new_end))
            continue
        near = o.near if o is not None else None
        already = o.already_at if o is not None else None
        if missing:
            message = missing
        elif already is not None:
            message = f"its result is at line {already + 1}"
        elif near is not None:
            message = (f"nearly fits at line {near.line} ({near.matched} "
                       f"of {near.total} lines match)")
        else:
            message = "no place in the file resembles it"
        results.append(HunkResult(
            number=number, hunk=hunk,
            status=HunkStatus.ALREADY if already is not None and not missing
            else HunkStatus.FAILED,
            near=near, message=message,
            already_at=already + 1 if already is not None else None))
    return results


# -- files and patches -----------------------------------------------------

Reader = Callable[[str], "bytes | None"]


def _preimage(tree: TreeSource, fp: FilePatch) -> bytes | None:
    if not fp.old_id or set(fp.old_id) == {"0"}:
        return None
    # blob() is on git trees (and overlays of them) only
    getter = getattr(tree, "blob", None)
    data = getter(fp.old_id) if getter is not None else None
    return data if isinstance(data, bytes) else None


def _overlaps(hunk: Hunk, c: Conflict) -> bool:
    start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
    return c.base_start <= start + hunk.old_len and start <= c.base_end


def _three_way(tree: TreeSource, fp: FilePatch, lines: list[str], eol: bool,
               results: list[HunkResult], rules: Rules,
               ) -> tuple[bytes | None, list[HunkResult], str] | None:
    """``git am -3`` for one file: the hunks applied to the pre-image
    blob, merged onto the tree's ``lines``.  None when the repository
    lacks the blob or the hunks do not apply to it either."""
    pre = _preimage(tree, fp)
    if pre is None:
        return None
    base, _ = _split(pre)
    theirs, outcomes = _place(base, fp.hunks, Rules(rules.fuzz, False))
    if not all(isinstance(o, _Placed) for o in outcomes):
        return None
    merged = merge3(base, lines, theirs)
    index = _LineIndex(merged.lines)
    out: list[HunkResult] = []
    for r in results:
        if r.status is not HunkStatus.FAILED:
            out.append(r)
            continue
        conflict = next((c for c in merged.conflicts
                         if _overlaps(r.hunk, c)), None)
        if conflict is not None:
            out.append(HunkResult(
                number=r.number, hunk=r.hunk, status=HunkStatus.CONFLICT,
                near=r.near, conflict=conflict,
                message=f"3-way merge from the pre-image {fp.old_id}: the "
                        f"tree changed these lines too (line {conflict.line})"))
            continue
        if not merged.clean:
            out.append(r)
            continue
        _, new = _images(r.hunk)
        at = _git_find(merged.lines, index, new, r.hunk.new_start - 1,
                       False, False)
        if at is None and new:
            # the tree's own lines are in it: where it lines up best
            near = index.near_miss(new, r.hunk.new_start - 1)
            at = near.line - 1 if near is not None else None
        out.append(HunkResult(
            number=r.number, hunk=r.hunk, status=HunkStatus.MERGED,
            new_start=at + 1 if at is not None and new else None,
            new_end=at + len(new) if at is not None and new else None,
            message=f"merged 3-way from the pre-image {fp.old_id}"))
    if not merged.clean:
        n = len(merged.conflicts)
        return None, out, (f"3-way merge from the pre-image {fp.old_id}: "
                           f"{n} conflict{'s' if n != 1 else ''}")
    return (_join(merged.lines, eol), out,
            f"the tree has moved on: merged 3-way from the pre-image "
            f"{fp.old_id} (as git am -3 does)")


def _patch_content(tree: TreeSource, fp: FilePatch, data: bytes | None,
                   where: str, rules: Rules,
                   ) -> tuple[bytes | None, list[HunkResult], str | None, str]:
    """Apply ``fp``'s hunks to ``data`` (the file in the tree, or None).

    Returns (new content, or None when it did not apply; hunk results;
    pre-image id merged from; file-level message).
    """
    hunks = fp.hunks
    if data is None:
        message = f"{where} is not in the tree"
        return None, _results(hunks, [None] * len(hunks), message), None, message
    lines, eol = _split(data)
    out, outcomes = _place(lines, hunks, rules)
    results = _results(hunks, outcomes)
    if all(r.status is not HunkStatus.FAILED for r in results):
        if results and all(r.status is HunkStatus.ALREADY for r in results):
            return None, results, None, ""
        # Hunks already in the tree are left as they are; the others
        # take the file to the patch's post-image.
        return _join(out, eol), results, None, ""
    if rules.three_way:
        merged = _three_way(tree, fp, lines, eol, results, rules)
        if merged is not None:
            content, results, message = merged
            return content, results, fp.old_id if content is not None else None, message
    return None, results, None, ""


def _apply_file(tree: TreeSource, read: Reader, fp: FilePatch, where: str,
                rules: Rules) -> tuple[FileResult, dict[str, bytes | None]]:
    """One file of one patch: its result and the files it changes."""
    old = normalise_path(fp.old_path, where) if fp.old_path else None
    new = normalise_path(fp.new_path, where) if fp.new_path else None
    path = new or old or ""

    def result(hunks: Sequence[HunkResult], applied: bool, message: str = "",
               preimage: str | None = None) -> FileResult:
        return FileResult(file=fp, path=path, old_path=old, status=fp.status,
                          hunks=tuple(hunks), applied=applied,
                          preimage=preimage, message=message)

    def all_failed(message: str, status: HunkStatus = HunkStatus.FAILED,
                   ) -> FileResult:
        return result([HunkResult(number=i, hunk=h, status=status,
                                  message=message)
                       for i, h in enumerate(fp.hunks, start=1)], False,
                      message)

    if fp.status is FileStatus.BINARY:
        return result((), False, "binary patch: not applied"), {}

    if fp.status is FileStatus.ADDED or old is None:
        existing = read(path)
        if existing is not None:
            content, _, _, _ = _patch_content(tree, fp, b"", path, rules)
            if content == existing:
                return all_failed(f"new file {path} already exists with "
                                  "this content: already in the tree",
                                  HunkStatus.ALREADY), {}
            return all_failed(f"new file {path} already exists"), {}
        content, hunks, _, message = _patch_content(tree, fp, b"", path, rules)
        if content is None:
            return result(hunks, False, message), {}
        return result(hunks, True), {path: content}

    data = read(old)
    if data is None and (fp.status is FileStatus.DELETED or new is None):
        if tree.info.kind == "none":
            # No tree: a file it lacks was never deleted from it.
            return all_failed(f"{old} is not in the tree"), {}
        return all_failed(f"{old} is not in the tree: already deleted",
                          HunkStatus.ALREADY), {}
    if not fp.hunks:
        if data is None:
            return all_failed(f"{old} is not in the tree"), {}
        content = data
        hunks, pre, message = [], None, ""
    else:
        content, hunks, pre, message = _patch_content(tree, fp, data, old, rules)
        if content is None:
            return result(hunks, False, message), {}
    if fp.status is FileStatus.DELETED or new is None:
        return result(hunks, True, message, pre), {old: None}
    if new != old:
        if read(new) is not None:
            return all_failed(f"rename target {new} already exists"), {}
        return result(hunks, True, message, pre), {old: None, new: content}
    return result(hunks, True, message, pre), {old: content}


def apply_series(tree: TreeSource, series: Series,
                 rules: Rules = GIT) -> AppliedSeries:
    """Apply the series' present patches to ``tree``, in order, in memory,
    with git's rules unless ``rules`` says otherwise.

    Diff paths are normalised first; an absolute path or one leaving
    the tree raises :class:`~patchlens.errors.InputError`.  Nothing is
    written anywhere.
    """
    changes: dict[str, bytes | None] = {}

    def read(path: str) -> bytes | None:
        if path in changes:
            return changes[path]
        return tree.read(path)

    results: list[PatchResult] = []
    states: list[TreeSource] = [tree]
    touched: list[frozenset[str]] = [frozenset()]
    for patch in series.patches:
        where = f"{series.source}: patch {patch.label}"
        files: list[FileResult] = []
        paths: set[str] = set()
        for fp in patch.files:
            fr, delta = _apply_file(tree, read, fp, where, rules)
            files.append(fr)
            changes.update(delta)
            paths.update(p for p in (fr.old_path, fr.path) if p)
        results.append(PatchResult(patch=patch, files=tuple(files)))
        states.append(OverlayTree(tree, changes,
                                  label=f"{tree.info.label} + {patch.label}"))
        touched.append(frozenset(paths))
    return AppliedSeries(base=tree, results=tuple(results),
                         states=tuple(states), changes=tuple(touched),
                         rules=rules)
