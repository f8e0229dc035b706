"""The series applied in memory, hunk by hunk, the way GNU patch does it.

Per hunk, in this order:

1. exactly at the stated line, moved by the offset the previous hunk
   of the same file needed (GNU patch's running offset);
2. exactly, at the nearest other place (status OFFSET);
3. with fuzz: ignoring up to 2 context lines at each edge of the hunk
   (status FUZZ; the file keeps its own lines there);
4. when the diff names its pre-image (``index <pre>..<post>``) and the
   tree is a git repository holding that blob: on the pre-image
   (status PREIMAGE, "the tree has moved on");
5. else FAILED, with the place where the hunk nearly fits.

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
from patchlens.tree.overlay import OverlayTree
from patchlens.tree.paths import normalise_path
from patchlens.tree.source import TreeSource

__all__ = [
    "HunkStatus", "NearMiss", "HunkResult", "FileResult", "PatchResult",
    "AppliedSeries", "apply_series", "apply_hunks", "MAX_FUZZ",
]

# GNU patch's default --fuzz.
MAX_FUZZ = 2


class HunkStatus(str, Enum):
    CLEAN = "clean"
    OFFSET = "offset"
    FUZZ = "fuzz"
    PREIMAGE = "applied to pre-image"
    FAILED = "failed"


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
    # For FAILED: 1-based line where the hunk's post-image already is
    # (GNU patch's "Reversed (or previously applied) patch detected").
    already_at: int | None = None

    @property
    def applied(self) -> bool:
        return self.status is not HunkStatus.FAILED

    @property
    def context(self) -> tuple[str, ...]:
        """The hunk's pre-image (context and removed lines), as the patch has it."""
        return tuple(l.text for l in self.hunk.lines if l.kind != "+")

    @property
    def describe(self) -> str:
        """``clean``, ``offset 5``, ``fuzz 2``, ``applied to pre-image``, ``failed``."""
        if self.status is HunkStatus.OFFSET:
            return f"offset {self.offset:+d}"
        if self.status is HunkStatus.FUZZ:
            return f"fuzz {self.fuzz}" + (f", offset {self.offset:+d}"
                                          if self.offset else "")
        return self.status.value


@dataclass(frozen=True)
class FileResult:
    file: FilePatch
    path: str                  # normalised; the new path unless deleted
    old_path: str | None       # normalised pre-image path (None: new file)
    status: FileStatus
    hunks: tuple[HunkResult, ...]
    applied: bool              # the file operation took effect in the state
    preimage: str | None = None  # blob id applied to when the tree moved on
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


@dataclass(frozen=True)
class AppliedSeries:
    """The base tree, the per-patch results, and the state after each patch."""
    base: TreeSource
    results: tuple[PatchResult, ...]
    states: tuple[TreeSource, ...]          # states[0] is the base
    changes: tuple[frozenset[str], ...]     # changes[0] is empty

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


def apply_hunks(lines: Sequence[str], hunks: Sequence[Hunk],
                ) -> tuple[list[str], list[_Placement | _Failure]]:
    """Place each hunk on ``lines`` and return the patched lines.

    The second result has, per hunk, its placement, or for a hunk that
    did not fit a :class:`_Failure` (where it nearly fits, and whether
    its post-image is already there).  Pure: ``lines`` is not modified.
    """
    index = _LineIndex(lines)
    placed: list[_Placement | _Failure] = []
    running = 0
    floor = 0
    for hunk in hunks:
        old = [l.text for l in hunk.lines if l.kind != "+"]
        new = [l.text for l in hunk.lines if l.kind != "-"]
        lead, trail = _edges(hunk)
        # 0-based index of the first pre-image line; a hunk with no
        # pre-image lines inserts after line old_start.
        stated = hunk.old_start - 1 if old else hunk.old_start
        found: _Placement | None = None
        tried: set[tuple[int, int]] = set()
        for fuzz in range(MAX_FUZZ + 1):
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


def _hunk_results(hunks: Sequence[Hunk],
                  placed: Sequence[_Placement | _Failure | None],
                  *, preimage_for: frozenset[int] = frozenset(),
                  missing: str = "") -> list[HunkResult]:
    results: list[HunkResult] = []
    delta = 0
    for number, (hunk, p) in enumerate(zip(hunks, placed), start=1):
        if not isinstance(p, _Placement):
            near = p.near if p is not None else None
            already = p.already_at if p is not None else None
            if missing:
                message = missing
            elif already is not None:
                message = ("already applied? its result is at line "
                           f"{already + 1}")
            elif near is not None:
                message = (f"nearly fits at line {near.line} ({near.matched} "
                           f"of {near.total} lines match)")
            else:
                message = "no place in the file resembles it"
            results.append(HunkResult(
                number=number, hunk=hunk, status=HunkStatus.FAILED, near=near,
                message=message,
                already_at=already + 1 if already is not None else None))
            continue
        new_len = sum(1 for l in hunk.lines if l.kind != "-")
        start = p.start + delta - p.lead + 1
        delta += len(p.lines) - p.length
        if number in preimage_for:
            status = HunkStatus.PREIMAGE
        elif p.fuzz:
            status = HunkStatus.FUZZ
        elif p.offset:
            status = HunkStatus.OFFSET
        else:
            status = HunkStatus.CLEAN
        results.append(HunkResult(
            number=number, hunk=hunk, status=status, offset=p.offset,
            fuzz=p.fuzz, new_start=max(start, 1) if new_len else None,
            new_end=max(start, 1) + new_len - 1 if new_len else None))
    return results


# -- files and patches -----------------------------------------------------

Reader = Callable[[str], "bytes | None"]


def _preimage(tree: TreeSource, fp: FilePatch) -> bytes | None:
    if not fp.old_id or set(fp.old_id) == {"0"}:
        return None
    getter = getattr(tree, "blob", None)
    return getter(fp.old_id) if getter is not None else None


def _patch_content(tree: TreeSource, fp: FilePatch, data: bytes | None,
                   where: str) -> tuple[bytes | None, list[HunkResult], str | None, str]:
    """Apply ``fp``'s hunks to ``data`` (the file in the tree, or None).

    Returns (new content or None when it failed, hunk results,
    pre-image id used, file-level message).
    """
    hunks = fp.hunks
    failed_msg = ""
    if data is not None:
        lines, eol = _split(data)
        out, placed = apply_hunks(lines, hunks)
        if all(isinstance(p, _Placement) for p in placed):
            return _join(out, eol), _hunk_results(hunks, placed), None, ""
    else:
        placed = [None] * len(hunks)
        failed_msg = f"{where} is not in the tree"
    # A hunk whose result is already in the file was applied before
    # (upstream, or twice in the series): say so rather than replace
    # the file with the patched pre-image.
    already = all(isinstance(p, _Failure) and p.already_at is not None
                  for p in placed if not isinstance(p, _Placement))
    pre = None if data is not None and already else _preimage(tree, fp)
    if pre is not None:
        pre_lines, pre_eol = _split(pre)
        pre_out, pre_placed = apply_hunks(pre_lines, hunks)
        if all(isinstance(p, _Placement) for p in pre_placed):
            moved = frozenset(i for i, p in enumerate(placed, start=1)
                              if not isinstance(p, _Placement))
            return (_join(pre_out, pre_eol),
                    _hunk_results(hunks, pre_placed, preimage_for=moved),
                    fp.old_id, "the tree has moved on: applied to the "
                               f"pre-image {fp.old_id}")
    return None, _hunk_results(hunks, placed, missing=failed_msg), None, failed_msg


def _apply_file(tree: TreeSource, read: Reader, fp: FilePatch,
                where: str) -> tuple[FileResult, dict[str, bytes | None]]:
    """One file of one patch: its result and the files it changes."""
    old = normalise_path(fp.old_path, where) if fp.old_path else None
    new = normalise_path(fp.new_path, where) if fp.new_path else None
    path = new or old or ""

    def result(hunks: Sequence[HunkResult], applied: bool, message: str = "",
               preimage: str | None = None) -> FileResult:
        return FileResult(file=fp, path=path, old_path=old, status=fp.status,
                          hunks=tuple(hunks), applied=applied,
                          preimage=preimage, message=message)

    def all_failed(message: str) -> FileResult:
        return result([HunkResult(number=i, hunk=h, status=HunkStatus.FAILED,
                                  message=message)
                       for i, h in enumerate(fp.hunks, start=1)], False, message)

    if fp.status is FileStatus.BINARY:
        return result((), False, "binary patch: not applied"), {}

    if fp.status is FileStatus.ADDED or old is None:
        existing = read(path)
        if existing is not None:
            content, _, _, _ = _patch_content(tree, fp, b"", path)
            same = " with this content (applied already?)" if content == existing else ""
            return all_failed(f"new file {path} already exists{same}"), {}
        content, hunks, _, message = _patch_content(tree, fp, b"", path)
        if content is None:
            return result(hunks, False, message), {}
        return result(hunks, True), {path: content}

    data = read(old)
    if not fp.hunks:
        if data is None:
            return all_failed(f"{old} is not in the tree"), {}
        content = data
        hunks, pre, message = [], None, ""
    else:
        content, hunks, pre, message = _patch_content(tree, fp, data, old)
        if content is None:
            return result(hunks, False, message), {}
    if fp.status is FileStatus.DELETED or new is None:
        return result(hunks, True, message, pre), {old: None}
    if new != old:
        if read(new) is not None:
            return all_failed(f"rename target {new} already exists"), {}
        return result(hunks, True, message, pre), {old: None, new: content}
    return result(hunks, True, message, pre), {old: content}


def apply_series(tree: TreeSource, series: Series) -> AppliedSeries:
    """Apply the series' present patches to ``tree``, in order, in memory.

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
            fr, delta = _apply_file(tree, read, fp, where)
            files.append(fr)
            changes.update(delta)
            paths.update(p for p in (fr.old_path, fr.path) if p)
        results.append(PatchResult(patch=patch, files=tuple(files)))
        states.append(OverlayTree(tree, changes,
                                  label=f"{tree.info.label} + {patch.label}"))
        touched.append(frozenset(paths))
    return AppliedSeries(base=tree, results=tuple(results),
                         states=tuple(states), changes=tuple(touched))
