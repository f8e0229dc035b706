"""A tree with some files replaced or deleted, over an untouched base.

This is how the state after patch k is represented: the base tree plus
the files the first k patches changed.  Nothing is copied; the base is
shared by every state.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

from patchlens.tree.paths import is_under, normalise_path
from patchlens.tree.source import TreeInfo, TreeKind, TreeSource, blob_id

__all__ = ["OverlayTree"]


class OverlayTree:
    """``base`` with ``changes`` on top (:class:`TreeSource`).

    ``changes`` maps a path to its new bytes, or to None when the file
    is deleted.  ``info.kind`` is "overlay"; root, revision and commit
    are the base's.
    """

    def __init__(self, base: TreeSource, changes: Mapping[str, bytes | None],
                 label: str | None = None) -> None:
        self.base = base
        where = base.info.root or "<overlay>"
        self.changes: Mapping[str, bytes | None] = MappingProxyType(
            {normalise_path(p, where): v for p, v in changes.items()})
        b = base.info
        self.info = TreeInfo(kind=TreeKind.OVERLAY, label=label or b.label,
                             root=b.root, revision=b.revision, commit=b.commit,
                             reason=b.reason)
        self._ids: dict[str, str] = {}

    def read(self, path: str) -> bytes | None:
        path = normalise_path(path, self.info.root or "<overlay>")
        if path in self.changes:
            return self.changes[path]
        return self.base.read(path)

    def exists(self, path: str) -> bool:
        path = normalise_path(path, self.info.root or "<overlay>")
        if path in self.changes:
            return self.changes[path] is not None
        return self.base.exists(path)

    def content_id(self, path: str) -> str | None:
        path = normalise_path(path, self.info.root or "<overlay>")
        if path not in self.changes:
            return self.base.content_id(path)
        data = self.changes[path]
        if data is None:
            return None
        cid = self._ids.get(path)
        if cid is None:
            cid = self._ids[path] = blob_id(data)
        return cid

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        ends = suffixes or ("",)
        yielded: set[str] = set()
        for path in self.base.files(under, suffixes):
            if path in self.changes:
                if self.changes[path] is None:
                    continue
                yielded.add(path)
            yield path
        for path in sorted(self.changes):
            if (self.changes[path] is not None and path not in yielded
                    and is_under(path, under) and path.endswith(ends)):
                yield path

    def tree_id(self, path: str = "") -> str | None:
        """The base's subtree id when nothing below ``path`` changed."""
        if any(is_under(p, path) for p in self.changes):
            return None
        getter = getattr(self.base, "tree_id", None)
        return getter(path) if getter is not None else None

    def blob(self, oid_prefix: str) -> bytes | None:
        getter = getattr(self.base, "blob", None)
        return getter(oid_prefix) if getter is not None else None
