"""The scan cache: warm runs reuse facts; corrupt caches are ignored;
git revisions reuse subtrees by id; overlays re-read only changed files."""

from __future__ import annotations

import os
import shutil

import pygit2
import pytest

from patchlens.extract import scan as scanmod
from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext
from patchlens.tree.directory import DirectoryTree
from patchlens.tree.git import GitTree
from patchlens.tree.overlay import OverlayTree
from tests.extract.test_references import NAMES


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def run() -> SearchContext:
    """A new run's searches.  The trees are written just now: trust
    ctimes at once."""
    return SearchContext(racy_ns=0)


@pytest.fixture
def tree_copy(request, tmp_path):
    src = request.config.rootpath / "fixtures" / "refs" / "tree"
    dst = tmp_path / "tree"
    shutil.copytree(src, dst)
    return dst


def _count_parses(monkeypatch):
    calls = []
    real = scanmod.analyse_file

    def counting(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(scanmod, "analyse_file", counting)
    return calls


def key(scan):
    return sorted((s.name, s.file, s.line, s.role.value, s.reason) for s in scan.sites)


def test_warm_directory_parses_nothing(xdg, tree_copy, monkeypatch):
    prof = load_profile(None)
    calls = _count_parses(monkeypatch)
    cold = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                           context=run())
    assert calls and (xdg / "patchlens" / "scan").is_dir()
    calls.clear()
    warm = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                           context=run())
    assert calls == [] and key(warm) == key(cold)
    # Touch one file: only it is parsed again.
    p = tree_copy / "kernel" / "irq" / "msi.c"
    p.write_text(p.read_text() + "\n/* MSI_FLAG_NO_MASK */\n")
    again = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                           context=run())
    assert calls == ["kernel/irq/msi.c"]
    assert len(again.mentions) == len(cold.mentions) + 1


def test_no_cache_writes_nothing(xdg, tree_copy):
    scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                    cache=False, jobs=1)
    assert not xdg.exists()


def test_corrupt_cache_ignored(xdg, tree_copy):
    prof = load_profile(None)
    cold = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                           context=run())
    d = xdg / "patchlens" / "scan"
    for f in d.iterdir():
        f.write_bytes(b"\x80\x04garbage")
    again = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                           context=run())
    assert key(again) == key(cold)


def test_process_pool_same_result(xdg, tree_copy, monkeypatch):
    monkeypatch.setattr(scanmod, "_POOL_MIN", 1)
    prof = load_profile(None)
    a = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, cache=False, jobs=2)
    b = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, cache=False, jobs=1)
    assert key(a) == key(b)


def _commit(repo, root, message, parents):
    index = repo.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    sig = pygit2.Signature("t", "t@example.org", 0, 0)
    return repo.create_commit("HEAD", sig, sig, message, tree, parents)


def test_git_nearby_revision_reuses_subtrees(xdg, tree_copy, monkeypatch):
    repo = pygit2.init_repository(str(tree_copy))
    c1 = _commit(repo, tree_copy, "one", [])
    p = tree_copy / "drivers" / "pci" / "msi" / "msi.c"
    p.write_text(p.read_text().replace("MSI_FLAG_NO_MASK", "MSI_FLAG_PCI_MSIX"))
    c2 = _commit(repo, tree_copy, "two", [c1])
    prof = load_profile(None)
    calls = _count_parses(monkeypatch)
    first = scan_references(GitTree.open(str(tree_copy), str(c1)), NAMES, prof, jobs=1,
                           context=run())
    assert len(calls) > 5
    calls.clear()
    ctx = run()
    second = scan_references(GitTree.open(str(tree_copy), str(c2)), NAMES, prof, jobs=1,
                             context=ctx)
    assert calls == ["drivers/pci/msi/msi.c"]
    # The searches read the one new blob, nothing else (the scanner's
    # literal set and the flag sets' each read it once).
    assert set(ctx.stats.reads) == {"drivers/pci/msi/msi.c"}
    assert ctx.stats.steps == []
    assert key(first) != key(second)


def test_overlay_reads_changed_files_only(xdg, tree_copy, monkeypatch):
    prof = load_profile(None)
    base = DirectoryTree(str(tree_copy))
    scan_references(base, NAMES, prof, jobs=1,
                           context=run())
    calls = _count_parses(monkeypatch)
    over = OverlayTree(base, {"drivers/new.c": b"int x = DOMAIN_BUS_WIRED;\n",
                              "drivers/demo/broken.c": None})
    s = scan_references(over, NAMES, prof, jobs=1,
                           context=run())
    assert calls == ["drivers/new.c"]
    assert not [x for x in s.sites if x.file == "drivers/demo/broken.c"]
    assert [x.role.value for x in s.sites if x.file == "drivers/new.c"] == ["set"]
