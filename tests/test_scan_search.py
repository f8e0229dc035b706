"""The one literal search (prefilter.search) as the scanner uses it:
flag-set macros reach files that name no family constant; a warm
directory run reads no unchanged file."""

from __future__ import annotations

import os
import shutil

import pytest

from patchlens.extract import prefilter
from patchlens.extract.profile import load_profile
from patchlens.extract.scan import scan_references
from patchlens.tree.directory import DirectoryTree
from tests.test_refs_fixture import NAMES

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


@pytest.fixture
def tree_copy(request, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    real_read = prefilter._read

    def counted(root, path):
        if CountingTree.current is not None:
            CountingTree.current.reads.append(path)
        return real_read(root, path)
    monkeypatch.setattr(prefilter, "_read", counted)
    monkeypatch.setattr(CountingTree, "current", None)
    # The tree is written just now: trust ctimes at once (see racy_tree).
    monkeypatch.setattr(prefilter, "_RACY_NS", 0)
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
    the search's (which reads the files grep lists directly)."""

    current: "CountingTree | None" = None

    def __init__(self, root: str) -> None:
        self._tree = DirectoryTree(root)
        self.info, self.root = self._tree.info, self._tree.root
        self.reads: list[str] = []
        CountingTree.current = self

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return self._tree.read(path)

    def exists(self, path: str) -> bool:
        return self._tree.exists(path)

    def content_id(self, path: str) -> str | None:
        return self._tree.content_id(path)

    def files(self, under: str = "", suffixes: tuple[str, ...] = ()):
        return self._tree.files(under, suffixes)


def test_flag_set_only_file_is_scanned(tree_copy):
    s = scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                        jobs=1)
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
                        jobs=1)
    assert s.names.get("LOCAL_MSI_FLAGS") == "flagset"
    here = [x for x in s.sites if x.file == "drivers/local_user.c"
            and x.name == "LOCAL_MSI_FLAGS"]
    assert [(x.line, x.role.value) for x in here] == [(1, "define"), (4, "set")]


def test_warm_directory_reads_no_unchanged_file(tree_copy):
    prof = load_profile(None)
    cold_tree = CountingTree(str(tree_copy))
    cold = scan_references(cold_tree, NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in cold_tree.reads
    warm_tree = CountingTree(str(tree_copy))
    warm = scan_references(warm_tree, NAMES, prof, jobs=1)
    assert warm.sites == cold.sites
    # Only the handful of include/ headers the constants are read from
    # (their definitions are parsed every run); no scanned file's
    # contents are read for the search or the facts.
    assert not [p for p in warm_tree.reads if not p.startswith("include/")
                and p != "MAINTAINERS"]
    user = tree_copy / "drivers" / "demo_user.c"
    user.write_bytes(USER + b"/* MSI_FLAG_NO_MASK */\n")
    again_tree = CountingTree(str(tree_copy))
    scan_references(again_tree, NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in again_tree.reads
    assert not [p for p in again_tree.reads if not p.startswith("include/")
                and p not in ("MAINTAINERS", "drivers/demo_user.c")]


def _record_greps(monkeypatch):
    """The (part, literals) of every system search a directory run starts."""
    calls = []
    real = prefilter._dir_greps

    def recording(root, lits, part=prefilter._EVERYTHING, under=""):
        calls.append((part, tuple(l.decode() for l in lits), under))
        return real(root, lits, part, under)
    monkeypatch.setattr(prefilter, "_dir_greps", recording)
    return calls


def test_header_flag_sets_cost_no_second_pass(tree_copy, monkeypatch):
    calls = _record_greps(monkeypatch)
    s = scan_references(DirectoryTree(str(tree_copy)), NAMES, load_profile(None),
                        jobs=1)
    assert "drivers/demo_user.c" in s.files
    tree_wide = [(part, lits) for part, lits, under in calls if not under]
    # Headers first; then .c files and Documentation/ once, for the
    # literals and the header's flag set together; headers again for
    # the flag set alone.
    assert [part for part, _ in tree_wide] == [
        prefilter._HEADERS, prefilter._SOURCES, prefilter._HEADERS]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in tree_wide[1][1]
    assert "MSI_FLAG_" in tree_wide[1][1]
    assert "DEMO_MSI_FLAGS_SUPPORTED" in tree_wide[2][1]
    assert "MSI_FLAG_" not in tree_wide[2][1]


def test_plain_grep_finds_the_same(tree_copy, monkeypatch):
    prof = load_profile(None)
    with_git = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof,
                               jobs=1, cache=False)
    real_which = prefilter.shutil.which
    monkeypatch.setattr(prefilter.shutil, "which",
                        lambda cmd: None if cmd == "git" else real_which(cmd))
    calls = _record_greps(monkeypatch)
    plain = scan_references(DirectoryTree(str(tree_copy)), NAMES, prof,
                            jobs=1, cache=False)
    assert calls and plain.sites == with_git.sites
    assert plain.mentions == with_git.mentions


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


def test_recently_changed_files_are_read_again(tree_copy, monkeypatch):
    # A file whose ctime is within _RACY_NS of the search's start may
    # have changed after grep read it: the next run reads it again.
    monkeypatch.setattr(prefilter, "_RACY_NS", 3600 * 10**9)
    prof = load_profile(None)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    warm_tree = CountingTree(str(tree_copy))
    scan_references(warm_tree, NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in warm_tree.reads


def test_many_changes_search_again(tree_copy, monkeypatch):
    prof = load_profile(None)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    monkeypatch.setattr(prefilter, "_GREP_THRESHOLD", 0)
    user = tree_copy / "drivers" / "demo_user.c"
    user.write_bytes(USER + b"/* changed */\n")
    calls = _record_greps(monkeypatch)
    scan_references(DirectoryTree(str(tree_copy)), NAMES, prof, jobs=1)
    assert any(not under for _, _, under in calls)


def test_started_search_is_picked_up(tree_copy, monkeypatch):
    prof = load_profile(None)
    tree = DirectoryTree(str(tree_copy))
    calls = _record_greps(monkeypatch)
    prefilter.start(tree, prof.candidate_literals(NAMES))
    assert [part for part, _, _ in calls] == [prefilter._HEADERS]
    s = scan_references(tree, NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in s.files
    # The header step is the one started early: not run twice.
    tree_wide = [part for part, _, under in calls if not under]
    assert tree_wide == [prefilter._HEADERS, prefilter._SOURCES, prefilter._HEADERS]
    # Warm, nothing starts: the answer is cached.
    calls.clear()
    warm = DirectoryTree(str(tree_copy))
    prefilter.start(warm, prof.candidate_literals(NAMES))
    assert calls == []


def test_started_search_for_other_literals_is_not_used(tree_copy, monkeypatch):
    prof = load_profile(None)
    tree = DirectoryTree(str(tree_copy))
    prefilter.start(tree, [b"SOMETHING_ELSE_"])
    s = scan_references(tree, NAMES, prof, jobs=1)
    assert "drivers/demo_user.c" in s.files
    left = prefilter._early[tree][(b"SOMETHING_ELSE_",)][1]
    prefilter._reap(left)
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


def test_search_takes_what_the_run_answered(tree_copy, monkeypatch):
    tree = DirectoryTree(str(tree_copy))
    calls = _record_greps(monkeypatch)
    wide = prefilter.search(tree, [b"MSI_FLAG_", b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert "drivers/demo_user.c" in wide
    calls.clear()
    # A subset is narrowed from that answer; a superset searches only
    # the literals no answer covers.
    narrow = prefilter.search(tree, [b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert calls == [] and set(narrow) < set(wide)
    more = prefilter.search(tree, [b"MSI_FLAG_", b"LOCAL_ONLY_NAME"])
    assert [lits for _, lits, _ in calls] == [("LOCAL_ONLY_NAME",)]
    assert set(more) == {p for p in wide if b"MSI_FLAG_" in (tree.read(p) or b"")}


def test_started_subset_is_finished_first(tree_copy, monkeypatch):
    tree = DirectoryTree(str(tree_copy))
    prof = load_profile(None)
    base = prof.candidate_literals(())
    calls = _record_greps(monkeypatch)
    prefilter.start(tree, base)
    got = prefilter.search(tree, base + (b"LOCAL_ONLY_NAME",))
    # The started header search, the rest of its tree, then the extra
    # literal alone.
    assert calls[0][0] == prefilter._HEADERS
    assert calls[-1][1] == ("LOCAL_ONLY_NAME",)
    assert "drivers/demo_user.c" not in got
    assert set(prefilter.search(tree, base)) <= set(got)


def test_early_search_dates_its_answer_from_its_start(tree_copy):
    tree = DirectoryTree(str(tree_copy))
    base = load_profile(None).candidate_literals(())
    prefilter.start(tree, base)
    for proc in prefilter._early[tree][base][1]:
        proc.wait()             # the headers are read: this one is not
    late = tree_copy / "include" / "linux" / "late.h"
    late.write_bytes(b"#define LATE_FLAGS\tMSI_FLAG_PCI_MSIX\n")
    assert "include/linux/late.h" not in prefilter.search(tree, base)
    # The next run reads it: it changed after the header search began.
    assert "include/linux/late.h" in prefilter.search(DirectoryTree(str(tree_copy)), base)


def test_user_git_configuration_does_not_matter(tree_copy, tmp_path, monkeypatch):
    bad = tmp_path / "broken.gitconfig"
    bad.write_text("this is not [a git config\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(bad))
    # No fallback to reading every file in Python: git grep answered.
    monkeypatch.setattr(prefilter, "_walk_of", lambda source: pytest.fail("fell back"))
    found = prefilter.search(DirectoryTree(str(tree_copy)), [b"MSI_FLAG_"])
    assert "kernel/irq/msi.c" in found


def test_names_local_to_a_c_file_cost_no_search(tree_copy, monkeypatch):
    (tree_copy / "drivers" / "local_user.c").write_bytes(LOCAL)
    names = {**NAMES, "LOCAL_MSI_FLAGS": "flagset"}
    calls = _record_greps(monkeypatch)
    s = scan_references(DirectoryTree(str(tree_copy)), names, load_profile(None),
                        jobs=1, local={"LOCAL_MSI_FLAGS"})
    assert not any("LOCAL_MSI_FLAGS" in lits for _, lits, _ in calls)
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


def test_git_revision_follows_header_flag_sets_in_one_pass(tree_copy, monkeypatch):
    import pygit2

    from patchlens.tree.git import GitTree
    repo = pygit2.init_repository(str(tree_copy))
    index = repo.index
    index.add_all()
    index.write()
    sig = pygit2.Signature("t", "t@example.org", 0, 0)
    commit = repo.create_commit("HEAD", sig, sig, "one", index.write_tree(), [])
    specs = []
    real = prefilter._GitGrep

    class Recording(real):
        def __init__(self, source, lits, specs_=real._SPECS):
            specs.append((specs_, tuple(l.decode() for l in lits)))
            super().__init__(source, lits, specs_)
    monkeypatch.setattr(prefilter, "_GitGrep", Recording)
    s = scan_references(GitTree.open(str(tree_copy), str(commit)), NAMES,
                        load_profile(None), jobs=1)
    assert "drivers/demo_user.c" in s.files
    assert [x.line for x in s.sites if x.file == "drivers/demo_user.c"] == [4]
    # Headers, then sources with the header's flag set, headers again
    # for it alone; the scan's own search for it is answered already.
    assert [sp for sp, _ in specs] == [
        prefilter._GIT_HEADERS, prefilter._GIT_SOURCES, (("*.h",),)]


def test_an_assembled_answer_is_cached_for_the_next_run(tree_copy, monkeypatch):
    first = DirectoryTree(str(tree_copy))
    prefilter.search(first, [b"MSI_FLAG_", b"DEMO_MSI_FLAGS_SUPPORTED"])
    narrow = prefilter.search(first, [b"DEMO_MSI_FLAGS_SUPPORTED"])
    calls = _record_greps(monkeypatch)
    again = prefilter.search(DirectoryTree(str(tree_copy)), [b"DEMO_MSI_FLAGS_SUPPORTED"])
    assert calls == [] and again == narrow
