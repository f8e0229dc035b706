"""The directory store answers for the directory it searched, not for
whatever has its name now (issue 16: "the directory cache answers for
the wrong tree").

A tree renamed over another keeps its files' ctimes, all older than
the last search: a warm run that trusted them would report the old
tree.  The store keeps the root's device and inode and every folder's
inode; a new root is searched cold, a folder swapped in is read again.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext, directory, search
from patchlens.tree.directory import DirectoryTree
from tests.extract.test_references import NAMES

LIT = b"MSI_FLAG_PCI_MSIX"
NEW_DRIVER = b"int only_new(unsigned long f)\n{\n\treturn f & MSI_FLAG_PCI_MSIX;\n}\n"


@pytest.fixture(autouse=True, params=["find", "walk"])
def lister(request, monkeypatch) -> str:
    """Every test twice: a warm run lists the changes with find(1), and
    with the Python walk (what runs without GNU find)."""
    if request.param == "walk":
        from patchlens.search import front
        monkeypatch.setattr(directory, "_find", lambda *a, **k: None)
        monkeypatch.setattr(front, "begin_find", lambda *a, **k: None)
    elif directory._find(str(Path(__file__).parent)) is None:
        pytest.skip("no GNU find")
    return request.param


def run() -> SearchContext:
    """A new run; ctimes trusted at once (no racy margin), which is the
    most a warm run can trust."""
    return SearchContext(racy_ns=0)


@pytest.fixture
def trees(request, tmp_path, monkeypatch) -> tuple[Path, Path]:
    """``linux`` and ``linux-new`` (the same plus one driver), both
    written before any search, so every file's ctime is old."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    src = request.config.rootpath / "fixtures" / "refs" / "tree"
    old, new = tmp_path / "linux", tmp_path / "linux-new"
    shutil.copytree(src, old)
    shutil.copytree(src, new)
    (new / "drivers" / "only_new.c").write_bytes(NEW_DRIVER)
    time.sleep(0.05)            # the searches start after every ctime
    return old, new


def test_a_tree_renamed_over_the_searched_one_is_searched_again(trees):
    linux, new = trees
    first = search(run(), DirectoryTree(str(linux)), [LIT])
    assert "drivers/only_new.c" not in first
    again = run()
    search(again, DirectoryTree(str(linux)), [LIT])
    assert again.stats.store_hits == 1      # warm while it is the same tree

    os.rename(linux, linux.with_name("linux-old"))
    os.rename(new, linux)
    ctx = run()
    found = search(ctx, DirectoryTree(str(linux)), [LIT])
    assert "drivers/only_new.c" in found
    assert ctx.stats.store_hits == 0        # another directory: cold
    assert ctx.stats.steps                  # a system search ran


def test_a_folder_renamed_over_one_of_the_tree_is_read_again(trees):
    linux, new = trees
    search(run(), DirectoryTree(str(linux)), [LIT])
    os.rename(linux / "drivers", linux / "drivers-old")
    os.rename(new / "drivers", linux / "drivers")
    ctx = run()
    found = search(ctx, DirectoryTree(str(linux)), [LIT])
    assert "drivers/only_new.c" in found
    assert ctx.stats.store_hits == 1        # the same root: warm ...
    # ... reading the folder swapped in, and not the rest.
    assert "drivers/only_new.c" in ctx.stats.reads
    assert not any(p.startswith("include/") for p in ctx.stats.reads)
    # The next run trusts the new folder again.
    later = run()
    assert search(later, DirectoryTree(str(linux)), [LIT]) == found
    assert later.stats.files_read == 0


def test_a_folder_moved_in_from_elsewhere_is_read(trees):
    linux, new = trees
    search(run(), DirectoryTree(str(linux)), [LIT])
    (new / "drivers" / "extra").mkdir()
    os.rename(new / "drivers" / "only_new.c", new / "drivers" / "extra" / "x.c")
    time.sleep(0.05)
    search(run(), DirectoryTree(str(linux)), [LIT])   # a run after the move's ctimes
    os.rename(new / "drivers" / "extra", linux / "drivers" / "extra")
    found = search(run(), DirectoryTree(str(linux)), [LIT])
    assert "drivers/extra/x.c" in found


def test_the_scan_reports_the_tree_renamed_in(trees):
    linux, new = trees
    prof = load_profile(None)
    cold = scan_references(DirectoryTree(str(linux)), NAMES, prof, jobs=1,
                           context=run())
    assert "drivers/only_new.c" not in cold.files
    os.rename(linux, linux.with_name("linux-old"))
    os.rename(new, linux)
    warm = scan_references(DirectoryTree(str(linux)), NAMES, prof, jobs=1,
                           context=run())
    assert "drivers/only_new.c" in warm.files


def test_a_warm_run_sees_every_kind_of_change(trees):
    linux, _ = trees
    lit = [LIT]
    cold = search(run(), DirectoryTree(str(linux)), lit)
    assert "drivers/pci/msi/msi.c" in cold
    time.sleep(0.05)
    drivers = linux / "drivers"
    (drivers / "added.c").write_bytes(NEW_DRIVER)           # a new hit
    (drivers / "pci" / "msi" / "msi.c").write_bytes(b"/* gone */\n")  # no more
    hits_elsewhere = sorted(p for p in cold if p.startswith("include/"))
    if hits_elsewhere:                                        # a hit deleted
        (linux / hits_elsewhere[0]).unlink()
    ctx = run()
    warm = search(ctx, DirectoryTree(str(linux)), lit)
    assert ctx.stats.store_hits == 1
    want = search(SearchContext(cache=False, racy_ns=0), DirectoryTree(str(linux)), lit)
    assert warm == want
    assert "drivers/added.c" in warm and "drivers/pci/msi/msi.c" not in warm


def test_a_folder_turned_into_a_symbolic_link_is_not_followed(trees, tmp_path):
    linux, new = trees
    cold = search(run(), DirectoryTree(str(linux)), [LIT])
    inside = sorted(p for p in cold if p.startswith("drivers/pci/"))
    assert inside
    os.rename(linux / "drivers" / "pci", tmp_path / "pci-elsewhere")
    os.symlink(tmp_path / "pci-elsewhere", linux / "drivers" / "pci")
    warm = search(run(), DirectoryTree(str(linux)), [LIT])
    assert not [p for p in warm if p.startswith("drivers/pci/")]


def test_a_warm_start_lists_the_changes_while_the_caller_works(trees, lister):
    from patchlens.c.defines import header_macros
    from patchlens.search import start
    linux, _ = trees
    search(run(), DirectoryTree(str(linux)), [LIT])
    time.sleep(0.05)
    (linux / "drivers" / "late.c").write_bytes(NEW_DRIVER)
    ctx, tree = run(), DirectoryTree(str(linux))
    start(ctx, tree, [LIT], header_macros)
    assert ctx.stats.early_started == 0          # no grep for a warm search
    assert bool(ctx.pending_finds) == (lister == "find")
    found = search(ctx, tree, [LIT])
    assert "drivers/late.c" in found and ctx.stats.store_hits == 1
    assert not ctx.pending_finds                  # picked up, or none begun
