"""The state of a run's literal searches: one :class:`SearchContext`.

What the searches of one run share -- answers per tree object and
literal set, the directory walk, the git listing, searches begun early
-- lives here and nowhere else, owned by whoever runs the analysis
(``Session``); :class:`SearchStats` counts what the searches did so a
test (or a profile) can see it without reaching inside.  The on-disk
stores are :mod:`patchlens.cache`'s.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from weakref import WeakKeyDictionary

from patchlens.tree.source import TreeSource

__all__ = ["SearchContext", "SearchStats", "SearchStep", "Found", "OnHit",
           "Follow", "Lits", "Engine", "CODE", "is_scanned_path", "contains",
           "literal_set", "overlay_parts", "report", "Early", "Walk",
           "Progress"]

CODE = (".c", ".h")

Found = dict[str, str]            # path -> content id
OnHit = Callable[[str, str], None]
Lits = tuple[bytes, ...]          # a literal set: sorted, each once
# The macros a header's bytes define with one of the literals (C
# knowledge, given by the caller: ``patchlens.c.defines.header_macros``).
Follow = Callable[[bytes, Lits], frozenset[bytes]]
# How a directory is searched: "auto" takes ripgrep when it is there
# (``patchlens[fast]``), else git grep --no-index when git is, else GNU
# grep; the others ask for one tool (a search whose tool is missing
# reads every file in Python).
Engine = Literal["auto", "rg", "git", "grep"]

# A file whose inode changed less than this before a search started is
# searched again next run: file system clocks are coarse and may lag
# the system clock (git calls such files "racily clean").
RACY_NS = 5_000_000_000
# More unseen files than this: one system search beats reading them.
GREP_THRESHOLD = 3000
# A progress line is rewritten at most this often (seconds).
PROGRESS_EVERY = 0.1

# Where a progress line goes: a text to show in place, None to erase it
# (the session gives one on a terminal, never with -q or in a pipe).
Progress = Callable[[str | None], None]


def is_scanned_path(path: str) -> bool:
    """Code files and documentation are searched; other files are not."""
    return path.endswith(CODE) or path.startswith("Documentation/")


def literal_set(literals: Iterable[bytes | str]) -> Lits:
    """Literals as a search's key: bytes, each once, sorted, none empty."""
    return tuple(sorted({lit.encode() if isinstance(lit, str) else lit
                         for lit in literals if lit}))


def contains(data: bytes | None, lits: Iterable[bytes]) -> bool:
    return data is not None and any(lit in data for lit in lits)


def overlay_parts(source: TreeSource) -> tuple[TreeSource, dict[str, bytes | None]] | None:
    """(base, changes) of an overlay (a tree state after a patch)."""
    base = getattr(source, "base", None)
    changes = getattr(source, "changes", None)
    if base is None or changes is None:
        return None
    return base, dict(changes)


def report(found: Found, on_hit: OnHit | None) -> Found:
    """Call ``on_hit`` for every hit of an answer known at once."""
    if on_hit is not None:
        for path, cid in found.items():
            on_hit(path, cid)
    return found


@dataclass(frozen=True)
class SearchStep:
    """One system search a run started: which part of the tree
    ("everything", "headers", "sources"), for which literals, below
    which folder ("" for the whole tree), with which tool ("rg", "git",
    "grep"; "" for a git revision's own git grep)."""
    part: str
    literals: tuple[str, ...]
    under: str = ""
    tool: str = ""


@dataclass
class SearchStats:
    """What the searches of a context did (counters only grow)."""
    searches: int = 0           # answers computed (not from this run's memo)
    memo_hits: int = 0          # answers this run had already
    store_hits: int = 0         # answers the on-disk store held (warm)
    fallbacks: int = 0          # cold searches that read every file in Python
    early_started: int = 0      # searches begun by ``start``
    early_joined: int = 0       # of those, picked up by a later search
    # Git blobs given to a git grep of their own (not a revision's).
    blobs_grepped: int = 0
    # Candidate files the reference scans parsed, and took from the
    # facts cache instead.
    parsed: int = 0
    facts_cached: int = 0
    # Files (or git blobs, by a path having them) the searches read in
    # Python, and how often: the system search's reading is not counted.
    reads: Counter[str] = field(default_factory=Counter)
    steps: list[SearchStep] = field(default_factory=list)

    @property
    def files_read(self) -> int:
        return sum(self.reads.values())


# A directory's walk: when it started (time.time_ns), path -> (size,
# mtime_ns, ctime_ns) of every scanned file, folder -> inode of every
# folder below the root.
Walk = tuple[int, dict[str, tuple[int, int, int]], dict[str, int]]

# A search begun early: when (time.time_ns), its processes, what it follows.
Early = tuple[int, list["subprocess.Popen[bytes]"], Follow]


class SearchContext:
    """The literal searches of one run: memos, counters and settings.

    ``cache``: whether answers are read from and written to the
    on-disk stores.  ``racy_ns``: how long before a directory search's
    start a changed file is still read again next run.
    ``grep_threshold``: more files to read than this and one system
    search runs instead.  ``engine``: how a directory is searched
    (:data:`Engine`).  ``progress``: where a search says what it is
    doing while it runs (:data:`Progress`; None: nowhere).
    Answers are kept per tree object, which is held weakly.
    """

    def __init__(self, *, cache: bool = True, racy_ns: int = RACY_NS,
                 grep_threshold: int = GREP_THRESHOLD,
                 engine: Engine = "auto") -> None:
        self.cache = cache
        self.racy_ns = racy_ns
        self.grep_threshold = grep_threshold
        self.engine: Engine = engine
        self.progress: Progress | None = None
        # What the progress line shows (the part of the tree searched)
        # and when it was last written (0: it is not shown).
        self._doing = "searching the tree"
        self._shown = 0.0
        self.stats = SearchStats()
        # Per tree object: literal set -> answer.
        self._answers: WeakKeyDictionary[Any, dict[Lits, Found]] = WeakKeyDictionary()
        # Per tree object: literal set -> a search begun early.
        self._early: WeakKeyDictionary[Any, dict[Lits, Early]] = WeakKeyDictionary()
        # Per tree object: (under, suffixes) -> literal -> files.
        self._scoped: WeakKeyDictionary[
            Any, dict[tuple[str, tuple[str, ...]], dict[bytes, frozenset[str]]]] \
            = WeakKeyDictionary()
        # Per directory tree object: when its walk started and its stats.
        self._walks: WeakKeyDictionary[Any, Walk] = WeakKeyDictionary()
        # Per directory tree object: the last listing of changed files
        # (when it started, changed after when, files, folders).
        self._changes: WeakKeyDictionary[
            Any, tuple[int, int, list[str], dict[str, int]]] = WeakKeyDictionary()
        # Per directory tree object: a listing of changed files begun
        # early (when, changed after when, the find process).
        self.pending_finds: WeakKeyDictionary[
            Any, tuple[int, int, "subprocess.Popen[bytes]"]] = WeakKeyDictionary()
        # Per directory tree object: the literal set of a warm search
        # begun early (its answer is near: narrowed searches use it).
        self.warm_started: WeakKeyDictionary[Any, Lits] = WeakKeyDictionary()
        # Per directory tree object: folder -> inode, listed this run.
        self._folders: WeakKeyDictionary[Any, dict[str, int]] = WeakKeyDictionary()
        # The listing of the last git top tree asked (bounded memory).
        self.plans: dict[str, Any] = {}

    @staticmethod
    def _of(table: WeakKeyDictionary[Any, Any], source: object, empty: Any) -> Any:
        try:
            return table.setdefault(source, empty)
        except TypeError:       # not weak-referenceable: nothing kept
            return empty

    def answers(self, source: TreeSource) -> dict[Lits, Found]:
        """This run's answers for ``source`` (literal set -> hits)."""
        got: dict[Lits, Found] = self._of(self._answers, source, {})
        return got

    def early(self, source: TreeSource) -> dict[Lits, Early]:
        """The searches begun early for ``source``, not yet picked up."""
        got: dict[Lits, Early] = self._of(self._early, source, {})
        return got

    def early_within(self, source: TreeSource, lits: Lits) -> list[Lits]:
        """The literal sets of searches begun early that ``lits`` contains."""
        return [k for k in self.early(source) if k != lits and set(k) <= set(lits)]

    def scoped(self, source: TreeSource
               ) -> dict[tuple[str, tuple[str, ...]], dict[bytes, frozenset[str]]]:
        got: dict[tuple[str, tuple[str, ...]], dict[bytes, frozenset[str]]] = \
            self._of(self._scoped, source, {})
        return got

    def walk_of(self, source: TreeSource) -> Walk | None:
        try:
            return self._walks.get(source)
        except TypeError:
            return None

    def keep_walk(self, source: TreeSource, walk: Walk) -> None:
        try:
            self._walks[source] = walk
        except TypeError:
            pass

    def folders_of(self, source: TreeSource) -> dict[str, int] | None:
        """The folders (folder -> inode) this run listed below ``source``."""
        try:
            got = self._folders.get(source)
        except TypeError:
            return None
        if got is None:
            walk = self.walk_of(source)
            got = walk[2] if walk is not None else None
        return got

    def changes_of(self, source: TreeSource
                   ) -> tuple[int, int, list[str], dict[str, int]] | None:
        """The files changed since some time, listed this run: (when
        the listing started, since when, files, folders)."""
        try:
            return self._changes.get(source)
        except TypeError:
            return None

    def keep_changes(self, source: TreeSource,
                     got: tuple[int, int, list[str], dict[str, int]]) -> None:
        try:
            self._changes[source] = got
        except TypeError:
            pass

    def keep_folders(self, source: TreeSource, folders: dict[str, int]) -> None:
        try:
            self._folders[source] = folders
        except TypeError:
            pass

    def step(self, part: str, lits: Iterable[bytes], under: str = "",
             tool: str = "") -> None:
        """Record a system search started (and say so on the progress
        line)."""
        self.stats.steps.append(SearchStep(
            part, tuple(lit.decode("utf-8", "surrogateescape") for lit in lits),
            under, tool))
        self._doing = f"searching the tree ({part})"
        self._say(force=True)

    def read_one(self, path: str) -> None:
        """Count a file (or blob) the search reads in Python; the
        progress line shows the count."""
        self.stats.reads[path] += 1
        self._say()

    def _say(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and self._shown and now - self._shown < PROGRESS_EVERY:
            return
        self._shown = now
        n = self.stats.files_read
        self.progress(f"{self._doing}: {n} file{'s' if n != 1 else ''} read"
                      if n else self._doing)

    def done(self) -> None:
        """A search ended: its progress line is erased."""
        if self.progress is not None and self._shown:
            self.progress(None)
        self._shown = 0.0
        self._doing = "searching the tree"

    def close(self) -> None:
        """End the searches begun early that nobody picked up."""
        for table in list(self._early.values()):
            for _, procs, _ in table.values():
                reap(procs)
            table.clear()
        for _, _, proc in list(self.pending_finds.values()):
            reap([proc])
        self.pending_finds.clear()


def reap(procs: list[subprocess.Popen[bytes]]) -> None:
    """End system searches nobody will read."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
