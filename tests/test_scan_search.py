"""The one literal search (prefilter.search) as the scanner uses it:
flag-set macros reach files that name no family constant; a warm
directory run reads no unchanged file."""

from __future__ import annotations

import shutil

import pytest

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
    src = request.config.rootpath / "fixtures" / "refs" / "tree"
    dst = tmp_path / "tree"
    shutil.copytree(src, dst)
    inc = dst / "arch" / "demo" / "include" / "asm"
    inc.mkdir(parents=True)
    (inc / "demo_msi.h").write_bytes(HEADER)
    (dst / "drivers" / "demo_user.c").write_bytes(USER)
    return dst


class CountingTree:
    """A DirectoryTree whose reads are counted (by path)."""

    def __init__(self, root: str) -> None:
        self._tree = DirectoryTree(root)
        self.info, self.root = self._tree.info, self._tree.root
        self.reads: list[str] = []

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
