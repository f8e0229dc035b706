"""Scan list archives (public-inbox git repositories): every series
that touches the profile's families, checked as ``patchlens check``
checks one mailbox.  ``patchlens scan`` is this module's command.

The walk, the literal prefilter and the threads are the mail stage's
(``patchlens.mail.archive``): only the threads holding a literal are
parsed, by ``read_series`` (the thread as an mbox in memory), once per
revision.  Here: a revision whose patches touch no family literal is
dropped; the rest go through the pipeline ``check`` uses (Session ->
report), in a 2-process pool; one :class:`ScanRow` per revision.

Incremental: without a window, the last commit of each epoch, the rows
and the messages' threading fields are kept in the cache
(``patchlens.cache.archive_store``); the next run walks only what is
new, re-checks only the threads that grew, and an unchanged archive
costs a cache read.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from patchlens.cache import archive_store
from patchlens.errors import InputError
from patchlens.mail.archive import (ArchiveMessage, Entry, Epoch, MessageFields,
                                    grown_threads, open_archive, read_archive,
                                    read_head, scan_entries, thread_mboxes)
from patchlens.render.scan import ArchiveStats, ScanAnswer, ScanRow

if TYPE_CHECKING:   # the pool starts only when there is work
    from concurrent.futures import Future, ProcessPoolExecutor

    from patchlens.extract.profile import Profile
    from patchlens.impact.model import Report
    from patchlens.mail.model import Series

__all__ = ["ScanSettings", "scan_archives", "scan_archive", "check_thread",
           "fails_at", "JOBS"]

# A walk hands the reading processes this many commits at a time; a
# smaller walk is read by the main process.
_CHUNK = 8192
JOBS = 2

# The worker's settings (set once per process by _init).
_WORKER: dict[str, Any] = {}


@dataclass(frozen=True)
class ScanSettings:
    """What a scan is asked: the archives, the profile, how each series
    is checked (as ``check``'s options), the window."""
    archives: tuple[str, ...]
    profile: str | None = None
    tree: str | None = None
    rev: str | None = None
    no_tree: bool = False
    no_cache: bool = False
    fuzz: int | None = None
    detail: bool = False
    since: int | None = None          # UTC seconds
    until: int | None = None
    after: str | None = None          # an archive commit

    @classmethod
    def from_options(cls, opts: argparse.Namespace) -> ScanSettings:
        """From ``patchlens scan``'s options; ``--until DAY`` takes all
        of that day.  Raises :class:`InputError` for a date it cannot
        read."""
        since = _when(opts.since, "--since")
        until = _when(opts.until, "--until")
        if until is not None and len(opts.until) == 10:
            until += 86400 - 1
        return cls(tuple(opts.archives), opts.profile, opts.tree, opts.rev,
                   bool(opts.no_tree), bool(opts.no_cache), opts.fuzz,
                   bool(opts.detail), since, until, opts.after or None)

    def worker(self) -> dict[str, Any]:
        """The options each checking process gives the session (``since``
        there is the tree's, not the window's)."""
        return {"tree": self.tree, "rev": self.rev, "no_tree": self.no_tree,
                "profile": self.profile, "no_cache": self.no_cache,
                "fuzz": self.fuzz, "guess_base": False, "since": None,
                "detail": self.detail}


def _when(text: str | None, option: str) -> int | None:
    if not text:
        return None
    from patchlens.tree.base import parse_since
    try:
        return parse_since(text)
    except InputError as exc:
        raise InputError(option, exc.what) from None


def _init(opts: dict[str, Any]) -> None:
    from patchlens.extract.profile import load_profile
    _WORKER.clear()
    _WORKER.update(opts)
    _WORKER["profile_obj"] = load_profile(opts.get("profile"))


def _touches(series: Series, literals: Sequence[str]) -> bool:
    """Whether a patch of ``series`` has a family literal on a diff line."""
    return any(lit in line.text for patch in series.patches for fp in patch.files
               for hunk in fp.hunks for line in hunk.lines for lit in literals)


def _row(archive: str, thread: str, series: Series, report: Report,
         detail: bool) -> ScanRow:
    first = series.cover or (series.patches[0].message if series.patches else None)
    findings = report.findings
    top = max((f.severity for f in findings), default=None)
    at_top = [f for f in findings if top is not None and f.severity == top]
    text = ""
    if detail:
        from patchlens.render import render
        text = render(report, "text", series.source)
    return ScanRow(
        archive=archive, thread=thread,
        msgid=first.msgid if first else thread,
        date=first.date if first else "",
        author=(series.patches[0].author if series.patches else
                (first.author if first else "")),
        subject=series.title, revision=series.revision, total=series.total,
        present=tuple(p.index for p in series.patches), missing=series.missing,
        constants=tuple((c.name, c.kind, c.before, c.after) for c in report.constants),
        top_severity=top.name.lower() if top is not None else None,
        top_code=at_top[0].code if at_top else None, top_count=len(at_top),
        findings=len(findings), patch_only=report.patch_only is not None,
        detail=text)


def check_thread(task: tuple[str, str, bytes]) -> tuple[list[ScanRow], list[str]]:
    """The rows of one thread (one per revision whose patches touch the
    families) and its warnings.  Runs in a pool worker after
    :func:`_init`."""
    from patchlens.mail.series import read_series
    from patchlens.session import Session, apply_rules, series_tree
    from patchlens.tree.apply import apply_series
    archive, thread, data = task
    where = f"{archive}: thread <{thread}>"
    profile = _WORKER["profile_obj"]
    literals = [lit.decode() for lit in profile.candidate_literals(())]
    opts = argparse.Namespace(**{k: v for k, v in _WORKER.items()
                                 if k != "profile_obj"})
    rows: list[ScanRow] = []
    warnings: list[str] = []
    try:
        first = read_series(where, data=data)
    except InputError as exc:
        return rows, [str(exc)]
    for number in first.revisions_seen:
        try:
            series = first if number == first.revision else \
                read_series(where, number, data=data)
            if not _touches(series, literals):
                continue
            tree = series_tree(opts, series)
            applied = apply_series(tree, series, apply_rules(opts))
            session = Session(series, tree, applied, profile,
                              use_cache=not opts.no_cache)
            rows.append(_row(archive, thread, series, session.report(),
                             opts.detail))
        except InputError as exc:
            warnings.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - one thread's bug must not stop the scan
            what = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
            warnings.append(f"{where}: v{number}: internal error: {what}")
    return rows, warnings


Pool = Callable[[], "ProcessPoolExecutor | None"]


def _key(path: str, settings: ScanSettings, fingerprint: str) -> str:
    """The cache key of one archive's scan: what the rows depend on."""
    spec = (os.path.realpath(path), fingerprint,
            os.path.realpath(settings.tree) if settings.tree else None,
            settings.rev, settings.no_tree, settings.fuzz, settings.detail)
    return hashlib.sha1(repr(spec).encode()).hexdigest()


def _rows_ok(_k: Any, v: Any) -> bool:
    return (isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], dict)
            and isinstance(v[2], int)
            and all(isinstance(a, str) and isinstance(b, str) for a, b in v[0].items())
            and isinstance(v[1], tuple) and all(isinstance(r, ScanRow) for r in v[1]))


def _index_ok(_k: Any, v: Any) -> bool:
    return (isinstance(v, tuple) and len(v) == 7 and isinstance(v[2], int)
            and isinstance(v[4], tuple) and isinstance(v[5], bool))


def scan_archive(path: str, settings: ScanSettings, profile: Profile,
                 get_pool: Pool) -> tuple[ArchiveStats, list[ScanRow], list[str]]:
    """Walk one ARCHIVE, check its new family threads, return its stats,
    all its rows (the cached ones too) and warnings."""
    start = time.monotonic()
    epochs = open_archive(path)
    literals = profile.candidate_literals(())
    windowed = (settings.since is not None or settings.until is not None
                or settings.after is not None)
    incremental = not windowed and not settings.no_cache
    key = _key(path, settings, profile.fingerprint)
    store = archive_store(incremental, key, _rows_ok, _index_ok)
    last_heads: dict[str, str] = {}
    old_rows: tuple[ScanRow, ...] = ()
    old_count = 0
    if incremental:
        cached = store.get("scan").get(key)
        if cached is not None:
            last_heads, old_rows, old_count = cached
    if incremental and last_heads and set(last_heads) == {e.path for e in epochs}:
        heads_now = {e.path: read_head(e.path) for e in epochs}
        if heads_now == last_heads:     # nothing new: no repository opened
            stats = ArchiveStats(path, tuple(last_heads.values()), 0, old_count,
                                 True, 0, 0, 0, time.monotonic() - start)
            return stats, list(old_rows), []

    def submit(epoch: Epoch, entries: list[Entry]
               ) -> Future[tuple[list[MessageFields], list[str]]]:
        pool = get_pool()
        assert pool is not None         # given only when JOBS > 1
        return pool.submit(scan_entries, epoch, entries, literals)

    read = read_archive(path, epochs, literals, since=settings.since,
                        until=settings.until, after=settings.after,
                        last_heads=last_heads, submit=submit if JOBS > 1 else None,
                        chunk=_CHUNK)
    warnings = read.warnings
    if read.restarted:
        last_heads, old_rows, old_count = {}, (), 0
    if incremental and read.walked == 0 and last_heads:
        stats = ArchiveStats(path, tuple(read.heads.values()), 0, old_count, True,
                             0, 0, 0, time.monotonic() - start)
        return stats, list(old_rows), warnings

    new = [ArchiveMessage(*f) for f in read.fields]
    known: list[ArchiveMessage] = []
    if incremental and last_heads:
        known = [ArchiveMessage(*v) for v in store.get("index").values()]
    groups = grown_threads(known, new)
    tasks = [(path, root, mbox) for root, mbox in thread_mboxes(epochs, groups)]
    rows: list[ScanRow] = []
    pool = get_pool() if len(tasks) > 1 else None
    results = (pool.map(check_thread, tasks) if pool is not None
               else map(check_thread, tasks))
    for found, warns in results:
        rows.extend(found)
        warnings.extend(warns)
    # a thread that grew is checked again: its old rows go
    regrown = {r for r, _g in groups}
    rows += [r for r in old_rows if r.thread not in regrown]
    if incremental:
        store.get("scan")[key] = (read.heads, tuple(rows), old_count + read.walked)
        store.touch("scan")
        store.get("index").update((f[3], f) for f in read.fields)
        store.touch("index")
        store.flush()
    count = old_count + read.walked if incremental else read.walked
    stats = ArchiveStats(path, tuple(read.heads.values()), read.walked, count, False,
                         sum(m.hit for m in new), sum(len(g) for _r, g in groups),
                         len(groups), time.monotonic() - start)
    return stats, rows, warnings


def scan_archives(settings: ScanSettings) -> ScanAnswer:
    """Scan every archive of ``settings``; rows newest first.

    Raises :class:`InputError` when a path is no archive (before any
    work) or ``--after`` names no commit."""
    from patchlens.extract.profile import load_profile
    profile = load_profile(settings.profile)
    for path in settings.archives:
        open_archive(path)          # an unusable path: one line, exit 2
    worker = settings.worker()
    _init(worker)
    archives: list[ArchiveStats] = []
    rows: list[ScanRow] = []
    warnings: list[str] = []
    pools: list[ProcessPoolExecutor] = []

    def get_pool() -> ProcessPoolExecutor | None:
        if JOBS < 2:
            return None
        if not pools:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            pools.append(ProcessPoolExecutor(
                JOBS, mp_context=multiprocessing.get_context("fork"),
                initializer=_init, initargs=(worker,)))
        return pools[0]

    try:
        for path in settings.archives:
            stats, found, warns = scan_archive(path, settings, profile, get_pool)
            archives.append(stats)
            rows.extend(found)
            warnings.extend(warns)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
    rows.sort(key=lambda r: (r.date, r.revision), reverse=True)
    return ScanAnswer(tuple(archives), tuple(rows), tuple(warnings))


def fails_at(answer: ScanAnswer, level: str) -> bool:
    """Whether a series has a finding at or above ``level`` (``--fail-on``)."""
    from patchlens.findings import Severity
    floor = Severity.parse(level)
    return any(r.top_severity is not None and Severity.parse(r.top_severity) >= floor
               for r in answer.rows)
