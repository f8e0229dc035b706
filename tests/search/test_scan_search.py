"""The one literal search (patchlens.search) as the scanner uses it:
flag-set macros reach files that name no family constant; a warm
directory run reads no unchanged file.  What a search did is read from
its context's counters (SearchContext.stats)."""

from __future__ import annotations

import os
import shutil

import pytest

from patchlens.c.defines import header_macros
from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.search import SearchContext, search, start
from patchlens.tree.directory import DirectoryTree
from tests.extract.test_references import NAMES

HEADER = b"""#ifndef _ASM_DEMO_MSI_H
#define _ASM_DEMO_MSI_H
#define DEMO_MSI_FLAGS_SUPPORTED\t\\
\t(MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX)
#endif
"""
# Names no family constant: only the flag-set macro brings it in.
USER = b"""#include <asm/demo_msi.h>
static void demo_init(struct msi_domain_info *info)
{
\tinfo->flags = DEMO_MSI_FLAGS_SUPPORTED;
}
"""


def run(**kw) -> SearchContext:
    """A new run's searches.  The trees are written just now: trust
    ctimes at once (see test_recently_changed_files_are_read_again)."""
    return SearchContext(**{"racy_ns": 0, **kw})


def tree_wide(ctx: SearchContext) -> list[tuple[str, tuple[str, ...]]]:
    """(part, literals) of every tree-wide system search of a run."""
    return [(s.part, s.literals) for s in ctx.stats.steps if not s.under]


@pytest.fixture
def tree_copy(request, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    src = request.config.rootpath / "fixtures" / "refs" / "tree"
    dst = tmp_path / "tree"
    shutil.copytree(src, dst)
    inc = dst / "arch" / "demo" / "include" / "asm"
    inc.mkdir(parents=True)
    (inc / "demo_msi.h").write_bytes(HEADER)
    (dst / "drivers" / "demo_user.c").write_bytes(USER)
    return dst


class CountingTree:
    """A DirectoryTree whose reads are counted (by path): its own, and
    the search's (which reads the files grep lists directly: its
    context counts them)."""

    def __init__(self, root: str) -> None:
        self._tree = DirectoryTree(root)
        self.info, self.root = self._tree.info, self._tree.root
        self.own: list[str] = []
        self.ctx = run()

    @property
    def reads(self) -> list[str]:
        return self.own + list(self.ctx.stats.reads.elements())

    def read(self, path: str) -> bytes | None:
        self.own.append(path)
        return self._tree.read(path)

    def exists(self, path: str) -> bool:
        return self._tree.exists(path)

    def content_id(self, path: str) -> str | None:
        return self._tree.content_id(path)

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()):
        return self._tree.files(under, suffixes)


def test_flag_set_only_file_is_scanned(tree_copy):
    s = scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                        jobs=1, context=run())
    assert s.names.get("DEMO_MSI_FLAGS_SUPPORTED") == "flagset"
    assert set(s.flagsets["DEMO_MSI_FLAGS_SUPPORTED"]) >= {
        "MSI_FLAG_USE_DEF_DOM_OPS", "MSI_FLAG_PCI_MSIX"}
    here = [x for x in s.sites if x.file == "drivers/demo_user.c"]
    assert [(x.name, x.line, x.role.value) for x in here] == [
        ("DEMO_MSI_FLAGS_SUPPORTED", 4, "set")]


LOCAL = b"""#define LOCAL_MSI_FLAGS\t(MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_PCI_MSIX)
static void local_init(struct msi_domain_info *info)
{
\tinfo->flags = LOCAL_MSI_FLAGS;
}
"""


def test_flag_set_of_a_c_file_is_followed_there(tree_copy):
    # Defined in a .c file: no tree-wide search, but its use is a site.
    (tree_copy / "drivers" / "local_user.c").write_bytes(LOCAL)
    s = scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                        jobs=1, context=run())
    assert s.names.get("LOCAL_MSI_FLAGS") == "flagset"
    here = [x for x in s.sites if x.file == "drivers/local_user.c"
            and x.name == "LOCAL_MSI_FLAGS"]
    assert [(x.line, x.role.value) for x in here] == [(1, "define"), (4, "set")]


def test_warm_directory_reads_no_unchanged_file(tree_copy):
    prof = load_profile(None)
    cold_tree = CountingTree(str(tree_copy))
    cold = scan_references(cold_tree, NAMES, prof, jobs=1, context=cold_tree.ctx)
    assert "drivers/demo_user.c" in cold_tree.reads
    warm_tree = CountingTree(str(tree_copy))
    warm = scan_references(warm_tree, NAMES, prof, jobs=1, context=warm_tree.ctx)
    assert warm.sites == cold.sites
    assert warm_tree.ctx.stats.store_hits and not warm_tree.ctx.stats.steps
    # Only the handful of include/ headers the constants are read from
    # (their definitions are parsed every run); no scanned file's
    # contents are read for the search or the facts.
    assert not [p for p in warm_tree.reads if not p.startswith("include/")
                and p != "MAINTAINERS"]
    user = tree_copy / "drivers" / "demo_user.c"
    user.write_bytes(USER + b"/* MSI_FLAG_NO_MASK */\n")
    again_tree = CountingTree(str(tree_copy))
    scan_references(again_tree, NAMES, prof, jobs=1, context=again_tree.ctx)
    assert "drivers/demo_user.c" in again_tree.reads
    assert not [p for p in again_tree.reads if not p.startswith("include/")
                and p not in ("MAINTAINERS", "drivers/demo_user.c")]


def test_header_flag_sets_cost_no_second_pass(tree_copy):
    ctx = run()
    s = scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                        jobs=1, context=ctx)
    assert "drivers/demo_user.c" in s.files
    wide = tree_wide(ctx)
    # Headers first; then .c files and Documentation/ once, for the
    # literals and the header's flag set together; headers again for
    # the flag set alone.
    assert [part for part, _ in wide] == ["headers", "sources", "headers"]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in wide[1][1]
    assert "MSI_FLAG_" in wide[1][1]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in wide[2][1]
    assert "MSI_FLAG_" not in wide[2][1]


def test_plain_grep_finds_the_same(tree_copy):
    prof = load_profile(None)
    with_git = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof,
                               jobs=1, cache=False, context=run(cache=False))
    ctx = run(cache=False, engine="grep")
    plain = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof,
                            jobs=1, cache=False, context=ctx)
    assert ctx.stats.steps and plain.sites == with_git.sites
    assert plain.mentions == with_git.mentions
    assert ctx.stats.fallbacks == 0


def test_warm_directory_sees_new_and_deleted_files(tree_copy):
    prof = load_profile(None)
    cold = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in cold.files
    (tree_copy / "drivers" / "demo_user.c").unlink()
    (tree_copy / "drivers" / "late.c").write_bytes(
        b"int late(unsigned long f)\n{\n\treturn f & MSI_FLAG_PCI_MSIX;\n}\n")
    warm = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" not in warm.files
    assert [(x.name, x.role.value) for x in warm.sites
            if x.file == "drivers/late.c"] == [("MSI_FLAG_PCI_MSIX", "check")]


def test_recently_changed_files_are_read_again(tree_copy):
    # A file whose ctime is within racy_ns of the search's start may
    # have changed after grep read it: the next run reads it again.
    hour = 3600 * 10**9
    prof = load_profile(None)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                    context=run(racy_ns=hour))
    warm_tree = CountingTree(str(tree_copy))
    warm_tree.ctx = run(racy_ns=hour)
    scan_references(warm_tree, NAMES, prof, jobs=1, context=warm_tree.ctx)
    assert "drivers/demo_user.c" in warm_tree.reads


def test_many_changes_search_again(tree_copy):
    prof = load_profile(None)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1,
                    context=run())
    user = tree_copy / "drivers" / "demo_user.c"
    user.write_bytes(USER + b"/* changed */\n")
    ctx = run(grep_threshold=0)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1, context=ctx)
    assert tree_wide(ctx)


def test_started_search_is_picked_up(tree_copy):
    prof = load_profile(None)
    tree = DirectoryTree(str(tree_copy))
    ctx = run()
    start(ctx, tree, prof.candidate_literals(NAMES), header_macros)
    assert [part for part, _ in tree_wide(ctx)] == ["headers"]
    s = scan_references(tree, NAMES, prof, jobs=1, context=ctx)
    assert "drivers/demo_user.c" in s.files
    # The header step is the one started early: not run twice.
    assert [part for part, _ in tree_wide(ctx)] == ["headers", "sources", "headers"]
    assert ctx.stats.early_started == ctx.stats.early_joined == 1
    # Warm, nothing starts: the answer is cached.
    warm_ctx = run()
    start(warm_ctx, DirectoryTree(str(tree_copy)), prof.candidate_literals(NAMES),
          header_macros)
    assert warm_ctx.stats.steps == [] and warm_ctx.stats.early_started == 0


def test_started_search_for_other_literals_is_not_used(tree_copy):
    prof = load_profile(None)
    tree = DirectoryTree(str(tree_copy))
    ctx = run()
    start(ctx, tree, [b"SOMETHING_ELSE_"], header_macros)
    s = scan_references(tree, NAMES, prof, jobs=1, context=ctx)
    assert "drivers/demo_user.c" in s.files
    assert ctx.stats.early_started == 1 and ctx.stats.early_joined == 0
    left = ctx.early(tree)[(b"SOMETHING_ELSE_",)][1]
    ctx.close()
    assert all(p.poll() is not None for p in left)


def test_same_size_and_mtime_but_rewritten(tree_copy):
    # The ctime gives away a rewrite that kept the size and the mtime.
    prof = load_profile(None)
    hit = tree_copy / "drivers" / "hit.c"
    hit.write_bytes(b"int h(unsigned long f)\n{\n\treturn f & MSI_FLAG_PCI_MSIX;\n}\n")
    cold = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    assert "drivers/hit.c" in cold.files
    st = hit.stat()
    hit.write_bytes(b"int h(unsigned long f)\n{\n\treturn f & XSI_FLAG_PCI_MSIX;\n}\n")
    os.utime(hit, ns=(st.st_atime_ns, st.st_mtime_ns))
    warm = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    assert "drivers/hit.c" not in warm.files


def test_search_takes_what_the_run_answered(tree_copy):
    tree = DirectoryTree(str(tree_copy))
    ctx = run()
    wide = search(ctx, tree, [b"MSI_FLAG_", b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert "drivers/demo_user.c" in wide
    ctx.stats.steps.clear()
    # A subset is narrowed from that answer; a superset searches only
    # the literals no answer covers.
    narrow = search(ctx, tree, [b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert ctx.stats.steps == [] and set(narrow) < set(wide)
    assert ctx.stats.searches == 1 and ctx.stats.memo_hits == 1
    more = search(ctx, tree, [b"MSI_FLAG_", b"LOCAL_ONLY_NAME"])
    assert [s.literals for s in ctx.stats.steps] == [("LOCAL_ONLY_NAME",)]
    assert set(more) == {p for p in wide if b"MSI_FLAG_" in (tree.read(p) or b"")}


def test_started_subset_is_finished_first(tree_copy):
    tree = DirectoryTree(str(tree_copy))
    prof = load_profile(None)
    base = prof.candidate_literals(())
    ctx = run()
    start(ctx, tree, base, header_macros)
    got = search(ctx, tree, base + (b"LOCAL_ONLY_NAME",))
    # The started header search, the rest of its tree, then the extra
    # literal alone.
    steps = ctx.stats.steps
    assert steps[0].part == "headers"
    assert steps[-1].literals == ("LOCAL_ONLY_NAME",)
    assert ctx.stats.early_joined == 1
    assert "drivers/demo_user.c" not in got
    assert set(search(ctx, tree, base)) <= set(got)


def test_early_search_dates_its_answer_from_its_start(tree_copy):
    tree = DirectoryTree(str(tree_copy))
    base = load_profile(None).candidate_literals(())
    ctx = run()
    start(ctx, tree, base, header_macros)
    for proc in ctx.early(tree)[base][1]:
        proc.wait()             # the headers are read: this one is not
    late = tree_copy / "include" / "linux" / "late.h"
    late.write_bytes(b"#define LATE_FLAGS\tMSI_FLAG_PCI_MSIX\n")
    assert "include/linux/late.h" not in search(ctx, tree, base)
    # The next run reads it: it changed after the header search began.
    assert "include/linux/late.h" in search(run(), DirectoryTree(str(tree_copy)), base)


def test_user_git_configuration_does_not_matter(tree_copy, tmp_path, monkeypatch):
    bad = tmp_path / "broken.gitconfig"
    bad.write_text("this is not [a git config\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bad))
    ctx = run()
    found = search(ctx, DirectoryTree(str(tree_copy)), [b"MSI_FLAG_"])
    assert "kernel/irq/msi.c" in found
    # No fallback to reading every file in Python: git grep answered.
    assert ctx.stats.fallbacks == 0 and ctx.stats.steps


def test_names_local_to_a_c_file_cost_no_search(tree_copy):
    (tree_copy / "drivers" / "local_user.c").write_bytes(LOCAL)
    names = {**NAMES, "LOCAL_MSI_FLAGS": "flagset"}
    ctx = run()
    s = scan_references(DirectoryTree(str(tree_copy)), names, load_profile(None),
                        jobs=1, local={"LOCAL_MSI_FLAGS"}, context=ctx)
    assert not any("LOCAL_MSI_FLAGS" in step.literals for step in ctx.stats.steps)
    here = [(x.line, x.role.value) for x in s.sites
            if x.file == "drivers/local_user.c" and x.name == "LOCAL_MSI_FLAGS"]
    assert here == [(1, "define"), (4, "set")]


def test_local_names_are_those_defined_only_in_c_files() -> None:
    from types import SimpleNamespace as NS

    from patchlens.extract.constants import local_names
    base = NS(constants=[NS(name="MSI_FLAG_A", file="include/linux/msi.h"),
                         NS(name="MOVED", file="drivers/x.c")],
              flagsets=[NS(name="LOCAL_SET", file="drivers/pci/msi/irqdomain.c")])
    final = NS(constants=[NS(name="MOVED", file="include/linux/x.h")], flagsets=[])
    assert local_names([base, final]) == {"LOCAL_SET"}


def test_git_revision_follows_header_flag_sets_in_one_pass(tree_copy):
    import pygit2

    from patchlens.tree.git import GitTree
    repo = pygit2.init_repository(str(tree_copy))
    index = repo.index
    index.add_all()
    index.write()
    sig = pygit2.Signature("t", "t@example.org", 0, 0)
    commit = repo.create_commit("HEAD", sig, sig, "one", index.write_tree(), [])
    ctx = run()
    s = scan_references(GitTree.open(str(tree_copy), str(commit)), NAMES,
                        load_profile(None), jobs=1, context=ctx)
    assert "drivers/demo_user.c" in s.files
    assert [x.line for x in s.sites if x.file == "drivers/demo_user.c"] == [4]
    # Headers, then sources with the header's flag set, headers again
    # for it alone; the scan's own search for it is answered already.
    wide = tree_wide(ctx)
    assert [part for part, _ in wide] == ["headers", "sources", "headers"]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in wide[1][1] and "MSI_FLAG_" in wide[1][1]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in wide[2][1] and "MSI_FLAG_" not in wide[2][1]


def test_an_assembled_answer_is_cached_for_the_next_run(tree_copy):
    first = DirectoryTree(str(tree_copy))
    ctx = run()
    search(ctx, first, [b"MSI_FLAG_", b"DEMO_MSI_FLAGS_SUPPORTED"])
    narrow = search(ctx, first, [b"DEMO_MSI_FLAGS_SUPPORTED"])
    again_ctx = run()
    again = search(again_ctx, DirectoryTree(str(tree_copy)), [b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert again_ctx.stats.steps == [] and again == narrow
    assert again_ctx.stats.store_hits == 1
