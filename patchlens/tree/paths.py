"""Paths named by a diff, made safe to look up in a tree.

A diff names files relative to the top of the tree (the ``a/`` and
``b/`` prefixes are already gone, see :mod:`patchlens.diff`).  A hostile
or broken patch could name ``/etc/passwd`` or ``../../x``; such paths
are refused with :class:`~patchlens.errors.InputError` before any tree
is asked about them.
"""

from __future__ import annotations

import posixpath

from patchlens.errors import InputError

__all__ = ["normalise_path", "is_under"]


def normalise_path(path: str, where: str = "<diff>") -> str:
    """``path`` as a clean posix path relative to the top of the tree.

    ``./a//b`` becomes ``a/b``.  Absolute paths, NUL bytes and any path
    that climbs out of the tree (``..`` beyond the top) raise
    :class:`InputError` naming ``where``.
    """
    if not path:
        raise InputError(where, "empty file path")
    if "\0" in path:
        raise InputError(where, f"file path contains NUL: {path!r}")
    if path.startswith("/"):
        raise InputError(where, f"absolute file path refused: {path}")
    clean = posixpath.normpath(path)
    if clean in (".", ""):
        raise InputError(where, f"file path names the top of the tree: {path}")
    if clean == ".." or clean.startswith("../"):
        raise InputError(where, f"file path leaves the tree: {path}")
    return clean


def is_under(path: str, under: str) -> bool:
    """True when ``path`` is ``under`` itself or lies below it ('' is the top)."""
    if not under:
        return True
    under = under.rstrip("/")
    return path == under or path.startswith(under + "/")
