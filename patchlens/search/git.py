"""The git backend: hits at a revision, by tree id and blob id.

Subtrees seen at any revision are not walked again (their hits are
kept by tree id), blobs seen are not searched again (their verdict is
kept by blob id).  Cold, ``git grep`` reads the blobs in the
background while Python walks the trees; with a ``follow`` function,
headers first, then the sources once for the literals and the macros
the header hits define, as for a directory.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from patchlens.cache import Store, search_store
from patchlens.search.context import (
    Follow, Found, Lits, SearchContext, contains, is_scanned_path)
from patchlens.search.system import git_dir, pattern_args, search_env
from patchlens.tree.source import TreeSource

__all__ = ["git_search", "GitGrep", "EVERYTHING", "HEADERS", "SOURCES",
           "ALL_HEADERS"]

_FILE_MODES = (0o100644, 0o100755)
# Depth of git subtrees cached by tree id; deeper ones are flattened by
# libgit2 (in C) rather than walked from Python.
_TREE_DEPTH = 2

# The pathspecs of each process of a git grep, and their name in
# :class:`SearchStats` steps.  Two processes, ``.c`` files and the
# rest: reading a tree's blobs is serialised inside one git grep
# (``--threads`` does not help), and a kernel's ``.c`` and ``.h`` files
# are about the same size.
Specs = tuple[tuple[str, ...], ...]
EVERYTHING: Specs = (("*.c",), ("*.h", "Documentation/"))
HEADERS: Specs = (("drivers/*.h",), ("*.h", ":(exclude)drivers/"))
SOURCES: Specs = (("drivers/*.c",), ("*.c", ":(exclude)drivers/", "Documentation/"))
ALL_HEADERS: Specs = (("*.h",),)
_NAMES = {EVERYTHING: "everything", HEADERS: "headers", SOURCES: "sources",
          ALL_HEADERS: "headers"}

# A tree's listing: tree id -> rows (relpath, oid, "tree" | "blob"),
# and blob id -> a path having it.
Plan = dict[str, list[tuple[str, str, str]]]


class GitGrep:
    """``git grep -lzF`` over some paths of a revision, in the
    background; :meth:`result` waits for it."""

    def __init__(self, ctx: SearchContext, source: TreeSource, lits: Lits,
                 specs: Specs = EVERYTHING) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        root, commit = source.info.root, source.info.commit
        if shutil.which("git") is None or not commit or not root:
            return
        ctx.step(_NAMES.get(specs, "scope"), lits)
        try:
            for spec in specs:
                self.procs.append(subprocess.Popen(
                    ["git", "--git-dir", git_dir(root), "grep",
                     "-lzF", *pattern_args(lits), commit, "--", *spec],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=search_env()))
        except OSError:
            for proc in self.procs:
                proc.kill()
                proc.wait()
            self.procs = []

    def result(self) -> set[str] | None:
        if not self.procs:
            return None
        hits: set[str] = set()
        ok = True
        for proc in self.procs:
            out, _ = proc.communicate()
            ok = ok and proc.returncode in (0, 1)
            hits.update(p.split(":", 1)[1] for p in out.decode(
                "utf-8", "surrogateescape").split("\0") if ":" in p)
        return hits if ok else None


def _ls_tree_plan(ctx: SearchContext, source: TreeSource, top: str
                  ) -> tuple[Plan, dict[str, str]] | None:
    """The plan of :func:`git_search` for a whole tree, from one ``git
    ls-tree -r -t``: 0.2 s for a kernel, where walking 170,000 index
    entries through pygit2 takes 1.5 s.  None without git (the caller
    walks with pygit2).  Kept in the context for the run's other
    searches, one tree at a time (bounded memory)."""
    if top in ctx.plans:
        got: tuple[Plan, dict[str, str]] = ctx.plans[top]
        return got
    root = source.info.root
    if shutil.which("git") is None or not root:
        return None
    try:
        res = subprocess.run(["git", "--git-dir", git_dir(root),
                              "ls-tree", "-r", "-t", "-z", "--full-tree", top],
                             capture_output=True, timeout=300, env=search_env())
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    tid_of = {"": top}
    plan: Plan = {top: []}
    # Directories whose rows are listed here: the first path of each
    # tree id (an identical subtree elsewhere shares its rows).
    filling = {""}
    todo: dict[str, str] = {}
    for rec in res.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path_b = rec.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        path = path_b.decode("utf-8", "surrogateescape")
        parts = path.split("/")
        if kind == "tree":
            parent = "/".join(parts[:-1])
            if len(parts) <= _TREE_DEPTH and parent in filling:
                tid_of[path] = oid
                if oid not in plan:
                    plan[oid] = []
                    filling.add(path)
                plan[tid_of[parent]].append((parts[-1], oid, "tree"))
        elif kind == "blob" and int(mode, 8) in _FILE_MODES and is_scanned_path(path):
            # Its directory, or its ancestor at _TREE_DEPTH (flattened).
            cut = min(len(parts) - 1, _TREE_DEPTH)
            owner = "/".join(parts[:cut])
            if owner in filling:
                plan[tid_of[owner]].append(("/".join(parts[cut:]), oid, "blob"))
                todo.setdefault(oid, path)
    ctx.plans.clear()
    ctx.plans[top] = (plan, todo)
    return plan, todo


def _read(ctx: SearchContext, source: TreeSource, path: str) -> bytes | None:
    ctx.stats.reads[path] += 1
    return source.read(path)


def _git_follow(ctx: SearchContext, source: TreeSource, lits: Lits, follow: Follow
                ) -> tuple[set[str], Lits, set[str]] | None:
    """A cold search at a revision that follows the header macros, as
    a directory's does: headers first; then ``.c`` files and
    ``Documentation/`` once for the literals and the macros the header
    hits define (``follow``), while headers are searched again for
    those alone.  (hits of ``lits``, the macros, their hits), or None
    when a git grep failed.

    A git grep reads a revision's blobs on one core, so each step is
    split in two: ``drivers/`` and the rest hold about as many of a
    kernel's headers (1.3 s and 0.95 s of the 2.2 s one process takes
    at v6.12) and of its ``.c`` files."""
    first = GitGrep(ctx, source, lits, HEADERS).result()
    if first is None:
        return None
    nxt = tuple(sorted({m for p in first
                        for m in follow(_read(ctx, source, p) or b"", lits)}))
    if not nxt:
        got = GitGrep(ctx, source, lits, SOURCES).result()
        return None if got is None else (first | got, (), set())
    both = GitGrep(ctx, source, tuple(sorted(set(lits) | set(nxt))), SOURCES)
    again = GitGrep(ctx, source, nxt, ALL_HEADERS)
    got, heads = both.result(), again.result()
    if got is None or heads is None:
        return None
    data = {p: _read(ctx, source, p) for p in got}
    return (first | {p for p in got if contains(data[p], lits)}, nxt,
            heads | {p for p in got if contains(data[p], nxt)})


def _resolve(plan: Plan, trees: dict[str, tuple[tuple[str, str], ...]],
             blobs: dict[str, bool], tid: str) -> tuple[tuple[str, str], ...]:
    """The hits below tree ``tid``: from ``trees`` when known, else from
    the plan's rows and the blobs' verdicts (and kept in ``trees``)."""
    if tid in trees:
        return trees[tid]
    out: list[tuple[str, str]] = []
    for rel, oid, kind in plan[tid]:
        if kind == "tree":
            out += [(f"{rel}/{p}", o) for p, o in _resolve(plan, trees, blobs, oid)]
        elif blobs.get(oid):
            out.append((rel, oid))
    trees[tid] = tuple(out)
    return trees[tid]


def git_search(ctx: SearchContext, source: TreeSource, lits: Lits, store: Store,
               follow: Follow | None, memo: dict[Lits, Found]) -> Found:
    """Hits at a git revision; content ids are blob ids.  Cold, with
    ``follow``, the header macros' answer goes to ``memo`` and to its
    own store (:func:`_git_follow`)."""
    import pygit2
    repo: Any = getattr(source, "repo")
    trees = store.get("trees")
    top_id = str(getattr(source, "tree_id")(""))
    top = repo[top_id]
    early = None
    cold = top_id not in trees and not store.get("blobs")
    if not cold and top_id in trees:
        ctx.stats.store_hits += 1
    if cold and follow is None:
        early = GitGrep(ctx, source, lits)      # cold: grep while we walk
    plan: Plan = {}
    todo_blobs: dict[str, str] = {}  # oid -> a path having it

    def gather(tree: Any, prefix: str, depth: int) -> None:
        tid = str(tree.id)
        if tid in trees or tid in plan:
            return
        rows: list[tuple[str, str, str]] = []
        if depth >= _TREE_DEPTH:
            index = pygit2.Index()
            index.read_tree(tree)
            for e in index:
                if e.mode in _FILE_MODES and is_scanned_path(prefix + e.path):
                    rows.append((e.path, str(e.id), "blob"))
        else:
            for e in tree:
                if e.type_str == "tree":
                    gather(repo[e.id], prefix + e.name + "/", depth + 1)
                    rows.append((e.name, str(e.id), "tree"))
                elif e.filemode in _FILE_MODES and is_scanned_path(prefix + e.name):
                    rows.append((e.name, str(e.id), "blob"))
        plan[tid] = rows
        for rel, oid, kind in rows:
            if kind == "blob":
                todo_blobs.setdefault(oid, prefix + rel)

    listed = None
    if top_id not in trees:
        listed = _ls_tree_plan(ctx, source, top_id)
        if listed is not None:
            plan, todo_blobs = listed
        else:
            gather(top, "", 0)
    followed = None
    if plan:
        blobs = store.get("blobs")
        unseen = {oid: p for oid, p in todo_blobs.items() if oid not in blobs}
        if cold and follow is not None and listed is not None:
            followed = _git_follow(ctx, source, lits, follow)
        hits = followed[0] if followed is not None else \
            early.result() if early is not None else None
        if hits is None and len(unseen) > ctx.grep_threshold:
            hits = GitGrep(ctx, source, lits).result()
        if hits is not None:
            for oid, p in unseen.items():
                blobs[oid] = p in hits
        else:
            if cold:
                ctx.stats.fallbacks += 1
            for oid, p in unseen.items():
                ctx.stats.reads[p] += 1
                try:
                    data = repo[oid].data
                except (KeyError, ValueError, pygit2.GitError):
                    data = None         # a missing object: nothing to find
                blobs[oid] = contains(data, lits)
        if unseen:
            store.touch("blobs")

        _resolve(plan, trees, blobs, top_id)
        store.touch("trees")
    if followed is not None and followed[1]:
        nxt, heads = followed[1], followed[2]
        second = search_store(store.enabled, nxt)
        blobs2, trees2 = second.get("blobs"), second.get("trees")
        for oid, p in todo_blobs.items():
            blobs2[oid] = p in heads
        memo[nxt] = dict(_resolve(plan, trees2, blobs2, top_id))
        second.touch("blobs")
        second.touch("trees")
        second.flush()
    return dict(trees[top_id])
