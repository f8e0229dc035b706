"""The front end: which files of a tree contain these literals.

:func:`search` answers for every scanned file (``.c``/``.h`` and
``Documentation/``): path -> content id.  Its answers are kept in the
run's :class:`SearchContext` per tree object and literal set (an
overlay -- the state after a patch -- reuses its base's answer and
re-checks only the files it changes; a literal set that contains one
already asked searches only the new literals; one contained in an
answered set is narrowed by reading just those files), and across runs
in :mod:`patchlens.cache`'s search store.  The backends do the reading:
:mod:`patchlens.search.git` and :mod:`patchlens.search.directory`.

:func:`start` begins the first step of a cold directory search early.
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Iterable

from patchlens.cache import search_store
from patchlens.search.context import (
    Follow, Found, Lits, OnHit, SearchContext, contains, is_scanned_path,
    literal_set, overlay_parts, reap, report)
from patchlens.search.directory import (
    HEADERS, begin_find, dir_greps, dir_search, root_identity)
from patchlens.search.git import git_search
from patchlens.tree.source import TreeSource, blob_id

__all__ = ["search", "start"]


def search(ctx: SearchContext, source: TreeSource, literals: Iterable[bytes | str], *,
           on_hit: OnHit | None = None, follow: Follow | None = None) -> Found:
    """:func:`_search`, its progress line erased when it ends."""
    try:
        return _search(ctx, source, literals, on_hit=on_hit, follow=follow)
    finally:
        ctx.done()


def _search(ctx: SearchContext, source: TreeSource, literals: Iterable[bytes | str], *,
            on_hit: OnHit | None = None, follow: Follow | None = None) -> Found:
    """Every scanned file (``.c``, ``.h``, ``Documentation/``) of
    ``source`` whose bytes contain one of ``literals``: path -> content
    id.  ``on_hit(path, cid)`` is called once per hit, as early as the
    search knows it (a directory: while grep still runs).

    ``follow(header bytes, literals)``: the macros a header hit defines
    with a literal (the flag sets a scan follows next:
    ``patchlens.c.defines.header_macros``) are worth searching in the
    same pass.  A cold search then reads the headers first, then the
    rest of the tree once for both sets, and keeps (and caches) the
    second set's answer, so asking for it, or for part of it, later
    costs no second pass.  Elsewhere it changes nothing.  A search
    begun by :func:`start` follows them too.
    """
    lits = literal_set(literals)
    if not lits:
        return {}
    parts = overlay_parts(source)
    if parts is not None:
        # The base's answer, its hits reported as it finds them (but
        # those of the files the overlay changes), then the changes.
        base, changes = parts
        found = dict(search(ctx, base, lits, follow=follow, on_hit=None
                            if on_hit is None else
                            (lambda p, c: None if p in changes else on_hit(p, c))))
        for path, data in changes.items():
            found.pop(path, None)
            if data is not None and is_scanned_path(path) and contains(data, lits):
                found[path] = blob_id(data)
                if on_hit is not None:
                    on_hit(path, found[path])
        return found
    memo = ctx.answers(source)
    if lits in memo:
        ctx.stats.memo_hits += 1
        return report(memo[lits], on_hit)
    # A search begun early for some of these literals is finished
    # first: it has read the headers already, and follows their macros.
    for early in ctx.early_within(source, lits):
        search(ctx, source, early)
    # Literals an answer of this run covers come from it (its hits
    # read again when it answered more literals than these); only the
    # rest is searched.
    from_memo: dict[Lits, list[bytes]] = {}
    for lit in lits:
        keys = [k for k in memo if lit in k]
        if keys:
            from_memo.setdefault(min(keys, key=len), []).append(lit)
    found = {}
    for key, some in from_memo.items():
        got = memo[key]
        if len(some) < len(key):
            got = {p: c for p, c in got.items() if contains(source.read(p), some)}
        found.update(got)
    report(found, on_hit)
    rest = tuple(lit for lit in lits if not any(lit in k for k in from_memo))
    if rest:
        ctx.stats.searches += 1
        store = search_store(ctx.cache, rest)
        on_new = None if on_hit is None else \
            (lambda p, c: None if p in found else on_hit(p, c))
        kind = source.info.kind
        if kind == "git" and hasattr(source, "repo") and hasattr(source, "tree_id"):
            got = git_search(ctx, source, rest, store,
                             None if from_memo else follow, memo)
            found.update(report(got, on_new))
        elif kind == "directory" and hasattr(source, "root"):
            found.update(dir_search(ctx, source, rest, store, on_new,
                                    None if from_memo else follow, memo))
        else:
            found.update(_read_all(source, rest, on_new))
        store.flush()
    else:
        ctx.stats.memo_hits += 1
    memo[lits] = found
    if from_memo and ctx.cache:
        _keep_assembled(source, lits, (*from_memo, *((rest,) if rest else ())), found)
    return found


def _read_all(source: TreeSource, lits: Lits, on_hit: OnHit | None) -> Found:
    """Any other tree (none, a subset): every scanned file read."""
    found: Found = {}
    for path in source.files():
        if is_scanned_path(path):
            data = source.read(path)
            if data is not None and contains(data, lits):
                found[path] = source.content_id(path) or blob_id(data)
                if on_hit is not None:
                    on_hit(path, found[path])
    return found


def _keep_assembled(source: TreeSource, lits: Lits, parts: Iterable[Lits],
                    found: Found) -> None:
    """Cache an answer put together from others of this run, so the next
    run finds it as if it had been searched (a git revision by its tree
    id; a directory with its hits' stats and the oldest start time of
    the parts)."""
    kind = source.info.kind
    store = search_store(True, lits)
    if kind == "git" and hasattr(source, "tree_id"):
        store.get("trees")[getattr(source, "tree_id")("")] = tuple(sorted(found.items()))
        store.touch("trees")
    elif kind == "directory" and hasattr(source, "root"):
        root: str = getattr(source, "root")
        answers = [search_store(True, k).get("dirs").get(root) for k in parts]
        kept: dict[str, tuple[int, int, str]] = {}
        since = []
        for answer in answers:
            # Every part must be of this directory as it is now.
            if answer is None or answer[2][:2] != root_identity(root):
                return
            since.append(answer[0])
            kept.update((p, v) for p, v in answer[1].items() if p in found)
        if set(kept) != set(found):
            return
        # The oldest folder listing: a folder any part saw differently
        # is read again next run.
        first = answers[0][2] if answers[0] is not None else None
        if first is None:
            return
        folders = dict(first[2])
        for answer in answers[1:]:
            for d, ino in (answer[2][2] if answer is not None else {}).items():
                if folders.get(d) != ino:
                    folders[d] = -1
        store.get("dirs")[root] = (min(since), kept, (first[0], first[1], folders))
        store.touch("dirs")
    store.flush()


def start(ctx: SearchContext, source: TreeSource, literals: Iterable[bytes | str],
          follow: Follow) -> None:
    """Start the first step of a cold directory :func:`search` for
    ``literals`` (following ``follow``) now, so it runs while the
    caller imports the parser and reads the constants (one core would
    idle there).  The search for them that comes next picks it up,
    whoever asks; nothing happens for a git tree, an overlay or a
    search whose answer is cached."""
    lits = literal_set(literals)
    if not lits or source.info.kind != "directory" or not hasattr(source, "root") \
            or overlay_parts(source) is not None or lits in ctx.answers(source):
        return
    root: str = getattr(source, "root")
    known = search_store(ctx.cache, lits).get("dirs").get(root)
    if known is not None and known[2][:2] == root_identity(root):
        # A warm search runs no grep; what changed since is listed now.
        begin_find(ctx, source, known[0])
        try:
            ctx.warm_started[source] = lits
        except TypeError:
            pass
        return
    early = ctx.early(source)
    if lits not in early:
        started = time.time_ns()
        procs = dir_greps(ctx, root, lits, HEADERS)
        early[lits] = (started, procs, follow)
        ctx.stats.early_started += 1
        atexit.register(reap, procs)
