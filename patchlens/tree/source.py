"""Kernel trees as read-only sources: a git revision, a directory, or none.

One interface for all kinds, so the scanner can cache by content id
(the blob id for git, a content hash for directories).  Nothing here
ever writes into the tree.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from patchlens.errors import Warning_
from patchlens.limits import MAX_TREE_FILE_BYTES

__all__ = ["TreeSource", "TreeInfo", "TreeKind", "blob_id", "MAX_TREE_FILE_BYTES",
           "warn_too_large"]

_WARNED: set[str] = set()


def warn_too_large(path: str, size: int) -> None:
    """Warn once per path: a tree file over the limit is not read."""
    if path not in _WARNED:
        _WARNED.add(path)
        warnings.warn(f"{path}: skipped: {size} bytes is over the "
                      f"{MAX_TREE_FILE_BYTES >> 20} MiB limit for a tree file",
                      Warning_, stacklevel=3)


class TreeKind(StrEnum):
    """What a :class:`TreeSource` reads from.  A ``StrEnum``: it prints
    and serialises as its word ("git"), as the JSON always said."""
    GIT = "git"                # a revision of a git repository (pygit2)
    DIRECTORY = "directory"    # files on disk
    NONE = "none"              # no tree: patch-only analysis
    OVERLAY = "overlay"        # a tree with a series' changes on top
    SUBSET = "subset"          # some files of a tree (the base re-scan)


@dataclass(frozen=True)
class TreeInfo:
    kind: TreeKind
    label: str                # what the report prints: "linux-6.12 (directory)"
    root: str | None          # filesystem path of the repository / directory
    revision: str | None      # the revision asked for (git only)
    commit: str | None        # resolved commit id (git only)
    reason: str = ""          # why this revision ("base-commit of the series")


@runtime_checkable
class TreeSource(Protocol):
    info: TreeInfo

    def read(self, path: str) -> bytes | None:
        """Contents of ``path`` (posix, relative to the top), None if absent."""

    def exists(self, path: str) -> bool: ...

    def content_id(self, path: str) -> str | None:
        """A stable id for the file's content (blob id / content hash)."""

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        """Paths of regular files below ``under`` ending in one of ``suffixes``."""


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1 of ``blob <size>\\0<data>``) of ``data``.

    Directories and overlays identify content the way git does, so one
    file has one id whichever kind of tree it came from, and an
    ``index <pre>..<post>`` line can be compared with any tree.
    """
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()
