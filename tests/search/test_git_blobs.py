"""A git revision is searched blob by blob: the first search reads each
distinct blob once; a search at another revision reads only the blobs
the cache has not seen (issue 15).  ``grep_threshold=0`` makes the
small fixture repositories take the path a kernel takes (git grep over
trees of the unseen blobs), and the answers must be those of reading
every blob in Python (a threshold no repository reaches)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pygit2
import pytest

from patchlens.c.defines import header_macros
from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext, search
from patchlens.tree.git import GitTree
from tests.extract.test_references import NAMES

HEADER = b"""#define DEMO_MSI_FLAGS_SUPPORTED\t\\
\t(MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX)
"""
USER = b"int demo(void) { return DEMO_MSI_FLAGS_SUPPORTED; }\n"
USER_H = b"#define DEMO_MORE (DEMO_MSI_FLAGS_SUPPORTED | 1)\n"
LITS = tuple(load_profile(None).search_literals)


def _commit(repo: pygit2.Repository, message: str, parents: list) -> pygit2.Oid:
    index = repo.index
    index.add_all()
    index.write()
    tree = index.write_tree()
    sig = pygit2.Signature("t", "t@example.org", 0, 0)
    return repo.create_commit("HEAD", sig, sig, message, tree, parents)


@pytest.fixture
def repo(request, tmp_path, monkeypatch) -> tuple[Path, str, str]:
    """A work tree with two commits: the second changes one file and
    adds a header and a user of its flag set."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "tree"
    shutil.copytree(request.config.rootpath / "fixtures" / "refs" / "tree", root)
    inc = root / "include" / "asm"
    inc.mkdir(parents=True, exist_ok=True)
    (inc / "demo_msi.h").write_bytes(HEADER)
    (root / "drivers" / "copy_of_user.c").write_bytes(USER)
    r = pygit2.init_repository(str(root))
    c1 = _commit(r, "one", [])
    msi = root / "drivers" / "pci" / "msi" / "msi.c"
    msi.write_text(msi.read_text().replace("MSI_FLAG_NO_MASK", "MSI_FLAG_PCI_MSIX"))
    (root / "drivers" / "demo_user.c").write_bytes(USER)
    (inc / "demo_more.h").write_bytes(USER_H)
    c2 = _commit(r, "two", [c1])
    return root, str(c1), str(c2)


def _blobs(root: Path, rev: str) -> dict[str, str]:
    """blob id -> a path, of the scanned files at ``rev``."""
    r = pygit2.Repository(str(root))
    out: dict[str, str] = {}

    def walk(tree, prefix):
        for e in tree:
            if e.type_str == "tree":
                walk(r[e.id], prefix + e.name + "/")
            elif e.name.endswith((".c", ".h")) or prefix.startswith("Documentation/"):
                out.setdefault(str(e.id), prefix + e.name)
    walk(r.revparse_single(rev).peel(pygit2.Tree), "")
    return out


def _python(root: Path, rev: str, lits) -> dict[str, str]:
    ctx = SearchContext(cache=False, grep_threshold=10**9)
    return search(ctx, GitTree.open(str(root), rev), lits)


def test_cold_search_reads_each_blob_once_by_git_grep(repo):
    root, _, c2 = repo
    ctx = SearchContext(grep_threshold=0)
    found = search(ctx, GitTree.open(str(root), c2), LITS, follow=header_macros)
    assert found == _python(root, c2, LITS)
    assert ctx.stats.fallbacks == 0
    # headers; then sources for both sets and headers for the macros.
    assert [s.part for s in ctx.stats.steps] == ["headers", "sources", "headers"]
    blobs = _blobs(root, c2)
    heads = sum(p.endswith(".h") for p in blobs.values())
    assert ctx.stats.blobs_grepped == len(blobs) + heads
    # The followed macros' answer is kept: asking for it costs nothing,
    # in this run or the next.
    nxt = ctx.stats.steps[-1].literals
    assert "DEMO_MSI_FLAGS_SUPPORTED" in nxt
    want = _python(root, c2, [n.encode() for n in nxt])
    assert {"include/asm/demo_msi.h", "include/asm/demo_more.h",
            "drivers/demo_user.c", "drivers/copy_of_user.c"} <= set(want)
    again = SearchContext(grep_threshold=0)
    assert search(again, GitTree.open(str(root), c2), [n.encode() for n in nxt]) == want
    assert again.stats.store_hits == 1 and not again.stats.steps


def test_another_revision_reads_only_the_blobs_that_differ(repo):
    root, c1, c2 = repo
    warm = SearchContext(grep_threshold=0)
    search(warm, GitTree.open(str(root), c1), LITS, follow=header_macros)
    ctx = SearchContext(grep_threshold=0)
    found = search(ctx, GitTree.open(str(root), c2), LITS, follow=header_macros)
    assert found == _python(root, c2, LITS)
    new = set(_blobs(root, c2)) - set(_blobs(root, c1))
    # msi.c and demo_more.h: demo_user.c has the bytes of a file the
    # first revision has already (one blob, read once).
    assert len(new) == 2
    # The new header for the literals; the new source for both sets;
    # the new header again for the macros (known for every other blob).
    assert ctx.stats.blobs_grepped == 1 + 1 + 1
    # Read in Python: the header hits (for their macros) and the new
    # source the git grep listed.
    assert {p for p in ctx.stats.reads if not p.endswith(".h")} == {
        "drivers/pci/msi/msi.c"}


def test_without_follow_the_unseen_blobs_are_grepped(repo):
    root, c1, c2 = repo
    search(SearchContext(grep_threshold=0), GitTree.open(str(root), c1), LITS)
    ctx = SearchContext(grep_threshold=0)
    found = search(ctx, GitTree.open(str(root), c2), LITS)
    assert found == _python(root, c2, LITS)
    assert [s.part for s in ctx.stats.steps] == ["everything"]
    assert ctx.stats.blobs_grepped == 2


def test_the_scan_is_the_same_either_way(repo, monkeypatch):
    root, c1, c2 = repo
    prof = load_profile(None)
    by_grep = scan_references(GitTree.open(str(root), c2), NAMES, prof, jobs=1,
                              context=SearchContext(grep_threshold=0))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root.parent / "cache2"))
    by_python = scan_references(GitTree.open(str(root), c2), NAMES, prof, jobs=1,
                                context=SearchContext(grep_threshold=10**9))
    assert by_grep.sites == by_python.sites and by_grep.files == by_python.files
    assert "drivers/demo_user.c" in by_grep.files


def test_nothing_is_written_into_the_repository(repo):
    root, _, c2 = repo
    objects = root / ".git" / "objects"
    before = sorted(p for p in objects.rglob("*") if p.is_file())
    search(SearchContext(grep_threshold=0, cache=False), GitTree.open(str(root), c2),
           LITS, follow=header_macros)
    assert sorted(p for p in objects.rglob("*") if p.is_file()) == before


def test_a_scope_at_a_revision_is_kept_across_runs(repo):
    from patchlens.search import files_containing
    root, _, c2 = repo
    first = SearchContext()
    want = files_containing(first, GitTree.open(str(root), c2), ["DEMO_MSI_FLAGS_SUPPORTED"],
                            under="include", suffixes=(".h",))
    assert want == ("include/asm/demo_more.h", "include/asm/demo_msi.h")
    assert [s.part for s in first.stats.steps] == ["scope"]
    again = SearchContext()
    assert files_containing(again, GitTree.open(str(root), c2), ["DEMO_MSI_FLAGS_SUPPORTED"],
                            under="include", suffixes=(".h",)) == want
    assert again.stats.steps == [] and again.stats.store_hits == 1


# A generated register header: large, defining no flag set, but naming
# a literal (in a comment) and the flag set (in a define's body).
REGS_H = b"/* see MSI_FLAG_PCI_MSIX */\n" + b"".join(
    b"#define DEMO_REG_%d 0x%x\n" % (i, i) for i in range(200)) \
    + b"#define DEMO_REG_MSI (DEMO_MSI_FLAGS_SUPPORTED)\n"


@pytest.mark.parametrize("small, steps", [
    # The headers that define flag sets (msi.h, 1046 bytes; demo_msi.h)
    # are small: the large one (regs.h) is read once, with the sources,
    # for both sets.
    (1046, ["headers", "sources", "headers"]),
    # msi.h large too: its flag sets are found only after the one pass;
    # one more search for the whole set then, and the same answers.
    (len(HEADER), ["headers", "sources", "headers", "everything"]),
    (0, ["sources", "everything"]),
])
def test_large_headers_are_read_once(repo, monkeypatch, small, steps):
    from patchlens.search import git as git_backend
    root, _, c2 = repo
    (root / "drivers" / "gpu").mkdir()
    (root / "drivers" / "gpu" / "regs.h").write_bytes(REGS_H)
    c3 = str(_commit(pygit2.Repository(str(root)), "three", [pygit2.Oid(hex=c2)]))
    blobs = _blobs(root, c3)
    r = pygit2.Repository(str(root))
    sizes = {o: r[o].size for o, p in blobs.items() if p.endswith(".h")}
    assert sorted(sizes.values())[-2:] == [1046, len(REGS_H)]
    monkeypatch.setattr(git_backend, "_SMALL_HEADER", small)
    ctx = SearchContext(grep_threshold=0)
    found = search(ctx, GitTree.open(str(root), c3), LITS, follow=header_macros)
    assert found == _python(root, c3, LITS) and "drivers/gpu/regs.h" in found
    assert [s.part for s in ctx.stats.steps] == steps
    large = sum(n > small for n in sizes.values())
    if steps[-1] != "everything":   # no header read twice but the small ones
        assert large and ctx.stats.blobs_grepped == len(blobs) + len(sizes) - large
    nxt = [n.encode() for n in ctx.stats.steps[-1].literals]
    assert b"DEMO_MSI_FLAGS_SUPPORTED" in nxt
    want = _python(root, c3, nxt)
    assert "drivers/gpu/regs.h" in want
    again = SearchContext(grep_threshold=0)
    assert search(again, GitTree.open(str(root), c3), nxt) == want
    assert again.stats.store_hits == 1 and not again.stats.steps


def test_blob_trees_are_written_as_git_mktree_writes_them(repo, tmp_path):
    """The flat trees a git grep reads are written in Python, byte for
    byte the tree ``git mktree`` makes (its id is the same)."""
    from patchlens.search import git as git_backend
    from patchlens.search.system import search_env
    root, _, c2 = repo
    oids = sorted(_blobs(root, c2)) * 9          # more than 16 entries: two hex digits
    objects = tmp_path / "objects"
    objects.mkdir()
    env = {**search_env(), "GIT_OBJECT_DIRECTORY": str(objects),
           "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(root / ".git" / "objects")}
    mine = git_backend._write_tree(str(objects), oids)
    assert mine is not None and mine == git_backend._mktree(str(root / ".git"), env, oids)
    assert git_backend._write_tree(str(objects), ["ab" * 32]) is None    # SHA-256
