"""The usual inputs of a command, assembled once from its CLI options.

``open_session(opts)`` reads the series (when the command has one),
opens the tree, applies the series in memory and loads the profile;
the constant history and the reference scan are computed on first use
and kept, so a command that asks twice pays once.  This is the I/O
edge: everything it hands out is data for the pure analysis stages.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from patchlens.search import SearchContext
from patchlens.tree import TreeKind, TreeSource

if TYPE_CHECKING:   # loaded when a series is read: refs and graph need none
    from patchlens.extract.definitions import ConstantTable, FlagSet
    from patchlens.extract.history import ConstantHistory
    from patchlens.extract.profile import Profile
    from patchlens.extract.scan import Scan
    from patchlens.findings import Finding
    from patchlens.impact.model import Report
    from patchlens.mail.model import Series
    from patchlens.tree.apply import AppliedSeries, Rules

__all__ = ["Session", "Subset", "open_session", "load_series",
           "apply_rules", "series_tree", "opened_sessions", "progress_line"]


def load_series(path: str, revision: int | None = None) -> Series:
    from patchlens.mail.series import read_series
    return read_series(path, revision)


def apply_rules(opts: argparse.Namespace) -> Rules:
    """``--fuzz N``: GNU patch's rules; else git's."""
    from patchlens.tree.apply import Rules
    return Rules(fuzz=getattr(opts, "fuzz", None))


def series_tree(opts: argparse.Namespace, series: Series | None) -> TreeSource:
    """The tree ``--tree``/``--rev``/``--no-tree``/``--guess-base``/
    ``--since`` name for ``series``."""
    from patchlens.tree.base import open_series_tree
    return open_series_tree(getattr(opts, "tree", None),
                            getattr(opts, "rev", None), series,
                            no_tree=getattr(opts, "no_tree", False),
                            guess=getattr(opts, "guess_base", False),
                            since=getattr(opts, "since", None))


@dataclass
class Session:
    """Series (or None), base tree, applied series (or None), profile."""
    series: Series | None
    tree: TreeSource
    applied: AppliedSeries | None
    profile: Profile
    use_cache: bool = True
    # The run's literal searches: their memos, counters, early starts.
    search: SearchContext = field(default_factory=SearchContext, repr=False)
    _history: ConstantHistory | None = field(default=None, repr=False)
    _hazards: tuple[Finding, ...] | None = field(default=None, repr=False)
    # (names, final, local, whole) -> the scan of those names.
    _scans: dict[tuple[frozenset[tuple[str, str]], bool, frozenset[str],
                       bool], Scan] = field(default_factory=dict, repr=False)
    # Seconds per stage (``--verbose``), in the order they ran.
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    # A scan shows a one-line counter (on a terminal, not with -q).
    progress: bool = False

    def __post_init__(self) -> None:
        self.search.cache = self.search.cache and self.use_cache
        if self.progress:
            # The literal searches say what they read too: the first,
            # cold one is the long silence before any parsing.
            self.search.progress = progress_line

    def series_paths(self) -> frozenset[str]:
        """Every path a patch of the series touches."""
        if self.applied is None:
            return frozenset()
        return frozenset().union(*self.applied.changes)

    @property
    def final(self) -> TreeSource:
        """The tree with the whole series applied (the base without one)."""
        return self.applied.final if self.applied is not None else self.tree

    def history(self) -> ConstantHistory:
        """Values at the base and after each patch (one step, the base,
        without a series)."""
        if self._history is None:
            from patchlens.extract.history import (constant_history,
                                                   tree_history)
            if self.applied is not None and self.series is not None:
                self._history = constant_history(self.applied, self.series,
                                                 self.profile, self.search)
            else:
                self._history = tree_history(self.tree, self.profile,
                                             self.search)
        return self._history

    def hazards(self) -> tuple[Finding, ...]:
        """The constant checks over :meth:`history` (collisions, shifts,
        stale references, array growth, ...): none without a series."""
        if self._hazards is None:
            self._hazards = ()
            if self.applied is not None and self.series is not None:
                from patchlens.checks import constant_findings
                self._hazards = constant_findings(self.history(), self.profile,
                                                  self.applied, self.series,
                                                  self.search)
        return self._hazards

    def report(self) -> Report:
        """The report of the series: the one pipeline whose finding list
        ``report`` and ``check`` both print and take their exit status
        from (:func:`patchlens.impact.report.report_findings`)."""
        from patchlens.impact.facts import gather_facts
        from patchlens.impact.report import build_report
        if self.series is None:
            raise ValueError("a report needs a series")
        return build_report(self.series, self.tree.info, self.applied,
                            gather_facts(self))

    def flag_sets(self, table: ConstantTable) -> tuple[FlagSet, ...]:
        """The flag-set macros of the final tree (those ``table`` holds
        without a tree)."""
        if self.final.info.kind == "none":
            return table.flagsets
        from patchlens.extract.flagsets import scan_flag_sets
        return tuple(scan_flag_sets(self.final, table, self.profile,
                                    context=self.search))

    def refs_scan(self, asked: Iterable[str] = (), progress: bool = False
                  ) -> tuple[ConstantTable, Scan, Scan | None]:
        """What ``refs`` and ``graph`` read: the base tree's constants,
        the whole base tree's scan of every family name plus ``asked``
        (each a C identifier), and the final tree's (None without a
        series)."""
        from patchlens.errors import InputError
        from patchlens.extract.constants import extract_constants
        from patchlens.extract.scan import family_names
        if self.tree.info.kind == "none":
            raise InputError("--tree", "refs needs a kernel tree (--tree PATH)")
        asked = list(asked)
        # The tree-wide search starts now, while the parser loads and the
        # constants are read (a core would idle there).
        self.start_scan(asked)
        table = extract_constants(self.tree, self.profile, context=self.search)
        names = family_names(table)
        for n in asked:
            if n in names:
                continue
            if not n.replace("_", "a").isalnum() or n[0].isdigit():
                raise InputError("refs", f"not a C identifier: {n}")
            names[n] = "other"
        base = self.scan(names, final=False, whole=True, progress=progress)
        final = self.scan(names, progress=progress) \
            if self.applied is not None else None
        return table, base, final

    def start_scan(self, names: Iterable[str] = ()) -> None:
        """Start the tree-wide search of a coming :meth:`scan` (of the
        family constants plus ``names``) now, to run while the caller
        does other work (:func:`patchlens.search.start`)."""
        from patchlens.c.defines import header_macros
        from patchlens.search import start
        start(self.search, self.tree, self.profile.candidate_literals(names),
              header_macros)

    def scan(self, names: Mapping[str, str], *, final: bool = True,
             local: Iterable[str] = (), whole: bool = False,
             progress: bool = False) -> Scan:
        """The reference ``Scan`` of ``names`` (name -> family key) in
        the final (or base) tree; ``local``: those defined only in
        ``.c`` files (``constants.local_names``).  The base scan covers
        only the files the series touches unless ``whole``;
        ``progress`` shows a counter on a terminal."""
        from patchlens.extract.scan import scan_references
        key = (frozenset(names.items()), final, frozenset(local), whole)
        if key not in self._scans:
            source = self.final if final else self.tree
            if not final and not whole and self.applied is not None:
                # The base differs from the final tree only in the files
                # the series touches: scan just those (the caller takes
                # the rest from the final scan).
                source = Subset(self.tree, self.series_paths())
            self._scans[key] = scan_references(source, dict(names),
                                               self.profile,
                                               cache=self.use_cache,
                                               local=local,
                                               progress=progress
                                               or self.progress,
                                               context=self.search)
        return self._scans[key]


class Subset:
    """Some files of a tree (:class:`TreeSource`), plus its MAINTAINERS
    so subsystems still resolve.  Its kind is "subset"."""

    def __init__(self, tree: TreeSource, paths: frozenset[str]) -> None:
        self.tree = tree
        self.paths = paths
        self.info = replace(tree.info, kind=TreeKind.SUBSET)

    def read(self, path: str) -> bytes | None:
        return self.tree.read(path)

    def exists(self, path: str) -> bool:
        return self.tree.exists(path)

    def content_id(self, path: str) -> str | None:
        return self.tree.content_id(path)

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()
              ) -> Iterator[str]:
        for p in sorted(self.paths):
            if p.startswith(under) and (not suffixes or p.endswith(suffixes)) \
                    and self.tree.exists(p):
                yield p


def open_session(opts: argparse.Namespace, *, series_path: str | None = None,
                 revision: int | None = None) -> Session:
    """Read what ``opts`` names: ``series`` (positional or ``--series``),
    ``-v``, ``--tree``, ``--rev``, ``--no-tree``, ``--profile``,
    ``--no-cache``.  ``series_path`` overrides ``opts.series``."""
    from patchlens.extract.profile import load_profile

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    path = series_path if series_path is not None else getattr(opts, "series",
                                                               None)
    rev = revision if revision is not None else getattr(opts, "revision", None)
    if isinstance(rev, list):
        rev = rev[0] if rev else None
    series = load_series(path, rev) if path is not None else None
    lap("series")
    tree = series_tree(opts, series)
    lap("tree")
    applied = None
    if series is not None:
        from patchlens.tree.apply import apply_series
        applied = apply_series(tree, series, apply_rules(opts))
        lap("apply")
    profile = load_profile(getattr(opts, "profile", None))
    lap("profile")
    session = Session(series, tree, applied, profile,
                      use_cache=not getattr(opts, "no_cache", False),
                      timings=timings,
                      progress=not getattr(opts, "quiet", False)
                      and sys.stderr.isatty())
    _OPENED.append(session)
    return session


def progress_line(text: str | None) -> None:
    """One line on stderr, rewritten in place; None erases it."""
    sys.stderr.write(f"\rpatchlens: {text}\x1b[K" if text is not None
                     else "\r\x1b[K")
    sys.stderr.flush()


# The sessions this process opened (``--verbose`` reports on them).
_OPENED: list[Session] = []


def opened_sessions() -> tuple[Session, ...]:
    return tuple(_OPENED)
