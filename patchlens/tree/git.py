"""A git revision as a read-only tree, read through pygit2.

No checkout, no index, no temporary copy: every read goes to the
object database.  Works on bare repositories and on work trees alike
(the work tree's files are never looked at, only the revision).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

import pygit2

from patchlens.errors import InputError
from patchlens.tree.paths import normalise_path
from patchlens.tree.source import MAX_TREE_FILE_BYTES, TreeInfo, TreeKind, warn_too_large
from patchlens.limits import MAX_LINKS

__all__ = ["GitTree", "open_repository", "resolve_revision"]

# git's file modes (struct tree entry modes in tree objects).
_MODE_TREE = 0o040000
_MODE_BLOB = 0o100644
_MODE_EXEC = 0o100755
_MODE_LINK = 0o120000
_FILE_MODES = (_MODE_BLOB, _MODE_EXEC)
_MAX_LINKS = MAX_LINKS
_HEX = re.compile(r"[0-9a-fA-F]{4,40}\Z")


def open_repository(path: str) -> pygit2.Repository | None:
    """The repository whose work tree top (or git dir) is ``path``, else None.

    Only the top counts: a directory somewhere inside a work tree is a
    directory tree of its own, not the whole repository.
    """
    try:
        repo = pygit2.Repository(path)
    except (pygit2.GitError, KeyError, ValueError):
        return None
    top = repo.workdir or repo.path
    if posixpath.realpath(top.rstrip("/")) not in (
            posixpath.realpath(path), posixpath.realpath(repo.path.rstrip("/"))):
        return None
    return repo


def resolve_revision(repo: pygit2.Repository, rev: str,
                     where: str) -> tuple[pygit2.Tree, pygit2.Commit | None]:
    """The tree (and commit, when there is one) that ``rev`` names.

    ``rev`` is anything ``git rev-parse`` takes: a tag, a branch, a
    sha (full or abbreviated), ``HEAD~3``.  Unknown revisions and
    objects that are not commits or trees raise :class:`InputError`.
    """
    try:
        obj = repo.revparse_single(rev)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise InputError(where, f"unknown revision: {rev}") from None
    try:
        commit = obj.peel(pygit2.Commit)
        return commit.tree, commit
    except (pygit2.GitError, ValueError, pygit2.InvalidSpecError):
        pass
    try:
        return obj.peel(pygit2.Tree), None
    except (pygit2.GitError, ValueError, pygit2.InvalidSpecError):
        raise InputError(where, f"{rev} is a {obj.type_str}, not a commit "
                                "or a tree") from None


def _walk(tree: pygit2.Tree, prefix: str, ends: tuple[str, ...]) -> Iterator[str]:
    """Regular files below ``tree`` in git's order.

    Iterating tree objects directly is about three times faster than
    flattening into an in-memory index (90k IndexEntry objects).
    """
    stack: list[tuple[Iterator[pygit2.Object], str]] = [(iter(tree), prefix)]
    while stack:
        entries, here = stack[-1]
        for entry in entries:
            mode = entry.filemode
            name = entry.name or ""     # None only for a loose object
            if mode == _MODE_TREE and isinstance(entry, pygit2.Tree):
                stack.append((iter(entry), f"{here}{name}/"))
                break
            if mode in _FILE_MODES and name.endswith(ends):
                yield here + name
        else:
            stack.pop()


# The bytes a GitTree keeps of the files it read (see GitTree.read).
_READ_MEMO_BYTES = 64 << 20


class GitTree:
    """One revision of a git repository (:class:`TreeSource`).

    ``content_id`` is the blob id; ``tree_id`` gives a subtree's id so a
    scanner can skip whole directories that did not change.
    """

    def __init__(self, repo: pygit2.Repository, tree: pygit2.Tree,
                 info: TreeInfo) -> None:
        self.repo = repo
        self.info = info
        self._tree = tree
        # A run reads the same files of a revision once per tree state
        # (32 states in a 33-patch report): the bytes are kept, up to
        # _READ_MEMO_BYTES (a git object never changes).
        self._reads: dict[str, bytes] = {}
        self._kept = 0

    @classmethod
    def open(cls, root: str, rev: str, *, reason: str = "") -> "GitTree":
        """Open ``rev`` of the repository at ``root`` (InputError if unusable)."""
        repo = open_repository(root)
        if repo is None:
            raise InputError(root, "not a git repository")
        tree, commit = resolve_revision(repo, rev, root)
        name = posixpath.basename(posixpath.realpath(root).rstrip("/")) or root
        short = str(commit.id)[:12] if commit is not None else str(tree.id)[:12]
        info = TreeInfo(kind=TreeKind.GIT, label=f"{name} at {rev} ({short})",
                        root=root, revision=rev,
                        commit=str(commit.id) if commit is not None else None,
                        reason=reason)
        return cls(repo, tree, info)

    # -- lookups ---------------------------------------------------------

    def _lookup(self, path: str) -> pygit2.Object | None:
        """The object at ``path``, following symlinks inside the tree."""
        path = normalise_path(path, self.info.root or "<git>")
        try:
            obj = self._tree[path]
        except KeyError:
            # A directory on the way may be a symlink; walk by components.
            return self._walk_components(path, 0)
        if obj.filemode == _MODE_LINK:
            return self._follow(path, obj, 0)
        return obj

    def _follow(self, path: str, link: pygit2.Object,
                depth: int) -> pygit2.Object | None:
        if depth >= _MAX_LINKS or not isinstance(link, pygit2.Blob):
            return None
        target = link.data.decode("utf-8", "surrogateescape")
        if target.startswith("/"):
            return None          # points outside the tree
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if joined == ".." or joined.startswith("../"):
            return None
        return self._walk_components(joined, depth + 1)

    def _walk_components(self, path: str, depth: int) -> pygit2.Object | None:
        if depth >= _MAX_LINKS:
            return None
        obj: pygit2.Object | None = self._tree
        parts = path.split("/")
        for i, part in enumerate(parts):
            if not isinstance(obj, pygit2.Tree):
                return None
            try:
                obj = obj[part]
            except KeyError:
                return None
            if obj.filemode == _MODE_LINK:
                here = "/".join(parts[:i + 1])
                obj = self._follow(here, obj, depth)
                if obj is None:
                    return None
        return obj

    # -- TreeSource ----------------------------------------------------

    def read(self, path: str) -> bytes | None:
        got = self._reads.get(path)
        if got is not None:
            return got
        obj = self._lookup(path)
        if not isinstance(obj, pygit2.Blob):
            return None
        try:
            if obj.size > MAX_TREE_FILE_BYTES:
                # never inflated: a 2.5 GB blob is a MemoryError otherwise
                warn_too_large(path, obj.size)
                return None
            data: bytes = obj.data
            if self._kept + len(data) <= _READ_MEMO_BYTES:
                self._reads[path] = data
                self._kept += len(data)
            return data
        except (pygit2.GitError, KeyError) as exc:
            # A missing loose object (corrupt or partial clone): the
            # analysis would be wrong without it, so stop with one line.
            raise InputError(self.info.root or "<git>",
                             f"{path}: object {str(obj.id)[:12]} is missing "
                             f"from the repository ({exc})") from None

    def exists(self, path: str) -> bool:
        obj = self._lookup(path)
        return obj is not None and obj.type_str == "blob"

    def content_id(self, path: str) -> str | None:
        obj = self._lookup(path)
        if obj is None or obj.type_str != "blob":
            return None
        return str(obj.id)

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        """Regular files (not symlinks, not submodules), in git's order."""
        if under:
            under = normalise_path(under, self.info.root or "<git>")
            try:
                start = self._tree[under]
            except KeyError:
                return
            if not isinstance(start, pygit2.Tree):
                if start.filemode in _FILE_MODES and under.endswith(suffixes or ("",)):
                    yield under
                return
            prefix = under + "/"
        else:
            start, prefix = self._tree, ""
        yield from _walk(start, prefix, suffixes or ("",))

    # -- git only ------------------------------------------------------

    def tree_id(self, path: str = "") -> str | None:
        """The id of the subtree at ``path`` ('' is the top), None if absent."""
        if not path:
            return str(self._tree.id)
        path = normalise_path(path, self.info.root or "<git>")
        try:
            obj = self._tree[path]
        except KeyError:
            return None
        return str(obj.id) if obj.type_str == "tree" else None

    def blob(self, oid_prefix: str) -> bytes | None:
        """The blob with this (abbreviated) id, anywhere in the repository.

        Used for the pre-image named by a diff's ``index a..b`` line;
        None when absent, ambiguous, or not a blob.
        """
        if not _HEX.match(oid_prefix or ""):
            return None
        try:
            obj = self.repo[oid_prefix]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        if not isinstance(obj, pygit2.Blob):
            return None
        try:
            if obj.size > MAX_TREE_FILE_BYTES:
                warn_too_large(oid_prefix, obj.size)
                return None
            data: bytes = obj.data
        except (KeyError, pygit2.GitError):
            return None
        return data
