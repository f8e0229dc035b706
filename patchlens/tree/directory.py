"""A plain directory (an unpacked kernel tarball) as a read-only tree.

Content ids are git blob ids computed from the bytes, remembered per
(path, size, mtime) so a second scan of an unchanged tree reads
nothing twice.  Symlinks are followed only while they stay inside the
root; loops, dangling links and unreadable files are skipped with a
warning.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterator

from patchlens.errors import InputError, Warning_
from patchlens.tree.paths import normalise_path
from patchlens.tree.source import (MAX_TREE_FILE_BYTES, TreeInfo, TreeKind, blob_id,
                                   warn_too_large)

__all__ = ["DirectoryTree"]

_READ_MEMO_BYTES = 64 << 20


class DirectoryTree:
    """The files below ``root`` (:class:`TreeSource`); never written."""

    def __init__(self, root: str, *, reason: str = "") -> None:
        if not os.path.isdir(root):
            raise InputError(root, "not a directory")
        self.root = os.path.realpath(root)
        name = os.path.basename(self.root) or self.root
        self.info = TreeInfo(kind=TreeKind.DIRECTORY, label=f"{name} (directory)",
                             root=root, revision=None, commit=None,
                             reason=reason)
        # path -> ((size, mtime_ns), blob id)
        self._ids: dict[str, tuple[tuple[int, int], str]] = {}
        # path -> ((inode, size, mtime_ns), bytes): a run reads a file
        # once (a report reads the same headers in every tree state),
        # again only when its stat changed; up to _READ_MEMO_BYTES.
        self._reads: dict[str, tuple[tuple[int, int, int], bytes]] = {}
        self._kept = 0

    def _real(self, path: str) -> str | None:
        """The filesystem path for ``path`` if it stays inside the root."""
        rel = normalise_path(path, self.info.root or self.root)
        real = os.path.realpath(os.path.join(self.root, rel))
        if real != self.root and not real.startswith(self.root + os.sep):
            return None
        return real

    def _stat(self, path: str) -> tuple[str, os.stat_result] | None:
        real = self._real(path)
        if real is None:
            return None
        try:
            st = os.stat(real)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return real, st

    def read(self, path: str) -> bytes | None:
        found = self._stat(path)
        if found is None:
            return None
        st = found[1]
        if st.st_size > MAX_TREE_FILE_BYTES:
            warn_too_large(path, st.st_size)
            return None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        memo = self._reads.get(path)
        if memo is not None and memo[0] == key:
            return memo[1]
        try:
            with open(found[0], "rb") as fh:
                data = fh.read()
            if memo is not None:        # changed since: forget the old bytes
                del self._reads[path]
                self._kept -= len(memo[1])
            if self._kept + len(data) <= _READ_MEMO_BYTES:
                self._reads[path] = (key, data)
                self._kept += len(data)
            return data
        except OSError as exc:
            warnings.warn(f"{path}: cannot read: {exc.strerror}", Warning_,
                          stacklevel=2)
            return None

    def exists(self, path: str) -> bool:
        return self._stat(path) is not None

    def content_id(self, path: str) -> str | None:
        found = self._stat(path)
        if found is None:
            return None
        key = (found[1].st_size, found[1].st_mtime_ns)
        memo = self._ids.get(path)
        if memo is not None and memo[0] == key:
            return memo[1]
        data = self.read(path)
        if data is None:
            return None
        cid = blob_id(data)
        self._ids[path] = (key, cid)
        return cid

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        """Regular files below ``under``, sorted per directory.

        Symlinked directories are not entered (that is where loops
        come from); symlinked files are listed when their target is a
        regular file inside the root.
        """
        ends = suffixes or ("",)
        if under:
            under = normalise_path(under, self.info.root or self.root)
            if os.path.islink(os.path.join(self.root, under)):
                return
            if self._stat(under) is not None:
                if under.endswith(ends):
                    yield under
                return
        start = os.path.join(self.root, under) if under else self.root
        stack = [(start, under)]
        while stack:
            fs_dir, rel_dir = stack.pop()
            try:
                with os.scandir(fs_dir) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                warnings.warn(f"{rel_dir or '.'}: cannot list: {exc.strerror}",
                              Warning_, stacklevel=2)
                continue
            subdirs = []
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    if entry.is_symlink():
                        if rel.endswith(ends) and self._stat(rel) is not None:
                            yield rel
                    elif entry.is_dir(follow_symlinks=False):
                        subdirs.append((entry.path, rel))
                    elif entry.is_file(follow_symlinks=False) and rel.endswith(ends):
                        yield rel
                except OSError as exc:
                    warnings.warn(f"{rel}: skipped: {exc.strerror}", Warning_,
                                  stacklevel=2)
            stack.extend(reversed(subdirs))

    def tree_id(self, path: str = "") -> str | None:
        """Directories have no subtree ids; the scanner falls back to files."""
        return None

    def blob(self, oid_prefix: str) -> bytes | None:
        """No object database: pre-image blobs are never available."""
        return None
