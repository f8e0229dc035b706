"""Which commit a series was made against, from its ``index`` lines.

Every git diff names the blob it was made from (``index <pre>..<post>``).
:func:`guess_base` walks the current branch back from HEAD (first
parents, bounded by a commit count and an optional date) and keeps the
most recent commit where the most of the series' files hold the blob
the series starts from -- or already the blob a patch of the series
leaves, so a tree where ``git am`` applied the first patches still
counts as the series' tree (those patches are then found already in
it).  This is what ``b4 shazam --guess-base`` does, bounded.

:func:`open_series_tree` opens the tree for a series: as
:func:`~patchlens.tree.open.open_tree` does, and with a guessed base
when asked (``--guess-base``) or when the series names no base (or
one the repository lacks) and no ``--rev`` is given.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from patchlens.errors import InputError
from patchlens.mail.model import Series
from patchlens.tree.open import open_tree
from patchlens.tree.source import TreeSource
from patchlens.limits import MAX_COMMITS

if TYPE_CHECKING:   # pygit2 loads only for repositories
    import pygit2

__all__ = ["SeriesBlob", "BaseGuess", "series_blobs", "guess_base",
           "parse_since", "open_series_tree", "MAX_COMMITS"]


@dataclass(frozen=True)
class SeriesBlob:
    """One file of the series: the blob it starts from, the blobs its
    patches leave."""
    path: str
    base: str                      # abbreviated pre-image id of its first patch
    later: frozenset[str]          # post-image ids of the patches touching it


@dataclass(frozen=True)
class BaseGuess:
    commit: str                    # full id
    name: str                      # "HEAD~3"
    matched: int                   # files holding the series' pre-image blob
    applied: int                   # files already holding a post-image blob
    total: int                     # files with a pre-image blob in the series
    walked: int                    # commits looked at

    @property
    def describe(self) -> str:
        text = (f"{self.name} ({self.commit[:12]}) holds the series' "
                f"pre-image blob in {self.matched} of {self.total} files")
        if self.applied:
            text += f", a blob the series leaves in {self.applied}"
        return text + (f" ({self.walked} commit{'s' if self.walked != 1 else ''}"
                       " looked at)")


def _zero(oid: str | None) -> bool:
    return not oid or set(oid) == {"0"}


def series_blobs(series: Series) -> tuple[SeriesBlob, ...]:
    """The files of the series that name a pre-image blob, in order."""
    first: dict[str, str] = {}
    later: dict[str, set[str]] = {}
    for patch in series.patches:
        for fp in patch.files:
            path = fp.old_path or fp.new_path
            if path is None:
                continue
            if path not in first and not _zero(fp.old_id) and fp.old_id:
                first[path] = fp.old_id
            if not _zero(fp.new_id) and fp.new_id:
                later.setdefault(fp.new_path or path, set()).add(fp.new_id)
    return tuple(SeriesBlob(p, b, frozenset(later.get(p, ())))
                 for p, b in first.items())


_SINCE = re.compile(r"^(\d+)[ .]*(day|week|month|year)s?([ .]*ago)?$")
_UNIT = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400,
         "year": 365 * 86400}


def parse_since(text: str, now: float | None = None) -> int:
    """``--since``: ``YYYY-MM-DD`` or ``N days/weeks/months/years [ago]``
    as a Unix time."""
    text = text.strip().lower()
    m = _SINCE.match(text)
    if m:
        return int((now if now is not None else time.time())
                   - int(m.group(1)) * _UNIT[m.group(2)])
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise InputError("--since", f"not a date (YYYY-MM-DD) or an age "
                                    f"('2 weeks'): {text}") from None
    return int(day.timestamp())


class _Lookup:
    """Path lookups in many commits' trees, memoised by tree id: the
    commits of a walk share most subtrees, so most steps are a dict hit."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.memo: dict[tuple[str, str], str | None] = {}

    def blob(self, tree_id: str, path: str) -> str | None:
        import pygit2
        oid: str | None = tree_id
        for part in path.split("/"):
            if oid is None:
                return None
            key = (oid, part)
            if key not in self.memo:
                tree = self.repo[oid]
                found = None
                if isinstance(tree, pygit2.Tree) and part in tree:
                    found = str(tree[part].id)
                self.memo[key] = found
            oid = self.memo[key]
        return oid


def guess_base(repo: pygit2.Repository, start: str, blobs: Sequence[SeriesBlob],
               *, since: int | None = None,
               limit: int = MAX_COMMITS) -> BaseGuess | None:
    """The most recent commit from ``start`` back (first parents, at most
    ``limit``, none older than ``since``) where the most files of
    ``blobs`` hold the series' pre-image blob or a blob it leaves;
    None when no file matches anywhere (or there is nothing to match)."""
    import pygit2
    if not blobs:
        return None
    best: BaseGuess | None = None
    lookup = _Lookup(repo)
    try:
        commit: pygit2.Commit | None = repo.revparse_single(start).peel(pygit2.Commit)
    except (pygit2.GitError, ValueError, KeyError):
        return None   # HEAD names a tree, or a ref is corrupt: no commits to walk
    walked = 0
    while commit is not None and walked < limit:
        if since is not None and commit.commit_time < since:
            break
        matched = applied = 0
        for b in blobs:
            oid = lookup.blob(str(commit.tree_id), b.path)
            if oid is None:
                continue
            if oid.startswith(b.base):
                matched += 1
            elif any(oid.startswith(p) for p in b.later):
                applied += 1
        walked += 1
        if matched + applied and (best is None or matched + applied
                                  > best.matched + best.applied):
            name = "HEAD" if walked == 1 else f"HEAD~{walked - 1}"
            if start != "HEAD":
                name = start if walked == 1 else f"{start}~{walked - 1}"
            best = BaseGuess(str(commit.id), name, matched, applied,
                             len(blobs), walked)
            if matched + applied == len(blobs):
                break
        commit = commit.parents[0] if commit.parents else None
    return None if best is None else replace(best, walked=walked)


def open_series_tree(path: str | None, rev: str | None, series: Series | None,
                     *, no_tree: bool = False, guess: bool = False,
                     since: str | None = None, cwd: str = ".") -> TreeSource:
    """The tree to apply ``series`` to, and why (``info.reason``)."""
    base_commit = series.base_commit if series is not None else None
    tree = open_tree(path, rev, base_commit=base_commit, no_tree=no_tree,
                     cwd=cwd)
    if series is None:
        return tree
    info = tree.info
    defaulted = rev is None and info.revision == "HEAD"
    if not guess and not defaulted:
        return tree
    if info.kind != "git" or info.root is None:
        if guess:
            tree.info = replace(info, reason=f"{info.reason}; --guess-base "
                                             "needs a git repository")
        return tree
    from patchlens.tree.git import GitTree
    repo = getattr(tree, "repo")
    start = rev or "HEAD"
    blobs = series_blobs(series)
    if not blobs:
        # quilt and plain diffs have no index lines: nothing to guess from
        if guess:
            tree.info = replace(info, reason=f"{info.reason}; --guess-base: "
                                             "the diffs have no index lines")
        return tree
    found = guess_base(repo, start, blobs,
                       since=parse_since(since) if since else None)
    if found is None:
        tree.info = replace(info, reason=f"{info.reason}; no commit looked "
                                         "at has a blob its index lines name")
        return tree
    why = "--guess-base" if guess else "guessed base"
    return GitTree.open(info.root, found.name,
                        reason=f"{why}: {found.describe}")
