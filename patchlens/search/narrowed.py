"""Narrowed searches: which files below a folder, with some suffixes,
contain these literals.

:func:`files_containing` narrows an answer of the run's tree-wide
:func:`~patchlens.search.front.search` to a folder and suffixes;
without a covering answer it runs one restricted system search
(``include/`` headers for the constants), kept in the context per tree
and literal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable

from patchlens.cache import search_store
from patchlens.search.context import (
    CODE, Lits, SearchContext, contains, overlay_parts)
from patchlens.search.directory import dir_greps, grep_paths
from patchlens.search.front import search
from patchlens.search.system import GIT_MEMORY, git_dir, pattern_args, search_env
from patchlens.tree.source import TreeSource

__all__ = ["files_containing"]


def _covered(lits: Iterable[bytes], by: Iterable[bytes]) -> bool:
    by = tuple(by)
    return all(any(b in lit for b in by) for lit in lits)


def _in_scope(path: str, under: str, suffixes: tuple[str, ...]) -> bool:
    return (not under or path == under or path.startswith(under.rstrip("/") + "/")) \
        and path.endswith(suffixes or ("",))


def _scope_searched(under: str, suffixes: tuple[str, ...]) -> bool:
    """Whether every file of the scope is among the scanned files."""
    return bool(suffixes) and all(s in CODE for s in suffixes) or \
        under.rstrip("/") == "Documentation" or under.startswith("Documentation/")


def files_containing(ctx: SearchContext, source: TreeSource, literals: Iterable[str], *,
                     under: str = "", suffixes: tuple[str, ...] = (".h",),
                     within: Iterable[str] = ()) -> tuple[str, ...]:
    """Paths below ``under`` ending in ``suffixes`` whose bytes contain one
    of ``literals``; sorted.

    ``within``: the literal set of the run's tree-wide search
    (``Profile.search_literals``); every literal containing one of
    them is answered from that search, cached across runs, by reading
    only its hits.  Without it an answered search that covers the
    literals is used when there is one, else a search of the scope
    only.
    """
    lits = tuple(sorted({s.encode() for s in literals if s}))
    if not lits:
        return ()
    scope_ok = _scope_searched(under, suffixes)
    wide = tuple(sorted({s.encode() for s in within if s}))
    if scope_ok and not wide:
        base = overlay_parts(source)
        memo = ctx.answers(base[0] if base else source)
        wide = next((k for k in memo if _covered(lits, k)), ())
        # A warm search begun early (``start``) costs a stat of its
        # hits: narrowing it beats a search of the scope.
        try:
            early = ctx.warm_started.get(base[0] if base else source, ())
        except TypeError:
            early = ()
        if not wide and early and _covered(lits, early):
            wide = early
    if scope_ok and wide:
        extra = tuple(lit for lit in lits if not _covered((lit,), wide))
        found = search(ctx, source, wide + extra)
        exact = set(lits) == set(wide + extra)
        return tuple(sorted(p for p in found if _in_scope(p, under, suffixes)
                            and (exact or contains(source.read(p), lits))))
    parts = overlay_parts(source)
    if parts is not None:
        base_tree, changes = parts
        found_set = set(files_containing(ctx, base_tree, literals, under=under,
                                         suffixes=suffixes))
        for path, data in changes.items():
            found_set.discard(path)
            if _in_scope(path, under, suffixes) and contains(data, lits):
                found_set.add(path)
        return tuple(sorted(found_set))
    try:
        return _scoped(ctx, source, lits, under, suffixes)
    finally:
        ctx.done()              # its progress line, if it showed one


def _scoped(ctx: SearchContext, source: TreeSource, lits: Lits, under: str,
            suffixes: tuple[str, ...]) -> tuple[str, ...]:
    """One system search of a scope (``include/`` headers), kept per
    literal; at a git revision also across runs, by the scope's tree id
    (a warm report asks for the same literals in the same ``include/``)."""
    per_lit = ctx.scoped(source).setdefault((under, suffixes), {})
    todo = tuple(lit for lit in lits if lit not in per_lit)
    kept = _scope_key(source, under, suffixes) if ctx.cache else None
    if todo and kept is not None:
        for lit in todo:
            got = search_store(True, (lit,)).get("scopes").get(kept)
            if got is not None:
                per_lit[lit] = frozenset(got)
                ctx.stats.store_hits += 1
        todo = tuple(lit for lit in lits if lit not in per_lit)
    if todo:
        ctx.stats.searches += 1
        hits = _system_grep(ctx, source, under, suffixes, todo)
        if hits is None:
            hits = tuple(p for p in source.files(under, suffixes)
                         if contains(source.read(p), todo))
        found_by: dict[bytes, set[str]] = {lit: set() for lit in todo}
        for path in hits:
            data = source.read(path) if len(todo) > 1 else None
            for lit in todo:
                if data is None or lit in data:
                    found_by[lit].add(path)
        for lit, paths in found_by.items():
            per_lit[lit] = frozenset(paths)
            if kept is not None:
                store = search_store(True, (lit,))
                store.get("scopes")[kept] = tuple(sorted(paths))
                store.touch("scopes")
                store.flush()
    else:
        ctx.stats.memo_hits += 1
    out: set[str] = set()
    for lit in lits:
        out |= per_lit[lit]
    return tuple(sorted(out))


def _scope_key(source: TreeSource, under: str, suffixes: tuple[str, ...]) -> str | None:
    """The key of a scope's answer across runs: the git tree id of the
    folder and the suffixes; None for any other tree (a directory's
    scope is one rg of a few thousand files)."""
    if source.info.kind != "git" or not hasattr(source, "tree_id"):
        return None
    tid = getattr(source, "tree_id")(under.strip("/"))
    return f"{tid}:{','.join(suffixes)}" if tid else None


def _system_grep(ctx: SearchContext, source: TreeSource, under: str,
                 suffixes: tuple[str, ...], lits: Lits) -> tuple[str, ...] | None:
    """``grep -rlF`` / ``git grep -lF`` of a scope, or None to fall back."""
    info = source.info
    root = info.root
    if root is None or not os.path.isdir(root):
        return None
    try:
        if info.kind == "directory":
            if under.strip("/") and not os.path.isdir(os.path.join(root, under)):
                return ()
            procs = dir_greps(ctx, root, lits, (suffixes or ("",), False), under)
            if not procs:
                return None
            found: dict[str, None] = {}
            ok = True
            for path, done in grep_paths(procs, suffixes or ("",)):
                if path is not None:
                    found[path] = None
                else:
                    ok = bool(done)
            return tuple(found) if ok else None
        if info.kind == "git" and info.commit and shutil.which("git"):
            spec = [f"{under.rstrip('/')}/" if under else "."]
            ctx.step("scope", lits, under)
            res = subprocess.run(["git", "--git-dir", git_dir(root), *GIT_MEMORY, "grep",
                                  "-lF", *pattern_args(lits), info.commit, "--", *spec],
                                 capture_output=True, timeout=300, env=search_env())
            if res.returncode not in (0, 1):
                return None
            out = []
            for line in res.stdout.decode("utf-8", "surrogateescape").splitlines():
                path = line.split(":", 1)[1] if ":" in line else line
                if path.endswith(suffixes or ("",)):
                    out.append(path)
            return tuple(out)
    except (OSError, subprocess.SubprocessError):
        return None
    return None
