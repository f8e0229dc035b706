"""``patchlens scan ARCHIVE...``: every series on a mailing list archive
(public-inbox git repositories) that touches the profile's families,
checked as ``patchlens check`` checks one mailbox.

The walk (``patchlens.mail.archive``): the message commits, newest
first (or a ``--since``/``--until`` window, or after ``--after
COMMIT``); each blob is searched for the profile's literals and its
threading headers read by a byte scan; only the threads holding a
literal are parsed, by the mail stage's own ``read_series`` (the thread
written as an mbox in memory), once per revision.  A revision whose
patches touch no family literal is dropped; the rest go through the
same pipeline as ``check`` (Session -> report) in a 2-process pool.

Incremental: without a window, the last commit of each epoch and the
rows found are kept in the cache (``patchlens.cache.archive_store``);
the next run walks only what is new, re-checks only the threads that
grew, and an unchanged archive costs a cache read.

Exit 0, or 1 with ``--fail-on LEVEL`` when a series has a finding at
or above LEVEL (a CI job scanning a list).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Sequence
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from patchlens.cache import archive_store
from patchlens.commands.common import emit
from patchlens.errors import EXIT_FINDINGS, EXIT_OK, InputError
from patchlens.mail.archive import (ArchiveMessage, Entry, Epoch, MessageFields,
                                    Walk, has_commit, open_archive, read_head,
                                    scan_entries, thread_groups, thread_mbox,
                                    walk_epoch)
from patchlens.render.scan import ArchiveStats, ScanAnswer, ScanRow, render_scan

if TYPE_CHECKING:   # the pool starts only when there is work
    from concurrent.futures import Future, ProcessPoolExecutor

__all__ = ["run", "check_thread", "scan_archive"]

# A walk hands the reading processes this many commits at a time; a
# smaller walk is read by the main process.
_CHUNK = 8192
JOBS = 2

# The worker's settings (set once per process by _init).
_WORKER: dict[str, Any] = {}


def _init(opts: dict[str, Any]) -> None:
    from patchlens.extract.profile import load_profile
    _WORKER.clear()
    _WORKER.update(opts)
    _WORKER["profile_obj"] = load_profile(opts.get("profile"))


def _touches(series: Any, literals: Sequence[str]) -> bool:
    """Whether a patch of ``series`` has a family literal on a diff line."""
    for patch in series.patches:
        for fp in patch.files:
            for hunk in fp.hunks:
                for line in hunk.lines:
                    if any(lit in line.text for lit in literals):
                        return True
    return False


def _row(archive: str, thread: str, series: Any, report: Any,
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


def _walk(epoch: Epoch, since: int | None, until: int | None, after: str | None,
          literals: tuple[bytes, ...], get_pool: Pool,
          reading: list[Future[tuple[list[MessageFields], list[str]]]]) -> Walk:
    """Walk ``epoch``; a large walk hands its entries to the pool in
    chunks while it goes on (reading overlaps walking), the rest too."""
    def hand(chunk: list[Entry]) -> None:
        pool = get_pool()
        assert pool is not None         # handed only when JOBS > 1
        reading.append(pool.submit(scan_entries, epoch, chunk, literals))

    walk = walk_epoch(epoch, since=since, until=until, after=after,
                      on_chunk=hand if JOBS > 1 else None, chunk=_CHUNK)
    if walk.handed and walk.handed < len(walk.entries):
        hand(walk.entries[walk.handed:])
        walk.handed = len(walk.entries)
    return walk


def _key(path: str, opts: argparse.Namespace, fingerprint: str) -> str:
    tree = getattr(opts, "tree", None)
    spec = (os.path.realpath(path), fingerprint,
            os.path.realpath(tree) if tree else None, getattr(opts, "rev", None),
            bool(getattr(opts, "no_tree", False)), getattr(opts, "fuzz", None),
            bool(getattr(opts, "detail", False)))
    return hashlib.sha1(repr(spec).encode()).hexdigest()


def _rows_ok(_k: Any, v: Any) -> bool:
    return (isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], dict)
            and isinstance(v[2], int)
            and all(isinstance(a, str) and isinstance(b, str) for a, b in v[0].items())
            and isinstance(v[1], tuple) and all(isinstance(r, ScanRow) for r in v[1]))


def _index_ok(_k: Any, v: Any) -> bool:
    return (isinstance(v, tuple) and len(v) == 7 and isinstance(v[2], int)
            and isinstance(v[4], tuple) and isinstance(v[5], bool))


def scan_archive(path: str, opts: argparse.Namespace, profile: Any,
                 get_pool: Pool,
                 since: int | None, until: int | None
                 ) -> tuple[ArchiveStats, list[ScanRow], list[str]]:
    """Walk one ARCHIVE, check its new family threads, return its stats,
    all its rows (the cached ones too) and warnings."""
    start = time.monotonic()
    epochs = open_archive(path)
    literals = profile.candidate_literals(())
    windowed = since is not None or until is not None or opts.after
    incremental = not windowed and not opts.no_cache
    store = archive_store(incremental, _key(path, opts, profile.fingerprint),
                          _rows_ok, _index_ok)
    key = _key(path, opts, profile.fingerprint)
    last_heads: dict[str, str] = {}
    old_rows: tuple[ScanRow, ...] = ()
    old_count = 0
    if incremental:
        cached = store.get("scan").get(key)
        if cached is not None:
            last_heads, old_rows, old_count = cached
    warnings: list[str] = []
    if incremental and last_heads and set(last_heads) == {e.path for e in epochs}:
        heads_now = {e.path: read_head(e.path) for e in epochs}
        if heads_now == last_heads:     # nothing new: no repository opened
            stats = ArchiveStats(path, tuple(last_heads.values()), 0, old_count,
                                 True, 0, 0, 0, time.monotonic() - start)
            return stats, list(old_rows), warnings
    first = 0
    if opts.after:
        holders = [i for i, e in enumerate(epochs) if has_commit(e, opts.after)]
        if not holders:
            raise InputError(path, f"--after {opts.after}: no such commit")
        first = holders[0]          # the epochs before it are older
    walks: list[Walk] = []
    reading: list[Future[tuple[list[MessageFields], list[str]]]] = []
    for i, epoch in enumerate(epochs[first:], start=first):
        if opts.after:
            after = opts.after if i == first else None
        else:
            after = last_heads.get(epoch.path)
        try:
            walks.append(_walk(epoch, since, until, after, literals, get_pool, reading))
        except InputError as exc:
            # the cached commit is gone (a rewritten archive): scan it all
            warnings.append(f"{exc}; scanning the whole archive again")
            for f in reading:
                f.cancel()
            reading = []
            walks = [_walk(e, since, until, None, literals, get_pool, reading)
                     for e in epochs]
            last_heads, old_rows, old_count = {}, (), 0
            break
    heads = {w.epoch.path: w.head for w in walks if w.head}
    walked = sum(len(w.entries) for w in walks)
    for w in walks:
        warnings.extend(w.warnings)
    if incremental and walked == 0 and last_heads:
        stats = ArchiveStats(path, tuple(heads.values()), 0, old_count, True,
                             0, 0, 0, time.monotonic() - start)
        return stats, list(old_rows), warnings

    fields: list[MessageFields] = []
    for walk in walks:
        if walk.handed < len(walk.entries):     # a small walk: read here
            got, read_warns = scan_entries(walk.epoch, walk.entries[walk.handed:],
                                           literals)
            fields.extend(got)
            warnings.extend(read_warns)
    for fut in reading:
        got, read_warns = fut.result()
        fields.extend(got)
        warnings.extend(read_warns)
    new = [ArchiveMessage(*f) for f in fields]
    index: dict[str, ArchiveMessage] = {}
    if incremental and last_heads:
        index = {k: ArchiveMessage(*v) for k, v in store.get("index").items()}
    new_ids = {m.msgid for m in new}
    everything = [m for k, m in index.items() if k not in new_ids] + new
    groups = [(r, g) for r, g in thread_groups(everything)
              if any(m.msgid in new_ids for m in g)]
    hits = sum(m.hit for m in new)

    import pygit2
    repos = {e.name: pygit2.Repository(e.path) for e in epochs}
    tasks = [(path, r, thread_mbox(repos, g)) for r, g in groups]
    parsed = sum(len(g) for _r, g in groups)
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
        store.get("scan")[key] = (heads, tuple(rows), old_count + walked)
        store.touch("scan")
        idx = store.get("index")
        idx.update((f[3], f) for f in fields)
        store.touch("index")
        store.flush()
    count = old_count + walked if incremental else walked
    stats = ArchiveStats(path, tuple(heads.values()), walked, count, False, hits,
                         parsed, len(groups), time.monotonic() - start)
    return stats, rows, warnings


def _when(text: str | None, option: str) -> int | None:
    if not text:
        return None
    from patchlens.tree.base import parse_since
    try:
        return parse_since(text)
    except InputError as exc:
        raise InputError(option, exc.what) from None


def run(opts: argparse.Namespace) -> int:
    from patchlens.extract.profile import load_profile
    profile = load_profile(opts.profile)
    since = _when(opts.since, "--since")
    until = _when(opts.until, "--until")
    if until is not None and opts.until and len(opts.until) == 10:
        until += 86400 - 1          # a day given: all of it
    for path in opts.archives:
        open_archive(path)          # an unusable path: one line, exit 2
    worker = {"tree": opts.tree, "rev": opts.rev, "no_tree": opts.no_tree,
              "profile": opts.profile, "no_cache": opts.no_cache,
              "fuzz": opts.fuzz, "guess_base": False, "since": None,
              "detail": opts.detail}
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
        for path in opts.archives:
            stats, found, warns = scan_archive(path, opts, profile, get_pool,
                                               since, until)
            archives.append(stats)
            rows.extend(found)
            warnings.extend(warns)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
    rows.sort(key=lambda r: (r.date, r.revision), reverse=True)
    answer = ScanAnswer(tuple(archives), tuple(rows), tuple(warnings))
    if not opts.quiet:
        emit(render_scan(answer, opts.format, opts.detail), opts.output)
    elif warnings:
        for w in warnings:
            sys.stderr.write(f"patchlens: warning: {w}\n")
    fail_on = getattr(opts, "fail_on", None)
    if fail_on is not None:
        from patchlens.findings import Severity
        level = Severity.parse(fail_on)
        if any(r.top_severity is not None and Severity.parse(r.top_severity) >= level
               for r in rows):
            return EXIT_FINDINGS
    return EXIT_OK
