"""Helpers for the tree tests: small git repositories built with pygit2,
series built from diff text, and snapshots proving nothing was written."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pygit2

from patchlens.diff import parse_diff
from patchlens.mail.model import Message, Patch, Series

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tree"

_SIG = pygit2.Signature("Test Author", "author@example.org", 1700000000, 0)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def make_repo(path: Path, commits: Sequence[Mapping[str, bytes | None]], *,
              bare: bool = False, tags: Mapping[int, str] = {}) -> pygit2.Repository:
    """A repository whose i-th commit applies ``commits[i]`` (path ->
    bytes, None deletes) to the previous one; ``tags`` names commits by
    position.  Objects only: no work tree files are written."""
    repo = pygit2.init_repository(str(path), bare=bare)
    index = pygit2.Index()
    parents: list[pygit2.Oid] = []
    for n, files in enumerate(commits):
        for name, data in files.items():
            if data is None:
                index.remove(name)
            else:
                index.add(pygit2.IndexEntry(name, repo.create_blob(data),
                                            pygit2.enums.FileMode.BLOB))
        tree = index.write_tree(repo)
        oid = repo.create_commit("refs/heads/main", _SIG, _SIG,
                                 f"commit {n}", tree, parents)
        parents = [oid]
        if n in tags:
            repo.create_reference(f"refs/tags/{tags[n]}", oid)
    repo.set_head("refs/heads/main")
    return repo


def make_dir(path: Path, files: Mapping[str, bytes]) -> Path:
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def make_series(*diffs: str, source: str = "test.mbox") -> Series:
    """A series whose patch i (1-based) has the diff ``diffs[i-1]``."""
    total = len(diffs)
    patches = []
    for i, text in enumerate(diffs, start=1):
        msg = Message(msgid=f"{i}@test", subject=f"[PATCH {i}/{total}] t{i}",
                      author="Test Author <author@example.org>",
                      date="2024-01-01T00:00:00", in_reply_to=None,
                      references=(), body=text, source=source)
        patches.append(Patch(revision=1, index=i, total=total, title=f"t{i}",
                             message=msg, commit_message="",
                             files=parse_diff(text, f"{source}: {i}/{total}"),
                             trailers=()))
    return Series(revision=1, revision_reason="v1: test", revisions_seen=(1,),
                  total=total, cover=None, patches=tuple(patches), missing=(),
                  replies=(), base_commit=None, prerequisite_patch_ids=(),
                  change_id=None, source=source)


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file below ``root`` with its mode, mtime and content hash."""
    out: dict[str, tuple[int, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            digest = ""
            if os.path.isfile(full) and not os.path.islink(full):
                digest = hashlib.sha1(Path(full).read_bytes()).hexdigest()
            out[os.path.relpath(full, root)] = (st.st_mode, st.st_mtime_ns, digest)
    return out
