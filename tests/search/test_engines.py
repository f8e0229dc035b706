"""Every directory search engine gives the same answers.

ripgrep (``patchlens[fast]``), git grep --no-index and GNU grep only
list candidates (each hit is read again in Python), but a file one of
them does not list is a file the search misses: on every fixture tree,
and on a tree of the files where the tools differ by default (ignore
files, dot files, NUL bytes, byte-order marks, symbolic links), the
three engines must give the same answer, and each must have run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext, files_containing, search
from patchlens.search.directory import ripgrep
from patchlens.tree.directory import DirectoryTree
from tests.extract.test_references import NAMES

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TREES = sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "fixtures").glob("**/tree")
    if p.is_dir())
ENGINES = ("rg", "git", "grep")

needs_rg = pytest.mark.skipif(
    ripgrep() is None,
    reason="ripgrep is not installed (pip install 'patchlens[fast]')")


def _have(engine: str) -> bool:
    return ripgrep() is not None if engine == "rg" else shutil.which(engine) is not None


def _search(root: str, engine: str, lits) -> dict[str, str]:
    ctx = SearchContext(cache=False, racy_ns=0, engine=engine)  # type: ignore[arg-type]
    found = search(ctx, DirectoryTree(root), lits)
    assert [s.tool for s in ctx.stats.steps] == [engine]
    assert ctx.stats.fallbacks == 0
    return found


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@needs_rg
@pytest.mark.parametrize("tree", FIXTURE_TREES)
def test_engines_agree_on_fixture_trees(tree, xdg):
    lits = load_profile(None).search_literals
    answers = {e: _search(str(ROOT / tree), e, lits) for e in ENGINES if _have(e)}
    assert len(answers) >= 2
    first = next(iter(answers.values()))
    assert all(a == first for a in answers.values()), answers


@pytest.fixture
def awkward(tmp_path) -> Path:
    """Files where ripgrep's defaults differ from grep -r."""
    t = tmp_path / "awkward"
    for d in ("a", ".hidden", "Documentation/sub", "a/Documentation", "b"):
        (t / d).mkdir(parents=True, exist_ok=True)
    lit = b"MSI_FLAG_AWKWARD"
    (t / "a/plain.c").write_bytes(b"int x = " + lit + b";\n")
    (t / "a/nul_after.h").write_bytes(lit + b"\0binary")
    (t / "a/nul_before.h").write_bytes(b"\0\0" + lit)
    (t / "a/bom.h").write_bytes(b"\xef\xbb\xbf" + lit)
    # UTF-16 with a byte-order mark: rg would decode it by default.
    (t / "a/utf16.h").write_bytes(b"\xff\xfe" + lit.decode().encode("utf-16-le"))
    (t / "a/utf16_raw.h").write_bytes(b"\xff\xfe" + lit)
    (t / ".hidden/dot.h").write_bytes(lit)
    (t / "Documentation/sub/doc.rst").write_bytes(lit)
    (t / "a/Documentation/not-docs.txt").write_bytes(lit)
    (t / "a/notes.txt").write_bytes(lit)
    (t / "b/ignored.c").write_bytes(lit)
    (t / ".gitignore").write_bytes(b"*.c\nb/\n")
    (t / ".ignore").write_bytes(b"*.h\n")
    (t / ".rgignore").write_bytes(b"Documentation/\n")
    (t / "a/.gitignore").write_bytes(b"*\n")
    os.symlink("a/plain.c", t / "link.c")
    os.symlink("a", t / "linkdir")
    return t


@needs_rg
def test_engines_agree_on_awkward_files(awkward, xdg):
    lits = (b"MSI_FLAG_AWKWARD",)
    answers = {e: _search(str(awkward), e, lits) for e in ENGINES if _have(e)}
    want = {"a/plain.c", "a/nul_after.h", "a/nul_before.h", "a/bom.h",
            "a/utf16_raw.h", ".hidden/dot.h", "Documentation/sub/doc.rst",
            "b/ignored.c"}
    for engine, got in answers.items():
        assert set(got) == want, engine


@needs_rg
def test_engines_agree_below_a_folder(awkward, xdg):
    # A narrowed search (a folder, some suffixes) runs the tool below it.
    got = {}
    for engine in ENGINES:
        if _have(engine):
            ctx = SearchContext(cache=False, racy_ns=0, engine=engine)  # type: ignore[arg-type]
            got[engine] = files_containing(ctx, DirectoryTree(str(awkward)),
                                           ["MSI_FLAG_AWKWARD"], under="a",
                                           suffixes=(".h",))
            assert [s.tool for s in ctx.stats.steps] == [engine]
    assert set(got.values()) == {("a/bom.h", "a/nul_after.h", "a/nul_before.h",
                                  "a/utf16_raw.h")}


@needs_rg
def test_scan_is_the_same_with_ripgrep(request, tmp_path, xdg):
    tree = str(request.config.rootpath / "fixtures" / "refs" / "tree")
    prof = load_profile(None)
    scans = {}
    for engine in ("rg", "git"):
        ctx = SearchContext(cache=False, racy_ns=0, engine=engine)  # type: ignore[arg-type]
        scans[engine] = scan_references(DirectoryTree(tree), NAMES, prof, jobs=1,
                                        cache=False, context=ctx)
        assert {s.tool for s in ctx.stats.steps} == {engine}
    assert scans["rg"].sites == scans["git"].sites
    assert scans["rg"].mentions == scans["git"].mentions
    assert scans["rg"].files == scans["git"].files


def test_auto_prefers_ripgrep(tmp_path, xdg):
    (tmp_path / "x.c").write_bytes(b"MSI_FLAG_X\n")
    ctx = SearchContext(cache=False, racy_ns=0)
    assert search(ctx, DirectoryTree(str(tmp_path)), [b"MSI_FLAG_X"]) \
        .keys() == {"x.c"}
    want = "rg" if ripgrep() else "git" if shutil.which("git") else "grep"
    assert [s.tool for s in ctx.stats.steps] == [want]
