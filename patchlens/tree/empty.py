"""The "none" tree: patch-only analysis from the hunks alone."""

from __future__ import annotations

from collections.abc import Iterator

from patchlens.tree.source import TreeInfo, TreeKind

__all__ = ["EmptyTree"]


class EmptyTree:
    """A tree with no files (:class:`TreeSource`, ``info.kind == "none"``)."""

    def __init__(self, reason: str = "") -> None:
        self.info = TreeInfo(kind=TreeKind.NONE, label="no tree (patch-only analysis)",
                             root=None, revision=None, commit=None,
                             reason=reason)

    def read(self, path: str) -> bytes | None:
        return None

    def exists(self, path: str) -> bool:
        return False

    def content_id(self, path: str) -> str | None:
        return None

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        return iter(())

    def tree_id(self, path: str = "") -> str | None:
        return None

    def blob(self, oid_prefix: str) -> bytes | None:
        return None
