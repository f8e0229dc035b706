"""The git backend: hits at a revision, by tree id and blob id.

Subtrees seen at any revision are not walked again (their hits are
kept by tree id), blobs seen are not searched again (their verdict is
kept by blob id).  The blobs not seen yet are searched by ``git grep``
over trees made of just those blobs (:class:`BlobGrep`), so a first
search at a revision reads each distinct blob once, and moving from a
warm revision to another reads only the blobs that differ.  With a
``follow`` function, headers first, then the sources once for the
literals and the macros the header hits define, as for a directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zlib
from typing import Any

from patchlens.cache import Store, search_store
from patchlens.search.context import (
    Follow, Found, Lits, SearchContext, contains, is_scanned_path)
from patchlens.search.system import GIT_MEMORY, git_dir, pattern_args, search_env
from patchlens.tree.source import TreeSource

__all__ = ["git_search", "GitGrep", "BlobGrep", "EVERYTHING"]

_FILE_MODES = (0o100644, 0o100755)
# Depth of git subtrees cached by tree id; deeper ones are flattened by
# libgit2 (in C) rather than walked from Python.
_TREE_DEPTH = 2

# The pathspecs of each process of a cold git grep of a revision
# started before its listing is known.  Two processes, ``.c`` files
# and the rest: reading a tree's blobs is serialised inside one git
# grep (``--threads`` does not help), and a kernel's ``.c`` and ``.h``
# files are about the same size (680 and 656 MB at v6.12).
Specs = tuple[tuple[str, ...], ...]
EVERYTHING: Specs = (("*.c",), ("*.h", "Documentation/"))
_NAMES = {EVERYTHING: "everything"}

# A tree's listing: tree id -> rows (relpath, oid, "tree" | "blob"),
# and blob id -> a path having it.
Plan = dict[str, list[tuple[str, str, str]]]

# A cold search with ``follow`` reads the headers up to this size first
# (for the literals, then the macros their hits define): the kernel's
# flag sets are defined in ordinary headers, while the few large ones
# (generated register headers: 791 of 25,289 headers at v6.12 hold 529
# of its 657 MB) are read once, with the sources, for both sets.
_SMALL_HEADER = 64 << 10


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
                    ["git", "--git-dir", git_dir(root), *GIT_MEMORY, "grep",
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


class BlobGrep:
    """``git grep -lzF`` over some blobs of a repository (blob id -> a
    path having it), in the background; :meth:`result` waits for it and
    gives the blob ids that hold a literal.

    git grep reads a tree's blobs, not a list of them, so the blobs are
    put in trees of their own (``git mktree``: one flat tree per
    process, each blob once, under a made-up name) written into a
    temporary object directory that borrows the repository's objects
    (``GIT_OBJECT_DIRECTORY`` and ``GIT_ALTERNATE_OBJECT_DIRECTORIES``):
    nothing is written into the repository.  Reading a revision's blobs
    is serialised inside one git grep (``--threads`` does not help), so
    the blobs are dealt to ``procs`` processes in turn."""

    def __init__(self, ctx: SearchContext, source: TreeSource, lits: Lits,
                 blobs: dict[str, str], part: str, procs: int = 2) -> None:
        self.procs: list[tuple[subprocess.Popen[bytes], str, list[str]]] = []
        self.tmp: str | None = None
        self.empty = not blobs
        root = source.info.root
        if self.empty or not lits or shutil.which("git") is None or not root:
            return
        ctx.step(part, lits)
        ctx.stats.blobs_grepped += len(blobs)
        gd = git_dir(root)
        try:
            objects = subprocess.run(
                ["git", "--git-dir", gd, "rev-parse", "--git-path", "objects"],
                capture_output=True, env=search_env(), timeout=60, cwd=gd)
            odb = os.path.join(gd, objects.stdout.decode("utf-8", "surrogateescape")
                               .strip()) if objects.returncode == 0 else ""
            if not odb or not os.path.isdir(odb):
                return
            self.tmp = tempfile.mkdtemp(prefix="patchlens-grep-")
            env = {**search_env(), "GIT_OBJECT_DIRECTORY": self.tmp,
                   "GIT_ALTERNATE_OBJECT_DIRECTORIES": os.path.abspath(odb)}
            oids = list(blobs)
            n = max(1, min(procs, len(oids)))
            for k in range(n):
                names = oids[k::n]
                tree = _write_tree(self.tmp, names) or _mktree(gd, env, names)
                if tree is None:
                    self.close()
                    return
                self.procs.append((subprocess.Popen(
                    ["git", "--git-dir", gd, *GIT_MEMORY, "grep", "-lzF",
                     *pattern_args(lits), tree],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env),
                    tree, names))
        except (OSError, subprocess.SubprocessError):
            self.close()

    def close(self) -> None:
        for proc, _, _ in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self.procs = []
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def result(self) -> set[str] | None:
        """The blob ids holding a literal, or None when a git grep failed."""
        if self.empty:
            return set()
        if not self.procs:
            return None
        hits: set[str] = set()
        ok = True
        try:
            for proc, tree, names in self.procs:
                out, _ = proc.communicate()
                ok = ok and proc.returncode in (0, 1)
                for rec in out.split(b"\0"):
                    tid, _, name = rec.decode("ascii", "replace").partition(":")
                    if tid == tree and name:
                        try:
                            hits.add(names[int(name, 16)])
                        except (ValueError, IndexError):
                            ok = False
        finally:
            self.close()
        return hits if ok else None


def _write_tree(objects: str, oids: list[str]) -> str | None:
    """Write a flat tree of the blobs ``oids`` (entry ``i`` named by
    ``i`` in hex, zero-padded so that git's name order is this order)
    into the object directory ``objects`` as a loose object: what ``git
    mktree --missing`` does, without a process (~200 MB of it for a
    kernel's 45,000 blobs).  Its id, or None when it cannot be written."""
    if any(len(oid) != 40 for oid in oids):
        return None                 # SHA-256 objects: git mktree writes it
    width = len(f"{max(len(oids) - 1, 0):x}")
    try:
        ids = bytes.fromhex("".join(oids))
    except ValueError:              # not a hex object id
        return None
    entry = b"100644 %0" + str(width).encode() + b"x\0"
    body = b"".join(entry % i + ids[20 * i:20 * i + 20] for i in range(len(oids)))
    raw = b"tree %d\0" % len(body) + body
    tid = hashlib.sha1(raw).hexdigest()
    folder = os.path.join(objects, tid[:2])
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, tid[2:]), "wb") as fh:
            fh.write(zlib.compress(raw, 1))
    except OSError:
        return None
    return tid


def _mktree(gd: str, env: dict[str, str], oids: list[str]) -> str | None:
    """The tree of :func:`_write_tree` made by ``git mktree --missing``."""
    width = len(f"{max(len(oids) - 1, 0):x}")
    listing = "".join(f"100644 blob {oid}\t{i:0{width}x}\n"
                      for i, oid in enumerate(oids)).encode()
    made = subprocess.run(["git", "--git-dir", gd, "mktree", "--missing"],
                          input=listing, capture_output=True, env=env, timeout=300)
    tree = made.stdout.decode().strip()
    return tree if made.returncode == 0 and tree else None


def _ls_tree_plan(ctx: SearchContext, source: TreeSource, top: str
                  ) -> tuple[Plan, dict[str, str], dict[str, int]] | None:
    """The plan of :func:`git_search` for a whole tree, from one ``git
    ls-tree -r -t``: 0.2 s for a kernel, where walking 170,000 index
    entries through pygit2 takes 1.5 s.  None without git (the caller
    walks with pygit2).  Kept in the context for the run's other
    searches, one tree at a time (bounded memory).  The third part is
    the size of each scanned blob (``ls-tree -l``)."""
    if top in ctx.plans:
        got: tuple[Plan, dict[str, str], dict[str, int]] = ctx.plans[top]
        return got
    root = source.info.root
    if shutil.which("git") is None or not root:
        return None
    try:
        # -l reads each blob's size from the pack: bounded windows keep
        # it at ~50 MB instead of ~300 MB.
        res = subprocess.run(["git", "--git-dir", git_dir(root), *GIT_MEMORY,
                              "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", top],
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
    sizes: dict[str, int] = {}
    for rec in res.stdout.split(b"\0"):
        if not rec:
            continue
        meta, _, path_b = rec.partition(b"\t")
        mode, kind, oid, size = meta.decode().split()
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
                sizes[oid] = int(size) if size.isdigit() else 0
    ctx.plans.clear()
    ctx.plans[top] = (plan, todo, sizes)
    return plan, todo, sizes


def _read(ctx: SearchContext, source: TreeSource, path: str) -> bytes | None:
    ctx.read_one(path)
    return source.read(path)


def _follow_blobs(ctx: SearchContext, source: TreeSource, lits: Lits, follow: Follow,
                  todo: dict[str, str], blobs: dict[str, bool], enabled: bool,
                  sizes: dict[str, int]) -> tuple[Lits, Store | None] | None:
    """The unseen blobs of a revision (``todo``: every blob id -> a
    path; ``blobs``: the verdicts known for ``lits``, completed here),
    following the header macros as a directory's cold search does, in
    about one pass over the bytes: the small headers first (``sizes``:
    blob id -> bytes; up to ``_SMALL_HEADER``) for the literals; then
    the sources, ``Documentation/`` and the large headers once for the
    literals and the macros the header hits define (``follow``), while
    the small headers are searched again for those alone.  A large
    header hit defining a macro of its own (never seen in a kernel) is
    followed by one more search for the whole set -- the answer is the
    same either way.  Each step covers the blobs whose verdict is not
    known yet, for each set.  (the macros, their store with its
    verdicts filled in), or None when a git grep failed."""
    repo: Any = getattr(source, "repo")
    heads = {o: p for o, p in todo.items() if o not in blobs and p.endswith(".h")}
    large = {o: p for o, p in heads.items() if sizes.get(o, 0) > _SMALL_HEADER}
    small = {o: p for o, p in heads.items() if o not in large}
    first = BlobGrep(ctx, source, lits, small, "headers").result()
    if first is None:
        return None
    for o in small:
        blobs[o] = o in first
    hits = sorted(p for o, p in todo.items() if p.endswith(".h") and blobs.get(o))
    nxt = _macros(ctx, source, hits, lits, follow)
    second = search_store(enabled, nxt) if nxt else None
    blobs2: dict[str, bool] = second.get("blobs") if second is not None else {}
    sources = {o: p for o, p in todo.items() if (not p.endswith(".h") or o in large)
               and (o not in blobs or (nxt and o not in blobs2))}
    heads2 = {o: p for o, p in todo.items() if nxt and p.endswith(".h")
              and o not in large and o not in blobs2}
    # Both at once: the sources and large headers (most of the bytes) in
    # two processes, the small headers in one (two cores).
    both = BlobGrep(ctx, source, tuple(sorted(set(lits) | set(nxt))), sources,
                    "sources", 2)
    again = BlobGrep(ctx, source, nxt, heads2, "headers", 1 if sources else 2)
    got, got2 = both.result(), again.result()
    if got is None or got2 is None:
        return None
    for o, p in sources.items():
        data = None
        if o in got:
            ctx.read_one(p)
            data = _blob_data(repo, o)
        if o not in blobs:
            blobs[o] = contains(data, lits)
        if nxt and o not in blobs2:
            blobs2[o] = contains(data, nxt)
    for o in heads2:
        blobs2[o] = o in got2
    late = sorted(p for o, p in large.items() if blobs.get(o))
    more = _macros(ctx, source, late, lits, follow)
    if set(more) <= set(nxt):
        return nxt, second
    # A large header defines a macro too: the whole set, searched where
    # its answer is not known (its store may know some blobs already).
    every = tuple(sorted(set(nxt) | set(more)))
    third = search_store(enabled, every)
    blobs3 = third.get("blobs")
    rest = {o: p for o, p in todo.items() if o not in blobs3}
    found = BlobGrep(ctx, source, every, rest, "everything").result()
    if found is None:
        return None
    for o in rest:
        blobs3[o] = o in found
    return every, third


def _macros(ctx: SearchContext, source: TreeSource, hits: list[str], lits: Lits,
            follow: Follow) -> Lits:
    """The macros the header ``hits`` define with a literal (``follow``)."""
    return tuple(sorted({m for p in hits
                         for m in follow(_read(ctx, source, p) or b"", lits)}))


def _blob_data(repo: Any, oid: str) -> bytes | None:
    import pygit2
    try:
        data: bytes = repo[oid].data
    except (KeyError, ValueError, pygit2.GitError):
        return None             # a missing object: nothing to find
    return data


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
    """Hits at a git revision; content ids are blob ids.  With
    ``follow``, when cold or many blobs are new, the header macros'
    answer goes to ``memo`` and to its own store (:func:`_follow_blobs`)."""
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
    sizes: dict[str, int] = {}       # oid -> bytes (from git ls-tree -l)

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
            plan, todo_blobs, sizes = listed
        else:
            gather(top, "", 0)
    followed = None
    if plan:
        blobs = store.get("blobs")
        unseen = {oid: p for oid, p in todo_blobs.items() if oid not in blobs}
        many = len(unseen) > ctx.grep_threshold
        if (cold or many) and follow is not None and listed is not None:
            followed = _follow_blobs(ctx, source, lits, follow, todo_blobs, blobs,
                                     store.enabled, sizes)
            if followed is not None:
                unseen = {}             # every verdict is in
        hits = early.result() if early is not None else None
        found: set[str] | None = None
        if followed is None and hits is None and many:
            found = BlobGrep(ctx, source, lits, unseen, "everything").result()
        if hits is not None:
            for oid, p in unseen.items():
                blobs[oid] = p in hits
        elif found is not None:
            for oid in unseen:
                blobs[oid] = oid in found
        else:
            if cold and followed is None:
                ctx.stats.fallbacks += 1
            for oid, p in unseen.items():
                ctx.read_one(p)
                blobs[oid] = contains(_blob_data(repo, oid), lits)
        store.touch("blobs")
        _resolve(plan, trees, blobs, top_id)
        store.touch("trees")
    second = followed[1] if followed is not None else None
    if followed is not None and second is not None:
        nxt = followed[0]
        blobs2, trees2 = second.get("blobs"), second.get("trees")
        memo[nxt] = dict(_resolve(plan, trees2, blobs2, top_id))
        second.touch("blobs")
        second.touch("trees")
        second.flush()
    return dict(trees[top_id])
