"""Choosing the tree from ``--tree``, ``--rev``, ``--no-tree`` and the cwd.

The rules, in the order they apply:

- ``--no-tree``: the empty tree (patch-only analysis).
- ``--tree PATH``: a git repository (bare, or the top of a work tree)
  is read at ``--rev``; without ``--rev`` at the series' base-commit
  when the repository has it, else HEAD -- or, in a checkout with
  uncommitted edits, the working tree as git grep reads it (``--rev
  HEAD`` reads the commit).  Anything else that is a
  directory is read as plain files (``--rev`` is then an error).
- no ``--tree``: the kernel tree the current directory is inside (as
  b4 and checkpatch do), git or not; else the empty tree, and the
  reason says so.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from patchlens.errors import InputError
from patchlens.tree.directory import DirectoryTree
from patchlens.tree.empty import EmptyTree
from patchlens.tree.source import TreeSource

if TYPE_CHECKING:
    import pygit2

__all__ = ["open_tree", "find_kernel_top", "KERNEL_MARKERS"]

# What every kernel tree has at its top, and no other project does all of.
KERNEL_MARKERS = (("MAINTAINERS", "file"), ("Kbuild", "file"),
                  ("include/linux", "dir"))


def _is_kernel_dir(path: str) -> bool:
    for rel, kind in KERNEL_MARKERS:
        full = os.path.join(path, rel)
        if not (os.path.isfile(full) if kind == "file" else os.path.isdir(full)):
            return False
    return True


# File systems whose files are the running kernel's state, not source:
# reading some blocks (/proc/kmsg), walking them takes minutes.
_PSEUDO_FS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs",
    "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl",
    "mqueue", "hugetlbfs", "autofs", "binfmt_misc", "efivarfs", "rpc_pipefs",
})


def _pseudo_mount(path: str) -> str | None:
    """What is wrong with ``path`` when a pseudo file system is mounted
    at or below it, or holds it; None when none is, or there is no
    /proc/self/mountinfo (not Linux) to say."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    top = os.path.realpath(path).rstrip("/") or "/"
    home = ("", "")             # the deepest mount holding ``top``
    for line in lines:
        fields = line.split(" ")
        if "-" not in fields or len(fields) < 5:
            continue
        fstype = fields[fields.index("-") + 1]
        # Octal escapes (\040 for a space) as the kernel writes them.
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        if fstype in _PSEUDO_FS and (top == "/" or point == top
                                     or point.startswith(top + "/")):
            return f"holds {point}, a {fstype} file system"
        if (top + "/").startswith(point.rstrip("/") + "/") and len(point) >= len(home[0]):
            home = (point, fstype)
    if home[1] in _PSEUDO_FS:
        return f"is inside {home[0]}, a {home[1]} file system"
    return None


def _may_be_repository(path: str) -> bool:
    """Whether ``path`` can be the top of a repository (a work tree with
    ``.git``, or a git directory with ``HEAD``), without loading pygit2
    for the plain directories most runs are given."""
    return os.path.exists(os.path.join(path, ".git")) or \
        os.path.isfile(os.path.join(path, "HEAD"))


def _open_repository(path: str):  # type: ignore[no-untyped-def]
    """pygit2's repository at ``path`` when it is one's top, else None."""
    if not _may_be_repository(path):
        return None
    from patchlens.tree.git import open_repository
    return open_repository(path)


def _work_tree_edited(repo: pygit2.Repository) -> bool:
    """Whether a checkout has uncommitted edits to tracked files (a bare
    repository has no work tree; untracked files do not count)."""
    import pygit2
    if repo.is_bare or not repo.workdir:
        return False
    try:
        status = repo.status(untracked_files="no")
    except (pygit2.GitError, TypeError):
        return False
    # Files edited or staged; a checkout missing files (deleted, or
    # never checked out) still reads its revision.
    edited = (pygit2.enums.FileStatus.WT_MODIFIED
              | pygit2.enums.FileStatus.INDEX_MODIFIED
              | pygit2.enums.FileStatus.INDEX_NEW
              | pygit2.enums.FileStatus.WT_RENAMED
              | pygit2.enums.FileStatus.INDEX_RENAMED)
    return any(flags & edited for flags in status.values())


def _is_kernel_repo(path: str) -> bool:
    """A bare repository whose HEAD holds a kernel tree."""
    import pygit2
    repo = _open_repository(path)
    try:
        if repo is None or repo.head_is_unborn:
            return False
        # HEAD may name a tree, not a commit; a loose ref may be corrupt:
        # then it is no kernel repository to detect, not a traceback
        tree = repo.head.peel(pygit2.Tree)
    except (pygit2.GitError, ValueError, KeyError):
        return False
    for rel, kind in KERNEL_MARKERS:
        try:
            obj = tree[rel]
        except KeyError:
            return False
        if obj.type_str != ("blob" if kind == "file" else "tree"):
            return False
    return True


def find_kernel_top(cwd: str) -> str | None:
    """The top of the kernel tree ``cwd`` is inside, or None."""
    here = os.path.realpath(cwd)
    while True:
        if _is_kernel_dir(here) or (os.path.isfile(os.path.join(here, "HEAD"))
                                    and _is_kernel_repo(here)):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _default_revision(repo: pygit2.Repository, root: str,
                      base_commit: str | None) -> tuple[str, str]:
    """(revision, reason) when ``--rev`` is not given."""
    from patchlens.tree.git import resolve_revision
    if base_commit:
        try:
            resolve_revision(repo, base_commit, root)
        except InputError:
            pass
        else:
            return base_commit, "base-commit of the series"
    if repo.head_is_unborn:
        raise InputError(root, "repository has no commits (HEAD is unborn)")
    if base_commit:
        return "HEAD", (f"HEAD: the series' base-commit {base_commit[:12]} "
                        "is not in the repository")
    return "HEAD", "HEAD: the series names no base-commit"


def open_tree(path: str | None, rev: str | None, *,
              base_commit: str | None = None, no_tree: bool = False,
              cwd: str = ".") -> TreeSource:
    """The tree to analyse against; ``info.reason`` says why this one.

    Raises :class:`InputError` for a missing path, an unknown revision,
    a revision that names neither a commit nor a tree, or ``--rev``
    on a plain directory.
    """
    if no_tree:
        return EmptyTree(reason="--no-tree given")
    how = ""
    if path is None:
        top = find_kernel_top(cwd)
        if top is None:
            if rev is not None:
                raise InputError("--rev", "needs --tree, or a kernel tree in "
                                          "the current directory")
            return EmptyTree(reason="the current directory is not inside a "
                                    "kernel tree")
        path, how = top, "the current directory is inside this kernel tree"
    if not os.path.exists(path):
        raise InputError(path, "no such file or directory")
    if not os.path.isdir(path):
        raise InputError(path, "not a directory (a kernel tree is needed)")
    repo = _open_repository(path)
    if repo is not None:
        from patchlens.tree.git import GitTree
        if rev is None:
            rev, reason = _default_revision(repo, path, base_commit)
            if rev == "HEAD" and _work_tree_edited(repo):
                # As git grep: a checkout's uncommitted edits are read.
                reason = (f"{how}; " if how else "") + \
                    "the working tree, uncommitted changes included " \
                    f"(as git grep reads it; --rev HEAD for the commit); " \
                    f"{reason.removeprefix('HEAD: ')}"
                return DirectoryTree(repo.workdir.rstrip("/") or path,
                                     reason=reason)
        else:
            reason = "--rev"
        if how:
            reason = f"{how}; {reason}"
        return GitTree.open(path, rev, reason=reason)
    if rev is not None:
        raise InputError(path, "--rev needs a git repository; this is a plain "
                               "directory")
    pseudo = _pseudo_mount(path)
    if pseudo is not None:
        raise InputError(path, f"{pseudo} (the running kernel's state, "
                               "not a source tree)")
    return DirectoryTree(path, reason=how or "--tree")
