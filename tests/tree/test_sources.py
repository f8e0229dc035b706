"""Tree sources: git revisions, directories, none, overlays; safe paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patchlens.errors import InputError
from patchlens.tree import open_tree
from patchlens.tree.directory import DirectoryTree
from patchlens.tree.empty import EmptyTree
from patchlens.tree.git import GitTree
from patchlens.tree.overlay import OverlayTree
from patchlens.tree.paths import normalise_path
from patchlens.tree.source import TreeSource, blob_id

from tests.tree_helpers import fixture, make_dir, make_repo, snapshot

W = "include/linux/widget.h"


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    path = tmp_path / "linux"
    make_repo(path, [
        {W: fixture("widget.h"), "drivers/widget/core.c": fixture("core.c"),
         "drivers/widget/legacy.c": fixture("legacy.c"), "README": b"widgets\n"},
        {W: fixture("widget-moved.h")},
        {"drivers/widget/legacy.c": None},
    ], tags={0: "v1", 1: "v2"})
    return path


def test_git_tree_at_each_kind_of_revision(repo_path: Path) -> None:
    v1 = open_tree(str(repo_path), "v1")
    assert isinstance(v1, GitTree) and isinstance(v1, TreeSource)
    assert v1.info.kind == "git" and v1.info.revision == "v1"
    assert v1.read(W) == fixture("widget.h")
    assert open_tree(str(repo_path), "HEAD~1").read(W) == fixture("widget-moved.h")
    assert open_tree(str(repo_path), "main").exists("drivers/widget/legacy.c") is False
    sha = v1.info.commit
    assert sha is not None
    assert open_tree(str(repo_path), sha[:10]).read(W) == fixture("widget.h")
    assert open_tree(str(repo_path), "v2").read("drivers/widget/legacy.c") == fixture("legacy.c")


def test_git_tree_ids_files_and_blobs(repo_path: Path) -> None:
    v1, v2 = open_tree(str(repo_path), "v1"), open_tree(str(repo_path), "v2")
    assert v1.content_id(W) == blob_id(fixture("widget.h"))
    assert v1.content_id("nope.h") is None and v1.read("nope.h") is None
    # only include/ changed between v1 and v2
    assert v1.tree_id("include") != v2.tree_id("include")
    assert v1.tree_id("drivers/widget") == v2.tree_id("drivers/widget")
    assert v1.tree_id(W) is None
    assert list(v1.files("", (".c",))) == ["drivers/widget/core.c",
                                          "drivers/widget/legacy.c"]
    assert list(v1.files("include")) == [W]
    assert sorted(v1.files()) == ["README", "drivers/widget/core.c",
                                  "drivers/widget/legacy.c", W]
    # a pre-image blob by abbreviated id, from any revision
    assert v2.blob(blob_id(fixture("widget.h"))[:7]) == fixture("widget.h")
    assert v2.blob("deadbee") is None and v2.blob("zz") is None


def test_bare_repository(tmp_path: Path) -> None:
    make_repo(tmp_path / "b.git", [{W: fixture("widget.h")}], bare=True)
    tree = open_tree(str(tmp_path / "b.git"), None)
    assert tree.info.kind == "git" and tree.read(W) == fixture("widget.h")
    assert "no base-commit" in tree.info.reason


def test_default_revision_is_base_commit_when_present(repo_path: Path) -> None:
    v1 = open_tree(str(repo_path), "v1").info.commit
    tree = open_tree(str(repo_path), None, base_commit=v1)
    assert tree.info.commit == v1 and tree.info.reason == "base-commit of the series"
    other = open_tree(str(repo_path), None, base_commit="1234567890abcdef")
    assert other.info.revision == "HEAD"
    assert "not in the repository" in other.info.reason


@pytest.mark.parametrize("rev, what", [("nosuch", "unknown revision"),
                                       ("v1:README", "not a commit")])
def test_bad_revisions_are_one_line_errors(repo_path: Path, rev: str, what: str) -> None:
    with pytest.raises(InputError) as err:
        open_tree(str(repo_path), rev)
    assert what in err.value.what and "\n" not in str(err.value)


def test_directory_tree(tmp_path: Path) -> None:
    root = make_dir(tmp_path / "src", {W: fixture("widget.h"),
                                       "drivers/widget/core.c": fixture("core.c")})
    tree = open_tree(str(root), None)
    assert isinstance(tree, DirectoryTree) and tree.info.kind == "directory"
    assert tree.read(W) == fixture("widget.h")
    assert tree.content_id(W) == blob_id(fixture("widget.h"))
    assert list(tree.files("", (".h",))) == [W]
    assert list(tree.files("drivers")) == ["drivers/widget/core.c"]
    # the id follows the content when the file changes (size/mtime memo)
    (root / W).write_bytes(fixture("widget-moved.h"))
    assert tree.content_id(W) == blob_id(fixture("widget-moved.h"))
    with pytest.raises(InputError):
        open_tree(str(root), "HEAD")


def test_directory_symlinks_loops_and_escapes(tmp_path: Path) -> None:
    outside = tmp_path / "secret.h"
    outside.write_bytes(b"secret\n")
    root = make_dir(tmp_path / "src", {W: fixture("widget.h")})
    os.symlink("../../secret.h", root / "include" / "out.h")
    os.symlink("loop", root / "include" / "loop")
    os.symlink(".", root / "include" / "self")      # a directory loop
    os.symlink("widget.h", root / "include" / "linux" / "alias.h")
    before = snapshot(root)
    tree = DirectoryTree(str(root))
    assert tree.read("include/out.h") is None       # never leaves the root
    assert tree.read("include/loop") is None
    assert tree.read("include/linux/alias.h") == fixture("widget.h")
    assert sorted(tree.files()) == ["include/linux/alias.h", W]
    assert snapshot(root) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_directory_unreadable_file_is_skipped_with_warning(tmp_path: Path) -> None:
    root = make_dir(tmp_path / "src", {"a.h": b"x\n"})
    (root / "a.h").chmod(0)
    tree = DirectoryTree(str(root))
    with pytest.warns(UserWarning):
        assert tree.read("a.h") is None


def test_open_tree_from_cwd_and_none(tmp_path: Path) -> None:
    kernel = make_dir(tmp_path / "linux", {"MAINTAINERS": b"", "Kbuild": b"",
                                           W: fixture("widget.h")})
    inside = open_tree(None, None, cwd=str(kernel / "include" / "linux"))
    assert inside.info.kind == "directory" and inside.read(W) is not None
    assert "current directory" in inside.info.reason
    plain = make_dir(tmp_path / "plain", {"x.c": b""})
    none = open_tree(None, None, cwd=str(plain))
    assert isinstance(none, EmptyTree) and none.info.kind == "none"
    assert "not inside a kernel tree" in none.info.reason
    assert list(none.files()) == [] and none.read("x.c") is None
    assert open_tree(str(kernel), None, no_tree=True).info.kind == "none"
    # The label says "patch-only analysis" once; the reason says why.
    for empty in (none, open_tree(str(kernel), None, no_tree=True)):
        said = f"{empty.info.label}; {empty.info.reason}"
        assert said.count("patch-only analysis") == 1, said
    with pytest.raises(InputError):
        open_tree(str(tmp_path / "missing"), None)
    with pytest.raises(InputError):
        open_tree(None, "HEAD", cwd=str(plain))


def test_open_tree_from_cwd_in_git_work_tree(tmp_path: Path) -> None:
    path = tmp_path / "linux"
    repo = make_repo(path, [{"MAINTAINERS": b"", "Kbuild": b"",
                             W: fixture("widget.h")}])
    repo.index.read_tree(repo.head.peel().tree)   # a checkout's index
    repo.index.write()
    make_dir(path, {"MAINTAINERS": b"", "Kbuild": b"", W: b"edited\n"})
    tree = open_tree(None, None, cwd=str(path / "include"))
    # issue 17: as git grep, the edited work tree file is read ...
    assert tree.info.kind == "directory" and tree.read(W) == b"edited\n"
    assert "working tree" in tree.info.reason
    # ... and --rev HEAD reads the revision
    tree = open_tree(None, "HEAD", cwd=str(path / "include"))
    assert tree.info.kind == "git" and tree.read(W) == fixture("widget.h")


def test_overlay(repo_path: Path) -> None:
    base = open_tree(str(repo_path), "v1")
    over = OverlayTree(base, {W: b"new\n", "drivers/widget/legacy.c": None,
                              "drivers/widget/usb.c": b"usb\n"})
    assert over.read(W) == b"new\n" and over.content_id(W) == blob_id(b"new\n")
    assert not over.exists("drivers/widget/legacy.c")
    assert over.read("drivers/widget/core.c") == fixture("core.c")
    assert list(over.files("drivers", (".c",))) == ["drivers/widget/core.c",
                                                    "drivers/widget/usb.c"]
    assert over.tree_id("include") is None
    assert over.tree_id("README") == base.tree_id("README")
    assert base.read(W) == fixture("widget.h")      # the base is untouched


@pytest.mark.parametrize("bad", ["/etc/passwd", "../x.h", "a/../../x.h",
                                 "a\0b", "", "."])
def test_paths_refused(bad: str) -> None:
    with pytest.raises(InputError):
        normalise_path(bad, "p.mbox")


def test_paths_normalised() -> None:
    assert normalise_path("./include//linux/../linux/msi.h") == "include/linux/msi.h"


def _has_proc_mount() -> bool:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            return any(" - proc " in line for line in fh)
    except OSError:
        return False


@pytest.mark.skipif(not _has_proc_mount(), reason="no /proc mount to refuse (not Linux)")
@pytest.mark.parametrize("path,what", [
    ("/", "holds /proc, a proc file system"),
    ("/proc", "holds /proc, a proc file system"),
    ("/proc/self", "is inside /proc, a proc file system"),
])
def test_pseudo_file_systems_are_not_trees(path: str, what: str) -> None:
    # Walking /proc or /sys takes minutes and some of their files block
    # a read: found by `make fuzz` as `constants --tree ../..` from the
    # repository, two levels below /.
    with pytest.raises(InputError) as err:
        open_tree(path, None)
    assert what in str(err.value)


def test_a_tree_beside_pseudo_file_systems_opens(tmp_path: Path) -> None:
    make_dir(tmp_path / "t", {"include/linux/msi.h": b"#define MSI_FLAG_X 1\n"})
    assert open_tree(str(tmp_path / "t"), None).info.kind == "directory"


def test_directory_tree_reads_a_file_once_per_run(tmp_path, monkeypatch) -> None:
    """A report reads the same headers in every tree state: the bytes
    are kept, and read again only when the file's stat changes."""
    import builtins
    (tmp_path / "a.h").write_bytes(b"#define A 1\n")
    tree = DirectoryTree(str(tmp_path))
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, "open",
                        lambda f, *a, **k: opened.append(f) or real_open(f, *a, **k))
    assert tree.read("a.h") == tree.read("a.h") == b"#define A 1\n"
    assert len(opened) == 1
    (tmp_path / "a.h").write_bytes(b"#define A 22\n")
    assert tree.read("a.h") == b"#define A 22\n"
    assert len(opened) == 2
