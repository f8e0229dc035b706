"""Literal pre-filters: which files of a tree can matter at all.

Parsing the whole kernel is never needed to find a constant: a file
that defines or uses ``MSI_FLAG_PCI_MSIX`` contains those bytes.  These
helpers find candidate files by a literal search over file bytes and
remember the answer per tree, so the state after each patch (an overlay
of a few changed files) costs only those files.

For a whole-tree search of a directory or a git revision the system's
``grep`` / ``git grep`` are used when present (an order of magnitude
faster than reading 60,000 files in Python); the result is the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from patchlens.tree.source import TreeSource

__all__ = ["files_containing", "grep_tree"]

# Per tree, per (under, suffixes): literal -> the files containing it.
# One system grep serves every literal asked for together; a later
# question about a subset of them costs nothing.
_Memo = dict[tuple[str, tuple[str, ...]], dict[bytes, frozenset[str]]]
_memo: "WeakKeyDictionary[object, _Memo]" = WeakKeyDictionary()


def _contains(data: bytes | None, literals: tuple[bytes, ...]) -> bool:
    return data is not None and any(lit in data for lit in literals)


def _overlay_parts(source: TreeSource) -> tuple[TreeSource, dict[str, bytes | None]] | None:
    base = getattr(source, "base", None)
    changes = getattr(source, "changes", None)
    if base is None or changes is None:
        return None
    return base, dict(changes)


def _under(path: str, under: str) -> bool:
    return not under or path == under or path.startswith(under.rstrip("/") + "/")


def _scan(source: TreeSource, under: str, suffixes: tuple[str, ...],
          lits: tuple[bytes, ...]) -> tuple[str, ...]:
    fast = _system_grep(source, under, suffixes, lits)
    if fast is not None:
        return fast
    return tuple(p for p in source.files(under, suffixes)
                 if _contains(source.read(p), lits))


def files_containing(source: TreeSource, literals: Iterable[str], *,
                     under: str = "", suffixes: tuple[str, ...] = (".h",),
                     ) -> tuple[str, ...]:
    """Paths below ``under`` ending in ``suffixes`` whose bytes contain one
    of ``literals``; sorted.  Memoised per tree; an overlay reuses its
    base's answer and re-checks only the files it changes."""
    lits = tuple(sorted({s.encode() for s in literals if s}))
    if not lits:
        return ()
    parts = _overlay_parts(source)
    if parts is not None:
        base, changes = parts
        found = set(files_containing(base, literals, under=under,
                                     suffixes=suffixes))
        for path, data in changes.items():
            found.discard(path)
            if _under(path, under) and path.endswith(suffixes or ("",)) \
                    and _contains(data, lits):
                found.add(path)
        return tuple(sorted(found))
    try:
        memo = _memo.setdefault(source, {})
    except TypeError:           # not weak-referenceable: no memo
        memo = {}
    per_lit = memo.setdefault((under, suffixes), {})
    todo = tuple(l for l in lits if l not in per_lit)
    if todo:
        hits = _scan(source, under, suffixes, todo)
        found_by: dict[bytes, set[str]] = {l: set() for l in todo}
        for path in hits:
            data = source.read(path) if len(todo) > 1 else None
            for l in todo:
                if data is None or l in data:
                    found_by[l].add(path)
        for l, paths in found_by.items():
            per_lit[l] = frozenset(paths)
    out: set[str] = set()
    for l in lits:
        out |= per_lit[l]
    return tuple(sorted(out))


def grep_tree(source: TreeSource, literals: Iterable[str], *,
              suffixes: tuple[str, ...] = (".c", ".h")) -> tuple[str, ...]:
    """Every file of the tree containing one of ``literals`` (whole tree)."""
    return files_containing(source, literals, under="", suffixes=suffixes)


def _system_grep(source: TreeSource, under: str, suffixes: tuple[str, ...],
                 lits: tuple[bytes, ...]) -> tuple[str, ...] | None:
    """``grep -rlF`` / ``git grep -lF``, or None to fall back to Python."""
    info = source.info
    root = info.root
    if root is None or not os.path.isdir(root):
        return None
    pats: list[str] = []
    for lit in lits:
        pats += ["-e", lit.decode("utf-8", "replace")]
    try:
        if info.kind == "directory" and shutil.which("grep"):
            top = os.path.join(root, under) if under else root
            if not os.path.isdir(top):
                return ()
            incl = [f"--include=*{s}" for s in suffixes]
            res = subprocess.run(["grep", "-rlF", *incl, *pats, "--", top],
                                 capture_output=True, timeout=300)
            if res.returncode not in (0, 1):
                return None
            rel = [os.path.relpath(p, root).replace(os.sep, "/")
                   for p in res.stdout.decode("utf-8", "surrogateescape").splitlines()]
            return tuple(p for p in rel if not p.startswith("../"))
        if info.kind == "git" and info.commit and shutil.which("git"):
            spec = [f"{under.rstrip('/')}/" if under else "."]
            res = subprocess.run(["git", "--git-dir", _git_dir(root), "grep",
                                  "-lF", *pats, info.commit, "--", *spec],
                                 capture_output=True, timeout=300)
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


def _git_dir(root: str) -> str:
    dot = os.path.join(root, ".git")
    return dot if os.path.exists(dot) else root
